// The whole-pipeline benchmark (`npm run bench`, issue #9): everything on loopback, loaded with
// wrk at 1, 8, 32 and 128 connections with 5 KB and 100 KB envelopes, plus one 10 MB AppDocument,
// for (a) the bench provider called directly, (b) nginx proxy_pass in front of it, (c) the gateway
// with signature and control off, (d) the full pipeline with RSA-SHA256, (e) with GOST 2012-256,
// (f) guaranteed delivery (skipped while the gateway refuses `delivery: guaranteed`). Then the
// crypto-only line, the targets, a CPU profile of (d), and optionally a soak of (d). The report
// is printed and appended to bench/RESULTS.md. What each scenario is: bench/README.md.
import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadXml } from '../src/xml/libxml';
import {
  ROOT, SID, makeKeySet, makeSystems, makeRegistry, writeAnswers, makePool, writePool, bigRequest, type KeySet, type Pool, type Policy,
} from './support/fixtures';
import { startProvider, startNginx, startGateway, probeLatency, stopAllOnExit, GatewayRefused, type Service } from './support/services';
import { writeWrkScript, runWrk, type WrkResult } from './support/wrk';
import { PeakRss, CpuMeter, cpuMs, cpuModel, memory, machineBusyMs } from './support/proc';
import {
  TITLES, loadTable, bigTable, cryptoTable, scalingTable, targetsTable, bestRps, fmt, type ScenarioId, type Row, type BigRow, type CryptoLine, type Target,
} from './support/report';
import { summarizeFile } from './profile-summary';
import { runCryptoLine } from './support/crypto-line';

const MiB = 1024 * 1024;
const SIZES: Record<string, { bytes: number; pool: number }> = { '5k': { bytes: 5 * 1024, pool: 4000 }, '100k': { bytes: 100 * 1024, pool: 2000 } };
const ALL: ScenarioId[] = ['a', 'b', 'c', 'd', 'e', 'f'];
/** the replay guard refuses a signed request seen within the window; the pools cycle in a few seconds */
const REPLAY_WINDOW_S = '1';

