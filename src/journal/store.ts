import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DataSource, type EntityManager } from 'typeorm';
import { JournalEntrySchema } from './entry';
import { Journal1700000000001 } from './migrations/0001-journal';
import { SignatureVerdicts1700000000002 } from './migrations/0002-signature-verdicts';
import { ControlVerdicts1700000000003 } from './migrations/0003-control-verdicts';
import { OutboxChains1700000000004 } from './migrations/0004-outbox-chains';
import { HashChainRetention1700000000005 } from './migrations/0005-hash-chain-retention';

export const MIGRATIONS = [Journal1700000000001, SignatureVerdicts1700000000002, ControlVerdicts1700000000003, OutboxChains1700000000004, HashChainRetention1700000000005];

/** Run `sql` written with `?` placeholders on either store (PostgreSQL wants $1, $2, …), or in a transaction's manager. */
export function query<T = Record<string, unknown>>(ds: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T[]> {
  let n = 0;
  const type = ('options' in ds ? ds.options : ds.connection.options).type;
  const text = type === 'postgres' ? sql.replace(/\?/g, () => `$${++n}`) : sql;
  return ds.query(text, params) as Promise<T[]>;
}

/**
 * The store: SQLite (better-sqlite3) by default, PostgreSQL when the URL says postgres://.
 * Schema changes are migrations, run at open.
 */
export async function openStore(url: string): Promise<DataSource> {
  const common = { entities: [JournalEntrySchema], migrations: MIGRATIONS, migrationsRun: true, logging: false as const };
  let ds: DataSource;
  if (/^postgres(ql)?:\/\//.test(url)) {
    ds = new DataSource({ type: 'postgres', url, ...common });
  } else {
    const file = url.replace(/^sqlite:(\/\/)?/, '');
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    ds = new DataSource({
      type: 'better-sqlite3',
      database: file,
      enableWAL: true,
      // FULL: a commit is on disk before the reply leaves (the journal batches commits).
      prepareDatabase: (db: { pragma(s: string): unknown }) => {
        db.pragma('synchronous = FULL');
        db.pragma('busy_timeout = 5000');
      },
      ...common,
    });
  }
  await ds.initialize();
  return ds;
}

/**
 * Can the store take the journal now? PostgreSQL: a query answers. SQLite: a query answers and
 * the file is still where it was opened (an open connection keeps working on a deleted file,
 * and everything written to it would be lost).
 */
export async function storeReachable(ds: DataSource): Promise<boolean> {
  try {
    const file = ds.options.type === 'better-sqlite3' ? String(ds.options.database) : undefined;
    if (file && file !== ':memory:' && !existsSync(file)) return false;
    await ds.query('SELECT id FROM journal ORDER BY id DESC LIMIT 1');
    return true;
  } catch {
    return false;
  }
}
