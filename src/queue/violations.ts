import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { query } from '../store';
import type { EventData, Events } from './events';
import type { NewItem, OutboxRow } from './outbox';

export interface ViolationRate {
  /** this many failures of one kind of one SID in one window make a violation (0: never) */
  failures: number;
  windowMs: number;
}

/** The start of the fixed window `at` falls in: what every process and instance agrees on. */
export const windowOf = (at: number, windowMs: number) => Math.floor(at / windowMs) * windowMs;

/**
 * Operators' violations (event `violation`, mailed to the operators, docs/cabinet.md "E-mail"):
 * signature and control failures past a rate. Each failure is counted in the store (table
 * violation_counts, per kind, SID and fixed window), so every process and instance adds to one
 * count; the failure whose count reaches the limit queues the violation, under an id named for the
 * kind, SID and window: one violation per SID and window however many failures follow, and
 * however many processes see them.
 */
export class Violations {
  private pruned = 0;

  constructor(private readonly ds: DataSource, private readonly events: Events, private readonly rate: ViolationRate, private readonly log: Logger, private readonly clock: () => number = Date.now) {}

  /** One more failure of `what` of `sid`; a violation when it reaches the limit. Never throws (logged). */
  async failure(what: 'signature' | 'control', sid: string, reason?: string): Promise<void> {
    if (!this.rate.failures) return;
    const window = windowOf(this.clock(), this.rate.windowMs);
    try {
      const [r] = await query<{ n: number | string }>(this.ds,
        `INSERT INTO violation_counts (what, sid, window_start, n) VALUES (?, ?, ?, 1)
         ON CONFLICT (what, sid, window_start) DO UPDATE SET n = violation_counts.n + 1 RETURNING n`, [what, sid, window]);
      if (Number(r?.n) === this.rate.failures) {
        const minutes = Math.round(this.rate.windowMs / 60_000);
        await this.events.emit('violation', {
          sid, what: `${what}-failures`, count: this.rate.failures, windowMinutes: minutes, since: new Date(window).toISOString(),
          detail: `${this.rate.failures} ${what === 'signature' ? 'signature' : 'format-logical control'} failures of ${sid} since ${new Date(window).toISOString()} (the limit: ${this.rate.failures} in ${minutes} min)`,
          ...(reason ? { reason } : {}),
        }, `${what}-failures/${sid}/${window}`);
      }
      if (this.pruned < window) {
        this.pruned = window;
        await query(this.ds, 'DELETE FROM violation_counts WHERE window_start < ?', [window - this.rate.windowMs]);
      }
    } catch (e) {
      this.log.error({ err: e, what, sid }, 'could not count a failure for the operators\' violations');
    }
  }
}

/**
 * The violation a dead letter sets off, queued with the verdict (Outbox.failed): one per SID (or
 * kind, for an item of no SID) and window, however many items die in it. None for a mail or a
 * `violation` event that died: telling of it the same way could only die again, a storm.
 */
export function deadLetterViolation(events: Events, item: OutboxRow, reason: string, windowMs: number, now = Date.now()): NewItem[] {
  if (item.kind === 'mail') return [];
  if (item.kind === 'event' && eventType(item) === 'violation') return [];
  const window = windowOf(now, windowMs);
  const data: EventData = {
    sid: item.sid ?? '', what: 'dead-letter', item: item.id, kind: item.kind, reason,
    detail: `${item.kind} ${item.id}${item.sid ? ` of ${item.sid}` : ''}${item.target ? ` to ${item.target}` : ''} is a dead letter after ${item.attempts + 1} attempt(s): ${reason}`,
  };
  return events.items('violation', data, `dead-letter/${item.sid ?? item.kind}/${window}`);
}

function eventType(item: OutboxRow): string | undefined {
  try {
    return (JSON.parse(item.payload.toString('utf8')) as { type?: string }).type;
  } catch {
    return undefined;
  }
}
