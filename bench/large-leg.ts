// `npm run bench:leg`: issue 20 item 4, "for 100 KB and 10 MiB inline messages, the whole leg
// (parse, c14n, digests, journal) costs within 2× of c14n plus digest alone in the same run; each
// envelope is parsed once per leg". In one run, message by message, interleaved:
//   - the baseline, in this process: the envelope parsed once (parseEnvelope, as the parse stage
//     does) and its Body's exclusive c14n digested (canonicalDigest, the code the verify and sign
//     stages run), each timed by this process's CPU time;
//   - the same message through the real gateway (bin/smev2-gateway.js start, one process, fresh
//     SQLite store), to the echo SID whose http provider (bench/provider.js, another process) answers
//     one small signed answer at once: the CPU time of every thread of the gateway (schedstat), from
//     before the request to when the gateway has gone idle after the answer;
//   - then a small request of the same form without the AppDocument: its exchange costs what does
//     not grow with the document (the answer leg, the signatures' private-key operations, HTTP, the
//     journal's rows), so (large − small) is what the message's bytes cost the whole leg.
// The ratio (large − small) ÷ (parse + c14n + digest) is judged against 2×. RSA and GOST 2012-256
// keys, each on a gateway of its own. Then a CPU profile of the gateway per size (another gateway
// under --cpu-prof, the same messages) says where the leg's time goes, by step; and /metrics says
// how often the gateway parsed each message (smev2_xml_parses_total). Printed and appended to
// bench/RESULTS.md; what it means: bench/README.md.
import http from 'node:http';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { canonicalDigest, C14N } from '../src/signature/c14n';
import { DIGESTS, SIGNATURES } from '../src/signature/algorithms';
import { signEnvelope, type Signer } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';
import { ROOT, SID, makeKeySet, makeSystems, makeRegistry, writeAnswers, requestXml, storedZip, type KeySet } from './support/fixtures';
import { startProvider, startGateway, stopAllOnExit, type Service } from './support/services';
import { CpuMeter, cpuModel, threadsCpuNs, wholeOption } from './support/proc';
import { cleanUp, publish, runBench } from './support/launch';
import { sliceProfile, summarize, type CpuProfile } from './profile-summary';

const HELP = `npm run bench:leg -- [options]

  --algs LIST          keys of the consumer, the provider and the node, each on a gateway of its own:
                       rsa, gost (GOST R 34.10-2012-256) (default rsa,gost)
  --rounds-100k N      100 KB messages measured per algorithm (default 60)
  --rounds-10m N       10 MiB messages measured per algorithm (default 6)
  --warm N             exchanges of each kind before measuring (default 2)
  --profile-100k N     100 KB messages sent to a gateway under --cpu-prof, per algorithm,
                       each followed by a small one (default 20)
  --profile-10m N      10 MiB ones (default 2); both 0: no profile
  --no-append          print the report only; do not append it to bench/RESULTS.md
  --keep               keep the work folder (keys, stores, the .cpuprofile files)

Takes about 4 minutes with the defaults on a 2-core machine. Progress on stderr.
`;

const { values: opt } = parseArgs({
  options: {
    algs: { type: 'string', default: 'rsa,gost' },
    'rounds-100k': { type: 'string', default: '60' },
    'rounds-10m': { type: 'string', default: '6' },
    warm: { type: 'string', default: '2' },
    'profile-100k': { type: 'string', default: '20' },
    'profile-10m': { type: 'string', default: '2' },
    'no-append': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const whole = wholeOption(HELP);
const ALGS = opt.algs.split(',').map((a) => a.trim()).filter(Boolean);
for (const a of ALGS) {
  if (a !== 'rsa' && a !== 'gost') {
    process.stderr.write(`--algs: "${a}" is neither rsa nor gost\n\n${HELP}`);
    process.exit(2);
  }
}
const KiB = 1024;
const MiB = 1024 * KiB;
interface Size { key: '100k' | '10m'; label: string; bytes: number; rounds: number; profile: number }
const SIZES: Size[] = [
  { key: '100k', label: '100 KB', bytes: 100 * KiB, rounds: whole('rounds-100k', opt['rounds-100k']), profile: whole('profile-100k', opt['profile-100k']) },
  { key: '10m', label: '10 MiB', bytes: 10 * MiB, rounds: whole('rounds-10m', opt['rounds-10m']), profile: whole('profile-10m', opt['profile-10m']) },
];
const WARM = whole('warm', opt.warm);
const TARGET = 2;
/** how long after an answer an exchange's window lasts at least (a large message's: its collection after the answer) */
const AFTER_ANSWER_MS = 100;
const AFTER_LARGE_MS = 250;
/** then on, step by step, until a step holds less than this above the idle rate (the outbox's polls cost 1–2 ms each) */
const SETTLE_STEP_MS = 50;
const BUSY_NS = 2_500_000;
const SETTLE_MAX_STEPS = 40;
/** the gateway's main thread collects once when no large exchange has ended for 5 s (SMEV2_LARGE_WORKER_IDLE_MS) */
const IDLE_AFTER_LARGE_MS = 6500;
/** a gateway just started purges its journal after 1 s (retention) and settles */
const STARTED_SETTLE_MS = 2000;

const T0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - T0) / 1000).toFixed(0).padStart(3)} s] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowUs = () => Number(process.hrtime.bigint() / 1000n);

