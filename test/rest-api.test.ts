// The REST façade over HTTP (src/rest; docs/rest.md): systems with API keys issued by the CLI
// (`systems api-key`, hashed in the system's file), every demo operation called with JSON built
// from its fixture request, the envelope signed as the key's system and sent through the
// gateway's own pipeline (journaled), answers as JSON or XML, an asynchronous operation's ticket
// polled to its answer, and each refusal as an RFC 9457 problem with its catalogue code; values
// drawn from the served OpenAPI document's schema (test/support/json-arbitrary.ts, as
// test/json-xml-properties.test.ts does without HTTP), valid ones answered, ones with a fault
// refused as problems. Runs on the store SMEV2_TEST_STORE names (SQLite or PostgreSQL).
import { cpSync, mkdtempSync, readFileSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { loadXml } from '../src/xml/libxml';
import { loadService, type Service } from '../src/registry/load';
import { parseEnvelope } from '../src/envelope/parse';
import { ComposerModels } from '../src/xsd/model';
import { contentXml, xmlToJson } from '../src/xsd/json-xml';
import fc from 'fast-check';
import Ajv2020 from 'ajv/dist/2020';
import { runCli, startGateway, type GatewayProcess } from './support/gateway';
import { ROOT } from './support/paths';
import { faultSites, undrawable, valueArb, type Fault, type Json } from './support/json-arbitrary';

let gw: GatewayProcess;
let systems: string;
const keys: Record<string, string> = {};
const services = new Map<string, Service>();
const models = new ComposerModels();

async function issueKey(mnemonic: string): Promise<string> {
  const r = await runCli(['systems', 'api-key', mnemonic, '--systems', systems, '--note', 'rest-api.test']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: expect.stringContaining('shown this once') });
  return r.stdout.trim();
}

beforeAll(async () => {
  await loadXml();
  systems = mkdtempSync(join(tmpdir(), 'smev2-rest-systems-'));
  cpSync(join(ROOT, 'systems'), systems, { recursive: true });
  // a system granted one operation, and one the gateway holds no private key for
  writeFileSync(join(systems, 'LIMT01001.yaml'), 'mnemonic: LIMT01001\nname: Limited\nissuers: ["@keys/demo-ca.pem"]\ngrants:\n  SID0003623: [Process]\ndemo: true\n');
  writeFileSync(join(systems, 'NOKY01001.yaml'), '# no key: the gateway cannot sign as it\nmnemonic: NOKY01001\nname: Keyless\ngrants: "*"\n');
  for (const m of ['MINZ01001', 'PNZR01581', 'LIMT01001', 'NOKY01001']) keys[m] = await issueKey(m);
  gw = await startGateway({ args: ['--systems', systems] });
  for (const sid of readdirSync(join(ROOT, 'wsdl'))) {
    const s = loadService(join(ROOT, 'wsdl', sid), [] as never, []);
    if (s) services.set(sid, s);
  }
}, 90000);
afterAll(async () => {
  await gw?.stop();
});

