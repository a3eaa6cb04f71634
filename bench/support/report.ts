// The run's figures as Markdown: the load table with ratios to (a) and (b), the 10 MB
// AppDocument, the crypto line, the targets of issue #9, the soak.
import { availableParallelism } from 'node:os';
export type ScenarioId = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

export const TITLES: Record<ScenarioId, string> = {
  a: '(a) provider direct',
  b: '(b) nginx proxy_pass',
  c: '(c) gateway, signature+control off',
  d: '(d) full pipeline, RSA-SHA256',
  e: '(e) full pipeline, GOST 2012-256',
  f: '(f) guaranteed delivery',
};

export interface Row {
  scenario: ScenarioId;
  /** the gateway's --workers (1: one process; the other scenarios 1) */
  workers?: number;
  size: string;
  conns: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** peak RSS of the process under test (MiB) */
  peakMiB: number;
  /** cores used: the process under test, all the bench's processes (with wrk), everything else */
  cpuTarget: number;
  cpuOurs: number;
  cpuOthers: number;
  non2xx: number;
  socketErrors: number;
  /** provider calls per second during the run (differs from rps for guaranteed delivery) */
  providerRps: number;
  /** guaranteed delivery: seconds after the run until the provider stopped being called */
  drainS?: number;
  /** the gateway's own latency, request read to response handed to the kernel (latency-probe.js) */
  insideP50Ms?: number;
  insideP99Ms?: number;
}

export interface BigRow {
  scenario: ScenarioId;
  /** the AppDocument's own size */
  documentMiB: number;
  envelopeMiB: number;
  ok: boolean;
  status: string;
  latencyMs: number[];
  startMiB: number;
  peakMiB: number;
  /** RSS two seconds after the last document */
  settledMiB: number;
}

export interface CryptoLine {
  alg: 'rsa' | 'gost2012-256';
  size: string;
  micros: Record<string, number>;
  exchangeMicros: number;
  limit: number;
}

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '–');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '–');
const pct = (n: number) => (Number.isFinite(n) ? `${Math.round(n * 100)} %` : '–');

export function loadTable(rows: Row[]): string {
  const find = (s: ScenarioId, r: Row) => rows.find((x) => x.scenario === s && x.size === r.size && x.conns === r.conns);
  const name = (r: Row) => `${TITLES[r.scenario]}${(r.workers ?? 1) > 1 ? ` × ${r.workers} workers` : ''}`;
  const lines = [
    '| scenario | envelope | conns | req/s | ÷ (a) | ÷ (b) | p50 ms | p99 ms | p99 ÷ (b) | inside the gateway p50 / p99 ms | peak RSS MiB | CPU cores: tested / all bench / others | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of rows) {
    const a = find('a', r);
    const b = find('b', r);
    const errors = r.non2xx + r.socketErrors;
    lines.push(`| ${name(r)} | ${r.size} | ${r.conns} | ${f0(r.rps)} | ${a ? pct(r.rps / a.rps) : '–'} | ${b ? pct(r.rps / b.rps) : '–'} | ` +
      `${f1(r.p50Ms)} | ${f1(r.p99Ms)} | ${b ? `${f1(r.p99Ms / b.p99Ms)}×` : '–'} | ${r.insideP99Ms === undefined ? '' : `${f1(r.insideP50Ms!)} / ${f1(r.insideP99Ms)}`} | ${f0(r.peakMiB)} | ${f2(r.cpuTarget)} / ${f2(r.cpuOurs)} / ${f2(r.cpuOthers)} | ` +
      `${errors ? `**${errors}**${r.non2xx ? ` (${r.non2xx} non-2xx)` : ''}` : '0'} |`);
  }
  return lines.join('\n');
}

