/**
 * Remembers what consumers sent (their MessageIds, the values of their signatures) for a window
 * of time, to refuse the same message twice. Bounded: the oldest entries go first.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs: number, private readonly maxEntries = 200_000) {}

  /** The first key already seen within the window (with when), else remember them all. */
  check(keys: string[], now: number): { key: string; at: Date } | undefined {
    for (const k of keys) {
      const at = this.seen.get(k);
      if (at !== undefined && now - at <= this.windowMs) return { key: k, at: new Date(at) };
    }
    for (const k of keys) {
      this.seen.delete(k);
      this.seen.set(k, now);
    }
    while (this.seen.size > this.maxEntries) this.seen.delete(this.seen.keys().next().value!);
    // drop what fell out of the window from the oldest end
    for (const [k, at] of this.seen) {
      if (now - at <= this.windowMs) break;
      this.seen.delete(k);
    }
    return undefined;
  }
}
