import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each leg's format-logical control verdict. */
export class ControlVerdicts1700000000003 implements MigrationInterface {
  name = 'ControlVerdicts1700000000003';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal ADD COLUMN control varchar(1000)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal DROP COLUMN control');
  }
}
