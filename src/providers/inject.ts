import { createHash } from 'node:crypto';
import { GatewayFault, type FaultName } from '../faults/catalogue';
import { faultEnvelope } from '../envelope/build';
import type { Service } from '../registry/load';
import type { ProviderAdapter, ProviderAnswer, ProviderCall } from '../registry/adapter';
import type { FaultKind, FaultSpec, Latency } from '../registry/fault-spec';
import type { FaultSwitch } from './faults';

/** An emulated provider's read timeout when its fault spec names none: an `http` adapter's default. */
const DEFAULT_READ_TIMEOUT_MS = 30_000;

/** A fault the gateway's transport would have raised, raised by injection: the provider leg says which kind. */
export class InjectedFault extends GatewayFault {
  constructor(readonly injected: string, kind: FaultName, params: Record<string, string | number> = {}, detail?: string) {
    super(kind, params, detail);
  }
}

/** What one call gets: a delay, a fault, or both. */
interface Plan {
  latencyMs?: number;
  fault?: FaultKind;
}

/**
 * Every SID's provider adapter, `http` or emulated, is wrapped in this (providers/index.ts
 * createAdapter), so both get the same injection from the same switch (./faults.ts).
 *
 * Faults act on what the adapter hands the gateway, as the gateway's one HTTP client
 * (src/http/client.ts) would hand it over from a misbehaving provider: the request still goes to
 * the provider (an `http` one receives it, an emulated one opens its chain), and what comes back is
 * spoiled in the way the wire would spoil it:
 * - reset: the fault the client raises for ECONNRESET (providerUnreachable); `at: connect` before
 *   the provider gets the request, `answer` (default) after it has acted on it;
 * - timeout: nothing comes back; the call ends as the client's read timeout ends it (GW-2001);
 * - latency, dribble: the answer is held as long as its bytes would take, bounded by the SID's
 *   read timeout as the client bounds it (the whole answer; for an MTOM answer, the gap between
 *   chunks), past which it is GW-2001;
 * - truncate: the body cut and cleanly ended (chunked or Connection: close framing): the
 *   gateway's parse fails (GW-2003), as for a real one;
 * - wrongContentType: the Content-Type replaced. The gateway reads a non-multipart answer as XML
 *   whatever its type says (as lenient SOAP stacks do), so the consumer still gets the answer,
 *   unless the type names a charset other than UTF-8 (GW-2003); an MTOM answer under a
 *   non-multipart type is read as one body, its MIME framing and all, and fails to parse (GW-2003);
 * - http500: an HTTP error page (GW-2003, with the status); soapFault: a SOAP fault, passed on.
 * The provider leg of such a call is journaled with faultCode `injected:<kind>` (`injected:latency`
 * for a delay alone) and counted in smev2_injected_faults_total. Acting in the adapter rather than
 * in a socket proxy keeps one mechanism for both kinds of provider (an emulated one has no socket).
 */
export class FaultInjectingAdapter implements ProviderAdapter {
  constructor(
    /** the provider's own adapter (http or emulator), for who needs to know which it is */
    readonly inner: ProviderAdapter,
    private readonly service: Service,
    private readonly faults: () => FaultSwitch | undefined,
    private readonly random: () => number,
  ) {}

