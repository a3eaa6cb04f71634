// The emulated providers' state lives in the store (issue 15, item 3): the bundled asynchronous
// fixtures (SID0003456, SID0003564) replayed 100 times with the real `replay` CLI through
// `start --workers 2` and through two gateway instances on one store (this pass's: one SQLite
// file, or one PostgreSQL database), every leg answered by whichever process gets it. Each chain
// must end as its case says, with exactly its case's number of PROCESS answers, whichever process
// answered which PING; and a case's scripted failures ("fails its first 3 calls") are counted once
// for all processes.
import http from 'node:http';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { startGateway, runCli, type GatewayProcess } from './support/gateway';
import { demoServices } from './support/demo';
import { ROOT } from './support/paths';
import { STORE_NAME, sql } from './support/store';
import { ECHO_BUNDLE, echoDefinition } from './support/registry';

const RUNS = 100;
const ASYNC_SIDS = ['SID0003456', 'SID0003564'];
const SCRIPTED = 'SID0970001';
const FAIL_FIRST = 3;
const UNKNOWN_CHAIN = 'Запрос с таким origRequestIdRef не найден!';

/** The emulated asynchronous fixture cases and the chain of statuses each must give, PROCESS counted. */
const CASES = demoServices().filter((s) => ASYNC_SIDS.includes(s.sid)).flatMap((s) => s.cases.filter((c) => c.ping).map((c) => ({
  sid: s.sid,
  name: c.name,
  dir: c.dir,
  processPolls: c.processPolls,
  chain: ['ACCEPT', ...Array<string>(c.processPolls).fill('PROCESS'), c.finalStatus],
  request: readFileSync(join(c.dir, 'request.xml')),
})));

const field = (xml: string, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]*)</`).exec(xml)?.[1];

/**
 * A registry of the two demo asynchronous SIDs (their service.yaml as bundled, cases read from
 * fixtures/) and a synchronous emulated SID whose one case fails with HTTP 500 for its first calls.
 */
function registry(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-emustate-registry-'));
  for (const sid of ASYNC_SIDS) {
    cpSync(join(ROOT, 'wsdl', sid), join(dir, sid), { recursive: true });
    const def = parse(readFileSync(join(dir, sid, 'service.yaml'), 'utf8'));
    def.adapter.cases = join(ROOT, 'fixtures', sid);
    writeFileSync(join(dir, sid, 'service.yaml'), stringify(def));
  }
  cpSync(ECHO_BUNDLE, join(dir, SCRIPTED), { recursive: true });
  writeFileSync(join(dir, SCRIPTED, 'service.yaml'), stringify(echoDefinition(SCRIPTED, { type: 'emulator', cases: 'cases' })));
  const caseDir = join(dir, SCRIPTED, 'cases', 'down-first');
  mkdirSync(caseDir, { recursive: true });
  writeFileSync(join(caseDir, 'case.yaml'), `match: {}\nbehaviour:\n  failure: http500\n  failFirst: ${FAIL_FIRST}\n`);
  writeFileSync(join(caseDir, 'answer.xml'), readFileSync(join(ECHO_BUNDLE, 'answer.xml')));
  return dir;
}

/**
 * The fixture cases RUNS times over (run-001/SID…/case …), each told the exact chain it must give
 * (`expect:`), so replay itself fails a chain with one PROCESS too many or too few.
 */
function copies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-emustate-cases-'));
  for (let i = 1; i <= RUNS; i++) {
    for (const c of CASES) {
      const to = join(dir, `run-${String(i).padStart(3, '0')}`, c.sid, c.name);
      cpSync(c.dir, to, { recursive: true });
      writeFileSync(join(to, 'case.yaml'), `${readFileSync(join(c.dir, 'case.yaml'), 'utf8')}\nexpect: [${c.chain.join(', ')}]\n`);
    }
  }
  return dir;
}

/**
 * Which process answered each exchange of a SID (all SIDs: none given), from the gateways' JSON
 * logs: a worker of `--workers` by its pid (its log lines name it), an instance by its own pid.
 */
function answeredBy(gws: GatewayProcess[], sid?: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const gw of gws) {
    for (const line of gw.logs().split('\n')) {
      if (!line.includes('"msg":"exchange"')) continue;
      const j = JSON.parse(line) as { exchange: string; pid?: number; sid?: string };
      if (!sid || j.sid === sid) out.set(j.exchange, j.pid ?? gw.child.pid!);
    }
  }
  return out;
}

/** The pids of a `start --workers` gateway's workers, as its start line names them. */
function workerPids(gw: GatewayProcess): number[] {
  const line = gw.logs().split('\n').find((l) => l.includes('"msg":"every worker listening"'));
  const pids = line ? (JSON.parse(line) as { pids: number[] }).pids : [];
  expect(pids).toHaveLength(2);
  return [...pids].sort();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The pids of the exchanges the journal holds, once every one of them is in the logs (a line may trail its answer). */
async function pidsOfJournal(db: string, gws: GatewayProcess[]): Promise<Map<string, number>> {
  const ids = (await sql<{ exchange_id: string }>(db, "SELECT DISTINCT exchange_id FROM journal WHERE direction = 'gateway->consumer'")).map((r) => r.exchange_id);
  const end = Date.now() + 15_000;
  for (;;) {
    const by = answeredBy(gws);
    const missing = ids.filter((id) => !by.has(id));
    if (!missing.length) return by;
    if (Date.now() > end) throw new Error(`${missing.length} exchanges of the journal are not in the gateways' logs, e.g. ${missing[0]}`);
    await sleep(100);
  }
}

