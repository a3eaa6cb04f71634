// `npm run bench:mocks`: issue 20 item 5, the gateway against the mocks testers use. In one run,
// on loopback: the gateway as shipped (`bin/smev2-gateway.js start`, the demo registry wsdl/ and
// systems/, a fresh SQLite store, its own demo keys, npm start's MALLOC_MMAP_THRESHOLD_) serving
// the demo SID0003623, and Mockoon CLI and mountebank (bench/mocks/, installed there if missing)
// each serving statically the answer the gateway gave to the same request, written at run time.
// autocannon sends all three the fixture's request fixtures/SID0003623/found/request.xml as
// shipped, as a tester's CI replays it: unsigned, so the demo SID (`signature: report`) passes it
// and journals the verdict, and the replay guard has nothing to remember it by (no signature, no
// MessageId) and lets every copy through. Rounds interleaved (Mockoon, mountebank, gateway, …),
// 32 connections, 8 s each. Every gateway answer is checked for the node's and the provider's
// signature blocks, every mock answer for being the captured answer byte for byte, and the
// gateway's journal for four legs per exchange. Printed, and appended to bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ROOT } from './support/fixtures';
import { launchGateway, publish, cleanUp, runBench, type Launched } from './support/launch';
import { freePort, track, stopAllOnExit } from './support/services';
import { CpuMeter, childPids, cpuModel, wholeOption } from './support/proc';
import { ensureMocksInstalled, mocksRequire, bin, closedLoop, HEADERS, type CannonResult } from './support/cannon';
import { fmt, targetsTable, type Target } from './support/report';

const HELP = `npm run bench:mocks -- [options]

  --rounds N       interleaved rounds per server (default 3)
  --seconds S      seconds of load per round (default 8)
  --conns N        autocannon connections (default 32)
  --workers N      start the gateway with --workers N (default: not given, as shipped: one process per core)
  --no-append      print the report only; do not append it to bench/RESULTS.md
  --keep           keep the throw-away folder (store, configurations, logs)
`;

const { values: opt } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    conns: { type: 'string', default: '32' },
    workers: { type: 'string', default: '' },
    'no-append': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const whole = wholeOption(HELP, 1);
const ROUNDS = whole('rounds', opt.rounds);
const SECONDS = whole('seconds', opt.seconds);
const CONNS = whole('conns', opt.conns);
const WORKERS = opt.workers ? whole('workers', opt.workers) : undefined;
const SID = 'SID0003623';
const PATH = `/gateway/services/${SID}`;
const REQUEST = readFileSync(join(ROOT, 'fixtures', SID, 'found', 'request.xml'));
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const LEGS = ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer'];

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Server { name: string; pid: number; url: string; stop: () => Promise<void> }

/** An answer of the gateway as the consumer gets it: a RESULT with the node's and the provider's signature blocks. */
export function signedByNodeAndProvider(xml: string): boolean {
  return /<(\w+:)?Status>RESULT<\//.test(xml) && (xml.match(/<wsse:Security /g) ?? []).length === 2 && xml.includes('wsu:Id="NodeCertificate-') && xml.includes('wsu:Id="SenderCertificate-');
}

async function post(url: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body: REQUEST, headers: HEADERS });
  return { status: res.status, text: await res.text() };
}

function startGateway(dir: string): Promise<Launched> {
  const args = ['bin/smev2-gateway.js', 'start', '--port', '0', '--host', '127.0.0.1', '--db', `sqlite:${join(dir, 'journal.sqlite')}`,
    '--keys', join(dir, 'keys'), '--services', join(ROOT, 'wsdl'), '--systems', join(ROOT, 'systems'), ...(WORKERS ? ['--workers', String(WORKERS)] : [])];
  // as `npm start`; LOG_LEVEL stays the default (info: a line per exchange), launchGateway reads the port from the JSON log
  return launchGateway({ cwd: ROOT, args, env: { MALLOC_MMAP_THRESHOLD_: '32768' }, logFile: join(dir, 'gateway.log') });
}

