import { createHash } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { JOURNAL_ENTITY, type JournalEntry } from './entry';
import { GENESIS, entryHash } from './chain';
import { LOCK_JOURNAL } from '../store';
import type { Exchange, Leg } from '../pipeline/exchange';
import { appDataText } from './search-text';
import { Batcher } from './batcher';

const MAX_ROWS_PER_INSERT = 400;

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
  constructor(private readonly ds: DataSource, private readonly o: { refusedBytes?: number } = {}) {}

  async recordExchange(ex: Exchange): Promise<void> {
    const cap = this.o.refusedBytes ?? DEFAULT_REFUSED_BYTES;
    await this.write(ex.legs.map((leg) => toEntry(ex, leg, refused(ex, leg) ? cap : undefined)));
  }

  /** Legs that belong to no HTTP exchange (the delivery worker's attempts). */
  async writeLegs(meta: { exchangeId: string; sid: string; operation: string | null; chainId: string }, legs: Leg[]): Promise<void> {
    const ex = { id: meta.exchangeId, sid: meta.sid, chainId: meta.chainId, operation: meta.operation ? { name: meta.operation } : undefined } as unknown as Exchange;
    await this.write(legs.map((leg) => toEntry(ex, leg)));
  }

  write(entries: JournalEntry[]): Promise<void> {
    return entries.length ? this.batches.add(entries) : Promise.resolve();
  }

  /** One commit: the store's lock, the head read inside it, the rows chained after it. */
  private async append(rows: JournalEntry[]): Promise<void> {
    const pg = this.ds.options.type === 'postgres';
    await this.ds.transaction(async (m) => {
      // PostgreSQL: a transaction-scoped advisory lock; SQLite: the file's write lock, taken by
      // a write that changes nothing (the other processes of `start --workers` append too)
      if (pg) await m.query('SELECT pg_advisory_xact_lock($1)', [LOCK_JOURNAL]);
      else await m.query('UPDATE journal SET id = id WHERE 0');
      const [last] = await m.query('SELECT hash FROM journal ORDER BY id DESC LIMIT 1') as { hash: string | null }[];
      chainRows(rows, last?.hash ?? GENESIS);
      await insertRows(m, rows);
    });
  }

  /** Wait for everything queued so far (used at shutdown). */
  drain(): Promise<void> {
    return this.batches.drain();
  }
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

async function insertRows(m: EntityManager, rows: JournalEntry[]): Promise<void> {
  const sqlite = m.connection.options.type === 'better-sqlite3' ? sqliteInsert(m) : undefined;
  if (sqlite) {
    for (const r of rows) sqlite(r);
    return;
  }
  for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
    await m.insert(JOURNAL_ENTITY, rows.slice(i, i + MAX_ROWS_PER_INSERT));
  }
}

interface SqliteStatement { run(...values: unknown[]): unknown }
interface SqliteDatabase { prepare(sql: string): SqliteStatement }
const sqliteInserts = new WeakMap<object, ((r: JournalEntry) => void) | null>();

/**
 * On SQLite, one prepared better-sqlite3 INSERT run per row, in typeorm's transaction (the same
 * connection): typeorm's insert builder (parameters, escaping, a statement prepared anew for each
 * batch) was about 7 % of the gateway's one thread under load. The columns and the values come
 * from typeorm's own metadata and the driver's preparePersistentValue, so the stored bytes are
 * those m.insert writes (the hash chain depends on them). Null when the entity has a column this
 * does not handle (a default): then typeorm's path. PostgreSQL always takes typeorm's path.
 */
function sqliteInsert(m: EntityManager): ((r: JournalEntry) => void) | undefined {
  const driver = m.connection.driver as unknown as { databaseConnection?: SqliteDatabase; preparePersistentValue(v: unknown, c: unknown): unknown };
  const db = driver.databaseConnection;
  if (!db) return undefined;
  let insert = sqliteInserts.get(db);
  if (insert === undefined) {
    const meta = m.connection.getMetadata(JOURNAL_ENTITY);
    const columns = meta.columns.filter((c) => !c.isGenerated);
    if (columns.some((c) => c.default !== undefined || c.isVirtual || c.relationMetadata)) {
      insert = null;
    } else {
      const stmt = db.prepare(`INSERT INTO "${meta.tableName}" (${columns.map((c) => `"${c.databaseName}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      insert = (r) => {
        stmt.run(...columns.map((c) => driver.preparePersistentValue(c.getEntityValue(r), c) ?? null));
      };
    }
    sqliteInserts.set(db, insert);
  }
  return insert ?? undefined;
}

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
function toEntry(ex: Exchange, leg: Leg, cap?: number): JournalEntry {
  const e = leg.envelope;
  const m = e?.message;
  const cut = cap !== undefined && leg.bytes.length > cap;
  const raw = cut ? leg.bytes.subarray(0, cap) : leg.bytes;
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
    size: leg.bytes.length,
    sha256: createHash('sha256').update(leg.bytes).digest('hex'),
    raw: cut ? Buffer.from(raw) : leg.bytes, // a copy: a view would keep the whole body in memory while the row waits for its commit
    rawKept: cut ? raw.length : null,
    rawKeptSha256: cut ? createHash('sha256').update(raw).digest('hex') : null,
    signature: leg.signature?.slice(0, 400) ?? null,
    control: leg.control?.slice(0, 1000) ?? null,
    chainId: ex.chainId ?? null,
    searchText: appDataText(raw),
  };
}
