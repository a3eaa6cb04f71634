import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { query } from '../../store';
import type { Behaviour } from './cases';

/** A chain as a PING finds it: the REQUEST that opened it and the case that answers it. */
export interface ChainRef {
  /** the node MessageId of the REQUEST that opened the chain (upper case) */
  origin: string;
  caseName: string;
}

/** What a poll of a chain gets: PROCESS (counted), or the case's answer (ready). */
export type PollOutcome = 'process' | 'ready';

/** The longest name of a chain the table keeps (ids and tickets are far shorter). */
const MAX_KEY = 255;
/** How often what has expired is deleted, per process (more often when the TTL is shorter). */
const PURGE_EVERY_MS = 60_000;

/**
 * The emulated providers' memory, in the store's tables `emulator_chains` and `emulator_scripts`
 * (migration 0011), so that every process of `start --workers` and every instance on one store
 * answers any leg of a chain alike: the PING for a chain another process accepted finds it, and
 * PROCESS answers and a case's scripted failures are counted once for all of them.
 *
 * Each change is one statement whose outcome the store decides: a chain opens with one upsert of
 * all its names; a poll is counted by `UPDATE … WHERE polls < N … RETURNING`, so of two processes
 * polling one chain at once exactly as many get PROCESS as the case says; a scripted call is
 * counted by `INSERT … ON CONFLICT DO UPDATE … RETURNING`. Rows live `ttlMs` (chains from the
 * REQUEST, script counters from their last call; SMEV2_EMULATOR_CHAIN_TTL_S), are not used once
 * past it, and are purged by whichever process opens a chain, at most once a minute (once a TTL
 * when that is shorter).
 *
 * Synchronous exchanges never come here, except a case whose `behaviour:` fails for its first N
 * calls or for some seconds (its counter).
 */
export class EmulatorState {
  private lastPurge = 0;

  constructor(private readonly ds: DataSource, readonly ttlMs: number) {}

  /**
   * Open a chain: remember it under its origin and under the tickets of the case's accept.xml
   * (each ticket then names this chain, the latest of its case). A chain opened again under the
   * same origin (a message delivered twice) starts over.
   */
  async open(sid: string, origin: string, caseName: string, tickets: string[], now: number): Promise<void> {
    const o = origin.toUpperCase();
    if (o.length > MAX_KEY) throw new Error(`emulator of ${sid}: the MessageId "${o.slice(0, 80)}…" is longer than ${MAX_KEY} characters`);
    const keys = [...new Set([o, ...tickets.map((t) => t.toUpperCase()).filter((t) => t.length <= MAX_KEY)])].sort();
    const expires = now + this.ttlMs;
    await query(this.ds,
      `INSERT INTO emulator_chains (sid, key, origin, case_name, created_at, polls, expires_at) VALUES ${keys.map(() => '(?, ?, ?, ?, ?, 0, ?)').join(', ')}
       ON CONFLICT (sid, key) DO UPDATE SET origin = excluded.origin, case_name = excluded.case_name,
         created_at = excluded.created_at, polls = 0, expires_at = excluded.expires_at`,
      keys.flatMap((k) => [sid, k, o, caseName, now, expires]));
    await this.purgeNowAndThen(now);
  }

  /** The chain the first of `keys` that names one names (keys in order of preference), if any is alive. */
  async find(sid: string, keys: string[], now: number): Promise<ChainRef | undefined> {
    const wanted = [...new Set(keys.map((k) => k.toUpperCase()).filter((k) => k && k.length <= MAX_KEY))];
    if (!wanted.length) return undefined;
    const rows = await query<{ key: string; origin: string; case_name: string }>(this.ds,
      `SELECT key, origin, case_name FROM emulator_chains WHERE sid = ? AND key IN (${wanted.map(() => '?').join(', ')}) AND expires_at >= ?`,
      [sid, ...wanted, now]);
    const byKey = new Map(rows.map((r) => [r.key, r]));
    const hit = wanted.map((k) => byKey.get(k)).find((r) => r !== undefined);
    return hit ? { origin: hit.origin, caseName: hit.case_name } : undefined;
  }

  /**
   * A PING on a chain: PROCESS while fewer than `processPolls` PROCESS answers were given or
   * `processSeconds` have not passed since the REQUEST (the answer counted, atomically), else ready.
   */
  async poll(sid: string, origin: string, processPolls: number, processSeconds: number, now: number): Promise<PollOutcome> {
    const counted = await query(this.ds,
      `UPDATE emulator_chains SET polls = polls + 1
       WHERE sid = ? AND key = ? AND expires_at >= ? AND (polls < ? OR created_at > ?)
       RETURNING polls`,
      [sid, origin, now, processPolls, now - processSeconds * 1000]);
    return counted.length ? 'process' : 'ready';
  }

