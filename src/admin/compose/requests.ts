import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { query } from '../../store';
import type { NewItem, Outbox, OutboxRow } from '../../queue/outbox';
import type { EventData, Events } from '../../queue/events';
import { readEnvelopeView } from '../../envelope/parse';

/** Where a composed request stands, in words a requester reads. */
export type RequestState = 'answered' | 'fault' | 'accepted' | 'process' | 'failed' | 'unknown';

/** One composed request as "my requests" shows it. */
export interface ComposedRequest {
  id: string;
  user: string;
  department: string | null;
  sid: string;
  operation: string | null;
  /** the system it was signed as (null: unsigned) */
  system: string | null;
  /** the smev:Status it was sent with (REQUEST, PING, …) */
  sentStatus: string;
  /** `guaranteed`: the node accepted it with a ticket and delivers it; `direct`: the answer came back at once */
  delivery: 'direct' | 'guaranteed';
  exchangeId: string | null;
  messageId: string | null;
  ticket: string | null;
  httpStatus: number;
  at: string;
  state: RequestState;
  /** the answer's smev:Status (RESULT, ACCEPT, PROCESS, FAILURE, …) or FAULT */
  status: string | null;
  fault: string | null;
  /** guaranteed delivery: the steps so far (ACCEPT → PROCESS → RESULT) */
  steps: string[];
  /** the delivery's last error, for a failed guaranteed delivery */
  error: string | null;
  /** when `answer-arrived` was queued for it */
  notifiedAt: string | null;
}

export interface NewComposedRequest {
  user: string;
  /** the user's role: `answer-arrived` is for a requester's requests */
  role: string;
  department?: string;
  sid: string;
  operation?: string;
  system: string | null;
  sentStatus: string;
  /** the SID delivers with guarantee and the node answered ACCEPT with this ticket */
  ticket: string | null;
  exchangeId: string | null;
  messageId: string | null;
  httpStatus: number;
  answerStatus: string | null;
  faultCode: string | null;
  /** the answer as it came back (a direct SID; for a ticket, the node's ACCEPT) */
  answer: string;
}

interface Row {
  id: string; user_name: string; role: string; department: string | null; sid: string; operation: string | null; system: string | null; sent_status: string; delivery: string;
  exchange_id: string | null; message_id: string | null; ticket: string | null; http_status: number; answer_status: string | null; fault_code: string | null;
  answer?: string | null; created_at: number; notified_at: number | null;
}

const COLUMNS = 'id, user_name, role, department, sid, operation, system, sent_status, delivery, exchange_id, message_id, ticket, http_status, answer_status, fault_code, created_at, notified_at';
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const FAULT_CODE = /^([A-Z]+-\d+)\b/;

/**
 * Who composed which request (table composed_requests, migration 0016): the composer records
 * each request it sends for a user, so that the user finds it again under "my requests" with
 * where it stands and its answer (docs/cabinet.md, "For a requester"). The status of a
 * guaranteed delivery is read from the outbox by its owner's functions (the ticket is the outbox
 * item's id); a direct SID's answer is kept here as it came back.
 *
 * `answer-arrived` (data: sid, requester, department, ticket or exchange, request, status) is
 * queued once per request of a requester, under an event id named after the request: for a
 * direct SID when it is recorded; for a ticket with the answer the delivery worker stores
 * (`arrival`), and by `sweep` (every second on the process that delivers) for a request recorded
 * after its answer was stored. A repeat, from another instance or after a crash, is the same
 * event id and queued once by the outbox.
 */