export function bigTable(rows: BigRow[]): string {
  const lines = [
    '| scenario | envelope MiB | passed | latency ms (each) | RSS before MiB | peak MiB | growth MiB | growth ÷ document size | RSS 2 s after MiB |',
    '|---|---:|---|---|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const growth = r.peakMiB - r.startMiB;
    lines.push(`| ${TITLES[r.scenario]} | ${f1(r.envelopeMiB)} | ${r.ok ? 'yes' : `**no**: ${r.status}`} | ${r.latencyMs.map(f0).join(', ')} | ${f0(r.startMiB)} | ${f0(r.peakMiB)} | ${f0(growth)} | ${f1(growth / r.documentMiB)}× | ${f0(r.settledMiB)} |`);
  }
  return lines.join('\n');
}

export function cryptoTable(lines: CryptoLine[], rows: Row[]): string {
  const out = [
    '| algorithm | envelope | verify request µs | sign forward µs | verify answer µs | sign response µs | one exchange µs | crypto-bound limit req/s | pipeline best req/s | pipeline ÷ limit |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const c of lines) {
    const s = c.alg === 'rsa' ? 'd' : 'e';
    const best = Math.max(...rows.filter((r) => r.scenario === s && (r.workers ?? 1) === 1 && r.size === c.size).map((r) => r.rps));
    const m = c.micros;
    out.push(`| ${c.alg === 'rsa' ? 'RSA-SHA256 (d)' : 'GOST 2012-256 (e)'} | ${c.size} | ${f0(m.verifyRequest!)} | ${f0(m.signForward!)} | ${f0(m.verifyAnswer!)} | ${f0(m.signResponse!)} | ` +
      `${f0(c.exchangeMicros)} | ${f0(c.limit)} | ${f0(best)} | ${pct(best / c.limit)} |`);
  }
  return out.join('\n');
}

/**
 * Each gateway scenario, size and connection count at one worker and at each larger count:
 * req/s, the ratio to one worker, and for (d) and (e) the crypto line times the workers (at most
 * the cores): how far from the limit the cores allow.
 */
export function scalingTable(rows: Row[], crypto: CryptoLine[]): string {
  const cores = availableParallelism();
  const out = [
    '| scenario | envelope | conns | workers | req/s | ÷ one worker | p99 ms | CPU cores used | crypto-bound limit × min(workers, cores) | req/s ÷ that |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const gw = rows.filter((r) => ['c', 'd', 'e', 'f'].includes(r.scenario) && !r.size.includes('soak'));
  for (const r of gw) {
    const one = gw.find((x) => x.scenario === r.scenario && x.size === r.size && x.conns === r.conns && (x.workers ?? 1) === 1);
    const line = crypto.find((c) => c.alg === (r.scenario === 'd' ? 'rsa' : r.scenario === 'e' ? 'gost2012-256' : '') && c.size === r.size);
    const limit = line ? line.limit * Math.min(r.workers ?? 1, cores) : undefined;
    out.push(`| ${TITLES[r.scenario]} | ${r.size} | ${r.conns} | ${r.workers ?? 1} | ${f0(r.rps)} | ${one ? `${f2(r.rps / one.rps)}×` : '–'} | ${f1(r.p99Ms)} | ${f2(r.cpuTarget)} | ${limit ? f0(limit) : '–'} | ${limit ? pct(r.rps / limit) : '–'} |`);
  }
  return out.join('\n');
}

export interface Target {
  what: string;
  measured: string;
  met: boolean | undefined;
}

export function targetsTable(t: Target[]): string {
  return ['| target | measured | verdict |', '|---|---|---|',
    ...t.map((x) => `| ${x.what} | ${x.measured} | ${x.met === undefined ? 'not measured' : x.met ? 'met' : '**missed**'} |`)].join('\n');
}

export function bestRps(rows: Row[], s: ScenarioId, size: string): Row | undefined {
  return rows.filter((r) => r.scenario === s && r.size === size).sort((x, y) => y.rps - x.rps)[0];
}

export const fmt = { f0, f1, f2, pct };
