import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A kept body made of another's bytes (issue 16 item 7): the request the node forwards is the
 * consumer's request with the node's header and signature spliced in, so a 13 MB inline document
 * was kept twice, once under each hash. A blob may now be a `recipe` (JSON: its segments in order,
 * each a range of a blob kept whole, or a few bytes of its own in base64) with no chunks of its
 * own. Reading it follows the recipe; the journal's chained sha256 still proves the bytes read.
 */
export class BlobRecipes1700000000019 implements MigrationInterface {
  name = 'BlobRecipes1700000000019';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE attachment_blobs ADD COLUMN recipe text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE attachment_blobs DROP COLUMN recipe');
  }
}
