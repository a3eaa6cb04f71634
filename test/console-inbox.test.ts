import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Page } from 'playwright-core';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { ROOT } from './support/paths';
import { describeWithChromium, openBrowser } from './support/chromium';
import { STORE_NAME } from './support/store';
import { hashPassword } from '../src/admin/auth';

/**
 * The inbox of manual providers in Debian's headless Chromium (as test/console.test.ts drives the
 * console), on a copy of the demo manual provider SID0009001 and one whose deadline passes at
 * once: an operator sees the requests with their deadlines, one flagged overdue, and assigns one
 * to a clerk; the clerk's console is the inbox alone; the clerk answers through the form generated
 * from the answer's XSD, refuses another with a reason, reassigns a third to a colleague; the
 * consumer's PING gets each answer.
 */
const REQUEST = readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'request.xml'), 'utf8');
const PING = readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'ping.xml'), 'utf8');
const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([\\s\\S]*?)</smev:${name}>`).exec(xml)?.[1];
let serial = 0;
const fresh = (xml: string) => xml.replace(/<smev:Date>[^<]*</, `<smev:Date>${new Date().toISOString()}<`).replace(/<smev:CaseNumber>[^<]*</, `<smev:CaseNumber>INBOX-${++serial}<`);
/** Screenshots of the inbox's views, for people (test/artifacts/console/, as test/console.test.ts keeps them). */
const ART = join(ROOT, 'test', 'artifacts', 'console', ...(process.env.SMEV2_TEST_STORE === 'postgres' ? ['postgres'] : []));
/** The HTML id of a form value's input (src/xsd/form.ts fieldId). */
const fid = (path: string) => `#f-${path.replace(/[^A-Za-z0-9-]/gu, (c) => `_${c.codePointAt(0)!.toString(16)}_`)}`;

