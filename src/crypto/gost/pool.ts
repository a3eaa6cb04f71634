/**
 * GOST R 34.10 signing and verification on a few worker threads, so that the calling thread (the
 * gateway's event loop, which limits it) hands the elliptic-curve work to another core. A task is
 * small: the digest of a SignedInfo-sized input and one or two scalar multiplications (0.2-0.8 ms
 * for 256-bit curves on the VM of bench/README.md); large data are hashed where they are and
 * never cross threads.
 *
 *   const pool = new GostPool({ threads: 1 });
 *   const sig = await pool.sign(curve.name, d, 'streebog256', signedInfo);
 *   const ok = await pool.verify(curve.name, octets, 'streebog256', signedInfo, sig);
 *
 * The results are those of sign()/verify() on the calling thread (the same code runs there).
 * Each task goes at once to the thread with the fewest tasks in work (threads work their messages
 * in order, so a thread never waits for the caller between two tasks); one message per task, as
 * the passing costs the caller a few microseconds against a task's few hundred (bench/README.md,
 * "Session 7"). Bounded: past `maxInFlight` tasks in work, a task runs on the calling thread
 * instead (the caller is slowed down, memory is not spent on a queue). A thread that dies (a bug,
 * memory, terminate()) fails its tasks in work with CryptoThreadError and is started again; the
 * tasks of the other threads and those submitted afterwards go on.
 *
 * This layer knows no configuration: how many threads is the caller's choice (the gateway's
 * setting, src/config.ts, handed in by src/signature/algorithms.ts's useGostPool).
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { digest, type DigestAlgorithm } from './index';
import { sign, verify, type SignOptions } from './sign';

/** What a thread computes: the digest of `data`, then a signature over it or its verification. */
export type PoolTask =
  | { id: number; op: 'sign'; curve: string; d: bigint; digest: DigestAlgorithm; data: Uint8Array; k?: bigint }
  | { id: number; op: 'verify'; curve: string; key: Uint8Array; digest: DigestAlgorithm; data: Uint8Array; signature: Uint8Array };

export interface ToPool {
  tasks: PoolTask[];
}

export interface FromPool {
  results: ({ id: number; value: Uint8Array | boolean } | { id: number; error: string })[];
}

/** What a thread says once its script has loaded (before any task). */
export interface PoolReady {
  ready: true;
}

/**
 * The pool could not do a task: its thread ended before answering. Not a verdict on the
 * signature or the key (those come back as the in-thread functions give them): the caller's
 * exchange failed for a reason of its own, and should say so as an internal error.
 */
export class CryptoThreadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CryptoThreadError';
  }
}

export interface GostPoolOptions {
  /** worker threads (at least 1) */
  threads: number;
  /** tasks in work at once across the threads; past it a task runs on the calling thread (default 64 per thread) */
  maxInFlight?: number;
  /** the compiled worker script (default: pool-worker.js beside this file) */
  script?: string;
  /** appended to the error of a task a thread's end failed: what the operator can do (the caller knows its settings) */
  advice?: string;
}

/**
 * The bytes alone: postMessage copies a view's whole ArrayBuffer (a 32-byte Buffer from node's
 * 8 KB allocation pool carries 8 KB across; a subarray of a request, the request).
 */
function own(b: Uint8Array): Uint8Array {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : new Uint8Array(b); // a copy (Buffer#slice would be a view)
}

interface Pending {
  resolve(value: Uint8Array | boolean): void;
  reject(e: Error): void;
  op: PoolTask['op'];
}

interface Thread {
  worker: Worker;
  /** the thread's tasks in work, by id */
  pending: Map<number, Pending>;
  /** its script loaded (it said so): a thread that cannot start is not started again in a loop */
  started: boolean;
  /** why it failed, from its 'error' event, for the tasks its exit fails */
  error?: string;
}

export class GostPool {
  private readonly threads: (Thread | undefined)[];
  private readonly script: string;
  private readonly advice: string;
  readonly maxInFlight: number;
  private nextId = 1;
  private working = 0;
  private closed = false;
  /** counts since the start: tasks answered by a thread, run on the caller past the bound, failed by a thread's end, threads started */
  readonly counts = { done: 0, onCaller: 0, lost: 0, started: 0 };

  constructor(o: GostPoolOptions) {
    if (!Number.isInteger(o.threads) || o.threads < 1) throw new RangeError(`a GOST pool needs at least one thread, got ${o.threads}`);
    this.threads = new Array<Thread | undefined>(o.threads).fill(undefined);
    this.maxInFlight = o.maxInFlight ?? 64 * o.threads;
    this.script = o.script ?? join(__dirname, 'pool-worker.js');
    this.advice = o.advice ? `; ${o.advice}` : '';
  }

  get size(): number {
    return this.threads.length;
  }

