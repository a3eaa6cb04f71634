import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { DataSource, EntityManager } from 'typeorm';
import type { ColumnTypes } from './schema';

/** Where a statement runs: the store, or a transaction's manager. */
export type Runner = DataSource | EntityManager;

/**
 * A queue's claiming rule, as a table's owner states it (src/queue/outbox.ts): which rows are
 * due and free (`where`, in `order`), what a claim sets on them (`set`), and what says a row is
 * still free when it is taken (`free`, checked again where the store cannot lock rows).
 */
export interface ClaimRule {
  table: string;
  /** the primary key column */
  key: string;
  /** due and free rows */
  where: string;
  whereParams: unknown[];
  order: string;
  limit: number;
  /** the claim: `lease_until = ?, …` */
  set: string;
  setParams: unknown[];
  /** a row nobody holds */
  free: string;
  freeParams: unknown[];
}

/** Percentiles of a column per group, over the rows `where` selects. */
export interface PercentileQuery {
  table: string;
  group: string;
  value: string;
  where: string;
  params: unknown[];
  /** fractions, 0 to 1 (from code, never from input: they are written into the statement) */
  at: number[];
}

/** A group's percentiles (in the order asked for, interpolated as percentile_cont does) and its largest value. */
export interface Percentiles {
  at: number[];
  max: number;
}

/** A word search over a text column and its index (migration 0008), optionally within a stretch of ids. */
export interface TextMatch {
  table: string;
  /** the integer primary key (SQLite: the rowid the word index refers to) */
  key: string;
  column: string;
  /** the words; each must occur as a word or the start of one */
  words: string[];
  /** the smallest and largest id worth reading (either may be absent) */
  lo?: number;
  hi?: number;
}

/**
 * Everything that differs between SQLite and PostgreSQL, in one object per store: the rest of
 * the gateway writes SQL that both stores read alike (`?` placeholders, `ON CONFLICT … DO`,
 * `RETURNING`, epoch milliseconds in bigint columns) and asks its store's dialect for the rest.
 * Only src/store/ looks at which store it is (test/architecture.test.ts holds every other module to it).
 */
export interface Dialect {
  /** the store's name for people: logs, `migrate` */
  readonly label: 'SQLite' | 'PostgreSQL';
  /**
   * Can several processes claim from one queue at once without waiting for each other? PostgreSQL
   * (row locks, SKIP LOCKED): every worker of `start --workers` runs deliveries. SQLite (one writer
   * per file): the leader alone.
   */
  readonly concurrentClaims: boolean;
  /** the names of the column types that differ (the journal's entity, src/store/schema.ts) */
  readonly columnTypes: ColumnTypes;
  /** Run `sql` written with `?` placeholders; booleans are bound as the store keeps them. */
  query<T = Record<string, unknown>>(on: Runner, sql: string, params?: unknown[]): Promise<T[]>;
  /** A time as the store compares it with a time column (SQLite keeps 'YYYY-MM-DD HH:MM:SS.SSS' in UTC). */
  time(t: Date): string;
  /** Run `fn` holding the lock `id` against every other process on the store (migrations). */
  withLock<T>(ds: DataSource, id: number, fn: () => Promise<T>): Promise<T>;
  /**
   * In a transaction: wait until no other process appends to `table`, and hold it off until the
   * commit (PostgreSQL: the transaction-scoped advisory lock `id`; SQLite: the file's write lock,
   * taken by a write that changes nothing).
   */
  lockForAppend(m: EntityManager, o: { id: number; table: string; key: string }): Promise<void>;
  /** In a transaction: insert rows of a typeorm entity, as the entity's metadata writes them. */
  insertRows(m: EntityManager, entity: string, rows: object[]): Promise<void>;
  /**
   * Run steps in order, all or none where the store lets this process hold a transaction of its
   * own (PostgreSQL); on SQLite the process has one connection, shared with the journal's
   * batched transactions, so the steps run one after another and the caller orders them so that
   * a crash between two leaves nothing lost (src/queue/outbox.ts).
   */
  inOrder(ds: DataSource, steps: ((on: Runner) => Promise<unknown>)[]): Promise<void>;
  /** Claim the due rows of a queue; returns them as claimed (every column). */
  claim(ds: DataSource, c: ClaimRule): Promise<Record<string, unknown>[]>;
  /** A condition (with its parameters) that the row's text has all the words. */
  textMatch(t: TextMatch): { sql: string; params: unknown[] };
  /** An expression of `column`'s time cut to its hour or day (UTC), as 'YYYY-MM-DD HH' or 'YYYY-MM-DD'. */
  timeSlot(column: string, bucket: 'hour' | 'day'): string;
  /** Percentiles per group. */
  percentiles(on: Runner, q: PercentileQuery): Promise<Map<string, Percentiles>>;
  /** The file the store lives in (SQLite), or undefined (PostgreSQL, or in memory). */
  file(ds: DataSource): string | undefined;
  /** How many bytes the store takes: SQLite, the file with its WAL and shared-memory index; PostgreSQL, pg_database_size. */
  bytes(ds: DataSource): Promise<number>;
  /** Is the store where it was opened? SQLite: its file still exists (a connection keeps working on a deleted file, and everything written would be lost). */
  inPlace(ds: DataSource): boolean;
}

