import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startGateway, runCli, freshConnection as fresh, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';

/**
 * SQLite has one writer per file, and better-sqlite3 is synchronous: a worker of
 * `start --workers` waiting for another process's write lock must wait without stopping its
 * event loop. Here another process (this test, with better-sqlite3 on the same file) holds the
 * write lock (BEGIN IMMEDIATE) while requests that must write the journal and the outbox are in
 * work in both workers: both workers keep answering /healthz while none of those requests is
 * answered yet, and once the lock is released every request is answered, journaled and
 * delivered. Always on a SQLite file, whatever store the pass runs on (PostgreSQL has no such lock).
 */
const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 60000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('start --workers 2 on SQLite while another process holds the write lock', () => {
  let provider: Upstream;
  let gw: GatewayProcess | undefined;
  const delivered = new Set<string>();

  beforeAll(async () => {
    provider = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1];
      if (id) delivered.add(id);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${id ?? 'none'}<`));
    });
  });
  afterAll(async () => {
    await gw?.stop().catch(() => undefined);
    await provider?.close();
  });

  test('both workers keep answering while their writes wait for the lock; every write lands once it is released', async () => {
    const systems = mkdtempSync(join(tmpdir(), 'smev2-systems-'));
    writeFileSync(join(systems, 'MINZ01001.yaml'), 'mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\n');
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    const registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0960001', { type: 'http', url: provider.url }) },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0960002', { type: 'http', url: provider.url }), delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 500, maxAttempts: 20 } } },
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'smev2-lock-')), 'journal.sqlite');
    gw = await startGateway({ services: registry, db: file, args: ['--workers', '2', '--systems', systems] });
    const url = gw.url;
    const every = gw.logs().split('\n').find((l) => l.includes('"msg":"every worker listening"'))!;
    const pids = new Set(JSON.parse(every).pids as number[]);
    expect(pids.size).toBe(2);
    // warm: both workers have written once
    for (let i = 0; i < 4; i++) expect(field((await fresh(`${url}/gateway/services/SID0960001`, REQUEST)).text, 'Status')).toBeDefined();

    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let held = true;
    try {
      // 8 requests, to both workers in turn: the synchronous ones wait for their journal commit, the guaranteed ones for the outbox
      const settled: boolean[] = [];
      const pending = Array.from({ length: 8 }, (_, i) => {
        const p = fresh(`${url}/gateway/services/${i % 4 < 2 ? 'SID0960001' : 'SID0960002'}`, REQUEST);
        settled[i] = false;
        void p.then(() => { settled[i] = true; }, () => { settled[i] = true; });
        return p;
      });
      // the synchronous ones have reached the provider: what is left for them is the journal's commit
      await until('the provider to see the synchronous requests', () => provider.requests.length >= 4 + 4);
      // both workers answer, again and again, while every request waits for the store
      const answered = new Map<number, number>();
      await until('both workers to answer /healthz three times each', async () => {
        const h = await fresh(`${url}/healthz`);
        expect(h.status).toBe(200);
        const pid = (JSON.parse(h.text) as { pid: number }).pid;
        answered.set(pid, (answered.get(pid) ?? 0) + 1);
        return [...pids].every((p) => (answered.get(p) ?? 0) >= 3);
      });
      expect(settled).toEqual(Array(8).fill(false));
      other.exec('COMMIT');
      held = false;

      const answers = await Promise.all(pending);
      for (const a of answers) expect(a.status).toBe(200);
      expect(answers.map((a) => field(a.text, 'Status'))).toEqual(['RESULT', 'RESULT', 'ACCEPT', 'ACCEPT', 'RESULT', 'RESULT', 'ACCEPT', 'ACCEPT']);
      // the guaranteed ones are delivered: the leader's claims waited for the lock too
      const tickets = answers.filter((a) => field(a.text, 'Status') === 'ACCEPT').map((a) => field(a.text, 'RequestIdRef')!);
      await until('every accepted message delivered', () => tickets.every((t) => delivered.has(t)));
    } finally {
      if (held) other.exec('ROLLBACK');
      other.close();
    }
    expect(await gw.stop()).toBe(0);
    const verify = await runCli(['journal', 'verify', '--db', `sqlite:${file}`]);
    expect(verify.stdout).toMatch(/^journal intact: \d+ entries verified/);
    const count = new Database(file, { readonly: true });
    try {
      // 4 warm-up exchanges and 8 under the lock, each with its legs; none lost
      const rows = count.prepare("SELECT COUNT(DISTINCT exchange_id) AS n FROM journal WHERE direction = 'consumer->gateway'").get() as { n: number };
      expect(rows.n).toBe(12);
    } finally {
      count.close();
    }
  }, 120000);

  test('a wait for the lock that is not a whole number of milliseconds is refused at start, naming the value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smev2-lock-'));
    const r = await runCli(['start', '--port', '0', '--workers', '1', '--db', `sqlite:${join(dir, 'journal.sqlite')}`, '--keys', join(dir, 'keys')], { SMEV2_SQLITE_LOCK_WAIT_MS: '5s' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SMEV2_SQLITE_LOCK_WAIT_MS must be a whole number of milliseconds from 1, got "5s"');
  });
});