async function call(path: string, o: { key?: string; body?: unknown; raw?: string; xml?: string; accept?: string; contentType?: string; method?: string } = {}) {
  const headers: Record<string, string> = {};
  if (o.key !== undefined) headers['X-API-Key'] = o.key;
  if (o.accept) headers.accept = o.accept;
  let body: string | undefined;
  if (o.xml !== undefined) {
    body = o.xml;
    headers['content-type'] = o.contentType ?? 'application/xml';
  } else if (o.body !== undefined || o.raw !== undefined) {
    body = o.raw ?? JSON.stringify(o.body);
    headers['content-type'] = o.contentType ?? 'application/json';
  }
  const res = await fetch(`${gw.url}${path}`, { method: o.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, text, json: /json/.test(type) && text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** The AppData content and operation of a fixture request. */
/** The demo manual provider SID0009001 has no cases (a clerk answers): it serves SID0003456's bundle, whose fixtures fit it. */
const fixturesOf = (sid: string) => (sid === 'SID0009001' ? 'SID0003456' : sid);

function fixtureRequest(sid: string, kase: string): { operation: string; xml: string } {
  const c = parseYaml(readFileSync(join(ROOT, 'fixtures', fixturesOf(sid), kase, 'case.yaml'), 'utf8')) as { operation: string };
  const p = parseEnvelope(readFileSync(join(ROOT, 'fixtures', fixturesOf(sid), kase, 'request.xml')));
  try {
    return { operation: c.operation, xml: contentXml(p.appDataElement!) };
  } finally {
    p.doc.dispose();
  }
}

function requestJson(sid: string, operation: string, xml: string): unknown {
  return xmlToJson(models.operation(services.get(sid)!, operation).form, xml);
}

test('the key is printed once and only its SHA-256 is kept in the system\'s file, the comments kept', () => {
  const file = readFileSync(join(systems, 'MINZ01001.yaml'), 'utf8');
  expect(keys.MINZ01001).toMatch(/^smev2_[A-Za-z0-9_-]{43}$/);
  expect(file).not.toContain(keys.MINZ01001);
  const { createHash } = require('node:crypto') as typeof import('node:crypto');
  expect(file).toContain(`sha256: ${createHash('sha256').update(keys.MINZ01001).digest('hex')}`);
  expect(file).toMatch(/^# Demo information system/);
  expect(file).toContain('note: rest-api.test');
});

test('a synchronous operation: JSON in, the provider\'s answer as JSON out, journaled as the key\'s system', async () => {
  const { operation, xml } = fixtureRequest('SID0003623', 'found');
  const body = requestJson('SID0003623', operation, xml) as Record<string, unknown>;
  expect(body['Фамилия']).toBe('ИВАНОВА');
  const r = await call(`/api/v1/services/SID0003623/${operation}`, { key: keys.MINZ01001, body });
  expect({ status: r.status, text: r.json ? '' : r.text }).toEqual({ status: 200, text: '' });
  expect(r.headers.get('x-smev-status')).toBe('RESULT');
  expect(r.json).toMatchObject({ 'СтраховойНомер': '158-301-447 53', 'ЗастрахованноеЛицо': { 'Фамилия': 'ИВАНОВА', 'ДатаРождения': '14.07.1985' } });
  // the exchange is in the journal, sent by MINZ01001
  const id = r.headers.get('x-exchange-id');
  expect(id).toBeTruthy();
  const j = await fetch(`${gw.url}/admin/exchanges/${id}`, { headers: { authorization: `Basic ${Buffer.from('operator:operator-demo').toString('base64')}` } });
  expect(j.status).toBe(200);
  const legs = await j.text();
  expect(legs).toContain('MINZ01001');
  expect(legs).toContain('ИВАНОВА');
});

test('XML in and XML out (Accept: application/xml)', async () => {
  const { operation, xml } = fixtureRequest('SID0003623', 'found');
  const r = await call(`/api/v1/services/SID0003623/${operation}`, { key: keys.MINZ01001, xml, accept: 'application/xml' });
  expect(r.status).toBe(200);
  expect(r.type).toMatch(/^application\/xml/);
  expect(r.text).toMatch(/<\w+:ОтветСНИЛС xmlns:\w+="http:\/\/smev2-gateway\.demo\/pfr\/snils\/data"/);
});

test('every demo operation is called through the façade with JSON from its fixtures', async () => {
  const results: Record<string, number> = {};
  for (const sid of [...services.keys()].sort()) {
    for (const kase of readdirSync(join(ROOT, 'fixtures', fixturesOf(sid))).sort()) {
      if (!existsSync(join(ROOT, 'fixtures', fixturesOf(sid), kase, 'request.xml'))) continue;
      const { operation, xml } = fixtureRequest(sid, kase);
      const r = await call(`/api/v1/services/${sid}/${operation}`, { key: keys.MINZ01001, body: requestJson(sid, operation, xml) });
      results[`${sid} ${operation} ${kase}`] = r.status;
      expect({ sid, kase, status: r.status, problem: r.status >= 300 ? r.json : undefined }).toEqual({ sid, kase, status: expect.any(Number), problem: undefined });
      if (r.status === 202) expect(r.json).toMatchObject({ status: 'pending', sid, operation, href: expect.stringContaining('/api/v1/tickets/') });
    }
  }
  // the polled operations, with the poll's own JSON (their fixtures' ping.xml)
  for (const [sid, op] of [['SID0003456', 'getConvictionResponse'], ['SID0003564', 'GetStatus']] as const) {
    const p = parseEnvelope(readFileSync(join(ROOT, 'fixtures', sid, 'found', 'ping.xml')));
    const xml = contentXml(p.appDataElement!);
    p.doc.dispose();
    const r = await call(`/api/v1/services/${sid}/${op}`, { key: keys.MINZ01001, body: requestJson(sid, op, xml) });
    results[`${sid} ${op}`] = r.status;
    // no chain given: the emulator says PROCESS, which is a ticket too
    expect({ sid, op, status: r.status, problem: r.status < 300 ? undefined : r.json }).toEqual({ sid, op, status: expect.any(Number), problem: undefined });
    expect([200, 202]).toContain(r.status);
    expect(r.headers.get('x-smev-status')).toBeTruthy();
  }
  const ops = new Set(Object.keys(results).map((k) => k.split(' ').slice(0, 2).join(' ')));
  expect([...ops].sort()).toEqual(['SID0003456 getConvictionResponse', 'SID0003456 sendConvictionRequest', 'SID0003525 getEgrulExtract', 'SID0003564 CreateRequest', 'SID0003564 GetStatus', 'SID0003623 Process', 'SID0009001 sendConvictionRequest']);
  expect(Object.entries(results).filter(([k]) => /sendConvictionRequest|CreateRequest/.test(k)).map(([, v]) => v)).toEqual(expect.arrayContaining([202]));
});

test('an asynchronous operation: 202 and a ticket, polled until the answer comes (PROCESS twice, then RESULT)', async () => {
  const { operation, xml } = fixtureRequest('SID0003456', 'found');
  const r = await call(`/api/v1/services/SID0003456/${operation}`, { key: keys.MINZ01001, body: requestJson('SID0003456', operation, xml) });
  expect(r.status).toBe(202);
  const href = r.headers.get('location')!;
  expect(href).toBe(r.json.href);
  const path = new URL(href).pathname;
  const seen: string[] = [];
  let last;
  for (let i = 0; i < 10; i++) {
    last = await call(path, { key: keys.MINZ01001 });
    seen.push(`${last.status} ${last.json?.smevStatus}`);
    if (last.status !== 202) break;
    expect(last.headers.get('retry-after')).toBe('1');
  }
  expect(seen).toEqual(['202 PROCESS', '202 PROCESS', '200 RESULT']);
  expect(last!.json).toMatchObject({ status: 'done', sid: 'SID0003456', operation: 'sendConvictionRequest', answer: { Found: true, Person: { SecName: 'КУЗНЕЦОВ' } } });
  // the RegNumber of the ACCEPT went into the poll's RequestID, and the answer template echoes it
  const accepted = /<cid:RegNumber[^>]*>(\d+)</.exec(readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'accept.xml'), 'utf8'))![1];
  expect(last!.json.answer.RegNumber).toEqual({ '#text': Number(accepted) });
  // another system's key does not find the ticket; a forged one is not found either
  const other = await call(path, { key: keys.PNZR01581 });
  expect(other.status).toBe(404);
  expect(other.json.detail).toMatch(/^GW-6006: No ticket /);
  const forged = await call(`${path.slice(0, -3)}AAA`, { key: keys.MINZ01001 });
  expect(forged.status).toBe(404);
});

test('refusals are RFC 9457 problems with the catalogue code', async () => {
  const { operation, xml } = fixtureRequest('SID0003623', 'found');
  const body = requestJson('SID0003623', operation, xml) as Record<string, unknown>;
  const url = `/api/v1/services/SID0003623/${operation}`;
  const expectProblem = (r: Awaited<ReturnType<typeof call>>, status: number, code: string) => {
    expect({ status: r.status, type: r.type, code: r.json?.code, problemType: r.json?.type }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/), code, problemType: `urn:smev2-gateway:fault:${code}` });
    expect(r.json.detail.startsWith(`${code}: `)).toBe(true);
    expect(r.json.status).toBe(status);
  };
  const noKey = await call(url, { body });
  expectProblem(noKey, 401, 'GW-6001');
  expect(noKey.json.detail).toContain('GW-6001: No API key');
  const badKey = await call(url, { key: 'smev2_nope', body });
  expectProblem(badKey, 401, 'GW-6002');
  expect(badKey.json.detail).toContain('GW-6002: The API key is not one of any registered system');
  // LIMT01001 may call Process of SID0003623 only
  const limited = await call('/api/v1/services/SID0003525/getEgrulExtract', { key: keys.LIMT01001, body: {} });
  expectProblem(limited, 403, 'GW-6003');
  expect(limited.json.detail).toContain('GW-6003: System LIMT01001 may not call operation getEgrulExtract of SID0003525');
  expect((await call(url, { key: keys.LIMT01001, body })).status).toBe(200);
  const keyless = await call(url, { key: keys.NOKY01001, body });
  expectProblem(keyless, 409, 'GW-6004');
  expect(keyless.json.detail).toContain('GW-6004: The gateway holds no private key for system NOKY01001');
  const wrongType = await call(url, { key: keys.MINZ01001, body: { ...body, 'Фамилия': 12 } });
  expectProblem(wrongType, 400, 'GW-6005');
  expect(wrongType.json.at).toBe('/Фамилия');
  expect(wrongType.json.detail).toContain('GW-6005: The body does not fit SID0003623 Process: /Фамилия: Фамилия is a string: give a string, not number 12');
  const notJson = await call(url, { key: keys.MINZ01001, raw: '{"a":' });
  expectProblem(notJson, 400, 'GW-6005');
  const unknownOp = await call('/api/v1/services/SID0003623/Nope', { key: keys.MINZ01001, body });
  expectProblem(unknownOp, 404, 'GW-6006');
  expect(unknownOp.json.detail).toBe('GW-6006: SID0003623 has no operation Nope (it has: Process)');
  const media = await call(url, { key: keys.MINZ01001, raw: 'x', contentType: 'text/plain' });
  expectProblem(media, 415, 'GW-6007');
  expect(media.json.detail).toContain('GW-6007: Content-Type text/plain');
  const accept = await call(url, { key: keys.MINZ01001, body, accept: 'image/png' });
  expectProblem(accept, 406, 'GW-6007');
  // JSON of the right shape that the XSD refuses: the gateway's own control answers SMEV-102000, mapped to 422
  const invalid = await call(url, { key: keys.MINZ01001, body: { ...body, 'ДатаРождения': '1985-07-14' } });
  expectProblem(invalid, 422, 'SMEV-102000');
  expect(invalid.json.exchangeId).toBeTruthy();
});

