import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, runCli, freshConnection as fresh, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { STORE_NAME, onPostgres, sql } from './support/store';
import { ROOT } from './support/paths';

/**
 * `start --workers N` (node:cluster) on the pass's store, over real HTTP, and the replay guard
 * held in the store across processes: requests reach both workers, guaranteed delivery is
 * delivered once, one journal chain, a killed worker is restarted (the leader's work moves to
 * its successor), a replay is refused by another worker and by another instance.
 */
const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The echo request dated now (control is enforced), with its own MessageId in a smev:Header. */
const withMessageId = (id: string) => REQUEST.replace('2026-11-22T10:00:00.000+03:00', new Date().toISOString()).replace('<soapenv:Header/>',
  `<soapenv:Header><smev:Header><smev:NodeId>99</smev:NodeId><smev:MessageId>${id}</smev:MessageId><smev:TimeStamp>2026-11-22T10:00:00Z</smev:TimeStamp><smev:MessageClass>REQUEST</smev:MessageClass></smev:Header></soapenv:Header>`);
const uuid = () => randomUUID().toUpperCase();


/** The pid of whichever worker answers /healthz, asked `n` times. */
async function answeringPids(url: string, n = 12): Promise<Set<number>> {
  const pids = new Set<number>();
  for (let i = 0; i < n; i++) pids.add((JSON.parse((await fresh(`${url}/healthz`)).text) as { pid: number }).pid);
  return pids;
}

