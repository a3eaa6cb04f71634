import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { count } from './support/store';
import { readJournal } from './support/journal';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';

/**
 * How much of the outbox one process works at once: SMEV2_DELIVERY_CONCURRENCY items, and no more
 * claimed while those in work hold SMEV2_DELIVERY_BYTES_IN_FLIGHT bytes of payload (one item is
 * always taken). The provider holds every call until the test lets it go, so what the gateway has
 * claimed (leased in the store) and what reached the provider can be counted while nothing
 * finishes; then everything is delivered, each exactly once.
 */
const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, get: () => T | Promise<T>, ok: (v: T) => boolean, ms = 30000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await sleep(25);
  }
}

describe('the delivery worker\'s bounds: items and payload bytes in work', () => {
  let provider: Upstream;
  const held: { id: string; res: ServerResponse }[] = [];
  const delivered: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'smev2-delivery-bounds-'));
  let registry: string;
  let systems: string;

  beforeAll(async () => {
    provider = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())![1]!;
      held.push({ id, res });
    });
    systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), 'mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\n');
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800101', { type: 'http', url: provider.url }), delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 300, pollIntervalMs: 150 } } },
    ]);
  });
  afterAll(async () => {
    for (const h of held.splice(0)) h.res.destroy();
    await provider?.close();
  });

  const release = () => {
    for (const h of held.splice(0)) {
      delivered.push(h.id);
      h.res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${h.id}<`));
    }
  };

  async function run(env: Record<string, string>, messages: number, atOnce: number): Promise<void> {
    held.length = 0;
    delivered.length = 0;
    const gw: GatewayProcess = await startGateway({ services: registry, args: ['--systems', systems], env });
    try {
      const leased = () => count(gw.db, "outbox WHERE kind = 'deliver' AND lease_until IS NOT NULL AND status IN ('pending', 'polling')");
      for (let i = 0; i < messages; i++) {
        const r = await post(`${gw.url}/gateway/services/SID0800101`, REQUEST.replace('<smev:CaseNumber>', `<smev:CaseNumber>bound-${i}-`));
        expect(r.text).toContain('<smev:Status>ACCEPT</smev:Status>');
      }
      // rounds: the worker fills its room, the provider holds it; nothing is done, so nothing more may be claimed
      while (delivered.length < messages) {
        const expected = Math.min(atOnce, messages - delivered.length);
        await until(`${expected} calls held by the provider`, () => held.length, (n) => n >= expected);
        expect(held.length).toBe(expected);
        expect(await leased()).toBe(expected);
        release();
      }
      await until('every item done', () => count(gw.db, "outbox WHERE kind = 'deliver' AND status <> 'done'"), (n) => n === 0);
      expect(new Set(delivered).size).toBe(messages);
    } finally {
      release();
      await gw.stop();
    }
  }

  test('SMEV2_DELIVERY_CONCURRENCY=4: four items in work, the rest wait in the store; each delivered once', async () => {
    await run({ SMEV2_DELIVERY_CONCURRENCY: '4' }, 10, 4);
  }, 90_000);

  test('SMEV2_DELIVERY_BYTES_IN_FLIGHT below one payload: one item at a time, whatever the concurrency', async () => {
    await run({ SMEV2_DELIVERY_CONCURRENCY: '8', SMEV2_DELIVERY_BYTES_IN_FLIGHT: '100' }, 3, 1);
  }, 90_000);

  /**
   * Flow control (queue/intake.ts): with the worker behind (one item in work, held by the
   * provider) and SMEV2_OUTBOX_MAX_DUE items due, a request for guaranteed delivery waits for room:
   * refused with GW-9003, HTTP 503 and Retry-After when none comes within
   * SMEV2_OUTBOX_ADMIT_WAIT_MS (and journaled; nothing queued for it), accepted as soon as the
   * worker takes an item. Every accepted request is delivered once.
   */
  test('SMEV2_OUTBOX_MAX_DUE: past it the intake waits for the delivery worker, then refuses with GW-9003; nothing accepted is lost', async () => {
    held.length = 0;
    delivered.length = 0;
    const maxDue = 2 + Math.floor(Math.random() * 3);
    const gw: GatewayProcess = await startGateway({ services: registry, args: ['--systems', systems],
      env: { SMEV2_DELIVERY_CONCURRENCY: '1', SMEV2_OUTBOX_MAX_DUE: String(maxDue), SMEV2_OUTBOX_ADMIT_WAIT_MS: '3000' } });
    const send = (tag: string) => post(`${gw.url}/gateway/services/SID0800101`, REQUEST.replace('<smev:CaseNumber>', `<smev:CaseNumber>${tag}-`));
    try {
      const due = () => count(gw.db, "outbox WHERE kind = 'deliver' AND status = 'pending' AND lease_until IS NULL");
      // one item in work (the provider holds it), then the bound's worth due behind it
      expect((await send('first')).text).toContain('<smev:Status>ACCEPT</smev:Status>');
      await until('the first call held by the provider', () => held.length, (n) => n === 1);
      for (let i = 0; i < maxDue; i++) expect((await send(`due-${i}`)).text).toContain('<smev:Status>ACCEPT</smev:Status>');
      expect(await due()).toBe(maxDue);
      // the worker is behind: the next request waits, then is refused, and nothing is queued for it
      const refused = await fetch(`${gw.url}/gateway/services/SID0800101`, { method: 'POST', body: REQUEST.replace('<smev:CaseNumber>', '<smev:CaseNumber>refused-'), headers: { 'content-type': 'text/xml; charset=utf-8' } });
      const text = await refused.text();
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(text).toMatch(new RegExp(`GW-9003: The gateway is busy: ${maxDue} messages are waiting for guaranteed delivery, the bound \\(SMEV2_OUTBOX_MAX_DUE\\), and none was taken within 3\\d{3} ms`));
      expect(await due()).toBe(maxDue);
      const [entry] = await readJournal(gw.db, "fault_code = 'GW-9003'");
      expect(entry).toBeDefined();
      expect((await readJournal(gw.db, 'exchange_id = ?', [entry!.exchange_id])).map((r) => r.direction)).toEqual(['consumer->gateway', 'gateway->consumer']);
      // a request that finds the worker behind is taken once the worker takes an item
      const waiting = send('waited');
      let settled = false;
      void waiting.then(() => (settled = true));
      const waits = () => (gw.logs().match(/waiting for the delivery workers/g) ?? []).length;
      await until('the second request to wait for the delivery worker', waits, (n) => n === 2);
      expect(settled).toBe(false);
      release();
      expect((await waiting).text).toContain('<smev:Status>ACCEPT</smev:Status>');
      // every accepted request (the first, the bound's worth, the one that waited) delivered once
      while (delivered.length < maxDue + 2) {
        await until('a call held by the provider', () => held.length, (n) => n >= 1);
        release();
      }
      await until('every item done', () => count(gw.db, "outbox WHERE kind = 'deliver' AND status <> 'done'"), (n) => n === 0);
      expect(new Set(delivered).size).toBe(maxDue + 2);
      expect(await count(gw.db, "outbox WHERE kind = 'deliver'")).toBe(maxDue + 2);
    } finally {
      release();
      await gw.stop();
    }
  }, 90_000);
});
