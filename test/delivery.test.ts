import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, runCli, post, type GatewayProcess } from './support/gateway';
import { readJournal } from './support/journal';
import { count } from './support/store';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, closedPort, type Upstream } from './support/upstream';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
const ping = (ticket: string) => REQUEST.replace('>REQUEST<', '>PING<').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${ticket}</smev:OriginRequestIdRef><smev:CaseNumber>`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('asynchronous exchange and guaranteed delivery', () => {
  let gw: GatewayProcess;
  let flaky: Upstream, down: Upstream, callbacks: Upstream, hooks: Upstream;
  let downIsUp = false;
  const work = mkdtempSync(join(tmpdir(), 'smev2-delivery-'));
  const fast = { initialBackoffMs: 100, maxBackoffMs: 300, pollIntervalMs: 150 };
  let registry: string;

  beforeAll(async () => {
    let calls = 0;
    flaky = await startUpstream((body, _q, res) => {
      calls++;
      if (calls <= 2) return void res.writeHead(500, { 'content-type': 'text/html' }).end('<html>busy</html>');
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())![1]!;
      res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${id}<`));
    });
    down = await startUpstream((_b, _q, res) => {
      if (!downIsUp) return void res.destroy();
      res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER);
    });
    callbacks = await startUpstream((_b, _q, res) => void res.writeHead(200).end('ok'));
    hooks = await startUpstream((_b, _q, res) => void res.writeHead(204).end());
    const systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), `mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\ncallback: ${callbacks.url}\n`);
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    writeFileSync(join(work, 'subscriptions.yaml'), `- url: ${hooks.url}\n  events: ["*"]\n`);
    const refused = await closedPort();
    const guaranteed = (extra: Record<string, unknown> = {}) => ({ mode: 'guaranteed', ...fast, ...extra });
    registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800001', { type: 'http', url: flaky.url }), delivery: guaranteed({ maxAttempts: 6 }) } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800002', { type: 'http', url: down.url }), delivery: guaranteed({ maxAttempts: 3 }) } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800003', { type: 'emulator', cases: 'cases' }), operations: { Echo: { mode: 'async' } }, delivery: guaranteed() } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800004', { type: 'emulator', cases: 'cases' }), delivery: guaranteed() } },
      { bundle: ECHO_BUNDLE, def: echoDefinition('SID0800005', { type: 'emulator', cases: 'cases' }) },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800006', { type: 'http', url: `http://127.0.0.1:${refused}/x` }), control: 'enforce' } },
    ]);
    const caseDir = (sid: string, name: string, yaml: string, answer = ANSWER) => {
      const d = join(registry, sid, 'cases', name);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'case.yaml'), yaml);
      writeFileSync(join(d, 'answer.xml'), answer);
    };
    caseDir('SID0800003', 'slow', 'match: {}\nasync:\n  processPolls: 2\n', ANSWER.replace('>echo<', '>ready-after-polls<'));
    caseDir('SID0800004', 'down-first', 'match: {}\nbehaviour:\n  failure: http500\n  failFirst: 2\n', ANSWER.replace('>echo<', '>after-outage<'));
    caseDir('SID0800005', 'refuse', 'match:\n  AppData/Text: refuse\nbehaviour:\n  failure: refuse\n');
    caseDir('SID0800005', 'hang', 'match:\n  AppData/Text: hang\nbehaviour:\n  failure: hang\n  hangMs: 300\n');
    caseDir('SID0800005', 'http500', 'match:\n  AppData/Text: http500\nbehaviour:\n  failure: http500\n');
    caseDir('SID0800005', 'garbage', 'match:\n  AppData/Text: garbage\nbehaviour:\n  failure: garbage\n');
    caseDir('SID0800005', 'slow', 'match:\n  AppData/Text: slow\nbehaviour:\n  delayMs: 400\n');
    caseDir('SID0800005', 'outage', 'match:\n  AppData/Text: outage\nbehaviour:\n  failure: refuse\n  failForSeconds: 1\n');
    gw = await startGateway({ services: registry, args: ['--systems', systems, '--subscriptions', join(work, 'subscriptions.yaml')], env: { SMEV2_AVAILABILITY_INTERVAL_MS: '300' } });
  }, 60000);

  afterAll(async () => {
    await gw?.stop();
    for (const u of [flaky, down, callbacks, hooks]) await u?.close();
  });

  const call = (sid: string, body: string) => post(`${gw.url}/gateway/services/${sid}`, body);
  /** PING until the answer is no longer PROCESS. */
  async function await_(sid: string, ticket: string, ms = 10000): Promise<{ text: string; statuses: string[] }> {
    const statuses: string[] = [];
    const end = Date.now() + ms;
    for (;;) {
      const r = await call(sid, ping(ticket));
      const s = field(r.text, 'Status')!;
      statuses.push(s);
      if (s !== 'PROCESS' || Date.now() > end) return { text: r.text, statuses };
      await sleep(100);
    }
  }

  test('a REQUEST is answered ACCEPT at once; it is delivered with retries; PINGs get PROCESS, then the stored answer', async () => {
    const accept = await call('SID0800001', REQUEST);
    expect(accept.status).toBe(200);
    expect(field(accept.text, 'Status')).toBe('ACCEPT');
    const ticket = field(accept.text, 'RequestIdRef')!;
    expect(ticket).toMatch(/^[0-9A-F-]{36}$/);
    expect(field(accept.text, 'OriginRequestIdRef')).toBe(ticket);
    expect(accept.text).toContain(`<gw:Ticket xmlns:gw="urn:smev2-gateway:delivery">${ticket}</gw:Ticket>`);
    const { text, statuses } = await await_('SID0800001', ticket);
    expect(statuses.at(-1)).toBe('RESULT');
    expect(field(text, 'RequestIdRef')).toBe(ticket);
    // three attempts (two refused with HTTP 500), each the same message: the same node MessageId
    const ids = flaky.requests.map((r) => /<smev:MessageId>([^<]+)</.exec(r.body.toString())![1]);
    expect(ids).toEqual([ticket, ticket, ticket]);
  });

  test('the journal links the chain, and `journal chain` fetches it whole', async () => {
    const accept = await call('SID0800001', REQUEST);
    const ticket = field(accept.text, 'RequestIdRef')!;
    await await_('SID0800001', ticket);
    const rows = await readJournal(gw.db, 'chain_id = ?', [ticket]);
    const dirs = rows.map((r) => `${r.direction} ${r.status ?? ''}`.trim());
    expect(dirs.slice(0, 2)).toEqual(['consumer->gateway REQUEST', 'gateway->consumer ACCEPT']);
    expect(dirs).toContain('gateway->provider REQUEST');
    expect(dirs).toContain('provider->gateway RESULT');
    expect(dirs.filter((d) => d === 'consumer->gateway PING').length).toBeGreaterThanOrEqual(1);
    const cli = await runCli(['journal', 'chain', ticket, '--db', gw.dbUrl]);
    expect(cli.code).toBe(0);
    expect(cli.stdout.trim().split('\n')).toHaveLength(rows.length);
    expect(cli.stdout).toMatch(/gateway->consumer +ACCEPT/);
  });

  test('the retry budget spent: FAILURE with the reason; the dead letter is listed, shown and re-driven', async () => {
    const accept = await call('SID0800002', REQUEST);
    const ticket = field(accept.text, 'RequestIdRef')!;
    const { text, statuses } = await await_('SID0800002', ticket);
    expect(statuses.at(-1)).toBe('FAILURE');
    expect(text).toMatch(/delivery failed after 3 attempt\(s\): Cannot perform client request/);
    const list = await runCli(['queue', 'list', '--status', 'dead', '--db', gw.dbUrl]);
    expect(list.stdout).toMatch(new RegExp(`^${ticket} +deliver +SID0800002 +dead +3/3 `, 'm'));
    const show = await runCli(['queue', 'show', ticket, '--db', gw.dbUrl]);
    expect(show.stdout).toMatch(/^status: +dead$/m);
    expect(show.stdout).toMatch(/^error: +Cannot perform client request/m);
    downIsUp = true;
    const redrive = await runCli(['queue', 'redrive', ticket, '--db', gw.dbUrl]);
    expect(redrive.stdout).toMatch(/re-driven/);
    const after = await await_('SID0800002', ticket);
    expect(after.statuses.at(-1)).toBe('RESULT');
    expect((await runCli(['queue', 'redrive', ticket, '--db', gw.dbUrl])).stderr).toMatch(/is done, not a dead letter/);
  });

  test('a provider that answers ACCEPT is followed by polling; the consumer gets its final answer', async () => {
    const accept = await call('SID0800003', REQUEST);
    const ticket = field(accept.text, 'RequestIdRef')!;
    const { text, statuses } = await await_('SID0800003', ticket);
    expect(statuses.at(-1)).toBe('RESULT');
    expect(text).toContain('ready-after-polls');
    const legs = (await readJournal(gw.db, "chain_id = ? AND direction = 'gateway->provider'", [ticket])).map((r) => r.status);
    expect(legs).toEqual(['REQUEST', 'PING', 'PING', 'PING']);
  });

  test('an emulated provider down for two calls: delivered on the third', async () => {
    const ticket = field((await call('SID0800004', REQUEST)).text, 'RequestIdRef')!;
    const { text, statuses } = await await_('SID0800004', ticket);
    expect(statuses.at(-1)).toBe('RESULT');
    expect(text).toContain('after-outage');
  });

  test('scripted emulated providers: refuse, hang, HTTP 500, garbage, slow, down for a while', async () => {
    const with_ = (t: string) => REQUEST.replace('Привет &amp; hello', t);
    const fs = async (t: string) => /<faultstring>([^<]*)</.exec((await call('SID0800005', with_(t))).text)?.[1];
    expect(await fs('refuse')).toBe('Cannot perform client request');
    expect(await fs('hang')).toBe('GW-2001: The provider did not answer within 300 ms');
    expect(await fs('http500')).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 500\)/);
    expect(await fs('garbage')).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 200\)/);
    const t0 = Date.now();
    expect((await call('SID0800005', with_('slow'))).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(400);
    expect(await fs('outage')).toBe('Cannot perform client request');
    await sleep(1100);
    expect((await call('SID0800005', with_('outage'))).status).toBe(200);
  });

  test('a consumer with a callback address also gets the answer there, signed by the node', async () => {
    const before = callbacks.requests.length;
    const ticket = field((await call('SID0800001', REQUEST)).text, 'RequestIdRef')!;
    await await_('SID0800001', ticket);
    for (let i = 0; i < 50 && callbacks.requests.length === before; i++) await sleep(100);
    const got = callbacks.requests.slice(before).map((r) => r.body.toString()).find((b) => b.includes(ticket));
    expect(got).toBeDefined();
    expect(got).toContain('<smev:Status>RESULT</smev:Status>');
    expect(got).toMatch(/soapenv:actor="http:\/\/smev\.gosuslugi\.ru\/actors\/recipient"/);
  });

  test('subscribers hear of every event: accepted, delivered, answer ready, delivery failed, control failure, violation', async () => {
    const bad = REQUEST.replace(/MINZ01001/g, 'XXXX01001');
    await call('SID0800006', bad);
    const seen = () => new Set(hooks.requests.map((r) => JSON.parse(r.body.toString()).type));
    for (let i = 0; i < 50 && seen().size < 6; i++) await sleep(100);
    expect([...seen()].sort()).toEqual(['accepted', 'answer-ready', 'control-failure', 'delivered', 'delivery-failed', 'violation']);
    const events = hooks.requests.map((r) => JSON.parse(r.body.toString()));
    expect(events.find((e) => e.type === 'control-failure')).toMatchObject({ sid: 'SID0800006', consumer: 'XXXX01001', reason: expect.stringMatching(/GW-4001/) });
    // the operators' violations: SID0800006's provider is down (one per outage), SID0800002's messages die
    const violations = events.filter((e) => e.type === 'violation');
    expect(violations.filter((v) => v.what === 'provider-down' && v.sid === 'SID0800006')).toHaveLength(1);
    expect(violations.find((v) => v.what === 'provider-down')).toMatchObject({ detail: expect.stringMatching(/ECONNREFUSED/) });
    // no SMTP server configured: said once at start, and no mail queued for all these events
    expect(gw.logs().match(/no SMTP server configured/g)).toHaveLength(1);
    expect(await count(gw.db, "outbox WHERE kind = 'mail'")).toBe(0);
  });

  test('subscriptions can be added from the command line', async () => {
    const file = join(work, 'subs-cli.yaml');
    const add = await runCli(['subscriptions', 'add', 'http://127.0.0.1:9/hook', '--events', 'delivery-failed,signature-failure', '--subscriptions', file]);
    expect(add.code).toBe(0);
    expect((await runCli(['subscriptions', 'list', '--subscriptions', file])).stdout).toBe('http://127.0.0.1:9/hook  events: delivery-failed,signature-failure\n');
  });

  test('provider availability is checked, recorded and exposed', async () => {
    // wait for the checks' first results (not a fixed time: the monitor runs at start, on a loaded machine later)
    type Availability = { sid: string; up: boolean; detail: string }[];
    const read = async () => await (await fetch(`${gw.url}/gateway/availability`)).json() as Availability;
    let list = await read();
    for (const end = Date.now() + 20_000; !['SID0800006', 'SID0800003'].every((sid) => list.some((a) => a.sid === sid)); list = await read()) {
      if (Date.now() > end) throw new Error(`no availability of SID0800006 and SID0800003 in 20 s: ${JSON.stringify(list)}`);
      await sleep(50);
    }
    const by = Object.fromEntries(list.map((a) => [a.sid, a]));
    expect(by.SID0800006).toMatchObject({ up: false, detail: expect.stringMatching(/ECONNREFUSED/) });
    expect(by.SID0800003).toMatchObject({ up: true });
    expect(by.SID0800001).toMatchObject({ up: true });
    expect(await count(gw.db, "availability WHERE sid = 'SID0800006' AND NOT up")).toBeGreaterThanOrEqual(2);
  });

  test('services list shows the delivery settings', async () => {
    const res = await runCli(['services', 'list', '--services', registry]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^SID0800002 .* guaranteed \(3 attempts, 86400 s\) +Echo:sync$/m);
    expect(res.stdout).toMatch(/^SID0800005 .* direct +Echo:sync$/m);
  });
});

