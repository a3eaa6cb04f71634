import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A refused message's raw body is journaled only up to a cap (SMEV2_JOURNAL_REFUSED_BYTES,
 * src/journal/journal.ts): `raw_kept` is how many of its bytes `raw` holds and `raw_kept_sha256`
 * their SHA-256, while `size` and `sha256` stay those of the whole body as it arrived. Both are
 * null for an entry kept whole (every accepted message, every entry written before this).
 * The hash chain covers them (chain.ts, form v2), so a truncation cannot be passed off as the
 * whole body, nor the kept bytes altered.
 */
export class RefusedBodies1700000000009 implements MigrationInterface {
  name = 'RefusedBodies1700000000009';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal ADD COLUMN raw_kept integer');
    await q.query('ALTER TABLE journal ADD COLUMN raw_kept_sha256 varchar(64)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal DROP COLUMN raw_kept_sha256');
    await q.query('ALTER TABLE journal DROP COLUMN raw_kept');
  }
}