const MAX_ROWS_PER_INSERT = 400;

const sqlite: Dialect = {
  label: 'SQLite',
  concurrentClaims: false,
  columnTypes: { time: Date, bytes: 'blob' },

  query<T>(on: Runner, sql: string, params: unknown[] = []): Promise<T[]> {
    // better-sqlite3 binds no booleans: the columns are integers 0 and 1
    return on.query(sql, params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p))) as Promise<T[]>;
  },

  time: (t) => t.toISOString().replace('T', ' ').replace('Z', ''),

  withLock: (_ds, _id, fn) => fn(), // one writer per file: migrations wait for the file's write lock

  async lockForAppend(m, o) {
    await m.query(`UPDATE ${o.table} SET ${o.key} = ${o.key} WHERE 0`);
  },

  async insertRows(m, entity, rows) {
    const insert = sqliteInsert(m, entity);
    if (insert) {
      for (const r of rows) insert(r);
      return;
    }
    await insertInChunks(m, entity, rows);
  },

  async inOrder(ds, steps) {
    for (const step of steps) await step(ds);
  },

  claim(ds, c) {
    // one statement, so one commit (one fsync) for the whole batch, not one per row; it runs
    // under the file's write lock, so no other process takes a row between the choice and the
    // claim (the free condition is checked again all the same)
    return sqlite.query<Record<string, unknown>>(ds,
      `UPDATE ${c.table} SET ${c.set} WHERE ${c.key} IN (
         SELECT ${c.key} FROM ${c.table} WHERE ${c.where} ORDER BY ${c.order} LIMIT ?) AND ${c.free}
       RETURNING *`,
      [...c.setParams, ...c.whereParams, c.limit, ...c.freeParams]);
  },

  textMatch(t) {
    // FTS5 (the table <table>_fts, kept in step by triggers): each word a quoted prefix query;
    // the id range goes into the word index's own query, so that it reads only that stretch of rowids
    const bounds: string[] = [];
    const params: unknown[] = [t.words.map((w) => `"${w}"*`).join(' AND ')];
    if (t.lo !== undefined) { bounds.push(' AND rowid >= ?'); params.push(t.lo); }
    if (t.hi !== undefined) { bounds.push(' AND rowid <= ?'); params.push(t.hi); }
    return { sql: `${t.key} IN (SELECT rowid FROM ${t.table}_fts WHERE ${t.table}_fts MATCH ?${bounds.join('')})`, params };
  },

  timeSlot: (column, bucket) => `substr(${column}, 1, ${bucket === 'hour' ? 13 : 10})`,

  async percentiles(on, q) {
    // SQLite has no percentile function: the values come sorted per group and are read off
    const rows = await sqlite.query<{ g: string; v: number }>(on, `SELECT ${q.group} AS g, ${q.value} AS v FROM ${q.table} WHERE ${q.where} AND ${q.value} IS NOT NULL ORDER BY ${q.group}, ${q.value}`, q.params);
    const out = new Map<string, Percentiles>();
    let i = 0;
    while (i < rows.length) {
      let j = i;
      while (j < rows.length && rows[j]!.g === rows[i]!.g) j++;
      const d = rows.slice(i, j).map((r) => Number(r.v));
      const at = (p: number) => {
        // linear interpolation between closest ranks, as percentile_cont does
        const x = p * (d.length - 1);
        const lo = Math.floor(x);
        return d[lo]! + (d[Math.min(lo + 1, d.length - 1)]! - d[lo]!) * (x - lo);
      };
      out.set(String(rows[i]!.g), { at: q.at.map(at), max: d[d.length - 1]! });
      i = j;
    }
    return out;
  },

  file(ds) {
    const file = String(ds.options.database);
    return file === ':memory:' ? undefined : file;
  },

  async bytes(ds) {
    const file = sqlite.file(ds);
    if (!file) return 0;
    let total = 0;
    for (const f of [file, `${file}-wal`, `${file}-shm`]) total += await stat(f).then((s) => s.size, () => 0);
    return total;
  },

  inPlace(ds) {
    const file = sqlite.file(ds);
    return !file || existsSync(file);
  },
};

