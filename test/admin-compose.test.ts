// The request composer (docs/composer.md; issue #7's "universal cabinet") on the real
// gateway: identities, a form for a demo operation, requests built from form values, from pasted
// AppData and as a whole pasted envelope, signed as a demo system, sent over real HTTP to the
// gateway's own SOAP endpoint, answered by the emulated providers and journaled; roles and errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, type GatewayProcess } from './support/gateway';
import { ROOT } from './support/paths';

const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const OPERATOR = basic('operator', 'operator-test');
const AUDITOR = basic('auditor', 'auditor-test');
const fixture = (sid: string, c: string, f = 'request.xml') => readFileSync(join(ROOT, 'fixtures', sid, c, f), 'utf8');
const tag = (xml: string, name: string) => new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)<`).exec(xml)?.[1];

interface Sent { request: string; httpStatus: number; response: string; ms: number; messageId: string | null; exchangeId: string | null; fault: { code: string; string: string } | null }
interface FormNode { name: string; ns: string; path: string; kind: string; minOccurs: number; maxOccurs: number | null; type?: string; enumeration?: string[]; pattern?: string; children?: FormNode[]; attributes?: FormNode[] }

const SNILS_VALUES = {
  'ЗапросСНИЛС/Фамилия': 'Иванова', 'ЗапросСНИЛС/Имя': 'Мария', 'ЗапросСНИЛС/Отчество': 'Петровна', 'ЗапросСНИЛС/ДатаРождения': '14.07.1985',
  'ЗапросСНИЛС/Пол': 'ЖЕНСКИЙ', 'ЗапросСНИЛС/МестоРождения': '', 'ЗапросСНИЛС/@ИдЗапроса': 'composer-1',
  'ЗапросСНИЛС/УдостоверяющийДокумент/ТипДокумента': '', 'ЗапросСНИЛС/УдостоверяющийДокумент/Номер': '',
};

describe('request composer: /admin/compose on the real gateway', () => {
  let gw: GatewayProcess;
  const api = async (path: string, headers: Record<string, string> = OPERATOR, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}/admin${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string> ?? {}) } });
    const text = await res.text();
    return { status: res.status, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const send = async (body: Record<string, unknown>, headers = OPERATOR) => {
    const r = await api('/compose/send', headers, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return r as { status: number; body: Sent & { error?: string } };
  };
  const journal = async (q: string) => (await api(`/journal?${q}`)).body as { entries: { exchangeId: string; direction: string; messageId: string | null; status: string | null; signature: string | null; faultCode: string | null; sender: string | null }[] };

  beforeAll(async () => {
    gw = await startGateway({ args: ['--admin-users', USERS] });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test('identities: the systems the gateway holds a key for (the demo systems)', async () => {
    const r = await api('/compose/identities');
    expect(r.status).toBe(200);
    const ids = r.body as { mnemonic: string; name: string; algorithm: string }[];
    expect(ids.map((i) => i.mnemonic)).toEqual(['FNSR01001', 'MINE01001', 'MINZ01001', 'MVDR01001', 'PFRF01001', 'PNZR01581', 'RRTR01001']);
    expect(ids.find((i) => i.mnemonic === 'MINZ01001')).toEqual({ mnemonic: 'MINZ01001', name: 'Министерство здравоохранения Российской Федерации', algorithm: 'gost2012-256' });
  });

  test('the form of SID0003623 Process: AppData\'s content from the bundle, with a sample', async () => {
    const r = await api('/compose/SID0003623/Process');
    expect(r.status).toBe(200);
    const b = r.body as { sid: string; operation: string; mode: string; revision: string; input: { ns: string; local: string }; form: FormNode; sample: string; appData: { source: string } };
    expect(b).toMatchObject({ sid: 'SID0003623', operation: 'Process', mode: 'sync', revision: 'rev111111', input: { ns: 'http://smev2-gateway.demo/pfr/snils', local: 'Process' } });
    expect(b.form).toMatchObject({ name: 'ЗапросСНИЛС', ns: 'http://smev2-gateway.demo/pfr/snils/data', path: 'ЗапросСНИЛС', kind: 'group', minOccurs: 1, maxOccurs: 1 });
    const pol = b.form.children!.find((c) => c.name === 'Пол')!;
    expect(pol).toMatchObject({ path: 'ЗапросСНИЛС/Пол', kind: 'field', type: 'string', enumeration: ['МУЖСКОЙ', 'ЖЕНСКИЙ'] });
    expect(b.form.attributes!.map((a) => a.path)).toEqual(['ЗапросСНИЛС/@ИдЗапроса']);
    expect(b.sample).toMatch(/^<pfr:ЗапросСНИЛС xmlns:pfr="http:\/\/smev2-gateway\.demo\/pfr\/snils\/data">/);
    expect(b.appData.source).toBe('fixtures');
    // every demo operation has a form
    for (const [sid, op] of [['SID0003456', 'sendConvictionRequest'], ['SID0003456', 'getConvictionResponse'], ['SID0003525', 'getEgrulExtract'], ['SID0003564', 'CreateRequest'], ['SID0003564', 'GetStatus']]) {
      const x = await api(`/compose/${sid}/${op}`);
      expect([sid, op, x.status]).toEqual([sid, op, 200]);
    }
  });

  let snilsExchange = '';
  test('a request from form values, signed as MINZ01001, gets the emulated PFR\'s real answer and is journaled', async () => {
    const r = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', caseNumber: 'COMPOSER-1', values: SNILS_VALUES });
    expect(r.status).toBe(200);
    const b = r.body;
    expect(b.httpStatus).toBe(200);
    expect(b.fault).toBeNull();
    expect(tag(b.response, 'Status')).toBe('RESULT');
    expect(tag(b.response, 'СтраховойНомер')).toBe('158-301-447 53');
    expect(b.ms).toBeGreaterThan(0);
    // the envelope as sent: the consumer's signature, Sender, Recipient from service.yaml, the values in schema order, empty ones left out
    expect(b.request).toContain('soapenv:actor="http://smev.gosuslugi.ru/actors/smev"');
    expect(tag(b.request, 'Code')).toBe('MINZ01001');
    expect(b.request).toMatch(/<smev:Recipient>\s*<smev:Code>PFRF01001<\/smev:Code>\s*<smev:Name>Пенсионный фонд РФ<\/smev:Name>/);
    expect(tag(b.request, 'TypeCode')).toBe('GSRV');
    expect(tag(b.request, 'Status')).toBe('REQUEST');
    expect(tag(b.request, 'CaseNumber')).toBe('COMPOSER-1');
    expect(b.request).toContain('ИдЗапроса="composer-1"');
    expect(b.request).not.toContain('МестоРождения');
    expect(b.request).not.toContain('УдостоверяющийДокумент');
    expect(b.request.indexOf('Фамилия')).toBeLessThan(b.request.indexOf('Пол>'));
    // found in the journal by the MessageId the node gave it (the answer's RequestIdRef)
    expect(b.messageId).toBe(tag(b.response, 'RequestIdRef'));
    expect(b.exchangeId).toBeTruthy();
    const j = await journal(`messageId=${b.messageId}`);
    expect(j.entries.length).toBeGreaterThan(0);
    expect(new Set(j.entries.map((e) => e.exchangeId))).toEqual(new Set([b.exchangeId]));
    const legs = (await api(`/exchanges/${b.exchangeId}`)).body as { legs: { direction: string; signature: string | null; sender: string | null; raw: string | null }[] };
    const inbound = legs.legs.find((l) => l.direction === 'consumer->gateway')!;
    expect(inbound.sender).toBe('MINZ01001');
    expect(inbound.signature).toMatch(/^smev:ok MINZ01001/);
    expect(inbound.raw).toBe(b.request);
    snilsExchange = b.exchangeId!;
  });

  test('repeated sends are new exchanges (a fresh Date, a fresh signature each time)', async () => {
    const r = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES });
    expect(r.body.fault).toBeNull();
    expect(r.body.exchangeId).not.toBe(snilsExchange);
  });

  test('pasted AppData for a rev120315 service (ServiceName), signed as MINE01001', async () => {
    const appData = /<smev:AppData>([\s\S]*)<\/smev:AppData>/.exec(fixture('SID0003525', 'found'))![1]!;
    const r = await send({ sid: 'SID0003525', operation: 'getEgrulExtract', signAs: 'MINE01001', appData });
    expect(r.status).toBe(200);
    expect(r.body.fault).toBeNull();
    expect(tag(r.body.response, 'Status')).toBe('RESULT');
    expect(r.body.request).toMatch(/<smev:ServiceName>EGRULExtract<\/smev:ServiceName>/);
    expect(r.body.request).toContain('<ОГРН>1155835002311</ОГРН>');
    const j = await journal(`exchange=${r.body.exchangeId}&direction=consumer->gateway`);
    expect(j.entries[0]).toMatchObject({ sender: 'MINE01001', signature: expect.stringMatching(/^smev:ok MINE01001/) });
  });

  test('asynchronous: REQUEST gets ACCEPT, then a PING with OriginRequestIdRef gets PROCESS', async () => {
    const form = (await api('/compose/SID0003456/sendConvictionRequest')).body as { form: FormNode };
    const values: Record<string, string> = {};
    const appData = /<smev:AppData>([\s\S]*)<\/smev:AppData>/.exec(fixture('SID0003456', 'found'))![1]!;
    // the found case: the fixture's own values, keyed by the form's paths
    for (const c of form.form.children!) {
      const v = tag(appData, c.name);
      if (c.kind === 'field' && v !== undefined) values[c.path] = v;
    }
    expect(Object.keys(values).length).toBeGreaterThan(2);
    const accept = await send({ sid: 'SID0003456', operation: 'sendConvictionRequest', signAs: 'MINZ01001', values });
    expect(accept.body.fault).toBeNull();
    expect(tag(accept.body.response, 'Status')).toBe('ACCEPT');
    const origin = accept.body.messageId!;
    expect(origin).toMatch(/^[0-9A-F-]{36}$/);
    const ping = await send({ sid: 'SID0003456', operation: 'getConvictionResponse', signAs: 'MINZ01001', status: 'PING', originRequestIdRef: origin,
      appData: /<smev:AppData>([\s\S]*)<\/smev:AppData>/.exec(fixture('SID0003456', 'found', 'ping.xml'))![1] });
    expect(ping.body.fault).toBeNull();
    expect(tag(ping.body.request, 'OriginRequestIdRef')).toBe(origin);
    expect(tag(ping.body.request, 'Status')).toBe('PING');
    expect(tag(ping.body.response, 'Status')).toBe('PROCESS');
    expect(ping.body.exchangeId).toBeTruthy();
  });

  test('a whole pasted envelope: sent byte for byte unsigned, or signed first', async () => {
    const envelope = fixture('SID0003623', 'not-found');
    const plain = await send({ sid: 'SID0003623', signAs: null, envelope });
    expect(plain.status).toBe(200);
    expect(plain.body.request).toBe(envelope);
    expect(plain.body.fault).toBeNull();
    expect(tag(plain.body.response, 'КодВозврата')).toBe('01');
    const inbound = (await journal(`exchange=${plain.body.exchangeId}&direction=consumer->gateway`)).entries[0]!;
    expect(inbound.signature).toMatch(/^report: absent/);
    const signed = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', envelope });
    expect(signed.body.fault).toBeNull();
    expect(signed.body.request).toContain('http://smev.gosuslugi.ru/actors/smev');
    expect(signed.body.request).toContain('<pfr:Фамилия>');
    const j = await journal(`exchange=${signed.body.exchangeId}&direction=consumer->gateway`);
    expect(j.entries[0]!.signature).toMatch(/^smev:ok MINZ01001/);
  });

  test('the gateway\'s own fault is an answer, not an error: a value the schema refuses gets SMEV-102000', async () => {
    const r = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', values: { ...SNILS_VALUES, 'ЗапросСНИЛС/ДатаРождения': '1985-07-14' } });
    expect(r.status).toBe(200);
    expect(r.body.httpStatus).toBe(500);
    expect(r.body.fault).toMatchObject({ code: 'SMEV-102000' });
    expect(r.body.fault!.string).toMatch(/ДатаРождения/);
    // refused before the node stamped it: no MessageId, found in the journal by the bytes sent
    expect(r.body.messageId).toBeNull();
    expect(r.body.exchangeId).toBeTruthy();
    const legs = (await api(`/exchanges/${r.body.exchangeId}`)).body as { legs: { direction: string; faultCode: string | null }[] };
    expect(legs.legs.find((l) => l.direction === 'gateway->consumer')!.faultCode).toBe('SMEV-102000');
  });

  test('errors: unknown SID or operation 404, bad XML 400 with the reason, no key 400 naming who has one, unknown fields 400', async () => {
    expect((await api('/compose/SID0009999/Process')).status).toBe(404);
    const noOp = await api('/compose/SID0003623/Nope');
    expect(noOp.status).toBe(404);
    expect(noOp.body.error).toMatch(/no operation Nope.*Process/);
    expect((await send({ sid: 'SID0009999', operation: 'Process', signAs: null, appData: '' })).status).toBe(404);
    expect((await send({ sid: 'SID0003623', operation: 'Nope', signAs: null, appData: '' })).status).toBe(404);
    const badApp = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', appData: '<a><b></a>' });
    expect(badApp.status).toBe(400);
    expect(badApp.body.error).toMatch(/appData is not well-formed XML: .*(mismatch|b)/i);
    const badEnv = await send({ sid: 'SID0003623', signAs: null, envelope: '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' });
    expect(badEnv.status).toBe(400);
    expect(badEnv.body.error).toMatch(/envelope is not well-formed XML/);
    const doctype = await send({ sid: 'SID0003623', operation: 'Process', signAs: null, appData: '<!DOCTYPE x [<!ENTITY e "x">]><x>&e;</x>' });
    expect(doctype.status).toBe(400);
    expect(doctype.body.error).toMatch(/DOCTYPE/);
    const noKey = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'ABCD01234', values: SNILS_VALUES });
    expect(noKey.status).toBe(400);
    expect(noKey.body.error).toMatch(/ABCD01234/);
    expect(noKey.body.error).toMatch(/MINZ01001/);
    const unknown = await send({ sid: 'SID0003623', operation: 'Process', signAs: null, values: { 'ЗапросСНИЛС/Нет': 'x' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toMatch(/ЗапросСНИЛС\/Нет/);
    expect((await send({ sid: 'SID0003623', operation: 'Process', signAs: null, status: 'BOGUS' })).status).toBe(400);
    expect((await send({ sid: 'SID0003623', signAs: null })).status).toBe(400);
  });

  test('only the operator: an auditor gets 403 on every composer path, nobody 401', async () => {
    const head = (await api('/journal/head')).body as { id: number };
    for (const [method, path] of [['GET', '/compose/identities'], ['GET', '/compose/SID0003623/Process'], ['POST', '/compose/send']]) {
      const init: RequestInit = method === 'POST' ? { method, body: JSON.stringify({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES }), headers: { 'content-type': 'application/json' } } : { method };
      const a = await api(path, AUDITOR, init);
      expect([path, a.status]).toEqual([path, 403]);
      expect(a.body.error).toMatch(/auditor; this needs operator/);
      expect([path, (await api(path, {}, init)).status]).toEqual([path, 401]);
    }
    // the refused sends reached nothing
    expect(((await api('/journal/head')).body as { id: number }).id).toBe(head.id);
  });

  test('the composer\'s paths are in the OpenAPI document', async () => {
    const doc = (await api('/openapi.json')).body as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/compose/identities', '/compose/{sid}/{operation}', '/compose/send']));
    expect(Object.keys(doc.paths['/compose/send']!)).toEqual(['post']);
    expect(doc.components.schemas.FormNode).toBeTruthy();
  });
});
