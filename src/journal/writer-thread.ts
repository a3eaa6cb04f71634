// The journal's writer thread on SQLite (writer.ts): its own better-sqlite3 connection to the
// store's file, so the commits (fsync with `synchronous = FULL`), the indexes and the word index
// of every leg are paid off the event loop, and a wait for another process's write lock blocks
// this thread only. One batch at a time, in the order they come: BEGIN IMMEDIATE (the lock),
// the head of the chain read inside it, each row chained after it and inserted, COMMIT.
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteWriter } from '../store/sqlite-writer';
import { GENESIS, hashAfter } from './chain';
import type { ToWriter, FromWriter, WriterSetup } from './writer';

const setup = workerData as WriterSetup;
const port = parentPort!;

function open(): { write(rows: ToWriter['rows']): { prev: string; hashes: string[] } } {
  // a wait for the write lock blocks this thread alone: the event loop goes on serving meanwhile
  const db = openSqliteWriter(setup.file, setup.lockWaitMs, setup.cacheKib);
  const insert = db.prepare(setup.sql);
  const head = db.prepare('SELECT hash FROM journal ORDER BY id DESC LIMIT 1');
  return {
    write(rows) {
      db.begin();
      try {
        const first = (head.get() as { hash: string | null } | undefined)?.hash ?? GENESIS;
        let prev = first;
        const hashes: string[] = [];
        for (const r of rows) {
          r.values[setup.prevAt] = prev;
          prev = r.values[setup.hashAt] = hashAfter(r.head, prev);
          hashes.push(prev);
          // a Buffer arrives as a Uint8Array; better-sqlite3 binds Buffers
          insert.run(r.values.map((v) => (v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v)));
        }
        db.exec('COMMIT');
        return { prev: first, hashes };
      } catch (e) {
        if (db.inTransaction) db.exec('ROLLBACK');
        throw e;
      }
    },
  };
}

try {
  const writer = open();
  port.on('message', (m: ToWriter) => {
    let reply: FromWriter;
    try {
      reply = { id: m.id, ...writer.write(m.rows) };
    } catch (e) {
      const err = e as Error & { code?: string };
      reply = { id: m.id, error: err.message, code: err.code };
    }
    port.postMessage(reply);
  });
  port.postMessage({ ready: true } satisfies FromWriter);
} catch (e) {
  port.postMessage({ failed: (e as Error).message } satisfies FromWriter);
}
