// `npm run bench:inline`: issue 16 item 7, the inline half. "An inline 10 MiB AppDocument grows
// RSS by less than 3x its size and gives it back within 30 s", with npm start's settings
// (MALLOC_MMAP_THRESHOLD_=32768). For each build (this work tree, or clones of commits, side by
// side in one run), a fresh gateway (`bin/smev2-gateway.js start`, fresh SQLite store and keys)
// gets the demo SID0003623's request carrying a ZIP of --mib MiB inline (smev:AppDocument/
// BinaryData, base64), signed by the demo sender MINZ01001 with the gateway's own demo keys (so
// the signature is verified, not only reported): once, then --sequential times in turn, then
// --concurrent at once. For each phase: RSS before (idle), the peak (VmRSS every 100 ms and VmHWM
// reset before), the growth as a multiple of the document's size, RSS 30 s after the last answer,
// and when it came back within one document size of before. A probe (bench/support/
// memory-probe.js, `node -r`) records each thread's process.memoryUsage(), to say where the growth
// was: V8's heap, external memory (Buffers, WebAssembly memory) of the main thread or of the
// large-body lane's thread. Printed, and appended to bench/RESULTS.md.
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, oneProcess, storedZip } from './support/fixtures';
import { launchGateway, killAll, publish, cleanUp, runBench } from './support/launch';
import { cpuModel, idleRss, resetPeak, RssSampler, SAMPLE_MS, wholeOption } from './support/proc';
import { loadXml } from '../src/xml/libxml';
import { KeyStore } from '../src/signature/identity';
import { signEnvelope, type Signer } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';

const HELP = `npm run bench:inline -- [options]

  --commits LIST   builds side by side, each NAME=REV (a git revision, or "." for this work tree,
                   built first if its sources changed); default: now=.
  --mib N          MiB of the inline ZIP (default 10)
  --sequential N   requests sent one after the other in the second phase (default 5)
  --concurrent N   requests sent at once in the third phase (default 4)
  --settle S       seconds RSS is followed after each phase's last answer (default 30)
  --env LIST       extra environment for the gateways, NAME=VALUE,… (MALLOC_MMAP_THRESHOLD_=32768 is set as npm start does)
  --no-append      print the report only; do not append it to bench/RESULTS.md
  --keep           keep the throw-away folders (stores, logs, probe files)
`;

