import type { DataSource, EntityManager } from 'typeorm';
import { query } from '../store';

export type OutboxKind = 'deliver' | 'callback' | 'event';
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

/**
 * The durable queue behind guaranteed delivery, callbacks and subscriptions: one table, one
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
  async add(items: NewItem | NewItem[], o: { ifAbsent?: boolean } = {}, on: DataSource | EntityManager = this.ds): Promise<void> {
    const list = Array.isArray(items) ? items : [items];
    if (!list.length) return;
    const now = this.clock();
    await query(on,
      `INSERT INTO outbox (id, kind, sid, operation, consumer, status, attempts, max_attempts, created_at, expires_at, next_at, updated_at, target, payload, polls)
       VALUES ${list.map(() => "(?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?, ?, ?, 0)").join(', ')}${o.ifAbsent ? ' ON CONFLICT (id) DO NOTHING' : ''}`,
      list.flatMap((i) => [i.id, i.kind, i.sid ?? null, i.operation ?? null, i.consumer ?? null, i.maxAttempts, now, now + i.maxAgeMs, now, now, i.target ?? null, i.payload]));
  }

  /** Record an outcome (`update`) with the items it sets off: see the class comment. */
  private async settle(then: NewItem[], update: (on: DataSource | EntityManager) => Promise<unknown>): Promise<void> {
    if (this.ds.options.type === 'postgres' && then.length) {
      await this.ds.transaction(async (m) => {
        await this.add(then, { ifAbsent: true }, m);
        await update(m);
      });
      return;
    }
    // SQLite: one connection per process, shared with the journal's transactions, so no
    // transaction of its own; the follow-ups first, so that a crash between leaves the item to be
    // worked again, and that finds its follow-ups already queued
    await this.add(then, { ifAbsent: true });
    await update(this.ds);
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    const r = await query(this.ds, 'SELECT * FROM outbox WHERE id = ?', [id]);
    return r[0] ? row(r[0]) : undefined;
  }

  /** Claim up to `n` due items for `leaseMs`. */
  async claim(n: number, leaseMs: number): Promise<OutboxRow[]> {
    const now = this.clock();
    if (this.ds.options.type === 'postgres') {
      // one statement: rows another instance holds are skipped, not waited for; the lease then
      // covers a worker that dies after the commit
      const taken = await query(this.ds,
        `UPDATE outbox SET lease_until = ?, updated_at = ? WHERE id IN (
           SELECT id FROM outbox WHERE status IN ('pending', 'polling') AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?)
           ORDER BY next_at LIMIT ? FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [now + leaseMs, now, now, now, n]);
      return taken.map(row);
    }
    const due = await query(this.ds,
      `SELECT id FROM outbox WHERE status IN ('pending', 'polling') AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_at LIMIT ?`,
      [now, now, n]);
    const out: OutboxRow[] = [];
    for (const d of due) {
      // the lease is taken only if nobody took it meanwhile (another worker, another instance)
      const taken = await query(this.ds,
        `UPDATE outbox SET lease_until = ?, updated_at = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?) RETURNING *`,
        [now + leaseMs, now, d.id, now]);
      if (taken[0]) out.push(row(taken[0]));
    }
    return out;
  }

  /** The provider answered finally: keep the answer; queue what that sets off (`then`). */
  async done(id: string, answer: Buffer | null, answerStatus: string | null, then: NewItem[] = []): Promise<void> {
    await this.settle(then, (on) => query(on, `UPDATE outbox SET status = 'done', answer = ?, answer_status = ?, lease_until = NULL, updated_at = ?, last_error = NULL WHERE id = ?`,
      [answer, answerStatus, this.clock(), id]));
  }

  /** The provider accepted and works on it: poll it from `nextAt`; queue what that sets off (`then`). */
  async polling(id: string, nextAt: number, answer: Buffer | null, answerStatus: string, then: NewItem[] = []): Promise<void> {
    await this.settle(then, (on) => query(on, `UPDATE outbox SET status = 'polling', polls = polls + 1, next_at = ?, lease_until = NULL, updated_at = ?, answer = COALESCE(?, answer), answer_status = ? WHERE id = ?`,
      [nextAt, this.clock(), answer, answerStatus, id]));
  }

  /**
   * A failed attempt: retry at `nextAt`, or give up (dead letter) when the budget is spent, and
   * then queue what `ifDead` gives with the verdict.
   */
  async failed(item: OutboxRow, error: string, nextAt: number, ifDead: () => NewItem[] = () => []): Promise<'retry' | 'dead'> {
    const attempts = item.attempts + 1;
    const dead = attempts >= item.max_attempts || nextAt > item.expires_at;
    await this.settle(dead ? ifDead() : [], (on) => query(on, `UPDATE outbox SET status = ?, attempts = ?, next_at = ?, lease_until = NULL, updated_at = ?, last_error = ? WHERE id = ?`,
      [dead ? 'dead' : item.status, attempts, nextAt, this.clock(), error.slice(0, 1000), item.id]));
    return dead ? 'dead' : 'retry';
  }

  /** Give a dead letter a fresh budget. */
  async redrive(id: string, maxAgeMs: number): Promise<boolean> {
    const now = this.clock();
    const r = await query(this.ds, `UPDATE outbox SET status = 'pending', attempts = 0, next_at = ?, expires_at = ?, lease_until = NULL, updated_at = ?, last_error = NULL WHERE id = ? AND status = 'dead' RETURNING id`,
      [now, now + maxAgeMs, now, id]);
    return r.length === 1;
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
