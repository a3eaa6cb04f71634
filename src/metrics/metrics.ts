import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { clusterMetrics } from './cluster-scrape';
import type { Exchange } from '../pipeline/exchange';
import type { Outbox } from '../queue/outbox';
import type { Availability } from '../providers/availability';
import { parseTallies } from '../xml/parse-count';

const OUTBOX_STATUSES = ['pending', 'polling', 'done', 'dead'] as const;

export interface MetricsSources {
  outbox: Outbox;
  /** the availability monitor's latest check per SID */
  availability: () => Iterable<Availability>;
  /** is this SID in the registry (exchanges refused before routing still count under their SID) */
  knownSid: (sid: string) => boolean;
  /** the store's size in bytes (src/store/disk.ts) */
  storeBytes?: () => Promise<number>;
  /** the GOST crypto pool's counts since the start (crypto/gost/pool.ts), when the process has one */
  cryptoPool?: () => { done: number; onCaller: number; lost: number; started: number };
}

/**
 * The gateway's Prometheus metrics. Exchanges are counted in one place (`observe`, called by
 * the metrics stage, src/stages/metrics.ts); the outbox and provider availability are read when scraped.
 * Labels are bounded: a SID or operation the registry does not know is `unknown`.
 * Under `start --workers` a scrape reaches one worker, which answers for them all: the primary
 * adds up every worker's counters and histograms (prom-client's cluster aggregation); what is
 * read from the store or the availability checks is the same in every worker and is taken once.
 */
export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'sid' | 'operation' | 'status' | 'fault'>;
  private readonly latency: Histogram<'sid'>;
  private readonly refusals: Counter<'reason'>;
  private readonly injections: Counter<'sid' | 'kind'>;

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'smev2_' });
    if (cluster.isWorker) {
      new AggregatorRegistry(); // answers the primary's requests for this worker's metrics
      AggregatorRegistry.setRegistries([this.registry]);
    }
    this.requests = new Counter({
      name: 'smev2_requests_total', help: 'SOAP exchanges by SID, operation, answer Status (FAULT for faults) and fault code',
      labelNames: ['sid', 'operation', 'status', 'fault'], registers,
    });
    this.refusals = new Counter({
      name: 'smev2_http_refused_total', help: "Requests node's HTTP parser refused before any route (bad framing, headers too large or too slow, the client gone), by error code",
      labelNames: ['reason'], registers,
    });
    this.injections = new Counter({
      name: 'smev2_injected_faults_total', help: "Faults injected into providers' answers (admin API /admin/services/{sid}/faults), by SID and kind (latency: a delay alone)",
      labelNames: ['sid', 'kind'], registers,
    });
    this.latency = new Histogram({
      name: 'smev2_request_duration_seconds', help: 'Time from the first byte of a request to its journaled answer, by SID',
      labelNames: ['sid'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    });
    // read from src/xml's tallies when scraped: a parse costs two additions, never a call into prom-client
    new Counter({
      name: 'smev2_xml_parses_total', help: 'Documents parsed into libxml2 by this process, by what they were parsed for (request, answer, outbox, convert, control, transform, manifest, schema, local, other)',
      labelNames: ['purpose'], registers,
      collect() {
        this.reset();
        for (const [purpose, t] of parseTallies()) this.inc({ purpose }, t.parses);
      },
    });
    new Counter({
      name: 'smev2_xml_parsed_bytes_total', help: 'Bytes of the documents counted in smev2_xml_parses_total (a large base64 text kept out of the DOM included), by purpose',
      labelNames: ['purpose'], registers,
      collect() {
        this.reset();
        for (const [purpose, t] of parseTallies()) this.inc({ purpose }, t.bytes);
      },
    });
    new Gauge({
      name: 'smev2_outbox_items', help: 'Outbox items by status (guaranteed delivery)', labelNames: ['status'], registers, aggregator: 'max',
      async collect() {
        const counts = await sources.outbox.counts();
        for (const s of OUTBOX_STATUSES) this.set({ status: s }, counts[s] ?? 0);
      },
    });
    new Gauge({
      name: 'smev2_outbox_dead_letters', help: 'Outbox items that exhausted their attempts (re-drive with `queue redrive`)', registers, aggregator: 'max',
      async collect() {
        this.set((await sources.outbox.counts()).dead ?? 0);
      },
    });
    if (sources.storeBytes) {
      const size = sources.storeBytes;
      new Gauge({
        name: 'smev2_store_bytes', help: 'Size of the store: the SQLite file with its WAL, or pg_database_size on PostgreSQL', registers, aggregator: 'max',
        async collect() {
          this.set(await size());
        },
      });
    }
    if (sources.cryptoPool) {
      const counts = sources.cryptoPool;
      new Gauge({
        name: 'smev2_crypto_thread_tasks', help: 'GOST signatures made or checked since the start (SMEV2_CRYPTO_THREADS), by where: thread (on the pool), caller (on the event loop, the pool being full), lost (a thread ended before answering: the exchange got GW-9000)',
        labelNames: ['where'], registers, aggregator: 'sum',
        collect() {
          const c = counts();
          this.set({ where: 'thread' }, c.done);
          this.set({ where: 'caller' }, c.onCaller);
          this.set({ where: 'lost' }, c.lost);
        },
      });
      new Gauge({
        name: 'smev2_crypto_thread_starts', help: 'GOST pool threads started since the start (more than SMEV2_CRYPTO_THREADS: threads restarted after they ended)', registers, aggregator: 'sum',
        collect() {
          this.set(counts().started);
        },
      });
    }
    new Gauge({
      name: 'smev2_provider_up', help: "1 when the SID's provider answered the last availability check, else 0", labelNames: ['sid'], registers, aggregator: 'max',
      collect() {
        this.reset();
        for (const a of sources.availability()) this.set({ sid: a.sid }, a.up ? 1 : 0);
      },
    });
  }

  /** A request node's HTTP parser refused (clientError), by its error code. */
  refused(reason: string): void {
    this.refusals.inc({ reason: /^[A-Z0-9_]{1,40}$/.test(reason) ? reason : 'other' });
  }

  /** A fault injected into a provider call of this process (src/providers/inject.ts). */
  injected(sid: string, kind: string): void {
    this.injections.inc({ sid: this.sources.knownSid(sid) ? sid : 'unknown', kind: /^[A-Za-z0-9]{1,32}$/.test(kind) ? kind : 'other' });
  }

  /** One finished exchange (its answer or fault is known). */
  observe(ex: Exchange): void {
    const sid = ex.service || this.sources.knownSid(ex.sid) ? ex.sid : 'unknown';
    const providerFault = !ex.fault && ex.responseEnvelope?.fault; // a provider's SOAP fault passed on
    const status = ex.fault || providerFault ? 'FAULT' : ex.responseEnvelope?.message?.status ?? 'none';
    this.requests.inc({
      sid,
      operation: ex.operation?.name ?? 'unknown',
      status: /^[A-Z]{1,16}$/.test(status) ? status : 'other',
      fault: ex.fault ? ex.fault.spec.code || ex.fault.kind : providerFault ? 'provider' : 'none',
    });
    this.latency.observe({ sid }, Number(process.hrtime.bigint() - ex.started) / 1e9);
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    const body = cluster.isWorker && process.send ? await clusterMetrics() : await this.registry.metrics();
    return { contentType: this.registry.contentType, body };
  }
}
