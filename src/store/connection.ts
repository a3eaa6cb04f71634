import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource } from 'typeorm';
import { journalEntrySchema } from './schema';
import { dialectOf, dialectOfUrl, isPostgresUrl, type Runner } from './dialect';
import { MIGRATIONS } from './migrations';

export { MIGRATIONS };

/** Run `sql` written with `?` placeholders on either store (PostgreSQL wants $1, $2, …), or in a transaction's manager. */
export function query<T = Record<string, unknown>>(on: Runner, sql: string, params: unknown[] = []): Promise<T[]> {
  return dialectOf(on).query<T>(on, sql, params);
}

/** Ids of the locks the gateway takes (PostgreSQL advisory locks): migrations, and appends to the journal's chain. */
export const LOCK_MIGRATIONS = 0x534d4556_01; // 'SMEV' 1
export const LOCK_JOURNAL = 0x534d4556_02; // 'SMEV' 2

export interface OpenOptions {
  /** run pending migrations (default true); `smev2-gateway migrate` runs them itself to report which ran */
  migrate?: boolean;
}

/**
 * The store: SQLite (better-sqlite3) by default, PostgreSQL when the URL says postgres://.
 * Schema changes are migrations, run at open: on PostgreSQL under an advisory lock, so that
 * several instances starting at once on one database run each migration once.
 */
export async function openStore(url: string, o: OpenOptions = {}): Promise<DataSource> {
  const ds = createStore(url);
  await ds.initialize();
  if (!isPostgresUrl(url)) {
    try {
      writeWithoutBlocking(ds);
    } catch (e) {
      await ds.destroy();
      throw e;
    }
  }
  if (o.migrate !== false) {
    try {
      await runMigrations(ds);
    } catch (e) {
      await ds.destroy();
      throw e;
    }
  }
  return ds;
}

function createStore(url: string): DataSource {
  const common = { migrations: MIGRATIONS, migrationsRun: false, logging: false as const };
  if (isPostgresUrl(url)) {
    // connectTimeoutMS: a server that does not answer fails the start in seconds, not after the OS's TCP timeout
    return new DataSource({ type: 'postgres', url, connectTimeoutMS: 10_000, entities: [journalEntrySchema(dialectOfUrl(url).columnTypes)], ...common });
  }
  const file = url.replace(/^sqlite:(\/\/)?/, '');
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return new DataSource({
    type: 'better-sqlite3',
    database: file,
    enableWAL: true,
    entities: [journalEntrySchema(dialectOfUrl(url).columnTypes)],
    // FULL: a commit is on disk before the reply leaves (the journal batches commits). The busy
    // timeout covers the opening alone (nothing is served yet): writeWithoutBlocking sets it to 0.
    prepareDatabase: (db: { pragma(s: string): unknown }) => {
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      db.pragma(`cache_size = -${cacheKib()}`);
    },
    ...common,
  });
}

/**
 * Each SQLite connection's page cache, in KiB (SMEV2_SQLITE_CACHE_KIB, default 2048: SQLite's
 * own default; better-sqlite3 builds with 16 MB). A large body's chunks pass through the cache of
 * the connection that writes them, and another process's or thread's commit empties it: with
 * 16 MB, five 10 MiB documents in turn grew resident memory by 3.4x the document against 2.9x
 * with 2 MB, and the journal search at a million entries was not slower (bench/README.md).
 */
export function cacheKib(): number {
  return wholeSetting('SMEV2_SQLITE_CACHE_KIB', 2048, 64, 'KiB');
}

/** How long a SQLite write waits for another process's write lock before it fails (SMEV2_SQLITE_LOCK_WAIT_MS, default 30 s). */
export function lockWaitMs(): number {
  return wholeSetting('SMEV2_SQLITE_LOCK_WAIT_MS', 30_000, 1, 'milliseconds');
}

