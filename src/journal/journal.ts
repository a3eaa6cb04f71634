import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { GENESIS, entryHash } from './chain';
import { Batcher, JOURNAL_ENTITY, LOCK_JOURNAL, dialectOf, type JournalEntry } from '../store';
import { verdictText, type Exchange, type Leg } from '../pipeline/exchange';
import { appDataText } from './search-text';
import { AttachmentStore, entryAttachments, type KeptBody } from './attachments';
import type { JournalWriter } from './writer';
import { Slices, slicesOf, wholeOf, type Bytes } from '../slices';

/**
 * Writes legs durably. Entries queued while a commit is under way go in the next commit, so
 * under load one transaction carries many exchanges and each caller waits only for its own.
 * Entries are chained in insert order (chain.ts). Several processes may append to one journal
 * (`start --workers` on one SQLite file, instances on one PostgreSQL): each commit first takes
 * the store's lock (SQLite's write lock; on PostgreSQL a transaction-scoped advisory lock) and
 * reads the head inside it, so appends are serialised and the chain stays linear in id order
 * whatever the number of processes.
 */
export class Journal {
  private readonly batches = new Batcher<JournalEntry[], void>(async (batch) => {
    await this.append(batch.flat());
    return batch.map(() => undefined);
  });

  /**
   * `refusedBytes`: how much of a refused message's body is kept (SMEV2_JOURNAL_REFUSED_BYTES,
   * default 1 MiB), so that a flood of large refused requests grows the store by at most that
   * much each; accepted messages are kept whole.
   */
  readonly attachments: AttachmentStore;

  /**
   * `writer`: commits in a thread of their own on a SQLite file (writer.ts; the gateway's main
   * thread uses one unless SMEV2_JOURNAL_WRITER=connection); without it, on the store's connection.
   */
  constructor(private readonly ds: DataSource, private readonly o: { refusedBytes?: number; bodyBlobBytes?: number; writer?: JournalWriter } = {}) {
    this.attachments = new AttachmentStore(ds);
  }

  async recordExchange(ex: Exchange): Promise<void> {
    const cap = this.o.refusedBytes ?? DEFAULT_REFUSED_BYTES;
    // the parts' bytes first, by hash: an entry never names a part the store does not hold
    const seen = new Set<string>();
    for (const leg of ex.legs) {
      for (const p of leg.parts ?? []) {
        if (seen.has(p.sha256)) continue;
        seen.add(p.sha256);
        await this.attachments.put(p);
      }
    }
    const byHashFrom = this.o.bodyBlobBytes ?? DEFAULT_BODY_BLOB_BYTES;
    const entries = ex.legs.map((leg) => toEntry(ex, leg, refused(ex, leg) ? cap : undefined, byHashFrom));
    // large bodies by hash, before the rows that name them (as parts): 1 MiB at a time into the
    // store, never one whole-body bind (each driver copies a bound buffer)
    // a body made mostly of an earlier one's bytes (the forwarded request is the consumer's, the
    // node's header and signature spliced in) is kept as a recipe of that one's ranges
    const kept: KeptBody[] = [];
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!e.rawByHash || seen.has(e.sha256)) continue;
      seen.add(e.sha256);
      const bytes = ex.legs[i]!.bytes;
      const how = await this.attachments.putBytes(e.sha256, bytes, Date.now(), kept);
      if (how === 'whole') kept.push({ sha256: e.sha256, bytes });
    }
    await this.write(entries);
  }

  write(entries: JournalEntry[]): Promise<void> {
    return entries.length ? this.batches.add(entries) : Promise.resolve();
  }

  /** One commit: the store's lock, the head read inside it, the rows chained after it. */
  private async append(rows: JournalEntry[]): Promise<void> {
    if (this.o.writer) return this.o.writer.append(rows);
    const dialect = dialectOf(this.ds);
    await this.ds.transaction(async (m) => {
      // the other processes of `start --workers` and other instances append too
      await dialect.lockForAppend(m, { id: LOCK_JOURNAL, table: 'journal', key: 'id' });
      const [last] = await m.query('SELECT hash FROM journal ORDER BY id DESC LIMIT 1') as { hash: string | null }[];
      chainRows(rows, last?.hash ?? GENESIS);
      await dialect.insertRows(m, JOURNAL_ENTITY, rows);
    });
  }

  /** Wait for everything queued so far (used at shutdown). */
  drain(): Promise<void> {
    return this.batches.drain();
  }

  /** Drain, then stop the writer thread if there is one. */
  async close(): Promise<void> {
    await this.drain();
    await this.o.writer?.close();
  }
}