const postgres: Dialect = {
  label: 'PostgreSQL',
  concurrentClaims: true,
  columnTypes: { time: 'timestamptz', bytes: 'bytea' },

  query<T>(on: Runner, sql: string, params: unknown[] = []): Promise<T[]> {
    let n = 0;
    // typeorm answers UPDATE and DELETE with [rows, count]; the structured result has the rows alone
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const qr = 'queryRunner' in on && on.queryRunner ? on.queryRunner : undefined;
    if (qr) return qr.query(text, params, true).then((r: { records: T[] }) => r.records);
    const own = (on as DataSource).createQueryRunner();
    return own.query(text, params, true).then((r: { records: T[] }) => r.records).finally(() => own.release());
  },

  time: (t) => t.toISOString(),

  async withLock(ds, id, fn) {
    // a session lock on a connection of its own, held while fn runs on others
    const lock = ds.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [id]);
      return await fn();
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [id]).catch(() => undefined);
      await lock.release();
    }
  },

  async lockForAppend(m, o) {
    await m.query('SELECT pg_advisory_xact_lock($1)', [o.id]);
  },

  insertRows: (m, entity, rows) => insertInChunks(m, entity, rows),

  async inOrder(ds, steps) {
    if (steps.length === 1) {
      await steps[0]!(ds);
      return;
    }
    await ds.transaction(async (m) => {
      for (const step of steps) await step(m);
    });
  },

  claim(ds, c) {
    // one statement: rows another instance holds are skipped, not waited for; the lease then
    // covers a worker that dies after the commit
    return postgres.query(ds,
      `UPDATE ${c.table} SET ${c.set} WHERE ${c.key} IN (
         SELECT ${c.key} FROM ${c.table} WHERE ${c.where} ORDER BY ${c.order} LIMIT ? FOR UPDATE SKIP LOCKED)
       RETURNING *`,
      [...c.setParams, ...c.whereParams, c.limit]);
  },

  textMatch(t) {
    // tsquery prefixes over the 'simple' configuration (the GIN index of migration 0008); its
    // tokenizer splits on - . / itself, so a word with them becomes a phrase of its parts
    const q = t.words.map((w) => w.split(/[-./]+/).filter(Boolean).map((p) => `${p}:*`).join(' <-> ')).join(' & ');
    return { sql: `to_tsvector('simple', ${t.column}) @@ to_tsquery('simple', ?)`, params: [q] };
  },

  timeSlot: (column, bucket) => `to_char(${column} AT TIME ZONE 'UTC', '${bucket === 'hour' ? 'YYYY-MM-DD HH24' : 'YYYY-MM-DD'}')`,

  async percentiles(on, q) {
    const cols = q.at.map((p, i) => `percentile_cont(${Number(p)}) WITHIN GROUP (ORDER BY ${q.value}) AS p${i}`).join(', ');
    const rows = await postgres.query(on, `SELECT ${q.group} AS g, ${cols}, MAX(${q.value}) AS mx FROM ${q.table} WHERE ${q.where} AND ${q.value} IS NOT NULL GROUP BY ${q.group}`, q.params);
    return new Map(rows.map((r) => [String(r.g), { at: q.at.map((_, i) => Number(r[`p${i}`])), max: Number(r.mx) }]));
  },

  file: () => undefined,

  async bytes(ds) {
    const [r] = await postgres.query<{ n: string | number }>(ds, 'SELECT pg_database_size(current_database()) AS n');
    return Number(r?.n ?? 0);
  },

  inPlace: () => true,
};

