import { watch, existsSync, type FSWatcher } from 'node:fs';
import { resolve, sep } from 'node:path';
import type { Logger } from 'pino';

/**
 * The registry reloads by itself when its files change (issue 17 item 5): node's fs.watch,
 * recursive (on Linux since Node 19.1, inotify per folder, new sub-folders followed; measured
 * here on Node 20.20: a case folder created, renamed, removed and made again is seen), on the
 * services folder, the systems folder and every emulated SID's cases folder outside the services
 * folder (the bundled registry keeps its cases in fixtures/). Changes are gathered until
 * `debounceMs` pass without one, then one reload runs; changes during it bring one more after it.
 * A reload that throws is refused: the registry in force is kept, the reasons logged at warn and
 * kept for GET /admin/services/reload-status. Each process watches for itself (every worker of
 * --workers, every instance), so each reloads its own registry from its own files.
 */
export interface ReloadOutcome {
  at: string;
  /** 'watcher' or the admin user who asked */
  by: string;
  ok: boolean;
  /** the files whose change led to it (the watcher's; at most 20) */
  files?: string[];
  services?: string[];
  error?: string;
}

export interface ReloadStatus {
  watching: boolean;
  roots: string[];
  last: ReloadOutcome | null;
  lastRefusal: ReloadOutcome | null;
}

/** Keeps what the last reload and the last refused one were, whoever started them. */
export class ReloadLog {
  last: ReloadOutcome | null = null;
  lastRefusal: ReloadOutcome | null = null;

  note(o: ReloadOutcome): void {
    this.last = o;
    if (!o.ok) this.lastRefusal = o;
  }
}

export class RegistryWatcher {
  private watchers = new Map<string, FSWatcher>();
  private timer?: NodeJS.Timeout;
  private changed = new Set<string>();
  private running = false;
  private stopped = false;

  constructor(
    /** the folders to watch, asked again after each reload (the cases folders can change) */
    private readonly roots: () => string[],
    private readonly reload: () => { services: string[] },
    private readonly history: ReloadLog,
    private readonly log: Logger,
    private readonly debounceMs = 300,
  ) {}

  start(): void {
    this.rewatch();
  }

  status(): ReloadStatus {
    return { watching: !this.stopped && this.watchers.size > 0, roots: [...this.watchers.keys()], last: this.history.last, lastRefusal: this.history.lastRefusal };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Watch the roots in force: a folder inside another watched one is covered by it. */
  private rewatch(): void {
    if (this.stopped) return;
    const wanted = [...new Set(this.roots().map((r) => resolve(r)))].filter((r) => existsSync(r)).sort();
    const roots = wanted.filter((r) => !wanted.some((o) => o !== r && r.startsWith(o + sep)));
    for (const [root, w] of this.watchers) if (!roots.includes(root)) { w.close(); this.watchers.delete(root); }
    for (const root of roots) {
      if (this.watchers.has(root)) continue;
      try {
        const w = watch(root, { recursive: true }, (_event, file) => this.onChange(root, file ? String(file) : ''));
        w.on('error', (err) => {
          this.log.warn({ root, err: err.message }, 'registry watcher: the folder cannot be watched any more; changes there need POST /admin/services/reload');
          w.close();
          this.watchers.delete(root);
        });
        this.watchers.set(root, w);
      } catch (e) {
        this.log.warn({ root, err: (e as Error).message }, 'registry watcher: cannot watch the folder; changes there need POST /admin/services/reload');
      }
    }
  }

  private onChange(root: string, file: string): void {
    // the admin API's staging and temporary files (dot-named), editors' swap files: not a change yet
    if (file.split(sep).some((p) => p.startsWith('.')) || /~$|\.swp$/.test(file)) return;
    this.changed.add(resolve(root, file));
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.debounceMs);
  }

  private run(): void {
    if (this.stopped) return;
    if (this.running) return; // one reload at a time; the changes wait for the next
    this.running = true;
    const files = [...this.changed].slice(0, 20);
    this.changed.clear();
    const at = new Date().toISOString();
    try {
      const out = this.reload();
      this.history.note({ at, by: 'watcher', ok: true, files, services: out.services });
      this.log.info({ files, services: out.services }, 'registry reloaded: its files changed');
    } catch (e) {
      const error = (e as Error).message;
      this.history.note({ at, by: 'watcher', ok: false, files, error });
      this.log.warn({ files, err: error }, 'registry change refused, the registry in force is kept: fix the files (GET /admin/services/reload-status has the reasons)');
    } finally {
      this.running = false;
    }
    this.rewatch();
    if (this.changed.size) this.timer = setTimeout(() => this.run(), this.debounceMs);
  }
}
