import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { query } from '../store';
import { faultSpecSchema, type FaultSpec } from '../registry/fault-spec';

export { faultSpecSchema, FAULT_KIND_NAMES, type FaultSpec, type FaultKind, type FaultKindName } from '../registry/fault-spec';

/** How long a process trusts what it read of table fault_injection (config: SMEV2_FAULTS_CACHE_MS). */
export const DEFAULT_CACHE_MS = 1000;

/** A SID's faults as an operator or its service.yaml set them. */
export interface FaultSetting {
  sid: string;
  spec: FaultSpec;
  enabled: boolean;
  /** `store`: set through the admin API (or switched off there); `service.yaml`: the SID's file's default, no one changed it */
  source: 'store' | 'service.yaml';
  updatedAt?: string;
  updatedBy?: string;
}

interface Row {
  sid: string;
  spec: string;
  enabled: number | string | boolean;
  updated_at: number | string;
  updated_by: string | null;
}

/**
 * The faults injected into each SID's provider calls, switched at runtime: table
 * `fault_injection` (migration 0013), one row per SID an operator set, so that every process of
 * `start --workers` and every instance on the store injects alike. A SID without a row injects
 * what its service.yaml's `faults:` says (on from the start), or nothing.
 *
 * Each call asks `inForce`, which reads the whole table at most once per `cacheMs` per process
 * (one small SELECT, shared by the calls waiting on it): a change made through one instance is
 * in force everywhere within that time; the instance that made it sees it at once. When the
 * store cannot be read, the last table read stays in force (logged).
 */
export class FaultSwitch {
  private rows = new Map<string, { spec: FaultSpec; enabled: boolean; updatedAt: number; updatedBy?: string }>();
  private readAt = -Infinity;
  private reading: Promise<void> | undefined;
  private readonly listeners: ((sid: string, kind: string) => void)[] = [];

  constructor(private readonly ds: DataSource, private readonly log?: Logger, readonly cacheMs = DEFAULT_CACHE_MS) {}

  /** The faults to inject into this call of `sid` (undefined: none), `fallback` being its service.yaml's. */
  async inForce(sid: string, fallback?: FaultSpec): Promise<FaultSpec | undefined> {
    await this.fresh();
    const row = this.rows.get(sid);
    if (row) return row.enabled ? row.spec : undefined;
    return fallback;
  }

  /** Every SID with a row, and the SIDs given whose service.yaml has a default (`defaults`). */
  async list(defaults: Map<string, FaultSpec>): Promise<FaultSetting[]> {
    await this.fresh(true);
    const out: FaultSetting[] = [...this.rows].map(([sid, r]) => ({ sid, spec: r.spec, enabled: r.enabled, source: 'store' as const, updatedAt: new Date(r.updatedAt).toISOString(), updatedBy: r.updatedBy }));
    for (const [sid, spec] of defaults) if (!this.rows.has(sid)) out.push({ sid, spec, enabled: true, source: 'service.yaml' });
    return out.sort((a, b) => a.sid.localeCompare(b.sid));
  }

  /** One SID's setting, read from the store now. */
  async get(sid: string, fallback?: FaultSpec): Promise<FaultSetting | undefined> {
    return (await this.list(fallback ? new Map([[sid, fallback]]) : new Map())).find((s) => s.sid === sid);
  }

  /** Set a SID's faults and switch them on or off, for every process on the store. */
  async set(sid: string, spec: FaultSpec, enabled: boolean, by: string): Promise<void> {
    await query(this.ds,
      `INSERT INTO fault_injection (sid, spec, enabled, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET spec = excluded.spec, enabled = excluded.enabled, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
      [sid, JSON.stringify(spec), enabled ? 1 : 0, Date.now(), by.slice(0, 255)]);
    this.readAt = -Infinity;
  }

  /**
   * Switch a SID's faults off (its spec kept, to be switched on again with PUT), even those its
   * service.yaml would inject. False when there was nothing to switch off.
   */
  async switchOff(sid: string, by: string, fallback?: FaultSpec): Promise<boolean> {
    const now = Date.now();
    const done = await query(this.ds, 'UPDATE fault_injection SET enabled = 0, updated_at = ?, updated_by = ? WHERE sid = ? RETURNING sid', [now, by.slice(0, 255), sid]);
    this.readAt = -Infinity;
    if (done.length) return true;
    if (!fallback) return false;
    await this.set(sid, fallback, false, by);
    return true;
  }

  /** Told of every fault injected in this process (the metrics count them). */
  onInjected(listener: (sid: string, kind: string) => void): void {
    this.listeners.push(listener);
  }

  injected(sid: string, kind: string): void {
    for (const l of this.listeners) l(sid, kind);
  }

  /** Read the table again when the copy is older than cacheMs (or always: `now`). */
  private async fresh(now = false): Promise<void> {
    if (!now && Date.now() - this.readAt < this.cacheMs) return;
    this.reading ??= this.read().finally(() => { this.reading = undefined; });
    await this.reading;
  }

  private async read(): Promise<void> {
    const started = Date.now();
    let rows: Row[];
    try {
      rows = await query<Row>(this.ds, 'SELECT sid, spec, enabled, updated_at, updated_by FROM fault_injection');
    } catch (e) {
      this.readAt = started; // tried again after cacheMs, not on every call
      this.log?.error({ err: e }, 'could not read fault_injection: the faults read before stay in force');
      return;
    }
    const next = new Map<string, { spec: FaultSpec; enabled: boolean; updatedAt: number; updatedBy?: string }>();
    for (const r of rows) {
      const parsed = faultSpecSchema.safeParse(safeJson(r.spec));
      if (!parsed.success) {
        this.log?.error({ sid: r.sid, spec: r.spec.slice(0, 300) }, 'fault_injection holds a spec this version cannot read: no faults injected for this SID; PUT it again');
        continue;
      }
      next.set(r.sid, { spec: parsed.data, enabled: Number(r.enabled) === 1 || r.enabled === true, updatedAt: Number(r.updated_at), updatedBy: r.updated_by ?? undefined });
    }
    this.rows = next;
    this.readAt = started;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
