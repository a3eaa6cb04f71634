import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Guaranteed delivery: the outbox of messages to deliver (to providers, consumer callbacks and
 * subscribers) with their retry state; chains in the journal; provider availability checks.
 * Times are epoch milliseconds (bigint), portable across SQLite and PostgreSQL.
 */
export class OutboxChains1700000000004 implements MigrationInterface {
  name = 'OutboxChains1700000000004';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const blob = pg ? 'bytea' : 'blob';
    await q.query('ALTER TABLE journal ADD COLUMN chain_id varchar(64)');
    await q.query('CREATE INDEX journal_chain ON journal (chain_id)');
    await q.query(`CREATE TABLE outbox (
      id varchar(64) PRIMARY KEY,
      kind varchar(16) NOT NULL,
      sid varchar(32),
      operation varchar(200),
      consumer varchar(64),
      status varchar(16) NOT NULL,
      attempts integer NOT NULL DEFAULT 0,
      max_attempts integer NOT NULL,
      created_at bigint NOT NULL,
      expires_at bigint NOT NULL,
      next_at bigint NOT NULL,
      lease_until bigint,
      updated_at bigint NOT NULL,
      target varchar(1000),
      payload ${blob} NOT NULL,
      answer ${blob},
      answer_status varchar(16),
      polls integer NOT NULL DEFAULT 0,
      last_error varchar(1000)
    )`);
    await q.query('CREATE INDEX outbox_due ON outbox (status, next_at)');
    await q.query(`CREATE TABLE availability (
      id ${pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT'},
      sid varchar(32) NOT NULL,
      at bigint NOT NULL,
      up ${pg ? 'boolean' : 'integer'} NOT NULL,
      latency_ms double precision,
      detail varchar(400)
    )`);
    await q.query('CREATE INDEX availability_sid_at ON availability (sid, at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE availability');
    await q.query('DROP TABLE outbox');
    await q.query('DROP INDEX journal_chain');
  }
}
