// `npm run bench:latency`: issue 20 item 3, latency at a fixed offered rate (open loop). For each
// scenario of `npm run bench` asked for ((c), (d), (e): bench/README.md; 5 KB signed requests from
// pools, as there), the gateway as the real process in front of the bench provider: first its
// maximum rate, closed loop (autocannon, 32 connections, --max-seconds), then --fraction (50 %)
// of that rate offered evenly for --seconds (autocannon instances of one connection each, started
// staggered: bench/support/cannon.ts says why not one instance's overallRate), and the latency
// distribution of every answer: p50, p90, p99, p99.9, max, and the gateway's own time per request
// (latency-probe.js). A chart of the distributions is written to bench/charts/ (SVG, by the bench
// itself); the report, linking it, is printed and appended to bench/RESULTS.md.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { loadXml } from '../src/xml/libxml';
import { ROOT, SID, makeKeySet, makeSystems, makeRegistry, writeAnswers, makePool, type KeySet, type Policy } from './support/fixtures';
import { startProvider, startGateway, probeLatency, stopAllOnExit, type Service } from './support/services';
import { ensureMocksInstalled, mocksRequire, closedLoop, openLoop, type CannonResult, type Load } from './support/cannon';
import { CpuMeter, cpuModel, wholeOption } from './support/proc';
import { publish, cleanUp, runBench } from './support/launch';
import { fmt, targetsTable, type Target } from './support/report';
import { latencyChart, type Curve } from './support/chart';

const HELP = `npm run bench:latency -- [options]

  --only LIST        scenarios of npm run bench, of c,d,e (default c,d,e)
  --max-seconds S    closed-loop run that finds each scenario's maximum rate (default 8)
  --conns N          connections of that run (default 32)
  --fraction F       share of the maximum offered in the open-loop run (default 0.5)
  --seconds S        open-loop run (default 30: at ~75 req/s, ~2,000 answers, so p99.9 rests on ~2 of them)
  --no-append        print the report only; do not append it to bench/RESULTS.md (the chart is still written)
  --keep             keep the work folder (keys, pools, journals)
`;