interface Side {
  alg: string;
  keys: KeySet;
  provider: Service;
  gateway: Service;
  registry: string;
  agent: http.Agent;
  /** CPU ns per ms the gateway uses with no traffic (idleRate) */
  idleNsPerMs: number;
  /** the base64 of each size's ZIP, made once: messages differ by their Body's id */
  documents: Map<Size['key'], string>;
}

/** One measured message: the baseline in this process, and the gateway's CPU for it and for the small request after it. */
interface Sample { alg: string; size: Size['key']; envelope: number; parseNs: number; digestNs: number; largeNs: number; smallNs: number; smallBytes: number }

const cpuNs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};

/** A consumer's signed request of about `size.bytes` (none: the small one), its Body's id making it a message of its own. */
function request(s: Side, size: Size | undefined, id: string, date: string): Buffer {
  const xml = requestXml({ bodyId: id, fill: 0, date, appDocument: size ? s.documents.get(size.key) : undefined });
  return signEnvelope(Buffer.from(xml, 'utf8'), ACTOR.smev, s.keys.consumer, { header: false });
}

/** The ZIP whose base64 makes the signed envelope about `size.bytes` long. */
function documentFor(s: KeySet, size: Size, date: string): string {
  const bare = signEnvelope(Buffer.from(requestXml({ bodyId: 'size', fill: 0, date, appDocument: 'AAAA' }), 'utf8'), ACTOR.smev, s.consumer, { header: false }).length - 4;
  const zipBytes = Math.floor(((size.bytes - bare) * 3) / 4);
  return storedZip(zipBytes - 2 * 'document.bin'.length - 30 - 46 - 22).toString('base64');
}

/** Parse once and digest the Body's exclusive c14n with the consumer's digest: CPU ns of each. */
function baseline(bytes: Buffer, signer: Signer): { parseNs: number; digestNs: number } {
  const digest = DIGESTS.get(signer.digestUri ?? SIGNATURES.get(signer.signatureUri)!.digestUri)!;
  const t0 = cpuNs();
  const p = parseEnvelope(bytes);
  const t1 = cpuNs();
  let t2: number;
  try {
    canonicalDigest(p.body, { algorithm: C14N.exclusive }, digest);
    t2 = cpuNs();
  } finally {
    p.doc.dispose();
  }
  return { parseNs: t1 - t0, digestNs: t2 - t1 };
}

