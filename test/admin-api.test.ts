import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { execFileSync, spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { demoServices, pollOperation } from './support/demo';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { ROOT } from './support/paths';

const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const OPERATOR = basic('operator', 'operator-test');
/** auditor2: the brute-force test locks `auditor` out */
const AUDITOR = basic('auditor2', 'auditor-test');
const CASES = join(ROOT, 'fixtures', 'SID0003623');
const request = (c: string) => readFileSync(join(CASES, c, 'request.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<(?:\\w+:)?${name}>([^<]+)<`).exec(xml)?.[1];

interface Page { entries: { id: number; at: string; exchangeId: string; direction: string; status: string | null; faultCode: string | null; sid: string; messageId: string | null; sha256: string; durationMs: number | null }[]; next?: number }

describe('admin API: /admin, behind a login, on the real gateway', () => {
  let gw: GatewayProcess;
  let services: string;
  const api = async (path: string, headers: Record<string, string> = OPERATOR, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}/admin${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> ?? {}) } });
    return { status: res.status, res, body: res.headers.get('content-type')?.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer()) };
  };
  const search = async (q: string, h = OPERATOR) => {
    const r = await api(`/journal?${q}`, h);
    expect(r.status).toBe(200);
    return r.body as Page;
  };
  /** every page of a search, following `next` */
  const all = async (q: string) => {
    const out: Page['entries'] = [];
    let before: number | undefined;
    for (let i = 0; i < 100; i++) {
      const p = await search(`${q}&limit=3${before ? `&before=${before}` : ''}`);
      out.push(...p.entries);
      if (!p.next) return out;
      before = p.next;
    }
    throw new Error('pagination did not end');
  };
  const sent = { found: 0, notFound: 0, malformed: 0 };
  let asyncTicket = '';

  beforeAll(async () => {
    // a copy of the demo registry, so that reload can be tried on it
    services = mkdtempSync(join(tmpdir(), 'smev2-admin-services-'));
    cpSync(join(ROOT, 'wsdl'), services, { recursive: true });
    for (const sid of ['SID0003623', 'SID0003456', 'SID0003525', 'SID0003564']) {
      const f = join(services, sid, 'service.yaml');
      writeFileSync(f, readFileSync(f, 'utf8').replace(/cases: \.\.\/\.\.\/fixtures/, `cases: ${join(ROOT, 'fixtures')}`));
    }
    gw = await startGateway({ services, args: ['--admin-users', USERS] });
    const soap = `${gw.url}/gateway/services/SID0003623`;
    for (let i = 0; i < 3; i++) { await post(soap, request('found')); sent.found++; }
    for (let i = 0; i < 2; i++) { await post(soap, request('not-found')); sent.notFound++; }
    await post(soap, '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>');
    sent.malformed++;
    // an asynchronous chain: REQUEST → ACCEPT, then a PING
    const s = demoServices().find((x) => x.sid === 'SID0003456')!;
    const c = s.cases.find((x) => x.name === 'found')!;
    const accept = await post(`${gw.url}/gateway/services/SID0003456`, c.request);
    asyncTicket = field(accept.text, 'RequestIdRef')!;
    expect(asyncTicket).toBeTruthy();
    const ping = (c.ping ?? c.request).replace(/(<(?:\w+:)?OriginRequestIdRef>)[^<]*/, `$1${asyncTicket}`);
    await post(`${gw.url}/gateway/services/SID0003456`, ping);
    expect(pollOperation(s)).toBeTruthy();
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    rmSync(services, { recursive: true, force: true });
  });

  test('nothing under /admin answers without credentials; wrong ones are refused; the SOAP endpoints need none', async () => {
    const doc = (await api('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const paths = Object.entries(doc.paths).filter(([p]) => p !== '/login' && p !== '/logout');
    expect(paths.length).toBeGreaterThanOrEqual(18);
    let n = 0;
    for (const [p, methods] of paths) {
      const url = p.replace('{id}', '1').replace('{exchangeId}', 'x').replace('{chainId}', 'x').replace('{sid}', 'SID0003623').replace(/\{\w+\}/g, 'x');
      for (const m of Object.keys(methods)) {
        const anon = await api(url, {}, { method: m.toUpperCase() });
        expect([p, m, anon.status]).toEqual([p, m, 401]);
        expect(anon.res.headers.get('www-authenticate')).toMatch(/^Basic/);
        expect((await api(url, basic(`nobody-${n++}`, 'operator-test'), { method: m.toUpperCase() })).status).toBe(401);
      }
    }
    expect((await api('/me', basic('operator', 'wrong'))).status).toBe(401);
    // ten failures lock that user out from this address, even with the right password, for ten minutes
    for (let i = 0; i < 9; i++) expect((await api('/me', basic('auditor', `guess-${i}`))).status).toBe(401);
    expect((await api('/me', basic('auditor', 'last-guess'))).status).toBe(401);
    const locked = await api('/me', basic('auditor', 'auditor-test'));
    expect(locked.status).toBe(429);
    expect((locked.body as { error: string }).error).toMatch(/wait 10 minutes/);
    expect((await api('/me')).status).toBe(200);
    const home = await (await fetch(`${gw.url}/`, { headers: { accept: 'text/html' } })).text();
    expect(home).toMatch(/<a href="\/console\/">Web console<\/a>/);
    const wsdl = await fetch(`${gw.url}/gateway/services/SID0003623?wsdl`);
    expect(wsdl.status).toBe(200);
    expect((await post(`${gw.url}/gateway/services/SID0003623`, request('found'))).status).toBe(200);
    sent.found++;
  });

  test('roles: the auditor reads the journal and statistics only; the operator everything', async () => {
    expect((await api('/me', AUDITOR)).body).toEqual({ user: 'auditor2', role: 'auditor', department: null, views: ['journal', 'message', 'chain', 'stats', 'emulator', 'passport', 'inbox'] });
    for (const p of ['/journal', '/journal/head', '/stats', '/journal/export.csv', '/openapi.json']) expect([p, (await api(p, AUDITOR)).status]).toEqual([p, 200]);
    for (const p of ['/services', '/services/SID0003623', '/systems', '/queue', '/queue/x', '/availability']) {
      const r = await api(p, AUDITOR);
      expect([p, r.status]).toEqual([p, 403]);
      expect((r.body as { error: string }).error).toMatch(/auditor; this needs operator/);
    }
    expect((await api('/services/reload', AUDITOR, { method: 'POST' })).status).toBe(403);
    expect((await api('/queue/x/redrive', AUDITOR, { method: 'POST' })).status).toBe(403);
    expect((await api('/services')).status).toBe(200);
  });

  test('a console login: an HttpOnly SameSite cookie; changes with it need X-Requested-With; logout ends it', async () => {
    const bad = await fetch(`${gw.url}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'operator', password: 'nope' }) });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('set-cookie')).toBeNull();
    const ok = await fetch(`${gw.url}/admin/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user: 'operator', password: 'operator-test' }) });
    expect(ok.status).toBe(200);
    const setCookie = ok.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^smev2_session=[^;]+; Path=\/; Expires=.*; HttpOnly; SameSite=Strict$/);
    const cookie = { cookie: setCookie.split(';')[0]! };
    expect((await api('/me', cookie)).body).toMatchObject({ user: 'operator', role: 'operator', department: null });
    expect((await api('/services/reload', cookie, { method: 'POST' })).status).toBe(403);
    expect((await api('/services/reload', { ...cookie, 'x-requested-with': 'test' }, { method: 'POST' })).status).toBe(200);
    // a forged or altered cookie is nobody
    const [body, mac] = cookie.cookie.slice('smev2_session='.length).split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), r: 'operator', u: 'auditor' })).toString('base64url');
    expect((await api('/me', { cookie: `smev2_session=${forged}.${mac}` })).status).toBe(401);
  });

  test('journal search: every filter, keyset pages that neither skip nor repeat', async () => {
    const sid = await all('sid=SID0003623');
    const exchanges = sent.found + sent.notFound + sent.malformed;
    expect(sid.filter((e) => e.direction === 'gateway->consumer')).toHaveLength(exchanges);
    expect(new Set(sid.map((e) => e.id)).size).toBe(sid.length);
    expect(sid.map((e) => e.id)).toEqual([...sid.map((e) => e.id)].sort((a, b) => b - a));
    expect(sid.every((e) => e.sid === 'SID0003623')).toBe(true);

    const replies = await all('sid=SID0003623&direction=gateway->consumer');
    expect(replies).toHaveLength(exchanges);
    const malformed = await all('fault=GW-1001');
    expect(malformed).toHaveLength(1); // the fault sent back; the consumer's bytes are found by its exchange
    expect(malformed[0]!.direction).toBe('gateway->consumer');
    expect((await all(`exchange=${malformed[0]!.exchangeId}`)).map((e) => e.direction).sort()).toEqual(['consumer->gateway', 'gateway->consumer']);
    expect((await all('status=REQUEST&direction=consumer->gateway&sid=SID0003623'))).toHaveLength(sent.found + sent.notFound);
    expect(await all('sender=MINZ01001&sid=SID0003623&direction=consumer->gateway')).toHaveLength(sent.found + sent.notFound);
    expect(await all('recipient=NOBODY00000')).toHaveLength(0);
    expect(await all('operation=Process&direction=gateway->consumer')).toHaveLength(sent.found + sent.notFound);

    // words of the AppData, any case; a word of no message finds nothing
    const surname = field(request('found'), 'pfr:Фамилия')!;
    expect(surname).toMatch(/^[А-ЯЁ]+$/);
    const byText = await all(`text=${encodeURIComponent(surname.toLowerCase())}&direction=consumer->gateway`);
    const byTextIds = new Set((await all(`text=${encodeURIComponent(surname.toLowerCase())}`)).map((e) => e.id));
    expect(byText).toHaveLength(sent.found);
    expect(await all(`text=${encodeURIComponent(surname.slice(0, 4))}&direction=consumer->gateway`)).toHaveLength(sent.found);
    expect(await all('text=zzzzqqq')).toHaveLength(0);
    expect((await api('/journal?text=%2B%2B%2B')).status).toBe(400);

    const one = byText[0]!;
    const stamped = sid.find((e) => e.exchangeId === one.exchangeId && e.direction === 'gateway->provider')!;
    expect(stamped.messageId).toBeTruthy(); // the node's smev:Header/MessageId
    expect((await all(`messageId=${stamped.messageId}`)).map((e) => e.id)).toContain(stamped.id);
    expect((await all(`exchange=${one.exchangeId}`)).map((e) => e.direction).sort()).toEqual(['consumer->gateway', 'gateway->consumer', 'gateway->provider', 'provider->gateway']);

    // a time range: nothing in the future, everything since a minute ago
    const future = new Date(Date.now() + 3600_000).toISOString();
    expect(await all(`from=${future}`)).toHaveLength(0);
    expect((await all(`from=${new Date(Date.now() - 600_000).toISOString()}&sid=SID0003623`)).length).toBe(sid.length);
    // a range between two entries' times: exactly the entries with from <= at < to, whatever their ids
    const times = [...new Set(sid.map((e) => e.at))].sort();
    const from = times[Math.floor(times.length / 4)]!;
    const to = times[Math.floor((3 * times.length) / 4)]!;
    const inRange = sid.filter((e) => e.at >= from && e.at < to).map((e) => e.id);
    expect(inRange.length).toBeGreaterThan(0);
    expect((await all(`sid=SID0003623&from=${from}&to=${to}`)).map((e) => e.id)).toEqual(inRange);
    const words = await all(`sid=SID0003623&text=${encodeURIComponent(surname.toLowerCase())}&from=${from}&to=${to}`);
    expect(words.length).toBeGreaterThan(0);
    expect(words.map((e) => e.id)).toEqual(sid.filter((e) => e.at >= from && e.at < to && byTextIds.has(e.id)).map((e) => e.id));
    for (const bad of ['from=yesterday', 'limit=0', 'limit=501', 'before=-1', 'sid=a&sid=b']) {
      const r = await api(`/journal?${bad}`);
      expect([bad, r.status]).toEqual([bad, 400]);
      expect((r.body as { error: string }).error).toBeTruthy();
    }
  });

  test('one message: its legs with raw envelopes, byte for byte, matching the journal\'s SHA-256', async () => {
    const [reply] = (await search('sid=SID0003623&direction=gateway->consumer&status=RESULT&limit=1')).entries;
    const ex = await api(`/exchanges/${reply!.exchangeId}`);
    expect(ex.status).toBe(200);
    const legs = (ex.body as { legs: { id: number; direction: string; raw: string; sha256: string; signature: string | null }[] }).legs;
    expect(legs.map((l) => l.direction)).toEqual(['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']);
    for (const l of legs) {
      const raw = await api(`/journal/${l.id}/raw`);
      expect(raw.res.headers.get('content-type')).toMatch(/^text\/xml/);
      // journal bytes are attacker-controlled: a download, sandboxed, never rendered as a page of the admin origin
      expect(raw.res.headers.get('content-disposition')).toMatch(/^attachment; filename="journal-\d+\.xml"$/);
      expect(raw.res.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
      expect(raw.res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(createHash('sha256').update(raw.body as Buffer).digest('hex')).toBe(l.sha256);
      expect(Buffer.from(l.raw, 'utf8').equals(raw.body as Buffer)).toBe(true);
      const single = await api(`/journal/${l.id}`);
      expect((single.body as { raw: string }).raw).toBe(l.raw);
    }
    expect(legs[1]!.raw).toMatch(/wsse:Security|Security/);
    expect(legs[0]!.signature).toBeTruthy();
    expect((await api('/journal/99999999')).status).toBe(404);
    expect((await api('/exchanges/nope')).status).toBe(404);
  });

  test('a chain: REQUEST → ACCEPT → PING → … in time order', async () => {
    const r = await api(`/chains/${asyncTicket}`);
    expect(r.status).toBe(200);
    const chain = r.body as { steps: { request: string | null; answer: string | null }[]; legs: unknown[] };
    expect(chain.steps[0]).toMatchObject({ request: 'REQUEST', answer: 'ACCEPT' });
    expect(chain.steps[1]!.request).toBe('PING');
    expect(chain.steps[1]!.answer).toMatch(/^(PROCESS|RESULT|REJECT)$/);
    expect((await api('/chains/no-such-chain')).status).toBe(404);
  });

  test('statistics: counts per SID, department, status and fault, latency percentiles, an hourly series', async () => {
    const r = await api('/stats?bucket=hour');
    expect(r.status).toBe(200);
    const s = r.body as { exchanges: number; faults: number; bySid: { sid: string; exchanges: number; p50: number; p95: number; p99: number; max: number }[]; byDepartment: { department: string; requests: number }[]; byStatus: { status: string; count: number }[]; byFault: { fault: string; count: number }[]; series: { t: string; exchanges: number }[] };
    const snils = s.bySid.find((x) => x.sid === 'SID0003623')!;
    expect(snils.exchanges).toBe(sent.found + sent.notFound + sent.malformed);
    expect(snils.p50).toBeGreaterThan(0);
    expect(snils.p50).toBeLessThanOrEqual(snils.p95);
    expect(snils.p95).toBeLessThanOrEqual(snils.p99);
    expect(snils.p99).toBeLessThanOrEqual(snils.max);
    expect(s.byFault).toEqual(expect.arrayContaining([{ fault: 'GW-1001', count: 1 }]));
    expect(s.byDepartment.find((d) => d.department === 'MINZ01001')!.requests).toBeGreaterThanOrEqual(sent.found + sent.notFound);
    expect(s.byStatus.reduce((a, x) => a + x.count, 0)).toBe(s.exchanges);
    expect(s.series.reduce((a, x) => a + x.exchanges, 0)).toBe(s.exchanges);
    expect(s.series.every((x) => /T\d\d:00:00\.000Z$/.test(x.t))).toBe(true);
    const daily = (await api('/stats?bucket=day')).body as typeof s;
    expect(daily.series.reduce((a, x) => a + x.exchanges, 0)).toBe(s.exchanges);
    const empty = (await api(`/stats?from=2020-01-01T00:00:00Z&to=2020-01-02T00:00:00Z`)).body as typeof s;
    expect(empty.exchanges).toBe(0);
    expect((await api('/stats?bucket=week')).status).toBe(400);
  });

  test('exports: CSV and XLSX of exactly the filtered entries', async () => {
    const q = 'sid=SID0003623&direction=consumer->gateway';
    const entries = await all(q);
    const csv = await api(`/journal/export.csv?${q}`, AUDITOR);
    expect(csv.res.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.res.headers.get('content-disposition')).toMatch(/^attachment; filename="journal-.*\.csv"$/);
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.startsWith('\ufeffid,at,exchange,sid,')).toBe(true);
    const lines = text.trim().split('\r\n');
    expect(lines).toHaveLength(entries.length + 1);
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual(entries.map((e) => e.id).reverse());

    const x = await api(`/journal/export.xlsx?${q}`, AUDITOR);
    expect(x.res.headers.get('content-type')).toBe('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const file = join(mkdtempSync(join(tmpdir(), 'smev2-xlsx-')), 'journal.xlsx');
    writeFileSync(file, x.body as Buffer);
    // read back by an independent reader: openpyxl (Debian python3-openpyxl, installed by .ci/run)
    const haveOpenpyxl = (() => { try { execFileSync('/usr/bin/python3', ['-c', 'import openpyxl']); return true; } catch { return false; } })();
    if (!haveOpenpyxl && process.env.CI === 'true') throw new Error('python3-openpyxl is missing: .ci/run installs it from apt');
    if (!haveOpenpyxl) { console.warn('Debian python3-openpyxl not found for /usr/bin/python3 (apt-get install python3-openpyxl): XLSX checked as a ZIP only'); expect((x.body as Buffer).subarray(0, 2).toString()).toBe('PK'); return; }
    const rows = JSON.parse(execFileSync('/usr/bin/python3', ['-c', 'import openpyxl,json,sys; ws=openpyxl.load_workbook(sys.argv[1]).active; print(json.dumps([[c for c in r] for r in ws.iter_rows(values_only=True)], default=str))', file]).toString()) as unknown[][];
    expect(rows[0]!.slice(0, 4)).toEqual(['id', 'at', 'exchange', 'sid']);
    expect(rows).toHaveLength(entries.length + 1);
    expect(rows.slice(1).map((r) => r[0])).toEqual(entries.map((e) => e.id).reverse());
    expect(rows.slice(1).every((r) => r[3] === 'SID0003623')).toBe(true);
  });

  test('the registry: list, detail with WSDL links that answer, reload; a broken registry is refused and the old one kept', async () => {
    const list = (await api('/services')).body as { sid: string; wsdl: string; operations: { name: string }[] }[];
    expect(list.map((s) => s.sid)).toEqual(['SID0003456', 'SID0003525', 'SID0003564', 'SID0003623', 'SID0009001']);
    for (const s of list) expect((await fetch(s.wsdl)).status).toBe(200);
    const detail = (await api('/services/SID0003623')).body as { files: string[]; definition: { sid: string }; payloadControl: string };
    expect(detail.definition.sid).toBe('SID0003623');
    expect(detail.files.length).toBeGreaterThan(0);
    expect((await api('/services/SID9999999')).status).toBe(404);
    const systems = (await api('/systems')).body as { mnemonic: string; certificates: { subject: string }[] }[];
    expect(systems.map((s) => s.mnemonic)).toContain('MINZ01001');

    // a new SID appears on reload
    cpSync(join(services, 'SID0003623'), join(services, 'SID0003624'), { recursive: true });
    const def = join(services, 'SID0003624', 'service.yaml');
    writeFileSync(def, readFileSync(def, 'utf8').replace('sid: SID0003623', 'sid: SID0003624'));
    const reload = await api('/services/reload', OPERATOR, { method: 'POST' });
    expect(reload.status).toBe(200);
    expect((reload.body as { services: string[] }).services).toContain('SID0003624');
    expect((await fetch(`${gw.url}/gateway/services/SID0003624?wsdl`)).status).toBe(200);
    // broken: refused with the reason, the registry in force stays
    writeFileSync(def, 'sid: [not, a, sid]\n');
    const refused = await api('/services/reload', OPERATOR, { method: 'POST' });
    expect(refused.status).toBe(422);
    expect((refused.body as { error: string }).error).toMatch(/SID0003624/);
    expect((await fetch(`${gw.url}/gateway/services/SID0003624?wsdl`)).status).toBe(200);
    rmSync(join(services, 'SID0003624'), { recursive: true });
    expect((await api('/services/reload', OPERATOR, { method: 'POST' })).status).toBe(200);
  });

  test('the OpenAPI document describes every route, and an unknown one is a JSON 404', async () => {
    const doc = (await api('/openapi.json', AUDITOR)).body as { openapi: string; servers: { url: string }[]; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]!.url).toBe(`${gw.url}/admin`);
    for (const who of [OPERATOR, AUDITOR]) {
      const nf = await api('/no-such-thing', who);
      expect(nf.status).toBe(404);
      expect((nf.body as { error: string }).error).toMatch(/openapi\.json/);
    }
  });

  test('the journal head names the newest entry; `journal verify` still holds after all of this', async () => {
    const head = (await api('/journal/head', AUDITOR)).body as { id: number; hash: string };
    const [newest] = (await search('limit=1')).entries;
    expect(head.id).toBe(newest!.id);
    expect(head.hash).toMatch(/^[0-9a-f]{64}$/);
    const v = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(v.code).toBe(0);
  });

  test('retention empties the bodies and their words: the text search no longer finds them, the raw bytes are gone (410), the chain holds', async () => {
    const surname = field(request('found'), 'pfr:Фамилия')!.toLowerCase();
    expect((await search(`text=${encodeURIComponent(surname)}`)).entries.length).toBeGreaterThan(0);
    const purge = await runCli(['journal', 'purge', '--older-than', '0', '--db', gw.dbUrl]);
    expect(purge.code).toBe(0);
    expect((await search(`text=${encodeURIComponent(surname)}`)).entries).toHaveLength(0);
    const [e] = (await search('sid=SID0003623&limit=1')).entries as (Page['entries'][number] & { purged: boolean })[];
    expect(e!.purged).toBe(true);
    expect((await api(`/journal/${e!.id}/raw`)).status).toBe(410);
    expect(((await api(`/journal/${e!.id}`)).body as { raw: string | null }).raw).toBeNull();
    expect((await runCli(['journal', 'verify', '--db', gw.dbUrl])).code).toBe(0);
  });
});

