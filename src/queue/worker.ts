import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { Service, Operation } from '../registry/load';
import { readEnvelopeView } from '../envelope/parse';
import type { Envelope } from '../envelope/model';
import { GatewayFault } from '../faults/catalogue';
import { fillAnswer, skeleton } from '../envelope/answer';
import { markAsNode } from '../signature/node-marks';
import type { Signer } from '../signature/sign';
import type { Journal } from '../journal/journal';
import type { TrustStore } from '../signature/trust';
import { backoff, type NewItem, type Outbox, type OutboxRow } from './outbox';
import type { Events } from './events';

export interface WorkerOptions {
  concurrency: number;
  leaseMs: number;
  tickMs: number;
}

const FINAL = new Set(['RESULT', 'REJECT', 'INVALID', 'FAILURE', 'CANCEL']);

/**
 * Works the outbox: delivers stored messages to their providers (following a provider's own
 * ACCEPT/PROCESS chain by polling it), and posts callbacks and events, each with exponential
 * backoff and a budget; what exhausts its budget becomes a dead letter.
 */
export class DeliveryWorker {
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private ticking = false;
  private stopped = false;

  constructor(
    private readonly outbox: Outbox,
    private readonly registry: Registry,
    private readonly journal: Journal,
    private readonly trust: TrustStore,
    private readonly events: Events,
    private readonly log: Logger,
    private readonly node: Signer | undefined,
    private readonly o: WorkerOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.o.tickMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    while (this.inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  private async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      const room = this.o.concurrency - this.inFlight;
      if (room <= 0) return;
      const items = await this.outbox.claim(room, this.o.leaseMs);
      for (const item of items) {
        this.inFlight++;
        void this.work(item).catch((e) => this.log.error({ err: e, id: item.id }, 'outbox item failed unexpectedly')).finally(() => this.inFlight--);
      }
    } catch (e) {
      this.log.error({ err: e }, 'outbox claim failed');
    } finally {
      this.ticking = false;
    }
  }

  private async work(item: OutboxRow): Promise<void> {
    if (item.kind === 'deliver') return this.deliver(item);
    return this.post(item);
  }

  /** A message to its provider, or a poll of the provider's own chain. */
  private async deliver(item: OutboxRow): Promise<void> {
    const entry = item.sid ? this.registry.get(item.sid) : undefined;
    const adapter = item.sid ? this.registry.adapter(item.sid) : undefined;
    const operation = entry?.operations.find((op) => op.name === item.operation);
    if (!entry || !adapter || !operation) return this.fail(item, `${item.sid}/${item.operation} is no longer registered`, entry);
    const d = entry.def.delivery;
    const request = readEnvelopeView(item.payload);
    let bytes = item.payload;
    let op = operation;
    let messageId = item.id;
    if (item.status === 'polling') {
      const poll = this.pollRequest(entry, operation, request, item.id);
      if (!poll) return this.fail(item, 'the provider answered ACCEPT, but the service has no operation to poll it with', entry);
      ({ bytes, op, messageId } = poll);
    }
    const t0 = Date.now();
    let answer;
    try {
      answer = await adapter.call({ service: entry, operation: op, bytes, messageId, request: readEnvelopeView(bytes) });
    } catch (e) {
      const reason = e instanceof GatewayFault ? e.faultstring : (e as Error).message;
      await this.journalLegs(item, bytes, undefined, undefined, Date.now() - t0, reason);
      return this.retry(item, reason, entry);
    }
    let env: Envelope;
    try {
      env = readEnvelopeView(answer.bytes);
    } catch (e) {
      const reason = `the provider answered HTTP ${answer.status} with something that is not a SOAP envelope: ${(e as Error).message}`;
      await this.journalLegs(item, bytes, answer.bytes, undefined, Date.now() - t0, reason);
      return this.retry(item, reason, entry);
    }
    await this.journalLegs(item, bytes, answer.bytes, env, Date.now() - t0);
    if (env.fault && answer.status >= 500 && !env.fault.code) {
      // a provider's own server fault: worth another try
      return this.retry(item, `the provider answered a SOAP fault: ${env.fault.faultstring ?? ''}`, entry);
    }
    const status = env.message?.status ?? (env.fault ? 'FAULT' : 'UNKNOWN');
    // the events and the callback are queued with the outcome, under ids it determines: queued
    // once, however often this item is worked (see Outbox)
    const about = { sid: entry.sid, ticket: item.id, consumer: item.consumer ?? undefined, status };
    const delivered = item.status === 'pending' ? this.events.items('delivered', about) : [];
    if (!env.fault && !FINAL.has(status)) {
      await this.outbox.polling(item.id, Date.now() + d.pollIntervalMs, item.status === 'pending' ? answer.bytes : null, status, delivered);
      return;
    }
    await this.outbox.done(item.id, answer.bytes, status, [...delivered, ...this.events.items('answer-ready', about), ...this.callback(item, entry, answer.bytes, env)]);
  }

