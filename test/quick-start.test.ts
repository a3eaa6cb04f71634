import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/paths';

/**
 * README's quick start on a fresh clone, as a new user meets it (issue 14): `git clone`, the
 * installed node_modules reused (standing in for `npm install`), `npm start` on a port another
 * program holds (a clear error, exit 1), then on a free one; the service list; every demo WSDL
 * imported by python3-zeep (Debian's); the bundled fixtures replayed with `smev2-gateway replay`.
 * One clone, one gateway process for the whole file.
 */
const PYTHON = '/usr/bin/python3'; // Debian's python3-zeep (test/real-clients.test.ts)
const work = mkdtempSync(join(tmpdir(), 'smev2-quick-start-'));
const clone = join(work, 'smev2-gateway');

interface Run { code: number | null; stdout: string; stderr: string }

function run(cmd: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: clone, env: { ...process.env, npm_config_update_notifier: 'false', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

/** The demo SIDs and their operations, from the clone's own registry. */
function demoOperations(): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const sid of readdirSync(join(clone, 'wsdl')).filter((d) => /^SID\d{7}$/.test(d))) {
    const yaml = readFileSync(join(clone, 'wsdl', sid, 'service.yaml'), 'utf8');
    out[sid] = [...yaml.slice(yaml.indexOf('\noperations:')).matchAll(/^ {2}(\w+): \{ mode:/gm)].map((m) => m[1]).sort();
  }
  return out;
}

let gateway: ChildProcess | undefined;
let url = '';
let started = '';

beforeAll(() => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  expect(readme).toContain('npm install && npm start');
  expect(readme).toContain('Open http://localhost:7777/');
  const cloned = spawnSync('git', ['-c', 'advice.detachedHead=false', 'clone', '-q', ROOT, clone], { encoding: 'utf8' });
  expect({ code: cloned.status, stderr: cloned.stderr }).toEqual({ code: 0, stderr: '' });
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules')); // `npm install`, already done
  const zeep = spawnSync(PYTHON, ['-c', 'import zeep'], { encoding: 'utf8' });
  if (zeep.status !== 0) throw new Error(`python3-zeep is not installed (${PYTHON} cannot import zeep; .ci/run installs it): ${zeep.stderr}`);
});

afterAll(async () => {
  if (gateway?.pid && gateway.exitCode === null) {
    const exited = new Promise((r) => gateway!.once('exit', r));
    process.kill(-gateway.pid, 'SIGTERM'); // npm, its shell and the gateway: one process group
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

describe("README's quick start on a fresh clone", () => {
  test('npm start on a port another program holds: exit 1, the address named and --port suggested, no stack', async () => {
    const held: Server = createServer();
    await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
    const port = (held.address() as { port: number }).port;
    try {
      // the first npm start also builds dist/ (prestart), as after `npm install`
      const res = await run('npm', ['start'], { SMEV2_PORT: String(port), SMEV2_HOST: '127.0.0.1' });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain(`error: cannot listen on 127.0.0.1:${port}: the port is in use`);
      expect(res.stderr).toContain('start on another port: --port N');
      expect(res.stderr).not.toMatch(/Cannot read properties|TypeError|\n\s+at .+:\d+:\d+/);
    } finally {
      await new Promise<void>((r) => held.close(() => r()));
    }
  }, 240_000);

  test('npm start on a free port: the gateway listens and says where', async () => {
    gateway = spawn('npm', ['start'], {
      cwd: clone, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', SMEV2_PORT: '0', SMEV2_HOST: '127.0.0.1' },
    });
    let out = '';
    gateway.stderr!.on('data', (c) => (out += c));
    const port = await new Promise<number>((resolve, reject) => {
      gateway!.stdout!.on('data', (c) => {
        out += c;
        // one process per core by default: the primary's line (one core: the process's own) names the URLs and the count
        const m = /"serviceList":"[^"]+"[^\n]*"port":(\d+)[^\n]*"msg":"(?:every worker listening|gateway listening)"/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      gateway!.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${out}`)));
    });
    started = out;
    url = `http://127.0.0.1:${port}`;
    expect(started).not.toMatch(/"level":50|"level":60/); // no error at start
    expect(started).toContain(`"workers":${availableParallelism()}`);
  }, 240_000);

  test('the service list names every demo SID with its WSDL link', async () => {
    const sids = Object.keys(demoOperations()).sort();
    expect(sids.length).toBeGreaterThanOrEqual(4);
    const list = await (await fetch(`${url}/`, { headers: { accept: 'application/json' } })).json() as { sid: string; wsdl: string }[];
    expect(list.map((s) => s.sid).sort()).toEqual(sids);
    for (const s of list) expect(s.wsdl).toBe(`${url}/gateway/services/${s.sid}?wsdl`);
    const html = await (await fetch(`${url}/`)).text();
    for (const sid of sids) expect(html).toContain(`href="${url}/gateway/services/${sid}?wsdl"`);
  });

  test('python3-zeep imports every demo WSDL, each with its operations and the gateway as address', async () => {
    const ops = demoOperations();
    const jobs = Object.keys(ops).map((sid) => ({ id: sid, kind: 'load', wsdl: `${url}/gateway/services/${sid}?wsdl` }));
    const res = await run(PYTHON, [join(clone, 'test', 'clients', 'zeep_client.py')], {}, JSON.stringify(jobs));
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    const results = JSON.parse(res.stdout) as { id: string; ok: boolean; error?: string; operations?: string[]; addresses?: string[]; refused: string[] }[];
    expect(results.map((r) => r.id).sort()).toEqual(Object.keys(ops).sort());
    for (const r of results) {
      expect({ sid: r.id, ok: r.ok, error: r.error }).toEqual({ sid: r.id, ok: true, error: undefined });
      expect(r.refused).toEqual([]);
      expect(r.addresses).toEqual([`${url}/gateway/services/${r.id}`]);
      // zeep's names are service.port.operation
      expect((r.operations ?? []).map((o) => o.split('.').pop()).sort()).toEqual(ops[r.id]);
    }
  }, 120_000);

  test('smev2-gateway replay: every bundled fixture case passes against the started gateway', async () => {
    const junit = join(work, 'replay.xml');
    const res = await run('npx', ['smev2-gateway', 'replay', '--target', url, '--junit', junit]);
    expect({ code: res.code, stderr: res.stderr }).toEqual({ code: 0, stderr: '' });
    const cases = readdirSync(join(clone, 'fixtures')).flatMap((sid) => readdirSync(join(clone, 'fixtures', sid)));
    const report = readFileSync(junit, 'utf8');
    const total = /<testsuites [^>]*tests="(\d+)" failures="(\d+)" errors="(\d+)" skipped="(\d+)"/.exec(report);
    expect(total?.slice(1).map(Number)).toEqual([cases.length, 0, 0, 0]);
  }, 180_000);
});
