import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { query } from '../store';

const idHash = (id: string) => createHash('sha256').update(id).digest('hex');

/**
 * Console sessions in the store (table admin_sessions, migration 0010): a session cookie is
 * honoured only while its row exists, so ending a session here ends it on every worker of
 * `start --workers` and every instance on the same store at once. Rows hold the SHA-256 of the
 * cookie's random id, never the id itself.
 */
export class SessionStore {
  constructor(private readonly ds: DataSource, private readonly clock: () => number = Date.now) {}

  /** A new session (expired rows are cleared on the way). */
  async add(id: string, user: string, fingerprint: string, expires: number): Promise<void> {
    const now = this.clock();
    await query(this.ds, 'DELETE FROM admin_sessions WHERE expires_at <= ?', [now]);
    await query(this.ds, 'INSERT INTO admin_sessions (id, user_name, fingerprint, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [idHash(id), user, fingerprint, now, expires]);
  }

  /** Is this session current: not ended, not expired, begun under this fingerprint of its user? */
  async live(id: string, user: string, fingerprint: string): Promise<boolean> {
    const rows = await query(this.ds, 'SELECT user_name, fingerprint FROM admin_sessions WHERE id = ? AND expires_at > ?', [idHash(id), this.clock()]);
    const r = rows[0];
    return !!r && r.user_name === user && r.fingerprint === fingerprint;
  }

  /** Logout. */
  async end(id: string): Promise<void> {
    await query(this.ds, 'DELETE FROM admin_sessions WHERE id = ?', [idHash(id)]);
  }

  /**
   * End the sessions of users who are gone from the users file or whose password or role changed
   * (their fingerprint is not the current one). Returns how many ended.
   */
  async endChanged(current: Map<string, string>): Promise<number> {
    const rows = await query<{ id: string; user_name: string; fingerprint: string }>(this.ds, 'SELECT id, user_name, fingerprint FROM admin_sessions');
    const stale = rows.filter((r) => current.get(r.user_name) !== r.fingerprint).map((r) => r.id);
    for (const id of stale) await query(this.ds, 'DELETE FROM admin_sessions WHERE id = ?', [id]);
    return stale.length;
  }
}
