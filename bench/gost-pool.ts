// The GOST pool (src/crypto/gost/pool.ts): what handing a task to a thread costs the calling
// thread, against what the task costs there, for the signatures of one exchange (GOST 2012-256
// over Streebog-256 of a ~1 KB SignedInfo). How to run and what it said: bench/README.md,
// "Session 7".
//
//   BENCH_SECONDS=2   time per measurement (default 2)
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { digest, generatePrivateKey, publicKeyFromPrivate, sign, verify } from '../src/crypto/gost';
import { CRYPTOPRO_A } from '../src/crypto/gost/curves';
import { GostPool } from '../src/crypto/gost/pool';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '2');
const c = CRYPTOPRO_A;
const d = generatePrivateKey(c);
const key = publicKeyFromPrivate(c, d);
const signedInfo = new Uint8Array(randomBytes(1024));
const sig = sign(c, d, digest('streebog256', signedInfo));
const TICK_MS = 1000 / 100; // USER_HZ

/** CPU time of the main thread so far, ms (/proc: its user + system ticks). */
function mainCpuMs(): number {
  const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

interface Figure { what: string; perSecond: number; mainUsPerTask: number }
const rows: Figure[] = [];
function row(f: Figure): void {
  rows.push(f);
  process.stdout.write(`${f.what.padEnd(64)}${f.perSecond.toFixed(0).padStart(9)}${f.mainUsPerTask.toFixed(1).padStart(12)}\n`);
}

/** The same task on the calling thread, back to back. */
function inThread(what: string, fn: () => unknown): void {
  const end = performance.now() + SECONDS * 1000;
  const cpu0 = mainCpuMs();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() < end) {
    fn();
    n++;
  }
  const wall = performance.now() - t0;
  row({ what, perSecond: (n * 1000) / wall, mainUsPerTask: ((mainCpuMs() - cpu0) * 1000) / n });
}

/** `concurrency` callers each submitting the next task when theirs is answered. */
async function pooled(what: string, concurrency: number, task: () => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 200; i++) await task(); // warm: threads started, key tables built
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  const cpu0 = mainCpuMs();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (performance.now() < end) {
      await task();
      n++;
    }
  }));
  const wall = performance.now() - t0;
  row({ what, perSecond: (n * 1000) / wall, mainUsPerTask: ((mainCpuMs() - cpu0) * 1000) / n });
}

async function main(): Promise<void> {
  process.stdout.write(`GOST pool bench: node ${process.version}, ${SECONDS} s per figure\n\n${'what'.padEnd(64)}${'tasks/s'.padStart(9)}${'main µs/task'.padStart(12)}\n`);
  verify(c, key, digest('streebog256', signedInfo), sig); // the key's window table, as in a steady state
  verify(c, key, digest('streebog256', signedInfo), sig);
  inThread('in-thread: sign (2012-256, Streebog-256 of 1 KB)', () => sign(c, d, digest('streebog256', signedInfo)));
  inThread('in-thread: verify, known key', () => verify(c, key, digest('streebog256', signedInfo), sig));
  for (const threads of [1, 2]) {
    const pool = new GostPool({ threads, maxInFlight: 1 << 20 });
    // an empty input and a signature of the wrong length: the thread answers false at once, so
    // this is the passing alone (both ways) and the promise
    const empty = new Uint8Array(0);
    await pooled(`pool ${threads} thread(s): an empty task, 1 caller (round trip)`, 1, () => pool.verify(c.name, key, 'streebog256', empty, empty));
    await pooled(`pool ${threads} thread(s): an empty task, 32 callers`, 32, () => pool.verify(c.name, key, 'streebog256', empty, empty));
    await pooled(`pool ${threads} thread(s): sign, 32 callers`, 32, () => pool.sign(c.name, d, 'streebog256', signedInfo));
    await pooled(`pool ${threads} thread(s): verify, 32 callers`, 32, () => pool.verify(c.name, key, 'streebog256', signedInfo, sig));
    await pool.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
