import net from 'node:net';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { resolve } from 'node:path';
import type { Registry } from '../registry/registry';
import { countCases, type Service } from '../registry/load';
import { query } from '../store';
import type { Events } from '../queue/events';

export interface Availability {
  sid: string;
  up: boolean;
  at: string;
  latencyMs?: number;
  detail: string;
}

/**
 * Is each SID's provider reachable? Every interval: a TCP connect to an `http` provider's host
 * and port (an emulated provider is in the process: up). Each check is recorded in the store
 * (table availability) and the latest is kept for /gateway/availability and the operators.
 */
export class AvailabilityMonitor {
  private timer: NodeJS.Timeout | undefined;
  readonly latest = new Map<string, Availability>();

  /** `events`: a provider found down is an operators' `violation` (once per outage, see providerDown) */
  constructor(private readonly registry: Registry, private readonly ds: DataSource, private readonly log: Logger, private readonly intervalMs: number, private readonly events?: Events) {}

  /**
   * `check`: check every provider each interval and record it. `follow`: check nothing, read the
   * latest record per SID from the store each interval: the other processes of
   * `start --workers`, where one process checks for all.
   */
  start(mode: 'check' | 'follow' = 'check'): void {
    const tick = mode === 'check' ? () => this.checkAll() : () => this.follow();
    void tick();
    this.timer = setInterval(() => void tick(), this.intervalMs);
  }

  /** The latest recorded check of each SID of the registry, as another process recorded it. */
  async follow(): Promise<void> {
    try {
      for (const { service } of this.registry.list()) {
        const [r] = await query<{ at: number | string; up: boolean | number; latency_ms: number | null; detail: string | null }>(this.ds,
          'SELECT at, up, latency_ms, detail FROM availability WHERE sid = ? ORDER BY at DESC LIMIT 1', [service.sid]); // index availability_sid_at
        if (r) this.latest.set(service.sid, { sid: service.sid, up: Boolean(r.up), at: new Date(Number(r.at)).toISOString(), latencyMs: r.latency_ms ?? undefined, detail: r.detail ?? '' });
      }
    } catch (e) {
      this.log.error({ err: e }, 'could not read provider availability');
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async checkAll(): Promise<void> {
    await Promise.all(this.registry.list().map(async ({ service }) => {
      const a = service.def.adapter;
      const result = a.type === 'emulator' ? emulatorCheck(service)
        : a.type === 'manual' ? { up: true, latencyMs: 0, detail: `manual provider: the inbox of department ${a.department} (docs/cabinet.md)` }
          : await tcpCheck(new URL(a.url), a.connectTimeoutMs);
      const entry: Availability = { sid: service.sid, at: new Date().toISOString(), ...result };
      const before = this.latest.get(service.sid);
      this.latest.set(service.sid, entry);
      if (before && before.up !== entry.up) this.log.warn({ sid: service.sid, up: entry.up, detail: entry.detail }, 'provider availability changed');
      try {
        await query(this.ds, 'INSERT INTO availability (sid, at, up, latency_ms, detail) VALUES (?, ?, ?, ?, ?)', [service.sid, Date.now(), entry.up, entry.latencyMs ?? null, entry.detail.slice(0, 400)]);
        if (!entry.up) await this.providerDown(entry);
      } catch (e) {
        this.log.error({ err: e }, 'could not record provider availability');
      }
    }));
  }

  /**
   * A provider found down: the operators' `violation`, named for the SID and its last check that
   * found it up (in the store, whoever checked): one per outage, however many checks find it down
   * and however many instances check.
   */
  private async providerDown(entry: Availability): Promise<void> {
    if (!this.events) return;
    const [r] = await query<{ at: number | string | null }>(this.ds, 'SELECT MAX(at) AS at FROM availability WHERE sid = ? AND up = ?', [entry.sid, true]);
    const lastUp = r?.at === null || r?.at === undefined ? 0 : Number(r.at);
    await this.events.emit('violation', {
      sid: entry.sid, what: 'provider-down', lastUp: lastUp ? new Date(lastUp).toISOString() : null,
      detail: `the provider of ${entry.sid} is down: ${entry.detail}${lastUp ? ` (last up at ${new Date(lastUp).toISOString()})` : ''}`,
    }, `provider-down/${entry.sid}/${lastUp}`);
  }
}

/** An emulated provider is in the process: up, answering from its cases, or without them from samples generated from the XSD. */
function emulatorCheck(service: Service): { up: boolean; latencyMs?: number; detail: string } {
  const dir = service.casesDir ?? (service.def.adapter.type === 'emulator' ? resolve(service.dir, service.def.adapter.cases) : service.dir);
  const n = countCases(dir);
  return n ? { up: true, latencyMs: 0, detail: `emulated provider (in process), ${n} case(s)` }
    : { up: true, latencyMs: 0, detail: `emulated provider (in process) without cases: answers samples generated from the XSD (${dir} holds no case folder with case.yaml; see docs/emulator.md)` };
}

function tcpCheck(url: URL, timeoutMs: number): Promise<{ up: boolean; latencyMs?: number; detail: string }> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const t0 = Date.now();
  return new Promise((resolve) => {
    const sock = net.connect({ host: url.hostname, port });
    const done = (up: boolean, detail: string) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ up, latencyMs: up ? Date.now() - t0 : undefined, detail });
    };
    const timer = setTimeout(() => done(false, `no TCP connection to ${url.host} within ${timeoutMs} ms`), timeoutMs);
    sock.once('connect', () => done(true, `TCP connect to ${url.host}`));
    sock.once('error', (e: NodeJS.ErrnoException) => done(false, `${e.code ?? e.message} connecting to ${url.host}`));
  });
}