const { values: opt } = parseArgs({
  options: {
    only: { type: 'string', default: 'c,d,e' },
    'max-seconds': { type: 'string', default: '8' },
    conns: { type: 'string', default: '32' },
    fraction: { type: 'string', default: '0.5' },
    seconds: { type: 'string', default: '30' },
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
const MAX_SECONDS = whole('max-seconds', opt['max-seconds']);
const CONNS = whole('conns', opt.conns);
const SECONDS = whole('seconds', opt.seconds);
const FRACTION = Number(opt.fraction);
if (!(FRACTION > 0 && FRACTION <= 1)) {
  process.stderr.write(`--fraction must be a number in (0, 1], got "${opt.fraction}"\n\n${HELP}`);
  process.exit(2);
}
type Id = 'c' | 'd' | 'e';
const SCENARIOS: Record<Id, { title: string; alg: 'rsa' | 'gost2012-256'; policy: Policy; color: string }> = {
  c: { title: '(c) signature+control off', alg: 'rsa', policy: 'off', color: '#2a7ab0' },
  d: { title: '(d) full pipeline, RSA', alg: 'rsa', policy: 'enforce', color: '#d2691e' },
  e: { title: '(e) full pipeline, GOST', alg: 'gost2012-256', policy: 'enforce', color: '#2e8b57' },
};
const only = opt.only.split(',').map((s) => s.trim()).filter(Boolean) as Id[];
for (const s of only) {
  if (!SCENARIOS[s]) {
    process.stderr.write(`--only: unknown scenario "${s}" (of c, d, e)\n\n${HELP}`);
    process.exit(2);
  }
}
const POOL = 4000;
const RESULTS = join(ROOT, 'bench', 'RESULTS.md');
const CHARTS = join(ROOT, 'bench', 'charts');
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Measured {
  id: Id;
  max: CannonResult;
  open: CannonResult & { instances: number; offered: number };
  inside?: { n: number; p50: number; p99: number; max: number; loopDelay?: { p50: number; p99: number; max: number } };
  cores: number;
  others: number;
}

/** The next request of a pool, round robin: each signed once, the gateway's replay window (1 s) lets the pool cycle. */
function cycler(heads: Buffer[], tail: Buffer): () => Buffer {
  const bodies = heads.map((h) => Buffer.concat([h, tail]));
  let i = 0;
  return () => bodies[i++ % bodies.length]!;
}

const answered = (id: Id) => (xml: string) =>
  xml.includes('EchoResponse') && (id === 'c' || (xml.match(/<wsse:Security /g) ?? []).length === 2);

async function measure(id: Id, keys: KeySet, work: string, systems: string, answersDir: string, next: () => Buffer): Promise<Measured> {
  const sc = SCENARIOS[id];
  const provider: Service = await startProvider(answersDir);
  let gw: Service | undefined;
  try {
    mkdirSync(join(work, `db-${id}`), { recursive: true });
    const registry = makeRegistry(join(work, `registry-${id}`), provider.url, sc.policy);
    gw = await startGateway({ services: registry, systems, keys: keys.dir, db: join(work, `db-${id}`, 'journal.sqlite'), env: { SMEV2_REPLAY_WINDOW_S: '1' } });
    const load: Load = { url: `${gw.url}${SID}`, body: next, headers: { soapaction: '"urn:test:echo:Echo"' }, verify: answered(id) };
    const probe = await fetch(load.url, { method: 'POST', body: next(), headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"urn:test:echo:Echo"' } });
    const text = await probe.text();
    if (probe.status !== 200 || !answered(id)(text)) throw new Error(`${sc.title}: the probe request was not answered as expected (HTTP ${probe.status}): ${text.slice(0, 800)}`);
    log(`${sc.title}: warm-up 2 s, then the maximum, closed loop, ${CONNS} connections, ${MAX_SECONDS} s …`);
    await closedLoop(load, CONNS, 2);
    const max = await closedLoop(load, CONNS, MAX_SECONDS);
    const rate = Math.max(1, Math.round(max.rps * FRACTION));
    log(`  max ${fmt.f0(max.rps)} req/s (p99 ${fmt.f1(max.p99Ms)} ms); open loop at ${rate} req/s for ${SECONDS} s …`);
    await probeLatency(gw);
    const cpu = new CpuMeter([gw.pid, provider.pid]);
    const open = await openLoop(load, rate, SECONDS);
    const c = cpu.stop();
    const inside = await probeLatency(gw);
    log(`  ${fmt.f0(open.rps)} req/s answered of ${open.offered} offered, p50 ${fmt.f1(open.p50Ms)} ms, p99 ${fmt.f1(open.p99Ms)} ms, p99.9 ${fmt.f1(open.p999Ms)} ms, max ${fmt.f1(open.maxMs)} ms` +
      `${open.errors + open.non2xx + open.mismatches ? `, ERRORS ${open.errors} + non-2xx ${open.non2xx} + refused ${open.mismatches}` : ''}`);
    return { id, max, open, inside, cores: c.cores.get(gw.pid) ?? 0, others: c.others };
  } finally {
    await gw?.stop();
    await provider.stop();
  }
}

async function main(): Promise<void> {
  ensureMocksInstalled(log);
  stopAllOnExit();
  await loadXml();
  const started = new Date();
  const stamp = started.toISOString().replace(/:\d\d\.\d+Z$/, 'Z').replace(/:/g, '');
  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-latency-'));
  try {
    const date = started.toISOString();
    const systems = makeSystems(join(work, 'systems'));
    const sets = new Map<string, { keys: KeySet; answers: string; next: () => Buffer }>();
    for (const alg of new Set(only.map((s) => SCENARIOS[s].alg))) {
      const keys = makeKeySet(join(work, `keys-${alg}`), alg);
      const answers = join(work, `answers-${alg}`);
      writeAnswers(answers, keys, date);
      const pool = makePool(POOL, 5 * 1024, keys.consumer, date);
      log(`pool ${alg}: ${POOL} requests of ${pool.size} bytes, each signed`);
      sets.set(alg, { keys, answers, next: cycler(pool.heads, pool.tail) });
    }
    const rows: Measured[] = [];
    for (const id of only) {
      const s = sets.get(SCENARIOS[id].alg)!;
      rows.push(await measure(id, s.keys, work, systems, s.answers, s.next));
    }

    mkdirSync(CHARTS, { recursive: true });
    const chartFile = join(CHARTS, `latency-${stamp}.svg`);
    const curves: Curve[] = rows.flatMap((r) => [
      { label: `${r.id}: ${r.open.offered} req/s, open`, samples: r.open.samples, color: SCENARIOS[r.id].color },
      { label: `${r.id}: ${CONNS} conns, closed`, samples: r.max.samples, color: SCENARIOS[r.id].color, dashed: true },
    ]);
    writeFileSync(chartFile, latencyChart(`Latency by percentile, ${Math.round(FRACTION * 100)} % of each maximum, open loop (${started.toISOString().slice(0, 16)}Z)`, curves,
      [{ label: 'target p99 20 ms', q: 0.99, ms: 20 }, { label: 'target p99.9 50 ms', q: 0.999, ms: 50 }]));
    log(`chart: ${relative(ROOT, chartFile)}`);

    const d = rows.find((r) => r.id === 'd');
    const targets: Target[] = [
      { what: `(d) at ${Math.round(FRACTION * 100)} % of its maximum: p99 ≤ 20 ms`, measured: d ? `${fmt.f1(d.open.p99Ms)} ms at ${fmt.f0(d.open.rps)} req/s answered (${d.open.offered} offered; maximum ${fmt.f0(d.max.rps)})` : 'not run', met: d ? d.open.p99Ms <= 20 : undefined },
      { what: `(d) at ${Math.round(FRACTION * 100)} % of its maximum: p99.9 ≤ 50 ms`, measured: d ? `${fmt.f1(d.open.p999Ms)} ms (${fmt.f0(d.open.samples.length)} answers)` : 'not run', met: d ? d.open.p999Ms <= 50 : undefined },
    ];
    const table = [
      '| scenario | max req/s, closed loop (p50 / p99 ms) | offered req/s | answered req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | answers | inside the gateway p50 / p99 ms | its event-loop delay p99 / max ms | CPU cores: gateway / others | errors |',
      '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
      ...rows.map((r) => `| ${SCENARIOS[r.id].title} | ${fmt.f0(r.max.rps)} (${fmt.f1(r.max.p50Ms)} / ${fmt.f1(r.max.p99Ms)}) | ${r.open.offered} | ${fmt.f0(r.open.rps)} | ` +
        `${fmt.f1(r.open.p50Ms)} | ${fmt.f1(r.open.p90Ms)} | ${fmt.f1(r.open.p99Ms)} | ${fmt.f1(r.open.p999Ms)} | ${fmt.f1(r.open.maxMs)} | ${fmt.f0(r.open.samples.length)} | ` +
        `${r.inside ? `${fmt.f1(r.inside.p50)} / ${fmt.f1(r.inside.p99)}` : '–'} | ${r.inside?.loopDelay ? `${fmt.f1(r.inside.loopDelay.p99)} / ${fmt.f1(r.inside.loopDelay.max)}` : '–'} | ${fmt.f2(r.cores)} / ${fmt.f2(r.others)} | ${r.open.errors + r.open.non2xx + r.open.mismatches + r.max.errors + r.max.non2xx + r.max.mismatches} |`),
    ].join('\n');
    const version = (mocksRequire('autocannon/package.json') as { version: string }).version;
    const link = relative(join(ROOT, 'bench'), chartFile);
    const report = [
      `## Latency at a fixed offered rate (\`npm run bench:latency\`), ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
      '',
      `${cpus().length} × ${cpuModel()}; node ${process.version}; autocannon ${version}; load average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')} ` +
      `(other work shares the machine: the "others" column). The gateways' SQLite stores in ${tmpdir()} (TMPDIR). 5 KB signed requests from pools of ${POOL} per key set (SMEV2_REPLAY_WINDOW_S=1), as \`npm run bench\`. ` +
      `Maximum: closed loop, ${CONNS} connections, ${MAX_SECONDS} s after 2 s of warm-up. Then ${Math.round(FRACTION * 100)} % of it offered evenly for ${SECONDS} s ` +
      `(one autocannon instance of one connection per request/s, started 1/rate s apart, each sending one request a second), latency of every answer from its send. ` +
      `Every answer checked (EchoResponse; for (d), (e) the node's and the provider's signature blocks).`,
      '',
      table,
      '',
      `![latency by percentile](${link}) ([chart](${link}): solid open loop, dashed the closed-loop maximum run)`,
      '',
      targetsTable(targets),
    ].join('\n');
    publish(report, RESULTS, !opt['no-append']);
  } finally {
    cleanUp(work, opt.keep);
  }
}

runBench('bench:latency', main);
