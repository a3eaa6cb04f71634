import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { startUpstream, type Upstream } from './support/upstream';
import { ECHO_BUNDLE } from './support/registry';
import { consoleRegistry, playTraffic, DEAD_SID, SYNTHETIC_SID, type Traffic } from './support/console-traffic';
import { ROOT } from './support/paths';
import { CHROMIUM, describeWithChromium } from './support/chromium';

/**
 * The web console end to end (issue #7): the real gateway with real traffic, driven in Debian's
 * headless Chromium by playwright-core (which downloads no browser). Each view is saved as a
 * screenshot in test/artifacts/console/ (test/artifacts/console/postgres/ in the PostgreSQL pass),
 * kept after the run.
 */

const ART = join(ROOT, 'test', 'artifacts', 'console', ...(process.env.SMEV2_TEST_STORE === 'postgres' ? ['postgres'] : []));
const OPERATOR = { user: 'operator', password: 'operator-test' };
const AUDITOR = { user: 'auditor', password: 'auditor-test' };
const basic = (u: { user: string; password: string }) => `Basic ${Buffer.from(`${u.user}:${u.password}`).toString('base64')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wait for a condition checked from the test (the console's CSP forbids the string evaluation waitForFunction uses). */
async function until(what: string, ok: () => Promise<boolean>, ms = 10000): Promise<void> {
  for (const end = Date.now() + ms; !(await ok()); await sleep(50)) if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
}

test('the console\'s browser scripts type-check (JSDoc types, src/console/public/tsconfig.json)', () => {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'src', 'console', 'public', 'tsconfig.json')], { encoding: 'utf8' });
  expect(`${r.stdout}${r.stderr}`).toBe('');
  expect(r.status).toBe(0);
});

describeWithChromium('the web console in headless Chromium', () => {
  let gw: GatewayProcess;
  let down: Upstream;
  let downIsUp = false;
  let traffic: Traffic;
  let ctx: BrowserContext;
  let page: Page;
  let profile: string;
  const problems: string[] = [];

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const api = async (path: string, who = OPERATOR): Promise<any> => {
    const r = await fetch(`${gw.url}/admin${path}`, { headers: { authorization: basic(who) } });
    if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  /** A full-page screenshot, taken from the top (a sticky header would otherwise sit where the page was scrolled to). */
  const shot = async (name: string) => {
    await page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));
    await page.screenshot({ path: join(ART, `${name}.png`), fullPage: true });
  };
  /**
   * Open a console page and wait for its view's own "loaded" signal (app.js: main[data-loaded],
   * set once the view has drawn its data; a new document has none until then). Not the absence of
   * aria-busy, which also holds before the view has started loading.
   */
  const go = async (path: string) => {
    const r = await page.goto(`${gw.url}${path}`);
    await page.waitForSelector('main[data-loaded]');
    return r;
  };
  /** Do something that makes the view load again (a link, a form, a select), and wait until it has. */
  const reloads = async (action: () => Promise<unknown>) => {
    const before = await page.getAttribute('main', 'data-loaded');
    await action();
    await page.waitForSelector(before ? `main[data-loaded]:not([data-loaded="${before}"])` : 'main[data-loaded]');
  };
  /** In the composer's form: every input has an id of its own, and every label's for= is its own input. */
  const labelsPointAtTheirInputs = async (what: string) => {
    const ids = await page.$$eval('#compose-form [data-path]', (els) => els.map((e) => e.id));
    expect({ what, empty: ids.filter((x) => !x) }).toEqual({ what, empty: [] });
    expect({ what, repeated: ids.filter((x, i) => ids.indexOf(x) !== i) }).toEqual({ what, repeated: [] });
    const pairs = await page.$$eval('#compose-form label.field[for]', (ls) => ls.map((l) => {
      const own = l.querySelector('[data-path]')?.getAttribute('data-path') ?? null;
      const target = l.ownerDocument.getElementById(l.getAttribute('for')!)?.getAttribute('data-path') ?? null;
      return { own, target };
    }));
    expect(pairs.length).toBeGreaterThan(0);
    for (const p of pairs) expect({ what, ...p }).toEqual({ what, own: p.own, target: p.own });
  };
  const login = async (who: { user: string; password: string }) => {
    await page.fill('#user', who.user);
    await page.fill('#password', who.password);
    await page.click('#login button[type=submit]');
  };

  beforeAll(async () => {
    rmSync(ART, { recursive: true, force: true });
    mkdirSync(ART, { recursive: true });
    const answer = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');
    down = await startUpstream((body, _q, res) => {
      if (!downIsUp) return void res.destroy();
      const id = /<smev:MessageId>([^<]+)</.exec(body.toString())?.[1] ?? 'REQ';
      res.writeHead(200, { 'content-type': 'text/xml' }).end(answer.replace(/>REQ</g, `>${id}<`));
    });
    gw = await startGateway({ services: consoleRegistry(down.url), args: ['--admin-users', join(ROOT, 'test', 'data', 'admin-users.yaml')] });
    traffic = await playTraffic(gw.url, gw.keys);
    // the guaranteed-delivery SID's two attempts fail: wait for its dead letter
    await until('the dead letter', async () => (await api('/queue?status=dead')).items.some((x: { id: string }) => x.id === traffic.dead), 30000);
    profile = mkdtempSync(join(tmpdir(), 'smev2-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1440, height: 900 },
      timezoneId: 'Europe/Moscow', // times are shown in the browser's zone, with it: +03:00
      acceptDownloads: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = ctx.pages()[0] ?? (await ctx.newPage());
    page.setDefaultTimeout(10000);
    // anything the page's scripts throw, and any console error (a CSP violation is one), fails the run
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) problems.push(`console: ${m.text()}`); });
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  }, 120000);

  afterAll(async () => {
    await ctx?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await gw?.stop();
    await down?.close();
  });

  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  test('a visit without a session goes to the login page, whose headers forbid inline and foreign scripts; a wrong password is refused', async () => {
    const r = await page.goto(`${gw.url}/console/journal?sid=SID0003623`);
    expect(page.url()).toBe(`${gw.url}/console/login?next=${encodeURIComponent('/console/journal?sid=SID0003623')}`);
    const csp = r!.headers()['content-security-policy'];
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(r!.headers()['x-frame-options']).toBe('DENY');
    expect((await fetch(`${gw.url}/console/assets/app.js`, { redirect: 'manual' })).status).toBe(302);
    await login({ user: 'operator', password: 'wrong password' });
    await expect(page.waitForSelector('#login-error:not([hidden])')).resolves.toBeTruthy();
    expect(await page.textContent('#login-error')).toBe('Wrong user or password.');
    expect(page.url()).toContain('/console/login');
    await shot('01-login-refused');
  });

  test('an operator logs in, lands where they were going, and filters the journal', async () => {
    await login(OPERATOR);
    await page.waitForURL(/\/console\/journal\?sid=SID0003623$/);
    await page.waitForSelector('main[data-loaded^="journal#"] #journal-table tbody tr[data-id]');
    expect(await page.inputValue('#journal-filters input[name=sid]')).toBe('SID0003623');
    // times with their zone (the browser's, Europe/Moscow here), UTC in the title; the S/C badges explained
    const newest = (await api('/journal?sid=SID0003623&limit=1')).entries[0];
    const shown = page.locator(`#journal-table tr[data-id="${newest.id}"] time`);
    const moscow = new Date(new Date(newest.at).getTime() + 3 * 3600_000).toISOString().replace('T', ' ').replace('Z', '');
    expect(await shown.textContent()).toBe(`${moscow} +03:00`);
    expect(await shown.getAttribute('title')).toBe(`${new Date(newest.at).toISOString()} (UTC); shown in this browser's time zone, Europe/Moscow`);
    expect(await page.getAttribute(`#journal-table tr[data-id="${newest.id}"] .dot:nth-of-type(1)`, 'title')).toMatch(/^S: the signature verdict: /);
    expect(await page.getAttribute(`#journal-table tr[data-id="${newest.id}"] .dot:nth-of-type(2)`, 'title')).toMatch(/^C: the format-logical control verdict: /);
    expect(await page.textContent('#checks-legend')).toMatch(/S\s*signature verdict, C\s*format-logical control verdict.*time zone \(\+03:00\)/);
    const sids = await page.$$eval('#journal-table tbody tr[data-id] td:nth-child(3) .mono', (els) => els.map((e) => e.textContent));
    expect(sids.length).toBeGreaterThan(5);
    expect(new Set(sids)).toEqual(new Set(['SID0003623']));
    // every operator-only view is offered
    expect(await page.$$eval('#nav a', (as) => as.map((a) => a.textContent))).toEqual(['Journal', 'Statistics', 'Registry', 'Systems', 'Dead letters', 'Composer', 'My requests', 'Emulator', 'Inbox']);

    // status and direction from the form, then the text in AppData
    await page.selectOption('#journal-filters select[name=status]', 'RESULT');
    await page.selectOption('#journal-filters select[name=direction]', 'gateway->consumer');
    await reloads(() => page.click('#journal-filters button[type=submit]'));
    expect(page.url()).toMatch(/status=RESULT/);
    const rows = await page.$$eval('#journal-table tbody tr[data-id]', (trs) => trs.map((tr) => tr.textContent));
    expect(rows.length).toBeGreaterThanOrEqual(1);
    for (const r of rows) expect(r).toMatch(/gateway → consumer.*SID0003623.*RESULT/);
    await shot('02-journal-filtered');

    await go('/console/journal');
    await page.fill('#journal-filters input[name=text]', 'ИВАНОВА');
    await reloads(() => page.click('#journal-filters button[type=submit]'));
    expect(page.url()).toMatch(/text=/);
    const found = await page.$$eval('#journal-table tbody tr[data-id]', (trs) => trs.map((tr) => tr.getAttribute('data-id')));
    expect(found.length).toBeGreaterThanOrEqual(1);
    expect((await api(`/journal?text=${encodeURIComponent('ИВАНОВА')}`)).entries.map((e: { id: number }) => String(e.id))).toEqual(found);

    // keyset pages: Older, then Newer back to the first page
    await go('/console/journal?limit=25');
    const first = await page.$$eval('#journal-table tbody tr[data-id]', (trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))));
    expect(first).toHaveLength(25);
    await reloads(() => page.click('#older'));
    expect(page.url()).toMatch(/before=/);
    const second = await page.$$eval('#journal-table tbody tr[data-id]', (trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))));
    expect(Math.max(...second)).toBeLessThan(Math.min(...first));
    await shot('03-journal-older-page');
    await reloads(() => page.click('#newer'));
    expect(await page.$$eval('#journal-table tbody tr[data-id]', (trs) => trs.map((tr) => Number(tr.getAttribute('data-id'))))).toEqual(first);

    // Live: the first page reads the newest entries again by itself
    await go('/console/journal');
    const top = Number(await page.getAttribute('#journal-table tbody tr[data-id]', 'data-id'));
    await page.check('#journal-live');
    await post(`${gw.url}/gateway/services/SID0003623`, readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'not-found', 'request.xml')));
    await until('the new exchange to show', async () => Number(await page.getAttribute('#journal-table tbody tr[data-id]', 'data-id')) > top, 12000);
    await page.uncheck('#journal-live');
  });

  test('a message: every leg, pretty XML, the signature block collapsible, the verdicts and hashes, the raw bytes', async () => {
    await go('/console/journal?sid=SID0003623&direction=consumer-%3Egateway&sender=MINZ01001');
    const signed = (await api('/journal?sid=SID0003623&direction=consumer-%3Egateway')).entries.find((e: { signature: string | null }) => /^smev:ok MINZ01001/.test(e.signature ?? ''));
    expect(signed).toBeDefined();
    await page.click(`#journal-table tr[data-id="${signed.id}"] td:nth-child(2)`);
    await page.waitForURL(new RegExp(`/console/exchange/${signed.exchangeId}#leg-${signed.id}$`));
    await page.waitForSelector('#leg-panel .leg');
    expect(await page.$$eval('#legs .flow-step .dir', (els) => els.map((e) => e.getAttribute('title')))).toEqual(['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer']);
    expect(await page.textContent('#signature-verdict')).toMatch(/smev:ok MINZ01001/);
    expect(await page.getAttribute('#signature-verdict', 'class')).toContain('v-ok');
    expect(await page.textContent('#control-verdict')).toMatch(/ok/);
    expect(await page.textContent('#leg-panel')).toContain(signed.sha256);
    // pretty-printed: one line per element, names highlighted
    expect(await page.locator('#leg-panel .xml .x-n', { hasText: /^Envelope$/ }).count()).toBeGreaterThanOrEqual(2);
    expect(await page.locator('#leg-panel .xml .x-line').count()).toBeGreaterThan(30);
    // the consumer's wsse:Security starts folded: its SignatureValue is not shown until opened
    const security = page.locator('#leg-panel details.x-sig[data-name="Security"]').first();
    expect(await security.evaluate((d) => d.hasAttribute('open'))).toBe(false);
    const sigValue = page.locator('#leg-panel .x-n', { hasText: /^SignatureValue$/ }).first();
    expect(await sigValue.isVisible()).toBe(false);
    await shot('04-message-signature-folded');
    await security.locator(':scope > summary').click();
    expect(await security.evaluate((d) => d.hasAttribute('open'))).toBe(true);
    const inner = security.locator('details.x-sig[data-name="Signature"]').first();
    if (!(await inner.evaluate((d) => d.hasAttribute('open')))) await inner.locator(':scope > summary').click();
    expect(await sigValue.isVisible()).toBe(true);
    await shot('05-message-signature-open');
    await security.locator(':scope > summary').click();
    expect(await sigValue.isVisible()).toBe(false);

    // the raw bytes, byte for byte
    const href = await page.getAttribute('#raw-link', 'href');
    expect(href).toBe(`/admin/journal/${signed.id}/raw`);
    const raw = await page.request.get(`${gw.url}${href}`);
    expect(raw.status()).toBe(200);
    expect(raw.headers()['content-type']).toMatch(/xml/);
    expect((await raw.text()).startsWith('<?xml')).toBe(true);

    // the node's leg to the provider: signed by the node
    await page.click('#legs .flow-step:nth-child(2) button');
    await page.waitForSelector('#leg-panel .leg[data-direction="gateway->provider"]');
    expect(await page.textContent('#signature-verdict')).toMatch(/signed by the node/);
    expect(page.url()).toMatch(/#leg-\d+$/);
  });

  test('long base64 (the Rosreestr RESULT\'s AppDocument) is folded to its length, and unfolds', async () => {
    const result = (await api('/journal?sid=SID0003564&status=RESULT&direction=gateway-%3Econsumer')).entries[0];
    await go(`/console/exchange/${result.exchangeId}#leg-${result.id}`);
    await page.waitForSelector('#leg-panel .leg[data-direction="gateway->consumer"]');
    const doc = page.locator('#leg-panel details.x-el[data-name="AppDocument"]').first();
    const fold = doc.locator('.x-unfold').first();
    expect(await fold.textContent()).toMatch(/^base64, [\d,]+ characters: show$/);
    const before = await page.textContent('#leg-panel .xml');
    await doc.scrollIntoViewIfNeeded();
    await shot('06-message-base64-folded');
    await fold.click();
    const after = await page.textContent('#leg-panel .xml');
    expect(after!.length - before!.length).toBeGreaterThan(1000);
    expect(await page.locator('#leg-panel .x-unfold', { hasText: 'fold' }).count()).toBeGreaterThan(0);
  });

  test('attacker-controlled XML in the journal is shown as text, never run', async () => {
    await go('/console/journal?fault=SMEV-102000');
    const exchanges = await page.$$eval('#journal-table tbody tr[data-id]', (trs) => trs.map((tr) => tr.getAttribute('data-exchange')));
    expect(exchanges.length).toBeGreaterThanOrEqual(2);
    for (const ex of exchanges) {
      // the exchange opens on its first leg: the consumer's message as received
      await go(`/console/exchange/${ex}`);
      await page.waitForSelector('#leg-panel .leg[data-direction="consumer->gateway"] .xml');
      expect(await page.evaluate('window.__xss')).toBeUndefined();
      expect(await page.locator('main img, main script').count()).toBe(0);
    }
    expect(await page.textContent('#leg-panel .xml')).toMatch(/h:script|&lt;script&gt;/);
    await shot('07-message-hostile-shown-as-text');
  });

  test('the chain of an asynchronous exchange on a timeline: REQUEST → ACCEPT → PING … → RESULT', async () => {
    const chain = traffic.chains.find((c) => c.sid === 'SID0003456' && c.statuses.length === 4)!;
    expect(chain.statuses).toEqual(['ACCEPT', 'PROCESS', 'PROCESS', 'RESULT']);
    // from a message of the chain, by its button
    const leg = (await api(`/journal?chain=${chain.ticket}&direction=consumer-%3Egateway&status=REQUEST`)).entries[0];
    await go(`/console/exchange/${leg.exchangeId}`);
    await page.click('#open-chain');
    await page.waitForURL(new RegExp(`/console/chain/${chain.ticket}$`));
    await page.waitForSelector('svg[data-chart="timeline"] .step');
    const steps = await page.$$eval('svg[data-chart="timeline"] .step .step-text', (ts) => ts.map((t) => t.textContent));
    expect(steps).toEqual(['REQUEST → ACCEPT', 'PING → PROCESS', 'PING → PROCESS', 'PING → RESULT']);
    expect(await page.$$eval('#chain-steps tbody tr', (trs) => trs.length)).toBe(4);
    await shot('08-chain-timeline');
    // a step is a link to its exchange
    await page.click('svg[data-chart="timeline"] .step[data-step="4"]');
    await page.waitForURL(/\/console\/exchange\//);
    await page.waitForSelector('#legs');
    expect(await page.textContent('.summary-cards')).toContain('RESULT');

    // the dead letter's chain: the consumer's ACCEPT, then the failed deliveries on the provider's lane
    await go(`/console/chain/${traffic.dead}`);
    await page.waitForSelector('svg[data-chart="timeline"] .lane-provider');
    expect(await page.locator('svg[data-chart="timeline"] .step.step-bad').count()).toBe(2);
    expect(await page.textContent('main')).toMatch(/dead/);
    await shot('09-chain-dead-letter');
  });

  test('the statistics dashboard draws its charts from GET /admin/stats', async () => {
    await go('/console/stats');
    await page.waitForSelector('svg[data-chart="series"] rect.bar');
    const stats = await api(`/stats?from=${new Date(Date.now() - 86400_000).toISOString()}`);
    const bars = await page.$$eval('svg[data-chart="series"] rect.bar', (rs) => rs.map((r) => Number(r.getAttribute('data-value'))));
    expect(bars.reduce((a, b) => a + b, 0)).toBe(stats.exchanges);
    for (const name of ['by-sid', 'by-department', 'by-fault']) {
      const values = await page.$$eval(`svg[data-chart="${name}"] rect.bar`, (rs) => rs.map((r) => Number(r.getAttribute('data-value'))));
      expect(values.length).toBeGreaterThan(0);
      for (const v of values) expect(v).toBeGreaterThan(0);
    }
    expect(await page.$$eval('svg[data-chart="by-sid"] .ylabel', (ts) => ts.map((t) => t.textContent!.trim()).sort())).toEqual(stats.bySid.map((x: { sid: string }) => x.sid).sort());
    expect(await page.locator('svg[data-chart="by-status"] path.slice').count()).toBe(stats.byStatus.length);
    expect(await page.locator('svg[data-chart="latency"] rect.bar').count()).toBe(3 * stats.bySid.length);
    expect(await page.$$eval('#latency-table tbody tr', (trs) => trs.length)).toBe(stats.bySid.length);
    await shot('10-statistics');
    await reloads(() => page.selectOption('#stats-range', '30d'));
    expect(page.url()).toMatch(/range=30d/);
    await page.waitForSelector('svg[data-chart="series"] rect.bar');
    expect(await page.inputValue('#stats-bucket')).toBe('day');
  });

  test('the registry lists every SID with WSDL links that answer, its availability and detail; Reload reloads', async () => {
    await go('/console/registry');
    await page.waitForSelector('#services-table tbody tr[data-sid]');
    const sids = await page.$$eval('#services-table tbody tr[data-sid]', (trs) => trs.map((tr) => tr.getAttribute('data-sid')));
    expect(sids).toEqual(['SID0003456', 'SID0003525', 'SID0003564', 'SID0003623', DEAD_SID, SYNTHETIC_SID]);
    const links = await page.$$eval('#services-table a.wsdl-link', (as) => as.map((a) => a.getAttribute('href')));
    expect(links).toHaveLength(6);
    for (const l of links) {
      const r = await page.request.get(l);
      expect(r.status()).toBe(200);
      expect(await r.text()).toMatch(/<(\w+:)?definitions[\s>]/);
    }
    expect(await page.locator('#services-table .avail.up').count()).toBeGreaterThanOrEqual(4);
    await shot('11-registry');
    await page.click('#reload');
    await page.waitForSelector('#reload-result .notice.ok');
    expect(await page.textContent('#reload-result')).toContain('Reloaded: 6 services in force.');
    await reloads(() => page.click('#services-table a[href="/console/registry/SID0003564"]'));
    expect(page.url()).toMatch(/\/console\/registry\/SID0003564$/);
    await page.waitForSelector('ul.files');
    expect(await page.textContent('main')).toContain('RosreestrExtract.wsdl');
    await shot('12-registry-service');
    await go('/console/systems');
    await page.waitForSelector('#systems-table');
    expect(await page.textContent('#systems-table')).toContain('MINZ01001');
    await shot('13-systems');
  });

  test('a dead letter is re-driven from the list and leaves it; it is then delivered', async () => {
    await go('/console/queue');
    await page.waitForSelector(`#queue-table tr[data-id="${traffic.dead}"]`);
    expect(await page.textContent(`#queue-table tr[data-id="${traffic.dead}"]`)).toContain('Cannot perform client request');
    await shot('14-dead-letters');
    downIsUp = true;
    await page.click(`#queue-table tr[data-id="${traffic.dead}"] button.redrive`);
    await page.waitForSelector(`#queue-table tr[data-id="${traffic.dead}"]`, { state: 'detached' });
    await page.waitForSelector('#queue-empty');
    expect(await page.textContent('#queue-tabs [data-status="dead"] .count')).toBe('0');
    await shot('15-dead-letter-redriven');
    // the API agrees, and the re-driven message reaches the provider
    expect((await api('/queue?status=dead')).items.map((x: { id: string }) => x.id)).not.toContain(traffic.dead);
    await until('the re-driven message to be delivered', async () => (await api(`/queue/${traffic.dead}`)).status === 'done', 30000);
    await go('/console/queue?status=done');
    await page.waitForSelector(`#queue-table tr[data-id="${traffic.dead}"]`);
  });

  test('the composer: on every SID and operation, each input has an id of its own and each label points at its input', async () => {
    await go('/console/compose');
    const sids = await page.$$eval('#compose-sid option', (os) => os.map((o) => o.getAttribute('value')!));
    expect(sids).toEqual(expect.arrayContaining(['SID0003456', 'SID0003525', 'SID0003564', 'SID0003623']));
    let forms = 0;
    for (const sid of sids) {
      if ((await page.inputValue('#compose-sid')) !== sid) await reloads(() => page.selectOption('#compose-sid', sid));
      const ops = await page.$$eval('#compose-operation option', (os) => os.map((o) => o.getAttribute('value')!));
      for (const op of ops) {
        if ((await page.inputValue('#compose-operation')) !== op) await reloads(() => page.selectOption('#compose-operation', op));
        expect(page.url()).toContain(`sid=${sid}&operation=${op}`);
        if (await page.locator('#compose-form [data-path]').count()) {
          await labelsPointAtTheirInputs(`${sid} ${op}`);
          forms++;
        }
      }
    }
    expect(forms).toBeGreaterThanOrEqual(4);
  });

  test('the composer: a form from the XSD, signed as a system, sent; the answer and its exchange', async () => {
    await go('/console/compose');
    await page.waitForSelector('#compose-form .form-tree');
    await reloads(() => page.selectOption('#compose-sid', 'SID0003623'));
    await page.waitForSelector('#compose-form [data-path="ЗапросСНИЛС/Фамилия"]');
    // Cyrillic names get ids of their own: the label «Пол» is for the select «Пол», not the input «Имя»
    await page.click('#compose-form label.field:has([data-path="ЗапросСНИЛС/Пол"]) .field-label');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null } | null } }).document.activeElement?.getAttribute('data-path'))).toBe('ЗапросСНИЛС/Пол');
    await labelsPointAtTheirInputs('SID0003623');
    expect(await page.inputValue('#compose-operation')).toBe('Process');
    // required marks and hints from the schema
    expect(await page.locator('#compose-form label.field:has([data-path="ЗапросСНИЛС/Фамилия"]) .req').count()).toBe(1);
    expect(await page.locator('#compose-form label.field:has([data-path="ЗапросСНИЛС/Отчество"]) .req').count()).toBe(0);
    expect(await page.textContent('#compose-form label.field:has([data-path="ЗапросСНИЛС/Фамилия"]) .doc')).toMatch(/^Фамилия, имя или отчество/);
    expect(await page.locator('#compose-form select[data-path="ЗапросСНИЛС/Пол"] option').allTextContents()).toEqual(['—', 'МУЖСКОЙ', 'ЖЕНСКИЙ']);
    await page.fill('[data-path="ЗапросСНИЛС/Фамилия"]', 'ИВАНОВА');
    await page.fill('[data-path="ЗапросСНИЛС/Имя"]', 'МАРИЯ');
    await page.fill('[data-path="ЗапросСНИЛС/Отчество"]', 'ПЕТРОВНА');
    await page.fill('[data-path="ЗапросСНИЛС/ДатаРождения"]', '14.07.1985');
    await page.selectOption('[data-path="ЗапросСНИЛС/Пол"]', 'ЖЕНСКИЙ');
    await page.selectOption('#compose-sign', 'MINZ01001');
    await page.fill('#compose-case', 'CONSOLE-1');
    await shot('16-composer-form');
    await page.click('#compose-send');
    await page.waitForSelector('#compose-outcome');
    expect(await page.textContent('#compose-outcome')).toMatch(/HTTP200.*RESULT/);
    expect(await page.textContent('#compose-response .xml')).toContain('158-301-447 53');
    expect(await page.textContent('#compose-request .xml')).toContain('CONSOLE-1');
    expect(await page.locator('#compose-request details.x-sig').count()).toBeGreaterThan(0);
    await page.locator('#compose-result').scrollIntoViewIfNeeded();
    await shot('17-composer-answer');
    await page.click('#compose-exchange');
    await page.waitForURL(/\/console\/exchange\//);
    await page.waitForSelector('#signature-verdict');
    expect(await page.textContent('#signature-verdict')).toMatch(/smev:ok MINZ01001/);

    // the XML tab, prefilled with the sample; an asynchronous send, then the PING it offers
    await go('/console/compose?sid=SID0003456&operation=sendConvictionRequest');
    await page.waitForSelector('#compose-form .form-tree');
    await page.click('#tab-xml');
    const sample = await page.inputValue('#compose-xml');
    expect(sample).toMatch(/^<\w+:/);
    const request = readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'request.xml'), 'utf8');
    const appData = /<smev:AppData>([\s\S]*)<\/smev:AppData>/.exec(request)![1]!;
    await page.fill('#compose-xml', appData);
    await page.selectOption('#compose-sign', 'PNZR01581');
    await page.click('#compose-send');
    await page.waitForSelector('#compose-ping');
    expect(await page.textContent('#compose-outcome')).toContain('ACCEPT');
    await page.click('#compose-ping');
    await until('the PING to be prepared', async () => (await page.inputValue('#compose-origin')) !== '');
    expect(await page.inputValue('#compose-operation')).toBe('getConvictionResponse');
    expect(await page.inputValue('#compose-status')).toBe('PING');
    await page.click('#tab-xml');
    await page.fill('#compose-xml', /<smev:AppData>([\s\S]*)<\/smev:AppData>/.exec(readFileSync(join(ROOT, 'fixtures', 'SID0003456', 'found', 'ping.xml'), 'utf8'))![1]!);
    await page.click('#compose-send');
    await until('the PING\'s answer', async () => /PROCESS|RESULT/.test((await page.textContent('#compose-outcome')) ?? ''));
    await shot('18-composer-ping');
  });

  test('the composer\'s form for every XSD construct: repeated elements added and removed, a choice, attributes, an abstract type, a recursive tree', async () => {
    await go(`/console/compose?sid=${SYNTHETIC_SID}&operation=submit`);
    await page.waitForSelector('#compose-form [data-path="Request/@id"]');
    await page.selectOption('#compose-sign', '');
    await page.selectOption('#compose-sender', 'MINZ01001');
    const fill = (path: string, v: string) => page.fill(`#compose-form [data-path="${path}"]`, v);
    await fill('Request/@id', 'r-1');
    expect(await page.inputValue('#compose-form [data-path="Request/Person/@kind"]')).toBe('person');
    await fill('Request/Person/SNILS', '112-233-445 95');
    await fill('Request/Person/Name/Last', 'Petrov');
    await fill('Request/Person/Name/First', 'Ivan');
    await page.selectOption('#compose-form [data-path="Request/Person/Sex"]', 'M');
    expect(await page.getAttribute('#compose-form [data-path="Request/Person/Born"]', 'type')).toBe('date');
    await fill('Request/Person/Born', '2010-05-01');
    // three children, the second removed: the third becomes Child[2]
    const children = page.locator('#compose-form .repeated[data-node="Request/Child"]');
    await fill('Request/Child/Name/Last', 'A');
    await fill('Request/Child/Name/First', 'Anna');
    await children.locator(':scope > button.add').click();
    await fill('Request/Child[2]/Name/Last', 'B');
    await fill('Request/Child[2]/Name/First', 'Boris');
    await children.locator(':scope > button.add').click();
    await fill('Request/Child[3]/Name/Last', 'C');
    await fill('Request/Child[3]/Name/First', 'Cyril');
    await fill('Request/Child[3]/Age', '7');
    await children.locator('.instance').nth(1).locator('button.remove').first().click();
    expect(await page.locator('#compose-form [data-path="Request/Child[3]/Name/Last"]').count()).toBe(0);
    expect(await page.inputValue('#compose-form [data-path="Request/Child[2]/Name/Last"]')).toBe('C');
    expect(await page.inputValue('#compose-form [data-path="Request/Child[2]/Age"]')).toBe('7');
    // the choice: the sequence alternative instead of Passport
    await page.selectOption('#compose-form fieldset.choice select.choice-select', { label: 'BirthCertificate + Issued' });
    expect(await page.locator('#compose-form [data-path="Request/Passport"]').count()).toBe(0);
    await fill('Request/BirthCertificate', 'II-AB 123456');
    expect(await page.inputValue('#compose-form [data-path="Request/Amount/@currency"]')).toBe('RUB');
    await fill('Request/Amount', '10.50');
    await fill('Request/Payload/Text', 'hello');
    await page.selectOption('#compose-form [data-path="Request/Signed"]', 'true');
    // the optional, recursive tree starts folded
    await page.locator('#compose-form details.group:has([data-path="Request/Tree/Label"]) > summary').first().click();
    await fill('Request/Tree/Label', 'root');
    await fill('Request/Tree/Node/Label', 'leaf 1');
    await page.locator('#compose-form .repeated[data-node="Request/Tree/Node"] > button.add').click();
    await fill('Request/Tree/Node[2]/Label', 'leaf 2');
    expect(await page.textContent('#compose-form')).toContain('its type encloses itself');
    await shot('19-composer-synthetic-form');
    await page.click('#compose-send');
    await page.waitForSelector('#compose-outcome');
    const sent = (await page.textContent('#compose-request .xml'))!;
    const order = ['id="r-1"', 'kind="person"', '112-233-445 95', 'Anna', 'Cyril', '>7<', 'II-AB 123456', 'currency="RUB"', '10.50', 'xsi:type', 'hello', 'leaf 1', 'leaf 2', '>true<'];
    const at = order.map((x) => sent.indexOf(x));
    expect(at.filter((i) => i < 0).map((_, k) => order[k])).toEqual([]);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(sent).toMatch(/<smev:Sender>\s*<smev:Code>MINZ01001</);
    expect(sent).not.toContain('Boris');
    expect(sent).not.toContain('Passport');
    await shot('20-composer-synthetic-sent');
  });

  test('the composer attaches two files as MTOM, signed as the system; the exchange lists them with their verdicts and a file downloads byte for byte', async () => {
    const files = [
      { name: 'справка.xml', mimeType: 'text/xml', buffer: Buffer.from('<?xml version="1.0" encoding="UTF-8"?><справка>Иванова</справка>') },
      { name: 'scan.bin', mimeType: 'application/octet-stream', buffer: Buffer.from(Array.from({ length: 40_000 }, (_, i) => (i * 7919) % 251)) },
    ];
    await go(`/console/compose?sid=${SYNTHETIC_SID}&operation=submit`);
    await page.waitForSelector('#compose-form .form-tree');
    await page.click('#tab-xml');
    await page.fill('#compose-xml', '<x:Note xmlns:x="urn:test:note">с файлами</x:Note>');
    await page.selectOption('#compose-sign', 'MINZ01001');
    await page.click('#compose-attachments > summary');
    await page.setInputFiles('#compose-files', files);
    expect(await page.$$eval('#compose-file-list li', (lis) => lis.map((l) => l.textContent))).toEqual([expect.stringContaining('справка.xml'), expect.stringContaining('scan.bin')]);
    expect(await page.inputValue('#compose-attach-mode')).toBe('mtom');
    await shot('20a-composer-attachments');
    await page.click('#compose-send');
    await page.waitForSelector('#compose-outcome');
    expect(await page.textContent('#compose-attachments-sent')).toMatch(/MTOM part .*\.zip · ZIP of 4 entries/);
    expect(await page.textContent('#compose-request .xml')).toMatch(/AppDocument/);
    await page.click('#compose-exchange');
    await page.waitForURL(/\/console\/exchange\//);
    await page.waitForSelector('#leg-panel .leg[data-direction="consumer->gateway"] #attachments[data-loaded="yes"]');
    expect(await page.getAttribute('#attachments-verdict', 'class')).toContain('v-ok');
    expect(await page.textContent('#attachments .appdoc-head')).toMatch(/MTOM part .*\.zip/);
    expect(await page.textContent('#attachments .digest-verdict')).toMatch(/^DigestValue ok/);
    for (const f of files) {
      const row = page.locator(`#attachments table.zip-files tr[data-name="${f.name}"]`);
      expect(await row.locator('.sig-verdict').getAttribute('data-outcome')).toBe('ok');
      expect(await row.locator('.sig-certificate').textContent()).toBe('certificate trusted');
      expect(await row.locator('.sig-algorithm').textContent()).toMatch(/GOST R 34\.10-2012/);
      expect(await row.textContent()).toContain(createHash('sha256').update(f.buffer).digest('hex').slice(0, 16));
    }
    expect(await page.locator('#attachments table.zip-files tr[data-name="scan.bin.sig"]').count()).toBe(1);
    await page.locator('#attachments').scrollIntoViewIfNeeded();
    await shot('20b-message-attachments');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#attachments tr[data-name="scan.bin"] a.download-file')]);
    expect(download.suggestedFilename()).toBe('scan.bin');
    const saved = join(ART, 'downloaded-scan.bin');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(files[1]!.buffer)).toBe(true);
  });

  test('CSV and XLSX exports from the journal carry its filters', async () => {
    await go('/console/journal?sid=SID0003525');
    await page.waitForSelector('#journal-table tbody tr[data-id]');
    expect(await page.getAttribute('#export-csv', 'href')).toBe('/admin/journal/export.csv?sid=SID0003525');
    const [csv] = await Promise.all([page.waitForEvent('download'), page.click('#export-csv')]);
    const file = join(ART, 'journal-SID0003525.csv');
    await csv.saveAs(file);
    const lines = readFileSync(file, 'utf8').replace(/^\uFEFF/, '').trim().split(/\r?\n/);
    expect(lines.length).toBeGreaterThan(2);
    for (const l of lines.slice(1)) expect(l).toContain('SID0003525');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('#export-xlsx')]);
    const xfile = join(ART, 'journal-SID0003525.xlsx');
    await xlsx.saveAs(xfile);
    expect(readFileSync(xfile).subarray(0, 2).toString()).toBe('PK');
  });

  test('an auditor sees the journal, messages, chains and statistics; the registry, the queue and the composer are neither offered nor reachable', async () => {
    await go('/console/journal');
    await page.click('#logout');
    await page.waitForURL(/\/console\/login$/);
    await login(AUDITOR);
    await page.waitForURL(/\/console\/journal$/);
    await page.waitForSelector('#journal-table tbody tr[data-id]');
    expect(await page.$$eval('#nav a', (as) => as.map((a) => a.textContent))).toEqual(['Journal', 'Statistics', 'Emulator', 'Inbox']);
    expect(await page.textContent('#who')).toContain('auditor');
    await shot('21-auditor-journal');
    for (const path of ['/console/registry', '/console/registry/SID0003623', '/console/systems', '/console/queue', '/console/compose']) {
      const r = await page.goto(`${gw.url}${path}`);
      expect(r!.status()).toBe(403);
      expect(await page.textContent('h1')).toBe('Not allowed');
    }
    await shot('22-auditor-refused');
    expect((await page.request.get(`${gw.url}/console/assets/views/compose.js`)).status()).toBe(403);
    // nor by a path the file server would fold to one of theirs (sent byte for byte, as a browser would not)
    const raw = (path: string) => new Promise<number>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: gw.port, path, headers: { authorization: basic(AUDITOR) } }, (r) => { r.resume(); resolve(r.statusCode!); }).on('error', reject);
    });
    for (const path of ['/console/assets/views//queue.js', '/console/assets/views/./compose.js', '/console/assets/views/%71ueue.js', '/console/assets/lib/../views/registry.js', '/console/registry/']) {
      expect([path, await raw(path)]).toEqual([path, 403]);
    }
    expect((await page.request.get(`${gw.url}/admin/services`)).status()).toBe(403);
    expect((await page.request.post(`${gw.url}/admin/queue/${traffic.dead}/redrive`, { headers: { 'x-requested-with': 'test' } })).status()).toBe(403);
    // what an auditor may read
    const chain = traffic.chains[0]!;
    await go(`/console/chain/${chain.ticket}`);
    await page.waitForSelector('svg[data-chart="timeline"] .step');
    await go('/console/stats');
    await page.waitForSelector('svg[data-chart="series"] rect.bar');
    const leg = (await api('/journal?limit=1', AUDITOR)).entries[0];
    await go(`/console/entry/${leg.id}`);
    await page.waitForSelector('#leg-panel .leg');
    await shot('23-auditor-entry');
  });
});
