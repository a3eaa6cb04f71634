import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { Service, Operation } from '../registry/load';
import { pollOperation } from '../registry/modes';
import { parseEnvelope, readEnvelopeView } from '../envelope/parse';
import type { Envelope } from '../envelope/model';
import { GatewayFault } from '../faults/catalogue';
import { fillAnswer, skeleton } from '../envelope/answer';
import { markAsNodeAsync } from '../signature/node-marks';
import type { Signer } from '../signature/sign';
import type { TrustStore } from '../signature/trust';
import { disposeDocuments, type Exchange } from '../pipeline/exchange';
import { Slices, wholeOf } from '../slices';
import { post } from '../http/client';
import { backoff, type NewItem, type Outbox, type OutboxRow } from './outbox';
import type { Events } from './events';
import { partsRecord, type AttachmentStore } from '../journal/attachments';
import { Spool, writeMultipart, type MimeParts } from '../http/multipart';
import type { SendOutcome } from './mail-send';
import { deadLetterViolation } from './violations';

export interface WorkerOptions {
  /** items in work at once (SMEV2_DELIVERY_CONCURRENCY) */
  concurrency: number;
  /** and no more claimed while the payloads in work hold this many bytes (SMEV2_DELIVERY_BYTES_IN_FLIGHT); one item is always taken */
  maxBytesInFlight?: number;
  leaseMs: number;
  tickMs: number;
  /** callbacks and events: how long to wait for a connection, and for the receiver's answer */
  connectTimeoutMs: number;
  readTimeoutMs: number;
  /** MTOM messages: their parts by hash, spooled here while an attempt sends them */
  attachments?: { store: AttachmentStore; spoolDir: string; memoryThreshold: number };
  /** more to queue with a ticket's final answer (a requester's answer-arrived: admin/compose/requests.ts) */
  answered?: (ticket: string, status: string) => Promise<NewItem[]>;
  /** mails: sent over SMTP (queue/mail-send.ts); without it this process leaves them to be retried */
  mail?: { send(payload: Buffer): Promise<SendOutcome> };
  /** dead letters: one operators' violation per SID in a window this long (queue/violations.ts) */
  violationWindowMs?: number;
}

const FINAL = new Set(['RESULT', 'REJECT', 'INVALID', 'FAILURE', 'CANCEL']);