test('a business refusal that fits the answer schema is JSON with its smev:Status (SID0003525 business-error)', async () => {
  const { operation, xml } = fixtureRequest('SID0003525', 'business-error');
  const r = await call(`/api/v1/services/SID0003525/${operation}`, { key: keys.MINZ01001, body: requestJson('SID0003525', operation, xml) });
  expect(r.status).toBe(200);
  expect(r.json).toMatchObject({ 'КодОбр': '83', 'ТекстОбр': expect.stringContaining('Ошибка форматно-логического контроля') });
});

test('an answer the answer schema does not describe is a 502 problem as JSON, and comes as it is with Accept: application/xml', async () => {
  // a poll of a chain nobody started: the provider answers with a refusal of its own, not the answer element
  const p = parseEnvelope(readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'ping.xml')));
  const xml = contentXml(p.appDataElement!);
  p.doc.dispose();
  const url = '/api/v1/services/SID0003456/getConvictionResponse?originRequestIdRef=6f1c2a9e-0000-4000-8000-000000000001';
  // and a registration number nobody was given (the emulator finds a chain by either)
  const body = { ...(requestJson('SID0003456', 'getConvictionResponse', xml) as Record<string, unknown>), RegNumber: { '#text': 999000000000001 } };
  const r = await call(url, { key: keys.MINZ01001, body });
  expect({ status: r.status, code: r.json?.code }).toEqual({ status: 502, code: 'GW-6008' });
  expect(r.json.detail).toMatch(/^GW-6008: The answer of SID0003456 getConvictionResponse cannot be given as JSON: .*found \{/);
  expect(r.json.smevStatus).toBe('INVALID');
  const x = await call(url, { key: keys.MINZ01001, body, accept: 'application/xml' });
  expect(x.status).toBe(200);
  expect(x.headers.get('x-smev-status')).toBe('INVALID');
  expect(x.text).toMatch(/^<\w+:\w+ xmlns/);
});

