// A/B of gateway builds (`npm run bench:ab -- --commits before=REV,after=REV`): each commit is
// cloned from this repository into a throw-away folder and built, then the builds are loaded in
// turn, interleaved (A B, B A, …) on the same fixtures, provider and wrk script as `npm run bench`,
// so a change's gain is a ratio measured side by side on this shared machine. Besides req/s it
// reports the CPU time of each gateway's main thread per exchange (/proc/<pid>/task/<pid>/stat):
// the one JS thread is what limits the gateway, and its time per exchange moves much less than
// req/s when other people's work takes the cores. The report is appended to bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadXml } from '../src/xml/libxml';
import { ROOT, SID, makeKeySet, makeSystems, makeRegistry, writeAnswers, makePool, writePool, type Policy } from './support/fixtures';
import { startProvider, startGateway, stopAllOnExit, type Service } from './support/services';
import { writeWrkScript, runWrk } from './support/wrk';
import { CpuMeter, PeakRss, cpuModel, machineBusyMs } from './support/proc';
import { fmt } from './support/report';

const { values: opt } = parseArgs({
  options: {
    commits: { type: 'string' },
    scenarios: { type: 'string', default: 'd,c' },
    conns: { type: 'string', default: '32' },
    size: { type: 'string', default: '5k' },
    rounds: { type: 'string', default: '4' },
    workers: { type: 'string', default: '1' },
    duration: { type: 'string', default: '8' },
    'quiet-wait': { type: 'string', default: '60' },
    env: { type: 'string', default: '' },
    'no-append': { type: 'boolean', default: false },
    results: { type: 'string', default: join(ROOT, 'bench', 'RESULTS.md') },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const USAGE = `npm run bench:ab -- --commits NAME=REV,NAME=REV[,…] [options]
  --commits LIST   builds to compare, each NAME=REV (any git revision of this repository); the first is the base of the ratios
  --scenarios LIST of c (signature and control off), d (RSA), e (GOST) (default d,c)
  --conns LIST     connection counts (default 32)
  --size S         5k or 100k (default 5k)
  --rounds N       runs per build, interleaved (default 4); --duration S seconds each (default 8)
  --workers LIST   each gateway's --workers, one for all or one per build (default 1: one process); with more, CPU,
                   RSS and main threads are the primary's and its workers' together (--commits one=HEAD,two=HEAD --workers 1,2)
  --quiet-wait S   before each run wait up to S s for the machine to be idle (default 60)
  --env LIST       environment of one build's gateway, each BUILD:NAME=VALUE (--commits thread=HEAD,connection=HEAD
                   --env connection:SMEV2_JOURNAL_WRITER=connection)
  --no-append      print only; --results FILE where to append (default bench/RESULTS.md)
`;

const log = (s: string) => process.stderr.write(`${s}\n`);

/** --env: the extra environment of a build's gateway. */
function envOf(build: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of opt.env.split(',').filter(Boolean)) {
    const m = /^([^:=]+):([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new Error(`--env: "${item}" is not BUILD:NAME=VALUE`);
    if (m[1] === build) out[m[2]!] = m[3]!;
  }
  return out;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TICK_MS = 10;

/** CPU time (ms) of a process's main thread: on Linux its thread id is the pid. */
function mainThreadMs(pid: number): number {
  const s = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

async function waitQuiet(limitS: number): Promise<number> {
  const end = Date.now() + limitS * 1000;
  for (;;) {
    const b0 = machineBusyMs();
    await sleep(500);
    const cores = (machineBusyMs() - b0) / 500;
    if (cores < 0.25 || Date.now() > end) return cores;
  }
}

function git(args: string[], cwd = ROOT): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A clone of this repository at `rev`, with this checkout's node_modules, built. */
function checkout(work: string, name: string, rev: string): { name: string; rev: string; dir: string } {
  const commit = git(['rev-parse', '--short', rev]);
  const dir = join(work, `build-${name}`);
  git(['clone', '--quiet', '--no-checkout', ROOT, dir]);
  git(['checkout', '--quiet', '--detach', commit], dir);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(dir, 'dist', 'cli', 'main.js'))) throw new Error(`build of ${name} (${commit}) failed:\n${r.stdout}${r.stderr}`);
  log(`${name}: ${commit} built in ${dir}`);
  return { name, rev: commit, dir };
}

interface Run { scenario: string; conns: number; build: string; round: number; rps: number; p50: number; p99: number; mainMsPerExchange: number; cores: number; others: number; rssMiB: number; errors: number }

async function main(): Promise<void> {
  if (opt.help || !opt.commits) {
    process.stdout.write(USAGE);
    return;
  }
  stopAllOnExit();
  await loadXml();
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'smev2-ab-'));
  // one build per commit: two names for one commit (say, to compare --workers 1 and 2) share it
  const built = new Map<string, string>();
  const builds = opt.commits.split(',').map((x) => x.split('=') as [string, string]).map(([name, rev]) => {
    const commit = git(['rev-parse', '--short', rev]);
    const dir = built.get(commit);
    if (dir) return { name, rev: commit, dir };
    const b = checkout(work, name, rev);
    built.set(commit, b.dir);
    return b;
  });
  const workersList = opt.workers.split(',').map(Number);
  if (workersList.some((w) => !Number.isInteger(w) || w < 1) || (workersList.length !== 1 && workersList.length !== builds.length)) {
    throw new Error(`--workers takes one whole number from 1, or one per build, got "${opt.workers}"`);
  }
  const workersOf = (i: number) => workersList[workersList.length === 1 ? 0 : i]!;
  const date = started.toISOString();
  const bytes = opt.size === '100k' ? 100 * 1024 : 5 * 1024;
  const script = writeWrkScript(work);
  const systems = makeSystems(join(work, 'systems'));
  const runs: Run[] = [];
  for (const scenario of opt.scenarios.split(',')) {
    const keys = makeKeySet(join(work, `keys-${scenario}`), scenario === 'e' ? 'gost2012-256' : 'rsa');
    const answers = join(work, `answers-${scenario}`);
    writeAnswers(answers, keys, date);
    const pool = makePool(opt.size === '100k' ? 2000 : 4000, bytes, keys.consumer, date);
    const poolFile = join(work, `pool-${scenario}.bin`);
    writePool(poolFile, pool);
    const provider = await startProvider(answers);
    const registry = makeRegistry(join(work, `registry-${scenario}`), provider.url, (scenario === 'c' ? 'off' : 'enforce') as Policy);
    const gws = new Map<string, Service>();
    try {
      for (const [i, b] of builds.entries()) {
        const db = join(work, `db-${scenario}-${b.name}`);
        mkdirSync(db);
        const gw = await startGateway({ services: registry, systems, keys: keys.dir, db: join(db, 'journal.sqlite'), env: { SMEV2_REPLAY_WINDOW_S: '1', ...envOf(b.name) }, root: b.dir, workers: workersOf(i) });
        gws.set(b.name, gw);
        await runWrk({ script, pool: poolFile, url: `${gw.url}${SID}`, connections: 32, seconds: 3 }); // warm-up
      }
      for (const conns of opt.conns.split(',').map(Number)) {
        for (let round = 0; round < Number(opt.rounds); round++) {
          for (const b of round % 2 ? [...builds].reverse() : builds) {
            await waitQuiet(Number(opt['quiet-wait']));
            const gw = gws.get(b.name)!;
            const pids = gw.measured(); // one process, or the primary and its workers
            const mains = () => pids.reduce((a, p) => a + mainThreadMs(p), 0);
            const cpu = new CpuMeter([...pids, provider.pid]);
            const peak = new PeakRss(pids);
            const main0 = mains();
            const w = await runWrk({ script, pool: poolFile, url: `${gw.url}${SID}`, connections: conns, seconds: Number(opt.duration) });
            const c = cpu.stop();
            const m = peak.stop();
            const run: Run = {
              scenario, conns, build: b.name, round, rps: w.rps, p50: w.p50Ms, p99: w.p99Ms, mainMsPerExchange: (mains() - main0) / w.requests,
              cores: pids.reduce((a, p) => a + (c.cores.get(p) ?? 0), 0), others: c.others, rssMiB: m.reduce((a, x) => a + x.peak, 0) / 1048576, errors: w.non2xx + w.socketErrors,
            };
            runs.push(run);
            log(`(${scenario}) c=${conns} ${b.name} round ${round}: ${fmt.f0(run.rps)} req/s, main thread ${fmt.f2(run.mainMsPerExchange)} ms per exchange, p99 ${fmt.f1(run.p99)} ms, others ${fmt.f2(run.others)}`);
          }
        }
      }
    } finally {
      for (const gw of gws.values()) await gw.stop();
      await provider.stop();
    }
  }

  const median = (a: number[]) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2; };
  const lines = [
    '| scenario | conns | build | req/s, each round | req/s median | ÷ first | main-thread CPU ms per exchange, median | ÷ first | p99 ms median | gateway cores | others (cores, each round) | errors |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const key of [...new Set(runs.map((r) => `${r.scenario}/${r.conns}`))]) {
    const rs = runs.filter((r) => `${r.scenario}/${r.conns}` === key);
    const of = (b: string) => rs.filter((r) => r.build === b);
    const base = of(builds[0]!.name);
    for (const b of builds) {
      const mine = of(b.name);
      const rps = median(mine.map((r) => r.rps));
      const cpu = median(mine.map((r) => r.mainMsPerExchange));
      lines.push(`| (${mine[0]!.scenario}) | ${mine[0]!.conns} | ${b.name} (${b.rev}) | ${mine.map((r) => fmt.f0(r.rps)).join(', ')} | ${fmt.f0(rps)} | ${(rps / median(base.map((r) => r.rps))).toFixed(2)} | ` +
        `${fmt.f2(cpu)} | ${(cpu / median(base.map((r) => r.mainMsPerExchange))).toFixed(2)} | ${fmt.f1(median(mine.map((r) => r.p99)))} | ${fmt.f2(median(mine.map((r) => r.cores)))} | ` +
        `${mine.map((r) => fmt.f2(r.others)).join(', ')} | ${mine.reduce((a, r) => a + r.errors, 0)} |`);
    }
  }
  const report = [
    `## A/B of builds, ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `\`npm run bench:ab -- --commits ${opt.commits} --scenarios ${opt.scenarios} --conns ${opt.conns} --size ${opt.size} --rounds ${opt.rounds} --duration ${opt.duration}${opt.workers !== '1' ? ` --workers ${opt.workers}` : ''}\`: ` +
    `${builds.map((b) => `${b.name} = ${b.rev}${Object.entries(envOf(b.name)).map(([k, v]) => ` with ${k}=${v}`).join('')}`).join(', ')}; ${cpus().length} × ${cpuModel()}; node ${process.version}. Builds loaded in turn, interleaved, ${opt.duration} s each, ` +
    `${opt.size} signed requests, as in \`npm run bench\`; before each run the harness waited up to ${opt['quiet-wait']} s for the machine to be idle. ` +
    '"others" is what the rest of the machine used during the run (wrk included). Main-thread CPU per exchange is the gateway\'s JS thread only (an RSA signature on the libuv pool is not in it).',
    '',
    lines.join('\n'),
    '',
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  if (!opt['no-append']) {
    if (!existsSync(opt.results)) writeFileSync(opt.results, '# Results of `npm run bench`\n\nEach run of the pipeline benchmark appends its report here; bench/README.md says what each scenario is and how it is measured.\n');
    appendFileSync(opt.results, `\n${report}\n`);
    log(`appended to ${opt.results}`);
  }
  rmSync(work, { recursive: true, force: true });
}

main().catch((e) => {
  log(`bench:ab failed: ${(e as Error).stack ?? e}`);
  process.exit(1);
});
