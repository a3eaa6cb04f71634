import type { MigrationInterface, QueryRunner } from 'typeorm';
import { CHAINED_COLUMNS, GENESIS, entryHash, fromRow } from '../../journal/chain';

/**
 * Tamper evidence and retention: each entry carries the previous entry's hash and its own
 * (a chain in id order, see chain.ts), and `purged_at` when retention emptied its raw bytes.
 * Entries written before this migration are chained here, in id order.
 */
export class HashChainRetention1700000000005 implements MigrationInterface {
  name = 'HashChainRetention1700000000005';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const p = (i: number) => (pg ? `$${i}` : '?');
    await q.query('ALTER TABLE journal ADD COLUMN prev_hash varchar(64)');
    await q.query('ALTER TABLE journal ADD COLUMN hash varchar(64)');
    await q.query('ALTER TABLE journal ADD COLUMN purged_at bigint');
    await q.query('CREATE INDEX journal_hash ON journal (hash)');
    let prev = GENESIS;
    let after = 0;
    for (;;) {
      const rows = (await q.query(`SELECT ${CHAINED_COLUMNS} FROM journal WHERE id > ${p(1)} ORDER BY id LIMIT 1000`, [after])) as Record<string, unknown>[];
      if (!rows.length) break;
      for (const r of rows) {
        const hash = entryHash(fromRow(r), prev);
        await q.query(`UPDATE journal SET prev_hash = ${p(1)}, hash = ${p(2)} WHERE id = ${p(3)}`, [prev, hash, r.id]);
        prev = hash;
        after = Number(r.id);
      }
    }
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX journal_hash');
    await q.query('ALTER TABLE journal DROP COLUMN purged_at');
    await q.query('ALTER TABLE journal DROP COLUMN hash');
    await q.query('ALTER TABLE journal DROP COLUMN prev_hash');
  }
}