/** Is this URL a PostgreSQL one? (Any other is a SQLite file: src/store-url.ts refuses other schemes.) */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** The dialect of the store a URL names. */
export const dialectOfUrl = (url: string): Dialect => (isPostgresUrl(url) ? postgres : sqlite);

/** The dialect of an open store, or of a transaction's. */
export function dialectOf(on: Runner): Dialect {
  const type = ('options' in on ? on.options : on.connection.options).type;
  return type === 'postgres' ? postgres : sqlite;
}

async function insertInChunks(m: EntityManager, entity: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += MAX_ROWS_PER_INSERT) {
    await m.insert(entity, rows.slice(i, i + MAX_ROWS_PER_INSERT));
  }
}

interface SqliteStatement { run(...values: unknown[]): unknown }
interface SqliteDatabase { prepare(sql: string): SqliteStatement }
const sqliteInserts = new WeakMap<object, Map<string, ((r: object) => void) | null>>();

/**
 * How rows of a typeorm entity are inserted on SQLite without typeorm's insert builder: the
 * INSERT with a placeholder per column, and each row's values in that order, from typeorm's own
 * metadata and the driver's preparePersistentValue, so the stored bytes are those m.insert writes
 * (the journal's hash chain depends on them). `column(property)` is a property's place in the
 * values. Undefined when the entity has a column this does not handle (a default that is not a
 * plain value, a relation), or the store is not SQLite. (Found here: migration 0018's
 * `raw_by_hash DEFAULT 0` had sent every journal insert back to typeorm's builder since.) Used on the connection itself (sqliteInsert) and by the journal's writer thread.
 */
export interface SqliteInsertPlan {
  sql: string;
  values(r: object): unknown[];
  column(property: string): number;
}

export function sqliteInsertPlan(ds: DataSource, entity: string): SqliteInsertPlan | undefined {
  const driver = ds.driver as unknown as { databaseConnection?: SqliteDatabase; preparePersistentValue?(v: unknown, c: unknown): unknown };
  if (!driver.databaseConnection || !driver.preparePersistentValue) return undefined;
  const meta = ds.getMetadata(entity);
  const columns = meta.columns.filter((c) => !c.isGenerated);
  // a default given as a plain value stands in for an absent one, as typeorm's DEFAULT would
  const plain = (v: unknown) => ['number', 'string', 'boolean'].includes(typeof v);
  if (columns.some((c) => (c.default !== undefined && !plain(c.default)) || c.isVirtual || c.relationMetadata)) return undefined;
  return {
    sql: `INSERT INTO "${meta.tableName}" (${columns.map((c) => `"${c.databaseName}"`).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
    values: (r) => columns.map((c) => driver.preparePersistentValue!(c.getEntityValue(r) ?? c.default, c) ?? null),
    column: (property) => columns.findIndex((c) => c.propertyName === property),
  };
}

/**
 * On SQLite, one prepared better-sqlite3 INSERT run per row, in typeorm's transaction (the same
 * connection): typeorm's insert builder (parameters, escaping, a statement prepared anew for each
 * batch) was about 7 % of the gateway's one thread under load. Undefined when sqliteInsertPlan is:
 * then typeorm's path.
 */
function sqliteInsert(m: EntityManager, entity: string): ((r: object) => void) | undefined {
  const db = (m.connection.driver as unknown as { databaseConnection?: SqliteDatabase }).databaseConnection;
  if (!db) return undefined;
  let byEntity = sqliteInserts.get(db);
  if (!byEntity) sqliteInserts.set(db, byEntity = new Map());
  let insert = byEntity.get(entity);
  if (insert === undefined) {
    const plan = sqliteInsertPlan(m.connection, entity);
    const stmt = plan && db.prepare(plan.sql);
    insert = plan && stmt ? (r) => { stmt.run(...plan.values(r)); } : null;
    byEntity.set(entity, insert);
  }
  return insert ?? undefined;
}
