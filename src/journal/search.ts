import { AttachmentStore } from './attachments';
import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { dialectOf, query, storeTime } from '../store';
import { fromRow, toDate, type ChainedFields } from './chain';

/** What the journal can be searched by; every field is optional and they combine with AND. */
export interface JournalFilter {
  sid?: string;
  operation?: string;
  sender?: string;
  recipient?: string;
  status?: string;
  fault?: string;
  direction?: string;
  messageId?: string;
  /** the chain of an asynchronous exchange (its OriginRequestIdRef) */
  chain?: string;
  exchange?: string;
  from?: Date;
  to?: Date;
  /** words in the AppData: each must occur, as a word or the start of one */
  text?: string;
}

/** One entry as the admin API shows it: the chained metadata, times as ISO strings (the raw bytes are fetched on their own). */
export type JournalRow = Omit<ChainedFields, 'at'> & {
  id: number;
  at: string;
  hash: string | null;
  /** retention emptied the raw bytes (metadata and hashes kept) */
  purged: boolean;
};

export const ROW_COLUMNS = 'id, exchange_id, at, sid, operation, direction, revision, sender, recipient, originator, status, message_id, ' +
  'request_id_ref, origin_request_id_ref, case_number, http_status, fault_code, duration_ms, size, sha256, signature, control, chain_id, hash, purged_at, ' +
  'raw_kept, raw_kept_sha256';

export function toRow(r: Record<string, unknown>): JournalRow {
  const f = fromRow(r);
  return { id: Number(r.id), ...f, at: f.at.toISOString(), hash: r.hash === null || r.hash === undefined ? null : String(r.hash), purged: r.purged_at !== null && r.purged_at !== undefined };
}

export class FilterError extends Error {}

const EQUALS: [keyof JournalFilter, string][] = [
  ['sid', 'sid'], ['operation', 'operation'], ['sender', 'sender'], ['recipient', 'recipient'], ['status', 'status'],
  ['fault', 'fault_code'], ['direction', 'direction'], ['messageId', 'message_id'], ['chain', 'chain_id'], ['exchange', 'exchange_id'],
];

/** The words of a text filter, for the store's word search: only letters, digits and - _ . / are kept; at most 16. */
export function textWords(text: string): string[] {
  return text.normalize('NFC').toLowerCase().split(/[^\p{L}\p{N}_./-]+/u).map((w) => w.replace(/^[-./]+|[-./]+$/g, '')).filter(Boolean).slice(0, 16);
}

/**
 * How long after its `at` a leg may reach the journal at most. Legs are written when their
 * exchange or delivery attempt ends (seconds, bounded by the timeouts), so ids follow `at` but
 * for that lag; a day is far beyond it.
 */
export const JOURNAL_LAG_MS = 24 * 3600 * 1000;

/**
 * A time range as a range of ids, so that it combines with every other filter in the id order
 * they are read in. A leg is journaled no earlier than its `at` and at most JOURNAL_LAG_MS
 * after it, so an entry whose `at` is before `from` - lag was journaled (got its id) before any
 * entry of the range, and one at or after `to` + lag after all of them: the last of the first kind
 * and the first of the second bound the ids (each one read of the `at` index). The exact `at`
 * conditions stay in the query.
 */
async function idRange(ds: DataSource, f: JournalFilter): Promise<{ lo?: number; hi?: number }> {
  const out: { lo?: number; hi?: number } = {};
  if (f.from) {
    const [r] = await query(ds, 'SELECT id FROM journal WHERE at < ? ORDER BY at DESC LIMIT 1', [storeTime(ds, new Date(f.from.getTime() - JOURNAL_LAG_MS))]);
    if (r) out.lo = Number(r.id) + 1;
  }
  if (f.to) {
    const [r] = await query(ds, 'SELECT id FROM journal WHERE at >= ? ORDER BY at LIMIT 1', [storeTime(ds, new Date(f.to.getTime() + JOURNAL_LAG_MS))]);
    if (r) out.hi = Number(r.id) - 1;
  }
  return out;
}