/** Lines of a gateway's JSON log with this msg. */
const logLines = (gw: GatewayProcess, msg: string) =>
  gw.logs().split('\n').filter((l) => l.includes(`"msg":"${msg}`)).map((l) => JSON.parse(l) as Record<string, unknown>);

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe(`start --workers on ${STORE_NAME}`, () => {
  let provider: Upstream;
  const delivered = new Map<string, number>();
  const gateways: GatewayProcess[] = [];
  let registry: string;
  let systems: string;

  beforeAll(async () => {
    provider = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'none';
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${id}<`));
    });
    systems = mkdtempSync(join(tmpdir(), 'smev2-systems-'));
    writeFileSync(join(systems, 'MINZ01001.yaml'), 'mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\n');
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0960001', { type: 'http', url: provider.url }), delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 500, maxAttempts: 20 } } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0960002', { type: 'http', url: provider.url }), control: 'enforce' } },
    ]);
  });
  afterAll(async () => {
    for (const g of gateways) await g.stop().catch(() => undefined);
    await provider?.close();
  });

  test('two workers share the port: both answer, guaranteed delivery once each, one journal chain; a killed worker is restarted and the leader\'s work moves on', async () => {
    const gw = await startGateway({ services: registry, args: ['--workers', '2', '--systems', systems], env: { SMEV2_DELIVERY_LEASE_MS: '2000' } });
    gateways.push(gw);
    // migrations ran once, in the primary, before the workers
    expect(logLines(gw, 'migrations ran')).toHaveLength(1);
    const [every] = logLines(gw, 'every worker listening');
    const pids = new Set(every!.pids as number[]);
    expect(pids.size).toBe(2);
    expect(await answeringPids(gw.url)).toEqual(pids);

    // background work: on SQLite one worker delivers (the leader); on PostgreSQL every worker claims
    const roles = logLines(gw, 'worker roles');
    expect(roles).toHaveLength(2);
    const leader = logLines(gw, 'worker listening').find((l) => l.leader === true)!.pid as number;
    for (const r of roles) expect(r).toMatchObject({ delivery: onPostgres || r.pid === leader, monitors: r.pid === leader });

    const accept = async (n: number) => {
      const answers = await Promise.all(Array.from({ length: n }, () => fresh(`${gw.url}/gateway/services/SID0960001`, REQUEST)));
      for (const a of answers) expect(field(a.text, 'Status')).toBe('ACCEPT');
      return answers.map((a) => field(a.text, 'RequestIdRef')!);
    };
    const allDone = (tickets: string[]) => until('every accepted message delivered', async () =>
      (await sql<{ status: string }>(gw.db, "SELECT status FROM outbox WHERE kind = 'deliver'")).filter((r) => r.status === 'done').length >= tickets.length && tickets.every((t) => delivered.has(t)));
    const first = await accept(40);
    await allDone(first);

    // SIGKILL the leader: the primary says so and starts another, which takes the leader's part
    process.kill(leader, 'SIGKILL');
    await until('a new worker', () => logLines(gw, 'worker listening').length === 3);
    const [died] = logLines(gw, 'worker died');
    expect(died).toMatchObject({ pid: leader, signal: 'SIGKILL', leader: true });
    const successor = logLines(gw, 'worker listening')[2]!;
    expect(successor.leader).toBe(true);
    const now = await answeringPids(gw.url);
    expect(now).toEqual(new Set([...pids].filter((p) => p !== leader).concat(successor.pid as number)));
    const second = await accept(20);
    await allDone([...first, ...second]);

    // every accepted message delivered exactly once, by MessageId
    expect([...first, ...second].map((t) => delivered.get(t))).toEqual(Array(60).fill(1));
    expect(await gw.stop()).toBe(0);
    expect(logLines(gw, 'every worker stopped')).toHaveLength(1);
    // two processes wrote one journal: a single linear chain
    const verify = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(verify.stdout).toMatch(/^journal intact: \d+ entries verified/);
    expect(verify.code).toBe(0);
    const [{ forks }] = await sql<{ forks: number | string }>(gw.db, 'SELECT COUNT(*) - COUNT(DISTINCT prev_hash) AS forks FROM journal');
    expect(Number(forks)).toBe(0);
  }, 120000);

  test('a plain start runs one worker per core and says how many; --workers 1 runs one process', async () => {
    const cores = availableParallelism();
    const plain = await startGateway({ services: registry, args: ['--systems', systems], plain: true });
    gateways.push(plain);
    if (cores > 1) {
      expect(logLines(plain, 'starting workers')).toEqual([expect.objectContaining({ workers: cores })]);
      const [every] = logLines(plain, 'every worker listening');
      expect(every).toMatchObject({ workers: cores });
      expect(new Set(every!.pids as number[]).size).toBe(cores);
      expect(await answeringPids(plain.url, 3 * cores)).toEqual(new Set(every!.pids as number[]));
    } else {
      expect(logLines(plain, 'gateway listening')).toEqual([expect.objectContaining({ workers: 1 })]);
      expect(await answeringPids(plain.url, 4)).toEqual(new Set([plain.child.pid]));
    }
    expect(await plain.stop()).toBe(0);

    const one = await startGateway({ services: registry, args: ['--workers', '1', '--systems', systems] });
    gateways.push(one);
    // one process: no primary, no cluster; the start line says one worker, and its own pid answers
    expect(logLines(one, 'starting workers')).toEqual([]);
    expect(logLines(one, 'gateway listening')).toEqual([expect.objectContaining({ workers: 1 })]);
    expect(await answeringPids(one.url, 4)).toEqual(new Set([one.child.pid]));
    expect(await one.stop()).toBe(0);
  }, 90000);

  test('the large-body lane under two workers: each worker runs a large body in a thread of its own and answers it', async () => {
    // the demo SID0003623 (signature: report) with an AppDocument whose base64 starts with character
    // references, which keep it in the DOM: past SMEV2_LARGE_BODY_BYTES it goes through the lane
    const demo = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'), 'utf8');
    const big = () => demo.replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req-${uuid()}</smev:RequestCode>` +
      `<smev:BinaryData>&#x41;&#x41;&#x41;&#x41;${randomBytes(192 * 1024).toString('base64')}</smev:BinaryData></smev:AppDocument>`);
    const gw = await startGateway({ args: ['--workers', '2'], env: { SMEV2_LARGE_BODY_BYTES: String(128 * 1024) } });
    gateways.push(gw);
    const pids = new Set(logLines(gw, 'every worker listening')[0]!.pids as number[]);
    // consecutive connections go to the two workers in turn
    for (let i = 0; i < 4; i++) {
      const res = await fresh(`${gw.url}/gateway/services/SID0003623`, big());
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<faultstring>');
    }
    await until('both workers\' lane threads', () => new Set(logLines(gw, 'large-body lane: thread started').map((l) => l.pid)).size === 2);
    expect(new Set(logLines(gw, 'large-body lane: thread started').map((l) => l.pid))).toEqual(pids);
    expect(await gw.stop()).toBe(0);
  }, 90000);

  test('--workers takes a whole number from 1 or auto, and says so', async () => {
    for (const [args, env] of [[['--workers', '0'], {}], [[], { SMEV2_WORKERS: 'many' }]] as const) {
      const r = await runCli(['start', '--port', '0', ...args], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/--workers \/ SMEV2_WORKERS must be a whole number from 1, or auto, got "(0|many)"/);
    }
  });

  test('a replayed MessageId is refused by the other worker, and by another instance on the same store', async () => {
    const gw = await startGateway({ services: registry, args: ['--workers', '2', '--systems', systems] });
    gateways.push(gw);
    // consecutive connections go to the two workers in turn: each replay reaches the one that did not see the original
    for (let i = 0; i < 3; i++) {
      const message = withMessageId(uuid());
      expect((await fresh(`${gw.url}/gateway/services/SID0960002`, message)).status).toBe(200);
      const again = await fresh(`${gw.url}/gateway/services/SID0960002`, message);
      expect(again.status).toBe(500);
      expect(faultstring(again.text)).toMatch(/^GW-4006: Replayed message: MessageId [0-9A-F-]{36} was already received at \d{4}-/);
    }
    // another instance (its own process, not a worker) on the same store
    const other = await startGateway({ services: registry, db: gw.db, keys: gw.keys, args: ['--systems', systems] });
    gateways.push(other);
    const id = uuid();
    const message = withMessageId(id);
    expect((await fresh(`${gw.url}/gateway/services/SID0960002`, message)).status).toBe(200);
    const replay = await fresh(`${other.url}/gateway/services/SID0960002`, message);
    expect(replay.status).toBe(500);
    expect(faultstring(replay.text)).toContain(`GW-4006: Replayed message: MessageId ${id} was already received at`);
    // and the other way round
    const second = withMessageId(uuid());
    expect((await fresh(`${other.url}/gateway/services/SID0960002`, second)).status).toBe(200);
    expect((await fresh(`${gw.url}/gateway/services/SID0960002`, second)).status).toBe(500);

    // /metrics reaches one worker and answers for both: 8 exchanges went to the two workers, in turn
    const metrics = (await fresh(`${gw.url}/metrics`)).text;
    const counted = [...metrics.matchAll(/^smev2_requests_total\{[^}]*sid="SID0960002"[^}]*\} (\d+)$/gm)].reduce((a, m) => a + Number(m[1]), 0);
    expect(counted).toBe(8);
    expect(metrics).toMatch(/^smev2_outbox_items\{status="pending"\} 0$/m); // read from the store, once, not added up
  }, 90000);
});