/** Replay the copies; every case passes with its exact chain. */
async function replayAll(target: string, cases: string): Promise<void> {
  const r = await runCli(['replay', cases, '--target', target, '--poll-interval', '20', '--concurrency', '16', '--timeout', '60']);
  const total = RUNS * CASES.length;
  if (r.code !== 0) throw new Error(`replay failed (exit ${r.code}):\n${r.stderr}\n${r.stdout.split('\n').filter((l) => !/\sPASS\s/.test(l)).slice(0, 60).join('\n')}`);
  expect(r.stdout).toContain(`${total} cases: ${total} passed, 0 failed`);
  for (const c of CASES) {
    const lines = r.stdout.split('\n').filter((l) => new RegExp(`^${c.sid}\\s+${c.name}\\s`).test(l));
    expect(lines).toHaveLength(RUNS);
    for (const l of lines) expect(l).toMatch(new RegExp(`^${c.sid}\\s+${c.name}\\s+PASS\\s+${c.chain.join(' ')}\\s`));
  }
}

/**
 * Every chain the journal holds, as the consumer got it: its case (by the REQUEST's SHA-256), the
 * statuses of the answers in order, and the process that gave each.
 */
async function chainsInJournal(db: string, pids: Map<string, number>) {
  const rows = await sql<{ exchange_id: string; chain_id: string; direction: string; status: string | null; sha256: string; sid: string }>(db,
    `SELECT exchange_id, chain_id, direction, status, sha256, sid FROM journal
     WHERE sid IN (?, ?) AND direction IN ('consumer->gateway', 'gateway->consumer') ORDER BY id`, ASYNC_SIDS);
  const bySha = new Map(CASES.map((c) => [createHash('sha256').update(c.request).digest('hex'), c]));
  const chains = new Map<string, { case?: (typeof CASES)[number]; statuses: string[]; pids: number[] }>();
  for (const r of rows) {
    const ch = chains.get(r.chain_id) ?? { statuses: [], pids: [] };
    chains.set(r.chain_id, ch);
    if (r.direction === 'consumer->gateway') {
      if (r.status === 'REQUEST') ch.case = bySha.get(r.sha256.trim());
      continue;
    }
    ch.statuses.push(r.status ?? 'FAULT');
    ch.pids.push(pids.get(r.exchange_id)!);
  }
  return [...chains.values()];
}

/** The journal's chains: each of its case's exact statuses; PROCESS legs answered by more than one process. */
async function expectChains(db: string, pids: Map<string, number>, processes: number[]): Promise<void> {
  const chains = await chainsInJournal(db, pids);
  expect(chains).toHaveLength(RUNS * CASES.length);
  for (const c of CASES) {
    const mine = chains.filter((ch) => ch.case === c);
    expect(mine).toHaveLength(RUNS);
    // PROCESS counts are the same whichever process answered: each chain exactly its case's
    expect(new Set(mine.map((ch) => ch.statuses.join(' ')))).toEqual(new Set([c.chain.join(' ')]));
  }
  expect(chains.every((ch) => ch.pids.every((p) => processes.includes(p)))).toBe(true);
  // legs of one chain did land on different processes (a PING on another process than its ACCEPT)
  const crossing = chains.filter((ch) => new Set(ch.pids).size > 1);
  expect(crossing.length).toBeGreaterThan(0);
  const processAnswers = chains.flatMap((ch) => ch.statuses.map((s, i) => ({ s, pid: ch.pids[i]! }))).filter((x) => x.s === 'PROCESS');
  expect(processAnswers).toHaveLength(RUNS * CASES.reduce((n, c) => n + c.processPolls, 0));
  for (const pid of processes) expect(processAnswers.some((x) => x.pid === pid)).toBe(true);
}

