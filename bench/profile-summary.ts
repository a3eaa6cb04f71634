// Where a .cpuprofile (node --cpu-prof) spends its time: self time per function and per area
// (libxml2-wasm, our GOST code, the signature code, SQLite, HTTP, GC, idle …), as Markdown.
//
//   node .tmp/bench/bench/profile-summary.js FILE.cpuprofile [--top N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The area a function belongs to, by its script. */
export function areaOf(f: ProfileNode['callFrame']): string {
  const { url, functionName: name } = f;
  if (!url) {
    if (name === '(idle)') return 'idle (waiting for I/O)';
    if (name === '(garbage collector)') return 'garbage collector';
    if (name === '(program)') return 'V8/native, outside JS functions';
    if (name === 'writev' || name === 'writeBuffer' || name === 'writeUtf8String') return 'node: http, net, streams';
    return 'native builtins (Buffer, RegExp, fs, …)';
  }
  if (url.startsWith('wasm://') || url.includes('/libxml2-wasm/')) return 'libxml2-wasm (parse, c14n, XSD, tree access)';
  const src = /\/dist\/(.+?)\/[^/]+\.js$/.exec(url) ?? /\/dist\/([^/]+)\.js$/.exec(url);
  if (src && !url.includes('/node_modules/')) return src[1] === 'crypto/gost' ? 'src/crypto/gost (GOST)' : `src/${src[1]}`;
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg) return `node_modules: ${pkg[1]}`;
  if (url.startsWith('node:')) {
    if (/crypto/.test(url)) return 'node: crypto';
    if (/http|net|stream|_http/.test(url)) return 'node: http, net, streams';
    return 'node: other internals';
  }
  return url;
}

/**
 * The steps of an exchange, each recognised by its functions on a sample's stack: the outermost
 * step of the first tier, else one of the second (HTTP sits below everything, since the pipeline
 * runs inside the request handler). The onion's stage closures nest inside one another, so they
 * cannot say where time goes.
 */
const STEPS: { step: string; tier: 1 | 2; match: (f: ProfileNode['callFrame']) => boolean }[] = [
  { step: 'verify: the consumer\'s and the provider\'s signatures, certificates, trust', tier: 1, match: (f) => f.functionName === 'judgeMessage' },
  { step: 'sign: the node\'s smev:Header and signature, on the request and on the answer', tier: 1, match: (f) => ['markAsNode', 'markAsNodeAsync', 'signEnvelope', 'signEnvelopeAsync'].includes(f.functionName) },
  { step: 'control: envelope and payload schemas, logical rules, replay', tier: 1, match: (f) => /^(requestViolations|answerViolations|schemaViolations)$/.test(f.functionName) || (f.functionName === 'check' && f.url.includes('/control/')) },
  { step: 'parse: limits on the bytes, the request and the answer into libxml2', tier: 1, match: (f) => f.functionName === 'parseEnvelope' || f.functionName === 'checkLimits' },
  { step: 'attachments: the AppDocument decoded, its ZIP opened and checked', tier: 1, match: (f) => f.url.includes('/dist/attachments/') || /\/node_modules\/(yauzl|yazl)\//.test(f.url) },
  { step: 'journal: four legs into SQLite (typeorm, better-sqlite3), sha256', tier: 1, match: (f) => /\/(typeorm|better-sqlite3)\//.test(f.url) || f.url.includes('/dist/journal/') },
  { step: 'HTTP and sockets: express, node:http server and client, the provider call', tier: 2, match: (f) => /\/node_modules\/(express|router|body-parser|finalhandler|send|on-finished)\//.test(f.url) || /^node:(_http|net|internal\/(streams|http|stream_base))/.test(f.url) || f.url.includes('/dist/providers/http') || f.url.includes('/dist/http/') || ['writev', 'writeBuffer', 'writeUtf8String'].includes(f.functionName) },
  { step: 'garbage collector', tier: 2, match: (f) => f.functionName === '(garbage collector)' },
];

export interface Summary {
  totalMs: number;
  busyMs: number;
  functions: { name: string; where: string; area: string; ms: number }[];
  areas: { area: string; ms: number }[];
  steps: { step: string; ms: number }[];
}

export function summarize(profile: CpuProfile): Summary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes as (ProfileNode & { children?: number[] })[]) for (const c of n.children ?? []) parent.set(c, n.id);
  const stepOf = new Map<number, string>();
  const step = (id: number): string => {
    let s = stepOf.get(id);
    if (s === undefined) {
      let first: string | undefined;
      let second: string | undefined;
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)!.callFrame;
        const hit = STEPS.find((x) => x.match(f));
        if (hit?.tier === 1) first = hit.step; // keep walking up: the outermost wins
        else if (hit) second ??= hit.step;
      }
      s = first ?? second ?? 'other';
      if (byId.get(id)!.callFrame.functionName === '(idle)') s = 'idle';
      stepOf.set(id, s);
    }
    return s;
  };
  const steps = new Map<string, number>();
  const self = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000;
    self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + dt);
  }
  const fns = new Map<string, { name: string; where: string; area: string; ms: number }>();
  const areas = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, ms] of self) {
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(dist|node_modules)\//, '$1/').replace(/^file:\/\//, '')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${where}`;
    const area = areaOf(f);
    const e = fns.get(key) ?? { name: f.functionName || '(anonymous)', where, area, ms: 0 };
    e.ms += ms;
    fns.set(key, e);
    areas.set(area, (areas.get(area) ?? 0) + ms);
    const st = step(id);
    steps.set(st, (steps.get(st) ?? 0) + ms);
    total += ms;
    if (f.functionName === '(idle)') idle += ms;
  }
  return {
    totalMs: total,
    busyMs: total - idle,
    functions: [...fns.values()].sort((a, b) => b.ms - a.ms),
    areas: [...areas].map(([area, ms]) => ({ area, ms })).sort((a, b) => b.ms - a.ms),
    steps: [...steps].filter(([st]) => st !== 'idle').map(([st, ms]) => ({ step: st, ms })).sort((a, b) => b.ms - a.ms),
  };
}

