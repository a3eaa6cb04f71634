import Database from 'better-sqlite3';

/** What a writer thread needs of a SQLite connection of its own. */
export interface SqliteWriterConnection {
  prepare(sql: string): { run(values: unknown[]): unknown; get(): unknown };
  exec(sql: string): void;
  /** BEGIN IMMEDIATE: the file's write lock, waited for as `openSqliteWriter` says */
  begin(): void;
  readonly inTransaction: boolean;
}

const isBusy = (e: unknown) => /^SQLITE_BUSY/.test(String((e as { code?: unknown })?.code ?? ''));

/**
 * A connection of its own to the store's SQLite file, for a thread that only writes (the
 * journal's writer thread, src/journal/writer-thread.ts): a commit is on disk before it returns
 * (`synchronous = FULL`, as the store's connection), and `begin` waits for another process's
 * write lock up to `lockWaitMs` (SMEV2_SQLITE_LOCK_WAIT_MS) blocking the calling thread, which is
 * no event loop's. The file must exist: the main thread opened and migrated it.
 */
export function openSqliteWriter(file: string, lockWaitMs: number, cacheKib: number): SqliteWriterConnection {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = -${cacheKib}`);
  // SQLite's own busy handler sleeps 1, 2, 5, 10 … up to 100 ms between tries: with the workers
  // of `start --workers` taking turns for the lock hundreds of times a second, a writer slept
  // through most of its turns (measured: two workers at 128 connections, 142 req/s against 397
  // for one). The wait for BEGIN is ours instead, in short steps (0.1 ms doubling to 2 ms).
  db.pragma('busy_timeout = 0');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const begin = () => {
    const until = Date.now() + lockWaitMs;
    for (let wait = 0.1; ; wait = Math.min(2, wait * 2)) {
      try {
        db.exec('BEGIN IMMEDIATE');
        return;
      } catch (e) {
        if (!isBusy(e) || Date.now() > until) throw e;
        Atomics.wait(pause, 0, 0, wait * (0.5 + Math.random()));
      }
    }
  };
  return {
    begin,
    prepare: (sql) => {
      const s = db.prepare(sql);
      return { run: (values) => s.run(values), get: () => s.get() };
    },
    exec: (sql) => void db.exec(sql),
    get inTransaction() {
      return db.inTransaction;
    },
  };
}
