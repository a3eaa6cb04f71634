import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Temporary files of the exchanges in work: each message's spooled parts live in the spool
 * directory until its exchange ends (release). Files left by a process that died are removed
 * at the next start (sweep).
 */
export class Spool {
  private readonly files = new Set<string>();

  constructor(readonly dir: string) {}

  file(): string {
    mkdirSync(this.dir, { recursive: true });
    const p = join(this.dir, `${randomUUID()}.part`);
    this.files.add(p);
    return p;
  }

  /** Let go of every file made here (the exchange is over). */
  async release(): Promise<void> {
    const files = [...this.files];
    this.files.clear();
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

/** Remove spool files older than `olderThanMs` (a process that died left them). */
export function sweepSpool(dir: string, olderThanMs: number, now = Date.now()): number {
  let n = 0;
  try {
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.part')) continue;
      const p = join(dir, f);
      try {
        if (now - statSync(p).mtimeMs > olderThanMs) {
          rmSync(p, { force: true });
          n++;
        }
      } catch { /* gone meanwhile */ }
    }
  } catch { /* no spool yet */ }
  return n;
}

/**
 * Spool files older than this belong to no exchange in work: no exchange holds a part for hours
 * (a 1 GiB part takes minutes), whichever process or instance on this host spooled it.
 */
export const SPOOL_ORPHAN_AGE_MS = 6 * 3600 * 1000;

/** Sweep the spool at start and then hourly (one process per host does: the monitors' role). */
export function scheduleSpoolSweep(dir: string, onSwept: (n: number) => void): { stop(): void } {
  const run = () => {
    const n = sweepSpool(dir, SPOOL_ORPHAN_AGE_MS);
    if (n) onSwept(n);
  };
  run();
  const timer = setInterval(run, 3600 * 1000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
