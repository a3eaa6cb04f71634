import { Worker } from 'node:worker_threads';
import type { DataSource } from 'typeorm';
import { JOURNAL_ENTITY, cacheKib, sqliteInsertPlan, type JournalEntry } from '../store';
import { canonicalHead } from './chain';

/** What the writer thread is started with. */
export interface WriterSetup {
  file: string;
  /** the journal's INSERT (sqliteInsertPlan): a placeholder per column */
  sql: string;
  /** where prevHash and hash go in a row's values */
  prevAt: number;
  hashAt: number;
  lockWaitMs: number;
  /** the connection's page cache, KiB (SMEV2_SQLITE_CACHE_KIB) */
  cacheKib: number;
}

/** A batch to commit: each row's values in the INSERT's order, and its canonical head (chain.ts). */
export interface ToWriter {
  id: number;
  rows: { values: unknown[]; head: string }[];
}

export type FromWriter =
  | { ready: true }
  | { failed: string }
  | { id: number; prev: string; hashes: string[] }
  | { id: number; error: string; code?: string };

/**
 * The journal's commits on SQLite, in a thread of their own (writer-thread.ts) instead of on the
 * event loop: under load they were a third of the gateway's one thread (issue 20's profile: the
 * journal 30 %, most of it better-sqlite3 inside typeorm's query: inserts into a table with a
 * dozen indexes and a word index, and the fsync of each commit), and a wait for another process's
 * write lock stopped the loop. Here the event loop turns a batch into values (typeorm's own
 * conversions, so the bytes stored are those typeorm writes) and the canonical head of each
 * entry, posts it, and waits for the thread's commit; the hash chain is finished in the thread,
 * inside the lock, where the head of the chain is read. Batches are committed one at a time, in
 * order (the journal's Batcher sends the next one when this one is done).
 *
 * The thread is started on the first batch and again after it died; a batch it could not commit
 * is refused to its callers with the store's reason, as a commit on the connection would be.
 */
export class JournalWriter {
  private worker?: Worker;
  private next = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void; rows: JournalEntry[] }>();
  private readonly setup: WriterSetup;
  private closed = false;

  private constructor(file: string, private readonly plan: NonNullable<ReturnType<typeof sqliteInsertPlan>>, lockWaitMs: number, cacheKib: number, private readonly script: string) {
    this.setup = { file, sql: plan.sql, prevAt: plan.column('prevHash'), hashAt: plan.column('hash'), lockWaitMs, cacheKib };
    if (this.setup.prevAt < 0 || this.setup.hashAt < 0) throw new Error('the journal entity has no prevHash or hash column');
  }

  /** A writer for this SQLite store's file, or undefined (PostgreSQL, an in-memory SQLite: the connection writes). */
  static for(ds: DataSource, file: string | undefined, o: { lockWaitMs: number; cacheKib?: number; script: string }): JournalWriter | undefined {
    const plan = file ? sqliteInsertPlan(ds, JOURNAL_ENTITY) : undefined;
    return plan && file ? new JournalWriter(file, plan, o.lockWaitMs, o.cacheKib ?? cacheKib(), o.script) : undefined;
  }

  /** Commit these rows after the chain's head; sets each row's prevHash and hash as committed. */
  append(rows: JournalEntry[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the journal is closed: the gateway is stopping'));
    const id = this.next++;
    const message: ToWriter = {
      id,
      rows: rows.map((r) => ({ values: this.plan.values({ ...r, prevHash: null, hash: null }), head: canonicalHead(r) })),
    };
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, rows });
      const worker = this.thread();
      worker.ref();
      worker.postMessage(message);
    });
  }

  /** Stop the thread once what was sent is committed. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.size) await new Promise((r) => setTimeout(r, 5));
    await this.worker?.terminate();
    this.worker = undefined;
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: this.setup });
    this.worker = worker;
    const fail = (why: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new Error(`the journal's writer thread ${why}; the legs of this batch were not written (the next batch starts a new thread)`));
      }
    };
    worker.on('message', (m: FromWriter) => {
      if ('ready' in m) return;
      if ('failed' in m) return fail(`could not open ${this.setup.file}: ${m.failed}`);
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) {
        p.reject(m.code === 'SQLITE_BUSY'
          ? new Error(`the SQLite file ${this.setup.file} stayed locked by another process for ${this.setup.lockWaitMs} ms (SMEV2_SQLITE_LOCK_WAIT_MS): find what holds it (a backup, a long transaction) or raise the wait; ${m.error}`)
          : Object.assign(new Error(m.error), { code: m.code }));
        return;
      }
      p.rows.forEach((r, i) => {
        r.prevHash = i ? m.hashes[i - 1]! : m.prev;
        r.hash = m.hashes[i]!;
      });
      // idle, the thread does not keep the process alive; with a batch under way it does
      if (!this.pending.size) worker.unref();
      p.resolve();
    });
    worker.on('error', (e) => fail(`failed: ${e.message}`));
    worker.on('exit', (code) => { if (!this.closed) fail(`ended (exit code ${code})`); });
    return worker;
  }
}
