import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | undefined;

/** A full garbage collection (node's --expose-gc, switched on for this call's context only). */
export function collectGarbage(): void {
  try {
    if (!gc) {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
    gc();
  } catch {
    // not available on this runtime: the memory is collected when V8 next decides to
  }
}

/**
 * What a large message leaves behind between two stages, given back before the next stage makes
 * more. A 13 MB inline document is read from 64 KiB socket chunks, its ZIP decoded and inflated to
 * be judged, its forwarded copy made and journaled in 1 MiB chunks: each step's buffers are
 * garbage once the step is done, but they live outside V8's heap, and a heap as small as the
 * gateway's does not call for a collection until about 64 MiB of such memory has piled up. So,
 * for an exchange whose body is at least `largeBytes`, the pipeline asks here between stages
 * (compose's `between`), and one collection runs when the process's resident memory has grown
 * by more than `budgetBytes` since the last one (SMEV2_LARGE_GARBAGE_BYTES, default 8 MiB): the
 * memory a large message costs is then about its live copies plus the budget, not the sum of
 * every copy it ever made (bench/README.md, "An inline AppDocument"). Small exchanges never pay.
 *
 * Resident memory, not V8's `external_memory`: V8 frees a collected buffer's memory at once but
 * lowers that counter only at its next collection, so after ours it still counts what was freed.
 */
export class GarbageBudget {
  private base = process.memoryUsage.rss();
  /** collections made, for the bench's and the tests' eyes */
  collections = 0;

  private idle?: NodeJS.Timeout;

  /** `idleMs`: one more collection once no large exchange has ended for this long (SMEV2_LARGE_WORKER_IDLE_MS), for what the budget left below its threshold */
  constructor(private readonly o: { largeBytes: number; budgetBytes: number; idleMs?: number }) {}

  /** A body of this length is about to be read: the copies of the messages before it are given back first. */
  arriving(bodyBytes: number): void {
    this.between(bodyBytes);
  }

  /**
   * An exchange's answer has gone: its body, forwarded copy and answer are garbage once the
   * handler's frame is left, so one collection runs on the next turn of the event loop, whatever
   * the budget says, before a next large message is read on top of them. (Measured: with the
   * budget's check here instead, five messages in turn grew RSS by 5.8× the document against
   * 3.6× for one, as a next body often came before the budget was passed; collecting each time,
   * 4.0–4.2×. One full collection of the gateway's small heap per large exchange is a few ms.)
   */
  settled(bodyBytes: number): void {
    if (this.o.budgetBytes <= 0 || bodyBytes < this.o.largeBytes) return;
    setImmediate(() => this.collect());
    if (this.o.idleMs === undefined) return;
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      collectGarbage();
      this.base = process.memoryUsage.rss();
    }, this.o.idleMs).unref();
  }

  private collect(): void {
    collectGarbage();
    this.collections++;
    this.base = process.memoryUsage.rss();
  }

  /**
   * A large body the exchange held became garbage mid-way (its inline text went to the spool,
   * xml/elide.ts): given back now, not once the budget is passed again by what comes next.
   */
  letGo(bodyBytes: number): void {
    if (this.o.budgetBytes <= 0 || bodyBytes < this.o.largeBytes) return;
    this.collect();
  }

  /** Between two stages of an exchange whose body is `bodyBytes` long. */
  between(bodyBytes: number): void {
    if (this.o.budgetBytes <= 0 || bodyBytes < this.o.largeBytes) return;
    const rss = process.memoryUsage.rss();
    if (rss < this.base) this.base = rss; // V8 collected on its own since, or memory was given back
    if (rss - this.base <= this.o.budgetBytes) return;
    collectGarbage();
    this.collections++;
    this.base = process.memoryUsage.rss();
  }
}
