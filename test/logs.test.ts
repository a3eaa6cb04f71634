import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, runCli, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { ROOT } from './support/paths';
import { dbUrl, freshStore, onPostgres } from './support/store';

const REQUEST = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'));
const jsonLines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

/** Wait for a condition on the gateway's output (the log arrives through a pipe, a little after the answer). */
async function until<T>(what: string, get: () => T | undefined | false, out: () => string): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`waited 20 s for ${what}; the output so far:\n${out()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Start the real process with the given arguments and environment, collecting its output. */
async function spawnGateway(args: string[], env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-logs-'));
  const db = onPostgres ? await freshStore() : join(dir, 'journal.sqlite');
  const child = spawn(process.execPath, ['bin/smev2-gateway.js', 'start', '--port', '0', '--host', '127.0.0.1', '--db', dbUrl(db), '--keys', join(dir, 'keys'), ...(args.includes('--workers') ? [] : ['--workers', '1']), ...args],
    { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (out += c));
  const exited = new Promise((r) => child.once('exit', r));
  return { out: () => out, stop: async () => { child.kill('SIGTERM'); await exited; } };
}

describe('logs a person can read', () => {
  test('JSON by default on a pipe; the start line names the service list and the console, and both answer', async () => {
    const gw = await startGateway();
    try {
      const start = jsonLines(gw.logs()).find((l) => l.msg === 'gateway listening')!;
      expect(start).toMatchObject({ level: 30, port: gw.port, serviceList: `${gw.url}/`, console: `${gw.url}/console/` });
      const list = await fetch(start.serviceList as string, { headers: { accept: 'text/html' } });
      expect(list.status).toBe(200);
      expect(await list.text()).toContain('SID0003623');
      const console = await fetch(start.console as string);
      expect(console.status).toBe(200);
      expect(await console.text()).toMatch(/<html|<!doctype/i);
    } finally {
      await gw.stop();
    }
  });

  test('--log-format pretty: readable lines (time, level, message, fields), no JSON; the start line has the URLs', async () => {
    const gw = await spawnGateway(['--log-format', 'pretty'], { SMEV2_LOG_FORMAT: 'json' });
    try {
      const port = await until('the pretty start line', () => /INFO[^\n]*: gateway listening\n(?:\s+\S.*\n)*?\s+port: (\d+)/.exec(gw.out())?.[1], gw.out);
      // the flag wins over SMEV2_LOG_FORMAT=json
      expect(gw.out()).not.toMatch(/^\{"level"/m);
      expect(gw.out()).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d{4}\] INFO[^\n]*: gateway listening$/m);
      expect(gw.out()).toContain(`serviceList: "http://127.0.0.1:${port}/"`);
      expect(gw.out()).toContain(`console: "http://127.0.0.1:${port}/console/"`);
      const res = await post(`http://127.0.0.1:${port}/gateway/services/SID0003623`, REQUEST);
      expect(res.status).toBe(200);
      await until('the exchange line', () => /INFO[^\n]*: exchange\n/.test(gw.out()), gw.out);
    } finally {
      await gw.stop();
    }
  });

  test('SMEV2_LOG_FORMAT=pretty under --workers 2: the primary and each worker write pretty lines, the primary names the URLs', async () => {
    const gw = await spawnGateway(['--workers', '2'], { SMEV2_LOG_FORMAT: 'pretty' });
    try {
      const port = await until('"every worker listening"', () => /INFO[^\n]*: every worker listening\n(?:\s+\S.*\n)*?\s+port: (\d+)/.exec(gw.out())?.[1], gw.out);
      expect(gw.out()).not.toMatch(/^\{"level"/m);
      expect(gw.out()).toContain(`serviceList: "http://127.0.0.1:${port}/"`);
      // each worker's own start line, marked with its worker number (the primary may hear of a
      // worker listening before that worker's line has come through the pipe: wait for both)
      const workerLines = () => gw.out().match(/INFO[^\n]*: gateway listening\n(?:\s+\S.*\n)*?\s+worker: [12]\n/g) ?? [];
      await until('both workers\' start lines', () => workerLines().length === 2, gw.out);
      const res = await post(`http://127.0.0.1:${port}/gateway/services/SID0003623`, REQUEST);
      expect(res.status).toBe(200);
      await until('the exchange line', () => /INFO[^\n]*: exchange\n/.test(gw.out()), gw.out);
    } finally {
      await gw.stop();
    }
  });

  test('an unknown --log-format or SMEV2_LOG_FORMAT is refused, naming the value and the choices', async () => {
    const bad = await runCli(['start', '--port', '0', '--log-format', 'fancy']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--log-format / SMEV2_LOG_FORMAT must be pretty, json or auto, got "fancy"');
    const badEnv = await runCli(['start', '--port', '0'], { SMEV2_LOG_FORMAT: 'xml' });
    expect(badEnv.code).toBe(1);
    expect(badEnv.stderr).toContain('got "xml"');
  });

  describe('a report-policy verdict', () => {
    let gw: GatewayProcess;
    beforeAll(async () => {
      gw = await startGateway();
    });
    afterAll(async () => {
      await gw?.stop();
    });

    test('10 unsigned demo calls: one info line for the sender and SID, no WARN; the journal keeps all 10 verdicts', async () => {
      for (let i = 0; i < 10; i++) {
        const res = await post(`${gw.url}/gateway/services/SID0003623`, REQUEST);
        expect(res.status).toBe(200);
      }
      // the exchange line is written after the answer, and after any verdict line of that exchange
      await until('10 exchange lines', () => jsonLines(gw.logs()).filter((l) => l.msg === 'exchange').length >= 10, gw.logs);
      const lines = jsonLines(gw.logs());
      const verdicts = lines.filter((l) => String(l.msg).startsWith('signature check failed'));
      expect(verdicts).toHaveLength(1);
      expect(verdicts[0]).toMatchObject({ level: 30, sid: 'SID0003623', sender: 'MINZ01001', signature: 'absent', policy: 'report' });
      expect(verdicts[0]!.msg).toContain('logged once per sender and SID');
      expect(lines.filter((l) => (l.level as number) >= 40 && /polic/.test(String(l.msg)))).toEqual([]);
      const journal = await readJournalUntil(gw.db, 10);
      expect(journal.map((r) => r.signature)).toEqual(Array(10).fill('report: absent'));
    });
  });
});

/** The consumer legs of SID0003623, once the journal holds n of them (it writes in batches). */
async function readJournalUntil(db: string, n: number) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const rows = await readJournal(db, "sid = 'SID0003623' AND direction = 'consumer->gateway'");
    if (rows.length >= n || Date.now() > deadline) return rows;
    await new Promise((r) => setTimeout(r, 25));
  }
}