test('values drawn from the served OpenAPI document: valid ones are answered, ones with a fault are RFC 9457 problems with a catalogue code, never 500', async () => {
  const doc = (await call('/api/v1/services/SID0003623/openapi.json')).json;
  const request = doc.components.schemas['SID0003623.Process.request'];
  const validAnswer = new Ajv2020({ strict: false }).compile(doc.components.schemas['SID0003623.Process.answer']);
  // a seed of its own each run, said in every failure (SMEV2_FC_SEED replays one)
  const seed = Number(process.env.SMEV2_FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const url = '/api/v1/services/SID0003623/Process';
  const drawn = fc.sample(valueArb(request).filter((v) => !undrawable(v)), { numRuns: 6, seed }) as Record<string, Json>[];
  for (const [i, v] of drawn.entries()) {
    // every other one is the case "found" (its surname and birth date): a RESULT, as JSON; the others as XML (what no case matches, the emulator answers INVALID)
    const found = i % 2 === 0;
    const body = found ? { ...v, Фамилия: 'ИВАНОВА', ДатаРождения: '14.07.1985' } : v;
    const r = await call(url, { key: keys.MINZ01001, body, accept: found ? 'application/json' : 'application/xml' });
    const seen = { seed, body, status: r.status, smev: r.headers.get('x-smev-status'), problem: r.status >= 300 ? r.json ?? r.text : undefined };
    expect(seen).toEqual({ ...seen, status: 200, smev: found ? 'RESULT' : expect.stringMatching(/^(RESULT|INVALID|REJECT)$/), problem: undefined });
    if (found) expect({ seed, answer: r.json, valid: validAnswer(r.json) }).toEqual({ seed, answer: r.json, valid: true });
    else expect(r.text).toMatch(/^<\w+:\w+ xmlns/);
  }
  // one value per kind of fault where the schema has a place for it
  const faulty = fc.sample(valueArb(request).filter((v) => !undrawable(v)).map((v) => faultSites(request, v).map((site) => ({ value: site.apply(v), fault: site.fault }))), { numRuns: 4, seed })
    .flat();
  const byKind = new Map<Fault['kind'], { value: Json; fault: Fault }>();
  for (const f of faulty) if (!byKind.has(f.fault.kind)) byKind.set(f.fault.kind, f);
  expect([...byKind.keys()].sort()).toEqual(expect.arrayContaining(['missing', 'not-xml-char', 'null', 'too-long', 'unknown-key', 'wrong-type']));
  for (const { value, fault } of byKind.values()) {
    const r = await call(url, { key: keys.MINZ01001, body: value });
    const seen = { seed, fault, status: r.status, type: r.type, code: r.json?.code };
    // the mapping's refusals say where (a JSON pointer); what only the XSD judges (a length) is the gateway's schema control
    const expected = fault.kind === 'too-long' ? { status: 422, code: 'SMEV-102000' } : { status: 400, code: 'GW-6005' };
    expect(seen).toEqual({ ...seen, ...expected, type: expect.stringMatching(/^application\/problem\+json/) });
    expect(r.json).toMatchObject({ type: `urn:smev2-gateway:fault:${expected.code}`, status: expected.status, detail: expect.stringMatching(new RegExp(`^${expected.code}: `)) });
    if (expected.code === 'GW-6005') expect({ fault, at: r.json.at }).toEqual({ fault, at: fault.at || '/' });
  }
}, 60_000);

/** A raw HTTP exchange: headers and the first bytes of a body, the answer read without sending the rest. */
function rawRequest(url: string, headers: Record<string, string | number>, first: string): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => { resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }); req.destroy(); });
    });
    req.on('error', (e) => (String((e as NodeJS.ErrnoException).code).startsWith('ECONNRESET') ? undefined : reject(e)));
    req.write(first);
  });
}