describeWithChromium(`the inbox in the console (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  let page: Page;
  let root: string;
  let closeBrowser: (() => Promise<void>) | undefined;
  const problems: string[] = [];
  const tickets: Record<string, string> = {};

  const call = (sid: string, body: string) => post(`${gw.url}/gateway/services/${sid}`, body);
  async function send(sid: string, name: string): Promise<void> {
    const r = await call(sid, fresh(REQUEST));
    expect(field(r.text, 'Status')).toBe('ACCEPT');
    tickets[name] = field(r.text, 'RequestIdRef')!;
  }
  /** The consumer's PING until the answer is no longer PROCESS. */
  async function final(sid: string, ticket: string): Promise<string> {
    for (let i = 0; i < 200; i++) {
      const r = await call(sid, fresh(PING.replace(/<smev:OriginRequestIdRef>[^<]*</, `<smev:OriginRequestIdRef>${ticket}<`)));
      if (field(r.text, 'Status') !== 'PROCESS') return r.text;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`no answer to ${ticket}`);
  }
  async function shot(name: string): Promise<void> {
    mkdirSync(ART, { recursive: true });
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
  }
  async function login(user: string, password: string, path = '/console/inbox'): Promise<void> {
    await page.goto(`${gw.url}${path}`);
    await page.fill('#user', user);
    await page.fill('#password', password);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('main[data-loaded^="inbox#"]');
  }
  async function logout(): Promise<void> {
    await page.click('#logout');
    await page.waitForURL(/\/console\/login/);
  }
  /** Open the inbox and wait until the list is drawn. */
  async function inbox(query = ''): Promise<void> {
    await page.goto(`${gw.url}/console/inbox${query}`);
    await page.waitForSelector('main[data-loaded^="inbox#"]');
  }
  async function openRequest(ticket: string): Promise<void> {
    await page.goto(`${gw.url}/console/inbox/${ticket}`);
    await page.waitForSelector('main[data-loaded^="inbox#"] #inbox-facts');
  }

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'smev2-inbox-console-'));
    cpSync(join(ROOT, 'wsdl', 'SID0009001'), join(root, 'wsdl', 'SID0009001'), { recursive: true });
    // a copy whose deadline is past a second after a request lands
    cpSync(join(ROOT, 'wsdl', 'SID0009001'), join(root, 'wsdl', 'SID0009002'), { recursive: true });
    const yaml = join(root, 'wsdl', 'SID0009002', 'service.yaml');
    writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('sid: SID0009001', 'sid: SID0009002').replace('answerWithinHours: 72', 'answerWithinHours: 0.0003'));
    const user = async (name: string, role: string, department?: string) => ({ name, role, password: await hashPassword(`${name}-secret`), ...(department ? { department } : {}) });
    writeFileSync(join(root, 'users.yaml'), stringify({
      departments: [{ id: 'mvd-demo', name: 'Отдел МВД (демо)' }],
      users: [await user('operator', 'operator'), await user('clerk', 'clerk', 'mvd-demo'), await user('clerk2', 'clerk', 'mvd-demo')],
    }));
    gw = await startGateway({ services: join(root, 'wsdl'), args: ['--admin-users', join(root, 'users.yaml')] });
    await send('SID0009001', 'answer');
    await send('SID0009001', 'refuse');
    await send('SID0009002', 'late');
    ({ page, close: closeBrowser } = await openBrowser(problems, { allowed: /status of (40[013]|409|422)/, timeoutMs: 15000 }));
  }, 120000);
  afterAll(async () => {
    await closeBrowser?.();
    await gw?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  test('an operator sees every request with its deadline, the late one flagged overdue, and assigns one to a clerk', async () => {
    await login('operator', 'operator-secret');
    await page.waitForSelector('main[data-loaded^="inbox#"] #inbox-table');
    for (const t of Object.values(tickets)) await page.waitForSelector(`#inbox-table tr[data-ticket="${t}"]`);
    // the late request's deadline passes a second after it landed: the list says so once it has
    for (let i = 0; i < 100 && (await page.getAttribute(`tr[data-ticket="${tickets.late}"]`, 'data-state')) !== 'overdue'; i++) {
      await page.click('#inbox-refresh');
      await page.waitForSelector('main[data-loaded^="inbox#"] #inbox-table');
    }
    expect(await page.getAttribute(`tr[data-ticket="${tickets.late}"]`, 'data-state')).toBe('overdue');
    expect(await page.textContent(`tr[data-ticket="${tickets.late}"] .flag-overdue`)).toBe('overdue');
    expect(await page.getAttribute(`tr[data-ticket="${tickets.answer}"]`, 'data-state')).toBe('open');
    // the demo's rule: requests from PNZR01581 go to the sub-queue penza
    expect(await page.textContent(`tr[data-ticket="${tickets.answer}"]`)).toContain('queue penza');
    await shot('inbox');

    await page.click(`tr[data-ticket="${tickets.answer}"] a`);
    await page.waitForSelector('main[data-loaded^="inbox#"] #inbox-assign');
    expect(await page.textContent('.xml-panel')).toContain('КУЗНЕЦОВ');
    await page.selectOption('#assign-to', 'clerk');
    await page.click('#assign-go');
    await page.waitForSelector('#inbox-assigned:has-text("clerk")');
    await logout();
  });

  test('the clerk\'s console is the inbox: they answer through the form from the XSD, and the consumer gets the RESULT', async () => {
    await login('clerk', 'clerk-secret', '/console/');
    await page.waitForSelector('main[data-loaded^="inbox#"] #inbox-table');
    expect(page.url()).toMatch(/\/console\/inbox$/);
    expect(await page.$$eval('#nav a', (as) => as.map((a) => a.textContent))).toEqual(['Inbox']);
    const journal = await page.goto(`${gw.url}/console/journal`);
    expect(journal?.status()).toBe(403);
    await inbox('?mine=1');
    expect(await page.$$eval('#inbox-table tr[data-ticket]', (trs) => trs.map((tr) => tr.getAttribute('data-ticket')))).toEqual([tickets.answer]);

    await openRequest(tickets.answer!);
    await page.waitForSelector('#inbox-answer-form');
    const values: Record<string, string> = {
      'CriminalRecordResponse/RegNumber': '77', 'CriminalRecordResponse/Person/SecName': 'КУЗНЕЦОВ', 'CriminalRecordResponse/Person/FirstName': 'ДМИТРИЙ',
      'CriminalRecordResponse/Person/DateOfBirth': '21.09.1979', 'CriminalRecordResponse/Conclusion': 'Сведений о судимости не имеется',
      'CriminalRecordResponse/Subdivision/@code': '058', 'CriminalRecordResponse/Subdivision/@name': 'ИЦ УМВД по Пензенской области', 'CriminalRecordResponse/IssueDate': '06.12.2026',
    };
    for (const [path, v] of Object.entries(values)) await page.fill(fid(path), v);
    await page.selectOption(fid('CriminalRecordResponse/Found'), 'false');
    await shot('inbox-request');
    await page.click('#answer-result-go');
    await page.waitForSelector('main[data-loaded^="inbox#"] #inbox-answer');
    expect(await page.textContent('#inbox-answer')).toMatch(/RESULT by clerk/);
    expect(await page.$('#inbox-answer-form')).toBeNull();
    const answer = await final('SID0009001', tickets.answer!);
    expect(field(answer, 'Status')).toBe('RESULT');
    expect(answer).toContain('Сведений о судимости не имеется');
    expect(answer).toMatch(/<(\w+:)?Found>false</);
  });

  test('the clerk refuses a request with a reason; the consumer gets REJECT with it', async () => {
    await openRequest(tickets.refuse!);
    // a refusal without a reason is refused, said under the form
    await page.click('#answer-reject-go');
    await page.waitForSelector('#answer-result .error-text');
    expect(await page.textContent('#answer-result')).toMatch(/REJECT needs its reason/);
    await page.fill('#answer-reason', 'Запрос не подписан уполномоченным лицом');
    await page.click('#answer-reject-go');
    await page.waitForSelector('#inbox-answer:has-text("REJECT")');
    const answer = await final('SID0009001', tickets.refuse!);
    expect(field(answer, 'Status')).toBe('REJECT');
    expect(answer).toContain('Запрос не подписан уполномоченным лицом');
  });

  test('the clerk reassigns the overdue request to a colleague, and may no longer answer it; the colleague answers it', async () => {
    await openRequest(tickets.late!);
    expect(await page.getAttribute('#inbox-facts', 'data-state')).toBe('overdue');
    expect(await page.$('#inbox-answer-form')).not.toBeNull();
    await page.selectOption('#assign-to', 'clerk2');
    await page.click('#assign-go');
    await page.waitForSelector('#inbox-assigned:has-text("clerk2")');
    expect(await page.$('#inbox-answer-form')).toBeNull();
    await logout();

    await login('clerk2', 'clerk2-secret');
    await inbox('?mine=1');
    expect(await page.$$eval('#inbox-table tr[data-ticket]', (trs) => trs.map((tr) => tr.getAttribute('data-ticket')))).toEqual([tickets.late]);
    await openRequest(tickets.late!);
    await page.fill('#answer-reason', 'Не указан СНИЛС');
    await page.click('#answer-invalid-go');
    await page.waitForSelector('#inbox-answer:has-text("INVALID")');
    expect(field(await final('SID0009002', tickets.late!), 'Status')).toBe('INVALID');
    // answered requests leave the open list
    await inbox();
    expect(await page.$('#inbox-empty')).not.toBeNull();
  });
});
