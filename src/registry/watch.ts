import { watch, existsSync, readdirSync, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';

/**
 * The registry reloads by itself when its files change (issue 17 item 5): the services folder, the
 * systems folder and every emulated SID's cases folder outside the services folder (the bundled
 * registry keeps its cases in fixtures/). Changes are gathered until `debounceMs` pass without
 * one, then one reload runs; changes during it bring one more after it. A reload that throws is
 * refused: the registry in force is kept, the reasons logged at warn and kept for
 * GET /admin/services/reload-status. Each process watches for itself (every worker of --workers,
 * every instance), so each reloads its own registry from its own files.
 *
 * Why a watcher per folder, made again after each reload, and not fs.watch's `recursive`: on
 * Linux, Node 20's recursive watch (a JS layer over one inotify watch per path) went deaf for the
 * whole tree after a case folder was renamed aside and removed (the admin API's delete, an
 * editor's save-by-rename), measured here on Node 20.20. inotify follows a folder's inode, not its
 * name, so the watches are made again from the names after every change; a change in between is
 * read by the reload it triggered. chokidar does the same on Linux (fs.watch per folder) with more
 * than we need.
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
  /** how many folders are watched under them */
  folders?: number;
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
  private roots: string[] = [];
  private timer?: NodeJS.Timeout;
  private changed = new Set<string>();
  private running = false;
  private stopped = false;

  constructor(
    /** the folders to watch, asked again after each reload (the cases folders can change) */
    private readonly rootsOf: () => string[],
    private readonly reload: () => { services: string[] },
    private readonly history: ReloadLog,
    private readonly log: Logger,
    private readonly debounceMs = 300,
  ) {}

  start(): void {
    this.rewatch();
  }

  status(): ReloadStatus {
    return { watching: !this.stopped && this.watchers.size > 0, roots: this.roots, folders: this.watchers.size, last: this.history.last, lastRefusal: this.history.lastRefusal };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  /** Watch every folder under the roots in force (dot-named ones left out: staging, .git), anew. */
  private rewatch(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.stopped) return;
    this.roots = [...new Set(this.rootsOf().map((r) => resolve(r)))].filter((r) => existsSync(r)).sort();
    const seen = new Set<string>();
    const add = (dir: string) => {
      if (seen.has(dir)) return;
      seen.add(dir);
      try {
        const w = watch(dir, (_event, file) => this.onChange(dir, file ? String(file) : ''));
        w.on('error', () => { w.close(); this.watchers.delete(dir); }); // the folder went away: the next rewatch sees what is there
        this.watchers.set(dir, w);
        for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory() && !e.name.startsWith('.')) add(join(dir, e.name));
      } catch (e) {
        if (this.roots.includes(dir)) this.log.warn({ root: dir, err: (e as Error).message }, 'registry watcher: cannot watch the folder; changes there need POST /admin/services/reload');
      }
    };
    for (const root of this.roots) add(root);
  }

  private onChange(dir: string, file: string): void {
    // the admin API's staging and temporary files (dot-named), editors' swap files: not a change yet
    if (file.startsWith('.') || /~$|\.swp$/.test(file)) return; // dot-named folders are never watched (rewatch)
    this.changed.add(join(dir, file));
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
