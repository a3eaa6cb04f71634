import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { AttachmentStore, type EntryAttachments } from './attachments';
import { CHAINED_COLUMNS, GENESIS, KEPT_COLUMNS, entryHash, fromRow } from './chain';
import { query } from '../store';

export interface ChainProblem {
  /** the entry the problem shows at */
  id: number;
  kind: 'altered' | 'raw-altered' | 'deleted' | 'reordered' | 'unchained' | 'truncated' | 'anchor';
  detail: string;
}

export interface ChainReport {
  entries: number;
  purged: number;
  /** the first problems found (up to `limit`) */
  problems: ChainProblem[];
  /** how many problems in all */
  problemCount: number;
  lastHash: string;
  /** the newest entry's id (0: an empty journal) */
  lastId: number;
}

/** An entry's id and hash noted outside the gateway (`journal verify` prints them; GET /admin/journal/head). */
export interface Anchor {
  id: number;
  hash: string;
}

export function parseAnchor(s: string): Anchor {
  const m = /^(\d+):([0-9a-f]{64})$/.exec(s.trim());
  if (!m) throw new Error(`an anchor is ID:HASH as journal verify prints it (e.g. 1234:9f2c…, 64 hex digits), got "${s}"`);
  return { id: Number(m[1]), hash: m[2]! };
}

const PAGE = 500;

/**
 * Walk the journal in id order and check each entry: its metadata and sha256 give its hash
 * (altered), its raw bytes give its sha256 unless retention purged them (raw altered), and its
 * prev_hash is the previous entry's hash (else an entry was deleted, or entries reordered: the
 * entry whose hash it names tells which). Deleting the newest entries leaves no trace in the
 * chain itself: anchors (an id and hash noted outside the gateway earlier) show it, and show a
 * journal rewritten up to them.
 */
export async function verifyJournal(ds: DataSource, limit = 20, anchors: Anchor[] = []): Promise<ChainReport> {
  const report: ChainReport = { entries: 0, purged: 0, problems: [], problemCount: 0, lastHash: GENESIS, lastId: 0 };
  const anchored = new Map(anchors.map((a) => [a.id, a.hash]));
  const problem = (p: ChainProblem) => {
    report.problemCount++;
    if (report.problems.length < limit) report.problems.push(p);
  };
  let prev = { id: 0, hash: GENESIS };
  for (;;) {
    const rows = await query(ds, `SELECT ${CHAINED_COLUMNS}, ${KEPT_COLUMNS}, prev_hash, hash, purged_at, raw, raw_by_hash FROM journal WHERE id > ? ORDER BY id LIMIT ${PAGE}`, [prev.id]);
    if (!rows.length) break;
    for (const r of rows) {
      const id = Number(r.id);
      const stored = { prevHash: r.prev_hash as string | null, hash: r.hash as string | null };
      report.entries++;
      if (!stored.hash || !stored.prevHash) {
        problem({ id, kind: 'unchained', detail: `entry ${id} has no hash: written outside the gateway, or its hash was removed` });
      } else {
        const fields = fromRow(r);
        if (entryHash(fields, stored.prevHash) !== stored.hash) {
          problem({ id, kind: 'altered', detail: `entry ${id} altered: its fields do not give its hash` });
        }
        const raw = r.raw as Buffer;
        const byHash = Number(r.raw_by_hash ?? 0) === 1;
        const purged = r.purged_at !== null && r.purged_at !== undefined && raw.length === 0;
        if (purged) report.purged++;
        else if (byHash) {
          // a large body kept by its sha256 in attachment_blobs (migration 0018)
          const got = await storedHash(ds, fields.sha256);
          if (got === undefined) problem({ id, kind: 'raw-altered', detail: `entry ${id}: its body (sha256 ${fields.sha256.slice(0, 16)}…, kept by hash) is not in the store: deleted outside the gateway` });
          else if (got === 'purged') report.purged++;
          else if (got !== fields.sha256) problem({ id, kind: 'raw-altered', detail: `entry ${id} altered: the stored bytes of its body do not give its sha256 ${fields.sha256.slice(0, 16)}…` });
        }
        else if (fields.rawKept !== undefined && fields.rawKept !== null) {
          // a refused message kept up to the cap: the kept bytes are checked against their own hash
          if (raw.length !== fields.rawKept || createHash('sha256').update(raw).digest('hex') !== fields.rawKeptSha256) {
            problem({ id, kind: 'raw-altered', detail: `entry ${id} altered: its raw bytes (the first ${fields.rawKept} of ${fields.size}, the rest not kept) do not give their sha256` });
          }
        } else if (createHash('sha256').update(raw).digest('hex') !== fields.sha256) {
          problem({ id, kind: 'raw-altered', detail: `entry ${id} altered: its raw bytes do not give its sha256` });
        }
        if (fields.attachments) for (const p of await attachmentProblems(ds, id, fields.attachments)) problem(p);
        if (stored.prevHash !== prev.hash) problem(await linkProblem(ds, id, prev, stored.prevHash));
      }
      const want = anchored.get(id);
      if (want !== undefined) {
        anchored.delete(id);
        if (want !== stored.hash) problem({ id, kind: 'anchor', detail: `entry ${id} has hash ${stored.hash ?? 'none'}, the anchor noted ${want}: the journal up to it was rewritten` });
      }
      prev = { id, hash: stored.hash ?? '' };
    }
  }
  report.lastHash = prev.hash;
  report.lastId = prev.id;
  for (const [id, hash] of anchored) {
    problem(id > prev.id
      ? { id, kind: 'truncated', detail: `entry ${id}, noted with hash ${hash.slice(0, 16)}…, is gone: the journal ends at entry ${prev.id}; its newest entries were cut off` }
      : { id, kind: 'deleted', detail: `entry ${id}, noted with hash ${hash.slice(0, 16)}…, is gone` });
  }
  return report;
}

