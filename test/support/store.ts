import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { PG_BASE_URL, freshDatabase, dropDatabase, pgQuery } from './postgres';

/**
 * The store the suite runs on: `SMEV2_TEST_STORE=sqlite` (default) or `postgres`. `npm test`
 * (scripts/test.js) runs the suite once on each. On `postgres` every gateway a test starts gets a
 * fresh database on the server of SMEV2_TEST_PG_URL (dropped when the test file ends), and the
 * tests read and write the store through `pg`; on `sqlite`, a fresh file, read with better-sqlite3.
 * Tests reach the store only through the helpers here, so the same test runs on both.
 */
export type TestStore = 'sqlite' | 'postgres';

export const TEST_STORE: TestStore = (() => {
  const v = process.env.SMEV2_TEST_STORE ?? 'sqlite';
  if (v !== 'sqlite' && v !== 'postgres') throw new Error(`SMEV2_TEST_STORE must be sqlite or postgres, got "${v}"`);
  if (v === 'postgres' && !PG_BASE_URL) throw new Error('SMEV2_TEST_STORE=postgres needs SMEV2_TEST_PG_URL (a server where the tests may CREATE DATABASE; `source <(scripts/pg-test-cluster.sh start)` starts one and sets it)');
  return v;
})();

export const onPostgres = TEST_STORE === 'postgres';
export const STORE_NAME = onPostgres ? 'PostgreSQL' : 'SQLite';

/** Is `db` (a GatewayProcess's `db`) a PostgreSQL URL rather than a SQLite file? */
export const isPgUrl = (db: string) => /^postgres(ql)?:\/\//.test(db);

/** The `--db` URL for a store: `sqlite:<file>`, or the PostgreSQL URL as it is. */
export const dbUrl = (db: string) => (isPgUrl(db) ? db : `sqlite:${db}`);

const made: string[] = [];

/**
 * A fresh, empty store of the pass's kind: a SQLite file path in a new temp folder, or the URL of
 * a new PostgreSQL database (dropped at the end of the test file, test/support/setup-store.ts).
 */
export async function freshStore(name = 'journal.sqlite'): Promise<string> {
  if (!onPostgres) return join(mkdtempSync(join(tmpdir(), 'smev2-store-')), name);
  const url = await freshDatabase();
  made.push(url);
  return url;
}

/** Drop every database freshStore made in this test file (PostgreSQL; a SQLite file is left in tmp). */
export async function dropFreshStores(): Promise<void> {
  for (const url of made.splice(0)) await dropDatabase(url).catch(() => undefined);
}

/**
 * A copy of a store no process has open: a copy of the SQLite file (after its WAL is folded in),
 * or a new PostgreSQL database made with the original as its template.
 */
export async function copyStore(db: string): Promise<string> {
  if (!isPgUrl(db)) {
    const d = new Database(db);
    d.pragma('wal_checkpoint(TRUNCATE)');
    d.close();
    const f = join(mkdtempSync(join(tmpdir(), 'smev2-copy-')), 'copy.sqlite');
    copyFileSync(db, f);
    return f;
  }
  const url = await freshDatabase('smev2_copy');
  const name = new URL(url).pathname.slice(1);
  await pgQuery(PG_BASE_URL!, `DROP DATABASE ${name}`);
  await pgQuery(PG_BASE_URL!, `CREATE DATABASE ${name} TEMPLATE ${new URL(db).pathname.slice(1)}`);
  made.push(url);
  return url;
}

/**
 * Run SQL written with `?` placeholders on a store, as an auditor (or an intruder) would, with
 * the store's own client: better-sqlite3 on the file, `pg` on the database (session in UTC).
 * Returns the rows (none for a statement without RETURNING).
 */
export async function sql<T = Record<string, unknown>>(db: string, text: string, params: unknown[] = []): Promise<T[]> {
  if (isPgUrl(db)) {
    let n = 0;
    return pgQuery<T>(db, text.replace(/\?/g, () => `$${++n}`), params);
  }
  const d = new Database(db, { fileMustExist: true });
  try {
    const st = d.prepare(text);
    return (st.reader ? st.all(...params) : (st.run(...params), [])) as T[];
  } finally {
    d.close();
  }
}

/** Several statements on one store, in order (tampering with a journal, say). */
export async function sqlAll(db: string, ...statements: [string, ...unknown[]][]): Promise<void> {
  for (const [s, ...p] of statements) await sql(db, s, p);
}

/** COUNT(*) as a number, whichever store (pg gives a bigint as a string). */
export async function count(db: string, from: string, params: unknown[] = []): Promise<number> {
  const [r] = await sql<{ n: number | string }>(db, `SELECT COUNT(*) AS n FROM ${from}`, params);
  return Number(r!.n);
}