const EMPTY = Buffer.alloc(0);

function sha256Of(b: Bytes): string {
  return b instanceof Slices ? b.sha256() : createHash('sha256').update(b).digest('hex');
}

/** Give each row its place in the chain after `head`; returns the new head. */
function chainRows(rows: JournalEntry[], head: string): string {
  let prev = head;
  for (const r of rows) {
    r.prevHash = prev;
    r.hash = prev = entryHash(r, prev);
  }
  return prev;
}

/** Bodies of at least this size are kept by hash in 1 MiB chunks (attachment_blobs) unless configured. */
export const DEFAULT_BODY_BLOB_BYTES = 1024 * 1024;

/** How much of a refused message's body the journal keeps unless configured: 1 MiB. */
export const DEFAULT_REFUSED_BYTES = 1024 * 1024;

/**
 * Was this leg's message refused by the gateway (the exchange ended in one of its faults)? The
 * consumer's request, unless it was accepted and sent on to the provider (then the fault is
 * about what came after); the provider's answer whenever the gateway refused the exchange after it.
 */
function refused(ex: Exchange, leg: Leg): boolean {
  if (!ex.fault) return false;
  if (leg.direction === 'provider->gateway') return true;
  return leg.direction === 'consumer->gateway' && !ex.legs.some((l) => l.direction === 'gateway->provider');
}

/**
 * The journal entry of a leg. With `cap`, a body longer than it is kept up to it: `size` and
 * `sha256` stay the whole body's, `rawKept` and `rawKeptSha256` say what `raw` holds.
 */
function toEntry(ex: Exchange, leg: Leg, cap: number | undefined, byHashFrom: number): JournalEntry {
  const e = leg.envelope;
  const m = e?.message;
  const bytes = leg.bytes;
  const cut = cap !== undefined && bytes.length > cap;
  const byHash = !cut && bytes.length >= byHashFrom;
  const kept = cut ? bytes.subarray(0, cap) : undefined;
  // what the row holds (a copy of what is kept: a view would keep the whole body in memory while
  // the row waits for its commit); a forwarded request's slices are joined only when small
  const row = kept ? Buffer.from(kept) : byHash ? EMPTY : wholeOf(bytes);
  return {
    exchangeId: ex.id,
    at: leg.at,
    sid: ex.sid,
    operation: ex.operation?.name ?? (e?.operation ? e.operation.local : null),
    direction: leg.direction,
    revision: e?.revision ?? null,
    sender: m?.sender?.code ?? null,
    recipient: m?.recipient?.code ?? null,
    originator: m?.originator?.code ?? null,
    status: m?.status ?? (e?.fault ? 'FAULT' : null),
    messageId: leg.messageId ?? e?.header?.messageId ?? null,
    requestIdRef: m?.requestIdRef ?? null,
    originRequestIdRef: m?.originRequestIdRef ?? null,
    caseNumber: m?.caseNumber ?? null,
    httpStatus: leg.httpStatus ?? null,
    faultCode: leg.faultCode ?? e?.fault?.code ?? null,
    durationMs: leg.durationMs ?? null,
    size: bytes.length,
    sha256: sha256Of(bytes),
    raw: row,
    rawByHash: byHash ? 1 : 0,
    rawKept: kept ? kept.length : null,
    rawKeptSha256: kept ? sha256Of(kept) : null,
    signature: leg.signature ? verdictText(leg.signature).slice(0, 400) : null,
    control: leg.control ? verdictText(leg.control).slice(0, 1000) : null,
    chainId: ex.chainId ?? null,
    attachments: entryAttachments(leg),
    // AppData lies in one slice (the Body is never split: the node's blocks go in the header)
    searchText: byHash ? slicesOf(bytes).firstOf(appDataText) : appDataText(row),
  };
}
