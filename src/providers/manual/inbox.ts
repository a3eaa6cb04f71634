import type { DataSource } from 'typeorm';
import { query } from '../../store';

/** A request a manual provider received, as its inbox keeps it. */
export interface InboxItem {
  ticket: string;
  sid: string;
  operation: string;
  department: string;
  assignee: string | null;
  queue: string | null;
  consumer: string | null;
  arrivedAt: number;
  dueAt: number;
  /** from this time it is due soon */
  dueSoonFrom: number;
  status: 'open' | 'answered';
  answerStatus: AnswerStatus | null;
  /** the answer's AppData content (XML) */
  answerData: string | null;
  answeredBy: string | null;
  answeredAt: number | null;
  assignedBy: string | null;
  assignedAt: number | null;
  /** when the due-soon and overdue events were queued */
  dueSoonAt: number | null;
  overdueAt: number | null;
}

export type AnswerStatus = 'RESULT' | 'REJECT' | 'INVALID';
export const ANSWER_STATUSES: AnswerStatus[] = ['RESULT', 'REJECT', 'INVALID'];

export interface NewInboxItem {
  ticket: string;
  sid: string;
  operation: string;
  department: string;
  assignee?: string;
  queue?: string;
  consumer?: string;
  request: Buffer;
  arrivedAt: number;
  dueAt: number;
  dueSoonFrom: number;
}

export interface InboxFilter {
  department?: string;
  sid?: string;
  status?: 'open' | 'answered';
  assignee?: string;
  limit?: number;
}

const COLUMNS = 'ticket, sid, operation, department, assignee, queue, consumer, arrived_at, due_at, due_soon_from, status, answer_status, answer_data, answered_by, answered_at, assigned_by, assigned_at, due_soon_at, overdue_at';
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function item(r: Record<string, unknown>): InboxItem {
  return {
    ticket: String(r.ticket), sid: String(r.sid), operation: String(r.operation), department: String(r.department),
    assignee: (r.assignee as string | null) ?? null, queue: (r.queue as string | null) ?? null, consumer: (r.consumer as string | null) ?? null,
    arrivedAt: Number(r.arrived_at), dueAt: Number(r.due_at), dueSoonFrom: Number(r.due_soon_from),
    status: r.status as InboxItem['status'], answerStatus: (r.answer_status as AnswerStatus | null) ?? null, answerData: (r.answer_data as string | null) ?? null,
    answeredBy: (r.answered_by as string | null) ?? null, answeredAt: num(r.answered_at), assignedBy: (r.assigned_by as string | null) ?? null, assignedAt: num(r.assigned_at),
    dueSoonAt: num(r.due_soon_at), overdueAt: num(r.overdue_at),
  };
}

/**
 * The inbox of manual providers (table `manual_inbox`, migration 0014): every write is one
 * statement that says what it expects (a row landed once by its ticket, an answer given only to
 * an open request, a flag set only while unset), so any process or instance on the store may do
 * it, and a second one finds it done.
 */
export class Inbox {
  constructor(private readonly ds: DataSource) {}

  /** Keep a request; true when it is new (a redelivered request lands once). */
  async land(n: NewInboxItem): Promise<boolean> {
    const r = await query(this.ds,
      `INSERT INTO manual_inbox (ticket, sid, operation, department, assignee, queue, consumer, request, arrived_at, due_at, due_soon_from, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open') ON CONFLICT (ticket) DO NOTHING RETURNING ticket`,
      [n.ticket, n.sid, n.operation, n.department, n.assignee ?? null, n.queue ?? null, n.consumer ?? null, n.request, n.arrivedAt, n.dueAt, n.dueSoonFrom]);
    return r.length === 1;
  }

  async get(ticket: string): Promise<InboxItem | undefined> {
    const r = await query(this.ds, `SELECT ${COLUMNS} FROM manual_inbox WHERE ticket = ?`, [ticket]);
    return r[0] ? item(r[0]) : undefined;
  }

  /** The request as the provider received it (the node's envelope). */
  async request(ticket: string): Promise<Buffer | undefined> {
    const r = await query<{ request: Uint8Array }>(this.ds, 'SELECT request FROM manual_inbox WHERE ticket = ?', [ticket]);
    return r[0] ? Buffer.from(r[0].request) : undefined;
  }

