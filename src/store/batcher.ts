/**
 * Work for the store that arrives while a round trip is under way is done together in the next
 * one: under load one statement or commit carries many callers, and each waits only for its own
 * answer. `settle` gets the items in arrival order and answers each, in that order; if it throws,
 * every caller of that batch gets the error. Used by the journal (one commit for many legs) and
 * the replay guard (one read and one write for many checks).
 */
export class Batcher<I, O> {
  private queue: { item: I; resolve: (o: O) => void; reject: (e: Error) => void }[] = [];
  private flushing: Promise<void> | undefined;

  constructor(private readonly settle: (items: I[]) => Promise<O[]>) {}

  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.flushing ??= this.flushLoop();
    });
  }

  /** Wait for everything queued so far (at shutdown). */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private async flushLoop(): Promise<void> {
    try {
      while (this.queue.length) {
        // one turn of the event loop: what else arrives in it joins this batch
        await new Promise<void>((r) => setImmediate(r));
        const batch = this.queue;
        this.queue = [];
        try {
          const answers = await this.settle(batch.map((b) => b.item));
          batch.forEach((b, i) => b.resolve(answers[i]!));
        } catch (e) {
          for (const b of batch) b.reject(e as Error);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }
}
