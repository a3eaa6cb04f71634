// A requester (issue 18 item 2): the composer opened to a department that asks, signing as its
// own systems only; "my requests" with where each stands (answered, fault, or ACCEPT → PROCESS →
// RESULT for a guaranteed-delivery SID) and the answers; answer-arrived once per request, to a
// real webhook. On the real gateway, on the pass's store; then the same in headless Chromium.
import { cpSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describeWithChromium, openBrowser } from './support/chromium';
import { startGateway, type GatewayProcess } from './support/gateway';
import { parse as parseYaml } from 'yaml';
import { makeRegistry } from './support/registry';
import { startUpstream, closedPort, type Upstream } from './support/upstream';
import { ROOT } from './support/paths';
import { readFileSync } from 'node:fs';

const USERS = join(ROOT, 'test', 'data', 'admin-users-roles.yaml');
const basic = (user: string, pw: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}` });
const REQUESTER = basic('requester', 'requester-test');
const REQUESTER2 = basic('requester2', 'requester-test');
const OPERATOR = basic('operator', 'operator-test');
const AUDITOR = basic('auditor', 'auditor-test');
const SNILS_BUNDLE = join(ROOT, 'wsdl', 'SID0003623');
const SNILS_DEF = parseYaml(readFileSync(join(SNILS_BUNDLE, 'service.yaml'), 'utf8')) as Record<string, unknown>;
/** The provider's answer to Process (the test's own provider: its status and text chosen by the test). */
const answerXml = (id: string, status: string, text: string) => '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>' +
  '<ProcessResponse xmlns="http://smev2-gateway.demo/pfr/snils"><Message xmlns="http://smev.gosuslugi.ru/rev111111"><Sender><Code>PFRF01001</Code><Name>ПФР</Name></Sender>' +
  '<Recipient><Code>MINZ01001</Code><Name>Минздрав</Name></Recipient><TypeCode>GSRV</TypeCode>' +
  `<Status>${status}</Status><Date>2026-11-22T10:00:01.000+03:00</Date><ExchangeType>2</ExchangeType><RequestIdRef>${id}</RequestIdRef><OriginRequestIdRef>${id}</OriginRequestIdRef></Message>` +
  `<MessageData xmlns="http://smev.gosuslugi.ru/rev111111"><AppData><pfr:Ответ xmlns:pfr="urn:test:answer">${text}</pfr:Ответ></AppData></MessageData></ProcessResponse></soapenv:Body></soapenv:Envelope>`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const GD_SID = 'SID0800010';
const DOWN_SID = 'SID0800011';
const SNILS_VALUES = {
  'ЗапросСНИЛС/Фамилия': 'Иванова', 'ЗапросСНИЛС/Имя': 'Мария', 'ЗапросСНИЛС/Отчество': 'Петровна', 'ЗапросСНИЛС/ДатаРождения': '14.07.1985', 'ЗапросСНИЛС/Пол': 'ЖЕНСКИЙ',
};

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 20000): Promise<T> {
  for (const end = Date.now() + ms; ; await sleep(50)) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
  }
}

interface Req { id: string; user: string; department: string | null; sid: string; operation: string | null; system: string | null; delivery: string; ticket: string | null; exchangeId: string | null; state: string; status: string | null; fault: string | null; steps: string[]; notifiedAt: string | null; answer?: string | null }
interface Hook { id: string; type: string; sid: string; requester?: string; ticket?: string; exchange?: string; request?: string; status?: string }

describe('a requester: the composer as their department\'s systems, my requests, answer-arrived', () => {
  let gw: GatewayProcess;
  let provider: Upstream;
  let hooks: Upstream;
  /** the provider's calls the test has not answered yet */
  const held: { body: string; res: http.ServerResponse }[] = [];
  const work = mkdtempSync(join(tmpdir(), 'smev2-requester-'));

  const api = async (path: string, headers: Record<string, string>, init: RequestInit = {}) => {
    const res = await fetch(`${gw.url}/admin${path}`, { ...init, headers: { ...headers, ...(init.body ? { 'content-type': 'application/json' } : {}) } });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
  };
  const send = (body: Record<string, unknown>, who = REQUESTER) => api('/compose/send', who, { method: 'POST', body: JSON.stringify(body) });
  const events = () => hooks.requests.map((r) => JSON.parse(r.body.toString()) as Hook).filter((e) => e.type === 'answer-arrived');
  /** Answer the oldest held provider call with the echo answer at this status. */
  const answerHeld = (status: string, text: string) => {
    const h = held.shift()!;
    const id = /<(?:[\w-]+:)?MessageId>([^<]+)</.exec(h.body)?.[1] ?? 'REQ';
    h.res.writeHead(200, { 'content-type': 'text/xml' }).end(answerXml(id, status, text));
  };

  beforeAll(async () => {
    provider = await startUpstream((body, _req, res) => { held.push({ body: body.toString(), res }); });
    hooks = await startUpstream((_b, _req, res) => void res.writeHead(204).end());
    const refused = await closedPort();
    // the SNILS service's bundle as two more SIDs of the test's own: one delivered with guarantee by
    // the test's provider (which answers when the test says), one whose provider is down
    const snils = (sid: string, extra: Record<string, unknown>) => ({ bundle: SNILS_BUNDLE, def: { ...SNILS_DEF, sid, signature: 'off', control: 'off', ...extra } });
    const registry = makeRegistry([
      snils(GD_SID, { adapter: { type: 'http', url: provider.url }, operations: { Process: { mode: 'async' } }, delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 300, pollIntervalMs: 100 } }),
      snils(DOWN_SID, { adapter: { type: 'http', url: `http://127.0.0.1:${refused}/x` } }),
    ]);
    cpSync(join(ROOT, 'wsdl', 'SID0003623'), join(registry, 'SID0003623'), { recursive: true });
    writeFileSync(join(work, 'subscriptions.yaml'), `- url: ${hooks.url}\n  events: [answer-arrived]\n`);
    gw = await startGateway({ services: registry, args: ['--admin-users', USERS, '--subscriptions', join(work, 'subscriptions.yaml')] });
  }, 60_000);

  afterAll(async () => {
    for (const h of held.splice(0)) h.res.destroy();
    await gw?.stop();
    await provider?.close();
    await hooks?.close();
  });

  test('a requester is offered and may sign as their department\'s systems only: anything else is 403 naming the system and the allowed ones', async () => {
    const ids = await api('/compose/identities', REQUESTER);
    expect(ids.status).toBe(200);
    expect((ids.body as { mnemonic: string }[]).map((i) => i.mnemonic)).toEqual(['MINZ01001']);
    expect(((await api('/compose/identities', REQUESTER2)).body as { mnemonic: string }[]).map((i) => i.mnemonic)).toEqual(['PNZR01581']);
    const other = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'PNZR01581', values: SNILS_VALUES });
    expect(other.status).toBe(403);
    expect(other.body).toEqual({ error: 'requester (requester of Минздрав, отдел запросов, minzdrav) may not sign as PNZR01581: the department\'s systems are MINZ01001' });
    const unsigned = await send({ sid: 'SID0003623', operation: 'Process', signAs: null, sender: 'MINZ01001', values: SNILS_VALUES });
    expect(unsigned.status).toBe(403);
    expect(unsigned.body.error).toBe('requester (requester of Минздрав, отдел запросов, minzdrav) must sign every request as one of the department\'s systems: MINZ01001');
    const envelope = await send({ sid: 'SID0003623', signAs: 'MINZ01001', envelope: '<x/>' });
    expect(envelope.status).toBe(403);
    expect(envelope.body.error).toMatch(/^requester \(requester of .*\) composes from the form or AppData, not a whole envelope .*sign as one of: MINZ01001$/);
    // nothing refused was recorded
    expect((await api('/requests', REQUESTER)).body).toEqual([]);
  });

  let syncId = '';
  test('a direct SID: sent as the department\'s system, answered at once; listed as answered with its answer; answer-arrived once', async () => {
    const r = await send({ sid: 'SID0003623', operation: 'Process', signAs: 'MINZ01001', caseNumber: 'REQUESTER-1', values: SNILS_VALUES });
    expect(r.status).toBe(200);
    expect(r.body.fault).toBeNull();
    expect(r.body.response).toContain('158-301-447 53');
    expect(r.body.state).toBe('answered');
    syncId = r.body.requestId;
    const list = (await api('/requests', REQUESTER)).body as Req[];
    expect(list.map((x) => x.id)).toEqual([syncId]);
    expect(list[0]).toMatchObject({ user: 'requester', department: 'minzdrav', sid: 'SID0003623', operation: 'Process', system: 'MINZ01001', delivery: 'direct', ticket: null,
      exchangeId: r.body.exchangeId, state: 'answered', status: 'RESULT', fault: null, steps: [] });
    const one = (await api(`/requests/${syncId}`, REQUESTER)).body as Req;
    expect(one.answer).toBe(r.body.response);
    const dl = await api(`/requests/${syncId}/answer`, REQUESTER);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-disposition')).toBe(`attachment; filename="answer-SID0003623-${syncId}.xml"`);
    expect(dl.text).toBe(r.body.response);
    const hook = await until('answer-arrived for the direct request', async () => events().filter((e) => e.request === syncId), (x) => x.length > 0);
    expect(hook[0]).toMatchObject({ type: 'answer-arrived', sid: 'SID0003623', requester: 'requester', exchange: r.body.exchangeId, status: 'RESULT' });
    expect(one.notifiedAt).not.toBeNull();
  });

  test('a fault is listed as a fault with its code', async () => {
    const r = await send({ sid: DOWN_SID, operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES });
    expect(r.status).toBe(200);
    expect(r.body.fault).not.toBeNull();
    const one = (await api(`/requests/${r.body.requestId}`, REQUESTER)).body as Req;
    expect(one).toMatchObject({ sid: DOWN_SID, state: 'fault', status: 'FAULT', fault: r.body.fault.code });
    expect(one.answer).toContain('Fault');
  });

  test('guaranteed delivery: ACCEPT with a ticket, then PROCESS, then RESULT, as the outbox has it; answer-arrived once, when the answer is stored', async () => {
    const r = await send({ sid: GD_SID, operation: 'Process', signAs: 'MINZ01001', values: SNILS_VALUES });
    expect(r.status).toBe(200);
    expect([r.body.state, r.body.fault]).toEqual(['accepted', null]);
    const id = r.body.requestId as string;
    const get = async () => (await api(`/requests/${id}`, REQUESTER)).body as Req;
    const first = await get();
    expect(first).toMatchObject({ delivery: 'guaranteed', ticket: r.body.messageId, state: 'accepted', status: 'ACCEPT', steps: ['ACCEPT'], answer: null, notifiedAt: null });
    expect((await api(`/requests/${id}/answer`, REQUESTER)).body).toEqual({ error: `request ${id} has no answer yet: it is accepted (ACCEPT)` });
    // the provider takes it and answers ACCEPT: the gateway polls it
    await until('the delivery', async () => held.length, (n) => n === 1);
    answerHeld('ACCEPT', 'working');
    const process = await until('PROCESS', get, (x) => x.state === 'process');
    expect(process).toMatchObject({ status: 'PROCESS', steps: ['ACCEPT', 'PROCESS'], answer: null });
    expect(events().filter((e) => e.request === id)).toEqual([]);
    // the poll gets the result
    await until('the poll', async () => held.length, (n) => n === 1);
    answerHeld('RESULT', 'delivered-later');
    const done = await until('RESULT', get, (x) => x.state === 'answered');
    // the event was queued with the stored answer, not after it: it is in the outbox already
    const queue = (await api('/queue?limit=1000', OPERATOR)).body as { items: { kind: string; sid: string; target: string }[] };
    expect(queue.items.filter((x) => x.kind === 'event' && x.sid === GD_SID && x.target === hooks.url).length).toBe(1);
    expect(done).toMatchObject({ status: 'RESULT', steps: ['ACCEPT', 'PROCESS', 'RESULT'], fault: null });
    expect(done.answer).toContain('delivered-later');
    const hook = await until('answer-arrived for the ticket', async () => events().filter((e) => e.request === id), (x) => x.length > 0);
    expect(hook[0]).toMatchObject({ type: 'answer-arrived', sid: GD_SID, requester: 'requester', ticket: r.body.messageId, status: 'RESULT' });
    // once: the request is marked, and every delivery of it (at least once) is the one event
    const marked = await until('the mark', get, (x) => x.notifiedAt !== null);
    expect(marked.notifiedAt).not.toBeNull();
    expect(new Set(events().filter((e) => e.request === id).map((e) => e.id)).size).toBe(1);
  }, 60_000);

  test('another requester\'s request is 404 as if none; an operator sees everyone\'s; an auditor none', async () => {
    for (const p of [`/requests/${syncId}`, `/requests/${syncId}/answer`]) {
      const r = await api(p, REQUESTER2);
      expect([p, r.status, r.body]).toEqual([p, 404, { error: `no request ${syncId} of yours: GET /admin/requests lists them` }]);
    }
    expect((await api('/requests', REQUESTER2)).body).toEqual([]);
    const mine = (await api('/requests', REQUESTER)).body as Req[];
    expect(mine.length).toBe(3);
    expect(mine.every((x) => x.user === 'requester')).toBe(true);
    // the operator composes too (as any system with a key), and reads everyone's
    expect((await send({ sid: 'SID0003623', operation: 'Process', signAs: 'PNZR01581', values: SNILS_VALUES }, OPERATOR)).status).toBe(200);
    const all = (await api('/requests', OPERATOR)).body as Req[];
    expect(all.map((x) => x.user).sort()).toEqual(['operator', 'requester', 'requester', 'requester']);
    expect(((await api('/requests?user=requester', OPERATOR)).body as Req[]).length).toBe(3);
    expect((await api(`/requests/${syncId}`, OPERATOR)).status).toBe(200);
    expect((await api('/requests', AUDITOR)).status).toBe(403);
  });

  // --- the same in the browser ---------------------------------------------------------------------

  describeWithChromium('in headless Chromium', () => {
    let page: Page;
    let closeBrowser: (() => Promise<void>) | undefined;
    const problems: string[] = [];
    const ART = join(ROOT, 'test', 'artifacts', 'console', ...(process.env.SMEV2_TEST_STORE === 'postgres' ? ['postgres'] : []));

    beforeAll(async () => {
      mkdirSync(ART, { recursive: true });
      ({ page, close: closeBrowser } = await openBrowser(problems, { allowed: /status of 40[134]/, timeoutMs: 15000, timezoneId: 'Europe/Moscow' }));
    }, 60_000);
    afterAll(async () => {
      await closeBrowser?.();
    });
    afterEach(() => {
      expect(problems.splice(0)).toEqual([]);
    });

    test('log in as a requester, compose and send a request, find it in my requests with its answer', async () => {
      await page.goto(`${gw.url}/console/`);
      await page.waitForURL(/\/console\/login/);
      await page.fill('#user', 'requester');
      await page.fill('#password', 'requester-test');
      await page.click('#login button[type=submit]');
      await page.waitForURL(/\/console\/requests$/);
      await page.waitForSelector('main[data-loaded]');
      expect(await page.$$eval('#nav a', (as) => as.map((a) => a.textContent))).toEqual(['Composer', 'My requests']);
      expect(await page.locator('#requests-list tbody tr[data-id]').count()).toBe(3);

      await page.click('#requests-new');
      await page.waitForURL(/\/console\/compose/);
      await page.waitForSelector('#compose-form .form-tree');
      // only the department's system, and no unsigned choice
      expect(await page.$$eval('#compose-sign option', (os) => os.map((o) => o.getAttribute('value')))).toEqual(['MINZ01001']);
      if ((await page.inputValue('#compose-sid')) !== 'SID0003623') {
        const before = await page.getAttribute('main', 'data-loaded');
        await page.selectOption('#compose-sid', 'SID0003623');
        await page.waitForSelector(`main[data-loaded]:not([data-loaded="${before}"])`);
      }
      await page.waitForSelector('#compose-form [data-path="ЗапросСНИЛС/Фамилия"]');
      await page.fill('[data-path="ЗапросСНИЛС/Фамилия"]', 'ИВАНОВА');
      await page.fill('[data-path="ЗапросСНИЛС/Имя"]', 'МАРИЯ');
      await page.fill('[data-path="ЗапросСНИЛС/Отчество"]', 'ПЕТРОВНА');
      await page.fill('[data-path="ЗапросСНИЛС/ДатаРождения"]', '14.07.1985');
      await page.selectOption('[data-path="ЗапросСНИЛС/Пол"]', 'ЖЕНСКИЙ');
      await page.fill('#compose-case', 'BROWSER-REQUESTER');
      await page.click('#compose-send');
      await page.waitForSelector('#compose-outcome');
      expect(await page.textContent('#compose-outcome')).toMatch(/HTTP200.*RESULT/);
      // the journal is not the requester's: no link to the exchange, one to the request
      expect(await page.locator('#compose-exchange').count()).toBe(0);
      await page.screenshot({ path: join(ART, 'requester-01-composer-answer.png'), fullPage: true });
      await page.click('#compose-my-request');
      await page.waitForURL(/\/console\/requests\/[0-9a-f-]{36}$/);
      await page.waitForSelector('#request[data-state="answered"]');
      expect(await page.textContent('#request-status')).toBe('RESULT');
      expect(await page.textContent('#request-answer .xml')).toContain('158-301-447 53');
      expect(await page.getAttribute('#request-download', 'href')).toMatch(/^\/admin\/requests\/[0-9a-f-]{36}\/answer$/);
      await page.screenshot({ path: join(ART, 'requester-02-request.png'), fullPage: true });

      await page.click('a[href="/console/requests"]');
      await page.waitForSelector('#requests-list tbody tr[data-id]');
      const rows = await page.$$eval('#requests-list tbody tr[data-id]', (trs) => trs.map((t) => t.getAttribute('data-state')));
      expect(rows.length).toBe(4);
      expect(rows[0]).toBe('answered');
      // the journal's pages are not the requester's
      const journal = await page.goto(`${gw.url}/console/journal`);
      expect(journal?.status()).toBe(403);
    }, 90_000);
  });
});
