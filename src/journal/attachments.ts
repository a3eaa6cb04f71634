import { Readable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { query } from '../store';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { partStream, type Framing, type MimePart, type MimeParts, type Spool } from '../http/multipart';
import { verdictText, type Leg } from '../pipeline/exchange';
import { FileRange, slicesOf, type Bytes, type Piece, type Slices } from '../slices';

/** The bytes of one chunk row: a 1 GiB part is 1024 rows, written and read one at a time. */
const CHUNK = 1024 * 1024;
/** Chunks written in one transaction: 4 MiB held at most for a part streamed from its spool file. */
const CHUNKS_PER_COMMIT = 4;

/**
 * Attachment bytes stored by hash beside the journal (migration 0012): each MTOM part once per
 * content, whatever the number of legs, exchanges or instances that carried it. The journal's
 * entries list their parts' hashes in their chained `attachments` column, so `journal verify`
 * proves each stored part is the one that travelled.
 */
export class AttachmentStore {
  constructor(private readonly ds: DataSource) {}

  /**
   * Keep a part's bytes (streamed from memory or its spool file), or note that it was used again.
   * Safe when several processes store the same content at once: rows of one hash hold the same bytes.
   */
  async put(part: MimePart, now = Date.now()): Promise<void> {
    if (!(await this.used(part.sha256, now))) await this.write(part.sha256, part.size, () => partStream(part), now);
  }

  /**
   * Keep a message's body by its hash (`sha256`, already computed), chunked from memory: the
   * chunks are views of the body, or of its slices, never one copy of the whole. `kept`: bodies
   * this store already holds whole (the exchange's earlier legs); when the body's slices are
   * mostly views of them (the request the node forwards is the consumer's, its header and
   * signature spliced in), it is kept as a recipe of ranges of those and its few bytes of its own.
   */
  async putBytes(sha256: string, bytes: Bytes, now = Date.now(), kept: readonly KeptBody[] = []): Promise<'whole' | 'recipe'> {
    const known = await this.used(sha256, now);
    if (known) return known;
    const recipe = recipeOf(slicesOf(bytes), kept);
    const body = slicesOf(bytes);
    // in memory: chunks are views of it; with a slice in a spool file (a large inline text,
    // xml/elide.ts), chunks are filled from it into a few buffers used in turn
    if (!recipe) return this.write(sha256, bytes.length, () => (body.inMemory ? body.pieces as Buffer[] : filledChunks(body, CHUNK, CHUNKS_PER_COMMIT + 1)), now);
    // the blobs it reads from are used with it: retention never takes them while it is kept
    await this.touch(refsOf(recipe), now);
    await query(this.ds, `INSERT INTO attachment_blobs (sha256, size, chunks, created_at, last_used_at, purged_at, recipe) VALUES (?, ?, 0, ?, ?, NULL, ?)
      ON CONFLICT (sha256) DO UPDATE SET last_used_at = excluded.last_used_at, purged_at = NULL, chunks = 0, recipe = excluded.recipe`, [sha256, bytes.length, now, now, JSON.stringify(recipe)]);
    return 'recipe';
  }

  /** Write bytes in chunks (the caller found them not kept, `used`). */
  private async write(sha256: string, size: number, source: () => AsyncIterable<Buffer | string> | Iterable<Buffer>, now: number): Promise<'whole'> {
    let seq = 0;
    let batch: Buffer[] = [];
    // a few chunks a statement, so a commit (and fsync): one per 1 MiB chunk was most of a large
    // body's journal time; a few, not all, so that a 1 GiB part neither holds the write lock nor
    // sits in memory whole. One statement, not a transaction: on SQLite every query of the process
    // shares one connection, where a transaction left open across awaits would take them all in
    const flush = async () => {
      const rows = batch;
      batch = [];
      await query(this.ds, `INSERT INTO attachment_chunks (sha256, seq, bytes) VALUES ${rows.map(() => '(?, ?, ?)').join(', ')} ON CONFLICT (sha256, seq) DO NOTHING`,
        rows.flatMap((chunk) => [sha256, seq++, chunk]));
    };
    for await (const chunk of rechunk(source(), CHUNK)) {
      batch.push(chunk);
      if (batch.length >= CHUNKS_PER_COMMIT) await flush();
    }
    if (batch.length) await flush();
    // the blob's row last: a part whose chunks are not all written is not there
    await query(this.ds, `INSERT INTO attachment_blobs (sha256, size, chunks, created_at, last_used_at, purged_at, recipe) VALUES (?, ?, ?, ?, ?, NULL, NULL)
      ON CONFLICT (sha256) DO UPDATE SET last_used_at = excluded.last_used_at, purged_at = NULL, chunks = excluded.chunks, recipe = NULL`, [sha256, size, seq, now, now]);
    return 'whole';
  }

  /**
   * If `sha256` is kept (and not purged), note its use now, and that of the blobs its recipe reads
   * from, and say how it is kept; undefined when it must be written.
   */
  private async used(sha256: string, now: number): Promise<'whole' | 'recipe' | undefined> {
    const known = await this.row(sha256);
    if (!known || known.purgedAt !== null) return undefined;
    let refs: string[] = [];
    try {
      if (known.recipe !== null) refs = refsOf(JSON.parse(known.recipe) as Segment[]);
    } catch { /* an unreadable recipe is named when read (open) and by journal verify */ }
    await this.touch([sha256, ...refs], now);
    return known.recipe === null ? 'whole' : 'recipe';
  }

  /** Note that these blobs are used at `now` (never moving a later use back). */
  private async touch(sha256s: string[], now: number): Promise<void> {
    if (!sha256s.length) return;
    await query(this.ds, `UPDATE attachment_blobs SET last_used_at = ? WHERE sha256 IN (${sha256s.map(() => '?').join(', ')}) AND last_used_at < ?`, [now, ...sha256s, now]);
  }

  /** What is kept of a hash: its size, or why it is not there. */
  async info(sha256: string): Promise<{ size: number; chunks: number; purgedAt: number | null } | undefined> {
    const r = await this.row(sha256);
    return r && { size: r.size, chunks: r.chunks, purgedAt: r.purgedAt };
  }

  /** A blob's row: its size, chunks, when it was purged, and its recipe when it is one. */
  private async row(sha256: string): Promise<{ size: number; chunks: number; purgedAt: number | null; recipe: string | null } | undefined> {
    const [r] = await query<{ size: number | string; chunks: number | string; purged_at: number | string | null; recipe: string | null }>(this.ds,
      'SELECT size, chunks, purged_at, recipe FROM attachment_blobs WHERE sha256 = ?', [sha256]);
    return r ? { size: Number(r.size), chunks: Number(r.chunks), purgedAt: r.purged_at === null ? null : Number(r.purged_at), recipe: r.recipe } : undefined;
  }

  /** The bytes of a kept part, read a chunk at a time (a recipe's, range by range); undefined when unknown or purged. */
  async open(sha256: string): Promise<Readable | undefined> {
    const r = await this.row(sha256);
    if (!r || r.purgedAt !== null) return undefined;
    return Readable.from(r.recipe === null ? this.range(sha256, 0, r.size, r.chunks) : this.follow(sha256, r.recipe));
  }

  /** Bytes [at, at + length) of a blob kept whole in `chunks` chunks of CHUNK bytes (the last one shorter). */
  private async *range(sha256: string, at: number, length: number, chunks: number): AsyncGenerator<Buffer> {
    const end = at + length;
    for (let seq = Math.floor(at / CHUNK); seq * CHUNK < end; seq++) {
      const [row] = seq < chunks ? await query<{ bytes: Buffer }>(this.ds, 'SELECT bytes FROM attachment_chunks WHERE sha256 = ? AND seq = ?', [sha256, seq]) : [];
      if (!row) throw new Error(`attachment ${sha256}: chunk ${seq} of ${chunks} is missing from the store`);
      const bytes = Buffer.from(row.bytes);
      const from = Math.max(at - seq * CHUNK, 0);
      const to = Math.min(end - seq * CHUNK, CHUNK);
      if (bytes.length < to) throw new Error(`attachment ${sha256}: chunk ${seq} of ${chunks} is short (${bytes.length} bytes, ${to} needed)`);
      yield from === 0 && to === bytes.length ? bytes : bytes.subarray(from, to);
    }
  }

  /** A recipe's bytes: each segment in turn, a range of the blob it names or its own bytes. */
  private async *follow(sha256: string, recipe: string): AsyncGenerator<Buffer> {
    let segments: Segment[];
    try {
      segments = JSON.parse(recipe) as Segment[];
    } catch {
      throw new Error(`attachment ${sha256}: its recipe is not the JSON the gateway writes`);
    }
    for (const g of segments) {
      if (!('of' in g)) {
        yield Buffer.from(g.bytes, 'base64');
        continue;
      }
      const r = await this.row(g.of);
      if (!r || r.purgedAt !== null || r.recipe !== null) {
        throw new Error(`attachment ${sha256}: the blob it is made from (sha256 ${g.of}) is ${!r ? 'not in the store' : r.purgedAt !== null ? 'purged' : 'itself a recipe'}`);
      }
      yield* this.range(g.of, g.at, g.length, r.chunks);
    }
  }

  /** Keep every part of a message (before a record that names them is written). */
  async putAll(mp: MimeParts | undefined): Promise<void> {
    for (const p of mp?.parts ?? []) await this.put(p);
  }

  /**
   * The parts a record names (partsRecord), brought back from the store: small ones into memory,
   * the others into spool files of the exchange that sends them on.
   */
  async materialize(record: string, spool: Spool, memoryThreshold: number): Promise<MimeParts> {
    const r = JSON.parse(record) as PartsRecord;
    const parts: MimePart[] = [];
    for (const p of r.parts) {
      const source = await this.open(p.sha256);
      if (!source) throw new Error(`attachment ${p.contentId ?? p.sha256} (sha256 ${p.sha256}) is no longer in the store (retention purged it, or it was deleted)`);
      if (p.size <= memoryThreshold) {
        const chunks: Buffer[] = [];
        for await (const c of source) chunks.push(c as Buffer);
        parts.push({ ...p, bytes: Buffer.concat(chunks) });
      } else {
        const path = spool.file();
        await pipeline(source, createWriteStream(path));
        parts.push({ ...p, path });
      }
    }
    return { parts, framing: r.framing };
  }

  /**
   * Retention: the bytes of parts no entry has referred to since `cutoff` are deleted; their rows
   * stay, marked purged, so that the journal still says what travelled. Returns how many.
   */
  async purgeUnusedSince(cutoffMs: number, now = Date.now()): Promise<number> {
    const rows = await query<{ sha256: string }>(this.ds, 'SELECT sha256 FROM attachment_blobs WHERE last_used_at < ? AND purged_at IS NULL', [cutoffMs]);
    for (const { sha256 } of rows) {
      await query(this.ds, 'DELETE FROM attachment_chunks WHERE sha256 = ?', [sha256]);
      await query(this.ds, 'UPDATE attachment_blobs SET purged_at = ? WHERE sha256 = ? AND last_used_at < ?', [now, sha256, cutoffMs]);
    }
    return rows.length;
  }
}

/** A body kept whole this exchange (its hash and the buffer that was stored), which a later body's slices may view. */
export interface KeptBody {
  sha256: string;
  bytes: Bytes;
}

/** One piece of a recipe: bytes [at, at + length) of the blob kept whole under `of`, or bytes of its own (base64). */
type Segment = { of: string; at: number; length: number } | { bytes: string };

/** The blobs a recipe reads from. */
function refsOf(recipe: Segment[]): string[] {
  return [...new Set(recipe.flatMap((g) => ('of' in g ? [g.of] : [])))];
}

/** Bytes of its own a recipe may hold (the node's header and signature are a few KB). */
const RECIPE_OWN_BYTES = 64 * 1024;

/**
 * `body` as ranges of `kept` bodies, where its slices are views of their memory (or ranges of the
 * same spool file they read), and its own bytes between them; undefined when no slice is such a
 * view or its own bytes pass RECIPE_OWN_BYTES (it is then kept whole). A view is recognised by its
 * place in the same ArrayBuffer (a file's range by its path and offsets), so only bytes that are
 * the kept ones are ever named by reference.
 */
export function recipeOf(body: Slices, kept: readonly KeptBody[]): Segment[] | undefined {
  const places = kept.flatMap((k) => {
    let at = 0;
    return slicesOf(k.bytes).pieces.map((piece) => ({ sha256: k.sha256, piece, at: (at += piece.length) - piece.length }));
  });
  const out: Segment[] = [];
  let own = 0;
  let viewed = 0;
  let pending: Buffer[] = [];
  const flushOwn = () => {
    if (pending.length) out.push({ bytes: Buffer.concat(pending).toString('base64') });
    pending = [];
  };
  for (const p of body.pieces) {
    let found: { of: string; at: number } | undefined;
    for (const k of places) {
      const d = within(p, k.piece);
      if (d !== undefined) {
        found = { of: k.sha256, at: k.at + d };
        break;
      }
    }
    if (!found) {
      own += p.length;
      if (own > RECIPE_OWN_BYTES) return undefined;
      pending.push(Buffer.isBuffer(p) ? p : p.read());
      continue;
    }
    flushOwn();
    const last = out[out.length - 1];
    if (last && 'of' in last && last.of === found.of && last.at + last.length === found.at) last.length += p.length;
    else out.push({ of: found.of, at: found.at, length: p.length });
    viewed += p.length;
  }
  flushOwn();
  return viewed > 0 ? out : undefined;
}

/** Where `p` lies in `whole` when it is a view of the same memory (or a range of the same file), else undefined. */
function within(p: Piece, whole: Piece): number | undefined {
  if (Buffer.isBuffer(p) && Buffer.isBuffer(whole)) {
    return p.buffer === whole.buffer && p.byteOffset >= whole.byteOffset && p.byteOffset + p.length <= whole.byteOffset + whole.length ? p.byteOffset - whole.byteOffset : undefined;
  }
  if (p instanceof FileRange && whole instanceof FileRange) {
    return p.path === whole.path && p.at >= whole.at && p.at + p.length <= whole.at + whole.length ? p.at - whole.at : undefined;
  }
  return undefined;
}

/**
 * `body` cut into chunks of `size` bytes (the last one shorter), each filled in place from the
 * body's slices: a slice in memory copied in, a file's range read straight into it. The chunks
 * are `ring` buffers used in turn, so a chunk is valid until `ring` more have been asked for:
 * the store writes a batch of chunks before it asks for more, and a 13 MB body read from its
 * spool file costs these buffers, not 13 MB of garbage (and as much again to re-cut it).
 */
export async function* filledChunks(body: Slices, size: number, ring: number): AsyncGenerator<Buffer> {
  const buffers: Buffer[] = [];
  let made = 0;
  const fresh = () => (buffers[made++ % ring] ??= Buffer.allocUnsafe(size));
  let chunk = fresh();
  let fill = 0;
  for (const p of body.pieces) {
    const fh = p instanceof FileRange ? await open(p.path, 'r') : undefined;
    try {
      for (let at = 0; at < p.length;) {
        const want = Math.min(p.length - at, size - fill);
        const n = p instanceof FileRange ? (await fh!.read(chunk, fill, want, p.at + at)).bytesRead : p.copy(chunk, fill, at, at + want);
        if (n === 0) throw new Error(`spool file ${(p as FileRange).path} ends before byte ${(p as FileRange).at + at}: it was removed or cut while its exchange was in work`);
        at += n;
        fill += n;
        if (fill === size) {
          yield chunk;
          chunk = fresh();
          fill = 0;
        }
      }
    } finally {
      await fh?.close();
    }
  }
  if (fill) yield chunk.subarray(0, fill);
}

/**
 * Re-cut a stream into pieces of `size` bytes (the last one shorter). A piece that lies in one
 * input buffer is a view of it, not a copy: a body in memory, or the long slice of a forwarded
 * request after the node's short ones, is stored without being copied chunk by chunk.
 */
export async function* rechunk(source: AsyncIterable<Buffer | string> | Iterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let held = 0;
  for await (const c of source) {
    let b = Buffer.isBuffer(c) ? c : Buffer.from(c);
    while (held + b.length >= size) {
      const take = size - held;
      if (held === 0) yield b.subarray(0, take);
      else {
        pending.push(b.subarray(0, take));
        yield Buffer.concat(pending, size);
        pending = [];
        held = 0;
      }
      b = b.subarray(take);
    }
    if (b.length) {
      pending.push(b);
      held += b.length;
    }
  }
  if (held) yield pending.length === 1 ? pending[0]! : Buffer.concat(pending, held);
}

/** What a journal entry says of its leg's attachments (the `attachments` column, chained). */
export interface EntryAttachments {
  parts?: { contentId?: string; contentType: string; size: number; sha256: string }[];
  verdict?: string;
  documents?: NonNullable<Leg['attachments']>['documents'];
}

/** The `attachments` column of a leg's entry: its parts by hash and the attachments verdict; null when it has neither. */
export function entryAttachments(leg: Leg): string | null {
  if (!leg.parts?.length && !leg.attachments) return null;
  const out: EntryAttachments = {};
  if (leg.parts?.length) out.parts = leg.parts.map((p) => ({ contentId: p.contentId, contentType: p.contentType, size: p.size, sha256: p.sha256 }));
  if (leg.attachments) {
    out.verdict = verdictText(leg.attachments.verdict);
    out.documents = leg.attachments.documents;
  }
  return JSON.stringify(out);
}

/** What a stored message keeps of its parts (the outbox's payload_parts, answer_parts): enough to send them again. */
interface PartsRecord {
  framing: Framing;
  parts: Omit<MimePart, 'bytes' | 'path'>[];
}

/** The record of a message's parts, or undefined when it has none. */
export function partsRecord(mp: MimeParts | undefined): string | undefined {
  if (!mp?.parts.length) return undefined;
  const r: PartsRecord = { framing: mp.framing, parts: mp.parts.map(({ bytes: _b, path: _p, ...rest }) => rest) };
  return JSON.stringify(r);
}
