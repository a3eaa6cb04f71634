import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { ROOT } from './support/paths';
import { runCli, runBash } from './support/gateway';

/**
 * What a new user meets first on the command line (issue 14): a port in use, a store URL the
 * gateway does not understand or cannot reach, the README's PostgreSQL recipe for the tests, and
 * `--help` against the options `start` really takes. Each error is asserted by exit code and text:
 * what failed, with the value, and what to do next; never a stack or a TypeError.
 */
const work = mkdtempSync(join(tmpdir(), 'smev2-newcomer-'));
const keys = join(work, 'keys');
const NOT_A_CRASH = /Cannot read properties|TypeError|\n\s+at .+:\d+:\d+/;

/** A TCP server holding a port on loopback, as another program would. */
function holdPort(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      if (!a || typeof a === 'string') return reject(new Error('no port'));
      resolve({ server, port: a.port });
    });
  });
}

/** A port nothing listens on: taken, then released. */
async function closedPort(): Promise<number> {
  const { server, port } = await holdPort();
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

const bash = runBash;

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('start on a port in use', () => {
  let held: { server: Server; port: number };
  beforeAll(async () => {
    held = await holdPort();
  });
  afterAll(async () => {
    await new Promise<void>((r) => held.server.close(() => r()));
  });

  test.each([[[] as string[]], [['--workers', '2']]])('names host:port and suggests --port, exit 1 (extra args %j)', async (extra) => {
    const res = await runCli(['start', '--port', String(held.port), '--host', '127.0.0.1', '--db', `sqlite:${join(work, 'port.sqlite')}`, '--keys', keys, ...extra]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`error: cannot listen on 127.0.0.1:${held.port}: the port is in use`);
    expect(res.stderr).toMatch(/start on another port: --port N/);
    expect(res.stderr).not.toMatch(NOT_A_CRASH);
    // one clear message, not one per worker
    expect(res.stderr.match(/cannot listen on/g)).toHaveLength(1);
  });
});

describe('the store URL', () => {
  test.each([
    ['DATABASE_URL', 'mysql://root@127.0.0.1/gw', 'mysql:'],
    ['--db', 'http://127.0.0.1/journal', 'http:'],
    ['--db', 'postgress://postgres@127.0.0.1/gw', 'postgress:'],
  ])('%s=%s is refused by start and by migrate, listing the supported stores', async (from, url, scheme) => {
    for (const cmd of ['start', 'migrate']) {
      const args = [cmd, '--keys', keys, '--port', '0', ...(from === '--db' ? ['--db', url] : [])];
      const res = await runCli(cmd === 'migrate' ? ['migrate', ...(from === '--db' ? ['--db', url] : [])] : args, from === 'DATABASE_URL' ? { DATABASE_URL: url } : {});
      expect({ cmd, code: res.code }).toEqual({ cmd, code: 1 });
      expect(res.stderr).toContain(`error: ${from} "${url}" is not a store the gateway supports: scheme "${scheme}"`);
      expect(res.stderr).toMatch(/Supported: sqlite:<file> .*postgres:\/\/user.*postgresql:\/\/user/);
      expect(res.stderr).toContain(`Fix ${from}`);
      expect(res.stderr).not.toMatch(NOT_A_CRASH);
    }
    // and no SQLite file named after the URL appeared where the gateway runs
    expect(existsSync(join(ROOT, `${scheme}`))).toBe(false);
  });

  test('a typo of postgres:// is pointed out; a password is never echoed', async () => {
    const res = await runCli(['migrate', '--db', 'postgress://gw:s3cret@127.0.0.1/gw']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('(did you mean postgres://?)');
    expect(res.stderr).toContain('"postgress://gw:***@127.0.0.1/gw"');
    expect(res.stderr).not.toContain('s3cret');
  });

  test('a bare path is a SQLite file, as before', async () => {
    const file = join(work, 'bare', 'journal.sqlite');
    const res = await runCli(['migrate', '--db', file]);
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/migration\(s\) ran on SQLite /);
    expect(existsSync(file)).toBe(true);
  });

  test.each(['--db', 'DATABASE_URL'])('an unreachable PostgreSQL (from %s): host, port, where the URL came from, what to do; exit 1', async (from) => {
    const port = await closedPort();
    const url = `postgres://gw@127.0.0.1:${port}/gw`;
    for (const cmd of ['start', 'migrate']) {
      const args = cmd === 'start' ? ['start', '--port', '0', '--host', '127.0.0.1', '--keys', keys] : ['migrate'];
      const res = await runCli(from === '--db' ? [...args, '--db', url] : args, from === 'DATABASE_URL' ? { DATABASE_URL: url } : {});
      expect({ cmd, code: res.code }).toEqual({ cmd, code: 1 });
      expect(res.stderr).toContain(`error: cannot reach the PostgreSQL server at 127.0.0.1:${port} (the store from ${from}: ${url}): nothing listens there (connection refused).`);
      expect(res.stderr).toContain(`Start the PostgreSQL server, or fix the host and port in ${from}`);
      expect(res.stderr).not.toMatch(NOT_A_CRASH);
    }
  });
});

describe("README's PostgreSQL recipe for the tests", () => {
  // a cluster of its own (folder and port), so that the one other test runs use is left alone
  const dir = `/tmp/smev2-pg-recipe-${process.pid}-${Date.now()}`;
  let port: number;
  beforeAll(async () => {
    port = await closedPort();
  });
  afterAll(async () => {
    await bash('scripts/pg-test-cluster.sh stop', { SMEV2_PG_DIR: dir });
    rmSync(dir, { recursive: true, force: true });
  });

  async function selectOne(url: string): Promise<number> {
    const c = new Client({ connectionString: url });
    await c.connect();
    try {
      return (await c.query<{ one: number }>('SELECT 1 AS one')).rows[0].one;
    } finally {
      await c.end();
    }
  }

  test('`source <(scripts/pg-test-cluster.sh start)`, as README.md writes it, sets SMEV2_TEST_PG_URL to a server that answers', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const recipe = /`(source <\(scripts\/pg-test-cluster\.sh start\))`/.exec(readme)?.[1];
    expect(recipe).toBe('source <(scripts/pg-test-cluster.sh start)');
    const res = await bash(`set -euo pipefail; unset SMEV2_TEST_PG_URL; ${recipe}; printf '%s' "$SMEV2_TEST_PG_URL"`, { SMEV2_PG_DIR: dir, SMEV2_PG_PORT: String(port) });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`postgres://postgres@127.0.0.1:${port}/postgres`);
    expect(await selectOne(res.stdout)).toBe(1);
  });

  test(".ci/run's own lines set it too, and `url` prints the bare URL", async () => {
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    const lines = ci.split('\n').filter((l) => /pg-test-cluster\.sh start|^eval /.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(2); // the start and the eval of what it printed
    const res = await bash(`set -euo pipefail; unset SMEV2_TEST_PG_URL; ${lines.join('\n')}\nprintf '%s' "$SMEV2_TEST_PG_URL"`, { SMEV2_PG_DIR: dir, SMEV2_PG_PORT: String(port) });
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`postgres://postgres@127.0.0.1:${port}/postgres`);
    const url = await bash('scripts/pg-test-cluster.sh url', { SMEV2_PG_DIR: dir, SMEV2_PG_PORT: String(port) });
    expect(url.stdout).toBe(`postgres://postgres@127.0.0.1:${port}/postgres\n`);
    expect(await selectOne(url.stdout.trim())).toBe(1);
  });

  test('npm test refuses a SMEV2_TEST_PG_URL that holds the shell line instead of the URL, saying how to set it', async () => {
    const res = await bash('node scripts/test.js', { SMEV2_TEST_PG_URL: `export SMEV2_TEST_PG_URL=postgres://postgres@127.0.0.1:${port}/postgres`, SMEV2_TEST_STORE: 'postgres' });
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('SMEV2_TEST_PG_URL holds a shell line');
    expect(res.stderr).toContain('source <(scripts/pg-test-cluster.sh start)');
  });
});

describe('--help', () => {
  test('lists every option start takes (each flag of src/config.ts)', async () => {
    const config = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8');
    const flagsBlock = /export interface Flags \{([\s\S]*?)\n\}/.exec(config)![1];
    const flags = [...flagsBlock.matchAll(/^\s+'?([a-z-]+)'?\?:/gm)].map((m) => m[1]);
    expect(flags).toEqual(expect.arrayContaining(['port', 'max-in-flight', 'subscriptions', 'workers']));
    const res = await runCli(['--help']);
    expect(res.code).toBe(0);
    const options = res.stdout.slice(res.stdout.indexOf('Options:'));
    for (const f of flags) expect({ flag: f, listed: new RegExp(`^  --${f}\\b`, 'm').test(options) }).toEqual({ flag: f, listed: true });
  });
});
