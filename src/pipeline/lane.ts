import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Exchange, HttpRequestInfo } from './exchange';
import { GatewayFault, type FaultName } from '../faults/catalogue';
import type { Envelope } from '../envelope/model';
import type { Service, Operation } from '../registry/load';
import { elidableBytes } from '../xml/elide';
import { collectGarbage } from './memory';
import { addParses, type ParsePurpose, type ParseTally } from '../xml/parse-count';

export interface LaneJob {
  id: string;
  http: HttpRequestInfo;
  sid: string;
  version?: string;
  receivedAt: number;
  /** how long the exchange had been in the gateway before it was handed over */
  waitedNs: number;
  raw: Uint8Array;
}

export interface LaneReply {
  id: string;
  status: number;
  contentType: string;
  bytes: Uint8Array;
  operation?: string;
  service: boolean;
  fault?: { kind: FaultName; params: Record<string, string | number>; detail?: string };
  answerStatus?: string;
  providerFault: boolean;
  /** the lane thread's XML parses since its last reply, counted in this thread's /metrics */
  parses?: Partial<Record<ParsePurpose, ParseTally>>;
}

type FromLane = LaneReply | { id: string; error: string } | { ready: true } | { failed: string };

/**
 * The large-body lane: an exchange whose body has at least `SMEV2_LARGE_BODY_BYTES` goes through the
 * whole pipeline (parse, control, verify, stamp, deliver, journal) in a worker thread with its own
 * libxml2-wasm instance, instead of the main thread's. libxml2-wasm's WebAssembly memory grows to the
 * largest documents held at once and never shrinks; in the lane that growth belongs to a thread that
 * is ended once it has been idle `SMEV2_LARGE_WORKER_IDLE_MS`, and the process gives the memory back.
 * The body is handed over without a copy (its ArrayBuffer is transferred), so the main thread holds
 * no large body or document while the lane works. How many large bodies are in work at once is
 * bounded by the byte budget (--max-bytes-in-flight).
 */
export class LargeBodyLane {
  private worker?: Worker;
  private ready?: Promise<void>;
  private readonly pending = new Map<string, { ex: Exchange; resolve: () => void; reject: (e: Error) => void }>();
  private idleTimer?: NodeJS.Timeout;
  /** threads started so far (a fresh one after each idle period) */
  started = 0;

  constructor(private readonly config: Config, private readonly log: Logger, private readonly onDone?: (ex: Exchange) => void) {}

  /**
   * Whether this exchange goes through the lane: its body is large once the base64 text that the
   * parse keeps out of the DOM (xml/elide.ts, an inline AppDocument) is left aside. That text never
   * reaches WebAssembly memory, so a message that is mostly one inline document stays on the main
   * thread and costs no thread start (its own isolate, libxml2-wasm instance, registry and store).
   */
  takes(ex: Exchange): boolean {
    const h = ex.http;
    const min = this.config.largeBodyBytes;
    if (h === undefined || min <= 0 || ex.raw.length < min || h.refused || h.tooLarge || h.slow || h.overloaded) return false;
    // a large body kept on the main thread: its copies are the garbage budget's (pipeline/memory.ts)
    return ex.raw.length - elidableBytes(ex.raw) >= min;
  }

  /** Run the exchange in the lane: fills ex.response, ex.fault, ex.operation as the pipeline would. */
  async run(ex: Exchange): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.thread();
    await this.ready;
    const raw = ex.raw;
    // hand the body over without a copy when it owns its memory (Buffer.concat of a large body does)
    const own = raw.byteOffset === 0 && raw.byteLength === raw.buffer.byteLength && raw.buffer instanceof ArrayBuffer;
    const bytes = own ? new Uint8Array(raw.buffer) : Uint8Array.from(raw);
    const job: LaneJob = { id: ex.id, http: ex.http!, sid: ex.sid, version: ex.version, receivedAt: ex.receivedAt.getTime(), waitedNs: Number(process.hrtime.bigint() - ex.started), raw: bytes };
    const done = new Promise<void>((resolve, reject) => this.pending.set(ex.id, { ex, resolve, reject }));
    worker.postMessage(job, [bytes.buffer]);
    ex.raw = Buffer.alloc(0); // the main thread keeps nothing of the body
    try {
      await done;
    } finally {
      if (this.pending.size === 0) this.idleTimer = setTimeout(() => this.recycle(), this.config.largeWorkerIdleMs);
    }
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(join(__dirname, 'lane-worker.js'), { workerData: { config: this.config } });
    this.worker = worker;
    this.started++;
    this.log.info({ thread: worker.threadId }, 'large-body lane: thread started');
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (m: FromLane) => {
        if ('ready' in m) return resolve();
        if ('failed' in m) return reject(new Error(`the large-body lane could not start: ${m.failed}`));
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        if ('error' in m) return p.reject(new Error(`the large-body lane failed on exchange ${m.id}: ${m.error}`));
        addParses(m.parses);
        this.settle(p.ex, m);
        this.onDone?.(p.ex);
        p.resolve();
      });
      worker.once('error', (e) => reject(e));
    });
    this.ready.catch(() => undefined);
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      this.log.info({ thread: worker.threadId, code }, 'large-body lane: thread ended, its memory given back');
      // the large bodies' socket chunks and copies on this thread are garbage by now, but a main heap
      // this small does not call for a collection: make one, once per lane idle period
      if (!this.worker) collectGarbage();
      for (const [id, p] of this.pending) {
        if (p.ex && this.worker === undefined) {
          this.pending.delete(id);
          p.reject(new Error(`the large-body lane's thread ended (code ${code}) during exchange ${id}`));
        }
      }
    });
    return worker;
  }

  /** What the main thread needs of the lane's exchange: the reply, and for logs and metrics the outcome. */
  private settle(ex: Exchange, m: LaneReply): void {
    ex.response = { status: m.status, contentType: m.contentType, bytes: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength) };
    if (m.fault) ex.fault = new GatewayFault(m.fault.kind, m.fault.params, m.fault.detail);
    if (m.operation) ex.operation = { name: m.operation } as Operation;
    if (m.service) ex.service = {} as Service;
    if (m.answerStatus || m.providerFault) ex.responseEnvelope = { message: m.answerStatus ? { status: m.answerStatus } : undefined, fault: m.providerFault ? {} : undefined } as unknown as Envelope;
  }

  /** End an idle thread; its libxml2-wasm memory, registry and store connection go with it. */
  private recycle(): void {
    const worker = this.worker;
    if (!worker || this.pending.size > 0) return;
    this.worker = undefined;
    worker.postMessage({ close: true });
    setTimeout(() => void worker.terminate(), 5000).unref();
  }

  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
