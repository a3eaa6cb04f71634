import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Page } from 'playwright-core';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { ROOT } from './support/paths';
import { describeWithChromium, openBrowser } from './support/chromium';

/**
 * The console's emulator editor in Debian's headless Chromium (as test/console.test.ts drives the
 * console): an operator creates a case on a demo SID, tries it, and sees the case that answered,
 * and the answer; the case is the files a person would commit. And switches fault injection on
 * and off for the SID, which a consumer's call over HTTP then meets. On a copy of the demo registry
 * and its fixtures (the cases folder `../../fixtures/SID0003623` resolves inside the copy).
 */
const SID = 'SID0003623';

describeWithChromium('the emulator editor in the console', () => {
  let gw: GatewayProcess;
  let page: Page;
  let root: string;
  let closeBrowser: (() => Promise<void>) | undefined;
  const problems: string[] = [];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'smev2-emu-console-'));
    cpSync(join(ROOT, 'wsdl', SID), join(root, 'wsdl', SID), { recursive: true });
    cpSync(join(ROOT, 'fixtures', SID), join(root, 'fixtures', SID), { recursive: true });
    gw = await startGateway({ services: join(root, 'wsdl'), args: ['--admin-users', join(ROOT, 'test', 'data', 'admin-users.yaml')] });
    ({ page, close: closeBrowser } = await openBrowser(problems, { allowed: /status of (40[13]|422)/, timeoutMs: 15000 }));
  }, 120000);
  afterAll(async () => {
    await closeBrowser?.();
    await gw?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(problems.splice(0)).toEqual([]);
  });

  test('an operator creates a case, a broken one is refused with its reasons, tries it and sees which case answered', async () => {
    await page.goto(`${gw.url}/console/emulator/${SID}`);
    await page.fill('#user', 'operator');
    await page.fill('#password', 'operator-test');
    await page.click('#login button[type=submit]');
    await page.waitForSelector('main[data-loaded^="emulator#"] #emu-cases tr[data-case="found"]');
    expect(await page.inputValue('#emu-sid')).toBe(SID);

    await page.click('#emu-new');
    await page.waitForSelector('#emu-editor');
    await page.fill('#emu-name', 'petrov');
    await page.selectOption('#emu-operation', 'Process');
    await page.fill('#emu-description', 'made in the console');
    await page.fill('#emu-match', 'AppData/ЗапросСНИЛС/Фамилия: Петров\nAppData/ЗапросСНИЛС/Bad: x');
    await page.fill('#emu-priority', '5');
    const answer = readFileSync(join(root, 'fixtures', SID, 'found', 'answer.xml'), 'utf8').replace(/<([\w:]*)СтраховойНомер>[^<]*</, '<$1СтраховойНомер>999-999-999 99<');
    await page.fill('#emu-answer', answer);
    // a condition on a path the template says nothing against is fine; a broken case is refused: a bad fault
    await page.check('#emu-fault-on');
    await page.fill('#emu-fault-status', '99');
    await page.click('#emu-save');
    await page.waitForSelector('#emu-result .notice.bad');
    expect(await page.textContent('#emu-result')).toMatch(/fault\.httpStatus/);
    expect(existsSync(join(root, 'fixtures', SID, 'petrov'))).toBe(false);

    await page.uncheck('#emu-fault-on');
    await page.fill('#emu-match', 'AppData/ЗапросСНИЛС/Фамилия: Петров');
    await page.click('#emu-save');
    await page.waitForSelector('#emu-result .notice.ok');
    await page.waitForSelector('#emu-cases tr[data-case="petrov"]');
    expect(parse(readFileSync(join(root, 'fixtures', SID, 'petrov', 'case.yaml'), 'utf8'))).toEqual({
      operation: 'Process', description: 'made in the console', match: { 'AppData/ЗапросСНИЛС/Фамилия': 'Петров' }, priority: 5,
    });

    // try it: AppData only, wrapped into a request built from the WSDL and signed by the gateway
    const request = readFileSync(join(root, 'fixtures', SID, 'found', 'request.xml'), 'utf8');
    const appData = /<(\w+:)?AppData[^>]*>([\s\S]*)<\/(\w+:)?AppData>/.exec(request)![2]!.replace(/(<([\w:]*)Фамилия>)[^<]*/, '$1Петров');
    await page.fill('#emu-try-input', appData);
    await page.click('#emu-try-send');
    await page.waitForSelector('#emu-try-why');
    expect(await page.textContent('#emu-try-why')).toMatch(/Case petrov answered \(match dispatch, HTTP 200\): case "petrov" answers: its conditions all hold/);
    expect(await page.textContent('#emu-try-answer')).toContain('999-999-999 99');

    // one that matches nothing: the near misses, closest first
    await page.fill('#emu-try-input', appData.replace('Петров', 'Сидоров').replace(/(<([\w:]*)ДатаРождения>)[^<]*/, '$101.01.1901'));
    await page.click('#emu-try-send');
    await page.waitForSelector('#emu-try-why.notice.warn');
    expect(await page.textContent('#emu-try-why')).toMatch(/No case answered.*closest case/);
    expect(await page.locator('#emu-near-misses tbody tr').count()).toBeGreaterThan(1);
  });

  test('an operator switches fault injection on for the SID, a call gets the injected fault; switched off, the normal answer', async () => {
    const request = readFileSync(join(root, 'fixtures', SID, 'found', 'request.xml'), 'utf8');
    const call = () => post(`${gw.url}/gateway/services/${SID}`, request);
    await page.goto(`${gw.url}/console/emulator/${SID}`);
    if (await page.isVisible('#user')) {
      await page.fill('#user', 'operator');
      await page.fill('#password', 'operator-test');
      await page.click('#login button[type=submit]');
    }
    await page.waitForSelector('#faults-state[data-enabled="false"][data-source="none"]');
    await page.fill('#faults-share', '100');
    await page.check('#faults-kind-soapFault');
    await page.fill('#faults-weight-soapFault', '2');
    await page.click('#faults-on');
    await page.waitForSelector('#faults-state[data-enabled="true"][data-source="store"]');
    expect(await page.textContent('#faults-state')).toContain('100% of calls: soapFault ×2');
    expect(JSON.parse((await page.textContent('#faults-spec'))!)).toMatchObject({ share: 1, kinds: [{ kind: 'soapFault', weight: 2 }] });

    let r = await call();
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/<faultstring>Injected fault<\/faultstring>/);

    await page.click('#faults-off');
    await page.waitForSelector('#faults-state[data-enabled="false"][data-source="store"]');
    r = await call();
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/<(\w+:)?Status>RESULT</);
  });
});
