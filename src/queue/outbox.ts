import type { DataSource } from 'typeorm';
import { dialectOf, query, type Runner } from '../store';

/** deliver: a message to its provider; callback: an answer to its consumer; event: to a webhook; mail: to one recipient over SMTP (queue/mail.ts) */
export type OutboxKind = 'deliver' | 'callback' | 'event' | 'mail';
export type OutboxStatus = 'pending' | 'polling' | 'done' | 'dead';

export interface OutboxRow {
  id: string;
  kind: OutboxKind;
  sid: string | null;
  operation: string | null;
  consumer: string | null;
  status: OutboxStatus;
  attempts: number;
  max_attempts: number;
  created_at: number;
  expires_at: number;
  next_at: number;
  lease_until: number | null;
  updated_at: number;
  target: string | null;
  payload: Buffer;
  answer: Buffer | null;
  answer_status: string | null;
  polls: number;
  last_error: string | null;
  /** MTOM: the parts of `payload` and of `answer`, by hash (journal/attachments.ts partsRecord) */
  payload_parts: string | null;
  answer_parts: string | null;
}

export interface NewItem {
  id: string;
  kind: OutboxKind;
  sid?: string;
  operation?: string;
  consumer?: string;
  maxAttempts: number;
  maxAgeMs: number;
  target?: string;
  payload: Buffer;
  /** MTOM: the parts that go with `payload`, stored by hash first (journal/attachments.ts partsRecord) */
  payloadParts?: string;
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
function row(r: Record<string, unknown>): OutboxRow {
  return {
    ...(r as unknown as OutboxRow),
    attempts: Number(r.attempts), max_attempts: Number(r.max_attempts), created_at: Number(r.created_at), expires_at: Number(r.expires_at),
    next_at: Number(r.next_at), lease_until: num(r.lease_until), updated_at: Number(r.updated_at), polls: Number(r.polls),
    payload: Buffer.from(r.payload as Uint8Array), answer: r.answer ? Buffer.from(r.answer as Uint8Array) : null,
  };
}

/** Items due and not claimed by a live lease (its two parameters: now, now): what a claim takes, and the intake counts. */
const DUE_AND_FREE = "status IN ('pending', 'polling') AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?)";

/**
 * The durable queue behind guaranteed delivery, callbacks, subscriptions and e-mail: one table, one
 * claiming rule (a lease), on SQLite and PostgreSQL alike. A claimed item whose worker died is
 * claimed again when its lease runs out: delivery is at least once, and the item keeps its id
 * (the node's MessageId) so a duplicate is recognisable.
 *
 * What an item's outcome sets off (the callback with its answer, the events about it) is queued
 * with the outcome, under ids that the outcome determines: on PostgreSQL in the outcome's
 * transaction, on SQLite just before it; either way an item worked twice (its worker died after
 * the provider answered, or its lease ran out) queues them once, and a worker that dies before
 * recording the outcome loses none of them.
 */
export class Outbox {
  constructor(private readonly ds: DataSource, private readonly clock: () => number = Date.now) {}

  /**
   * Queue items, in one statement (all or none). With `ifAbsent`, an item whose id is already
   * queued is left as it is (the follow-ups of an outcome recorded a second time).
   */
  async add(items: NewItem | NewItem[], o: { ifAbsent?: boolean } = {}, on: Runner = this.ds): Promise<void> {
    const list = Array.isArray(items) ? items : [items];
    if (!list.length) return;
    const now = this.clock();
    await query(on,
      `INSERT INTO outbox (id, kind, sid, operation, consumer, status, attempts, max_attempts, created_at, expires_at, next_at, updated_at, target, payload, payload_parts, polls)
       VALUES ${list.map(() => "(?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?, ?, 0)").join(', ')}${o.ifAbsent ? ' ON CONFLICT (id) DO NOTHING' : ''}`,
      list.flatMap((i) => [i.id, i.kind, i.sid ?? null, i.operation ?? null, i.consumer ?? null, i.maxAttempts, now, now + i.maxAgeMs, now, now, i.target ?? null, i.payload, i.payloadParts ?? null]));
  }

  /** Record an outcome (`update`) with the items it sets off: see the class comment. */
  private async settle(then: NewItem[], update: (on: Runner) => Promise<unknown>): Promise<void> {
    // the follow-ups first: on PostgreSQL both in one transaction; on SQLite (no transaction of
    // its own, src/store/dialect.ts) a crash between leaves the item to be worked again, and that
    // finds its follow-ups already queued
    await dialectOf(this.ds).inOrder(this.ds, then.length ? [(on) => this.add(then, { ifAbsent: true }, on), update] : [update]);
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    const r = await query(this.ds, 'SELECT * FROM outbox WHERE id = ?', [id]);
    return r[0] ? row(r[0]) : undefined;
  }

  /** Items due now and not claimed: the backlog the delivery workers have yet to take (intake.ts). */
  async dueCount(): Promise<number> {
    const now = this.clock();
    const [r] = await query<{ n: number | string }>(this.ds,
      `SELECT count(*) AS n FROM outbox WHERE ${DUE_AND_FREE}`, [now, now]);
    return Number(r?.n ?? 0);
  }

