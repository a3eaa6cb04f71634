import { EntitySchema } from 'typeorm';

/** One leg of one exchange, as stored. */
export interface JournalEntry {
  id?: number;
  exchangeId: string;
  at: Date;
  sid: string;
  operation: string | null;
  direction: string;
  revision: string | null;
  sender: string | null;
  recipient: string | null;
  originator: string | null;
  status: string | null;
  messageId: string | null;
  requestIdRef: string | null;
  originRequestIdRef: string | null;
  caseNumber: string | null;
  httpStatus: number | null;
  faultCode: string | null;
  durationMs: number | null;
  size: number;
  sha256: string;
  raw: Buffer;
  /** the leg's signature verdict, e.g. `smev:ok`, `smev:fail (reason)`, `absent`, `not checked` */
  signature: string | null;
  /** the leg's format-logical control verdict: `ok`, `report: …` or the violations */
  control: string | null;
  /** the asynchronous chain this leg belongs to: the OriginRequestIdRef its messages share */
  chainId: string | null;
  /** the previous entry's hash (64 zeros for the first): the journal is a hash chain in id order */
  prevHash?: string | null;
  /** SHA-256 of the entry's canonical form (src/journal/chain.ts) */
  hash?: string | null;
  /** when retention emptied `raw` (epoch ms); metadata, sha256 and hashes are kept */
  purgedAt?: number | null;
  /** a refused message journaled up to the cap: how many of its bytes `raw` holds (null: all; `size` and `sha256` are the whole body's) */
  rawKept?: number | null;
  /** SHA-256 of the bytes kept when `rawKept` is set */
  rawKeptSha256?: string | null;
  /**
   * the leg's MTOM parts and what the attachments stage found in its AppDocument (JSON, see
   * src/journal/attachments.ts); the parts' bytes are stored by hash (attachment_blobs). Chained (form v3).
   */
  attachments?: string | null;
  /** 1: the body's bytes are in attachment_blobs under `sha256` (migration 0018) and `raw` is empty; not chained (the chained sha256 proves the bytes) */
  rawByHash?: number;
  /** the words of the leg's AppData, for the journal search (emptied with `raw` by retention; not chained: derived from `raw`) */
  searchText?: string | null;
}

/** The entity's name: insert by it, so the driver's own schema (below) is the one used. */
export const JOURNAL_ENTITY = 'JournalEntry';

/** The names a store gives the column types that differ between stores (its dialect's `columnTypes`). */
export interface ColumnTypes {
  /** a time with its zone: `timestamptz` on PostgreSQL; SQLite, a JS Date (typeorm's `datetime`) */
  time: unknown;
  /** bytes: `bytea` on PostgreSQL, `blob` on SQLite */
  bytes: string;
}

const schemas = new WeakMap<ColumnTypes, EntitySchema<JournalEntry>>();

/**
 * The journal's entity for a store: the same columns on both stores, with the store's own
 * names for the byte and time types (`blob`/`datetime` on SQLite, `bytea`/`timestamptz` on
 * PostgreSQL, as migration 0001 creates them). The schema comes from the migrations, never from
 * `synchronize`. The journal table is owned by src/journal/ (src/store/README.md); this is only
 * how typeorm maps its rows, needed when the connection is made.
 */
export function journalEntrySchema(types: ColumnTypes): EntitySchema<JournalEntry> {
  let s = schemas.get(types);
  if (!s) schemas.set(types, s = new EntitySchema<JournalEntry>({ name: JOURNAL_ENTITY, tableName: 'journal', columns: columns(types) as never }));
  return s;
}

const columns = (types: ColumnTypes) => ({

    id: { type: Number, primary: true, generated: 'increment' },
    exchangeId: { type: String, name: 'exchange_id', length: 64 },
    at: { type: types.time as never, name: 'at' },
    sid: { type: String, length: 32 },
    operation: { type: String, nullable: true, length: 200 },
    direction: { type: String, length: 24 },
    revision: { type: String, nullable: true, length: 16 },
    sender: { type: String, nullable: true, length: 64 },
    recipient: { type: String, nullable: true, length: 64 },
    originator: { type: String, nullable: true, length: 64 },
    status: { type: String, nullable: true, length: 16 },
    messageId: { type: String, name: 'message_id', nullable: true, length: 64 },
    requestIdRef: { type: String, name: 'request_id_ref', nullable: true, length: 64 },
    originRequestIdRef: { type: String, name: 'origin_request_id_ref', nullable: true, length: 64 },
    caseNumber: { type: String, name: 'case_number', nullable: true, length: 200 },
    httpStatus: { type: Number, name: 'http_status', nullable: true },
    faultCode: { type: String, name: 'fault_code', nullable: true, length: 32 },
    durationMs: { type: 'double precision' as never, name: 'duration_ms', nullable: true },
    size: { type: Number },
    sha256: { type: String, length: 64 },
    signature: { type: String, nullable: true, length: 400 },
    control: { type: String, nullable: true, length: 1000 },
    chainId: { type: String, name: 'chain_id', nullable: true, length: 64 },
    prevHash: { type: String, name: 'prev_hash', nullable: true, length: 64 },
    hash: { type: String, nullable: true, length: 64 },
    purgedAt: { type: 'bigint' as never, name: 'purged_at', nullable: true },
    searchText: { type: 'text' as never, name: 'search_text', nullable: true },
    rawKept: { type: Number, name: 'raw_kept', nullable: true },
    rawKeptSha256: { type: String, name: 'raw_kept_sha256', nullable: true, length: 64 },
    attachments: { type: 'text' as never, name: 'attachments', nullable: true },
    rawByHash: { type: Number, name: 'raw_by_hash', default: 0 },
    raw: { type: types.bytes as never },
});
