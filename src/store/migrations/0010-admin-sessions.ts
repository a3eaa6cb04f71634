import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Console sessions in the store (src/admin/sessions.ts), so that a logout, a password change and
 * a role change end a session on every worker and instance at once: a session cookie is accepted
 * only while its row is here. `id` is the SHA-256 of the random id the cookie carries (the store
 * never holds what would let a reader present the cookie); `fingerprint` is that of the user's
 * password hash and role when the session began (a reload of the users file deletes the rows
 * whose user changed). Times are epoch milliseconds.
 */
export class AdminSessions1700000000010 implements MigrationInterface {
  name = 'AdminSessions1700000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE admin_sessions (
      id char(64) PRIMARY KEY,
      user_name varchar(64) NOT NULL,
      fingerprint varchar(64) NOT NULL,
      created_at bigint NOT NULL,
      expires_at bigint NOT NULL
    )`);
    await q.query('CREATE INDEX admin_sessions_user ON admin_sessions (user_name)');
    await q.query('CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE admin_sessions');
  }
}
