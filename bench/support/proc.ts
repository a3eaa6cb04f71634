// Memory and CPU of the processes under test, from /proc: resident set (VmRSS, and the peak
// VmHWM, which writing 5 to /proc/<pid>/clear_refs resets), and CPU time, the machine's and each
// process's, to tell how busy the system was and how much of it was someone else.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** VmRSS and VmHWM in bytes, or undefined when the process is gone. */
export function memory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

/** Reset the peak RSS (VmHWM) to the current RSS; false when the kernel refuses. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak RSS of some processes over a stretch of time: VmHWM after a reset, and 50 ms samples of VmRSS. */
export class PeakRss {
  private readonly max = new Map<number, number>();
  private readonly start = new Map<number, number>();
  private readonly resetOk: boolean;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pids: number[]) {
    this.resetOk = pids.every(resetPeak);
    for (const p of pids) this.start.set(p, memory(p)?.rss ?? 0);
    this.timer = setInterval(() => this.sample(), 50);
  }

  private sample(): void {
    for (const p of this.pids) {
      const m = memory(p);
      if (m) this.max.set(p, Math.max(this.max.get(p) ?? 0, m.rss, this.resetOk ? m.hwm : 0));
    }
  }

  /** Stop sampling; per process: RSS at the start and the peak. */
  stop(): { pid: number; start: number; peak: number }[] {
    clearInterval(this.timer);
    this.sample();
    return this.pids.map((pid) => ({ pid, start: this.start.get(pid) ?? 0, peak: this.max.get(pid) ?? 0 }));
  }
}

/** CPU time (ms) the process has used, all its threads. */
export function cpuMs(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
  } catch {
    return 0;
  }
}

/**
 * CPU time (ns) of the process's living threads, from each one's /proc/<pid>/task/<tid>/schedstat:
 * exact where cpuMs counts 10 ms ticks, so one exchange of a few ms can be measured. A thread that
 * ends takes its time with it (the gateway's threads live as long as it does, but for the
 * large-body lane's); undefined when the kernel gives no schedstat.
 */
export function threadsCpuNs(pid: number): number | undefined {
  let total = 0;
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // ended meanwhile
    }
  }
  return Number.isFinite(total) ? total : undefined;
}

/** The machine's busy CPU time (ms, all cores): everything but idle and iowait. */
export function machineBusyMs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - f[3]! - f[4]!) * TICK_MS;
}

/** How many cores the given processes, and everything else, kept busy between start() and stop(). */
export class CpuMeter {
  private readonly t0 = performance.now();
  private readonly busy0 = machineBusyMs();
  private readonly own0: Map<number, number>;

  constructor(private readonly pids: number[]) {
    this.own0 = new Map(pids.map((p) => [p, cpuMs(p)]));
  }

  stop(): { cores: Map<number, number>; others: number } {
    const wall = performance.now() - this.t0;
    const cores = new Map(this.pids.map((p) => [p, (cpuMs(p) - this.own0.get(p)!) / wall]));
    const all = (machineBusyMs() - this.busy0) / wall;
    const ours = [...cores.values()].reduce((a, b) => a + b, 0);
    return { cores, others: Math.max(0, all - ours) };
  }
}

/** Direct children of a process (nginx's workers). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

export function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** How often a RssSampler reads /proc. */
export const SAMPLE_MS = 100;

/** VmRSS every SAMPLE_MS, with times; VmHWM read at each sample. */
export class RssSampler {
  readonly samples: { t: number; rss: number; hwm: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }
  sample(): void {
    const m = memory(this.pid);
    if (m) this.samples.push({ t: performance.now(), rss: m.rss, hwm: m.hwm });
  }
  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
  get peak(): number {
    return Math.max(0, ...this.samples.map((s) => Math.max(s.rss, s.hwm)));
  }
  /** RSS of the last sample at or before time t. */
  at(t: number): number {
    let v = this.samples[0]?.rss ?? 0;
    for (const s of this.samples) if (s.t <= t) v = s.rss;
    return v;
  }
}

/** RSS once it has stopped moving (less than 2 MiB over a second), at most `limitMs`. */
export async function idleRss(pid: number, limitMs: number): Promise<number> {
  const end = Date.now() + limitMs;
  let last = memory(pid)!.rss;
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = memory(pid)!.rss;
    if (Math.abs(now - last) < 2 * 1024 * 1024 || Date.now() > end) return now;
    last = now;
  }
}

/** A whole-number option (`--name`), or exit 2 with the usage: `min` 0 or 1. */
export function wholeOption(help: string, min: 0 | 1 = 0): (name: string, v: string) => number {
  return (name, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) {
      process.stderr.write(`--${name} must be a ${min ? 'positive ' : ''}whole number, got "${v}"\n\n${help}`);
      process.exit(2);
    }
    return n;
  };
}

/**
 * Wait up to `limitS` seconds until the machine is idle apart from us (less than a quarter of a
 * core busy over half a second): other people's builds and tests on the same cores would be
 * measured as the gateway's slowness. Returns the cores still busy and how long it waited.
 */
export async function waitQuiet(limitS: number): Promise<{ cores: number; waitedMs: number; gaveUp: boolean }> {
  const t0 = Date.now();
  for (;;) {
    const b0 = machineBusyMs();
    await new Promise((r) => setTimeout(r, 500));
    const cores = (machineBusyMs() - b0) / 500;
    if (cores < 0.25) return { cores, waitedMs: Date.now() - t0, gaveUp: false };
    if (Date.now() - t0 > limitS * 1000) return { cores, waitedMs: Date.now() - t0, gaveUp: true };
  }
}
