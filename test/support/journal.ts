import { sql } from './store';

export interface Row {
  id: number;
  exchange_id: string;
  sid: string;
  operation: string | null;
  direction: string;
  revision: string | null;
  sender: string | null;
  recipient: string | null;
  originator: string | null;
  status: string | null;
  message_id: string | null;
  request_id_ref: string | null;
  origin_request_id_ref: string | null;
  case_number: string | null;
  http_status: number | null;
  fault_code: string | null;
  duration_ms: number | null;
  size: number;
  sha256: string;
  raw: Buffer;
  /** UTC, as SQLite keeps it: 'YYYY-MM-DD HH:MM:SS.SSS' (a PostgreSQL timestamptz is given the same form) */
  at: string;
  signature: string | null;
  control: string | null;
  chain_id: string | null;
  prev_hash: string | null;
  hash: string | null;
  purged_at: number | null;
}

/**
 * Read the journal straight from the gateway's store (as an auditor would): the SQLite file with
 * better-sqlite3, or the PostgreSQL database with `pg`. Rows come in one form whichever the store.
 */
export async function readJournal(db: string, where = '1=1', params: unknown[] = []): Promise<Row[]> {
  const rows = await sql<Record<string, unknown>>(db, `SELECT * FROM journal WHERE ${where} ORDER BY id`, params);
  return rows.map((r) => ({
    ...(r as unknown as Row),
    id: Number(r.id),
    at: r.at instanceof Date ? r.at.toISOString().replace('T', ' ').replace('Z', '') : String(r.at),
    purged_at: r.purged_at === null || r.purged_at === undefined ? null : Number(r.purged_at),
    raw: Buffer.from(r.raw as Uint8Array),
  }));
}
