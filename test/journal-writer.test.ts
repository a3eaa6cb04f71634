import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DataSource } from 'typeorm';
import { cacheKib, openStore, type JournalEntry } from '../src/store';
import { openSqliteWriter } from '../src/store/sqlite-writer';
import { Journal } from '../src/journal/journal';
import { JournalWriter } from '../src/journal/writer';
import { verifyJournal } from '../src/journal/verify';

/**
 * The journal's writer thread on a SQLite file (src/journal/writer.ts): the same rows as the
 * connection writes, one hash chain whichever wrote which entry, a wait for another process's
 * write lock that leaves the event loop serving, and a lock held too long refused with its reason
 * while the next batch goes through. The thread is the built one (dist/, `npm run build`, as the
 * gateway runs it). Always on a SQLite file, whatever store the pass runs on.
 */
const SCRIPT = join(__dirname, '..', 'dist', 'journal', 'writer-thread.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let n = 0;
function entry(over: Partial<JournalEntry> = {}): JournalEntry {
  const i = ++n;
  const raw = Buffer.from(`<Envelope n="${i}">Ответ ${'x'.repeat(i)}</Envelope>`);
  return {
    exchangeId: `ex-${i}`, at: new Date(Date.UTC(2026, 11, 6, 12, 0, 0, i)), sid: 'SID0003623', operation: 'Process', direction: 'consumer->gateway',
    revision: 'rev120315', sender: 'MINZ01001', recipient: 'PFRF01001', originator: null, status: 'REQUEST', messageId: `m-${i}`, requestIdRef: null,
    originRequestIdRef: null, caseNumber: `case ${i}`, httpStatus: 200, faultCode: null, durationMs: 1.5 * i, size: raw.length,
    sha256: createHash('sha256').update(raw).digest('hex'), raw, rawByHash: 0, rawKept: null, rawKeptSha256: null,
    signature: 'smev:ok', control: null, chainId: `chain-${i}`, attachments: null, searchText: `слово${i}`,
    ...over,
  } as JournalEntry;
}

describe('the journal\'s writer thread on a SQLite file', () => {
  let ds: DataSource;
  let file: string;
  let viaThread: Journal;
  let viaConnection: Journal;

  beforeAll(async () => {
    if (!existsSync(SCRIPT)) throw new Error(`${SCRIPT} is missing: run npm run build (npm test does)`);
    file = join(mkdtempSync(join(tmpdir(), 'smev2-writer-')), 'journal.sqlite');
    ds = await openStore(`sqlite:${file}`);
    const writer = JournalWriter.for(ds, file, { lockWaitMs: 5000, script: SCRIPT });
    if (!writer) throw new Error('no writer thread for a SQLite file: the journal\'s entity has a column sqliteInsertPlan does not handle');
    viaThread = new Journal(ds, { writer });
    viaConnection = new Journal(ds);
  });
  afterAll(async () => {
    await viaThread?.close();
    await ds?.destroy();
  });

  const rowsOf = (ids: string[]) => ds.query(`SELECT * FROM journal WHERE exchange_id IN (${ids.map(() => '?').join(', ')}) ORDER BY id`, ids) as Promise<Record<string, unknown>[]>;

  test('a batch from the thread is stored as the connection stores it, and both append to one chain', async () => {
    const a = entry();
    const b = { ...a, exchangeId: `${a.exchangeId}-b` };
    await viaConnection.write([a]);
    await viaThread.write([b]);
    const [ra, rb] = await rowsOf([a.exchangeId, b.exchangeId]);
    const { id: _ia, hash: _ha, prev_hash: _pa, exchange_id: _ea, ...sameA } = ra!;
    const { id: _ib, hash: _hb, prev_hash: pb, exchange_id: _eb, ...sameB } = rb!;
    expect(sameB).toEqual(sameA); // times, Buffers, nulls and numbers converted alike
    expect(pb).toBe(ra!.hash);
    expect(b.prevHash).toBe(ra!.hash); // the rows given are told their place in the chain
    expect(b.hash).toBe(rb!.hash);
    // interleaved, concurrent batches from both: one linear chain
    await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 3 ? viaThread : viaConnection).write([entry(), entry({ direction: 'gateway->consumer' })])));
    const report = await verifyJournal(ds);
    expect(report.problems).toEqual([]);
    expect(report.entries).toBe(42);
  });

  test('while another process holds the write lock, an append waits and the event loop goes on; it is committed once the lock is let go', async () => {
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    let done = false;
    const e = entry();
    const pending = viaThread.write([e]).then(() => { done = true; });
    try {
      for (const end = Date.now() + 5000; ticks < 20;) {
        if (Date.now() > end) throw new Error(`the event loop ticked ${ticks} times in 5 s while the lock was held`);
        await sleep(10);
      }
      expect(done).toBe(false);
    } finally {
      other.exec('COMMIT');
      other.close();
      clearInterval(timer);
    }
    await pending;
    expect((await rowsOf([e.exchangeId])).length).toBe(1);
    expect((await verifyJournal(ds)).problems).toEqual([]);
  });

  test('a lock held past SMEV2_SQLITE_LOCK_WAIT_MS refuses that batch with its reason; the next batch is written and the chain stays whole', async () => {
    const impatient = new Journal(ds, { writer: JournalWriter.for(ds, file, { lockWaitMs: 100, script: SCRIPT }) });
    const other = new Database(file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const refused = entry();
      await expect(impatient.write([refused])).rejects.toThrow(`the SQLite file ${file} stayed locked by another process for 100 ms (SMEV2_SQLITE_LOCK_WAIT_MS)`);
      other.exec('COMMIT');
      const next = entry();
      await impatient.write([next]);
      expect((await rowsOf([refused.exchangeId, next.exchangeId])).map((r) => r.exchange_id)).toEqual([next.exchangeId]);
      expect((await verifyJournal(ds)).problems).toEqual([]);
    } finally {
      other.close();
      await impatient.close();
    }
  });

  test('a closed journal refuses a batch, saying why; an in-memory SQLite store and PostgreSQL have no writer thread', async () => {
    const closing = new Journal(ds, { writer: JournalWriter.for(ds, file, { lockWaitMs: 100, script: SCRIPT }) });
    await closing.close();
    await expect(closing.write([entry()])).rejects.toThrow('the journal is closed: the gateway is stopping');
    expect(JournalWriter.for(ds, undefined, { lockWaitMs: 100, script: SCRIPT })).toBeUndefined();
  });

  test('each connection\'s page cache is SMEV2_SQLITE_CACHE_KIB (2048 unless set); a value that is no size is refused, naming it', async () => {
    const cacheOf = (q: (sql: string) => Promise<{ cache_size: number }[]>) => q('PRAGMA cache_size').then((r) => Number(r[0]!.cache_size));
    expect(await cacheOf((sql) => ds.query(sql))).toBe(-2048);
    const writer = openSqliteWriter(file, 100, 300);
    expect(Number((writer.prepare('PRAGMA cache_size').get() as { cache_size: number }).cache_size)).toBe(-300);
    const saved = process.env.SMEV2_SQLITE_CACHE_KIB;
    try {
      process.env.SMEV2_SQLITE_CACHE_KIB = '512';
      const other = await openStore(`sqlite:${file}`);
      try {
        expect(await cacheOf((sql) => other.query(sql))).toBe(-512);
      } finally {
        await other.destroy();
      }
      process.env.SMEV2_SQLITE_CACHE_KIB = '16MB';
      expect(() => cacheKib()).toThrow('SMEV2_SQLITE_CACHE_KIB must be a whole number of KiB from 64, got "16MB"');
    } finally {
      if (saved === undefined) delete process.env.SMEV2_SQLITE_CACHE_KIB;
      else process.env.SMEV2_SQLITE_CACHE_KIB = saved;
    }
  });
});
