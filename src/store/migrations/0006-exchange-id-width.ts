import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The delivery worker's attempts are journaled under `delivery-<ticket>-<attempt>` (up to 64
 * characters): PostgreSQL enforces varchar lengths, SQLite does not. Widen exchange_id to 64.
 */
export class ExchangeIdWidth1700000000006 implements MigrationInterface {
  name = 'ExchangeIdWidth1700000000006';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') await q.query('ALTER TABLE journal ALTER COLUMN exchange_id TYPE varchar(64)');
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') await q.query('ALTER TABLE journal ALTER COLUMN exchange_id TYPE varchar(36)');
  }
}
