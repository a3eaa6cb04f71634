import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Each leg's signature verdict, as the verify and stamp stages found or made it. */
export class SignatureVerdicts1700000000002 implements MigrationInterface {
  name = 'SignatureVerdicts1700000000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal ADD COLUMN signature varchar(400)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE journal DROP COLUMN signature');
  }
}