export class ComposedRequests {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly ds: DataSource, private readonly outbox: Outbox, private readonly events: Events, private readonly log: Logger, private readonly clock: () => number = Date.now) {}

  /** Record a request just sent; a direct SID's final answer is announced at once. */
  async record(r: NewComposedRequest): Promise<ComposedRequest> {
    const id = randomUUID();
    const now = this.clock();
    await query(this.ds, `INSERT INTO composed_requests (id, user_name, role, department, sid, operation, system, sent_status, delivery, exchange_id, message_id, ticket, http_status, answer_status, fault_code, answer, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [id, r.user, r.role, r.department ?? null, r.sid, r.operation ?? null, r.system, r.sentStatus, r.ticket ? 'guaranteed' : 'direct', r.exchangeId, r.messageId, r.ticket, r.httpStatus, r.answerStatus, r.faultCode, r.answer, now]);
    const row = (await this.row(id))!;
    const view = await this.view(row);
    await this.announce(row, view);
    return (await this.get(id))!.request;
  }

  /** The requests of a user (all users' when none is given), newest first. */
  async list(user: string | undefined, limit = 100): Promise<ComposedRequest[]> {
    const rows = await query<Row>(this.ds, `SELECT ${COLUMNS} FROM composed_requests ${user === undefined ? '' : 'WHERE user_name = ?'} ORDER BY created_at DESC, id LIMIT ?`, user === undefined ? [limit] : [user, limit]);
    return Promise.all(rows.map(async (r) => (await this.view(r)).request));
  }

  /** One request with its answer (the envelope's text; null while none has come). */
  async get(id: string): Promise<{ request: ComposedRequest; answer: string | null } | undefined> {
    const row = await this.row(id);
    if (!row) return undefined;
    const v = await this.view(row);
    return { request: v.request, answer: v.answer };
  }

  private async row(id: string): Promise<Row | undefined> {
    const [r] = await query<Row>(this.ds, `SELECT ${COLUMNS}, answer FROM composed_requests WHERE id = ?`, [id]);
    return r;
  }

  /** Where a request stands: from its own answer (direct), or from its ticket's outbox item. */
  private async view(r: Row): Promise<{ request: ComposedRequest; answer: string | null; final: boolean }> {
    const base = {
      id: String(r.id), user: r.user_name, department: r.department, sid: r.sid, operation: r.operation, system: r.system, sentStatus: r.sent_status,
      delivery: r.delivery as ComposedRequest['delivery'], exchangeId: r.exchange_id, messageId: r.message_id, ticket: r.ticket, httpStatus: Number(r.http_status),
      at: new Date(Number(r.created_at)).toISOString(), notifiedAt: num(r.notified_at) === null ? null : new Date(Number(r.notified_at)).toISOString(),
    };
    if (r.delivery !== 'guaranteed' || !r.ticket) {
      const state: RequestState = r.fault_code || r.answer_status === 'FAULT' ? 'fault' : r.answer_status === 'ACCEPT' ? 'accepted' : r.answer_status === 'PROCESS' ? 'process' : 'answered';
      return { request: { ...base, state, status: r.answer_status, fault: r.fault_code, steps: [], error: null }, answer: r.answer ?? null, final: state === 'answered' || state === 'fault' };
    }
    const item = await this.outbox.get(r.ticket);
    if (!item) return { request: { ...base, state: 'unknown', status: null, fault: null, steps: ['ACCEPT'], error: `the outbox no longer holds ticket ${r.ticket}` }, answer: null, final: false };
    return { ...ticketState(item, base), final: item.status === 'done' };
  }

  /** Queue `answer-arrived` for a request whose answer is in, once (its id names the request). */
  private async announce(r: Row, v: { request: ComposedRequest; final: boolean }): Promise<void> {
    if (!v.final || num(r.notified_at) !== null || r.role !== 'requester') return;
    await this.events.emit('answer-arrived', arrivalData(v.request), `request/${v.request.id}`);
    await query(this.ds, 'UPDATE composed_requests SET notified_at = ? WHERE id = ? AND notified_at IS NULL', [this.clock(), v.request.id]);
  }

  /**
   * The `answer-arrived` event of the composed request a ticket belongs to, if a requester sent it:
   * for the delivery worker to queue with the answer it stores (queue/worker.ts `answered`), so
   * that it goes out with the outcome. The sweep queues the same event (the same id) for a
   * request recorded only after its answer was stored.
   */
  async arrival(ticket: string, status: string): Promise<NewItem[]> {
    const [r] = await query<Row>(this.ds, `SELECT ${COLUMNS} FROM composed_requests WHERE ticket = ? AND role = 'requester' AND notified_at IS NULL`, [ticket]);
    if (!r) return [];
    const base = (await this.view(r)).request;
    return this.events.items('answer-arrived', arrivalData({ ...base, status }), `request/${base.id}`);
  }

  /** Announce the answers the delivery worker has stored for tickets of requesters' requests since the last look. */
  async sweep(): Promise<number> {
    const rows = await query<Row>(this.ds, `SELECT ${COLUMNS} FROM composed_requests WHERE notified_at IS NULL AND delivery = 'guaranteed' AND role = 'requester' AND created_at > ? ORDER BY created_at LIMIT 200`,
      [this.clock() - 7 * 24 * 3600_000]);
    let n = 0;
    for (const r of rows) {
      const v = await this.view(r);
      if (!v.final) continue;
      await this.announce(r, v);
      n++;
    }
    return n;
  }

  /** Sweep every `everyMs` (the process that delivers: `backgroundRoles(…).delivery`). */
  start(everyMs = 1000): void {
    let busy = false;
    this.timer = setInterval(() => {
      if (busy) return;
      busy = true;
      this.sweep().catch((err: Error) => this.log.error({ err }, 'composed requests: the answers could not be announced')).finally(() => { busy = false; });
    }, everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** What `answer-arrived` tells (docs/cabinet.md): the SID, who asked, which request, ticket or exchange, the answer's status. */
function arrivalData(q: ComposedRequest): EventData {
  return {
    sid: q.sid, requester: q.user, department: q.department ?? undefined, consumer: q.system ?? undefined, request: q.id, status: q.status ?? undefined,
    ...(q.ticket ? { ticket: q.ticket } : {}), ...(q.exchangeId ? { exchange: q.exchangeId } : {}),
  };
}

/** A guaranteed delivery's progress, as the outbox item of its ticket says. */
function ticketState(item: OutboxRow, base: Omit<ComposedRequest, 'state' | 'status' | 'fault' | 'steps' | 'error'>): { request: ComposedRequest; answer: string | null } {
  if (item.status === 'pending') return { request: { ...base, state: 'accepted', status: 'ACCEPT', fault: null, steps: ['ACCEPT'], error: item.last_error }, answer: null };
  if (item.status === 'polling') return { request: { ...base, state: 'process', status: 'PROCESS', fault: null, steps: ['ACCEPT', 'PROCESS'], error: null }, answer: null };
  if (item.status === 'dead') return { request: { ...base, state: 'failed', status: 'FAILURE', fault: null, steps: ['ACCEPT', 'FAILURE'], error: item.last_error }, answer: null };
  const answer = item.answer?.toString('utf8') ?? null;
  let fault: string | null = null;
  if (item.answer_status === 'FAULT' && answer) {
    try {
      const f = readEnvelopeView(item.answer!).fault;
      fault = FAULT_CODE.exec(f?.faultstring ?? '')?.[1] ?? f?.faultcode ?? 'FAULT';
    } catch {
      fault = 'FAULT';
    }
  }
  const steps = ['ACCEPT', ...(item.polls > 0 ? ['PROCESS'] : []), item.answer_status ?? 'RESULT'];
  return { request: { ...base, state: fault ? 'fault' : 'answered', status: item.answer_status, fault, steps, error: null }, answer };
}
