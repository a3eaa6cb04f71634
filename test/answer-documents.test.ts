// Answers as documents (issue 19 item 3): an answer of the demo SNILS service (SID0003623, the
// fixture `found`) downloaded as PDF, HTML and XML from the admin API, by its requester from "my
// requests", and from the REST façade under Accept: application/pdf / text/html; the PDF read back
// with poppler-utils' pdftotext and compared with the values of the answer as journaled (read here
// independently with xmldom), the labels of the SID's XSD annotations, every leg's journal id and
// signature verdict. Then the message view's PDF button clicked in headless Chromium. On the real
// gateway, on the pass's store (SMEV2_TEST_STORE: SQLite or PostgreSQL).
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { BrowserContext, Page } from 'playwright-core';
import { runCli, startGateway, type GatewayProcess } from './support/gateway';
import { makeRegistry } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { parse as parseYaml } from 'yaml';
import { ROOT } from './support/paths';
import { renderPdf } from '../src/documents/render-pdf';
import type { Doc } from '../src/documents/model';
import { describeWithChromium, openBrowser } from './support/chromium';
import { htmlText, pdfText, squeeze } from './support/documents';

const ART = join(ROOT, 'test', 'artifacts', 'answer-documents', ...(process.env.SMEV2_TEST_STORE === 'postgres' ? ['postgres'] : []));
const USERS = join(ROOT, 'test', 'data', 'admin-users-roles.yaml');
const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const OPERATOR = basic('operator', 'operator-test');
const AUDITOR = basic('auditor', 'auditor-test');
const REQUESTER = basic('requester', 'requester-test');
const REQUESTER2 = basic('requester2', 'requester-test');
const SNILS_VALUES = {
  'ЗапросСНИЛС/Фамилия': 'Иванова', 'ЗапросСНИЛС/Имя': 'Мария', 'ЗапросСНИЛС/Отчество': 'Петровна', 'ЗапросСНИЛС/ДатаРождения': '14.07.1985', 'ЗапросСНИЛС/Пол': 'ЖЕНСКИЙ',
};
const XSD = readFileSync(join(ROOT, 'wsdl', 'SID0003623', 'xsd', 'pfr', 'snils-data.xsd'), 'utf8') + readFileSync(join(ROOT, 'wsdl', 'SID0003623', 'xsd', 'pfr', 'snils-types.xsd'), 'utf8');
/** Labels the document takes from the XSD's annotations (the first sentence of an element's xs:documentation). */
const LABELS = ['Дата регистрации в системе обязательного пенсионного страхования', 'Страховой номер индивидуального лицевого счёта', 'Ответ на запрос'];
/** A SID of the test's own on the SNILS bundle, whose provider (the test's) answers what `odd` says. */
const ODD_SID = 'SID0800020';
/** The same, delivered with guarantee: the consumer gets ACCEPT and a ticket, the delivery worker the answer. */
const GD_SID = 'SID0800021';
const oddAnswer = (id: string) => '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<ProcessResponse xmlns="http://smev2-gateway.demo/pfr/snils"><Message xmlns="http://smev.gosuslugi.ru/rev111111"><Sender><Code>PFRF01001</Code><Name>ПФР</Name></Sender>' +
  '<Recipient><Code>MINZ01001</Code><Name>Минздрав</Name></Recipient><TypeCode>GSRV</TypeCode>' +
  `<Status>RESULT</Status><Date>2026-11-22T10:00:01.000+03:00</Date><ExchangeType>2</ExchangeType><RequestIdRef>${id}</RequestIdRef><OriginRequestIdRef>${id}</OriginRequestIdRef></Message>` +
  '<MessageData xmlns="http://smev.gosuslugi.ru/rev111111"><AppData><x:Справка xmlns:x="urn:test:other" номер="7"><x:Поле>Значение поля</x:Поле><x:Поле>Второе &lt;значение&gt;</x:Поле></x:Справка></AppData></MessageData>' +
  '</ProcessResponse></soapenv:Body></soapenv:Envelope>';
const GARBAGE = 'это не XML <<< & ни разу\u0001';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Text without any whitespace: a PDF's cells wrap a value anywhere, so values are compared so. */