/** One request on a connection of its own (no keep-alive): each lands where the balancer puts a new connection. */
function fresh(url: string, body: Buffer | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': 'text/xml; charset=utf-8' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** The scripted case fails its first FAIL_FIRST calls in all, not per process, then answers. */
async function expectScriptCountedOnce(url: string, gws: GatewayProcess[], processes: number[]): Promise<void> {
  const request = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
  const statuses: number[] = [];
  for (let i = 0; i < FAIL_FIRST * 2 + 2; i++) {
    const r = await fresh(`${url}/gateway/services/${SCRIPTED}`, request);
    statuses.push(r.status);
    if (r.status === 200) expect(field(r.text, 'Status')).toBe('RESULT');
    else expect(r.text).toContain('GW-2003: The provider answer is not a SOAP envelope (HTTP 500)');
  }
  expect(statuses).toEqual([...Array<number>(FAIL_FIRST).fill(500), ...Array<number>(FAIL_FIRST + 2).fill(200)]);
  // both processes counted calls of the case
  let answered = new Set<number>();
  for (const end = Date.now() + 15_000; answered.size < processes.length && Date.now() < end; await sleep(100)) {
    answered = new Set(answeredBy(gws, SCRIPTED).values());
  }
  expect([...answered].sort()).toEqual([...processes].sort());
}

/**
 * A balancer that sends each leg of a chain to the other instance than its previous leg: a
 * REQUEST to the instances in turn, each PING of its chain (by OriginRequestIdRef) to the
 * instance that did not answer the chain's last leg. Anything else goes to them in turn.
 */
function alternatingBalancer(targets: string[]): Promise<{ url: string; close: () => Promise<void>; legs: number[] }> {
  let turn = 0;
  const last = new Map<string, number>();
  const agents = targets.map(() => new http.Agent({ keepAlive: true }));
  const legs = targets.map(() => 0);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const text = body.toString();
      const origin = field(text, 'OriginRequestIdRef')?.toUpperCase();
      const to = origin && last.has(origin) ? (last.get(origin)! + 1) % targets.length : turn++ % targets.length;
      legs[to]!++;
      const send = (retry: boolean) => {
        const up = http.request(`${targets[to]}${req.url}`, { method: req.method, agent: agents[to], headers: { 'content-type': req.headers['content-type'] ?? 'text/xml', soapaction: req.headers.soapaction ?? '' } }, (r) => {
          const out: Buffer[] = [];
          r.on('data', (c) => out.push(c));
          r.on('end', () => {
            const answer = Buffer.concat(out);
            const chain = (origin ?? field(answer.toString(), 'OriginRequestIdRef'))?.toUpperCase();
            if (chain) last.set(chain, to);
            res.writeHead(r.statusCode!, { 'content-type': r.headers['content-type'] ?? 'text/xml' }).end(answer);
          });
        });
        // a kept-alive connection the instance closed as it was reused: nothing was read, send it again
        // on a new one (node's documented pattern, request.reusedSocket), as a proxy would
        up.on('error', (e: NodeJS.ErrnoException) => (retry && up.reusedSocket && e.code === 'ECONNRESET' ? send(false) : res.writeHead(502).end(String(e))));
        up.end(body);
      };
      send(true);
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    legs,
    close: () => new Promise<void>((r) => {
      for (const a of agents) a.destroy();
      server.closeAllConnections();
      server.close(() => r());
    }),
  })));
}