/**
 * Works the outbox: delivers stored messages to their providers (following a provider's own
 * ACCEPT/PROCESS chain by polling it), posts callbacks and events, and sends mails, each with
 * exponential backoff and a budget; what exhausts its budget becomes a dead letter, and the
 * operators are told (a `violation`).
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private bytesInFlight = 0;
  /** the last claim filled the room it had: more is likely due, so a freed slot claims at once instead of at the next tick */
  private backlog = false;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly registry: Registry,
    /** one delivery attempt through the stages (pipeline/stages.ts buildDeliveryPipeline) */
    private readonly pipeline: (ex: Exchange) => Promise<void>,
    private readonly trust: TrustStore,
    private readonly events: Events,
    private readonly log: Logger,
    private readonly node: Signer | undefined,
    private readonly o: WorkerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.tickMs);
  }

  /** Claim nothing more; wait for the items in work, up to `graceMs` (those left keep their leases and are tried again after them). */
  async stop(graceMs = Infinity): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    const until = Date.now() + graceMs;
    while (this.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (this.inFlight > 0) this.log.warn({ inFlight: this.inFlight }, 'stopping with deliveries in work: they keep their leases and are tried again once those run out');
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const room = this.o.concurrency - this.inFlight;
      if (room <= 0 || (this.inFlight > 0 && this.bytesInFlight >= (this.o.maxBytesInFlight ?? Infinity))) return;
      const claimed = await this.outbox.claim(room, this.o.leaseMs);
      this.backlog = claimed.length === room;
      // the payloads' sizes are known once claimed: what would pass the byte budget goes back
      const budget = (this.o.maxBytesInFlight ?? Infinity) - this.bytesInFlight;
      let taking = 0;
      const items = claimed.sort((a, b) => a.next_at - b.next_at).filter((x, i) => {
        const fits = (i === 0 && this.inFlight === 0) || taking + x.payload.length <= budget;
        if (fits) taking += x.payload.length;
        return fits;
      });
      if (items.length < claimed.length) {
        this.backlog = true;
        await this.outbox.release(claimed.filter((x) => !items.includes(x)).map((x) => x.id));
      }
      for (const item of items) {
        const bytes = item.payload.length;
        this.inFlight++;
        this.bytesInFlight += bytes;
        void this.work(item).catch((e) => this.log.error({ err: e, id: item.id }, 'outbox item failed unexpectedly')).finally(() => {
          this.inFlight--;
          this.bytesInFlight -= bytes;
          // under load the items in work finish one by one: a slot waiting for the next tick was
          // up to tickMs of delivery lost each time, and the outbox fell behind what was accepted
          if (this.backlog && !this.stopped) setImmediate(() => void this.tick());
        });
      }
    } catch (e) {
      this.log.error({ err: e }, 'outbox claim failed');
    } finally {
      this.ticking = false;
    }
  }

  private async work(item: OutboxRow): Promise<void> {
    if (item.kind === 'deliver') return this.deliver(item);
    if (item.kind === 'mail') return this.mail(item);
    return this.post(item);
  }

  /** A mail, sent over SMTP: retried while the server is down or answers 4xx; a 5xx is final. */
  private async mail(item: OutboxRow): Promise<void> {
    if (!this.o.mail) return this.retry(item, 'this process has no SMTP server configured (SMEV2_SMTP_URL or SMEV2_SMTP_HOST): left for a process that has, or for a restart with one');
    const r = await this.o.mail.send(item.payload);
    if (r.ok) return this.outbox.done(item.id, null, r.code);
    if (r.permanent) return this.fail(item, r.reason);
    return this.retry(item, r.reason);
  }

  /**
   * One attempt at a message to its provider, or a poll of the provider's own chain: through the
   * delivery pipeline (pipeline/stages.ts buildDeliveryPipeline: deliver, then verify and control
   * of the answer, then the node's marks), so only an answer judged like a polled one is stored
   * and called back. A transport failure or an answer that fails its checks is retried.
   */
  private async deliver(item: OutboxRow): Promise<void> {
    const entry = item.sid ? this.registry.get(item.sid) : undefined;
    const operation = entry?.operations.find((op) => op.name === item.operation);
    if (!entry || !operation || !this.registry.adapter(entry.sid)) return this.fail(item, `${item.sid}/${item.operation} is no longer registered`, entry);
    const d = entry.def.delivery;
    let send = { bytes: item.payload, op: operation, messageId: item.id };
    if (item.status === 'polling') {
      const poll = await this.pollRequest(entry, operation, item.payload, item.id);
      if (!poll) return this.fail(item, 'the provider answered ACCEPT, but the service has no operation to poll it with', entry);
      send = poll;
    }
    const ex = this.exchangeFor(item, entry, send.op, send.bytes, send.messageId);
    let outcome: { provider: Buffer; env: Envelope; httpStatus: number; marked: Buffer; parts?: MimeParts } | undefined;
    const a = this.o.attachments;
    if (a) ex.spool = new Spool(a.spoolDir);
    try {
      // an MTOM request goes on with its parts, brought back from the store (a poll has none)
      if (item.payload_parts && send.bytes === item.payload) {
        if (!a) throw new Error('an MTOM message is queued, but this worker has no attachment store');
        ex.requestParts = await a.store.materialize(item.payload_parts, ex.spool!, a.memoryThreshold);
      }
      await this.pipeline(ex);
      const leg = ex.legs.find((l) => l.direction === 'provider->gateway');
      if (ex.answer && leg?.envelope) outcome = { provider: wholeOf(leg.bytes), env: leg.envelope, httpStatus: leg.httpStatus ?? ex.answer.status, marked: ex.answer.bytes, parts: ex.answer.parts };
      // the answer's parts by hash before the outcome that names them (the journal stage stored them too)
      if (outcome?.parts) await a?.store.putAll(outcome.parts);
    } catch (e) {
      return this.retry(item, e instanceof GatewayFault ? e.faultstring : (e as Error).message, entry);
    } finally {
      disposeDocuments(ex);
      await ex.spool?.release();
    }
    if (!outcome) return this.retry(item, 'the provider gave no answer', entry);
    const { provider, env } = outcome;
    if (env.fault && outcome.httpStatus >= 500 && !env.fault.code) {
      // a provider's own server fault: worth another try
      return this.retry(item, `the provider answered a SOAP fault: ${env.fault.faultstring ?? ''}`, entry);
    }
    const status = env.message?.status ?? (env.fault ? 'FAULT' : 'UNKNOWN');
    // the events and the callback are queued with the outcome, under ids it determines: queued
    // once, however often this item is worked (see Outbox)
    const about = { sid: entry.sid, ticket: item.id, consumer: item.consumer ?? undefined, status };
    const delivered = item.status === 'pending' ? this.events.items('delivered', about) : [];
    if (!env.fault && !FINAL.has(status)) {
      await this.outbox.polling(item.id, Date.now() + d.pollIntervalMs, item.status === 'pending' ? provider : null, status, delivered);
      return;
    }
    const answerParts = partsRecord(outcome.parts) ?? null;
    const more = await this.o.answered?.(item.id, status).catch((e: Error) => {
      this.log.error({ err: e, id: item.id }, 'the answer\'s follow-ups could not be read: the sweep queues them');
      return [];
    }) ?? [];
    await this.outbox.done(item.id, provider, status, [...delivered, ...this.events.items('answer-ready', about), ...this.callback(item, entry, env.fault ? undefined : outcome.marked, answerParts), ...more], answerParts);
  }

  /** The exchange of one delivery attempt: the stored request, parsed once, as the stages need it. */
  private exchangeFor(item: OutboxRow, service: Service, operation: Operation, bytes: Buffer, messageId: string): Exchange {
    const id = `delivery-${item.id}-${item.attempts + 1}`;
    const request = parseEnvelope(bytes, { purpose: 'outbox' });
    return {
      id, origin: 'outbox', started: process.hrtime.bigint(), receivedAt: new Date(), sid: service.sid,
      log: this.log.child({ exchange: id, sid: service.sid, ticket: item.id }),
      raw: bytes, request, service, operation, messageId, forward: Slices.of(bytes), chainId: item.id,
      nodeSignature: this.node ? 'recipient:signed by the node' : 'not signed (no node key)',
      legs: [],
    };
  }

  /** The PING the gateway sends the provider on the consumer's behalf, marked and signed by the node. */
  private async pollRequest(service: Service, sent: Operation, stored: Buffer, origin: string): Promise<{ bytes: Buffer; op: Operation; messageId: string } | undefined> {
    const op = pollOperation(service, sent);
    const request = readEnvelopeView(stored, 'outbox');
    if (!op?.input || !request.smevNamespace || !request.message) return undefined;
    const m = request.message;
    const body = fillAnswer(skeleton({ output: op.input, smevNamespace: request.smevNamespace, status: 'PING', typeCode: m.typeCode, serviceName: m.serviceName, appData: '' }), {
      sender: m.sender, recipient: m.recipient, originator: m.originator, exchangeType: m.exchangeType, originRequestIdRef: origin, testMsg: m.testMsg,
    });
    const marked = await markAsNodeAsync(body, readEnvelopeView(body), 'REQUEST', this.node);
    return { bytes: marked.message.join(), op, messageId: marked.messageId };
  }

  /**
   * The consumer's callback, when its system has an address: the judged answer, marked by the
   * node, as an outbox item named after the ticket (one per message).
   */
  private callback(item: OutboxRow, service: Service, marked: Buffer | undefined, parts: string | null): NewItem[] {
    const url = item.consumer ? this.trust.systems.get(item.consumer)?.callback : undefined;
    if (!url || !marked) return [];
    return [{ id: `callback-${item.id}`, kind: 'callback', sid: service.sid, operation: item.operation ?? undefined, consumer: item.consumer ?? undefined,
      target: url, maxAttempts: service.def.delivery.maxAttempts, maxAgeMs: service.def.delivery.maxAgeSeconds * 1000, payload: marked, payloadParts: parts ?? undefined }];
  }

  /** A callback or an event, POSTed until the receiver answers 2xx. */
  private async post(item: OutboxRow): Promise<void> {
    const entry = item.sid ? this.registry.get(item.sid) : undefined;
    const a = this.o.attachments;
    const spool = a ? new Spool(a.spoolDir) : undefined;
    try {
      // a callback of an MTOM answer is MTOM too: the marked envelope and the parts from the store
      const mime = item.payload_parts && a && spool ? await a.store.materialize(item.payload_parts, spool, a.memoryThreshold) : undefined;
      const mtom = mime ? writeMultipart({ bytes: item.payload }, mime.parts, mime.framing) : undefined;
      const { status } = await post(item.target!, mtom ?? item.payload, {
        contentType: mtom?.contentType ?? (item.kind === 'event' ? 'application/json' : 'text/xml; charset=utf-8'),
        connectTimeoutMs: this.o.connectTimeoutMs, readTimeoutMs: this.o.readTimeoutMs, maxAnswerBytes: 1024 * 1024,
      });
      if (status >= 200 && status < 300) return this.outbox.done(item.id, null, String(status));
      return this.retry(item, `${item.target} answered HTTP ${status}`, entry);
    } catch (e) {
      return this.retry(item, `${item.target}: ${(e as Error).message}`, entry);
    } finally {
      await spool?.release();
    }
  }

  private async retry(item: OutboxRow, reason: string, service?: Service): Promise<void> {
    const d = service?.def.delivery;
    const next = Date.now() + backoff(item.attempts, d?.initialBackoffMs ?? 1000, d?.maxBackoffMs ?? 300_000);
    const verdict = await this.outbox.failed(item, reason, next, () => this.deadEvents(item, reason, service));
    this.log.warn({ id: item.id, kind: item.kind, attempt: item.attempts + 1, reason, verdict }, 'delivery attempt failed');
  }

  private async fail(item: OutboxRow, reason: string, service?: Service): Promise<void> {
    await this.outbox.failed(item, reason, Date.now(), () => this.deadEvents(item, reason, service), true);
    this.log.error({ id: item.id, reason }, 'dead letter');
  }

  /**
   * `delivery-failed` for a message that becomes a dead letter: once per retry budget (a re-driven
   * message that fails again is announced again; its budget has a new end); and for every kind
   * (but mails and violations themselves) the operators' `violation`, once per SID and window.
   */
  private deadEvents(item: OutboxRow, reason: string, service?: Service): NewItem[] {
    const violation = deadLetterViolation(this.events, item, reason, this.o.violationWindowMs ?? 15 * 60_000);
    if (item.kind !== 'deliver') return violation;
    return [...this.events.items('delivery-failed', { sid: item.sid ?? service?.sid ?? '', ticket: item.id, consumer: item.consumer ?? undefined, reason }, `${item.id}/${item.expires_at}`), ...violation];
  }
}
