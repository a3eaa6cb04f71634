import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Batcher, query } from '../store';

export interface Replayed {
  /** what was seen before, as the control stage names it (`MessageId …`, `the signed request …`) */
  key: string;
  /** when it was first seen */
  at: Date;
}

interface Check {
  keys: string[];
  now: number;
}

/** Keys per statement: well under SQLite's and PostgreSQL's limits on parameters. */
const CHUNK = 300;
/** How often what fell out of the window is deleted. */
const PURGE_EVERY_MS = 60_000;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Remembers what consumers sent (their MessageIds, the values of their signatures) for a window
 * of time, to refuse the same message twice. The memory is the store's table `replay_guard`
 * (migration 0007), so it holds across the processes of `start --workers` and across instances
 * on one PostgreSQL: a message replayed to another process is refused there too. Two processes
 * that see one message at the same moment agree through the table's primary key: one inserts
 * it, the other finds it there.
 *
 * Checks that arrive together are answered together, in arrival order, with one read and one
 * write to the store (on SQLite one commit for the lot, as the journal batches its legs).
 */
export class ReplayGuard {
  private readonly batches = new Batcher<Check, Replayed | undefined>((batch) => this.settleAndPurge(batch));
  private lastPurge = 0;

  constructor(private readonly ds: DataSource, private readonly windowMs: number) {}

  /** The first key already seen within the window (with when), else remember them all. */
  check(keys: string[], now: number): Promise<Replayed | undefined> {
    if (!keys.length) return Promise.resolve(undefined);
    return this.batches.add({ keys, now });
  }

  /** Wait for the checks under way (at shutdown). */
  drain(): Promise<void> {
    return this.batches.drain();
  }

  private async settleAndPurge(batch: Check[]): Promise<(Replayed | undefined)[]> {
    const answers = await this.settle(batch);
    const now = Math.max(...batch.map((c) => c.now));
    if (now - this.lastPurge >= PURGE_EVERY_MS) {
      this.lastPurge = now;
      await query(this.ds, 'DELETE FROM replay_guard WHERE expires_at < ?', [now]).catch(() => undefined);
    }
    return answers;
  }

  private async settle(batch: Check[]): Promise<(Replayed | undefined)[]> {
    const hashed = batch.map((c) => c.keys.map((k) => ({ key: k, hash: digest(k) })));
    // 1. what the store already holds within the window
    const held = new Map<string, number>();
    const all = [...new Set(hashed.flat().map((k) => k.hash))];
    for (let i = 0; i < all.length; i += CHUNK) {
      const part = all.slice(i, i + CHUNK);
      const now = Math.min(...batch.map((c) => c.now));
      const rows = await query<{ key: string; seen_at: number | string }>(this.ds,
        `SELECT key, seen_at FROM replay_guard WHERE key IN (${part.map(() => '?').join(', ')}) AND expires_at >= ?`, [...part, now]);
      for (const r of rows) held.set(r.key.trim(), Number(r.seen_at));
    }
    // 2. in arrival order: seen before (in the store or earlier in this batch), or to be remembered
    const answers: (Replayed | undefined)[] = [];
    const claims = new Map<string, { check: number; now: number }>();
    hashed.forEach((keys, i) => {
      const c = batch[i]!;
      const seen = keys.find((k) => held.has(k.hash) || claims.has(k.hash));
      if (seen) {
        answers.push({ key: seen.key, at: new Date(held.get(seen.hash) ?? claims.get(seen.hash)!.now) });
        return;
      }
      answers.push(undefined);
      for (const k of keys) claims.set(k.hash, { check: i, now: c.now });
    });
    // 3. remember; a key another process remembered meanwhile comes back not taken: a replay
    const entries = [...claims.entries()];
    for (let i = 0; i < entries.length; i += CHUNK) {
      const part = entries.slice(i, i + CHUNK);
      const taken = await query<{ key: string }>(this.ds,
        `INSERT INTO replay_guard (key, seen_at, expires_at) VALUES ${part.map(() => '(?, ?, ?)').join(', ')}
         ON CONFLICT (key) DO UPDATE SET seen_at = excluded.seen_at, expires_at = excluded.expires_at
         WHERE replay_guard.expires_at < excluded.seen_at
         RETURNING key`,
        part.flatMap(([hash, c]) => [hash, c.now, c.now + this.windowMs]));
      const got = new Set(taken.map((r) => r.key.trim()));
      for (const [hash, c] of part) {
        if (got.has(hash) || answers[c.check]) continue;
        const k = hashed[c.check]!.find((x) => x.hash === hash)!;
        answers[c.check] = { key: k.key, at: new Date(c.now) };
      }
    }
    return answers;
  }
}
