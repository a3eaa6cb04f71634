// A thread of the GOST pool (pool.ts): the digest of a small input (a canonical SignedInfo, a
// certificate's tbs) and the elliptic-curve work over it, with the same functions the calling
// thread would run. Its public-key cache (sign.ts) is its own: a sender's key seen twice here
// earns its window table here.
import { parentPort } from 'node:worker_threads';
import { digest } from './index';
import { sign, verify } from './sign';
import type { ToPool, FromPool, PoolReady, PoolTask } from './pool';

const port = parentPort!;

function run(t: PoolTask): FromPool['results'][number] {
  try {
    const d = digest(t.digest, t.data);
    if (t.op === 'sign') return { id: t.id, value: sign(t.curve, t.d, d, t.k === undefined ? {} : { k: t.k }) };
    return { id: t.id, value: verify(t.curve, t.key, d, t.signature) };
  } catch (e) {
    return { id: t.id, error: (e as Error).message ?? String(e) };
  }
}

// Each message's tasks are answered in one reply, as soon as they are done: a task waits for no
// other message (bench/gost-pool.ts measured what batching more would save: bench/README.md, Session 7)
port.on('message', (m: ToPool) => {
  const reply: FromPool = { results: m.tasks.map(run) };
  port.postMessage(reply);
});

port.postMessage({ ready: true } satisfies PoolReady);
