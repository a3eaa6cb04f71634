import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Operators' violations (src/queue/violations.ts): signature and control failures counted per SID
 * in fixed windows of time, in the store, so that every process and instance adds to one count and
 * the one whose failure reaches the limit (and only that one) tells the operators. Rows older than
 * the window before are deleted as new windows begin. Times are epoch milliseconds.
 */
export class ViolationCounts1700000000015 implements MigrationInterface {
  name = 'ViolationCounts1700000000015';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE violation_counts (
      what varchar(32) NOT NULL,
      sid varchar(32) NOT NULL,
      window_start bigint NOT NULL,
      n integer NOT NULL,
      PRIMARY KEY (what, sid, window_start)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE violation_counts');
  }
}