/**
 * The parts an entry names (chained in its `attachments`) against the bytes the store keeps of
 * them by hash: each must give its SHA-256 and size, unless retention purged it.
 */
async function attachmentProblems(ds: DataSource, id: number, attachments: string): Promise<ChainProblem[]> {
  let parts: EntryAttachments['parts'];
  try {
    parts = (JSON.parse(attachments) as EntryAttachments).parts;
  } catch {
    return [{ id, kind: 'altered', detail: `entry ${id}: its attachments are not the JSON the gateway writes` }];
  }
  const store = new AttachmentStore(ds);
  const out: ChainProblem[] = [];
  for (const p of parts ?? []) {
    const info = await store.info(p.sha256);
    if (!info) {
      out.push({ id, kind: 'raw-altered', detail: `entry ${id}: attachment ${p.contentId ?? p.sha256.slice(0, 16)} (sha256 ${p.sha256.slice(0, 16)}…) is not in the store: deleted outside the gateway` });
      continue;
    }
    if (info.purgedAt !== null) continue;
    const h = createHash('sha256');
    let size = 0;
    try {
      for await (const c of (await store.open(p.sha256))!) {
        h.update(c as Buffer);
        size += (c as Buffer).length;
      }
    } catch (e) {
      out.push({ id, kind: 'raw-altered', detail: `entry ${id}: attachment ${p.contentId ?? ''} cannot be read back: ${(e as Error).message}` });
      continue;
    }
    if (size !== p.size || h.digest('hex') !== p.sha256) {
      out.push({ id, kind: 'raw-altered', detail: `entry ${id} altered: the stored bytes of attachment ${p.contentId ?? ''} do not give the sha256 ${p.sha256.slice(0, 16)}… its entry names` });
    }
  }
  return out;
}

/** Why entry `id` does not follow `prev`: the entry it names as its predecessor tells. */
async function linkProblem(ds: DataSource, id: number, prev: { id: number; hash: string }, prevHash: string): Promise<ChainProblem> {
  const [named] = await query<{ id: number }>(ds, 'SELECT id FROM journal WHERE hash = ? ORDER BY id LIMIT 1', [prevHash]);
  if (named && Number(named.id) !== prev.id) {
    return { id, kind: 'reordered', detail: `entries reordered: entry ${id} follows entry ${named.id} in the chain, but is stored after entry ${prev.id}` };
  }
  if (id - prev.id > 1) return { id, kind: 'deleted', detail: `entries deleted: ${prev.id + 1}..${id - 1} are missing before entry ${id}, whose prev_hash names no entry` };
  if (prevHash === GENESIS) return { id, kind: 'deleted', detail: `entry ${id} starts a new chain after entry ${prev.id}: entries were deleted and the chain restarted` };
  return { id, kind: 'deleted', detail: `entry ${id} does not follow entry ${prev.id} and its prev_hash names no entry: an entry between them was deleted, or entry ${prev.id} rewritten with a new hash` };
}

/** The SHA-256 of the bytes kept under `sha256` (read back a chunk at a time), 'purged' when retention took them, undefined when the store has none. */
async function storedHash(ds: DataSource, sha256: string): Promise<string | 'purged' | undefined> {
  const store = new AttachmentStore(ds);
  const info = await store.info(sha256);
  if (!info) return undefined;
  if (info.purgedAt !== null) return 'purged';
  const h = createHash('sha256');
  try {
    for await (const c of (await store.open(sha256))!) h.update(c as Buffer);
  } catch {
    return 'unreadable';
  }
  return h.digest('hex');
}