/** The leaf values of an envelope's AppData, read independently of the gateway (xmldom). */
function appDataValues(xml: string): string[] {
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const appData = doc.getElementsByTagNameNS('*', 'AppData')[0];
  if (!appData) throw new Error('the answer has no AppData');
  const out: string[] = [];
  const walk = (el: Element) => {
    const kids = Array.from(el.childNodes).filter((n): n is Element => n.nodeType === 1);
    if (!kids.length) out.push((el.textContent ?? '').trim());
    kids.forEach(walk);
  };
  Array.from(appData.childNodes).filter((n): n is Element => n.nodeType === 1).forEach(walk);
  return out.filter(Boolean);
}

interface Leg { id: number; exchangeId: string; direction: string; status: string | null; signature: string | null; sid: string }

test('one document renders to the same PDF bytes each time (its date is the PDF\'s CreationDate)', async () => {
  const doc: Doc = { title: 'Ответ', date: new Date('2026-12-01T10:00:00Z'), sections: [{ heading: 'Данные', blocks: [{ kind: 'fields', rows: [{ label: 'Фамилия', value: 'Иванова' }] }, { kind: 'code', text: '<a>б</a>' }] }], footer: [{ label: 'Exchange', value: 'x' }] };
  const [a, b] = [await renderPdf(doc), await renderPdf(doc)];
  expect(Buffer.compare(a, b)).toBe(0);
  expect(squeeze(pdfText(a))).toContain('ФамилияИванова');
  const later = await renderPdf({ ...doc, date: new Date('2026-12-02T10:00:00Z') });
  expect(Buffer.compare(a, later)).not.toBe(0);
});

