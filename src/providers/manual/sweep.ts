import type { Logger } from 'pino';
import type { Events } from '../../queue/events';
import type { Outbox } from '../../queue/outbox';
import type { Inbox } from './inbox';

const KINDS = [['due-soon', 'request-due-soon'], ['overdue', 'request-overdue']] as const;

/**
 * One sweep of the inbox: each open request that became due soon or overdue gets its event
 * queued, then its flag set. Any instance may sweep at any time: the event's id is named after
 * its ticket (queued once, src/queue/events.ts), and the flag is set by a compare-and-set, so an
 * instance that dies between the two leaves the event queued and the next sweep sets the flag.
 */
export async function sweepInbox(inbox: Inbox, events: Events, outbox: Outbox, now = Date.now()): Promise<{ dueSoon: number; overdue: number }> {
  const n = { dueSoon: 0, overdue: 0 };
  for (const [kind, type] of KINDS) {
    for (const it of await inbox.unflagged(kind, now)) {
      const items = events.items(type, { sid: it.sid, ticket: it.ticket, consumer: it.consumer ?? undefined, department: it.department, due: new Date(it.dueAt).toISOString(),
        operation: it.operation, ...(it.assignee ? { assignee: it.assignee } : {}), ...(it.queue ? { queue: it.queue } : {}) }, it.ticket);
      await outbox.add(items, { ifAbsent: true });
      if (await inbox.flag(kind, it.ticket, now)) n[kind === 'due-soon' ? 'dueSoon' : 'overdue']++;
    }
  }
  return n;
}

/** Sweep every `intervalMs` (one sweep at a time in this process); a failed sweep is logged and tried again. */
export function scheduleInboxSweep(inbox: Inbox, events: Events, outbox: Outbox, intervalMs: number, log: Logger): { stop(): void } {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepInbox(inbox, events, outbox)
      .then((n) => { if (n.dueSoon || n.overdue) log.info(n, 'inbox: requests flagged due soon or overdue'); })
      .catch((err: Error) => log.error({ err }, 'inbox sweep failed'))
      .finally(() => { running = false; });
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