  /** Claim up to `n` due items for `leaseMs`. */
  async claim(n: number, leaseMs: number): Promise<OutboxRow[]> {
    const now = this.clock();
    const taken = await dialectOf(this.ds).claim(this.ds, {
      table: 'outbox', key: 'id',
      where: DUE_AND_FREE, whereParams: [now, now],
      order: 'next_at', limit: n,
      set: 'lease_until = ?, updated_at = ?', setParams: [now + leaseMs, now],
      free: '(lease_until IS NULL OR lease_until < ?)', freeParams: [now],
    });
    return taken.map(row);
  }

  /** Let claimed items go again untouched (the worker took more than its byte budget lets it work): due as they were. */
  async release(ids: string[]): Promise<void> {
    if (!ids.length) return;
    await query(this.ds, `UPDATE outbox SET lease_until = NULL WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  }

  /** The provider answered finally: keep the answer; queue what that sets off (`then`). */
  async done(id: string, answer: Buffer | null, answerStatus: string | null, then: NewItem[] = [], answerParts: string | null = null): Promise<void> {
    await this.settle(then, (on) => query(on, `UPDATE outbox SET status = 'done', answer = ?, answer_parts = ?, answer_status = ?, lease_until = NULL, updated_at = ?, last_error = NULL WHERE id = ?`,
      [answer, answerParts, answerStatus, this.clock(), id]));
  }

  /** The provider accepted and works on it: poll it from `nextAt`; queue what that sets off (`then`). */
  async polling(id: string, nextAt: number, answer: Buffer | null, answerStatus: string, then: NewItem[] = []): Promise<void> {
    const now = this.clock();
    // next_at 0: pollSoon asked, while this attempt was under way, for the next poll at once (the
    // casts: PostgreSQL does not infer a parameter's type inside CASE)
    await this.settle(then, (on) => query(on, `UPDATE outbox SET status = 'polling', polls = polls + 1, next_at = CASE WHEN next_at = 0 THEN CAST(? AS BIGINT) ELSE CAST(? AS BIGINT) END, lease_until = NULL, updated_at = ?, answer = COALESCE(?, answer), answer_status = ? WHERE id = ?`,
      [now, nextAt, now, answer, answerStatus, id]));
  }

  /**
   * A failed attempt: retry at `nextAt`, or give up (dead letter) when the budget is spent or the
   * failure is `final` (no retry can help), and then queue what `ifDead` gives with the verdict.
   */
  async failed(item: OutboxRow, error: string, nextAt: number, ifDead: () => NewItem[] = () => [], final = false): Promise<'retry' | 'dead'> {
    const attempts = item.attempts + 1;
    const dead = final || attempts >= item.max_attempts || nextAt > item.expires_at;
    await this.settle(dead ? ifDead() : [], (on) => query(on, `UPDATE outbox SET status = ?, attempts = ?, next_at = ?, lease_until = NULL, updated_at = ?, last_error = ? WHERE id = ?`,
      [dead ? 'dead' : item.status, attempts, nextAt, this.clock(), error.slice(0, 1000), item.id]));
    return dead ? 'dead' : 'retry';
  }

  /**
   * Poll a provider that accepted sooner: the item's next poll now (a manual provider's clerk has
   * answered, src/providers/manual/), or at once after the attempt now under way. False when the
   * item is neither being delivered nor polled.
   */
  async pollSoon(id: string): Promise<boolean> {
    const now = this.clock();
    // an item in work (leased: being delivered or polled right now, maybe having read the inbox
    // before its answer came) is marked with next_at 0, which `polling` turns into "at once" instead
    // of its interval; otherwise a waiting poll is brought forward
    const r = await query(this.ds, `UPDATE outbox SET next_at = CASE WHEN lease_until >= ? THEN 0 ELSE CAST(? AS BIGINT) END, updated_at = ?
      WHERE id = ? AND status IN ('pending', 'polling') AND (next_at > ? OR lease_until >= ?) RETURNING id`, [now, now, now, id, now, now]);
    return r.length === 1;
  }

  /** Give a dead letter a fresh budget. */
  async redrive(id: string, maxAgeMs: number): Promise<boolean> {
    const now = this.clock();
    const r = await query(this.ds, `UPDATE outbox SET status = 'pending', attempts = 0, next_at = ?, expires_at = ?, lease_until = NULL, updated_at = ?, last_error = NULL WHERE id = ? AND status = 'dead' RETURNING id`,
      [now, now + maxAgeMs, now, id]);
    return r.length === 1;
  }

  /**
   * The delivery state of the item a chain is queued under (its id is the chain's: the node's
   * MessageId), as the store has it; none when the chain was not delivered through the outbox.
   */
  deliveryOf(id: string): Promise<Record<string, unknown>[]> {
    return query(this.ds, 'SELECT id, kind, status, attempts, max_attempts, polls, next_at, last_error, answer_status FROM outbox WHERE id = ?', [id]);
  }

  async list(status?: OutboxStatus, kind?: OutboxKind, limit = 100): Promise<OutboxRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (status) { where.push('status = ?'); params.push(status); }
    if (kind) { where.push('kind = ?'); params.push(kind); }
    const r = await query(this.ds, `SELECT * FROM outbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at LIMIT ?`, [...params, limit]);
    return r.map(row);
  }

  async counts(): Promise<Record<string, number>> {
    const r = await query<{ status: string; n: number }>(this.ds, 'SELECT status, COUNT(*) AS n FROM outbox GROUP BY status');
    return Object.fromEntries(r.map((x) => [x.status, Number(x.n)]));
  }
}

/** Exponential backoff with full jitter: a random wait up to min(max, initial · 2^attempt). */
export function backoff(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(initialMs / 2 + random() * (ceiling - initialMs / 2));
}
