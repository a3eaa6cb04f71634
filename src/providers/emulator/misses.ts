import type { NearMiss } from './match';

/** How many misses a SID's emulator keeps (per process), newest first. */
export const KEPT_MISSES = 50;
/** How many near misses a miss names, in its INVALID answer and here. */
export const NAMED_NEAR_MISSES = 3;

/** A request no case matched, as GET /admin/emulator/{sid}/misses shows it. */
export interface Miss {
  at: string;
  operation: string;
  /** the MessageId the node stamped on the request (its journal entries carry it) */
  messageId: string;
  /** the INVALID answer's text */
  text: string;
  nearMisses: { case: string; met: number; of: number; priority: number; path: string; expected: string; actual: string | null }[];
}

/**
 * The last misses of one SID's emulator, in this process's memory: kept while the registry is
 * loaded (a reload starts afresh, its cases may be others), not shared between the processes of
 * `start --workers` or instances: each answers with the misses it saw.
 */
export class Misses {
  private readonly kept: Miss[] = [];

  add(operation: string, messageId: string, text: string, near: NearMiss[], at = new Date()): void {
    this.kept.unshift({
      at: at.toISOString(), operation, messageId, text,
      nearMisses: near.slice(0, NAMED_NEAR_MISSES).map((n) => ({ case: n.case.name, met: n.met, of: n.of, priority: n.case.priority, path: n.path, expected: n.expected, actual: n.actual ?? null })),
    });
    this.kept.length = Math.min(this.kept.length, KEPT_MISSES);
  }

  list(): Miss[] {
    return [...this.kept];
  }
}

/** The INVALID answer's text for a miss: the closest cases ranked, each with where it differed. */
export function missText(operation: string, near: NearMiss[]): string {
  if (!near.length) return `no emulated answer is defined for operation ${operation}`;
  const one = (n: NearMiss) => `"${n.case.name}" differs at ${n.path}: expected "${n.expected}", got ${n.actual === undefined ? 'nothing' : `"${n.actual}"`} (${n.met} of ${n.of} conditions met)`;
  const [first, ...rest] = near.slice(0, NAMED_NEAR_MISSES);
  return `no emulated answer matches; closest case ${one(first!)}${rest.map((n, i) => `; ${i + 2}. ${one(n)}`).join('')}`;
}
