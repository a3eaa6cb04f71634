import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The inbox of manual providers (issue 18, docs/cabinet.md): one row per request a manual
 * provider received, keyed by its ticket (the node's MessageId, the outbox item's id), with the
 * department whose clerks answer it, who it is assigned to, its deadline, and the clerk's answer
 * once given (status and AppData; the envelope is built and signed as the provider system at each
 * poll). `due_soon_at` and `overdue_at` record when those events were queued: set once, by a
 * compare-and-set, whichever instance sweeps first. Rows outlive the SID's adapter: a SID switched
 * back to an automated provider keeps them. Times are epoch milliseconds.
 */
export class ManualInbox1700000000014 implements MigrationInterface {
  name = 'ManualInbox1700000000014';

  async up(q: QueryRunner): Promise<void> {
    const blob = q.connection.options.type === 'postgres' ? 'bytea' : 'blob';
    await q.query(`CREATE TABLE manual_inbox (
      ticket varchar(64) NOT NULL PRIMARY KEY,
      sid varchar(64) NOT NULL,
      operation varchar(255) NOT NULL,
      department varchar(255) NOT NULL,
      assignee varchar(255),
      queue varchar(255),
      consumer varchar(255),
      request ${blob} NOT NULL,
      arrived_at bigint NOT NULL,
      due_at bigint NOT NULL,
      due_soon_from bigint NOT NULL,
      status varchar(16) NOT NULL,
      answer_status varchar(16),
      answer_data text,
      answered_by varchar(255),
      answered_at bigint,
      assigned_by varchar(255),
      assigned_at bigint,
      due_soon_at bigint,
      overdue_at bigint
    )`);
    await q.query('CREATE INDEX manual_inbox_open ON manual_inbox (status, due_at)');
    await q.query('CREATE INDEX manual_inbox_department ON manual_inbox (department, arrived_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE manual_inbox');
  }
}