describe('a message worked twice (its lease ran out under a slow provider) sets off its callback and events once', () => {
  const gws: GatewayProcess[] = [];
  let slow: Upstream, callbacks: Upstream, hooks: Upstream;

  beforeAll(async () => {
    slow = await startUpstream((body, _q, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())![1]!;
      setTimeout(() => res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER.replace(/>REQ</g, `>${id}<`)), 1200);
    });
    callbacks = await startUpstream((_b, _q, res) => void res.writeHead(200).end('ok'));
    hooks = await startUpstream((_b, _q, res) => void res.writeHead(204).end());
  });
  afterAll(async () => {
    for (const g of gws) await g.stop();
    for (const u of [slow, callbacks, hooks]) await u?.close();
  });

  test('two instances on one store, a 300 ms lease, a provider that takes 1.2 s: one callback, one event of each type', async () => {
    const work = mkdtempSync(join(tmpdir(), 'smev2-twice-'));
    const systems = join(work, 'systems');
    mkdirSync(systems);
    writeFileSync(join(systems, 'MINZ01001.yaml'), `mnemonic: MINZ01001\nname: Минздрав\ngrants: "*"\ncallback: ${callbacks.url}\n`);
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\n');
    writeFileSync(join(work, 'subscriptions.yaml'), `- url: ${hooks.url}\n  events: ["*"]\n`);
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800011', { type: 'http', url: slow.url }), delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 300 } } }]);
    const opts = { services: registry, args: ['--systems', systems, '--subscriptions', join(work, 'subscriptions.yaml')], env: { SMEV2_DELIVERY_LEASE_MS: '300' } };
    const first = await startGateway(opts);
    gws.push(first, await startGateway({ ...opts, db: first.db, keys: first.keys }));

    const ticket = field((await post(`${first.url}/gateway/services/SID0800011`, REQUEST)).text, 'RequestIdRef')!;
    const settled = async () => (await count(first.db, "outbox WHERE status NOT IN ('done', 'dead')")) === 0;
    for (let i = 0; i < 100 && !(slow.requests.length >= 2 && (await settled())); i++) await sleep(100);
    await sleep(500); // anything a late attempt would still queue
    expect(await settled()).toBe(true);
    // the lease ran out while the provider worked: the message went to it more than once (same MessageId)
    const sent = slow.requests.map((r) => /<smev:MessageId>([^<]+)</.exec(r.body.toString())![1]);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent)).toEqual(new Set([ticket]));
    // yet one callback and one event of each type, each queued once
    expect(await count(first.db, "outbox WHERE kind = 'callback'")).toBe(1);
    expect(callbacks.requests.map((r) => field(r.body.toString(), 'RequestIdRef'))).toEqual([ticket]);
    const events = hooks.requests.map((r) => JSON.parse(r.body.toString()) as { id: string; type: string; ticket: string });
    const ids = (type: string) => [...new Set(events.filter((e) => e.type === type && e.ticket === ticket).map((e) => e.id))];
    for (const type of ['accepted', 'delivered', 'answer-ready']) expect(ids(type)).toHaveLength(1);
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['accepted', 'delivered', 'answer-ready']));
    expect(await count(first.db, "outbox WHERE kind = 'event'")).toBe(3);
  }, 60000);
});
