import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The journal of legs. Written as SQL per driver so that both stores get exactly this schema. */
export class Journal1700000000001 implements MigrationInterface {
  name = 'Journal1700000000001';

  async up(q: QueryRunner): Promise<void> {
    const pg = q.connection.options.type === 'postgres';
    const id = pg ? 'bigserial PRIMARY KEY' : 'integer PRIMARY KEY AUTOINCREMENT';
    const blob = pg ? 'bytea' : 'blob';
    const time = pg ? 'timestamptz' : 'datetime';
    await q.query(`CREATE TABLE journal (
      id ${id},
      exchange_id varchar(36) NOT NULL,
      at ${time} NOT NULL,
      sid varchar(32) NOT NULL,
      operation varchar(200),
      direction varchar(24) NOT NULL,
      revision varchar(16),
      sender varchar(64),
      recipient varchar(64),
      originator varchar(64),
      status varchar(16),
      message_id varchar(64),
      request_id_ref varchar(64),
      origin_request_id_ref varchar(64),
      case_number varchar(200),
      http_status integer,
      fault_code varchar(32),
      duration_ms double precision,
      size integer NOT NULL,
      sha256 varchar(64) NOT NULL,
      raw ${blob} NOT NULL
    )`);
    await q.query('CREATE INDEX journal_at ON journal (at)');
    await q.query('CREATE INDEX journal_sid_at ON journal (sid, at)');
    await q.query('CREATE INDEX journal_exchange ON journal (exchange_id)');
    await q.query('CREATE INDEX journal_message_id ON journal (message_id)');
    await q.query('CREATE INDEX journal_origin ON journal (origin_request_id_ref)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE journal');
  }
}