  /** Requests, open ones first by deadline, then answered ones newest first. */
  async list(f: InboxFilter = {}): Promise<InboxItem[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (f.department !== undefined) { where.push('department = ?'); params.push(f.department); }
    if (f.sid !== undefined) { where.push('sid = ?'); params.push(f.sid); }
    if (f.status !== undefined) { where.push('status = ?'); params.push(f.status); }
    if (f.assignee !== undefined) { where.push('assignee = ?'); params.push(f.assignee); }
    const r = await query(this.ds, `SELECT ${COLUMNS} FROM manual_inbox ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, CASE WHEN status = 'open' THEN due_at ELSE -answered_at END LIMIT ?`, [...params, f.limit ?? 200]);
    return r.map(item);
  }

  /** Give a request to a clerk or a sub-queue (null: back to the department's common queue); false when there is no such request. */
  async assign(ticket: string, to: { assignee: string | null; queue: string | null }, by: string, at: number): Promise<boolean> {
    const r = await query(this.ds, 'UPDATE manual_inbox SET assignee = ?, queue = ?, assigned_by = ?, assigned_at = ? WHERE ticket = ? RETURNING ticket',
      [to.assignee, to.queue, by, at, ticket]);
    return r.length === 1;
  }

  /** Record the clerk's answer to an open request: false when it is answered already (or unknown). */
  async answer(ticket: string, a: { status: AnswerStatus; appData: string; by: string; at: number }): Promise<boolean> {
    const r = await query(this.ds, `UPDATE manual_inbox SET status = 'answered', answer_status = ?, answer_data = ?, answered_by = ?, answered_at = ? WHERE ticket = ? AND status = 'open' RETURNING ticket`,
      [a.status, a.appData, a.by, a.at, ticket]);
    return r.length === 1;
  }

  /** Open requests whose due-soon (or overdue) event is not yet queued, at `now`. */
  async unflagged(kind: 'due-soon' | 'overdue', now: number, limit = 200): Promise<InboxItem[]> {
    const r = kind === 'due-soon'
      ? await query(this.ds, `SELECT ${COLUMNS} FROM manual_inbox WHERE status = 'open' AND due_soon_at IS NULL AND due_soon_from <= ? AND due_at > ? ORDER BY due_at LIMIT ?`, [now, now, limit])
      : await query(this.ds, `SELECT ${COLUMNS} FROM manual_inbox WHERE status = 'open' AND overdue_at IS NULL AND due_at <= ? ORDER BY due_at LIMIT ?`, [now, limit]);
    return r.map(item);
  }

  /**
   * Retention: answered requests answered before `cutoffMs` leave the inbox (the request's bytes
   * with them; the journal keeps its legs under its own retention). Open ones stay however old.
   */
  async purgeAnsweredBefore(cutoffMs: number): Promise<number> {
    const gone = await query<{ ticket: string }>(this.ds, "SELECT ticket FROM manual_inbox WHERE status = 'answered' AND answered_at < ?", [cutoffMs]);
    if (gone.length) await query(this.ds, "DELETE FROM manual_inbox WHERE status = 'answered' AND answered_at < ?", [cutoffMs]);
    return gone.length;
  }

  /** Note that the event is queued: once (compare-and-set); true for the caller that set it. */
  async flag(kind: 'due-soon' | 'overdue', ticket: string, at: number): Promise<boolean> {
    const r = kind === 'due-soon'
      ? await query(this.ds, 'UPDATE manual_inbox SET due_soon_at = ? WHERE ticket = ? AND due_soon_at IS NULL RETURNING ticket', [at, ticket])
      : await query(this.ds, 'UPDATE manual_inbox SET overdue_at = ? WHERE ticket = ? AND overdue_at IS NULL RETURNING ticket', [at, ticket]);
    return r.length === 1;
  }

  /** How many open requests each department has, and how many of them are overdue. */
  async counts(now: number): Promise<{ department: string; open: number; overdue: number }[]> {
    const r = await query<{ department: string; open: unknown; overdue: unknown }>(this.ds,
      `SELECT department, COUNT(*) AS open, SUM(CASE WHEN due_at <= ? THEN 1 ELSE 0 END) AS overdue FROM manual_inbox WHERE status = 'open' GROUP BY department`, [now]);
    return r.map((x) => ({ department: x.department, open: Number(x.open), overdue: Number(x.overdue ?? 0) }));
  }
}