describe('admin API: dead letters and re-drive', () => {
  let gw: GatewayProcess;
  let down: Upstream;
  let up = false;
  beforeAll(async () => {
    down = await startUpstream((_b, _q, res) => {
      if (!up) return void res.destroy();
      res.writeHead(200, { 'content-type': 'text/xml' }).end(readFileSync(join(ROOT, 'test', 'data', 'echo', 'answer.xml')));
    });
    const registry = makeRegistry([{ bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0800002', { type: 'http', url: down.url }), delivery: { mode: 'guaranteed', maxAttempts: 2, initialBackoffMs: 50, maxBackoffMs: 100, pollIntervalMs: 100 } } }]);
    gw = await startGateway({ services: registry, args: ['--admin-users', USERS] });
  });
  afterAll(async () => {
    await gw?.stop();
    await down?.close();
  });

  test('the dead letter is listed and shown; the operator re-drives it, the auditor may not', async () => {
    if (!existsSync(join(ROOT, 'test', 'data', 'echo', 'request.xml'))) throw new Error('test/data/echo/request.xml is missing');
    const accept = await post(`${gw.url}/gateway/services/SID0800002`, readFileSync(join(ROOT, 'test', 'data', 'echo', 'request.xml')));
    const ticket = field(accept.text, 'RequestIdRef')!;
    expect(ticket).toBeTruthy();
    let dead: { items: { id: string; status: string; last_error: string }[] } = { items: [] };
    for (let i = 0; i < 100 && !dead.items.length; i++) {
      await new Promise((r) => setTimeout(r, 100));
      dead = await (await fetch(`${gw.url}/admin/queue?status=dead`, { headers: OPERATOR })).json() as typeof dead;
    }
    expect(dead.items.map((x) => x.id)).toEqual([ticket]);
    expect(dead.items[0]!.last_error).toBeTruthy();
    const shown = await (await fetch(`${gw.url}/admin/queue/${ticket}`, { headers: OPERATOR })).json() as { payload: string };
    expect(shown.payload).toMatch(/Envelope/);
    expect((await fetch(`${gw.url}/admin/queue/${ticket}/redrive`, { method: 'POST', headers: AUDITOR })).status).toBe(403);
    up = true;
    const r = await fetch(`${gw.url}/admin/queue/${ticket}/redrive`, { method: 'POST', headers: OPERATOR });
    expect(r.status).toBe(200);
    let status = '';
    for (let i = 0; i < 100 && status !== 'done'; i++) {
      await new Promise((res) => setTimeout(res, 100));
      status = (await (await fetch(`${gw.url}/admin/queue/${ticket}`, { headers: OPERATOR })).json() as { status: string }).status;
    }
    expect(status).toBe('done');
    expect((await fetch(`${gw.url}/admin/queue/${ticket}/redrive`, { method: 'POST', headers: OPERATOR })).status).toBe(409);
  });
});

describe('admin users: hashes made by the CLI, the demo passwords warned about', () => {
  test('admin hash-password makes a hash the gateway accepts; admin users lists roles and flags demo passwords', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smev2-users-'));
    const short = await runCliWithInput(['admin', 'hash-password'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 12 characters/);
    const made = await runCliWithInput(['admin', 'hash-password'], 'correct horse battery staple\n');
    expect(made.code).toBe(0);
    const hash = made.stdout.trim();
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    const file = join(dir, 'users.yaml');
    writeFileSync(file, `users:\n  - name: ops\n    role: operator\n    password: ${hash}\n`);
    const listed = await runCli(['admin', 'users', '--admin-users', file]);
    expect(listed.stdout).toMatch(/^ops +operator$/m);
    const demo = await runCli(['admin', 'users', '--admin-users', join(ROOT, 'admin-users.yaml')]);
    expect(demo.stdout).toMatch(/^operator +operator +DEMO PASSWORD/m);
    expect(demo.stdout).toMatch(/^auditor +auditor +DEMO PASSWORD/m);
    expect(demo.stdout).toMatch(/^clerk +clerk +DEMO PASSWORD/m);
    expect(demo.stdout).toMatch(/^requester +requester +DEMO PASSWORD/m);

    // a password in the file instead of a hash stops the start, naming the entry
    const plain = join(dir, 'plain.yaml');
    writeFileSync(plain, 'users:\n  - name: ops\n    role: operator\n    password: hunter2hunter2\n');
    await expect(startGateway({ args: ['--admin-users', plain] })).rejects.toThrow(/users\[0\] \(ops\): password must be a hash/);

    const gw = await startGateway({ args: ['--admin-users', file] });
    try {
      expect((await fetch(`${gw.url}/admin/me`, { headers: basic('ops', 'correct horse battery staple') })).status).toBe(200);
      expect((await fetch(`${gw.url}/admin/me`, { headers: basic('ops', 'correct horse battery stapler') })).status).toBe(401);
    } finally {
      await gw.stop();
    }
    const withDemo = await startGateway({ args: ['--admin-users', join(ROOT, 'admin-users.yaml')] });
    try {
      for (let i = 0; i < 50 && !/demo passwords/.test(withDemo.logs()); i++) await new Promise((r) => setTimeout(r, 100));
      expect(withDemo.logs()).toMatch(/"users":\["operator","auditor","clerk","requester"\].*admin users with the demo passwords/);
    } finally {
      await withDemo.stop();
    }
  }, 60_000);
});

function runCliWithInput(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/smev2-gateway.js', ...args], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}
