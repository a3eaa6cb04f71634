import Database from 'better-sqlite3';

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
  at: string;
  signature: string | null;
  control: string | null;
  chain_id: string | null;
  prev_hash: string | null;
  hash: string | null;
  purged_at: number | null;
}

/** Read the journal straight from the gateway's SQLite file (read-only, as an auditor would). */
export function readJournal(file: string, where = '1=1', params: unknown[] = []): Row[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(`SELECT * FROM journal WHERE ${where} ORDER BY id`).all(...params) as Row[];
  } finally {
    db.close();
  }
}
