import { createHash } from 'node:crypto';
import type { JournalEntry } from '../store';

/** The previous hash of the first entry. */
export const GENESIS = '0'.repeat(64);

/** The fields an entry's hash covers, in this order (the raw bytes through `sha256`). */
export type ChainedFields = Omit<JournalEntry, 'id' | 'raw' | 'rawByHash' | 'prevHash' | 'hash' | 'purgedAt'>;

/**
 * The canonical serialisation: a JSON array of the metadata in a fixed order, times as ISO
 * strings in UTC, absent values as null, then the entry's sha256 and the previous entry's hash.
 * The version tag lets a later form coexist with this one. This is the array up to the previous
 * entry's hash, which the writer knows only once it holds the store's lock (the writer thread,
 * writer.ts); `hashAfter` completes it with a comma, that hash as a JSON string and the bracket.
 */
export function canonicalHead(e: ChainedFields): string {
  const n = <T>(v: T | undefined) => (v === undefined ? null : v);
  // v2: a refused message journaled up to the cap (journal.ts): the kept bytes' length and hash
  // are chained too, beside the whole body's size and sha256. An entry kept whole stays v1.
  const kept = e.rawKept === null || e.rawKept === undefined ? undefined : [e.rawKept, n(e.rawKeptSha256)];
  // v3: the leg's attachments (MTOM parts by hash, and their verdicts) are chained after the body's
  // sha256; an entry without attachments keeps its v1 or v2 form
  const attachments = e.attachments === null || e.attachments === undefined ? undefined : e.attachments;
  return JSON.stringify([
    attachments !== undefined ? 'smev2-journal-v3' : kept ? 'smev2-journal-v2' : 'smev2-journal-v1',
    e.exchangeId, e.at.toISOString(), e.sid, n(e.operation), e.direction, n(e.revision),
    n(e.sender), n(e.recipient), n(e.originator), n(e.status), n(e.messageId), n(e.requestIdRef),
    n(e.originRequestIdRef), n(e.caseNumber), n(e.httpStatus), n(e.faultCode), n(e.durationMs), e.size,
    n(e.signature), n(e.control), n(e.chainId),
    e.sha256, ...(kept ? [kept] : []), ...(attachments !== undefined ? [attachments] : []),
  ]).slice(0, -1);
}

export function entryHash(e: ChainedFields, prevHash: string): string {
  return hashAfter(canonicalHead(e), prevHash);
}

/** entryHash from an entry's canonicalHead (the writer thread has only the head). */
export function hashAfter(head: string, prevHash: string): string {
  return createHash('sha256').update(`${head},${JSON.stringify(prevHash)}]`).digest('hex');
}

/**
 * The columns `fromRow` reads (raw excluded: read it only where it is needed). Add KEPT_COLUMNS
 * where the store has them (migration 0009 onwards; migration 0005 reads without them).
 */
export const CHAINED_COLUMNS = 'id, exchange_id, at, sid, operation, direction, revision, sender, recipient, originator, status, message_id, ' +
  'request_id_ref, origin_request_id_ref, case_number, http_status, fault_code, duration_ms, size, sha256, signature, control, chain_id';

/** How much of a refused message's body the entry keeps (migration 0009), and its attachments (0012). */
export const KEPT_COLUMNS = 'raw_kept, raw_kept_sha256, attachments';

/** A row as either store returns it (SQLite: times as 'YYYY-MM-DD HH:MM:SS.SSS' UTC strings; PostgreSQL: Dates). */
export function fromRow(r: Record<string, unknown>): ChainedFields {
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    exchangeId: String(r.exchange_id), at: toDate(r.at), sid: String(r.sid), operation: s(r.operation), direction: String(r.direction),
    revision: s(r.revision), sender: s(r.sender), recipient: s(r.recipient), originator: s(r.originator), status: s(r.status),
    messageId: s(r.message_id), requestIdRef: s(r.request_id_ref), originRequestIdRef: s(r.origin_request_id_ref),
    caseNumber: s(r.case_number), httpStatus: num(r.http_status), faultCode: s(r.fault_code), durationMs: num(r.duration_ms),
    size: Number(r.size), sha256: String(r.sha256), signature: s(r.signature), control: s(r.control), chainId: s(r.chain_id),
    ...(r.raw_kept === null || r.raw_kept === undefined ? {} : { rawKept: Number(r.raw_kept), rawKeptSha256: s(r.raw_kept_sha256) }),
    ...(r.attachments === null || r.attachments === undefined ? {} : { attachments: String(r.attachments) }),
  };
}

export function toDate(v: unknown): Date {
  if (v instanceof Date) return v;
  const t = String(v);
  return new Date(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(t) ? `${t.replace(' ', 'T')}Z` : t);
}
