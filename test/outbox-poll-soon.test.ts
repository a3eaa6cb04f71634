import type { DataSource } from 'typeorm';
import { openStore } from '../src/store';
import { Outbox } from '../src/queue/outbox';
import { dbUrl, dropFreshStores, freshStore, STORE_NAME } from './support/store';

/**
 * A manual provider's clerk answers; the delivery worker's next poll should fetch the answer at
 * once (Outbox.pollSoon). The answer may come while the worker is delivering or polling the item
 * (it read the inbox before the answer came): then the poll interval the worker records after the
 * attempt must give way to "at once", or the consumer waits a whole interval (an hour in
 * test/inbox.test.ts, where this was found under load). On the suite's store.
 */
describe(`Outbox.pollSoon, whenever the clerk answers (${STORE_NAME})`, () => {
  let ds: DataSource;
  let t = 1_000_000;
  const clock = () => t;
  const HOUR = 3_600_000;
  const item = (id: string) => ({ id, kind: 'deliver' as const, sid: 'SID0870001', operation: 'Echo', maxAttempts: 5, maxAgeMs: 10 * HOUR, payload: Buffer.from('<x/>') });

  beforeAll(async () => {
    ds = await openStore(dbUrl(await freshStore()));
  });
  afterAll(async () => {
    await ds?.destroy();
    await dropFreshStores();
  });

  test('while the first delivery is under way (ACCEPT not yet recorded): the poll after it is due at once, not in an hour', async () => {
    const o = new Outbox(ds, clock);
    await o.add(item('during-delivery'));
    const [claimed] = await o.claim(1, 60_000);
    expect(claimed!.id).toBe('during-delivery');
    expect(await o.pollSoon('during-delivery')).toBe(true);
    t += 5;
    await o.polling('during-delivery', t + HOUR, null, 'ACCEPT');
    const [again] = await o.claim(1, 60_000);
    expect(again?.id).toBe('during-delivery');
    expect(again!.status).toBe('polling');
  });

  test('while a poll is under way, and between polls: the next poll is due at once', async () => {
    const o = new Outbox(ds, clock);
    await o.add(item('during-poll'));
    await o.claim(1, 60_000);
    await o.polling('during-poll', t + HOUR, null, 'ACCEPT');
    expect(await o.claim(1, 60_000)).toEqual([]); // an hour away
    // between polls: brought forward
    expect(await o.pollSoon('during-poll')).toBe(true);
    const [polled] = await o.claim(1, 60_000);
    expect(polled!.id).toBe('during-poll');
    // under way (leased), asked again: the interval recorded after it gives way
    expect(await o.pollSoon('during-poll')).toBe(true);
    t += 5;
    await o.polling('during-poll', t + HOUR, null, 'PROCESS');
    expect((await o.claim(1, 60_000))[0]?.id).toBe('during-poll');
  });

  test('an item that is done, or not leased and already due, is left as it is', async () => {
    const o = new Outbox(ds, clock);
    await o.add(item('finished'));
    await o.claim(1, 60_000);
    await o.done('finished', Buffer.from('<a/>'), 'RESULT');
    expect(await o.pollSoon('finished')).toBe(false);
    await o.add(item('due'));
    expect(await o.pollSoon('due')).toBe(false); // pending, due now, nobody holds it: nothing to bring forward
    expect((await o.claim(5, 60_000)).map((x) => x.id)).toEqual(['due']);
  });
});