/** The WHERE clause and its parameters for a filter. */
export async function whereOf(ds: DataSource, f: JournalFilter): Promise<{ sql: string; params: unknown[] }> {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [k, col] of EQUALS) {
    const v = f[k];
    if (typeof v === 'string' && v !== '') { where.push(`${col} = ?`); params.push(v); }
  }
  const ids = await idRange(ds, f);
  const bounds = (col: string) => {
    const b: string[] = [];
    if (ids.lo !== undefined) { b.push(`${col} >= ?`); params.push(ids.lo); }
    if (ids.hi !== undefined) { b.push(`${col} <= ?`); params.push(ids.hi); }
    return b;
  };
  where.push(...bounds('id'));
  if (f.from) { where.push('at >= ?'); params.push(storeTime(ds, f.from)); }
  if (f.to) { where.push('at < ?'); params.push(storeTime(ds, f.to)); }
  if (f.text !== undefined && f.text.trim() !== '') {
    const words = textWords(f.text);
    if (!words.length) throw new FilterError('text: give at least one word of letters or digits');
    // the id range goes to the word search too (SQLite's word index then reads only that stretch)
    const m = dialectOf(ds).textMatch({ table: 'journal', key: 'id', column: 'search_text', words, lo: ids.lo, hi: ids.hi });
    where.push(m.sql);
    params.push(...m.params);
  }
  return { sql: where.length ? where.join(' AND ') : '1 = 1', params };
}

export interface Page {
  entries: JournalRow[];
  /** pass as `before` for the next (older) page; absent on the last page */
  next?: number;
}

/**
 * Newest first, a page at a time: `before` is the id the previous page ended at (keyset
 * pagination, so a page deep in a million entries costs what the first one does).
 */
export async function searchJournal(ds: DataSource, f: JournalFilter, o: { limit: number; before?: number }): Promise<Page> {
  const w = await whereOf(ds, f);
  const sql = `SELECT ${ROW_COLUMNS} FROM journal WHERE ${w.sql}${o.before ? ' AND id < ?' : ''} ORDER BY id DESC LIMIT ?`;
  const rows = await query(ds, sql, [...w.params, ...(o.before ? [o.before] : []), o.limit + 1]);
  const entries = rows.slice(0, o.limit).map(toRow);
  return { entries, next: rows.length > o.limit ? entries[entries.length - 1]!.id : undefined };
}

/** Every matching entry, oldest first, in batches (exports). */
export async function* eachEntry(ds: DataSource, f: JournalFilter, batch = 1000): AsyncGenerator<JournalRow> {
  const w = await whereOf(ds, f);
  let after = 0;
  for (;;) {
    const rows = await query(ds, `SELECT ${ROW_COLUMNS} FROM journal WHERE ${w.sql} AND id > ? ORDER BY id LIMIT ?`, [...w.params, after, batch]);
    for (const r of rows) yield toRow(r);
    if (rows.length < batch) return;
    after = Number(rows[rows.length - 1]!.id);
  }
}

/** One entry with its raw bytes (and its `attachments` column, the JSON of journal/attachments.ts EntryAttachments). */
export async function entryWithRaw(ds: DataSource, id: number): Promise<{ row: JournalRow; raw: Buffer } | undefined> {
  const [r] = await query(ds, `SELECT ${ROW_COLUMNS}, raw, raw_by_hash, attachments FROM journal WHERE id = ?`, [id]);
  return r ? { row: toRow(r), raw: await rawOf(ds, r) ?? Buffer.alloc(0) } : undefined;
}

/**
 * A row's body: its `raw`, or (raw_by_hash, migration 0018) the bytes kept by its sha256 in
 * attachment_blobs; null when retention purged them, or when they are gone from the store.
 */