/** A child process that serves on `port`, up once `url` answers the request. */
async function startChild(name: string, args: string[], url: string, dir: string): Promise<Server> {
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const t = track(child);
  const end = Date.now() + 60_000;
  for (;;) {
    if (!t.alive()) throw new Error(`${name} exited at start:\n${t.output().slice(-3000)}`);
    try {
      const r = await post(url);
      if (r.status === 200) break;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${name} did not answer in 60 s:\n${t.output().slice(-3000)}`);
    await sleep(200);
  }
  return {
    name, pid: child.pid!, url,
    async stop() {
      if (!t.alive()) return;
      child.kill('SIGTERM');
      const k = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await t.exited;
      clearTimeout(k);
    },
  };
}

interface MockoonCommons {
  BuildEnvironment: (p: { hasDefaultRoute: boolean; hasContentTypeHeader: boolean; hasCorsHeaders: boolean; port?: number }) => Record<string, unknown> & { routes: unknown[]; rootChildren: unknown[] };
  BuildHTTPRoute: (withResponse: boolean, o: { endpoint: string; body: string }) => Record<string, unknown> & { uuid: string; responses: Record<string, unknown>[] };
  BuildHeader: (k: string, v: string) => unknown;
}

/** Mockoon CLI with one environment written now: one POST route answering `answer` as is (templating off). */
async function startMockoon(dir: string, answer: string): Promise<Server> {
  const port = await freePort();
  const c = mocksRequire('@mockoon/commons') as MockoonCommons;
  const env = c.BuildEnvironment({ hasDefaultRoute: false, hasContentTypeHeader: false, hasCorsHeaders: false, port });
  env.name = `smev2-gateway bench: ${SID} found`;
  env.hostname = '127.0.0.1';
  const route = c.BuildHTTPRoute(true, { endpoint: PATH.slice(1), body: answer });
  route.method = 'post';
  route.responses[0]!.headers = [c.BuildHeader('Content-Type', HEADERS['content-type'])];
  route.responses[0]!.disableTemplating = true;
  env.routes.push(route);
  env.rootChildren.push({ type: 'route', uuid: route.uuid });
  const file = join(dir, 'mockoon.json');
  writeFileSync(file, JSON.stringify(env, null, 2));
  return startChild('Mockoon CLI', [bin('@mockoon/cli/bin/run.js'), 'start', '--data', file, '--port', String(port), '--hostname', '127.0.0.1', '--disable-log-to-file', '--disable-admin-api'],
    `http://127.0.0.1:${port}${PATH}`, dir);
}

/** mountebank with one imposter written now: one stub for POST to the SID's path, answering `answer`. */
async function startMountebank(dir: string, answer: string): Promise<Server> {
  const [api, port] = [await freePort(), await freePort()];
  const file = join(dir, 'imposters.json');
  writeFileSync(file, JSON.stringify({
    imposters: [{
      protocol: 'http', port, name: `smev2-gateway bench: ${SID} found`, recordRequests: false,
      // mountebank answers `Connection: close` by default: a new connection per request, which
      // autocannon times from before the reconnect (p50 ~850 ms at 1,650 req/s on 32 connections,
      // against Little's law's ~20 ms). Keep-alive, as Mockoon and the gateway answer.
      defaultResponse: { headers: { Connection: 'keep-alive' } },
      stubs: [{ predicates: [{ equals: { method: 'POST', path: PATH } }], responses: [{ is: { statusCode: 200, headers: { 'Content-Type': HEADERS['content-type'], Connection: 'keep-alive' }, body: answer } }] }],
    }],
  }, null, 2));
  return startChild('mountebank', [bin('mountebank/bin/mb'), 'start', '--port', String(api), '--configfile', file, '--localOnly', '--nologfile', '--loglevel', 'warn', '--pidfile', join(dir, 'mb.pid')],
    `http://127.0.0.1:${port}${PATH}`, dir);
}

/** Journal rows and exchanges so far, read from the gateway's SQLite store (read-only, beside the running gateway). */
function journal(db: string): { rows: number; exchanges: number; whole: number } {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const rows = (d.prepare('SELECT count(*) AS n FROM journal').get() as { n: number }).n;
    const exchanges = (d.prepare('SELECT count(DISTINCT exchange_id) AS n FROM journal').get() as { n: number }).n;
    const ph = LEGS.map(() => '?').join(', ');
    const whole = (d.prepare(`SELECT count(*) AS n FROM (SELECT exchange_id FROM journal WHERE direction IN (${ph}) GROUP BY exchange_id HAVING count(DISTINCT direction) = ${LEGS.length} AND count(*) = ${LEGS.length})`).get(...LEGS) as { n: number }).n;
    return { rows, exchanges, whole };
  } finally {
    d.close();
  }
}

/**
 * The journal once the exchanges sent so far are in it: until it holds `expect` exchanges, or has
 * not grown for 2 s (a request the gateway never read), at most 60 s. A closed-loop run ends with
 * its last requests still in the gateway, journaled after autocannon has stopped.
 */
async function settledJournal(db: string, expect: number): Promise<ReturnType<typeof journal>> {
  let last = journal(db);
  let still = 0;
  for (const end = Date.now() + 60_000; last.exchanges < expect && still < 2000 && Date.now() < end;) {
    await sleep(250);
    const now = journal(db);
    still = now.rows === last.rows ? still + 250 : 0;
    last = now;
  }
  return last;
}

interface RoundRow { server: string; round: number; r: CannonResult; cores: number; others: number }

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

async function main(): Promise<void> {
  ensureMocksInstalled(log);
  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-mocks-'));
  // interrupted: the gateway killed and the folder removed, then (stopAllOnExit) Mockoon and mountebank stopped
  process.once('SIGINT', () => cleanUp(work, opt.keep));
  process.once('SIGTERM', () => cleanUp(work, opt.keep));
  stopAllOnExit();
  const started = new Date();
  const servers: Server[] = [];
  try {
    log('starting the gateway as shipped (demo registry, fresh store and keys) …');
    const gw = await startGateway(work);
    const db = join(work, 'journal.sqlite');
    const gwUrl = `http://127.0.0.1:${gw.port}${PATH}`;
    const first = await post(gwUrl);
    if (first.status !== 200 || !signedByNodeAndProvider(first.text)) throw new Error(`the gateway's answer to the fixture is not a RESULT signed by the node and the provider (HTTP ${first.status}):\n${first.text.slice(0, 1500)}`);
    const answer = first.text;
    log(`the gateway answered a RESULT of ${Buffer.byteLength(answer)} bytes, signed by the node and the provider: the mocks serve that answer`);
    const mockoon = await startMockoon(work, answer);
    const mb = await startMountebank(work, answer);
    servers.push(mockoon, mb, { name: 'gateway', pid: gw.pid, url: gwUrl, stop: gw.stop });
    for (const s of [mockoon, mb]) {
      const r = await post(s.url);
      if (r.text !== answer) throw new Error(`${s.name} does not serve the gateway's answer byte for byte`);
    }
    const sameAnswer = (body: string) => body === answer;
    // warm-up: each server 2 s (JIT, the gateway's first exchanges)
    let warmSent = 0;
    for (const s of servers) {
      const w = await closedLoop({ url: s.url, body: REQUEST }, CONNS, 2);
      if (s.name === 'gateway') warmSent = w.sent;
    }
    const j0 = await settledJournal(db, 1 + warmSent);
    const rows: RoundRow[] = [];
    let gwAnswered = 0;
    let gwSent = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // interleaved, the order turned each round so no server always follows the same one
      const order = round % 2 ? servers : [...servers].reverse();
      for (const s of order) {
        log(`round ${round}/${ROUNDS}: ${s.name}, ${CONNS} connections, ${SECONDS} s …`);
        // the gateway's cores: its process and, with --workers, its workers
        const pids = [s.pid, ...(s.name === 'gateway' ? childPids(s.pid) : [])];
        const cpu = new CpuMeter(pids);
        const r = await closedLoop({ url: s.url, body: REQUEST, verify: s.name === 'gateway' ? signedByNodeAndProvider : sameAnswer }, CONNS, SECONDS);
        const c = cpu.stop();
        rows.push({ server: s.name, round, r, cores: pids.reduce((a, p) => a + (c.cores.get(p) ?? 0), 0), others: c.others });
        if (s.name === 'gateway') { gwAnswered += r.answered; gwSent += r.sent; }
        log(`  ${fmt.f0(r.rps)} req/s, p50 ${fmt.f1(r.p50Ms)} ms, p99 ${fmt.f1(r.p99Ms)} ms, errors ${r.errors}, non-2xx ${r.non2xx}, refused by the check ${r.mismatches}`);
      }
    }
    const j1 = await settledJournal(db, j0.exchanges + gwSent);
    const legs = j1.rows - j0.rows;
    const exchanges = j1.exchanges - j0.exchanges;
    const whole = j1.whole - j0.whole;
    if (!gw.alive()) throw new Error(`the gateway exited during the run:\n${gw.logs().slice(-3000)}`);

    const by = (name: string) => rows.filter((x) => x.server === name);
    const med = (name: string, f: (r: CannonResult) => number) => median(by(name).map((x) => f(x.r)));
    const ratioRps = med('gateway', (r) => r.rps) / med('Mockoon CLI', (r) => r.rps);
    const ratioP99 = med('gateway', (r) => r.p99Ms) / med('Mockoon CLI', (r) => r.p99Ms);
    // per round: the gateway against the Mockoon round next to it
    const perRound = [...Array(ROUNDS).keys()].map((i) => {
      const g = by('gateway')[i]!.r;
      const m = by('Mockoon CLI')[i]!.r;
      return { rps: g.rps / m.rps, p99: g.p99Ms / m.p99Ms };
    });
    const gwRows = by('gateway');
    const mismatches = gwRows.reduce((a, x) => a + x.r.mismatches, 0);
    const gwOk = gwRows.reduce((a, x) => a + x.r.answered - x.r.non2xx, 0);
    const journaledAll = legs === LEGS.length * exchanges && whole === exchanges && exchanges >= gwAnswered && exchanges <= gwSent;
    const targets: Target[] = [
      { what: 'gateway ≥ 50 % of Mockoon\'s rate (median of the rounds)', measured: `${fmt.f0(med('gateway', (r) => r.rps))} / ${fmt.f0(med('Mockoon CLI', (r) => r.rps))} req/s = ${fmt.pct(ratioRps)} (rounds: ${perRound.map((p) => fmt.pct(p.rps)).join(', ')})`, met: ratioRps >= 0.5 },
      { what: 'gateway p99 ≤ 3× Mockoon\'s (median of the rounds)', measured: `${fmt.f1(med('gateway', (r) => r.p99Ms))} / ${fmt.f1(med('Mockoon CLI', (r) => r.p99Ms))} ms = ${fmt.f1(ratioP99)}× (rounds: ${perRound.map((p) => `${fmt.f1(p.p99)}×`).join(', ')})`, met: ratioP99 <= 3 },
      { what: 'while journaling every leg', measured: `${fmt.f0(legs)} journal rows for ${fmt.f0(exchanges)} exchanges, ${fmt.f0(whole)} of them with all four legs; autocannon had ${fmt.f0(gwAnswered)} answers of ${fmt.f0(gwSent)} sent`, met: journaledAll },
      { what: 'and signing as the node and the provider', measured: `${fmt.f0(gwOk - mismatches)} of ${fmt.f0(gwOk)} 2xx answers carried the node's and the provider's signature blocks`, met: mismatches === 0 && gwOk > 0 },
    ];
    const table = [
      '| round | server | req/s | p50 ms | p99 ms | max ms | without each connection\'s first answer: p50 / p99 ms | slowest first answer ms | errors | answers refused by the check | CPU cores: server / others |',
      '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      ...rows.map((x) => `| ${x.round} | ${x.server} | ${fmt.f0(x.r.rps)} | ${fmt.f1(x.r.p50Ms)} | ${fmt.f1(x.r.p99Ms)} | ${fmt.f0(x.r.maxMs)} | ` +
        `${fmt.f1(x.r.warm!.p50Ms)} / ${fmt.f1(x.r.warm!.p99Ms)} | ${fmt.f0(x.r.warm!.firstMaxMs)} | ${x.r.errors + x.r.non2xx} | ${x.r.mismatches} | ${fmt.f2(x.cores)} / ${fmt.f2(x.others)} |`),
    ].join('\n');
    const summary = [
      '| server | req/s, median (min–max) | p99 ms, median (min–max) | ÷ Mockoon: req/s | ÷ Mockoon: p99 | p99 without each connection\'s first answer, median ms (÷ Mockoon) |',
      '|---|---:|---:|---:|---:|---:|',
      ...['Mockoon CLI', 'mountebank', 'gateway'].map((n) => {
        const rps = by(n).map((x) => x.r.rps);
        const p99 = by(n).map((x) => x.r.p99Ms);
        return `| ${n} | ${fmt.f0(median(rps))} (${fmt.f0(Math.min(...rps))}–${fmt.f0(Math.max(...rps))}) | ${fmt.f1(median(p99))} (${fmt.f1(Math.min(...p99))}–${fmt.f1(Math.max(...p99))}) | ` +
          `${fmt.pct(median(rps) / med('Mockoon CLI', (r) => r.rps))} | ${fmt.f1(median(p99) / med('Mockoon CLI', (r) => r.p99Ms))}× | ` +
          `${fmt.f1(med(n, (r) => r.warm!.p99Ms))} (${fmt.f1(med(n, (r) => r.warm!.p99Ms) / med('Mockoon CLI', (r) => r.warm!.p99Ms))}×) |`;
      }),
    ].join('\n');
    const versions = ['@mockoon/cli', 'mountebank', 'autocannon'].map((p) => `${p} ${(mocksRequire(`${p}/package.json`) as { version: string }).version}`).join(', ');
    const report = [
      `## Against the mocks testers use (\`npm run bench:mocks\`), ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      `${cpus().length} × ${cpuModel()}; node ${process.version}; ${versions}; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')} ` +
      `(other work shares the machine: the "others" column; ratios of the same run are what count). ` +
      `The gateway ${WORKERS ? `with \`--workers ${WORKERS}\`` : 'as shipped (no --workers: one process per core)'}. The fixture's request (${REQUEST.length} bytes, unsigned, as shipped) to ${SID}, ${CONNS} connections, ${SECONDS} s per round after 2 s of warm-up each, ` +
      `${ROUNDS} interleaved rounds (order reversed every other round); autocannon in the bench's process. ` +
      `Mockoon CLI and mountebank serve the gateway's own first answer (${Buffer.byteLength(answer)} bytes) statically (templating off in Mockoon; mountebank told to keep connections alive, its default being \`Connection: close\`); each of their answers was checked equal to it, each of the gateway's for a RESULT with the node's and the provider's signature blocks.`,
      '',
      summary,
      '',
      table,
      '',
      targetsTable(targets),
    ].join('\n');
    publish(report, RESULTS, !opt['no-append']);
  } finally {
    for (const s of servers) await s.stop().catch(() => undefined);
    cleanUp(work, opt.keep);
  }
}

runBench('bench:mocks', main);
