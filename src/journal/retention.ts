import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { query, storeTime } from '../store';
import { AttachmentStore } from './attachments';

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 1000;


/**
 * Empty the raw bytes of entries older than `days` and mark them purged. Metadata, sha256 and
 * the hashes stay, so `journal verify` still proves the chain. Returns how many were purged.
 * Works in batches of ids, so a first purge of a large journal does not hold the store long.
 */
export async function purgeRaw(ds: DataSource, days: number, now = new Date()): Promise<number> {
  const cutoff = storeTime(ds, new Date(now.getTime() - days * DAY_MS));
  let total = 0;
  for (;;) {
    const ids = await query<{ id: number }>(ds, `SELECT id FROM journal WHERE at < ? AND purged_at IS NULL ORDER BY id LIMIT ${BATCH}`, [cutoff]);
    if (!ids.length) return total;
    await query(ds, 'UPDATE journal SET raw = ?, search_text = NULL, purged_at = ? WHERE id >= ? AND id <= ? AND at < ? AND purged_at IS NULL',
      [Buffer.alloc(0), now.getTime(), ids[0]!.id, ids[ids.length - 1]!.id, cutoff]);
    total += ids.length;
  }
}

/**
 * Retention's one pass, for the schedule and `journal purge` alike: raw bodies older than `days`,
 * and the stored parts no entry has used since then.
 */
export async function purgeOlderThan(ds: DataSource, days: number, now = new Date(), also: RetainedElsewhere[] = []): Promise<{ bodies: number; parts: number; also: Record<string, number> }> {
  const bodies = await purgeRaw(ds, days, now);
  const parts = await new AttachmentStore(ds).purgeUnusedSince(now.getTime() - days * DAY_MS, now.getTime());
  const counts: Record<string, number> = {};
  for (const a of also) counts[a.name] = await a.purge(now.getTime() - days * DAY_MS);
  return { bodies, parts, also: counts };
}

/** What other owners keep of exchanges (a manual provider's inbox), purged by the same retention: how many went. */
export interface RetainedElsewhere {
  name: string;
  purge(cutoffMs: number): Promise<number>;
}

/** The gateway's retention: a purge at start, then daily. */
export function scheduleRetention(ds: DataSource, days: number, log: Logger, everyMs = DAY_MS, also: RetainedElsewhere[] = []): { stop(): void } {
  const run = async () => {
    try {
      const { bodies, parts, also: others } = await purgeOlderThan(ds, days, new Date(), also);
      log.info({ purged: bodies, attachmentsPurged: parts, ...others, retentionDays: days }, 'journal retention: raw bodies purged');
    } catch (e) {
      log.error({ err: e }, 'journal retention failed');
    }
  };
  const first = setTimeout(() => void run(), 1000);
  const timer = setInterval(() => void run(), everyMs);
  first.unref();
  timer.unref();
  return { stop: () => { clearTimeout(first); clearInterval(timer); } };
}