  /**
   * Count a call of a case with a scripted failure; returns how many calls (this one included)
   * and since when. A counter idle for the TTL, or of an edited behaviour, starts from one.
   */
  async scriptCall(sid: string, caseName: string, behaviour: Behaviour, now: number): Promise<{ calls: number; since: number }> {
    const [r] = await query<{ calls: number | string; since: number | string }>(this.ds,
      `INSERT INTO emulator_scripts (sid, case_name, fingerprint, calls, since, expires_at) VALUES (?, ?, ?, 1, ?, ?)
       ON CONFLICT (sid, case_name, fingerprint) DO UPDATE SET
         calls = CASE WHEN emulator_scripts.expires_at < excluded.since THEN 1 ELSE emulator_scripts.calls + 1 END,
         since = CASE WHEN emulator_scripts.expires_at < excluded.since THEN excluded.since ELSE emulator_scripts.since END,
         expires_at = excluded.expires_at
       RETURNING calls, since`,
      [sid, caseName, fingerprint(behaviour), now, now + this.ttlMs]);
    return { calls: Number(r!.calls), since: Number(r!.since) };
  }

  /**
   * The next value of a SID's named counter (1 at its first call), in one
   * `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement the store settles, so processes and
   * instances sharing the store count one sequence together and no number is handed out twice:
   * a `sequence` dispatch's position (`dispatch:<operation>`), a template's `{{seq "name"}}`
   * (`seq:<name>`). Counters are kept until reset.
   */
  async nextCount(sid: string, name: string, now: number): Promise<number> {
    const [r] = await query<{ value: number | string }>(this.ds,
      `INSERT INTO emulator_counters (sid, name, value, updated_at) VALUES (?, ?, 1, ?)
       ON CONFLICT (sid, name) DO UPDATE SET value = emulator_counters.value + 1, updated_at = excluded.updated_at
       RETURNING value`,
      [sid, name, now]);
    return Number(r!.value);
  }

  /** The states of a SID's scenarios that have moved (one not listed is in its initial state, Started). */
  async scenarioStates(sid: string): Promise<Map<string, string>> {
    const rows = await query<{ scenario: string; state: string }>(this.ds, 'SELECT scenario, state FROM emulator_scenarios WHERE sid = ?', [sid]);
    return new Map(rows.map((r) => [r.scenario, r.state]));
  }

  /** Move a scenario to a state (the last case to answer decides, as in WireMock). */
  async setScenario(sid: string, scenario: string, state: string, now: number): Promise<void> {
    await query(this.ds,
      `INSERT INTO emulator_scenarios (sid, scenario, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (sid, scenario) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
      [sid, scenario, state, now]);
  }

  /** What a SID's emulator remembers beyond its chains: its counters and the scenarios that moved. */
  async snapshot(sid: string): Promise<{ counters: { name: string; value: number; updatedAt: number }[]; scenarios: { name: string; state: string; updatedAt: number }[] }> {
    const counters = await query<{ name: string; value: number | string; updated_at: number | string }>(this.ds,
      'SELECT name, value, updated_at FROM emulator_counters WHERE sid = ? ORDER BY name', [sid]);
    const scenarios = await query<{ scenario: string; state: string; updated_at: number | string }>(this.ds,
      'SELECT scenario, state, updated_at FROM emulator_scenarios WHERE sid = ? ORDER BY scenario', [sid]);
    return {
      counters: counters.map((r) => ({ name: r.name, value: Number(r.value), updatedAt: Number(r.updated_at) })),
      scenarios: scenarios.map((r) => ({ name: r.scenario, state: r.state, updatedAt: Number(r.updated_at) })),
    };
  }

  /**
   * Start a SID's emulator over (every SID's: none given): its counters, scenario states,
   * asynchronous chains and scripted behaviours' counters are deleted. Returns how many rows of each.
   */
  async reset(sid?: string): Promise<Record<'counters' | 'scenarios' | 'chains' | 'scripts', number>> {
    const out = { counters: 0, scenarios: 0, chains: 0, scripts: 0 };
    const where = sid === undefined ? '' : ' WHERE sid = ?';
    const params = sid === undefined ? [] : [sid];
    for (const [key, table] of [['counters', 'emulator_counters'], ['scenarios', 'emulator_scenarios'], ['chains', 'emulator_chains'], ['scripts', 'emulator_scripts']] as const) {
      out[key] = (await query(this.ds, `DELETE FROM ${table}${where} RETURNING sid`, params)).length;
    }
    return out;
  }

  /** Put one scenario back in its initial state (Started); true when it had moved. */
  async resetScenario(sid: string, scenario: string): Promise<boolean> {
    return (await query(this.ds, 'DELETE FROM emulator_scenarios WHERE sid = ? AND scenario = ? RETURNING sid', [sid, scenario])).length > 0;
  }

  /** Delete the chains and script counters past their time. */
  async purge(now: number): Promise<void> {
    await query(this.ds, 'DELETE FROM emulator_chains WHERE expires_at < ?', [now]);
    await query(this.ds, 'DELETE FROM emulator_scripts WHERE expires_at < ?', [now]);
  }

  private async purgeNowAndThen(now: number): Promise<void> {
    if (now - this.lastPurge < Math.min(PURGE_EVERY_MS, this.ttlMs)) return;
    this.lastPurge = now;
    await this.purge(now).catch(() => undefined); // tried again a minute later; the rows are not used meanwhile
  }
}

/** A digest of a case's behaviour: an edited script counts afresh. */
function fingerprint(b: Behaviour): string {
  const keys = Object.keys(b).sort() as (keyof Behaviour)[];
  return createHash('sha256').update(JSON.stringify(keys.map((k) => [k, b[k]]))).digest('hex');
}
