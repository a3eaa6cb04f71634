// `npm run bench:memory`: issue 13, item 5 (memory bounded by configuration, not by clients) and
// item 6 (disk bounded) on the real gateway process. For each setting (default: the default
// settings, then --max-bytes-in-flight 96 MiB and 64 MiB), a fresh gateway (`bin/smev2-gateway.js
// start`, a fresh SQLite store and keys folder in a throw-away directory) gets 32 concurrent
// requests of 60 MB to the demo SID0003623 (its real request with a 45 MB AppDocument in base64),
// each on its own connection with its Content-Length; the gateway's RSS is read from
// /proc/PID/status every 100 ms (VmRSS, and VmHWM reset just before the flood), and for 30 s after
// the last answer. Reported per setting: RSS before (idle, warmed up on small requests), peak RSS,
// RSS 10 s and 30 s after, when it came back within 100 MB, and what the 32 clients got (answered,
// GW-9002, another fault, a connection error, no answer in time). Then the disk case: 40 refused
// 60 MB requests in turn to a fresh gateway, and how much they grew its SQLite store against the
// journal's cap for refused bodies. Printed, and appended to bench/RESULTS.md.
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ROOT, oneProcess } from './support/fixtures';
import { launchGateway, killAll, publish, cleanUp, runBench } from './support/launch';
import { CpuMeter, cpuModel, idleRss, resetPeak, RssSampler, SAMPLE_MS, wholeOption } from './support/proc';

const HELP = `npm run bench:memory -- [options]

  --budgets LIST   the settings to load, each a fresh gateway: "default" (no flag) or a budget in MiB
                   for --max-bytes-in-flight (default: default,96,64)
  --requests N     concurrent requests per setting (default 32)
  --size BYTES     bytes of each request's body (default 60000000; at most --max-request-bytes, 64 MiB)
  --settle S       seconds RSS is followed after the last answer (default 30)
  --timeout S      the flood's time limit; requests not answered by then are counted and dropped (default 600)
  --disk N         refused requests of --size bytes for the disk case (issue 13, item 6; default 40; 0: skip)
  --commit REV     measure a clone of this repository at REV, built in a throw-away folder
                   (default: this work tree's build, made first if the sources changed)
  --no-append      print the report only; do not append it to bench/RESULTS.md
  --keep           keep the throw-away folders (stores, logs)
`;

