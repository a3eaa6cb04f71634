import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The replay guard in the store (src/control/replay.ts): what consumers sent (a MessageId, a
 * signature value) is remembered here for the replay window, so that the same message is refused
 * by whichever process or instance it reaches (start --workers, N instances on PostgreSQL).
 * `key` is the SHA-256 of what is remembered, so its length does not depend on the input; the
 * primary key is what makes two processes that see one message at once agree on who saw it first.
 * Times are epoch milliseconds, like the outbox's.
 */
export class ReplayGuard1700000000007 implements MigrationInterface {
  name = 'ReplayGuard1700000000007';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE replay_guard (
      key char(64) PRIMARY KEY,
      seen_at bigint NOT NULL,
      expires_at bigint NOT NULL
    )`);
    await q.query('CREATE INDEX replay_guard_expires ON replay_guard (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE replay_guard');
  }
}