  /** The PING the gateway sends the provider on the consumer's behalf, marked and signed by the node. */
  private pollRequest(service: Service, sent: Operation, request: Envelope, origin: string): { bytes: Buffer; op: Operation; messageId: string } | undefined {
    const op = sent.mode === 'async-send' ? service.operations.find((o) => o.mode === 'async-get') : sent;
    if (!op?.input || !request.smevNamespace || !request.message) return undefined;
    const m = request.message;
    const body = fillAnswer(skeleton({ output: op.input, smevNamespace: request.smevNamespace, status: 'PING', typeCode: m.typeCode, serviceName: m.serviceName, appData: '' }), {
      sender: m.sender, recipient: m.recipient, originator: m.originator, exchangeType: m.exchangeType, originRequestIdRef: origin, testMsg: m.testMsg,
    });
    const marked = markAsNode(body, readEnvelopeView(body), 'REQUEST', this.node);
    return { bytes: marked.bytes, op, messageId: marked.messageId };
  }

  /**
   * The consumer's callback, when its system has an address: the answer, marked by the node, as an
   * outbox item named after the ticket (one per message).
   */
  private callback(item: OutboxRow, service: Service, answer: Buffer, env: Envelope): NewItem[] {
    const url = item.consumer ? this.trust.systems.get(item.consumer)?.callback : undefined;
    if (!url || env.fault) return [];
    const marked = markAsNode(answer, env, 'RESPONSE', this.node);
    return [{ id: `callback-${item.id}`, kind: 'callback', sid: service.sid, operation: item.operation ?? undefined, consumer: item.consumer ?? undefined,
      target: url, maxAttempts: service.def.delivery.maxAttempts, maxAgeMs: service.def.delivery.maxAgeSeconds * 1000, payload: marked.bytes }];
  }

  /** A callback or an event, POSTed until the receiver answers 2xx. */
  private async post(item: OutboxRow): Promise<void> {
    const entry = item.sid ? this.registry.get(item.sid) : undefined;
    try {
      const status = await postTo(item.target!, item.payload, item.kind === 'event' ? 'application/json' : 'text/xml; charset=utf-8');
      if (status >= 200 && status < 300) return this.outbox.done(item.id, null, String(status));
      return this.retry(item, `${item.target} answered HTTP ${status}`, entry);
    } catch (e) {
      return this.retry(item, `${item.target}: ${(e as Error).message}`, entry);
    }
  }

  private async retry(item: OutboxRow, reason: string, service?: Service): Promise<void> {
    const d = service?.def.delivery;
    const next = Date.now() + backoff(item.attempts, d?.initialBackoffMs ?? 1000, d?.maxBackoffMs ?? 300_000);
    const verdict = await this.outbox.failed(item, reason, next, () => this.deadEvents(item, reason, service));
    this.log.warn({ id: item.id, kind: item.kind, attempt: item.attempts + 1, reason, verdict }, 'delivery attempt failed');
  }

  private async fail(item: OutboxRow, reason: string, service?: Service): Promise<void> {
    await this.outbox.failed({ ...item, attempts: item.max_attempts }, reason, Date.now(), () => this.deadEvents(item, reason, service));
    this.log.error({ id: item.id, reason }, 'dead letter');
  }

  /**
   * `delivery-failed` for a message that becomes a dead letter: once per retry budget (a re-driven
   * message that fails again is announced again; its budget has a new end).
   */
  private deadEvents(item: OutboxRow, reason: string, service?: Service): NewItem[] {
    if (item.kind !== 'deliver') return [];
    return this.events.items('delivery-failed', { sid: item.sid ?? service?.sid ?? '', ticket: item.id, consumer: item.consumer ?? undefined, reason }, `${item.id}/${item.expires_at}`);
  }

  /** The legs to and from the provider, journaled like those of a direct exchange. */
  private async journalLegs(item: OutboxRow, sent: Buffer, got: Buffer | undefined, env: Envelope | undefined, ms: number, error?: string): Promise<void> {
    const request = readEnvelopeView(sent);
    await this.journal.writeLegs({ exchangeId: `delivery-${item.id}-${item.attempts + 1}`, sid: item.sid ?? '', operation: item.operation, chainId: item.id }, [
      { direction: 'gateway->provider', at: new Date(Date.now() - ms), bytes: sent, envelope: request, messageId: request.header?.messageId },
      { direction: 'provider->gateway', at: new Date(), bytes: got ?? Buffer.alloc(0), envelope: env, durationMs: ms, faultCode: error ? 'delivery-attempt-failed' : undefined, control: error },
    ]);
  }
}

function postTo(url: string, body: Buffer, contentType: string): Promise<number> {
  const u = new URL(url);
  const transport = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = transport.request(u, { method: 'POST', headers: { 'content-type': contentType, 'content-length': body.length }, timeout: 15_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(body);
  });
}