const { values: opt } = parseArgs({
  options: {
    budgets: { type: 'string', default: 'default,96,64' },
    requests: { type: 'string', default: '32' },
    size: { type: 'string', default: '60000000' },
    settle: { type: 'string', default: '30' },
    timeout: { type: 'string', default: '600' },
    disk: { type: 'string', default: '40' },
    commit: { type: 'string' },
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
const REQUESTS = whole('requests', opt.requests);
const SIZE = whole('size', opt.size);
const SETTLE_MS = whole('settle', opt.settle) * 1000;
const TIMEOUT_MS = whole('timeout', opt.timeout) * 1000;
const DISK = whole('disk', opt.disk);
const BUDGETS = opt.budgets.split(',').map((b) => b.trim()).filter(Boolean).map((b) => (b === 'default' ? undefined : whole('budgets', b)));

const MiB = 1024 * 1024;
const SID = 'SID0003623';
const PEAK_TARGET = 1_000_000_000; // issue 13, item 5: peak RSS ≤ 1 GB
const BACK_TARGET = 100_000_000; // RSS back within 100 MB of its level before
const BACK_WITHIN_MS = 30_000; // … within 30 s after
// a refused row's own metadata and index entries beside its kept bytes (test/disk-bounds.test.ts allows the same)
const ROW_ALLOWANCE = 64 * 1024;

const mib = (b: number) => (b / MiB).toFixed(0);
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function git(args: string[], cwd = ROOT): string | undefined {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The gateway to measure: this work tree (built if needed), or a clone at --commit built in `work`. */
function gatewayRoot(work: string): { root: string; described: string } {
  if (!opt.commit) {
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed: fix the TypeScript errors above, or measure a commit that builds (--commit REV)');
    const dirty = git(['status', '--porcelain']);
    return { root: ROOT, described: `commit ${git(['rev-parse', '--short', 'HEAD']) ?? 'unknown'}${dirty ? ` + uncommitted changes in the work tree (${dirty.split('\n').length} paths)` : ''}` };
  }
  const commit = git(['rev-parse', '--short', opt.commit]);
  if (!commit) throw new Error(`--commit ${opt.commit}: not a revision of ${ROOT}`);
  const dir = join(work, `build-${commit}`);
  if (git(['clone', '--quiet', '--no-checkout', ROOT, dir]) === undefined || git(['checkout', '--quiet', '--detach', commit], dir) === undefined) {
    throw new Error(`could not clone ${ROOT} at ${commit} into ${dir}`);
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  log(`building ${commit} in ${dir} …`);
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(dir, 'tsconfig.build.json')], { encoding: 'utf8' });
  if (r.status !== 0 || !existsSync(join(dir, 'dist', 'cli', 'main.js'))) throw new Error(`the build of ${commit} failed:\n${r.stdout}${r.stderr}`);
  return { root: dir, described: `commit ${commit} (a clean clone, built for this run)` };
}

/** The settings the gateway runs with, as its own configuration loader reads the flags and environment. */
interface Effective { maxBytesInFlight: number; maxRequestBytes: number; largeBodyBytes: number; largeWorkerIdleMs: number; journalRefusedBytes: number }
function effective(root: string, flags: Record<string, string>, env: Record<string, string>): Effective {
  const { loadConfig } = require(join(root, 'dist', 'config.js')) as { loadConfig: (f: Record<string, string>, e: NodeJS.ProcessEnv) => Effective };
  return loadConfig(flags, { ...process.env, ...env });
}

interface Gateway { pid: number; port: number; db: string; logs: () => string; alive: () => boolean; stop: () => Promise<void> }

/** The real gateway on a free loopback port, with a fresh SQLite store and keys folder in `dir`. */
function startGateway(root: string, dir: string, flags: Record<string, string>, env: Record<string, string>): Promise<Gateway> {
  const db = join(dir, 'journal.sqlite');
  const args = ['bin/smev2-gateway.js', 'start', '--port', '0', '--host', '127.0.0.1', '--db', `sqlite:${db}`, '--keys', join(dir, 'keys'),
    '--services', join(root, 'wsdl'), ...oneProcess(root), ...Object.entries(flags).flatMap(([k, v]) => [`--${k}`, v])];
  return launchGateway({ cwd: root, args, env }).then((g) => ({ ...g, db }));
}

// The demo request (fixtures/SID0003623/found/request.xml) with an AppDocument after its AppData:
// a fresh RequestCode per request in the head, the same base64 BinaryData for all (one buffer, so
// the bench itself does not hold 32 × 60 MB), and the rest of the envelope as the tail.
const TEMPLATE = readFileSync(join(ROOT, 'fixtures', SID, 'found', 'request.xml'), 'utf8');
const AT = TEMPLATE.indexOf('</smev:AppData>') + '</smev:AppData>'.length;
if (AT < '</smev:AppData>'.length) throw new Error(`fixtures/${SID}/found/request.xml has no </smev:AppData>`);

interface Body { head: () => Buffer; data: Buffer; tail: Buffer; length: number }

/** Bodies of exactly `size` bytes (to 3 bytes: base64 comes in fours); `refused`: a Status the envelope schema refuses (SMEV-102000). */
function bodies(size: number, refused = false): Body {
  const template = refused ? TEMPLATE.replace('<smev:Status>REQUEST</smev:Status>', '<smev:Status>BOGUS</smev:Status>') : TEMPLATE;
  const head = () => Buffer.from(`${template.slice(0, AT)}<smev:AppDocument><smev:RequestCode>bench-${randomBytes(8).toString('hex')}</smev:RequestCode><smev:BinaryData>`);
  const tail = Buffer.from(`</smev:BinaryData></smev:AppDocument>${template.slice(AT)}`);
  const room = size - head().length - tail.length;
  if (room < 4) throw new Error(`--size ${size} is smaller than the demo envelope around the AppDocument (${size - room} bytes)`);
  const data = Buffer.from(randomBytes((Math.floor(room / 4) * 3)).toString('base64'));
  return { head, data, tail, length: head().length + data.length + tail.length };
}

type Kind = 'answered' | 'GW-9002' | 'fault' | 'connection error' | 'no answer in time';
interface Outcome { kind: Kind; status?: number; code?: string; ms: number }

const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];

/** POST one body on its own connection; what the client got. */
function send(port: number, body: Body, timeoutMs: number): Promise<Outcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (o: Omit<Outcome, 'ms'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ...o, ms: performance.now() - t0 });
    };
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/gateway/services/${SID}`, agent: false,
      headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (c: Buffer) => { if (kept < MiB) { chunks.push(c); kept += c.length; } });
      res.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'connection error', status: res.statusCode, code: e.code ?? e.message }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const fault = faultstring(text);
        const code = fault ? /^([A-Z]+-\d+)/.exec(fault)?.[1] ?? fault.slice(0, 60) : undefined;
        if (res.statusCode === 200 && /<(\w+:)?Status>RESULT<\//.test(text)) finish({ kind: 'answered', status: 200 });
        else if (res.statusCode === 503 && code === 'GW-9002') finish({ kind: 'GW-9002', status: 503, code });
        else finish({ kind: 'fault', status: res.statusCode, code: code ?? `HTTP ${res.statusCode}` });
      });
    });
    // an error after the answer came (the gateway closing a refused upload) does not change what the client got
    req.on('error', (e: NodeJS.ErrnoException) => finish({ kind: 'connection error', code: e.code ?? e.message }));
    const timer = setTimeout(() => { finish({ kind: 'no answer in time' }); req.destroy(); }, timeoutMs);
    req.write(body.head());
    req.write(body.data);
    req.end(body.tail);
  });
}



const SMALL = readFileSync(join(ROOT, 'fixtures', SID, 'found', 'request.xml'));

async function warmUp(port: number): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`http://127.0.0.1:${port}/gateway/services/${SID}`, { method: 'POST', body: SMALL, headers: { 'content-type': 'text/xml; charset=utf-8' } });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`the warm-up request was not answered: HTTP ${res.status} ${faultstring(text) ?? text.slice(0, 300)}`);
  }
}

