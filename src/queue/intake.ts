import type { Outbox } from './outbox';

/**
 * Flow control between guaranteed delivery's intake and its worker. The intake (the queue stage:
 * store, answer ACCEPT) and the delivery worker share the process's cores; under load the intake
 * can accept faster than the worker delivers, and the outbox's due backlog then grows for as long
 * as the load lasts: memory and disk set by what clients send, and delivery ever further behind.
 * So a request for guaranteed delivery is taken only while fewer than `maxDue` outbox items are due
 * and unclaimed (SMEV2_OUTBOX_MAX_DUE); past it the request waits for room, up to `waitMs`
 * (SMEV2_OUTBOX_ADMIT_WAIT_MS), and is then refused with GW-9003 and a Retry-After. The worker
 * keeps up with what is accepted, and the backlog stays within the bound.
 *
 * The count is the store's (every process and instance delivers from one outbox), read at most
 * once per `pollMs` and shared by the requests waiting; each request let in counts itself until
 * the next read, so a burst between two reads cannot overshoot the bound in one process (several
 * processes may, each by what it lets in before its next read: at most 50 ms of intake each).
 */
export class IntakeGate {
  private due = 0;
  private readAt = -Infinity;
  private reading?: Promise<void>;

  constructor(private readonly outbox: Outbox, private readonly o: { maxDue: number; waitMs: number; pollMs?: number }, private readonly clock: () => number = Date.now) {}

  /** Wait for room (`waiting` is told once, when the request has to wait); `admitted: false` when the backlog stayed at the bound for `waitMs`. */
  async admit(waiting?: (due: number) => void): Promise<{ admitted: boolean; due: number; waitedMs: number }> {
    if (this.o.maxDue <= 0) return { admitted: true, due: 0, waitedMs: 0 };
    const start = this.clock();
    for (;;) {
      await this.fresh();
      const waitedMs = this.clock() - start;
      if (this.due < this.o.maxDue) {
        this.due++;
        return { admitted: true, due: this.due, waitedMs };
      }
      if (waitedMs >= this.o.waitMs) return { admitted: false, due: this.due, waitedMs };
      if (waiting) {
        waiting(this.due);
        waiting = undefined;
      }
      await new Promise((r) => setTimeout(r, Math.min(this.pollMs, this.o.waitMs - waitedMs)));
    }
  }

  private get pollMs(): number {
    return this.o.pollMs ?? 50;
  }

  /** The due count, read again when older than pollMs (one read for every waiter). */
  private fresh(): Promise<void> {
    if (this.clock() - this.readAt < this.pollMs) return Promise.resolve();
    this.reading ??= this.outbox.dueCount().then((n) => {
      this.due = n;
      this.readAt = this.clock();
    }).finally(() => { this.reading = undefined; });
    return this.reading;
  }
}