const { values: opt } = parseArgs({
  options: {
    commits: { type: 'string', default: 'now=.' },
    mib: { type: 'string', default: '10' },
    sequential: { type: 'string', default: '5' },
    concurrent: { type: 'string', default: '4' },
    settle: { type: 'string', default: '30' },
    env: { type: 'string', default: '' },
    'no-append': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const whole = wholeOption(HELP);
const MiB = 1024 * 1024;
const DOC_BYTES = whole('mib', opt.mib) * MiB;
const SEQUENTIAL = whole('sequential', opt.sequential);
const CONCURRENT = whole('concurrent', opt.concurrent);
const SETTLE_MS = whole('settle', opt.settle) * 1000;
const EXTRA_ENV = Object.fromEntries(opt.env.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const GATEWAY_ENV = { MALLOC_MMAP_THRESHOLD_: '32768', ...EXTRA_ENV }; // as `npm start`
const SID = 'SID0003623';
const SENDER = 'MINZ01001';
const GROWTH_TARGET = 3; // × the document's size
const BACK_WITHIN_MS = 30_000;

const mib = (b: number) => (b / MiB).toFixed(0);
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function git(args: string[], cwd = ROOT): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

interface Build { name: string; root: string; described: string }

/** This work tree (built if needed) for ".", else a clone at REV built in `work`. */
function build(work: string, name: string, rev: string): Build {
  if (rev === '.') {
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed');
    const dirty = git(['status', '--porcelain', '--untracked-files=no']);
    return { name, root: ROOT, described: `${name}: the work tree at ${git(['rev-parse', '--short', 'HEAD'])}${dirty ? ` + uncommitted changes (${dirty.split('\n').length} paths)` : ''}` };
  }
  const commit = git(['rev-parse', '--short', rev]);
  if (!commit) throw new Error(`--commits ${name}=${rev}: not a revision of ${ROOT}`);
  const dir = join(work, `build-${name}`);
  if (git(['clone', '--quiet', '--no-checkout', ROOT, dir]) === undefined || git(['checkout', '--quiet', '--detach', commit], dir) === undefined) throw new Error(`could not clone ${commit}`);
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  log(`building ${name} (${commit}) …`);
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(dir, 'dist', 'cli', 'main.js'))) throw new Error(`the build of ${commit} failed:\n${r.stdout}${r.stderr}`);
  return { name, root: dir, described: `${name}: commit ${commit} (a clean clone)` };
}

interface Gateway { pid: number; port: number; keys: string; probe: string; logs: () => string; alive: () => boolean; stop: () => Promise<void> }

function startGateway(root: string, dir: string): Promise<Gateway> {
  const keys = join(dir, 'keys');
  const probe = join(dir, 'probe.jsonl');
  const args = ['-r', join(ROOT, 'bench', 'support', 'memory-probe.js'), 'bin/smev2-gateway.js', 'start', '--port', '0', '--host', '127.0.0.1',
    '--db', `sqlite:${join(dir, 'journal.sqlite')}`, '--keys', keys, '--services', join(root, 'wsdl'), '--systems', join(root, 'systems'), ...oneProcess(root)];
  return launchGateway({ cwd: root, args, logFile: join(dir, 'gateway.log'), env: { MEMORY_PROBE_FILE: probe, ...GATEWAY_ENV } }).then((g) => ({ ...g, keys, probe }));
}

const TEMPLATE = readFileSync(join(ROOT, 'fixtures', SID, 'found', 'request.xml'), 'utf8');
const ZIP_BASE64 = storedZip(DOC_BYTES - 22 - 46 - 30 - 2 * 'document.bin'.length).toString('base64');

/** The demo request with the ZIP inline after its AppData (a fresh RequestCode: a distinct signature), signed by the demo sender. */
function signedRequest(signer: Signer): Buffer {
  const doc = `<smev:AppDocument><smev:RequestCode>bench-${randomBytes(8).toString('hex')}</smev:RequestCode><smev:BinaryData>${ZIP_BASE64}</smev:BinaryData></smev:AppDocument>`;
  const xml = TEMPLATE.replace('</smev:AppData>', `</smev:AppData>${doc}`);
  return signEnvelope(Buffer.from(xml, 'utf8'), ACTOR.smev, signer, { header: false });
}

const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];

interface Outcome { ok: boolean; what: string; ms: number }

function send(port: number, body: Buffer): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/gateway/services/${SID}`, agent: false,
      headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const ok = res.statusCode === 200 && /<(\w+:)?Status>RESULT<\//.test(text);
        resolve({ ok, what: ok ? 'RESULT' : `HTTP ${res.statusCode} ${faultstring(text)?.slice(0, 120) ?? text.slice(0, 120)}`, ms: performance.now() - t0 });
      });
    });
    req.on('error', (e) => resolve({ ok: false, what: `connection error ${e.message}`, ms: performance.now() - t0 }));
    req.end(body);
  });
}



interface ProbeLine { t: number; thread: number; rss: number; heapUsed: number; external: number; arrayBuffers: number }
/** The highest heapUsed and external of the main thread and of any other (the lane's) between two wall-clock times. */
function attribution(file: string, from: number, to: number): { mainHeap: number; mainExternal: number; laneHeap: number; laneExternal: number } {
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine) : [];
  const r = { mainHeap: 0, mainExternal: 0, laneHeap: 0, laneExternal: 0 };
  for (const l of lines) {
    if (l.t < from || l.t > to) continue;
    if (l.thread === 0) { r.mainHeap = Math.max(r.mainHeap, l.heapUsed); r.mainExternal = Math.max(r.mainExternal, l.external); }
    else { r.laneHeap = Math.max(r.laneHeap, l.heapUsed); r.laneExternal = Math.max(r.laneExternal, l.external); }
  }
  return r;
}

interface PhaseRow {
  build: string; phase: string; count: number; envelope: number; before: number; peak: number; rss30: number; backMs?: number;
  answered: number; failures: string[]; latencies: number[]; laneThreads: number; idleMain: { heap: number; external: number };
  probe: ReturnType<typeof attribution>;
}

const SMALL = readFileSync(join(ROOT, 'fixtures', SID, 'found', 'request.xml'));

async function runBuild(b: Build, work: string): Promise<PhaseRow[]> {
  const dir = mkdtempSync(join(work, `gw-${b.name}-`));
  log(`\n${b.described}`);
  const gw = await startGateway(b.root, dir);
  const rows: PhaseRow[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const o = await send(gw.port, SMALL);
      if (!o.ok) throw new Error(`the warm-up request was not answered: ${o.what}`);
    }
    const signer = new KeyStore(gw.keys).signer(SENDER);
    if (!signer) throw new Error(`the gateway's keys folder ${gw.keys} has no key of ${SENDER}`);
    // `first`: the first large message of the process, which also pays what is paid once and kept
    // for any traffic: SQLite's page cache filling to its size (SMEV2_SQLITE_CACHE_KIB, 2 MiB per connection), V8's code
    // for the large paths, malloc's arenas. Reported, not judged: the target is what a document
    // costs a running gateway, `one` onwards.
    const phases: [string, number, boolean][] = [['first', 1, false], ['one', 1, false], ['sequential', SEQUENTIAL, false], ['concurrent', CONCURRENT, true]];
    for (const [phase, count, together] of phases) {
      if (count === 0) continue;
      const bodies = Array.from({ length: count }, () => signedRequest(signer));
      const before = await idleRss(gw.pid, 20_000);
      const idle = attribution(gw.probe, Date.now() - 1000, Date.now());
      const lanes0 = (gw.logs().match(/thread ended, its memory given back/g) ?? []).length;
      resetPeak(gw.pid);
      const sampler = new RssSampler(gw.pid);
      const wall0 = Date.now();
      log(`  ${phase}: ${count} × ${bodies[0]!.length.toLocaleString('en')} bytes${together ? ' at once' : ' in turn'}; RSS before ${mib(before)} MiB`);
      const outcomes: Outcome[] = [];
      if (together) outcomes.push(...await Promise.all(bodies.map((x) => send(gw.port, x))));
      else for (const x of bodies) outcomes.push(await send(gw.port, x));
      const tEnd = performance.now();
      const wallEnd = Date.now();
      let backMs: number | undefined;
      while (performance.now() < tEnd + SETTLE_MS) {
        await sleep(SAMPLE_MS);
        const last = sampler.samples[sampler.samples.length - 1];
        if (backMs === undefined && last && last.t >= tEnd && last.rss <= before + DOC_BYTES) backMs = last.t - tEnd;
      }
      sampler.stop();
      const row: PhaseRow = {
        build: b.name, phase, count, envelope: bodies[0]!.length, before, peak: sampler.peak, rss30: sampler.at(tEnd + SETTLE_MS), backMs,
        answered: outcomes.filter((o) => o.ok).length, failures: [...new Set(outcomes.filter((o) => !o.ok).map((o) => o.what))],
        latencies: outcomes.map((o) => Math.round(o.ms)), laneThreads: (gw.logs().match(/thread ended, its memory given back/g) ?? []).length - lanes0,
        idleMain: { heap: idle.mainHeap, external: idle.mainExternal }, probe: attribution(gw.probe, wall0, wallEnd + 2000),
      };
      log(`    answered ${row.answered}/${count}${row.failures.length ? ` (${row.failures.join('; ')})` : ''}; peak ${mib(row.peak)} MiB (+${mib(row.peak - before)}, ` +
        `${((row.peak - before) / DOC_BYTES).toFixed(1)}× the document); ${SETTLE_MS / 1000} s after ${mib(row.rss30)} MiB (${row.rss30 >= before ? '+' : ''}${mib(row.rss30 - before)}); ` +
        `main heap ≤ ${mib(row.probe.mainHeap)}, main external ≤ ${mib(row.probe.mainExternal)}, lane heap ≤ ${mib(row.probe.laneHeap)}, lane external ≤ ${mib(row.probe.laneExternal)} MiB`);
      rows.push(row);
    }
  } finally {
    await gw.stop();
    if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

function report(builds: Build[], rows: PhaseRow[], started: Date): string {
  const base = rows.filter((r) => r.build === builds[0]!.name);
  const lines = [
    `## An inline AppDocument (issue 16 item 7), ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `${builds.map((b) => b.described).join('; ')}. ${cpus().length} × ${cpuModel()}, ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}. ` +
    `\`npm run bench:inline -- ${process.argv.slice(2).join(' ')}\`. Each build: a fresh gateway (\`bin/smev2-gateway.js start\` with ${Object.entries(GATEWAY_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}, ` +
    `fresh SQLite store and keys), warmed up on 3 small requests; the demo ${SID} request with a ${mib(DOC_BYTES)} MiB ZIP inline (BinaryData, base64), signed by ${SENDER} ` +
    `(verified, \`signature: report\`), a fresh RequestCode each. RSS from /proc every ${SAMPLE_MS} ms (peak: VmRSS or VmHWM, reset before each phase); "after" counts from the phase's last answer; ` +
    `"back" is when RSS was within one document size of before. Heap and external are the highest \`process.memoryUsage()\` of each thread during the phase (bench/support/memory-probe.js). ` +
    `Target: growth < ${GROWTH_TARGET}× the document, given back within ${BACK_WITHIN_MS / 1000} s, for each document in flight (four at once may grow by four times that); ` +
    'the `first` large message of the process is reported, not judged: it also pays what is paid once for any traffic (SQLite\'s page cache filling to its SMEV2_SQLITE_CACHE_KIB, code for the large paths).',
    '',
    '| build | phase | envelope MiB | answered | latency ms | RSS before MiB | peak MiB | growth MiB | growth ÷ document | per document in flight | growth ÷ base | 30 s after MiB (Δ) | back after | main heap / external MiB (idle → peak) | lane heap / external MiB | lane threads ended | verdict |',
    '|---|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|',
    ...rows.map((r) => {
      const growth = r.peak - r.before;
      const b = base.find((x) => x.phase === r.phase);
      const delta = r.rss30 - r.before;
      const inFlight = r.phase === 'concurrent' ? r.count : 1;
      const met = growth < GROWTH_TARGET * DOC_BYTES * inFlight && r.backMs !== undefined && r.backMs <= BACK_WITHIN_MS;
      return `| ${r.build} | ${r.phase} (${r.count}) | ${(r.envelope / MiB).toFixed(1)} | ${r.answered}/${r.count}${r.failures.length ? ` (${r.failures.join('; ')})` : ''} | ${r.latencies.join(', ')} | ` +
        `${mib(r.before)} | ${mib(r.peak)} | ${mib(growth)} | ${(growth / DOC_BYTES).toFixed(1)}× | ${(growth / DOC_BYTES / inFlight).toFixed(1)}× | ${b ? `${(growth / Math.max(1, b.peak - b.before)).toFixed(2)}` : ''} | ` +
        `${mib(r.rss30)} (${delta >= 0 ? '+' : ''}${mib(delta)}) | ${r.backMs === undefined ? `not in ${SETTLE_MS / 1000} s` : `${(r.backMs / 1000).toFixed(1)} s`} | ` +
        `${mib(r.idleMain.heap)} / ${mib(r.idleMain.external)} → ${mib(r.probe.mainHeap)} / ${mib(r.probe.mainExternal)} | ${r.probe.laneHeap ? `${mib(r.probe.laneHeap)} / ${mib(r.probe.laneExternal)}` : 'no lane'} | ${r.laneThreads} | ${r.phase === 'first' ? (met ? 'met (not judged)' : 'not judged') : met ? 'met' : '**missed**'} |`;
    }),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  await loadXml();
  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-inline-'));
  process.once('SIGINT', () => { killAll(); process.exit(130); });
  process.once('SIGTERM', () => { killAll(); process.exit(143); });
  try {
    const builds = opt.commits.split(',').map((x) => x.split('=') as [string, string]).map(([name, rev]) => build(work, name, rev));
    const rows: PhaseRow[] = [];
    for (const b of builds) rows.push(...await runBuild(b, work));
    const text = report(builds, rows, started);
    publish(text, join(ROOT, 'bench', 'RESULTS.md'), !opt['no-append']);
  } finally {
    cleanUp(work, opt.keep);
  }
}

runBench('bench:inline', main);