interface FloodRow {
  settings: string; budget: number; baseline: number; peak: number; rss10: number; rss30: number; backMs?: number;
  counts: Map<string, number>; floodS: number; slowestS: number; laneEnded: number; others: number; alive: boolean;
}

async function flood(root: string, work: string, budgetMiB: number | undefined): Promise<FloodRow> {
  const dir = mkdtempSync(join(work, 'gw-'));
  const flags: Record<string, string> = budgetMiB === undefined ? {} : { 'max-bytes-in-flight': String(budgetMiB * MiB) };
  const cfg = effective(root, flags, {});
  const settings = `${budgetMiB === undefined ? 'default' : `--max-bytes-in-flight ${budgetMiB} MiB`}: budget ${mib(cfg.maxBytesInFlight)} MiB, ` +
    `max request ${mib(cfg.maxRequestBytes)} MiB, large body ≥ ${mib(cfg.largeBodyBytes)} MiB in the lane, lane idle ${cfg.largeWorkerIdleMs} ms`;
  log(`\n${settings}`);
  const gw = await startGateway(root, dir, flags, {});
  try {
    await warmUp(gw.port);
    const baseline = await idleRss(gw.pid, 15_000);
    const body = bodies(SIZE);
    const endedBefore = (gw.logs().match(/thread ended, its memory given back/g) ?? []).length;
    resetPeak(gw.pid);
    const sampler = new RssSampler(gw.pid);
    const cpu = new CpuMeter([gw.pid, process.pid]);
    log(`  RSS before ${mib(baseline)} MiB; sending ${REQUESTS} × ${body.length.toLocaleString('en')} bytes at once …`);
    const t0 = performance.now();
    const outcomes = await Promise.all(Array.from({ length: REQUESTS }, () => send(gw.port, body, TIMEOUT_MS)));
    const tEnd = performance.now();
    const { others } = cpu.stop();
    const counts = new Map<string, number>();
    for (const o of outcomes) {
      const k = o.kind === 'fault' ? `fault ${o.code}` : o.kind === 'connection error' ? `connection error ${o.code}` : o.kind;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    log(`  in ${((tEnd - t0) / 1000).toFixed(1)} s: ${[...counts].map(([k, n]) => `${n} ${k}`).join(', ')}; following RSS for ${SETTLE_MS / 1000} s …`);
    let backMs: number | undefined;
    while (performance.now() < tEnd + SETTLE_MS) {
      await sleep(SAMPLE_MS);
      const last = sampler.samples[sampler.samples.length - 1];
      if (backMs === undefined && last && last.t >= tEnd && last.rss <= baseline + BACK_TARGET) backMs = last.t - tEnd;
    }
    sampler.stop();
    const row: FloodRow = {
      settings, budget: cfg.maxBytesInFlight, baseline, peak: sampler.peak, rss10: sampler.at(tEnd + 10_000), rss30: sampler.at(tEnd + SETTLE_MS), backMs,
      counts, floodS: (tEnd - t0) / 1000, slowestS: Math.max(...outcomes.map((o) => o.ms)) / 1000,
      laneEnded: (gw.logs().match(/thread ended, its memory given back/g) ?? []).length - endedBefore, others, alive: gw.alive(),
    };
    log(`  peak ${mib(row.peak)} MiB; 10 s after ${mib(row.rss10)} MiB, ${SETTLE_MS / 1000} s after ${mib(row.rss30)} MiB (${row.rss30 >= baseline ? '+' : ''}${mib(row.rss30 - baseline)} MiB)` +
      `${backMs === undefined ? '; never back within 100 MB' : `; back within 100 MB after ${(backMs / 1000).toFixed(1)} s`}`);
    return row;
  } finally {
    await gw.stop();
    if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** The SQLite store's size as it persists: the file after its WAL is folded in. */
function storeSize(db: string): number {
  const d = new Database(db);
  try {
    d.pragma('busy_timeout = 10000');
    const [ck] = d.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (ck?.busy) throw new Error(`the WAL of ${db} could not be folded into the file: a reader held it`);
  } finally {
    d.close();
  }
  return statSync(db).size;
}

interface DiskRow { count: number; size: number; cap: number; before: number; after: number; counts: Map<string, number>; kept: { rows: number; maxKept: number; whole: number }; seconds: number; peak: number }

async function disk(root: string, work: string): Promise<DiskRow> {
  const dir = mkdtempSync(join(work, 'disk-'));
  const cfg = effective(root, {}, {});
  log(`\ndisk: ${DISK} refused requests of ${SIZE.toLocaleString('en')} bytes in turn, default settings (refused bodies journaled up to ${cfg.journalRefusedBytes.toLocaleString('en')} bytes)`);
  const gw = await startGateway(root, dir, {}, {});
  try {
    await warmUp(gw.port);
    const small = await send(gw.port, bodies(4096, true), 60_000); // a first refusal, so the journal's pages for refused rows exist
    if (small.kind !== 'fault') throw new Error(`a small refused request got ${small.kind} ${small.code ?? ''}, not a fault`);
    const before = storeSize(gw.db);
    const body = bodies(SIZE, true);
    resetPeak(gw.pid);
    const sampler = new RssSampler(gw.pid);
    const counts = new Map<string, number>();
    const t0 = performance.now();
    for (let i = 0; i < DISK; i++) {
      const o = await send(gw.port, body, TIMEOUT_MS);
      const k = o.kind === 'fault' ? `fault ${o.code}` : o.kind === 'connection error' ? `connection error ${o.code}` : o.kind;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      process.stderr.write(`\r  ${i + 1} of ${DISK}: ${k}      `);
    }
    const seconds = (performance.now() - t0) / 1000;
    sampler.stop();
    process.stderr.write('\n');
    const after = storeSize(gw.db);
    const d = new Database(gw.db, { readonly: true });
    const rows = d.prepare("SELECT size, raw_kept, length(raw) AS len FROM journal WHERE direction = 'consumer->gateway' AND size = ?").all(body.length) as { size: number; raw_kept: number | null; len: number }[];
    d.close();
    const kept = { rows: rows.length, maxKept: Math.max(0, ...rows.map((r) => r.len)), whole: rows.filter((r) => r.raw_kept === null).length };
    log(`  store ${mib(before)} → ${mib(after)} MiB (+${((after - before) / MiB).toFixed(1)} MiB; cap × count ${((cfg.journalRefusedBytes * DISK) / MiB).toFixed(1)} MiB); ${kept.rows} rows of ${body.length} bytes, each keeping at most ${kept.maxKept}`);
    return { count: DISK, size: body.length, cap: cfg.journalRefusedBytes, before, after, counts, kept, seconds, peak: sampler.peak };
  } finally {
    await gw.stop();
    if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  }
}

function report(described: string, rows: FloodRow[], d: DiskRow | undefined, started: Date): string {
  const size = bodies(SIZE).length;
  const lines = [
    `## Memory and disk bounds (issue 13, items 5 and 6), ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `${described}; ${cpus().length} × ${cpuModel()} (nproc ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}. ` +
    `\`npm run bench:memory -- ${process.argv.slice(2).join(' ')}\`. Each setting: a fresh gateway (\`bin/smev2-gateway.js start\`, fresh SQLite store and keys), ` +
    `warmed up on 3 small requests, then ${REQUESTS} concurrent requests of ${size.toLocaleString('en')} bytes to the demo ${SID} (its request with an AppDocument of ` +
    `${bodies(SIZE).data.length.toLocaleString('en')} bytes of base64; \`signature: report\`, unsigned), one connection each with Content-Length. RSS of the gateway process ` +
    `from /proc/PID/status every ${SAMPLE_MS} ms; the peak is the highest VmRSS or VmHWM (reset before the flood); "after" counts from the last answer. ` +
    `Targets (issue 13, item 5), with default settings: peak RSS ≤ 1 GB (10⁹ bytes, ${mib(PEAK_TARGET)} MiB), and RSS within 100 MB (${mib(BACK_TARGET)} MiB) of its level before, 30 s after.`,
    '',
    '| settings | RSS before MiB | peak RSS MiB | 10 s after MiB | 30 s after MiB (Δ) | back within 100 MB after | answered | GW-9002 | other | flood s (slowest answer) | lane threads ended | others\' cores | peak ≤ 1 GB | back ≤ 100 MB in 30 s |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|',
    ...rows.map((r) => {
      const other = [...r.counts].filter(([k]) => k !== 'answered' && k !== 'GW-9002').map(([k, n]) => `${n} ${k}`).join(', ') || '0';
      const delta = r.rss30 - r.baseline;
      return `| ${r.settings} | ${mib(r.baseline)} | ${mib(r.peak)} | ${mib(r.rss10)} | ${mib(r.rss30)} (${delta >= 0 ? '+' : ''}${mib(delta)}) | ` +
        `${r.backMs === undefined ? `not within ${SETTLE_MS / 1000} s` : `${(r.backMs / 1000).toFixed(1)} s`} | ${r.counts.get('answered') ?? 0} | ${r.counts.get('GW-9002') ?? 0} | ${other}${r.alive ? '' : ', **the gateway died**'} | ` +
        `${r.floodS.toFixed(1)} (${r.slowestS.toFixed(1)}) | ${r.laneEnded} | ${r.others.toFixed(2)} | ${r.peak <= PEAK_TARGET ? 'met' : '**missed**'} | ` +
        `${r.backMs !== undefined && r.backMs <= BACK_WITHIN_MS && delta <= BACK_TARGET ? 'met' : '**missed**'} |`;
    }),
    '',
  ];
  if (d) {
    const growth = d.after - d.before;
    lines.push(
      `Disk (issue 13, item 6): ${d.count} requests of ${d.size.toLocaleString('en')} bytes that the envelope schema refuses (\`<smev:Status>BOGUS\`), sent in turn to a fresh gateway with default settings ` +
      `(${d.seconds.toFixed(0)} s; peak RSS ${mib(d.peak)} MiB); the store is the SQLite file after \`wal_checkpoint(TRUNCATE)\`. Target: the store grows by at most cap × count ` +
      `(here, as in test/disk-bounds.test.ts, plus ${ROW_ALLOWANCE / 1024} KiB a row for its metadata and index entries).`,
      '',
      '| refused requests | what they got | journal cap for a refused body | rows of that size: count, bytes kept at most, kept whole | store before MiB | store after MiB | growth MiB | cap × count MiB | growth per request | verdict |',
      '|---:|---|---:|---|---:|---:|---:|---:|---:|---|',
      `| ${d.count} × ${d.size.toLocaleString('en')} B | ${[...d.counts].map(([k, n]) => `${n} ${k}`).join(', ')} | ${d.cap.toLocaleString('en')} B | ` +
      `${d.kept.rows}, ${d.kept.maxKept.toLocaleString('en')} B, ${d.kept.whole} | ${(d.before / MiB).toFixed(1)} | ${(d.after / MiB).toFixed(1)} | ${(growth / MiB).toFixed(1)} | ` +
      `${((d.cap * d.count) / MiB).toFixed(1)} | ${Math.round(growth / d.count).toLocaleString('en')} B | ${growth <= (d.cap + ROW_ALLOWANCE) * d.count ? 'met' : '**missed**'} |`,
      '',
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-memory-'));
  process.once('SIGINT', () => { killAll(); process.exit(130); });
  process.once('SIGTERM', () => { killAll(); process.exit(143); });
  try {
    const { root, described } = gatewayRoot(work);
    const max = effective(root, {}, {}).maxRequestBytes;
    if (SIZE > max) throw new Error(`--size ${SIZE} is past --max-request-bytes (${max}): the gateway would refuse every request as too large`);
    const rows: FloodRow[] = [];
    for (const b of BUDGETS) rows.push(await flood(root, work, b));
    const d = DISK > 0 ? await disk(root, work) : undefined;
    const text = report(described, rows, d, started);
    publish(text, join(ROOT, 'bench', 'RESULTS.md'), !opt['no-append']);
  } finally {
    cleanUp(work, opt.keep);
  }
}

runBench('bench:memory', main);
