import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The requests people composed in the console or through POST /admin/compose/send (issue 18,
 * "my requests"; src/admin/compose/requests.ts): who sent it (the user and their department),
 * what (SID, operation, the system it was signed as, its smev:Status), when, and where to find it
 * (the journal's exchange, the node's MessageId, the guaranteed-delivery ticket); for a direct
 * SID the answer as it came back (its smev:Status or fault code, its text). `notified_at`: when
 * `answer-arrived` was queued for it (once; a requester's requests only, `role`). Times are epoch milliseconds.
 */
export class ComposedRequests1700000000016 implements MigrationInterface {
  name = 'ComposedRequests1700000000016';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE composed_requests (
      id varchar(36) PRIMARY KEY,
      user_name varchar(64) NOT NULL,
      role varchar(16) NOT NULL,
      department varchar(64),
      sid varchar(64) NOT NULL,
      operation varchar(255),
      system varchar(64),
      sent_status varchar(16) NOT NULL,
      delivery varchar(16) NOT NULL,
      exchange_id varchar(128),
      message_id varchar(128),
      ticket varchar(128),
      http_status integer NOT NULL,
      answer_status varchar(32),
      fault_code varchar(64),
      answer text,
      created_at bigint NOT NULL,
      notified_at bigint
    )`);
    await q.query('CREATE INDEX composed_requests_user ON composed_requests (user_name, created_at)');
    await q.query('CREATE INDEX composed_requests_waiting ON composed_requests (notified_at, delivery)');
    await q.query('CREATE INDEX composed_requests_ticket ON composed_requests (ticket)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE composed_requests');
  }
}
