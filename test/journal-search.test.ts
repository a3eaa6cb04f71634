import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openStore, query, storeTime } from '../src/store';
import { searchJournal, JOURNAL_LAG_MS } from '../src/journal/search';
import { dbUrl, freshStore, STORE_NAME } from './support/store';

/**
 * The journal search's time range is turned into an id range (src/journal/search.ts). Ids follow
 * the order legs are journaled in, not their `at`: a leg is journaled up to JOURNAL_LAG_MS after
 * its time, so neighbours swap. Here a journal is written whose `at` run out of id order within
 * that lag, with quiet gaps longer than it, and every range must give exactly the entries whose
 * `at` lies in it, as a plain scan finds them.
 */
describe(`journal search: time ranges on a journal whose times run out of id order (${STORE_NAME})`, () => {
  let ds: DataSource;
  const at: { id: number; at: number }[] = [];
  const T0 = Date.UTC(2026, 0, 1);
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);

  beforeAll(async () => {
    ds = await openStore(dbUrl(await freshStore()));
    // commit times advance; each leg's time is up to the lag before its commit; twice the journal
    // falls quiet for longer than the lag
    let commit = T0;
    for (let i = 0; i < 400; i++) {
      commit += i === 120 || i === 260 ? 3 * JOURNAL_LAG_MS : 60_000 + rnd() * 600_000;
      const t = commit - rnd() * JOURNAL_LAG_MS;
      const [r] = await query(ds, `INSERT INTO journal (exchange_id, at, sid, direction, size, sha256, raw) VALUES (?, ?, 'SID0000001', 'consumer->gateway', 0, '', ?) RETURNING id`,
        [randomUUID(), storeTime(ds, new Date(t)), Buffer.alloc(0)]);
      at.push({ id: Number(r!.id), at: t });
    }
  });
  afterAll(async () => { await ds?.destroy(); });

  test('the times really are out of id order, by up to the lag', () => {
    let swaps = 0;
    for (let i = 1; i < at.length; i++) if (at[i]!.at < at[i - 1]!.at) swaps++;
    expect(swaps).toBeGreaterThan(50);
  });

  test('every range gives exactly the entries with from <= at < to, newest id first, across pages', async () => {
    const span = at.reduce((m, x) => Math.max(m, x.at), 0) - T0;
    for (let k = 0; k < 60; k++) {
      const a = T0 + rnd() * span;
      const b = a + rnd() * (k % 3 === 0 ? JOURNAL_LAG_MS / 4 : span / 3);
      const from = new Date(Math.floor(a)), to = new Date(Math.floor(b));
      // SQLite keeps milliseconds: compare at that precision
      const want = at.filter((x) => Math.floor(x.at) >= from.getTime() && Math.floor(x.at) < to.getTime()).map((x) => x.id).sort((p, q) => q - p);
      const got: number[] = [];
      let before: number | undefined;
      for (;;) {
        const page = await searchJournal(ds, { from, to }, { limit: 25, before });
        got.push(...page.entries.map((e) => e.id));
        if (!page.next) break;
        before = page.next;
      }
      expect([from.toISOString(), to.toISOString(), got]).toEqual([from.toISOString(), to.toISOString(), want]);
      const onlyFrom = await searchJournal(ds, { from }, { limit: 500 });
      expect(onlyFrom.entries.map((e) => e.id)).toEqual(at.filter((x) => Math.floor(x.at) >= from.getTime()).map((x) => x.id).sort((p, q) => q - p));
      const onlyTo = await searchJournal(ds, { to }, { limit: 500 });
      expect(onlyTo.entries.map((e) => e.id)).toEqual(at.filter((x) => Math.floor(x.at) < to.getTime()).map((x) => x.id).sort((p, q) => q - p));
    }
  });
});
