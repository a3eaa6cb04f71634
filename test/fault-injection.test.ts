// Fault injection per SID (issue 17, item 3), over HTTP on the real gateway: the same faults for an
// emulated provider and an `http` one (a loopback provider here), each giving the consumer what a
// provider misbehaving that way would give; shares of calls; latency from distributions; switched
// on and off at runtime through the admin API, and seen by a second gateway process on the same
// store; counted in the metrics and marked on the journal's provider leg.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { readJournal, type Row } from './support/journal';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { ROOT } from './support/paths';

const REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'));
const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const OPERATOR = { authorization: `Basic ${Buffer.from('operator:operator-test').toString('base64')}` };
const AUDITOR = { authorization: `Basic ${Buffer.from('auditor2:auditor-test').toString('base64')}` };
const EMULATED = 'SID0970101';
const HTTP = 'SID0970102';
/** an emulated SID whose service.yaml injects HTTP 500 into every call from the start */
const DEFAULTED = 'SID0970103';
/** both SIDs' read timeout: the emulated one's in its fault spec, the http one's in its adapter */
const READ_TIMEOUT = 800;
const faultstring = (xml: string) => /<faultstring>([\s\S]*?)<\/faultstring>/.exec(xml)?.[1];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('fault injection: emulated and http providers alike, switched at runtime', () => {
  let gw: GatewayProcess;
  let echo: Upstream;
  let registry: string;

  beforeAll(async () => {
    echo = await startUpstream((body, _req, res) => {
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'none';
      res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(ANSWER.replace(/>REQ</g, `>${id}<`));
    });
    registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: echoDefinition(EMULATED, { type: 'emulator', cases: 'cases' }) },
      { bundle: ECHO_BUNDLE, def: echoDefinition(HTTP, { type: 'http', url: echo.url, readTimeoutMs: READ_TIMEOUT }) },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition(DEFAULTED, { type: 'emulator', cases: 'cases' }), faults: { share: 1, kinds: [{ kind: 'http500' }] } } },
    ]);
    for (const sid of [EMULATED, DEFAULTED]) {
      const dir = join(registry, sid, 'cases', 'any');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'case.yaml'), 'match: {}\n');
      writeFileSync(join(dir, 'answer.xml'), ANSWER);
    }
    gw = await startGateway({ services: registry, args: ['--admin-users', USERS] });
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await echo?.close();
  });

  const call = (sid: string, on = gw) => post(`${on.url}/gateway/services/${sid}`, REQUEST);
  const api = async (path: string, init: RequestInit & { headers?: Record<string, string> } = {}, on = gw) => {
    const res = await fetch(`${on.url}/admin${path}`, { ...init, headers: { ...OPERATOR, 'content-type': 'application/json', ...init.headers } });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** Switch a SID's faults on with this spec (enabled unless said). */
  const put = async (sid: string, spec: Record<string, unknown>) => {
    const r = await api(`/services/${sid}/faults`, { method: 'PUT', body: JSON.stringify(spec) });
    expect([r.status, r.body.error]).toEqual([200, undefined]);
    return r.body;
  };
  const off = async (sid: string) => expect((await api(`/services/${sid}/faults`, { method: 'DELETE' })).status).toBe(200);
  /** The legs of the most recent exchange of a SID. */
  const lastExchange = async (sid: string): Promise<Row[]> => {
    const rows = await readJournal(gw.db, 'sid = ?', [sid]);
    const id = rows[rows.length - 1]?.exchange_id;
    return rows.filter((r) => r.exchange_id === id);
  };
  const providerLeg = async (sid: string) => (await lastExchange(sid)).find((r) => r.direction === 'provider->gateway')!;
  /** One fault kind alone, on every call. */
  const only = (kind: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ share: 1, kinds: [kind], readTimeoutMs: READ_TIMEOUT, ...extra });

  describe.each([['emulated', EMULATED], ['http', HTTP]])('an %s provider', (_label, sid) => {
    afterAll(() => off(sid));

    test('reset: the consumer gets the fault of a reset connection, after the provider took the request (or before, at: connect)', async () => {
      await put(sid, only({ kind: 'reset' }));
      const before = echo.requests.length;
      const r = await call(sid);
      expect([r.status, faultstring(r.text)]).toEqual([500, 'Cannot perform client request']);
      expect((await providerLeg(sid)).fault_code).toBe('injected:reset');
      if (sid === HTTP) expect(echo.requests.length).toBe(before + 1);
      await put(sid, only({ kind: 'reset', at: 'connect' }));
      const r2 = await call(sid);
      expect(faultstring(r2.text)).toBe('Cannot perform client request');
      if (sid === HTTP) expect(echo.requests.length).toBe(before + 1);
    });

    test('timeout, and a dribble past the read timeout: GW-2001; a quick dribble arrives whole', async () => {
      await put(sid, only({ kind: 'timeout' }));
      let r = await call(sid);
      expect(faultstring(r.text)).toBe(`GW-2001: The provider did not answer within ${READ_TIMEOUT} ms`);
      expect((await providerLeg(sid)).fault_code).toBe('injected:timeout');
      // ~800 bytes at 100 bytes/s: 8 s, far past the read timeout
      await put(sid, only({ kind: 'dribble', bytesPerSecond: 100 }));
      r = await call(sid);
      expect(faultstring(r.text)).toBe(`GW-2001: The provider did not answer within ${READ_TIMEOUT} ms`);
      expect((await providerLeg(sid)).fault_code).toBe('injected:dribble');
      await put(sid, only({ kind: 'dribble', bytesPerSecond: 20_000 }));
      r = await call(sid);
      expect([r.status, r.text]).toEqual([200, expect.stringContaining('<e:Text>echo</e:Text>')]);
      const leg = await providerLeg(sid);
      expect([leg.fault_code, leg.status]).toEqual(['injected:dribble', 'RESULT']);
      expect(leg.duration_ms).toBeGreaterThanOrEqual(30); // 800 bytes at 20,000 bytes/s: 40 ms
    });

    test('a truncated body, an HTTP error page: GW-2003, as for a real provider', async () => {
      await put(sid, only({ kind: 'truncate', fraction: 0.5 }));
      let r = await call(sid);
      expect(faultstring(r.text)).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 200\): /);
      const leg = await providerLeg(sid);
      expect(leg.fault_code).toBe('injected:truncate');
      expect(leg.size).toBeGreaterThan(0);
      expect(leg.raw.toString()).not.toContain('</S:Envelope>');
      await put(sid, only({ kind: 'truncate', keepBytes: 0 }));
      r = await call(sid);
      expect(faultstring(r.text)).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 200\): /);
      await put(sid, only({ kind: 'http500', status: 503 }));
      r = await call(sid);
      expect(faultstring(r.text)).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 503\): /);
      expect((await providerLeg(sid)).http_status).toBe(503);
    });

    test('a SOAP fault from the provider is passed on to the consumer', async () => {
      await put(sid, only({ kind: 'soapFault', faultcode: 'Client', faultstring: 'injected: no such person', httpStatus: 500 }));
      const r = await call(sid);
      expect(r.status).toBe(500);
      expect(faultstring(r.text)).toBe('injected: no such person');
      expect(r.text).toMatch(/<faultcode>\w+:Client<\/faultcode>/);
      expect((await providerLeg(sid)).fault_code).toBe('injected:soapFault');
    });

    test('a wrong content type: the gateway reads the body as XML whatever the type, but refuses a charset other than UTF-8 (GW-2003)', async () => {
      await put(sid, only({ kind: 'wrongContentType', contentType: 'text/html' }));
      let r = await call(sid);
      expect([r.status, r.text]).toEqual([200, expect.stringContaining('<e:Text>echo</e:Text>')]);
      expect((await providerLeg(sid)).fault_code).toBe('injected:wrongContentType');
      await put(sid, only({ kind: 'wrongContentType', contentType: 'text/xml; charset=windows-1251' }));
      r = await call(sid);
      expect(faultstring(r.text)).toMatch(/^GW-2003: The provider answer is not a SOAP envelope \(HTTP 200\): the answer is in windows-1251/);
    });

    test('share 0 injects nothing, share 1 every call, share 0.3 about 30 of 100 calls', async () => {
      const injected = async (n: number) => {
        const first = (await readJournal(gw.db, 'sid = ?', [sid])).length;
        for (let i = 0; i < n; i += 10) await Promise.all(Array.from({ length: 10 }, () => call(sid)));
        const rows = (await readJournal(gw.db, 'sid = ?', [sid])).slice(first);
        expect(rows.filter((x) => x.direction === 'gateway->consumer')).toHaveLength(n);
        const marked = rows.filter((x) => x.direction === 'provider->gateway' && x.fault_code === 'injected:http500').length;
        expect(rows.filter((x) => x.direction === 'gateway->consumer' && x.fault_code === 'GW-2003')).toHaveLength(marked);
        return marked;
      };
      await put(sid, { share: 0, kinds: [{ kind: 'http500' }] });
      expect(await injected(20)).toBe(0);
      await put(sid, { share: 1, kinds: [{ kind: 'http500' }] });
      expect(await injected(20)).toBe(20);
      await put(sid, { share: 0.3, kinds: [{ kind: 'http500' }] });
      const n = await injected(100);
      // binomial(100, 0.3): 30 ± 4.6; 12..50 is beyond four standard deviations
      expect(n).toBeGreaterThanOrEqual(12);
      expect(n).toBeLessThanOrEqual(50);
    });

    test('latency: fixed, uniform and log-normal delays (the provider leg takes at least the drawn time); past the read timeout, GW-2001', async () => {
      await put(sid, { latency: { dist: 'fixed', ms: 150 }, readTimeoutMs: READ_TIMEOUT });
      let r = await call(sid);
      expect(r.status).toBe(200);
      let leg = await providerLeg(sid);
      expect(leg.fault_code).toBe('injected:latency');
      expect(leg.duration_ms).toBeGreaterThanOrEqual(150);
      await put(sid, { latency: { dist: 'uniform', min: 60, max: 90 }, readTimeoutMs: READ_TIMEOUT });
      r = await call(sid);
      leg = await providerLeg(sid);
      expect([r.status, leg.fault_code]).toEqual([200, 'injected:latency']);
      expect(leg.duration_ms).toBeGreaterThanOrEqual(60);
      await put(sid, { latency: { dist: 'lognormal', median: 40, sigma: 0.5, maxMs: 300 }, readTimeoutMs: READ_TIMEOUT });
      r = await call(sid);
      leg = await providerLeg(sid);
      expect([r.status, leg.fault_code]).toEqual([200, 'injected:latency']);
      expect(leg.duration_ms).toBeGreaterThan(0);
      // a delay and a fault together: the fault's mark
      await put(sid, { latency: { dist: 'fixed', ms: 100 }, share: 1, kinds: [{ kind: 'http500' }], readTimeoutMs: READ_TIMEOUT });
      r = await call(sid);
      leg = await providerLeg(sid);
      expect(faultstring(r.text)).toMatch(/^GW-2003: .*HTTP 500/);
      expect(leg.fault_code).toBe('injected:http500');
      expect(leg.duration_ms).toBeGreaterThanOrEqual(100);
      await put(sid, { latency: { dist: 'fixed', ms: 5000 }, readTimeoutMs: READ_TIMEOUT });
      r = await call(sid);
      expect(faultstring(r.text)).toBe(`GW-2001: The provider did not answer within ${READ_TIMEOUT} ms`);
      // latencyShare 0: never delayed
      await put(sid, { latency: { dist: 'fixed', ms: 5000 }, latencyShare: 0 });
      r = await call(sid);
      expect([r.status, (await providerLeg(sid)).fault_code]).toEqual([200, null]);
    });
  });

  test('switched on and off through the admin API, by whom it is logged and shown; counted in the metrics', async () => {
    expect((await api(`/services/${EMULATED}/faults`)).body).toMatchObject({ sid: EMULATED, enabled: false });
    const set = await put(EMULATED, { share: 1, kinds: [{ kind: 'reset', weight: 1 }, { kind: 'http500', weight: 3 }] });
    expect(set).toMatchObject({ sid: EMULATED, enabled: true, source: 'store', updatedBy: 'operator', spec: { share: 1, kinds: [{ kind: 'reset', weight: 1, at: 'answer' }, { kind: 'http500', weight: 3, status: 500 }] } });
    const faulted = await call(EMULATED);
    expect(faulted.status).toBe(500);
    expect(faultstring(faulted.text)).toMatch(/^(Cannot perform client request|GW-2003: .*HTTP 500.*)$/);
    expect(gw.logs()).toMatch(/"by":"operator","sid":"SID0970101","enabled":true.*"msg":"fault injection switched on"/);

    const list = (await api('/faults')).body as unknown as { sid: string; enabled: boolean; source: string }[];
    expect(list.map((x) => x.sid)).toEqual([EMULATED, HTTP, DEFAULTED]);
    expect(list.find((x) => x.sid === EMULATED)).toMatchObject({ enabled: true, source: 'store' });

    // switched off: the spec kept, shown off; the next call is clean
    const gone = await api(`/services/${EMULATED}/faults`, { method: 'DELETE' });
    expect(gone.body).toMatchObject({ sid: EMULATED, enabled: false, source: 'store', updatedBy: 'operator', spec: { share: 1 } });
    expect((await call(EMULATED)).status).toBe(200);
    expect(gw.logs()).toMatch(/"by":"operator","sid":"SID0970101".*"msg":"fault injection switched off"/);
    // and on again with the same spec
    await put(EMULATED, { ...(gone.body.spec as object), enabled: true });
    expect((await call(EMULATED)).status).toBe(500);
    // set but off
    expect(await put(EMULATED, { share: 1, kinds: [{ kind: 'timeout' }], enabled: false })).toMatchObject({ enabled: false });
    expect((await call(EMULATED)).status).toBe(200);

    // the journal's search finds the injected ones by their mark
    const found = (await api(`/journal?sid=${EMULATED}&fault=injected:http500&direction=provider->gateway`)).body as { entries: { faultCode: string }[] };
    expect(found.entries.length).toBeGreaterThan(0);
    expect(found.entries.every((e) => e.faultCode === 'injected:http500')).toBe(true);

    await put(EMULATED, { latency: { dist: 'fixed', ms: 1 } });
    expect((await call(EMULATED)).status).toBe(200);
    await off(EMULATED);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    const count = (kind: string) => Number(new RegExp(`^smev2_injected_faults_total\\{sid="${EMULATED}",kind="${kind}"\\} (\\d+)`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('http500') + count('reset')).toBeGreaterThanOrEqual(2);
    expect(count('latency')).toBeGreaterThanOrEqual(1);
  });

  test('a service.yaml faults: block is in force from the start until an operator switches it off', async () => {
    expect(faultstring((await call(DEFAULTED)).text)).toMatch(/^GW-2003: .*HTTP 500/);
    expect((await api(`/services/${DEFAULTED}/faults`)).body).toMatchObject({ enabled: true, source: 'service.yaml', updatedBy: null, spec: { share: 1, kinds: [{ kind: 'http500' }] } });
    expect((await api(`/services/${DEFAULTED}/faults`, { method: 'DELETE' })).body).toMatchObject({ enabled: false, source: 'store', updatedBy: 'operator' });
    expect((await call(DEFAULTED)).status).toBe(200);
  });

  test('a spec that is not valid is refused with what is wrong; an unknown SID is 404; the auditor reads and may not change', async () => {
    let r = await api(`/services/${EMULATED}/faults`, { method: 'PUT', body: JSON.stringify({ share: 2, kinds: [{ kind: 'explode' }] }) });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(/share: .*1/);
    expect(r.body.error).toMatch(/kinds\.0\.kind/);
    r = await api(`/services/${EMULATED}/faults`, { method: 'PUT', body: JSON.stringify({ share: 0.5 }) });
    expect([r.status, r.body.error]).toEqual([400, expect.stringMatching(/kinds: share is above 0 but kinds is empty/)]);
    r = await api(`/services/${EMULATED}/faults`, { method: 'PUT', body: JSON.stringify({ latency: { dist: 'lognormal', sigma: 1 } }) });
    expect([r.status, r.body.error]).toEqual([400, expect.stringMatching(/latency: give either median \(ms\) or mu/)]);
    expect((await api('/services/SID0999999/faults', { method: 'PUT', body: JSON.stringify({ share: 0 }) })).status).toBe(404);
    // the auditor sees what is injected (the console shows it) and changes nothing
    expect((await api(`/services/${EMULATED}/faults`, { headers: AUDITOR })).status).toBe(200);
    expect((await api(`/services/${EMULATED}/faults`, { method: 'PUT', headers: AUDITOR, body: JSON.stringify({ share: 0 }) })).status).toBe(403);
    expect((await api(`/services/${EMULATED}/faults`, { method: 'DELETE', headers: AUDITOR })).status).toBe(403);
  });

  test('the command line sets and switches off faults on the store a running gateway follows', async () => {
    const cli = (...args: string[]) => runCli(['faults', ...args, '--db', gw.dbUrl, '--services', registry]);
    const until = async (status: number) => {
      const end = Date.now() + 10_000;
      while ((await call(HTTP)).status !== status) {
        if (Date.now() > end) throw new Error(`the gateway did not answer ${status} within 10 s`);
        await sleep(100);
      }
    };
    let r = await cli('set', HTTP, '--share', '1', '--kind', 'http500', '--latency-ms', '5');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(new RegExp(`^${HTTP}  on   store \\(cli:[^,]+, [^)]+\\)  \\{"share":1,"kinds":\\[\\{"kind":"http500"`));
    await until(500);
    expect((await api(`/services/${HTTP}/faults`)).body.updatedBy).toMatch(/^cli:/);
    r = await cli('list');
    expect(r.stdout).toMatch(new RegExp(`^${HTTP}  on `, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^${DEFAULTED}  (on   service\\.yaml|off  store)`, 'm')); // off once the test of service.yaml ran
    r = await cli('off', HTTP);
    expect(r.stdout).toMatch(new RegExp(`^${HTTP}  off  store`));
    await until(200);
    r = await cli('set', HTTP, '--share', '0.5');
    expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(/kinds: share is above 0 but kinds is empty/)]);
    expect((await cli('set', 'SID0999999', '--share', '0')).code).toBe(1);
  }, 30_000);

  test('a second gateway process on the same store follows the switch within its cache time', async () => {
    const second = await startGateway({ services: registry, db: gw.db, keys: gw.keys, args: ['--admin-users', USERS] });
    try {
      const until = async (ok: (status: number) => boolean, what: string, on = second) => {
        const end = Date.now() + 10_000;
        for (;;) {
          const r = await call(HTTP, on);
          if (ok(r.status)) return;
          if (Date.now() > end) throw new Error(`the second gateway did not ${what} within 10 s (last answer ${r.status}: ${faultstring(r.text)})`);
          await sleep(100);
        }
      };
      await off(HTTP);
      await until((s) => s === 200, 'answer without faults');
      await put(HTTP, { share: 1, kinds: [{ kind: 'http500' }] }); // through the first gateway
      await until((s) => s === 500, 'inject the fault switched on through the first');
      const seen = await api(`/services/${HTTP}/faults`, {}, second);
      expect(seen.body).toMatchObject({ enabled: true, updatedBy: 'operator' });
      await api(`/services/${HTTP}/faults`, { method: 'DELETE' }, second); // and off through the second
      await until((s) => s === 200, 'stop injecting once switched off');
      await until((s) => s === 200, 'stop injecting once switched off through the second (the first gateway)', gw);
    } finally {
      await second.stop();
    }
  }, 60_000);
});

