import Database from 'better-sqlite3';

/** What a writer thread needs of a SQLite connection of its own. */
export interface SqliteWriterConnection {
  prepare(sql: string): { run(values: unknown[]): unknown; get(): unknown };
  exec(sql: string): void;
  readonly inTransaction: boolean;
}

/**
 * A connection of its own to the store's SQLite file, for a thread that only writes (the
 * journal's writer thread, src/journal/writer-thread.ts): a commit is on disk before it returns
 * (`synchronous = FULL`, as the store's connection), and a wait for another process's write lock
 * blocks the calling thread up to `lockWaitMs` (SMEV2_SQLITE_LOCK_WAIT_MS), which is no event
 * loop's. The file must exist: the main thread opened and migrated it.
 */
export function openSqliteWriter(file: string, lockWaitMs: number): SqliteWriterConnection {
  const db = new Database(file, { fileMustExist: true });
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${lockWaitMs}`);
  return {
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
