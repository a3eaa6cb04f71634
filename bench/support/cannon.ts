// autocannon (npm), from bench/mocks/: the separate package of the tools the benches compare the
// gateway with (Mockoon CLI, mountebank) and load it with (autocannon), installed there by the
// first bench that needs them, never by the gateway's own install. Closed loop (N connections,
// each sends its next request when the last is answered) and open loop at a fixed offered rate.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT } from './fixtures';

export const MOCKS_DIR = join(ROOT, 'bench', 'mocks');
const MODULES = join(MOCKS_DIR, 'node_modules');

/** Install bench/mocks/ from its lockfile when its node_modules is missing (a fresh clone). */
export function ensureMocksInstalled(log: (s: string) => void): void {
  const wanted = ['autocannon', 'mountebank', join('@mockoon', 'cli')];
  if (wanted.every((p) => existsSync(join(MODULES, p, 'package.json')))) return;
  log(`installing the bench's own tools (autocannon, Mockoon CLI, mountebank) from bench/mocks/package-lock.json: npm ci --prefix bench/mocks …`);
  const r = spawnSync('npm', ['ci', '--prefix', MOCKS_DIR, '--no-audit', '--no-fund'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`npm ci --prefix bench/mocks failed (exit ${r.status}); run it by hand to see why, then run the bench again`);
  log('installed bench/mocks/node_modules');
}

/** require() as bench/mocks/ would: its own autocannon, @mockoon/commons. */
export const mocksRequire = createRequire(join(MOCKS_DIR, 'package.json'));

export function bin(rel: string): string {
  return join(MODULES, rel);
}

// The part of autocannon's API used here (autocannon 9.0.0, lib/run.js).
interface AcRequest { method?: string; path?: string; body?: string | Buffer; headers?: Record<string, string>; setupRequest?: (r: AcRequest) => AcRequest }
interface AcOptions {
  url: string; connections: number; duration: number; method?: string; body?: string | Buffer; headers?: Record<string, string>;
  overallRate?: number; timeout?: number; requests?: AcRequest[]; verifyBody?: (body: string) => boolean; excludeErrorStats?: boolean;
}
interface AcStat { p50: number; p90: number; p99: number; p99_9: number; max: number; mean: number; total: number; sent: number; average: number }
interface AcResult {
  latency: AcStat; requests: AcStat; duration: number; non2xx: number; errors: number; timeouts: number; mismatches: number; '2xx': number;
}
interface AcInstance extends PromiseLike<AcResult> { on(ev: 'response', f: (client: unknown, status: number, bytes: number, ms: number) => void): void; stop(): void }
type Autocannon = (o: AcOptions) => AcInstance;

let ac: Autocannon | undefined;
function autocannon(): Autocannon {
  ac ??= mocksRequire('autocannon') as Autocannon;
  return ac;
}

export interface CannonResult {
  /** answered requests (any status) */
  answered: number;
  sent: number;
  seconds: number;
  rps: number;
  /** latency of the answered 2xx requests, ms (our own record of every answer, not autocannon's 1 ms histogram) */
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  non2xx: number;
  /** connection errors and timeouts */
  errors: number;
  /** answers the verify function refused */
  mismatches: number;
  /** every 2xx latency, ms, sorted */
  samples: Float64Array;
  /**
   * The same without each connection's first answer (closed loop): autocannon opens all its
   * connections at once, and a busy Node server accepts about one per turn of its event loop, so a
   * first request can wait in a socket not yet accepted (bench/README.md, wrk's `delay()` in
   * `npm run bench`). 32 first answers are 3 % of a 1,000-answer run: enough to make its p99.
   */
  warm?: { p50Ms: number; p99Ms: number; firstMaxMs: number };
}

export const HEADERS = { 'content-type': 'text/xml; charset=utf-8' };

/** The q-quantile of sorted samples (nearest rank). */
export function quantile(sorted: Float64Array, q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summarize(results: AcResult[], samples: number[], seconds: number): CannonResult {
  const sorted = Float64Array.from(samples).sort();
  const sum = (f: (r: AcResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const answered = sum((r) => r.requests.total);
  return {
    answered, sent: sum((r) => r.requests.sent), seconds, rps: answered / seconds,
    p50Ms: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), p99Ms: quantile(sorted, 0.99), p999Ms: quantile(sorted, 0.999), maxMs: sorted[sorted.length - 1] ?? NaN,
    non2xx: sum((r) => r.non2xx), errors: sum((r) => r.errors + r.timeouts), mismatches: sum((r) => r.mismatches), samples: sorted,
  };
}

export interface Load {
  url: string;
  /** the same body every time, or the next body per request (signed pools: the replay guard) */
  body: Buffer | (() => Buffer);
  headers?: Record<string, string>;
  verify?: (body: string) => boolean;
}

function requestOptions(l: Load): Partial<AcOptions> {
  const headers = { ...HEADERS, ...l.headers };
  const next = l.body;
  if (typeof next === 'function') return { requests: [{ method: 'POST', headers, setupRequest: (r) => ({ ...r, body: next() }) }] };
  return { method: 'POST', headers, body: next };
}

/** Closed loop: `connections` connections, each sending its next request when the last is answered, for `seconds`. */
export async function closedLoop(l: Load, connections: number, seconds: number): Promise<CannonResult> {
  const samples: number[] = [];
  const later: number[] = [];
  const firsts: number[] = [];
  const seen = new Set<unknown>();
  const t0 = performance.now();
  const inst = autocannon()({ url: l.url, connections, duration: seconds, timeout: 30, verifyBody: l.verify, ...requestOptions(l) });
  inst.on('response', (client, status, _b, ms) => {
    if (status < 200 || status >= 300) return;
    samples.push(ms);
    if (seen.has(client)) later.push(ms);
    else { seen.add(client); firsts.push(ms); }
  });
  const r = await inst;
  const warm = Float64Array.from(later).sort();
  return {
    ...summarize([r], samples, Math.min(r.duration ?? seconds, (performance.now() - t0) / 1000)),
    warm: { p50Ms: quantile(warm, 0.5), p99Ms: quantile(warm, 0.99), firstMaxMs: Math.max(0, ...firsts) },
  };
}

/**
 * Open loop at `rate` requests/s for `seconds`. autocannon's own `overallRate` is a quota per
 * connection per second: at each second's tick every connection sends its share back to back,
 * so with one instance the offered load is a burst of up to `connections` requests at the start
 * of each second (autocannon 9.0.0, lib/httpClient.js: a count per connection, reset by a 1 s
 * setInterval; lib/run.js gives each connection overallRate / connections). To offer the rate evenly, as wrk2 does, this starts
 * ceil(rate / perConnection) autocannon instances of one connection each, each with
 * `overallRate: perConnection` (1 by default), the i-th started i/rate s after the first: their
 * ticks, and so their requests, are spread evenly over each second. A connection whose answer
 * has not come by its next tick sends late (when it comes): the achieved rate says if that
 * happened (`rps` below the offered rate).
 */
export async function openLoop(l: Load, rate: number, seconds: number, perConnection = 1): Promise<CannonResult & { instances: number; offered: number }> {
  const n = Math.max(1, Math.ceil(rate / perConnection));
  const per = rate / n;
  const samples: number[] = [];
  const runs: Promise<AcResult>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // each instance offers `per` requests/s on one connection; autocannon rounds a rate per connection down, so keep it whole
    const inst = autocannon()({ url: l.url, connections: 1, duration: seconds, overallRate: Math.max(1, Math.round(per)), timeout: 30, verifyBody: l.verify, ...requestOptions(l) });
    inst.on('response', (_c, status, _b, ms) => { if (status >= 200 && status < 300) samples.push(ms); });
    runs.push(Promise.resolve(inst));
  }
  const results = await Promise.all(runs);
  // each instance ran `seconds` (they started staggered over one second)
  return { ...summarize(results, samples, seconds), instances: n, offered: n * Math.max(1, Math.round(per)) };
}