/** A whole-number setting of the store's, read where the connection is opened (workers and threads inherit it). */
function wholeSetting(name: string, fallback: number, min: number, unit: string): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of ${unit} from ${min}, got "${v}"; unset it for the default of ${fallback}`);
  return n;
}

interface SqliteConnection { pragma(s: string): unknown; readonly inTransaction: boolean }
type RunnerQuery = (sql: string, params?: unknown[], structured?: boolean) => Promise<unknown>;

const isBusy = (e: unknown) => /^SQLITE_BUSY/.test(String((e as { code?: unknown })?.code ?? (e as { driverError?: { code?: unknown } })?.driverError?.code ?? ''));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SQLite has one writer per file, and better-sqlite3 is synchronous: with a busy timeout, a
 * process waiting for another's write lock (another worker of `start --workers`, another
 * instance, a backup) waits with its event loop stopped, answering nothing, not even /healthz.
 * Instead the wait is asynchronous, here, for every writer (every statement of the connection
 * goes through typeorm's one query runner): busy_timeout 0; a transaction begins IMMEDIATE, so
 * that it takes the write lock at its start or not at all (never half-way, where a retry could
 * not go on from a stale snapshot); a BEGIN, or a statement outside a transaction, that meets
 * SQLITE_BUSY is tried again after a short jittered pause (1 ms doubling to 4 ms) while the
 * event loop serves others, until LOCK_WAIT_MS have passed.
 */
function writeWithoutBlocking(ds: DataSource): void {
  const driver = ds.driver as unknown as { databaseConnection: SqliteConnection; createQueryRunner(mode: 'master'): { query: RunnerQuery } };
  const db = driver.databaseConnection;
  const LOCK_WAIT_MS = lockWaitMs();
  db.pragma('busy_timeout = 0');
  const runner = driver.createQueryRunner('master'); // better-sqlite3: the connection's one runner, shared by every query
  const query: RunnerQuery = runner.query.bind(runner);
  runner.query = async (sql, params, structured) => {
    // inside our own transaction the write lock is ours: nothing to wait for
    if (db.inTransaction) return query(sql, params, structured);
    // a BEGIN that failed leaves no transaction: typeorm's ROLLBACK then has nothing to undo (and
    // must not fail, or typeorm would think a transaction still open and refuse the next one)
    if (sql === 'ROLLBACK') return undefined;
    const text = sql === 'BEGIN TRANSACTION' ? 'BEGIN IMMEDIATE TRANSACTION' : sql;
    const until = Date.now() + LOCK_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(4, wait * 2)) {
      try {
        return await query(text, params, structured);
      } catch (e) {
        if (!isBusy(e) || db.inTransaction) throw e;
        if (Date.now() > until) {
          throw new Error(`the SQLite file ${sqliteFile(ds)} stayed locked by another process for ${LOCK_WAIT_MS} ms (SMEV2_SQLITE_LOCK_WAIT_MS): find what holds it (a backup, a long transaction) or raise the wait; ${(e as Error).message}`);
        }
        await pause(wait * (0.5 + Math.random()));
      }
    }
  };
}

const sqliteFile = (ds: DataSource) => String(ds.options.database);

/** Run the pending migrations; returns the names of those that ran (none: the schema was up to date). */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  // under a lock, so that several instances starting at once on one database run each migration once
  return dialectOf(ds).withLock(ds, LOCK_MIGRATIONS, async () => (await ds.runMigrations()).map((m) => m.name));
}

/** Every migration the code knows, and whether the store has it. */
export async function migrationStatus(ds: DataSource): Promise<{ name: string; applied: boolean }[]> {
  const qr = ds.createQueryRunner();
  const hasTable = await qr.hasTable('migrations').catch(() => false).finally(() => qr.release());
  const applied = new Set(hasTable ? (await query<{ name: string }>(ds, 'SELECT name FROM migrations')).map((r) => r.name) : []);
  return MIGRATIONS.map((M) => new M().name).map((name) => ({ name, applied: applied.has(name) }));
}

/**
 * Can the store take the journal now? PostgreSQL: a query answers. SQLite: a query answers and
 * the file is still where it was opened (an open connection keeps working on a deleted file,
 * and everything written to it would be lost).
 */
export async function storeReachable(ds: DataSource): Promise<boolean> {
  try {
    if (!dialectOf(ds).inPlace(ds)) return false;
    await ds.query('SELECT id FROM journal ORDER BY id DESC LIMIT 1');
    return true;
  } catch {
    return false;
  }
}

/** A time as the store compares it with `at` (SQLite keeps 'YYYY-MM-DD HH:MM:SS.SSS' in UTC). */
export function storeTime(on: Runner, t: Date): string {
  return dialectOf(on).time(t);
}