/**
 * The samples of `profile` taken within any of `windows` ([from, to] in µs of the monotonic clock:
 * the profile's own times, and process.hrtime's / 1000 in any process of the machine): one phase of
 * a run, without the start-up or the phases around it. Each sample keeps its own duration.
 */
export function sliceProfile(profile: CpuProfile, windows: [number, number][]): CpuProfile {
  const samples: number[] = [];
  const timeDeltas: number[] = [0];
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (!windows.some(([a, b]) => t >= a && t <= b)) continue;
    samples.push(profile.samples[i]!);
    timeDeltas.push(profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0); // summarize reads a sample's duration at i + 1
  }
  return { ...profile, samples, timeDeltas };
}

export function summaryMarkdown(s: Summary, top = 25): string {
  const pct = (ms: number, of: number) => `${((100 * ms) / of).toFixed(1)} %`;
  const big = s.areas.filter((a) => !a.area.startsWith('idle') && a.ms >= s.busyMs * 0.01);
  const small = s.areas.filter((a) => !a.area.startsWith('idle') && a.ms < s.busyMs * 0.01);
  const out = [
    `Profiled ${(s.totalMs / 1000).toFixed(1)} s of the gateway's main thread, ${(s.busyMs / 1000).toFixed(1)} s of it busy (not idle).`,
    '',
    'By step of the exchange (each sample goes to the outermost step on its stack):',
    '',
    '| step | ms | of busy |',
    '|---|---:|---:|',
    ...s.steps.map((x) => `| ${x.step} | ${x.ms.toFixed(0)} | ${pct(x.ms, s.busyMs)} |`),
    '',
    'By area (self time: the code that ran, whoever called it):',
    '',
    '| area | self ms | of busy |',
    '|---|---:|---:|',
    ...big.map((a) => `| ${a.area} | ${a.ms.toFixed(0)} | ${pct(a.ms, s.busyMs)} |`),
    `| ${small.length} other areas, each under 1 % | ${small.reduce((a, b) => a + b.ms, 0).toFixed(0)} | ${pct(small.reduce((a, b) => a + b.ms, 0), s.busyMs)} |`,
    '',
    `Top ${top} functions by self time:`,
    '',
    '| function | where | area | self ms | of busy |',
    '|---|---|---|---:|---:|',
    ...s.functions.filter((f) => f.name !== '(idle)').slice(0, top).map((f) => `| ${f.name.replace(/\|/g, '\\|')} | ${f.where} | ${f.area} | ${f.ms.toFixed(0)} | ${pct(f.ms, s.busyMs)} |`),
  ];
  return out.join('\n');
}

export function summarizeFile(file: string, top = 25): string {
  return summaryMarkdown(summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile), top);
}

if (require.main === module) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  if (!positionals[0]) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [--top N]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarizeFile(positionals[0], Number(values.top))}\n`);
}