describe('answers as PDF, HTML and XML', () => {
  let gw: GatewayProcess;
  let provider: Upstream;
  let odd: 'unknown' | 'garbage' = 'unknown';
  let apiKey = '';
  const work = mkdtempSync(join(tmpdir(), 'smev2-answer-docs-'));

  const api = async (path: string, headers: Record<string, string>, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}${path}`, { ...init, headers: { ...(init.body ? { 'content-type': 'application/json' } : {}), ...headers } });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body, text: body.toString('utf8') };
  };
  const legsOf = async (exchangeId: string): Promise<Leg[]> => {
    for (const end = Date.now() + 20000; ; await sleep(50)) {
      const r = await api(`/admin/exchanges/${exchangeId}`, OPERATOR);
      const legs = r.status === 200 ? (JSON.parse(r.text).legs as Leg[]) : [];
      if (legs.some((l) => l.direction === 'gateway->consumer')) return legs;
      if (Date.now() > end) throw new Error(`exchange ${exchangeId} has no gateway->consumer leg in the journal: ${r.status} ${r.text.slice(0, 300)}`);
    }
  };
  /** What every document of an answer must say: its values, the annotations' labels, every leg's id and signature verdict. */
  const expectDocument = (text: string, answerXml: string, legs: Leg[]) => {
    const t = squeeze(text);
    const values = appDataValues(answerXml);
    expect(values).toEqual(expect.arrayContaining(['158-301-447 53', '03.09.2001']));
    for (const v of values) expect(t).toContain(squeeze(v));
    for (const l of LABELS) {
      expect(XSD).toContain(l);
      expect(t).toContain(squeeze(l));
    }
    for (const l of legs) {
      expect(t).toContain(`Journalentry#${l.id}`);
      expect(l.signature).toBeTruthy();
      expect(t).toContain(squeeze(l.signature!));
    }
    expect(t).toContain(squeeze(legs[0]!.exchangeId));
  };

  let requestId = '';
  let exchangeId = '';
  let legs: Leg[] = [];
  let answerLeg: Leg;
  let journaled = '';

  beforeAll(async () => {
    const systems = join(work, 'systems');
    cpSync(join(ROOT, 'systems'), systems, { recursive: true });
    const k = await runCli(['systems', 'api-key', 'MINZ01001', '--systems', systems, '--note', 'answer-documents.test']);
    expect(k.code).toBe(0);
    apiKey = k.stdout.trim();
    provider = await startUpstream((body, _req, res) => {
      const id = /<(?:[\w-]+:)?MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'REQ';
      if (odd === 'garbage') return void res.writeHead(200, { 'content-type': 'text/xml' }).end(GARBAGE);
      res.writeHead(200, { 'content-type': 'text/xml' }).end(oddAnswer(id));
    });
    const bundle = join(ROOT, 'wsdl', 'SID0003623');
    const def = parseYaml(readFileSync(join(bundle, 'service.yaml'), 'utf8')) as Record<string, unknown>;
    const registry = makeRegistry([
      { bundle, def: { ...def, sid: ODD_SID, signature: 'off', control: 'off', adapter: { type: 'http', url: provider.url } } },
      { bundle, def: { ...def, sid: GD_SID, signature: 'off', control: 'off', adapter: { type: 'http', url: provider.url }, delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 300, pollIntervalMs: 100 } } },
    ]);
    for (const sid of ['SID0003623', 'SID0003456']) cpSync(join(ROOT, 'wsdl', sid), join(registry, sid), { recursive: true });
    gw = await startGateway({ services: registry, args: ['--systems', systems, '--admin-users', USERS] });
    // a requester asks the demo SNILS service for Иванова (the emulator's fixture `found`)
    const sent = await api('/admin/compose/send', REQUESTER, { method: 'POST', body: JSON.stringify({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', caseNumber: 'ДОК-1', values: SNILS_VALUES }) });
    expect(sent.status).toBe(200);
    const body = JSON.parse(sent.text) as { requestId: string; exchangeId: string; fault: unknown; response: string };
    expect(body.fault).toBeNull();
    requestId = body.requestId;
    exchangeId = body.exchangeId;
    legs = await legsOf(exchangeId);
    answerLeg = [...legs].reverse().find((l) => l.direction === 'gateway->consumer')!;
    journaled = (await api(`/admin/journal/${answerLeg.id}/raw`, OPERATOR)).text;
    expect(journaled).toContain('158-301-447 53');
  }, 90_000);

  afterAll(async () => {
    await gw?.stop();
    await provider?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('the journal\'s answer leg as PDF: A4, its values (Cyrillic too) read back by pdftotext, the XSD\'s labels, every leg\'s journal id and signature verdict', async () => {
    const r = await api(`/admin/journal/${answerLeg.id}/document?format=pdf`, OPERATOR);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="answer-SID0003623-${answerLeg.id}.pdf"`);
    expect(r.headers.get('content-security-policy')).toMatch(/^sandbox/);
    expect(r.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // kept for a person to look at (test/artifacts/ is not committed)
    mkdirSync(ART, { recursive: true });
    writeFileSync(join(ART, 'answer.pdf'), r.body);
    const text = pdfText(r.body);
    expectDocument(text, journaled, legs);
    expect(squeeze(text)).toContain(squeeze('Иванова'));
    // the request's case number (the answer's smev:Message carries none)
    expect(squeeze(text)).toContain(squeeze('Case number (the request\'s)ДОК-1'));
    // the default format is PDF; an auditor reads it too
    const dflt = await api(`/admin/journal/${answerLeg.id}/document`, AUDITOR);
    expect(dflt.status).toBe(200);
    expect(dflt.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  test('as HTML: a standalone page, escaped, downloaded under a sandbox CSP, saying the same', async () => {
    const r = await api(`/admin/journal/${answerLeg.id}/document?format=html`, OPERATOR);
    expect(r.status).toBe(200);
    mkdirSync(ART, { recursive: true });
    writeFileSync(join(ART, 'answer.html'), r.body);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe(`attachment; filename="answer-SID0003623-${answerLeg.id}.html"`);
    expect(r.headers.get('content-security-policy')).toMatch(/^sandbox; default-src 'none'/);
    expect(r.text).toMatch(/^<!DOCTYPE html>/);
    expect(r.text).not.toMatch(/<script/i);
    expectDocument(htmlText(r.text), journaled, legs);
  });

  test('as XML: byte for byte the journaled answer', async () => {
    const r = await api(`/admin/journal/${answerLeg.id}/document?format=xml`, OPERATOR);
    const raw = await api(`/admin/journal/${answerLeg.id}/raw`, OPERATOR);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/xml; charset=utf-8');
    expect(Buffer.compare(r.body, raw.body)).toBe(0);
  });

  test('a request leg, an unknown format, a role without the journal: refused, saying why', async () => {
    const request = legs.find((l) => l.direction === 'consumer->gateway')!;
    const leg = await api(`/admin/journal/${request.id}/document`, OPERATOR);
    expect(leg.status).toBe(400);
    expect(JSON.parse(leg.text).error).toBe(`entry ${request.id} is the consumer->gateway leg, a request: documents are made of answers; this exchange's answers are ${
      legs.filter((l) => l.direction === 'provider->gateway' || l.direction === 'gateway->consumer').map((l) => `#${l.id} (${l.direction})`).join(', ')}`);
    const fmt = await api(`/admin/journal/${answerLeg.id}/document?format=docx`, OPERATOR);
    expect(fmt.status).toBe(400);
    expect(JSON.parse(fmt.text).error).toBe('format must be one of pdf, html, xml, not "docx"');
    expect((await api(`/admin/journal/${answerLeg.id}/document`, REQUESTER)).status).toBe(403);
    expect((await api('/admin/journal/999999999/document', OPERATOR)).status).toBe(404);
  });

  test('a requester downloads their own answer as PDF and HTML; another requester\'s id is not found', async () => {
    const pdf = await api(`/admin/requests/${requestId}/answer?format=pdf`, REQUESTER);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-disposition')).toBe(`attachment; filename="answer-SID0003623-${requestId}.pdf"`);
    expect(pdf.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const own = JSON.parse((await api(`/admin/requests/${requestId}`, REQUESTER)).text) as { answer: string };
    expectDocument(pdfText(pdf.body), own.answer, legs);
    const html = await api(`/admin/requests/${requestId}/answer?format=html`, REQUESTER);
    expect(html.status).toBe(200);
    expectDocument(htmlText(html.text), own.answer, legs);
    // the XML stays the default, as it was
    const xml = await api(`/admin/requests/${requestId}/answer`, REQUESTER);
    expect(xml.text).toBe(own.answer);
    for (const format of ['pdf', 'html', 'xml']) {
      const other = await api(`/admin/requests/${requestId}/answer?format=${format}`, REQUESTER2);
      expect(other.status).toBe(404);
      expect(JSON.parse(other.text).error).toBe(`no request ${requestId} of yours: GET /admin/requests lists them`);
    }
    expect((await api(`/admin/requests/${requestId}/answer?format=txt`, REQUESTER)).status).toBe(400);
  });

  test('REST: Accept: application/pdf gives the answer as a PDF, text/html as a page, each of its own exchange', async () => {
    // the fixture's request AppData, sent as XML
    const body = /<smev:AppData>([\s\S]*?)<\/smev:AppData>/.exec(readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'), 'utf8'))![1]!;
    for (const accept of ['application/pdf', 'text/html']) {
      const r = await api('/api/v1/services/SID0003623/Process', { 'X-API-Key': apiKey, accept, 'content-type': 'application/xml' }, { method: 'POST', body });
      expect({ status: r.status, type: r.headers.get('content-type') }).toEqual({ status: 200, type: accept === 'text/html' ? 'text/html; charset=utf-8' : accept });
      expect(r.headers.get('x-smev-status')).toBe('RESULT');
      const ex = r.headers.get('x-exchange-id')!;
      expect(ex).not.toBe(exchangeId);
      const restLegs = await legsOf(ex);
      const answer = (await api(`/admin/journal/${[...restLegs].reverse().find((l) => l.direction === 'gateway->consumer')!.id}/raw`, OPERATOR)).text;
      if (accept === 'application/pdf') {
        expect(r.body.subarray(0, 5).toString('latin1')).toBe('%PDF-');
        expectDocument(pdfText(r.body), answer, restLegs);
      } else {
        expectDocument(htmlText(r.text), answer, restLegs);
      }
    }
    // nothing the façade gives: 406, as a problem
    const none = await api('/api/v1/services/SID0003623/Process', { 'X-API-Key': apiKey, accept: 'image/png', 'content-type': 'application/xml' }, { method: 'POST', body });
    expect(none.status).toBe(406);
    expect(JSON.parse(none.text).detail).toMatch(/^GW-\d{4}: .*Accept image\/png takes none of application\/json, application\/xml, application\/pdf, text\/html/);
  });

  test('REST: a ticket polled with Accept: application/pdf is JSON while pending, the answer as a PDF once it is in', async () => {
    const body = /<smev:AppData>([\s\S]*?)<\/smev:AppData>/.exec(readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'request.xml'), 'utf8'))![1]!;
    const sent = await api('/api/v1/services/SID0003456/sendConvictionRequest', { 'X-API-Key': apiKey, 'content-type': 'application/xml' }, { method: 'POST', body });
    expect(sent.status).toBe(202);
    const path = new URL(sent.headers.get('location')!).pathname;
    const seen: string[] = [];
    let last;
    for (let i = 0; i < 10; i++) {
      last = await api(path, { 'X-API-Key': apiKey, accept: 'application/pdf' });
      seen.push(`${last.status} ${last.headers.get('content-type')}`);
      if (last.status !== 202) break;
    }
    expect(seen).toEqual(['202 application/json; charset=utf-8', '202 application/json; charset=utf-8', '200 application/pdf']);
    expect(last!.headers.get('x-smev-status')).toBe('RESULT');
    const pollLegs = await legsOf(last!.headers.get('x-exchange-id')!);
    const answer = (await api(`/admin/journal/${[...pollLegs].reverse().find((l) => l.direction === 'gateway->consumer')!.id}/raw`, OPERATOR)).text;
    const t = squeeze(pdfText(last!.body));
    expect(t).toContain('КУЗНЕЦОВ');
    for (const v of appDataValues(answer)) expect(t).toContain(squeeze(v));
    for (const l of pollLegs) expect(t).toContain(`Journalentry#${l.id}`);
  });

  test('an answer the schema does not describe reads by its element names, repeated ones numbered; bytes that are no XML come as they are: never a crash', async () => {
    const send = async () => {
      const r = await api('/admin/compose/send', OPERATOR, { method: 'POST', body: JSON.stringify({ sid: ODD_SID, operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES }) });
      expect(r.status).toBe(200);
      return legsOf(JSON.parse(r.text).exchangeId);
    };
    odd = 'unknown';
    const unknown = await send();
    const back = [...unknown].reverse().find((l) => l.direction === 'gateway->consumer')!;
    expect(back.status).toBe('RESULT');
    const pdf = await api(`/admin/journal/${back.id}/document?format=pdf`, OPERATOR);
    expect(pdf.status).toBe(200);
    const t = squeeze(pdfText(pdf.body));
    for (const x of ['Справка', '@номер7', 'Поле#1Значениеполя', 'Поле#2Второе<значение>']) expect(t).toContain(x);
    const html = await api(`/admin/journal/${back.id}/document?format=html`, OPERATOR);
    expect(html.text).toContain('Второе &lt;значение&gt;');

    odd = 'garbage';
    const garbage = await send();
    const got = garbage.find((l) => l.direction === 'provider->gateway')!;
    expect(got).toBeDefined();
    for (const format of ['pdf', 'html']) {
      const r = await api(`/admin/journal/${got.id}/document?format=${format}`, OPERATOR);
      expect(r.status).toBe(200);
      const text = squeeze(format === 'pdf' ? pdfText(r.body) : htmlText(r.text));
      expect(text).toContain(squeeze('The answer\'s bytes are not a SOAP envelope'));
      expect(text).toContain(squeeze(GARBAGE.replace('\u0001', '\uFFFD')));
      expect(text).toContain(`Journalentry#${got.id}`);
    }
    expect((await api(`/admin/journal/${got.id}/document?format=xml`, OPERATOR)).text).toBe(GARBAGE);
    expect(gw.alive()).toBe(true);
  });

  test('a requester\'s guaranteed delivery: once the worker has the answer, its PDF names the chain\'s legs, the provider\'s answer among them', async () => {
    odd = 'unknown';
    const sent = await api('/admin/compose/send', REQUESTER, { method: 'POST', body: JSON.stringify({ sid: GD_SID, operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES }) });
    const { requestId: id, state, response } = JSON.parse(sent.text) as { requestId: string; state: string; response: string };
    // the node's immediate answer is ACCEPT; by the time the request is recorded the worker may already have the provider's answer
    expect(response).toMatch(/<(?:\w+:)?Status>ACCEPT</);
    expect(['accepted', 'process', 'answered']).toContain(state);
    // read at least once: a state already 'answered' at send time still has its answer (and ticket) to fetch
    let r: { state: string; ticket: string; answer: string | null } = { state: '', ticket: '', answer: null };
    for (const end = Date.now() + 20000; r.state !== 'answered'; await sleep(100)) {
      r = JSON.parse((await api(`/admin/requests/${id}`, REQUESTER)).text);
      if (Date.now() > end) throw new Error(`the guaranteed request was not answered: ${JSON.stringify(r)}`);
    }
    const pdf = await api(`/admin/requests/${id}/answer?format=pdf`, REQUESTER);
    expect(pdf.status).toBe(200);
    const t = squeeze(pdfText(pdf.body));
    for (const v of appDataValues(r.answer!)) expect(t).toContain(squeeze(v));
    const chain = JSON.parse((await api(`/admin/chains/${r.ticket}`, OPERATOR)).text) as { legs: Leg[] };
    const fromProvider = chain.legs.filter((l) => l.direction === 'provider->gateway');
    expect(fromProvider.length).toBeGreaterThan(0);
    for (const l of chain.legs) expect(t).toContain(`Journalentry#${l.id}`);
  });

  test('without the DejaVu fonts a PDF is refused (503) naming the missing file and what to install; HTML and XML still come', async () => {
    const fonts = mkdtempSync(join(tmpdir(), 'smev2-no-fonts-'));
    const bare = await startGateway({ args: ['--admin-users', USERS], env: { SMEV2_PDF_FONT: fonts } });
    try {
      const at = (path: string, headers: Record<string, string>, init: RequestInit = {}) => fetch(`${bare.url}${path}`, { ...init, headers: { ...headers, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
      const sent = await (await at('/admin/compose/send', REQUESTER, { method: 'POST', body: JSON.stringify({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES }) })).json() as { requestId: string };
      const pdf = await at(`/admin/requests/${sent.requestId}/answer?format=pdf`, REQUESTER);
      expect(pdf.status).toBe(503);
      expect(await pdf.json()).toEqual({ error: `no font ${join(fonts, 'DejaVuSans.ttf')}: SMEV2_PDF_FONT=${fonts} must be a folder holding DejaVuSans.ttf, DejaVuSans-Bold.ttf, DejaVuSansMono.ttf (DejaVu's); unset it to use Debian's fonts-dejavu-core in /usr/share/fonts/truetype/dejavu` });
      expect((await at(`/admin/requests/${sent.requestId}/answer?format=html`, REQUESTER)).status).toBe(200);
      expect((await at(`/admin/requests/${sent.requestId}/answer?format=xml`, REQUESTER)).status).toBe(200);
      expect(bare.alive()).toBe(true);
    } finally {
      await bare.stop();
      rmSync(fonts, { recursive: true, force: true });
    }
  }, 60_000);

  describeWithChromium('in headless Chromium', () => {
    let ctx: BrowserContext;
    let page: Page;
    let closeBrowser: (() => Promise<void>) | undefined;
    const problems: string[] = [];
    beforeAll(async () => {
      ({ ctx, page, close: closeBrowser } = await openBrowser(problems, { allowed: /status of 40[134]/, timeoutMs: 15000, timezoneId: 'Europe/Moscow', acceptDownloads: true }));
    }, 60_000);
    afterAll(async () => {
      await closeBrowser?.();
    });
    afterEach(() => {
      expect(problems.splice(0)).toEqual([]);
    });

    test('the message view offers an answer leg as PDF, HTML and XML; the PDF downloads and reads back', async () => {
      await page.goto(`${gw.url}/console/`);
      await page.waitForURL(/\/console\/login/);
      await page.fill('#user', 'operator');
      await page.fill('#password', 'operator-test');
      await page.click('#login button[type=submit]');
      await page.waitForURL(/\/console\/journal/);
      // a request leg offers no document; the answer leg offers three
      const request = legs.find((l) => l.direction === 'consumer->gateway')!;
      await page.goto(`${gw.url}/console/exchange/${exchangeId}#leg-${request.id}`);
      await page.waitForSelector(`#leg-${request.id}`);
      expect(await page.locator('#answer-documents').count()).toBe(0);
      await page.click(`#legs li[data-id="${answerLeg.id}"] button`);
      await page.waitForSelector(`#leg-${answerLeg.id} #answer-documents`);
      expect(await page.$$eval('#answer-documents a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]))).toEqual(
        ['pdf', 'html', 'xml'].map((f) => [f.toUpperCase(), `/admin/journal/${answerLeg.id}/document?format=${f}`]));
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#doc-pdf')]);
      expect(download.suggestedFilename()).toBe(`answer-SID0003623-${answerLeg.id}.pdf`);
      const bytes = readFileSync((await download.path())!);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
      expect(squeeze(pdfText(bytes))).toContain(squeeze('158-301-447 53'));
    });

    test('a requester\'s request view offers their answer as PDF and HTML', async () => {
      await ctx.clearCookies();
      await page.goto(`${gw.url}/console/login`);
      await page.fill('#user', 'requester');
      await page.fill('#password', 'requester-test');
      await page.click('#login button[type=submit]');
      await page.waitForURL(/\/console\/requests$/);
      await page.goto(`${gw.url}/console/requests/${requestId}`);
      await page.waitForSelector('#request-pdf');
      expect(await page.getAttribute('#request-html', 'href')).toBe(`/admin/requests/${requestId}/answer?format=html`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#request-pdf')]);
      const bytes = readFileSync((await download.path())!);
      expect(bytes.subarray(0, 4).toString('latin1')).toBe('%PDF');
      expect(squeeze(pdfText(bytes))).toContain(squeeze('Иванова'));
    });
  });
});