  /** Tasks handed to the threads and not answered yet. */
  get inWork(): number {
    return this.working;
  }

  /** The live threads' Worker objects (diagnostics; the tests end one to see the pool recover). */
  get workers(): Worker[] {
    return this.threads.flatMap((t) => (t ? [t.worker] : []));
  }

  /** s || r over digest(digestAlg, data) with private scalar `d` on `curve` (an OID or a curve's name). */
  sign(curve: string, d: bigint, digestAlg: DigestAlgorithm, data: Uint8Array, opts: SignOptions = {}): Promise<Uint8Array> {
    const task = { op: 'sign' as const, curve, d, digest: digestAlg, data: own(data), ...(opts.k === undefined ? {} : { k: opts.k }) };
    return this.submit(task, () => sign(curve, d, digest(digestAlg, data), opts)) as Promise<Uint8Array>;
  }

  /** Does `signature` (s || r) verify over digest(digestAlg, data) with the public key octets (x || y, little-endian)? */
  verify(curve: string, key: Uint8Array, digestAlg: DigestAlgorithm, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
    const task = { op: 'verify' as const, curve, key: own(key), digest: digestAlg, data: own(data), signature: own(signature) };
    return this.submit(task, () => verify(curve, key, digest(digestAlg, data), signature)) as Promise<boolean>;
  }

  /** End the threads; tasks in work fail with CryptoThreadError. */
  async close(): Promise<void> {
    this.closed = true;
    const threads = this.threads.filter((t): t is Thread => !!t);
    this.threads.fill(undefined);
    for (const t of threads) this.fail(t, 'the GOST pool was closed (the gateway is stopping)', false);
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }

  private submit(task: Omit<PoolTask, 'id'>, onCaller: () => Uint8Array | boolean): Promise<Uint8Array | boolean> {
    if (this.closed) return Promise.reject(new CryptoThreadError('the GOST pool is closed (the gateway is stopping)'));
    if (this.working >= this.maxInFlight) {
      // back-pressure: the caller does this one itself, and so accepts less new work meanwhile
      this.counts.onCaller++;
      try {
        return Promise.resolve(onCaller());
      } catch (e) {
        return Promise.reject(e);
      }
    }
    let t: Thread;
    try {
      t = this.leastBusy();
    } catch (e) {
      return Promise.reject(new CryptoThreadError(`a GOST crypto thread could not be started: ${(e as Error).message}${this.advice}`));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      t.pending.set(id, { resolve, reject, op: task.op });
      this.working++;
      if (t.pending.size === 1) t.worker.ref(); // a task in work keeps the process alive; an idle pool does not
      const message: ToPool = { tasks: [{ ...task, id } as PoolTask] };
      t.worker.postMessage(message);
    });
  }

  /** The thread with the fewest tasks in work, started if it is not running. */
  private leastBusy(): Thread {
    let best = -1;
    let load = Infinity;
    for (let i = 0; i < this.threads.length; i++) {
      const n = this.threads[i]?.pending.size ?? 0;
      if (n < load) {
        best = i;
        load = n;
        if (n === 0) break;
      }
    }
    return this.threads[best] ?? this.start(best);
  }

  private start(slot: number): Thread {
    const worker = new Worker(this.script);
    const threadId = worker.threadId; // -1 once it has ended
    worker.unref();
    const t: Thread = { worker, pending: new Map(), started: false };
    this.threads[slot] = t;
    this.counts.started++;
    worker.on('message', (m: FromPool | PoolReady) => {
      t.started = true;
      if ('ready' in m) return;
      for (const r of m.results) {
        const p = t.pending.get(r.id);
        if (!p) continue;
        t.pending.delete(r.id);
        this.working--;
        this.counts.done++;
        if ('error' in r) p.reject(new Error(r.error));
        else p.resolve(r.value);
      }
      if (t.pending.size === 0) worker.unref();
    });
    worker.on('error', (e) => { t.error = e.message; });
    worker.on('exit', (code) => {
      if (this.threads[slot] === t) this.threads[slot] = undefined;
      if (this.closed) return;
      this.fail(t, `the GOST crypto thread ${threadId} ended (exit code ${code}${t.error ? `: ${t.error}` : ''}) before it answered`);
      // a thread that ran is started again now; one whose script did not load, with the next task
      if (t.started) this.start(slot);
    });
    return t;
  }

  private fail(t: Thread, why: string, restarted = true): void {
    for (const [id, p] of t.pending) {
      t.pending.delete(id);
      this.working--;
      this.counts.lost++;
      p.reject(new CryptoThreadError(`${why}: this ${p.op === 'sign' ? 'signature' : 'verification'} was not made${restarted ? `; the thread is started again${this.advice}` : ''}`));
    }
  }
}
