import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attachments stored by hash (issue 16): the bytes of MTOM parts are kept outside the journal's
 * rows, once per content, in `attachment_blobs` (one row per SHA-256, with its size and when it
 * was last referenced) and `attachment_chunks` (the bytes, in 1 MiB pieces, so a 1 GiB part is
 * written and read without holding it). A journal entry lists the parts of its leg in
 * `attachments` (JSON: Content-ID, type, size, SHA-256, and what the attachments stage found);
 * the hash chain covers that list (chain.ts, form v3), so a part cannot be swapped for another.
 * Retention purges a blob's chunks once no entry within the retention period refers to it.
 * Guaranteed delivery keeps an MTOM message's parts the same way: the outbox's `payload_parts`
 * and `answer_parts` list them (JSON: their headers and hashes, and how the message was framed).
 */
export class AttachmentBlobs1700000000012 implements MigrationInterface {
  name = 'AttachmentBlobs1700000000012';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const blob = pg ? 'bytea' : 'blob';
    await q.query('ALTER TABLE journal ADD COLUMN attachments text');
    await q.query('ALTER TABLE outbox ADD COLUMN payload_parts text');
    await q.query('ALTER TABLE outbox ADD COLUMN answer_parts text');
    await q.query(`CREATE TABLE attachment_blobs (
      sha256 char(64) NOT NULL PRIMARY KEY,
      size bigint NOT NULL,
      chunks integer NOT NULL,
      created_at bigint NOT NULL,
      last_used_at bigint NOT NULL,
      purged_at bigint
    )`);
    await q.query('CREATE INDEX attachment_blobs_last_used ON attachment_blobs (last_used_at)');
    await q.query(`CREATE TABLE attachment_chunks (
      sha256 char(64) NOT NULL,
      seq integer NOT NULL,
      bytes ${blob} NOT NULL,
      PRIMARY KEY (sha256, seq)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE attachment_chunks');
    await q.query('DROP TABLE attachment_blobs');
    await q.query('ALTER TABLE outbox DROP COLUMN answer_parts');
    await q.query('ALTER TABLE outbox DROP COLUMN payload_parts');
    await q.query('ALTER TABLE journal DROP COLUMN attachments');
  }
}