function post(s: Side, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${s.gateway.url}${SID}`, {
      method: 'POST', agent: s.agent, headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': body.length, soapaction: '"urn:test:echo:Echo"' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        // the provider's answer, judged and marked by the node: both signature blocks
        if (res.statusCode === 200 && text.includes('EchoResponse') && (text.match(/<wsse:Security /g) ?? []).length === 2) resolve(text);
        else reject(new Error(`the ${s.alg} gateway did not answer the ${body.length}-byte request with the echo's answer: HTTP ${res.statusCode} ${text.slice(0, 600)}`));
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * What the gateway burns with no traffic, ns of CPU per ms (its outbox is polled every 50 ms, a
 * query each time): measured before the run, taken off every exchange's window.
 */
async function idleRate(pid: number, ms = 5000): Promise<number> {
  const c0 = threadsCpuNs(pid)!;
  const t0 = performance.now();
  await sleep(ms);
  return (threadsCpuNs(pid)! - c0) / (performance.now() - t0);
}

/**
 * The gateway's CPU (all its threads) spent on one exchange, less its idle rate over the window:
 * from before the request to a while after the answer (what follows an answer, such as the
 * collection after a large exchange, runs within it), then on until a step shows no more than
 * its idle rate's worth of work.
 */
async function exchange(s: Side, body: Buffer): Promise<number> {
  const t0 = performance.now();
  const before = threadsCpuNs(s.gateway.pid)!;
  await post(s, body);
  await sleep(body.length >= MiB ? AFTER_LARGE_MS : AFTER_ANSWER_MS);
  let last = threadsCpuNs(s.gateway.pid)!;
  let at = performance.now();
  for (let i = 0; i < SETTLE_MAX_STEPS; i++) {
    await sleep(SETTLE_STEP_MS);
    const now = threadsCpuNs(s.gateway.pid)!;
    const t = performance.now();
    const busy = now - last - s.idleNsPerMs * (t - at) >= BUSY_NS;
    last = now;
    at = t;
    if (!busy) break;
  }
  return last - before - s.idleNsPerMs * (at - t0);
}

/** smev2_xml_parses_total of a gateway, by purpose. */
async function parseCounts(s: Side): Promise<Map<string, number>> {
  const text = await (await fetch(s.gateway.url.replace(/\/gateway\/services\/$/, '/metrics'))).text();
  return new Map([...text.matchAll(/^smev2_xml_parses_total\{purpose="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

async function setUp(work: string, alg: string, date: string): Promise<Side> {
  const keys = makeKeySet(join(work, `keys-${alg}`), alg === 'rsa' ? 'rsa' : 'gost2012-256');
  const answers = join(work, `answers-${alg}`);
  writeAnswers(answers, keys, date);
  // one small answer to every request: the answer leg is the same for the large request and the small one
  copyFileSync(join(answers, 'answer-5k.xml'), join(answers, 'answer-100k.xml'));
  log(`  keys and answers made; starting the provider and the gateway`);
  const provider = await startProvider(answers);
  const registry = makeRegistry(join(work, `registry-${alg}`), provider.url, 'enforce');
  const gateway = await startGateway({ services: registry, systems: join(work, 'systems'), keys: keys.dir, db: join(work, `journal-${alg}.sqlite`) });
  const documents = new Map(SIZES.map((z) => [z.key, documentFor(keys, z, date)] as const));
  return { alg, keys, provider, gateway, registry, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), documents, idleNsPerMs: 0 };
}

interface Slice { steps: { step: string; ms: number }[]; busyMs: number; functions: { name: string; where: string; ms: number }[] }
interface Split { alg: string; size: Size['key']; exchanges: number; large: Slice; small: Slice }

/**
 * A gateway under --cpu-prof gets the same kinds of messages, each large one followed by a small
 * one; each exchange's window (from the request to the gateway idle again) is cut out of the
 * profile, so the large exchanges and the small ones are summed apart, by step.
 */
async function profile(work: string, s: Side, date: string): Promise<Split[]> {
  const dir = join(work, `profile-${s.alg}`);
  mkdirSync(dir, { recursive: true });
  log(`starting the ${s.alg} gateway under --cpu-prof …`);
  const gateway = await startGateway({ services: s.registry, systems: join(work, 'systems'), keys: s.keys.dir, db: join(dir, 'journal.sqlite'), nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
  // the profiler's own thread runs too: this gateway's idle rate, for telling when an exchange is over
  await sleep(STARTED_SETTLE_MS);
  const side: Side = { ...s, gateway, agent: new http.Agent({ keepAlive: true, maxSockets: 1 }), idleNsPerMs: await idleRate(gateway.pid, 2000) };
  const windows: { size: Size; large: [number, number][]; small: [number, number][] }[] = [];
  const timed = async (body: Buffer, into: [number, number][]) => {
    const from = nowUs();
    await exchange(side, body);
    into.push([from, nowUs()]);
  };
  try {
    for (const size of SIZES.filter((z) => z.profile > 0)) {
      for (let i = 0; i < Math.max(1, WARM); i++) {
        await exchange(side, request(side, size, `prof-warm-${size.key}-${i}`, date));
        await exchange(side, request(side, undefined, `prof-warm-small-${size.key}-${i}`, date));
      }
      log(`  profile (${s.alg}): ${size.profile} × ${size.label}, each followed by a small one`);
      const w = { size, large: [] as [number, number][], small: [] as [number, number][] };
      for (let i = 0; i < size.profile; i++) {
        await timed(request(side, size, `prof-${size.key}-${i}`, date), w.large);
        await timed(request(side, undefined, `prof-small-${size.key}-${i}`, date), w.small);
      }
      windows.push(w);
    }
  } finally {
    side.agent.destroy();
    await gateway.stop(); // the profile is written as the process exits
  }
  // one file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile): thread 0 is the main
  // thread, the one whose steps are told apart; the journal's writer thread writes another
  log(`  reading the ${s.alg} gateway's profile`);
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
  const main = files.find((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  if (!main) throw new Error(`the gateway under --cpu-prof wrote no main-thread profile into ${dir} (${files.join(', ') || 'nothing'})`);
  const read = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile;
  const whole = read(main);
  const slice = (w: [number, number][]): Slice => {
    const sum = summarize(sliceProfile(whole, w));
    return { steps: sum.steps, busyMs: sum.busyMs, functions: sum.functions.filter((f) => f.name !== '(idle)').slice(0, 8) };
  };
  return windows.map((w) => ({ alg: s.alg, size: w.size.key, exchanges: w.size.profile, large: slice(w.large), small: slice(w.small) }));
}

const ms = (ns: number) => ns / 1e6;
const f1 = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 2);

function report(samples: Sample[], splits: Split[], parses: Map<string, Map<string, number>>, exchanges: Map<string, number>, env: { started: Date; load0: number[]; load1: number[]; others: number; commit: string; idle: string }): string {
  const rows: string[] = [];
  for (const alg of ALGS) {
    for (const size of SIZES) {
      const xs = samples.filter((x) => x.alg === alg && x.size === size.key);
      if (!xs.length) continue;
      const avg = (k: keyof Sample) => xs.reduce((a, x) => a + (x[k] as number), 0) / xs.length;
      const parse = ms(avg('parseNs'));
      const digest = ms(avg('digestNs'));
      const large = ms(avg('largeNs'));
      const small = ms(avg('smallNs'));
      const leg = large - small;
      const ratio = leg / (parse + digest);
      rows.push(`| ${alg === 'rsa' ? 'RSA-SHA256' : 'GOST 2012-256'} | ${size.label} | ${Math.round(avg('envelope')).toLocaleString('en')} | ${xs.length} | ${f1(parse)} | ${f1(digest)} | ${f1(parse + digest)} | ` +
        `${f1(large)} | ${f1(small)} | ${f1(leg)} | **${ratio.toFixed(2)}×** | ${(leg / digest).toFixed(2)}× | ${(large / (parse + digest)).toFixed(2)}× | ${ratio <= TARGET ? 'met' : '**missed**'} |`);
    }
  }
  const stepNames = [...new Set(splits.flatMap((s) => s.large.steps.map((x) => x.step)))];
  const cols = splits.map((s) => `${s.alg === 'rsa' ? 'RSA' : 'GOST'} ${SIZES.find((z) => z.key === s.size)!.label}`);
  const per = (s: Split, slice: Slice, step: string) => (slice.steps.find((x) => x.step === step)?.ms ?? 0) / s.exchanges;
  const legOf = (s: Split, step: string) => per(s, s.large, step) - per(s, s.small, step);
  const order = stepNames.sort((x, y) => splits.reduce((a, s) => a + legOf(s, y), 0) - splits.reduce((a, s) => a + legOf(s, x), 0));
  const parseLines = ALGS.map((alg) => {
    const p = parses.get(alg);
    const n = exchanges.get(alg) ?? 0;
    return p && n ? `${alg}: ${[...p].sort((a, b) => b[1] - a[1]).map(([purpose, c]) => `${purpose} ${(c / n).toFixed(2)}`).join(', ')} per exchange (${n} measured exchanges)` : `${alg}: no counts`;
  });
  return [
    `## A large document through the whole leg (issue 20 item 4), ${env.started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Commit ${env.commit}; ${cpus().length} × ${cpuModel()}; node ${process.version}; \`npm run bench:leg -- ${process.argv.slice(2).join(' ')}\`. ` +
    `Load average ${env.load0.map((x) => x.toFixed(1)).join(' ')} at the start, ${env.load1.map((x) => x.toFixed(1)).join(' ')} at the end; other processes kept ${env.others.toFixed(2)} cores busy on average while the gateways were measured. ` +
    'Per message, interleaved: the baseline in the bench process (its CPU time: `parseEnvelope` once, then `canonicalDigest` of the Body, exclusive c14n, the consumer\'s digest), ' +
    'then the message through the gateway (`bin/smev2-gateway.js start`, one process, SQLite, signature and control `enforce`, attachments `report`: the ZIP opened and checked) to the echo SID\'s http provider (another process, one small signed answer), ' +
    `then a small request of the same form without the AppDocument (${Math.round(samples.reduce((a, x) => a + x.smallBytes, 0) / Math.max(1, samples.length)).toLocaleString('en')} bytes). Gateway CPU: every thread's, from /proc/<pid>/task/*/schedstat, from before the request until the gateway is idle after the answer, ` +
    `less what it burns with no traffic over that window (its outbox polled every 50 ms: ${env.idle}). ` +
    'leg = large − small, the exchange\'s cost of the message\'s bytes; target: leg ≤ 2 × (parse + c14n + digest). All figures ms per message, means.',
    '',
    '| keys | message | envelope bytes | messages | baseline: parse | baseline: c14n + digest | baseline | gateway: large exchange | gateway: small exchange | leg (large − small) | leg ÷ baseline | leg ÷ (c14n + digest) | large exchange ÷ baseline | target ≤ 2× |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    ...(splits.length ? [
      'Where the leg\'s time goes on the gateway\'s main thread: a gateway under `--cpu-prof` given the same kinds of messages, each large one followed by a small one; ' +
      'each exchange\'s samples (from its request until the gateway was idle again), by step as bench/profile-summary.ts assigns them; ms per exchange, the large exchange\'s less the small one\'s. ' +
      'A profile samples the thread\'s stack in wall time: a synchronous call that waits (better-sqlite3\'s `query` during a commit\'s fsync) counts as busy, so these rows are not CPU time; the libuv pool is in no profile:',
      '',
      `| step | ${cols.join(' | ')} |`,
      `|---|${cols.map(() => '---:').join('|')}|`,
      ...order.map((st) => `| ${st} | ${splits.map((s) => f1(legOf(s, st))).join(' | ')} |`),
      `| the leg on the main thread (large − small) | ${splits.map((s) => f1((s.large.busyMs - s.small.busyMs) / s.exchanges)).join(' | ')} |`,
      `| the large exchange, busy in all | ${splits.map((s) => f1(s.large.busyMs / s.exchanges)).join(' | ')} |`,
      '',
      'The large exchanges\' top functions by self time (ms per exchange):',
      '',
      ...splits.map((s, i) => `- ${cols[i]}: ${s.large.functions.map((f) => `${f.name} (${f.where.replace(/^(dist|node_modules)\//, '')}) ${f1(f.ms / s.exchanges)}`).join('; ')}`),
      '',
    ] : []),
    `XML parses by purpose (smev2_xml_parses_total of the measured gateways; every exchange, large or small, is one request and one answer): ${parseLines.join('; ')}.`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const started = new Date();
  const load0 = loadavg();
  await loadXml();
  stopAllOnExit();
  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-leg-'));
  const sides: Side[] = [];
  try {
    const date = new Date().toISOString();
    makeSystems(join(work, 'systems'));
    for (const alg of ALGS) {
      log(`making ${alg} keys and answers, starting its provider and gateway …`);
      sides.push(await setUp(work, alg, date));
    }
    if (threadsCpuNs(sides[0]!.gateway.pid) === undefined) throw new Error('this kernel gives no /proc/<pid>/task/<tid>/schedstat: the gateway\'s CPU time cannot be measured per exchange');
    // a first idle rate, for telling when a warm-up exchange is over; measured again after the warm-up
    await sleep(STARTED_SETTLE_MS);
    const first = await Promise.all(sides.map((s) => idleRate(s.gateway.pid, 2000)));
    sides.forEach((s, i) => { s.idleNsPerMs = first[i]!; });
    for (const s of sides) {
      log(`warming up the ${s.alg} gateway: ${WARM} × each kind`);
      for (let i = 0; i < WARM; i++) {
        for (const size of SIZES) await exchange(s, request(s, size, `warm-${size.key}-${i}`, date));
        await exchange(s, request(s, undefined, `warm-small-${i}`, date));
      }
    }
    // past the main thread's one collection after the warm-up's large exchanges (SMEV2_LARGE_WORKER_IDLE_MS, 5 s)
    log(`waiting ${IDLE_AFTER_LARGE_MS / 1000} s for the gateways to settle, then measuring what they burn with no traffic`);
    await sleep(IDLE_AFTER_LARGE_MS);
    const rates = await Promise.all(sides.map((s) => idleRate(s.gateway.pid)));
    sides.forEach((s, i) => {
      s.idleNsPerMs = rates[i]!;
      log(`  the ${s.alg} gateway with no traffic: ${(s.idleNsPerMs / 1000).toFixed(1)} ms of CPU a second`);
    });
    // the 100 KB messages first, then the 10 MiB ones: the main thread's one collection 5 s after the
    // last large exchange (SMEV2_LARGE_WORKER_IDLE_MS) then falls after them, not into a 100 KB exchange
    const samples: Sample[] = [];
    const parses0 = new Map<string, Map<string, number>>();
    for (const s of sides) parses0.set(s.alg, await parseCounts(s));
    const meter = new CpuMeter(sides.map((s) => s.gateway.pid));
    for (const size of SIZES) {
      for (let r = 0; r < size.rounds; r++) {
        for (const s of sides) {
          const body = request(s, size, `m-${size.key}-${r}`, date);
          const b = baseline(body, s.keys.consumer);
          const largeNs = await exchange(s, body);
          const smallBody = request(s, undefined, `s-${size.key}-${r}`, date);
          const smallNs = await exchange(s, smallBody);
          samples.push({ alg: s.alg, size: size.key, envelope: body.length, ...b, largeNs, smallNs, smallBytes: smallBody.length });
          if (size.bytes >= MiB) log(`  ${s.alg} ${size.label} ${r + 1}/${size.rounds}: baseline ${f1(ms(b.parseNs))} + ${f1(ms(b.digestNs))} ms, gateway ${f1(ms(largeNs))} ms (small ${f1(ms(smallNs))})`);
        }
        if (size.bytes < MiB && ((r + 1) % 20 === 0 || r === size.rounds - 1)) log(`  ${size.label}: ${r + 1}/${size.rounds}`);
      }
    }
    const others = meter.stop().others;
    const parses = new Map<string, Map<string, number>>();
    const exchanges = new Map<string, number>();
    for (const s of sides) {
      const before = parses0.get(s.alg)!;
      parses.set(s.alg, new Map([...await parseCounts(s)].map(([purpose, n]) => [purpose, n - (before.get(purpose) ?? 0)] as [string, number]).filter(([, n]) => n > 0)));
      exchanges.set(s.alg, samples.filter((x) => x.alg === s.alg).length * 2);
    }
    const splits: Split[] = [];
    for (const s of sides) {
      s.agent.destroy();
      await s.gateway.stop();
      if (SIZES.some((z) => z.profile > 0)) splits.push(...await profile(work, s, date));
    }
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
    const text = report(samples, splits, parses, exchanges, { started, load0, load1: loadavg(), others, commit: `${commit}${dirty ? ' + uncommitted changes' : ''}`,
      idle: sides.map((s) => `${s.alg} ${(s.idleNsPerMs / 1000).toFixed(1)} ms/s`).join(', ') });
    publish(text, join(ROOT, 'bench', 'RESULTS.md'), !opt['no-append']);
  } finally {
    for (const s of sides) {
      s.agent.destroy();
      await s.gateway.stop();
      await s.provider.stop();
    }
    cleanUp(work, opt.keep);
  }
}

runBench('bench:leg', main);
