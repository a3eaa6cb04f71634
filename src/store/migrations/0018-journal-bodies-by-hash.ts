import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Large bodies kept by hash (issue 16 item 7): a leg's body of at least SMEV2_JOURNAL_BODY_BLOB_BYTES
 * (default 1 MiB) is written to `attachment_blobs`/`attachment_chunks` under its SHA-256 (the
 * entry's own `sha256`, which the hash chain covers) in 1 MiB chunks, and the entry's `raw` stays
 * empty with `raw_by_hash = 1`. A 13 MB inline document is then never bound whole into an INSERT,
 * which both stores' drivers copy, and retention purges its bytes as it purges parts.
 */
export class JournalBodiesByHash1700000000018 implements MigrationInterface {
  name = 'JournalBodiesByHash1700000000018';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal ADD COLUMN raw_by_hash smallint NOT NULL DEFAULT 0');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal DROP COLUMN raw_by_hash');
  }
}