const { values: opt } = parseArgs({
  options: {
    duration: { type: 'string', default: '6' },
    conns: { type: 'string', default: '1,8,32,128' },
    sizes: { type: 'string', default: '5k,100k' },
    only: { type: 'string', default: ALL.join(',') },
    workers: { type: 'string', default: '1,auto' },
    soak: { type: 'string', default: '0' },
    'big-mib': { type: 'string', default: '10' },
    'big-runs': { type: 'string', default: '3' },
    'no-big': { type: 'boolean', default: false },
    'no-profile': { type: 'boolean', default: false },
    'profile-of': { type: 'string', default: 'd' },
    'no-append': { type: 'boolean', default: false },
    results: { type: 'string', default: join(ROOT, 'bench', 'RESULTS.md') },
    keep: { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '60' },
    'quiet-budget': { type: 'string', default: '120' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const USAGE = `npm run bench -- [options]
  --duration S     seconds per wrk run (default 6)
  --conns LIST     connection counts (default 1,8,32,128)
  --sizes LIST     envelope sizes, of 5k,100k (default both)
  --only LIST      scenarios, of a,b,c,d,e,f (default all)
  --workers LIST   the gateway's --workers for (c) to (f), each in turn: whole numbers or auto (default 1,auto:
                   one process, then one per core, the default of a plain start); the profile is of the last
  --soak S         then run (d) for S seconds and watch its RSS (default 0: no soak; the issue's is 600)
  --big-mib N      size of the AppDocument (default 10); --big-runs N how many (default 3); --no-big
  --no-profile     skip the CPU profile of (d); --profile-of X profiles scenario X (c, d, e, f) instead
  --no-append      print the report only, do not append it to bench/RESULTS.md
  --results FILE   where to append (default bench/RESULTS.md)
  --keep           keep the work folder (keys, pools, journals, the .cpuprofile)
  --quiet-wait S   before each measurement wait up to S s for other work on the machine to stop (default 60),
  --quiet-budget S   and at most S s in all (default 120)
`;

const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let quietWaits = 0;
let quietTimeouts = 0;
let quietSpent = 0;

/**
 * Wait (up to --quiet-wait seconds, --quiet-budget in all) until the machine is idle apart from
 * us: other people's builds and tests on the same two cores would be measured as the gateway's
 * slowness. Our own processes are idle between runs, so the machine's busy time is theirs.
 */
async function waitQuiet(): Promise<void> {
  const budget = Number(opt['quiet-budget']) * 1000 - quietSpent;
  const limit = Math.max(0, Math.min(Number(opt['quiet-wait']) * 1000, budget)) / 1000;
  if (limit <= 0) return;
  const t0 = Date.now();
  const end = t0 + limit * 1000;
  let waited = false;
  for (;;) {
    const b0 = machineBusyMs();
    await sleep(500);
    const cores = (machineBusyMs() - b0) / 500;
    if (cores < 0.25) break;
    if (Date.now() > end) {
      log(`the machine stayed busy (${cores.toFixed(2)} cores used by others) for ${limit} s: measuring anyway`);
      quietTimeouts++;
      break;
    }
    if (!waited) log(`waiting for the machine to be quiet (${cores.toFixed(2)} cores busy with other work)`);
    waited = true;
  }
  if (waited) quietWaits++;
  quietSpent += Date.now() - t0;
}

function checkTools(): void {
  const missing = [['wrk', 'wrk'], ['nginx', 'nginx']].filter(([bin]) => spawnSync('sh', ['-c', `command -v ${bin} || test -x /usr/sbin/${bin}`]).status !== 0);
  if (missing.length) {
    log(`missing: ${missing.map(([bin, pkg]) => `${bin} (Debian package ${pkg})`).join(', ')}\ninstall: apt-get update && apt-get install -y ${missing.map(([, p]) => p).join(' ')}`);
    process.exit(1);
  }
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
    log('the gateway is not built: run `node scripts/build-if-needed.js` (npm run bench does it)');
    process.exit(1);
  }
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

function machine(): string {
  const commit = git(['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = git(['status', '--porcelain']);
  const wrk = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
  const nginx = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
  return `commit ${commit}${dirty ? ` + uncommitted changes (${dirty.split('\n').length} paths)` : ''}; ${cpus().length} × ${cpuModel()} (nproc ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()}); ` +
    `node ${process.version}; ${`${wrk.stdout}${wrk.stderr}`.split('\n')[0]?.split(' [')[0] ?? 'wrk'}; ${nginx.stderr.trim().replace('nginx version: ', '')}`;
}

interface Scenario {
  id: ScenarioId;
  keys: KeySet;
  front: 'provider' | 'nginx' | 'gateway';
  policy?: Policy;
  guaranteed?: boolean;
  /** the gateway's --workers (1: one process) */
  workers?: number;
}

/** The scenario's name in the report, with its workers when more than one. */
const title = (s: { id: ScenarioId; workers?: number }) => `${TITLES[s.id]}${(s.workers ?? 1) > 1 ? ` × ${s.workers} workers` : ''}`;

interface Fixtures {
  work: string;
  systems: string;
  answers: Map<KeySet, string>;
  pools: Map<KeySet, Map<string, { file: string; pool: Pool }>>;
  big: Map<KeySet, { bytes: Buffer; unsigned?: string }[]>;
  script: string;
}

interface Running {
  provider: Service;
  front?: Service;
  /** where wrk posts */
  url: string;
  /** the process under test */
  tested: Service;
  note?: string;
}

/** Start the scenario's processes; undefined (with why) when the build cannot run it. */
async function startScenario(s: Scenario, fx: Fixtures, extra: { nodeArgs?: string[] } = {}): Promise<Running | { skipped: string }> {
  const provider = await startProvider(fx.answers.get(s.keys)!);
  try {
    if (s.front === 'provider') return { provider, url: provider.url, tested: provider };
    if (s.front === 'nginx') {
      const nginx = await startNginx(join(fx.work, `nginx-${s.id}`), provider.url);
      return { provider, front: nginx, url: nginx.url, tested: nginx };
    }
    const deliveries: unknown[] = s.guaranteed ? [{ mode: 'guaranteed' }, 'guaranteed'] : [undefined];
    const refusals: string[] = [];
    for (const delivery of deliveries) {
      const tag = `${s.id}-${refusals.length}`;
      const registry = makeRegistry(join(fx.work, `registry-${tag}`), provider.url, s.policy!, delivery);
      mkdirSync(join(fx.work, `db-${tag}`), { recursive: true });
      try {
        const gw = await startGateway({
          services: registry, systems: fx.systems, keys: s.keys.dir, db: join(fx.work, `db-${tag}`, 'journal.sqlite'),
          env: { SMEV2_REPLAY_WINDOW_S: REPLAY_WINDOW_S }, nodeArgs: extra.nodeArgs, workers: s.workers,
        });
        return { provider, front: gw, url: `${gw.url}${SID}`, tested: gw, note: delivery === undefined ? undefined : `delivery: ${JSON.stringify(delivery)}` };
      } catch (e) {
        if (!(e instanceof GatewayRefused)) throw e;
        refusals.push(e.message.split('\n').find((l) => /delivery|registry|error/i.test(l))?.slice(0, 300) ?? e.message.slice(0, 300));
      }
    }
    await provider.stop();
    return { skipped: `not available in this build: the gateway refuses \`delivery: guaranteed\` (${refusals[refusals.length - 1]})` };
  } catch (e) {
    await provider.stop();
    throw e;
  }
}

async function stopScenario(r: Running): Promise<void> {
  await r.front?.stop();
  await r.provider.stop();
}

/** One request through the scenario, checked: a RESULT, and for (d)/(e) the node's and the provider's signature blocks. */
async function probe(s: Scenario, r: Running, body: Buffer): Promise<string | undefined> {
  const res = await fetch(r.url, { method: 'POST', body, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:test:echo:Echo"' } });
  const text = await res.text();
  if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 600)}`;
  if (!text.includes('EchoResponse')) return `no EchoResponse in the answer: ${text.slice(0, 600)}`;
  if (s.guaranteed && !/<[\w:]*Status>ACCEPT</.test(text)) return `guaranteed delivery should answer ACCEPT at once: ${text.slice(0, 600)}`;
  const blocks = (text.match(/<wsse:Security /g) ?? []).length;
  if ((s.id === 'd' || s.id === 'e') && blocks !== 2) return `expected the node's and the provider's Security blocks, found ${blocks}`;
  return undefined;
}

async function load(s: Scenario, r: Running, fx: Fixtures, size: string, conns: number, seconds: number): Promise<{ w: WrkResult; row: Row }> {
  const pool = fx.pools.get(s.keys)!.get(size)!;
  const ours = [r.provider.pid, ...(r.front ? [r.front.pid, ...r.front.measured()] : [])];
  const tested = r.tested.measured();
  const peak = new PeakRss(tested);
  const cpu = new CpuMeter([...new Set([...ours, ...tested])]);
  const calls0 = (await providerStats(r.provider)).requests;
  await probeLatency(r.tested); // starts the gateway's own count afresh
  let wrkPid = 0;
  let wrkCpu = 0;
  const wrkTimer = setInterval(() => { if (wrkPid) wrkCpu = Math.max(wrkCpu, cpuMs(wrkPid)); }, 50);
  const t0 = performance.now();
  const w = await runWrk({ script: fx.script, pool: pool.file, url: r.url, connections: conns, seconds, onStart: (pid) => (wrkPid = pid) });
  const wall = performance.now() - t0;
  clearInterval(wrkTimer);
  const c = cpu.stop();
  const mem = peak.stop();
  const calls = (await providerStats(r.provider)).requests - calls0;
  const inside = await probeLatency(r.tested);
  const wrkCores = wrkCpu / wall;
  const sum = (pids: number[]) => pids.reduce((a, p) => a + (c.cores.get(p) ?? 0), 0);
  const row: Row = {
    scenario: s.id, workers: s.workers ?? 1, size, conns, rps: w.rps, p50Ms: w.p50Ms, p99Ms: w.p99Ms, maxMs: w.maxMs,
    peakMiB: mem.reduce((a, m) => a + m.peak, 0) / MiB,
    cpuTarget: sum(tested), cpuOurs: sum([...c.cores.keys()]) + wrkCores, cpuOthers: Math.max(0, c.others - wrkCores),
    non2xx: w.non2xx, socketErrors: w.socketErrors, providerRps: calls / w.seconds,
    insideP50Ms: inside?.p50 ?? undefined, insideP99Ms: inside?.p99 ?? undefined,
  };
  return { w, row };
}

/** Seconds until the provider's call count stops growing (guaranteed delivery working off its backlog); at most 60. */
async function drain(p: Service): Promise<number> {
  const t0 = performance.now();
  let last = (await providerStats(p)).requests;
  let still = 0;
  while (still < 2000 && performance.now() - t0 < 60000) {
    await sleep(250);
    const now = (await providerStats(p)).requests;
    still = now === last ? still + 250 : 0;
    last = now;
  }
  return Math.max(0, (performance.now() - t0 - still) / 1000);
}

async function providerStats(p: Service): Promise<{ requests: number; bytes: number }> {
  const r = await fetch(p.url.replace('/provider', '/stats'));
  return (await r.json()) as { requests: number; bytes: number };
}

/**
 * The large AppDocument, `--big-runs` times one after another, on a fresh process: each must come
 * back answered and reach the provider whole (for guaranteed delivery, later). RSS: before the
 * first, the peak over all, and what stays two seconds after the last.
 */
async function bigDocument(s: Scenario, r: Running, fx: Fixtures): Promise<BigRow> {
  const docs = fx.big.get(s.keys)!;
  const latency: number[] = [];
  let status = '200';
  let ok = true;
  const peak = new PeakRss(r.tested.measured());
  for (const { bytes: body } of docs) {
    const before = await providerStats(r.provider);
    const t0 = performance.now();
    const res = await fetch(r.url, { method: 'POST', body, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:test:echo:Echo"' } });
    const text = await res.text();
    latency.push(performance.now() - t0);
    let after = await providerStats(r.provider);
    for (const end = Date.now() + 60000; after.bytes - before.bytes < body.length && Date.now() < end; after = await providerStats(r.provider)) await sleep(100);
    if (res.status !== 200 || !text.includes('EchoResponse')) {
      ok = false;
      status = `HTTP ${res.status}: ${/<faultstring>([\s\S]*?)<\/faultstring>/.exec(text)?.[1]?.slice(0, 200) ?? text.slice(0, 200)}`;
    } else if (after.bytes - before.bytes < body.length) {
      ok = false;
      status = `the provider got ${after.bytes - before.bytes} bytes, not the ${body.length} sent`;
    }
    await sleep(300);
  }
  await sleep(2000);
  const m = peak.stop();
  const sum = (f: (x: { start: number; peak: number; pid: number }) => number) => m.reduce((a, x) => a + f(x), 0) / MiB;
  const settled = r.tested.measured().reduce((a, pid) => a + (memory(pid)?.rss ?? 0), 0) / MiB;
  return { scenario: s.id, documentMiB: Number(opt['big-mib']), envelopeMiB: docs[0]!.bytes.length / MiB, ok, status, latencyMs: latency, startMiB: sum((x) => x.start), peakMiB: sum((x) => x.peak), settledMiB: settled };
}

function cryptoLine(keys: KeySet, fx: Fixtures, size: string): Promise<CryptoLine> {
  const dir = join(fx.work, `crypto-${keys.alg}-${size}`);
  mkdirSync(dir, { recursive: true });
  const p = fx.pools.get(keys)!.get(size)!.pool;
  writeFileSync(join(dir, 'request.xml'), Buffer.concat([p.heads[0]!, p.tail]));
  const answer = join(fx.answers.get(keys)!, size === '5k' ? 'answer-5k.xml' : 'answer-100k.xml');
  return runCryptoLine({ keys: keys.dir, systems: fx.systems, request: join(dir, 'request.xml'), answer }).then((j) => ({ alg: keys.alg as CryptoLine['alg'], size, ...j }));
}

async function main(): Promise<void> {
  if (opt.help) {
    process.stdout.write(USAGE);
    return;
  }
  checkTools();
  stopAllOnExit();
  const started = new Date();
  const seconds = Number(opt.duration);
  const connsList = opt.conns.split(',').map(Number);
  const sizes = opt.sizes.split(',').filter((s) => SIZES[s]);
  const only = new Set(opt.only.split(',') as ScenarioId[]);
  const soak = Number(opt.soak);
  const workersList = [...new Set(opt.workers.split(',').map((w) => (w.trim() === 'auto' ? availableParallelism() : Number(w))))];
  if (workersList.some((w) => !Number.isInteger(w) || w < 1)) {
    log(`--workers takes whole numbers from 1 or auto, got "${opt.workers}"`);
    process.exit(2);
  }
  await loadXml();

  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-'));
  log(`work folder ${work}`);
  const date = new Date().toISOString();
  const t0 = performance.now();
  const rsa = makeKeySet(join(work, 'keys-rsa'), 'rsa');
  const gost = makeKeySet(join(work, 'keys-gost'), 'gost2012-256');
  const fx: Fixtures = { work, systems: makeSystems(join(work, 'systems')), answers: new Map(), pools: new Map(), big: new Map(), script: writeWrkScript(work) };
  const sets = only.has('e') ? [rsa, gost] : [rsa];
  for (const k of sets) {
    const dir = join(work, `answers-${k.alg}`);
    writeAnswers(dir, k, date);
    fx.answers.set(k, dir);
    const pools = new Map<string, { file: string; pool: Pool }>();
    for (const size of sizes) {
      const pool = makePool(SIZES[size]!.pool, SIZES[size]!.bytes, k.consumer, date);
      const file = join(work, `pool-${k.alg}-${size}.bin`);
      writePool(file, pool);
      pools.set(size, { file, pool });
      log(`pool ${k.alg} ${size}: ${pool.heads.length} requests of ${pool.size} bytes, each signed`);
    }
    fx.pools.set(k, pools);
    if (!opt['no-big']) {
      const docs = Array.from({ length: Number(opt['big-runs']) }, (_, i) => bigRequest(Number(opt['big-mib']), k.consumer, date, `big-${i}`));
      fx.big.set(k, docs);
      if (docs[0]!.unsigned) log(`the ${opt['big-mib']} MiB AppDocument request goes unsigned (${k.alg}): this build cannot sign it: ${docs[0]!.unsigned}`);
    }
  }
  log(`fixtures ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  // the crypto line first, while nothing else of ours runs
  const crypto: CryptoLine[] = [];
  for (const k of sets) {
    if (!(k === rsa ? only.has('d') : only.has('e'))) continue;
    for (const size of sizes) {
      await waitQuiet();
      const c = await cryptoLine(k, fx, size);
      crypto.push(c);
      log(`crypto line ${k.alg} ${size}: ${fmt.f0(c.exchangeMicros)} µs per exchange, limit ${fmt.f0(c.limit)} req/s`);
    }
  }

  const scenarios: Scenario[] = [
    { id: 'a', keys: rsa, front: 'provider' },
    { id: 'b', keys: rsa, front: 'nginx' },
    { id: 'c', keys: rsa, front: 'gateway', policy: 'off' },
    { id: 'd', keys: rsa, front: 'gateway', policy: 'enforce' },
    { id: 'e', keys: gost, front: 'gateway', policy: 'enforce' },
    { id: 'f', keys: rsa, front: 'gateway', policy: 'enforce', guaranteed: true },
  ].filter((s) => only.has(s.id as ScenarioId)) as Scenario[];
  // each gateway scenario once per workers count, side by side
  const runs: Scenario[] = scenarios.flatMap((s) => (s.front === 'gateway' ? workersList.map((workers) => ({ ...s, workers })) : [s]));

  const rows: Row[] = [];
  const bigs: BigRow[] = [];
  const notes: string[] = [];
  for (const s of runs) {
    const r = await startScenario(s, fx);
    if ('skipped' in r) {
      notes.push(`${title(s)}: ${r.skipped}`);
      log(`${title(s)}: skipped, ${r.skipped}`);
      continue;
    }
    try {
      if (r.note) notes.push(`${title(s)}: started with ${r.note}`);
      const first = fx.pools.get(s.keys)!.get(sizes[0]!)!.pool;
      const bad = await probe(s, r, Buffer.concat([first.heads[first.heads.length - 1]!, first.tail]));
      if (bad) {
        notes.push(`${title(s)}: **the probe request failed**, not measured: ${bad}`);
        log(`${title(s)}: probe failed: ${bad}`);
        continue;
      }
      // warm-up (JIT, connection pools, the journal's first pages), not recorded
      for (const size of sizes) await runWrk({ script: fx.script, pool: fx.pools.get(s.keys)!.get(size)!.file, url: r.url, connections: 32, seconds: 2 });
      for (const size of sizes) {
        for (const conns of connsList) {
          await waitQuiet();
          const { row } = await load(s, r, fx, size, conns, seconds);
          rows.push(row);
          if (s.guaranteed) row.drainS = await drain(r.provider);
          log(`${title(s)} ${size} c=${conns}: ${fmt.f0(row.rps)} req/s, p50 ${fmt.f1(row.p50Ms)} ms, p99 ${fmt.f1(row.p99Ms)} ms, RSS ${fmt.f0(row.peakMiB)} MiB, ` +
            `cpu ${fmt.f2(row.cpuTarget)}/${fmt.f2(row.cpuOurs)}/${fmt.f2(row.cpuOthers)}${row.non2xx + row.socketErrors ? `, ERRORS ${row.non2xx}+${row.socketErrors}` : ''}` +
            `${s.guaranteed ? `, provider ${fmt.f0(row.providerRps)} calls/s during the run, backlog delivered ${fmt.f1(row.drainS ?? NaN)} s after it` : ''}`);
        }
      }
      if (s.guaranteed) {
        notes.push(`${title(s)}: req/s is the rate of ACCEPT answers (stored durably, ticket given); the provider was called at ` +
          `${rows.filter((x) => x.scenario === 'f' && x.workers === (s.workers ?? 1)).map((x) => `${x.size}/${x.conns}: ${fmt.f0(x.providerRps)}/s (backlog gone ${fmt.f1(x.drainS ?? NaN)} s after the run)`).join(', ')}`);
      }
      if (r.front && r.tested === r.front && s.front === 'gateway') {
        const dbDir = readdirSync(work).filter((d) => d.startsWith(`db-${s.id}-`)).map((d) => join(work, d));
        const bytes = dbDir.flatMap((d) => readdirSync(d).map((f) => statSync(join(d, f)).size)).reduce((a, b) => a + b, 0);
        notes.push(`${title(s)}: journal written ${fmt.f0(bytes / MiB)} MiB (SQLite + WAL) in this scenario's runs`);
      }
    } finally {
      await stopScenario(r);
      for (const d of readdirSync(work).filter((x) => x.startsWith(`db-${s.id}-`))) rmSync(join(work, d), { recursive: true, force: true });
    }
    // the large document on a fresh process (what one costs, not what the load left behind), warmed up on small ones
    if (!opt['no-big']) {
      const fresh = await startScenario(s, fx);
      if ('skipped' in fresh) continue;
      try {
        await runWrk({ script: fx.script, pool: fx.pools.get(s.keys)!.get(sizes[0]!)!.file, url: fresh.url, connections: 8, seconds: 2 });
        await sleep(1000);
        await waitQuiet();
        const b = await bigDocument(s, fresh, fx);
        bigs.push(b);
        log(`${title(s)} ${fmt.f1(b.envelopeMiB)} MiB AppDocument: ${b.ok ? 'passed' : `FAILED ${b.status}`}, ${b.latencyMs.map(fmt.f0).join('/')} ms, ` +
          `RSS ${fmt.f0(b.startMiB)} -> peak ${fmt.f0(b.peakMiB)} MiB, ${fmt.f0(b.settledMiB)} MiB after`);
      } finally {
        await stopScenario(fresh);
        for (const d of readdirSync(work).filter((x) => x.startsWith(`db-${s.id}-`))) rmSync(join(work, d), { recursive: true, force: true });
      }
    }
  }

  // CPU profile of (d): a separate gateway with --cpu-prof, 32 connections, 5 KB
  let profile = '';
  // of the last workers count (by default one per core, as a plain start runs): each worker writes its profile, the busiest is summarized
  const profiled = runs.filter((x) => x.id === opt['profile-of'] && x.front === 'gateway').pop();
  if (!opt['no-profile'] && profiled && sizes.includes('5k')) {
    const dir = join(work, 'profile');
    mkdirSync(dir, { recursive: true });
    const s = profiled;
    const r = await startScenario({ ...s }, fx, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
    let profiles = 0;
    if (!('skipped' in r)) {
      try {
        await runWrk({ script: fx.script, pool: fx.pools.get(rsa)!.get('5k')!.file, url: r.url, connections: 32, seconds: 2 });
        await waitQuiet();
        const { row } = await load(s, r, fx, '5k', 32, seconds);
        log(`profiled (${s.id}) 5k c=32: ${fmt.f0(row.rps)} req/s under the profiler`);
      } finally {
        await stopScenario(r);
      }
      // the largest profile is the busiest worker's (the primary's is small: it only hands out connections)
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort((x, y) => statSync(join(dir, y)).size - statSync(join(dir, x)).size);
      profiles = files.length;
      const file = files[0];
      if (file) {
        const keep = join(ROOT, '.tmp', 'bench', `gateway-${s.id}.cpuprofile`);
        copyFileSync(join(dir, file), keep);
        profile = `${profiles > 1 ? `The busiest of ${profiles} profiles (the primary's and each worker's); the other workers' are alike.\n\n` : ''}${summarizeFile(join(dir, file), 20)}`;
        log(`profile kept in ${keep}`);
      }
    }
  }

  // soak of (d)
  let soakReport = '';
  let soakGrowth: number | undefined;
  if (soak > 0 && only.has('d')) {
    const s = scenarios.find((x) => x.id === 'd')!;
    const r = await startScenario(s, fx);
    if (!('skipped' in r)) {
      try {
        await runWrk({ script: fx.script, pool: fx.pools.get(rsa)!.get(sizes[0]!)!.file, url: r.url, connections: 32, seconds: 5 });
        const samples: { t: number; rss: number }[] = [];
        const s0 = performance.now();
        const timer = setInterval(() => {
          const m = memory(r.tested.pid);
          if (m) samples.push({ t: (performance.now() - s0) / 1000, rss: m.rss / MiB });
        }, 1000);
        const { row } = await load(s, r, fx, sizes[0]!, 32, soak);
        clearInterval(timer);
        const tenth = Math.max(60, soak / 10);
        const first = Math.max(...samples.filter((x) => x.t <= tenth).map((x) => x.rss));
        const last = Math.max(...samples.filter((x) => x.t >= soak - tenth).map((x) => x.rss));
        const growth = last / first - 1;
        const minutes = samples.filter((x, i) => i === 0 || Math.floor(x.t / 60) !== Math.floor(samples[i - 1]!.t / 60)).map((x) => `${fmt.f0(x.t)} s: ${fmt.f0(x.rss)}`);
        soakReport = `Soak of (d), ${sizes[0]}, 32 connections, ${soak} s: ${fmt.f0(row.rps)} req/s, p99 ${fmt.f1(row.p99Ms)} ms, errors ${row.non2xx + row.socketErrors}; ` +
          `RSS peak in the first ${fmt.f0(tenth)} s ${fmt.f0(first)} MiB, in the last ${fmt.f0(tenth)} s ${fmt.f0(last)} MiB: growth ${fmt.pct(growth)}.\n\nRSS (MiB) by minute: ${minutes.join('; ')}.`;
        rows.push({ ...row, scenario: 'd', size: `${sizes[0]} soak ${soak} s` });
        soakGrowth = growth;
        log(soakReport);
      } finally {
        await stopScenario(r);
      }
    }
  }

  const targets = evaluate(rows, bigs, crypto, { seconds: soak, growth: soakGrowth }, connsList);
  const report = [
    `## Run of ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `${machine()}. ${seconds} s of load per wrk run (2 threads, 1 for one connection; each connection's first request 1 s after it connects, not counted), after a 2 s warm-up per envelope size; everything on loopback on this machine, sharing its cores. ` +
    `Pools: ${sizes.map((s) => `${SIZES[s]!.pool} signed ${s} requests`).join(', ')}, cycled (SMEV2_REPLAY_WINDOW_S=${REPLAY_WINDOW_S}). ` +
    `Before each measurement the harness waited for other work on the machine to stop (${quietWaits} waits, ${fmt.f0(quietSpent / 1000)} s in all, ${quietTimeouts} gave up; the "others" column shows what remained). ` +
    `Total time ${fmt.f0((performance.now() - t0) / 1000)} s.`,
    '',
    '### Load',
    '',
    loadTable(rows),
    '',
    ...(bigs.length ? ['### One large AppDocument', '', bigTable(bigs), ''] : []),
    ...(crypto.length ? ['### Crypto-only line (one thread, the code and envelopes of this run)', '', cryptoTable(crypto, rows), ''] : []),
    ...(workersList.length > 1 ? [`### Scaling: ${workersList.join(', ')} workers on ${availableParallelism()} cores`, '', scalingTable(rows, crypto), ''] : []),
    '### Targets (issue #9)', '', targetsTable(targets), '',
    ...(notes.length ? ['### Notes', '', ...notes.map((n) => `- ${n}`), ''] : []),
    ...(soakReport ? ['### Soak', '', soakReport, ''] : []),
    ...(profile ? [`### CPU profile of ${title(profiled!)}, 5 KB, 32 connections`, '', profile, ''] : []),
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  if (!opt['no-append']) {
    if (!existsSync(opt.results)) {
      writeFileSync(opt.results, '# Results of `npm run bench`\n\nEach run of the pipeline benchmark appends its report here; bench/README.md says what each scenario is and how it is measured.\n');
    }
    appendFileSync(opt.results, `\n${report}\n`);
    log(`appended to ${opt.results}`);
  }
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
}

function evaluate(rows: Row[], bigs: BigRow[], crypto: CryptoLine[], soak: { seconds: number; growth?: number }, conns: number[]): Target[] {
  const t: Target[] = [];
  const sizes = [...new Set(rows.map((r) => r.size))].filter((s) => SIZES[s]);
  for (const size of sizes) {
    const b = bestRps(rows, 'b', size);
    const c = bestRps(rows, 'c', size);
    t.push({ what: `(c) ≥ 50 % of (b), ${size} (best over connection counts)`, measured: b && c ? `${fmt.f0(c.rps)} / ${fmt.f0(b.rps)} = ${fmt.pct(c.rps / b.rps)}` : '–', met: b && c ? c.rps >= 0.5 * b.rps : undefined });
  }
  const d5 = bestRps(rows, 'd', '5k');
  const e5 = bestRps(rows, 'e', '5k');
  t.push({ what: '(d) ≥ 400 req/s (5 KB, best of any workers count)', measured: d5 ? `${fmt.f0(d5.rps)} req/s at ${d5.conns} connections` : '–', met: d5 ? d5.rps >= 400 : undefined });
  t.push({ what: '(e) ≥ 100 req/s (5 KB, best of any workers count)', measured: e5 ? `${fmt.f0(e5.rps)} req/s at ${e5.conns} connections` : '–', met: e5 ? e5.rps >= 100 : undefined });
  for (const [s, alg] of [['d', 'rsa'], ['e', 'gost2012-256']] as const) {
    const best = bestRps(rows.filter((r) => (r.workers ?? 1) === 1), s, '5k');
    const line = crypto.find((c) => c.alg === alg && c.size === '5k');
    t.push({ what: `(${s}) one process ≥ 50 % of its crypto-bound limit (5 KB)`, measured: best && line ? `${fmt.f0(best.rps)} / ${fmt.f0(line.limit)} = ${fmt.pct(best.rps / line.limit)}` : '–', met: best && line ? best.rps >= 0.5 * line.limit : undefined });
  }
  // with several workers: the limit is the crypto line times the workers (at most the cores)
  for (const w of [...new Set(rows.map((r) => r.workers ?? 1))].filter((x) => x > 1)) {
    const n = Math.min(w, availableParallelism());
    for (const [s, alg] of [['d', 'rsa'], ['e', 'gost2012-256']] as const) {
      const best = bestRps(rows.filter((r) => r.workers === w), s, '5k');
      const one = bestRps(rows.filter((r) => (r.workers ?? 1) === 1), s, '5k');
      const line = crypto.find((c) => c.alg === alg && c.size === '5k');
      t.push({ what: `(${s}) × ${w} workers ≥ 50 % of ${n} × its crypto-bound limit (5 KB)`, measured: best && line ? `${fmt.f0(best.rps)} / ${fmt.f0(n * line.limit)} = ${fmt.pct(best.rps / (n * line.limit))}${one ? `; ${fmt.f2(best.rps / one.rps)}× one worker` : ''}` : '–', met: best && line ? best.rps >= 0.5 * n * line.limit : undefined });
    }
  }
  for (const r of rows.filter((x) => x.scenario === 'f' && SIZES[x.size])) {
    t.push({ what: `(f)${(r.workers ?? 1) > 1 ? ` × ${r.workers} workers` : ''} ${r.size} c=${r.conns}: delivery keeps up (provider calls/s ≥ 90 % of ACCEPTs/s during the run)`, measured: `${fmt.f0(r.providerRps)} / ${fmt.f0(r.rps)} = ${fmt.pct(r.providerRps / r.rps)}; backlog gone ${fmt.f1(r.drainS ?? NaN)} s after`, met: r.providerRps >= 0.9 * r.rps });
  }
  const d32 = rows.find((r) => r.scenario === 'd' && (r.workers ?? 1) === 1 && r.size === '5k' && r.conns === 32);
  t.push({ what: 'p99 of (d) at 32 connections ≤ 50 ms (5 KB)', measured: d32 ? `${fmt.f1(d32.p99Ms)} ms` : '–', met: d32 ? d32.p99Ms <= 50 : undefined });
  const at128 = rows.filter((r) => ['c', 'd', 'e', 'f'].includes(r.scenario) && r.conns === 128 && SIZES[r.size]);
  const worst = at128.sort((x, y) => y.peakMiB - x.peakMiB)[0];
  t.push({ what: 'peak RSS of the gateway ≤ 300 MB at 128 connections', measured: worst ? `${fmt.f0(worst.peakMiB * 1.048576)} MB (${TITLES[worst.scenario]}, ${worst.size})` : conns.includes(128) ? '–' : 'not run at 128', met: worst ? worst.peakMiB * MiB <= 300e6 : undefined });
  const gwBig = bigs.filter((b) => ['c', 'd', 'e', 'f'].includes(b.scenario));
  if (gwBig.length) {
    const failed = gwBig.filter((b) => !b.ok);
    const grow = gwBig.sort((x, y) => (y.peakMiB - y.startMiB) - (x.peakMiB - x.startMiB))[0]!;
    const by = (grow.peakMiB - grow.startMiB) / grow.documentMiB;
    t.push({
      what: `the ${grow.documentMiB} MiB AppDocument passes, RSS growth < 5× its size`,
      measured: `${failed.length ? `refused in ${failed.map((b) => `(${b.scenario})`).join(', ')}: ${failed[0]!.status}; ` : 'passes in every gateway scenario; '}largest growth ${fmt.f0(grow.peakMiB - grow.startMiB)} MiB = ${fmt.f1(by)}× (${TITLES[grow.scenario]})`,
      met: !failed.length && by < 5,
    });
  }
  const { seconds, growth } = soak;
  t.push({
    what: '10-minute soak of (d): RSS growth ≤ 10 %',
    measured: growth !== undefined ? `${seconds} s: ${fmt.pct(growth)}${seconds < 600 ? ' (shorter than the target\'s 10 minutes)' : ''}` : 'not run (npm run bench -- --soak 600)',
    // a short soak can show growth, not its absence
    met: growth === undefined ? undefined : growth > 0.1 ? false : seconds >= 600 ? true : undefined,
  });
  return t;
}

main().catch((e) => {
  log(`bench failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