  async call(c: ProviderCall): Promise<ProviderAnswer> {
    const sw = this.faults();
    const spec = sw && (await sw.inForce(this.service.sid, this.service.def.faults));
    const plan = spec && planOf(spec, this.random);
    if (!plan) return this.inner.call(c);
    const mark = plan.fault?.kind ?? 'latency';
    sw!.injected(this.service.sid, mark);
    const a = this.service.def.adapter;
    const timeoutMs = a.type === 'http' ? a.readTimeoutMs : spec.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    const where = a.type === 'http' ? new URL(a.url).host : `${a.type === 'manual' ? 'manual' : 'emulated'} provider of ${this.service.sid}`;
    const deadline = Date.now() + timeoutMs;
    const fail = (kind: FaultName, params: Record<string, string | number> = {}, detail?: string) => new InjectedFault(mark, kind, params, detail);
    /** Wait `ms`, or until the read timeout and then fail as the client does. */
    const wait = async (ms: number) => {
      if (Date.now() + ms <= deadline) return sleep(ms);
      await sleep(deadline - Date.now());
      throw fail('providerTimeout', { timeoutMs }, `injected ${mark}: past the read timeout of ${timeoutMs} ms`);
    };

    const f = plan.fault;
    if (f?.kind === 'reset' && f.at === 'connect') throw fail('providerUnreachable', {}, `ECONNRESET ${where} (injected reset, before the request was sent)`);
    if (f?.kind === 'timeout') {
      // the provider gets the request and acts on it; its answer never arrives
      void this.inner.call(c).catch(() => undefined);
      await sleep(Math.max(0, deadline - Date.now()));
      throw fail('providerTimeout', { timeoutMs }, 'injected timeout: the provider never answered');
    }
    const answer = await this.inner.call(c);
    if (plan.latencyMs) await wait(plan.latencyMs);
    if (!f) return { ...answer, injected: mark };
    switch (f.kind) {
      case 'reset':
        throw fail('providerUnreachable', {}, `ECONNRESET ${where} mid-answer (injected reset)`);
      case 'dribble': {
        const size = answer.bytes.length + (answer.parts?.parts.reduce((n, p) => n + p.size, 0) ?? 0);
        const chunkMs = (f.chunkBytes / f.bytesPerSecond) * 1000;
        if (answer.parts) {
          // an MTOM answer is bounded by the gap between chunks (http/client.ts), not by its whole length
          if (chunkMs > timeoutMs) await wait(timeoutMs + 1);
          else await sleep((size / f.bytesPerSecond) * 1000);
        } else await wait((size / f.bytesPerSecond) * 1000);
        return { ...answer, injected: mark };
      }
      case 'truncate': {
        const keep = Math.min(answer.bytes.length, f.keepBytes ?? Math.floor(answer.bytes.length * f.fraction));
        return { ...answer, bytes: answer.bytes.subarray(0, keep), injected: mark };
      }
      case 'wrongContentType':
        if (!answer.parts) return { ...answer, contentType: f.contentType, injected: mark };
        return { status: answer.status, bytes: asOneBody(answer), contentType: f.contentType, injected: mark };
      case 'http500':
        return { status: f.status, bytes: Buffer.from(`<html><head><title>${f.status}</title></head><body><h1>${f.status} Internal Server Error</h1></body></html>`), contentType: 'text/html', injected: mark };
      case 'soapFault':
        return { status: f.httpStatus, bytes: faultEnvelope({ faultcode: f.faultcode, faultstring: f.faultstring }), contentType: 'text/xml; charset=utf-8', injected: mark };
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/** Which faults this call gets, drawn from the spec; undefined: none. */
export function planOf(spec: FaultSpec, random: () => number): Plan | undefined {
  const latencyMs = spec.latency && random() < spec.latencyShare ? drawLatency(spec.latency, random) : undefined;
  const fault = spec.kinds.length && random() < spec.share ? pick(spec.kinds, random) : undefined;
  return latencyMs !== undefined || fault ? { latencyMs, fault } : undefined;
}

export function drawLatency(l: Latency, random: () => number): number {
  switch (l.dist) {
    case 'fixed': return l.ms;
    case 'uniform': return l.min + random() * (l.max - l.min);
    case 'lognormal': {
      const mu = l.mu ?? Math.log(l.median!);
      const v = Math.exp(mu + l.sigma * normal(random));
      return l.maxMs === undefined ? v : Math.min(v, l.maxMs);
    }
  }
}

function pick(kinds: FaultKind[], random: () => number): FaultKind {
  const total = kinds.reduce((n, k) => n + k.weight, 0);
  let r = random() * total;
  for (const k of kinds) {
    r -= k.weight;
    if (r < 0) return k;
  }
  return kinds[kinds.length - 1]!;
}

/** A standard normal draw (Box–Muller). */
function normal(random: () => number): number {
  const u = 1 - random(); // (0, 1]: log(0) is not a number
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * Draws for injection: Math.random, or, with a seed (SMEV2_FAULTS_SEED, for tests), a small
 * seeded generator (mulberry32), so a run's sequence of faults repeats.
 */
export function randomSource(seed?: string): () => number {
  if (seed === undefined) return Math.random;
  let s = createHash('sha256').update(seed).digest().readUInt32LE(0);
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An MTOM answer as a client reads it when the type does not say multipart: the whole body, MIME framing and all. */
function asOneBody(a: ProviderAnswer): Buffer {
  const boundary = 'MIMEBoundary_injected';
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Type: ${a.contentType ?? 'application/xop+xml'}\r\n\r\n`),
    a.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}

/**
 * At least `ms` of wall time: a timer fires by the event loop's cached clock, which may be up to a
 * millisecond behind, so the time actually waited is checked and the rest waited again (an injected
 * delay is a promise to the tester: the provider leg takes at least the drawn time).
 */
async function sleep(ms: number): Promise<void> {
  const until = performance.now() + Math.max(0, ms);
  for (let left = until - performance.now(); left > 0; left = until - performance.now()) {
    await new Promise((r) => setTimeout(r, Math.ceil(left)));
  }
}