describe(`emulated asynchronous chains and script counters in the store, on ${STORE_NAME}`, () => {
  let services: string;
  let cases: string;
  beforeAll(() => {
    expect(CASES.map((c) => `${c.sid}/${c.name}`)).toEqual(['SID0003456/business-error', 'SID0003456/found', 'SID0003456/not-found', 'SID0003564/business-error', 'SID0003564/found', 'SID0003564/found-transfer', 'SID0003564/not-found']);
    services = registry();
    cases = copies();
  });

  describe('start --workers 2', () => {
    let gw: GatewayProcess;
    beforeAll(async () => {
      gw = await startGateway({ services, args: ['--workers', '2', '--log-format', 'json'] });
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    test(`the asynchronous fixtures ${RUNS} times: every chain passes with its case's PROCESS count, whichever worker answers each leg`, async () => {
      await replayAll(gw.url, cases);
      const by = await pidsOfJournal(gw.db, [gw]);
      expect([...new Set(by.values())].sort()).toEqual(workerPids(gw));
      await expectChains(gw.db, by, workerPids(gw));
      expect(gw.logs()).not.toContain(UNKNOWN_CHAIN);
    }, 240_000);

    test(`a case failing its first ${FAIL_FIRST} calls fails ${FAIL_FIRST} calls in all, not per worker`, async () => {
      await expectScriptCountedOnce(gw.url, [gw], workerPids(gw));
    }, 60_000);
  });

  describe('two instances on one store', () => {
    let a: GatewayProcess;
    let b: GatewayProcess;
    let lb: Awaited<ReturnType<typeof alternatingBalancer>>;
    beforeAll(async () => {
      a = await startGateway({ services, args: ['--log-format', 'json'] });
      b = await startGateway({ services, args: ['--log-format', 'json'], db: a.db, keys: a.keys });
      lb = await alternatingBalancer([a.url, b.url]);
    }, 60_000);
    afterAll(async () => {
      await lb?.close();
      await b?.stop();
      await a?.stop();
    });

    test(`the asynchronous fixtures ${RUNS} times, each leg on the other instance than the last: every chain passes with its case's PROCESS count`, async () => {
      await replayAll(lb.url, cases);
      const pids = [a.child.pid!, b.child.pid!];
      const by = await pidsOfJournal(a.db, [a, b]);
      const chains = await chainsInJournal(a.db, by);
      // the balancer put every leg on the other instance than its chain's leg before
      for (const ch of chains) ch.pids.slice(1).forEach((p, i) => expect(p).not.toBe(ch.pids[i]));
      await expectChains(a.db, by, pids);
      expect(a.logs() + b.logs()).not.toContain(UNKNOWN_CHAIN);
    }, 240_000);

    test(`a case failing its first ${FAIL_FIRST} calls fails ${FAIL_FIRST} calls in all, not per instance`, async () => {
      await expectScriptCountedOnce(lb.url, [a, b], [a.child.pid!, b.child.pid!]);
    }, 60_000);
  });

  describe('chains expire', () => {
    let gw: GatewayProcess;
    const TTL_S = 1;
    beforeAll(async () => {
      gw = await startGateway({ services, args: ['--log-format', 'json'], env: { SMEV2_EMULATOR_CHAIN_TTL_S: String(TTL_S) } });
    }, 60_000);
    afterAll(async () => {
      await gw?.stop();
    });

    test('a PING after SMEV2_EMULATOR_CHAIN_TTL_S gets the unknown-chain INVALID; the next REQUEST purges the expired chain from the store', async () => {
      const found = CASES.find((c) => c.sid === 'SID0003456' && c.name === 'found')!;
      const url = `${gw.url}/gateway/services/${found.sid}`;
      const ping = (origin: string) => readFileSync(join(found.dir, 'ping.xml'), 'utf8').replace('00000000-0000-0000-0000-000000000000', origin);
      const accept = await fresh(url, found.request);
      expect(field(accept.text, 'Status')).toBe('ACCEPT');
      const origin = field(accept.text, 'OriginRequestIdRef')!;
      expect(field((await fresh(url, ping(origin))).text, 'Status')).toBe('PROCESS');
      // the chain, under its origin and under accept.xml's ticket
      expect((await sql(gw.db, 'SELECT key FROM emulator_chains WHERE origin = ?', [origin])).length).toBe(2);
      await sleep(TTL_S * 1000 + 100); // the time to expire is what is tested
      const late = await fresh(url, ping(origin));
      expect(field(late.text, 'Status')).toBe('INVALID');
      expect(late.text).toContain(UNKNOWN_CHAIN);
      const next = await fresh(url, found.request);
      expect(field(next.text, 'Status')).toBe('ACCEPT');
      expect(await sql(gw.db, 'SELECT key FROM emulator_chains WHERE origin = ?', [origin])).toEqual([]);
      expect((await sql(gw.db, 'SELECT key FROM emulator_chains WHERE origin = ?', [field(next.text, 'OriginRequestIdRef')!])).length).toBe(2);
    }, 60_000);
  });
});