test('memory: the key is judged before the body is read, a body without Content-Length is refused, bodies come out of the bytes-in-flight budget', async () => {
  // an unknown key announcing 50 MB: answered at once from the headers (the rest is never sent)
  const url = `${gw.url}/api/v1/services/SID0003623/Process`;
  const bad = await rawRequest(url, { 'content-type': 'application/json', 'content-length': 50 * 1024 * 1024, 'x-api-key': 'smev2_not-a-key' }, '{"Фамилия":');
  expect(bad.status).toBe(401);
  expect(JSON.parse(bad.body)).toMatchObject({ code: 'GW-6002', status: 401 });
  expect(bad.connection).toBe('close');
  // chunked: no length to take from the budget before reading
  const chunked = await rawRequest(url, { 'content-type': 'application/json', 'transfer-encoding': 'chunked', 'x-api-key': keys.MINZ01001 }, '5\r\n{"a":\r\n');
  expect(chunked.status).toBe(411);
  expect(JSON.parse(chunked.body)).toMatchObject({ code: 'GW-6009', status: 411 });
  expect(JSON.parse(chunked.body).detail).toMatch(/^GW-6009: Send the body with a Content-Length/);
  // a gateway whose budget is 4000 bytes: one body of 3000 in work (half sent), a second of about 2000 is refused with the catalogue's GW-9002 and Retry-After
  const small = await startGateway({ args: ['--systems', systems, '--max-bytes-in-flight', '4000', '--max-request-bytes', '4000'] });
  const held = request(`${small.url}/api/v1/services/SID0003623/Process`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': 3000, 'x-api-key': keys.MINZ01001 } });
  held.on('error', () => undefined);
  try {
    held.write('{"Фамилия":"');
    const body = JSON.stringify({ Фамилия: 'И'.repeat(950) });
    // the held body is taken from the budget once its headers are in: ask until it is
    const res = await (async () => {
      for (let i = 0; i < 200; i++) {
        const r = await fetch(`${small.url}/api/v1/services/SID0003623/Process`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': keys.MINZ01001 }, body });
        if (r.status === 503) return r;
        await r.arrayBuffer();
        await new Promise((w) => setTimeout(w, 50));
      }
      throw new Error('the second body was never refused by the budget');
    })();
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const p = await res.json() as { code: string; detail: string };
    expect(p.code).toBe('GW-9002');
    expect(p.detail).toMatch(/^GW-9002: The gateway is busy: 3000 bytes of requests are in work and this one brings \d+ more, past the budget of 4000 bytes/);
  } finally {
    held.destroy();
    await small.stop();
  }
}, 60_000);