async function rawOf(ds: DataSource, r: Record<string, unknown>): Promise<Buffer | null> {
  if (r.purged_at !== null && r.purged_at !== undefined) return null;
  if (Number(r.raw_by_hash ?? 0) !== 1) return Buffer.from(r.raw as Uint8Array);
  const source = await new AttachmentStore(ds).open(String(r.sha256));
  if (!source) return null;
  const chunks: Buffer[] = [];
  for await (const c of source) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The latest entry: its id and hash, to be kept outside the gateway (a cut-off tail then shows). */
export async function journalHead(ds: DataSource): Promise<{ id: number; hash: string | null; at: string } | undefined> {
  const [r] = await query(ds, 'SELECT id, hash, at FROM journal ORDER BY id DESC LIMIT 1');
  return r ? { id: Number(r.id), hash: r.hash === null ? null : String(r.hash), at: toDate(r.at).toISOString() } : undefined;
}

/** Every leg of one exchange, in order, with its raw bytes (null when retention purged them). */
export async function exchangeLegs(ds: DataSource, exchangeId: string): Promise<{ row: JournalRow; raw: Buffer | null }[]> {
  const rows = await query(ds, `SELECT ${ROW_COLUMNS}, raw, raw_by_hash FROM journal WHERE exchange_id = ? ORDER BY id`, [exchangeId]);
  const out: { row: JournalRow; raw: Buffer | null }[] = [];
  for (const x of rows) out.push({ row: toRow(x), raw: await rawOf(ds, x) });
  return out;
}

/** The legs of an asynchronous chain: those it names by its id (chain, MessageId or OriginRequestIdRef), in order, at most 5000. */
export async function chainLegs(ds: DataSource, chain: string): Promise<JournalRow[]> {
  const rows = await query(ds, `SELECT ${ROW_COLUMNS} FROM journal WHERE chain_id = ? OR message_id = ? OR origin_request_id_ref = ? ORDER BY id LIMIT 5000`, [chain, chain, chain]);
  return rows.map(toRow);
}

/** The legs journaled under a chain id, in order, as the store has them (`journal chain`). */
export function chainEntries(ds: DataSource, chainId: string): Promise<Record<string, unknown>[]> {
  return query(ds, 'SELECT id, at, sid, operation, direction, status, message_id, request_id_ref, origin_request_id_ref, fault_code FROM journal WHERE chain_id = ? ORDER BY id', [chainId]);
}

/**
 * The journal's exchange of a request sent to the gateway (the composer's): by the MessageId the
 * node gave it (the answer's RequestIdRef), else by the SHA-256 of the bytes sent, journaled
 * since `since` (a request refused before the node stamped it has no MessageId); with the
 * MessageId of the leg the node sent on, when the answer named none.
 */
export async function exchangeOfSent(ds: DataSource, messageId: string | null, sent: Buffer, since: Date): Promise<{ exchangeId: string | null; messageId: string | null }> {
  if (messageId) {
    const [row] = await query<{ exchange_id: string }>(ds, 'SELECT exchange_id FROM journal WHERE message_id = ? ORDER BY id LIMIT 1', [messageId]);
    if (row) return { exchangeId: String(row.exchange_id), messageId };
  }
  const sha = createHash('sha256').update(sent).digest('hex');
  const [row] = await query<{ exchange_id: string }>(ds, "SELECT exchange_id FROM journal WHERE at >= ? AND direction = 'consumer->gateway' AND sha256 = ? ORDER BY id DESC LIMIT 1",
    [storeTime(ds, new Date(since.getTime() - 1000)), sha]);
  if (!row) return { exchangeId: null, messageId };
  if (messageId) return { exchangeId: String(row.exchange_id), messageId };
  const [leg] = await query<{ message_id: string }>(ds, "SELECT message_id FROM journal WHERE exchange_id = ? AND direction = 'gateway->provider' AND message_id IS NOT NULL ORDER BY id LIMIT 1", [row.exchange_id]);
  return { exchangeId: String(row.exchange_id), messageId: leg ? String(leg.message_id) : null };
}
