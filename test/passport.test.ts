// A SID's passport (issue 19 item 4; docs/passport.md) over HTTP on the real gateway, on the store
// SMEV2_TEST_STORE names: for every demo SID and a corpus bundle registered with `services add`,
// the operations and their modes, the request and answer structure with the schemas' annotations,
// a sample envelope that the gateway's own `check` passes once signed as the sample's sender (and
// that the gateway answers without a fault), sample JSON the REST façade takes, and the faults
// from the catalogue; what a requester is shown; and the console's page in headless Chromium,
// reached from the registry's list and from the composer.
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { FAULTS } from '../src/faults/catalogue';
import { runCli, startGateway, type GatewayProcess } from './support/gateway';
import { CORPUS, ROOT, corpusAvailable } from './support/paths';
import { describeWithChromium, openBrowser } from './support/chromium';
import { htmlText, pdfText, squeeze } from './support/documents';

const USERS = join(ROOT, 'test', 'data', 'admin-users-roles.yaml');
const basic = (role: string) => ({ authorization: `Basic ${Buffer.from(`${role}:${role.replace(/\d+$/, '')}-test`).toString('base64')}` });
const DEMO_SIDS = readdirSync(join(ROOT, 'wsdl')).filter((n) => /^SID\d{7}$/.test(n)).sort();
/** the corpus bundle registered beside the demo SIDs (an MVD GIAC send/get pair, its own XSD's annotations and facets) */
const CORPUS_BUNDLE = join(CORPUS, 'services', 'mvd-giac-conviction');
const CORPUS_SID = 'SID0100001';
const corpus = corpusAvailable();
const haveCorpus = corpus && existsSync(CORPUS_BUNDLE);
if (corpus && !existsSync(CORPUS_BUNDLE)) {
  const msg = `the corpus bundle ${CORPUS_BUNDLE} is missing`;
  if (process.env.CI === 'true') throw new Error(`${msg}: CI must have it`);
  process.stderr.write(`${msg}: its passport is not tested\n`);
}

/** Text without any whitespace: a PDF's cells wrap a value anywhere, so values are compared so. */

interface Block { kind: string; rows?: unknown[]; text?: string; header?: string[]; language?: string }
interface Section { heading: string; blocks: Block[]; sections?: Section[] }
interface PassportOp {
  name: string; mode: string; soapAction: string | null;
  request: { element: string; sampleAppData: string; sampleEnvelope: string; sampleJson: unknown; error?: string };
  answer: { element: string; sampleAppData: string; sampleJson: unknown; error?: string };
}
interface Passport { sid: string; doc: { title: string; sections: Section[]; footer?: { label: string; value: string }[] }; operations: PassportOp[]; faults: { name: string; code: string; group: string }[]; links: Record<string, string> }

/** a copy of SID0003623 served by an http upstream (never called here) */
const HTTP_SID = 'SID0003624';
const HTTP_UPSTREAM = 'http://127.0.0.1:9/pfr/snils';

let gw: GatewayProcess;
let services: string;
let systems: string;
let apiKey: string;

beforeAll(async () => {
  services = mkdtempSync(join(tmpdir(), 'smev2-passport-registry-'));
  cpSync(join(ROOT, 'wsdl'), services, { recursive: true });
  if (haveCorpus) {
    const r = await runCli(['services', 'add', CORPUS_BUNDLE, '--sid', CORPUS_SID, '--services', services]);
    if (r.code !== 0) throw new Error(`services add ${CORPUS_BUNDLE} failed:\n${r.stdout}${r.stderr}`);
  }
  // an http provider on the productive contour with every policy enforced: the faults its service.yaml switches on
  cpSync(join(ROOT, 'wsdl', 'SID0003623'), join(services, HTTP_SID), { recursive: true });
  writeFileSync(join(services, HTTP_SID, 'service.yaml'), [
    `sid: ${HTTP_SID}`, 'service: { mnemonic: PFRSNILS, version: "1.00" }', 'provider: { mnemonic: PFRF01001, name: Пенсионный фонд РФ }',
    'contour: productive', 'signature: enforce', 'control: enforce', 'attachments: { policy: enforce, requireSignatures: true }',
    'wsdl: SnilsByPersonalData.wsdl', 'operations: { Process: { mode: sync } }', `adapter: { type: http, url: "${HTTP_UPSTREAM}" }`, '',
  ].join('\n'));
  systems = mkdtempSync(join(tmpdir(), 'smev2-passport-systems-'));
  cpSync(join(ROOT, 'systems'), systems, { recursive: true });
  const k = await runCli(['systems', 'api-key', 'MINZ01001', '--systems', systems, '--note', 'passport.test']);
  expect(k.code).toBe(0);
  apiKey = k.stdout.trim();
  gw = await startGateway({ services, args: ['--systems', systems, '--admin-users', USERS] });
}, 120_000);
afterAll(async () => {
  await gw?.stop();
});

async function passport(sid: string, role = 'operator'): Promise<Passport> {
  const r = await fetch(`${gw.url}/admin/services/${sid}/passport`, { headers: basic(role) });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`passport of ${sid} as ${role}: HTTP ${r.status} ${text}`);
  return JSON.parse(text) as Passport;
}

/** Every section of a doc, nested ones too. */
function sections(ss: Section[]): Section[] {
  return ss.flatMap((s) => [s, ...sections(s.sections ?? [])]);
}
/** The rows of the structure tables (Element, Type, Occurs, Annotation) of one section. */
function structureRows(s: Section | undefined): string[][] {
  return (s?.blocks ?? []).filter((b) => b.kind === 'table' && b.header?.[0] === 'Element').flatMap((b) => b.rows as string[][]);
}
function fieldsOf(s: Section | undefined): Record<string, string> {
  return Object.fromEntries((s?.blocks ?? []).filter((b) => b.kind === 'fields').flatMap((b) => (b.rows as { label: string; value: string }[]).map((f) => [f.label, f.value])));
}

/** Sign a sample as its sender (the gateway's keys folder holds the demo systems' keys) and run the gateway's own `check` on it. */
async function signAndCheck(sid: string, envelope: string, sender: string): Promise<{ signed: string; check: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-passport-sample-'));
  writeFileSync(join(dir, 'sample.xml'), envelope);
  const s = await runCli(['sign', join(dir, 'sample.xml'), '--as', sender, '--keys', gw.keys, '--out', join(dir, 'signed.xml')]);
  expect({ code: s.code, stderr: s.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
  const c = await runCli(['check', join(dir, 'signed.xml'), '--sid', sid, '--services', services, '--systems', systems, '--keys', gw.keys]);
  const { readFileSync } = await import('node:fs');
  return { signed: readFileSync(join(dir, 'signed.xml'), 'utf8'), check: c.stdout };
}

const senderOf = (envelope: string) => /<(?:\w+:)?Sender>\s*<(?:\w+:)?Code>([^<]+)</.exec(envelope)?.[1];

/** What every passport must hold, for a SID the registry serves: the checks shared by the demo SIDs and the corpus bundle. */
async function checkPassport(sid: string): Promise<Passport> {
  const p = await passport(sid);
  const svc = await (await fetch(`${gw.url}/admin/services/${sid}`, { headers: basic('operator') })).json() as { operations: { name: string; mode: string }[]; signature: string; control: string };
  expect(p.sid).toBe(sid);
  expect(p.doc.title).toBe(`Service passport ${sid}`);
  // the operations and their modes, as the registry has them, each with a section of its own
  expect(p.operations.map((o) => [o.name, o.mode])).toEqual(svc.operations.map((o) => [o.name, o.mode]));
  const all = sections(p.doc.sections);
  const opsTable = all.find((s) => s.heading === 'Operations')!.blocks.find((b) => b.kind === 'table')!;
  expect((opsTable.rows as string[][]).map((r) => [r[0], r[1]])).toEqual(svc.operations.map((o) => [o.name, o.mode]));
  let annotated = 0;
  for (const o of p.operations) {
    const own = p.doc.sections.find((s) => s.heading === `Operation ${o.name}`);
    expect({ op: o.name, mode: fieldsOf(own).Mode }).toEqual({ op: o.name, mode: o.mode });
    // the request and the answer: their elements' structure, with the schema's annotations
    for (const role of ['Request', 'Answer']) {
      const rows = structureRows(own?.sections?.find((s) => s.heading === role));
      expect({ op: o.name, role, rows: rows.length > 0 }).toEqual({ op: o.name, role, rows: true });
      annotated += rows.filter((r) => r[3]).length;
    }
    expect(o.request.error).toBeUndefined();
    expect(o.answer.error).toBeUndefined();
    // the samples are in the document as code, as the API gives them
    const code = sections(own?.sections ?? []).flatMap((s) => s.blocks).filter((b) => b.kind === 'code').map((b) => b.text);
    expect(code).toContain(o.request.sampleEnvelope);
    expect(code).toContain(JSON.stringify(o.request.sampleJson, null, 2));
    expect(code).toContain(o.answer.sampleAppData);
  }
  expect(annotated).toBeGreaterThan(0);
  // the faults: catalogue codes, the general ones always, the control's under enforce, the signature's only under enforce
  const catalogue = new Map(Object.entries(FAULTS).map(([name, f]) => [name, f.code as string]));
  for (const f of p.faults) expect([f.name, f.code]).toEqual([f.name, catalogue.get(f.name)]);
  const codes = p.faults.map((f) => f.code);
  expect(codes).toEqual(expect.arrayContaining(['GW-1001', 'GW-1004', 'GW-9001']));
  expect(codes.includes('SMEV-102000')).toBe(svc.control === 'enforce');
  expect(codes.includes('SMEV-100008')).toBe(svc.signature === 'enforce');
  const faultTable = all.find((s) => s.heading === 'Faults')!.blocks.find((b) => b.kind === 'table')!;
  expect((faultTable.rows as string[][]).map((r) => r[0])).toEqual(codes.map((c) => c || '(no code)'));
  return p;
}

/**
 * Each operation's sample envelope: the gateway's `check` passes it once signed, and the gateway
 * answers it without a fault, or (`providerFaults`) with one of the faults of the provider's
 * answer that the passport lists (a bundle registered with services add is emulated by a provider
 * the gateway holds no key for: under signature enforce its unsigned answer is GW-2005).
 */
async function samplesPass(p: Passport, providerFaults: string[] = []): Promise<void> {
  for (const o of p.operations) {
    const sender = senderOf(o.request.sampleEnvelope);
    expect({ op: o.name, sender: !!sender }).toEqual({ op: o.name, sender: true });
    const { signed, check } = await signAndCheck(p.sid, o.request.sampleEnvelope, sender!);
    for (const step of ['limits', 'parse', 'route', 'control', 'signature', 'access']) expect({ op: o.name, check }).toEqual({ op: o.name, check: expect.stringMatching(new RegExp(`^ok +${step}$`, 'm')) });
    expect({ op: o.name, check }).toEqual({ op: o.name, check: expect.stringContaining('gateway: passes it on to the provider') });
    const r = await fetch(`${gw.url}/gateway/services/${p.sid}`, { method: 'POST', body: signed, headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: `"${o.soapAction ?? ''}"` } });
    const answer = await r.text();
    const fault = /:Fault>/.test(answer) ? /faultstring>([^<]*)/.exec(answer)?.[1] ?? answer : undefined;
    if (fault && providerFaults.some((c) => fault.startsWith(`${c}: `))) {
      expect(p.faults.map((f) => f.code)).toContain(fault.slice(0, fault.indexOf(':')));
      continue;
    }
    expect({ op: o.name, status: r.status, fault: fault ?? false }).toEqual({ op: o.name, status: 200, fault: false });
    expect({ op: o.name, smevStatus: /<(?:\w+:)?Status>([A-Z]+)</.exec(answer)?.[1] }).toEqual({ op: o.name, smevStatus: expect.stringMatching(/^(RESULT|ACCEPT|REJECT|INVALID|PROCESS)$/) });
  }
}

describe('the passport of every demo SID', () => {
  test.each(DEMO_SIDS)('%s: operations with modes, structure with annotations, samples, faults from the catalogue', async (sid) => {
    const p = await checkPassport(sid);
    await samplesPass(p);
  }, 60_000);

  test.each(DEMO_SIDS)('%s: the sample JSON of each operation is taken by the REST façade', async (sid) => {
    const p = await passport(sid);
    for (const o of p.operations) {
      // the answer as XML: an emulator with no case for placeholder values answers an error of its own, which has no JSON form
      const r = await fetch(`${gw.url}/api/v1/services/${sid}/${encodeURIComponent(o.name)}`, { method: 'POST', headers: { 'X-API-Key': apiKey, 'content-type': 'application/json', accept: 'application/xml' }, body: JSON.stringify(o.request.sampleJson) });
      const text = await r.text();
      // a poll sent straight to a get operation asks for a chain nobody started: whatever it answers, the JSON fitted the schema
      const expected = o.mode === 'async-get' ? { op: o.name, fits: true } : { op: o.name, status: expect.stringMatching(/^20[02]$/) };
      const got = o.mode === 'async-get' ? { op: o.name, fits: r.status !== 400 && !text.includes('GW-6005') } : { op: o.name, status: String(r.status), ...(r.status >= 300 ? { text } : {}) };
      expect(got).toEqual(expected);
    }
  }, 60_000);

  test.each(['SID0003623', 'SID0003456'])('%s as PDF and HTML: downloads whose text (read back by pdftotext) holds the operations, the annotations, the samples and the fault codes', async (sid) => {
    const p = await passport(sid);
    const expected = [
      p.doc.title, ...p.operations.flatMap((o) => [`Operation ${o.name}`, o.mode]),
      // an annotation of the request's structure (Cyrillic), a sample's placeholder element, catalogue codes
      ...p.operations.slice(0, 1).flatMap((o) => {
        const rows = structureRows(p.doc.sections.find((s) => s.heading === `Operation ${o.name}`)?.sections?.find((s) => s.heading === 'Request'));
        return [rows.find((r) => r[3])![3]!.split(' — ')[0]!, o.request.sampleAppData.split('\n')[0]!];
      }),
      'GW-1001', 'SMEV-102000',
    ];
    const pdf = await fetch(`${gw.url}/admin/services/${sid}/passport.pdf`, { headers: basic('auditor') });
    expect({ status: pdf.status, type: pdf.headers.get('content-type'), disposition: pdf.headers.get('content-disposition') })
      .toEqual({ status: 200, type: 'application/pdf', disposition: `attachment; filename="passport-${sid}.pdf"` });
    const text = squeeze(pdfText(Buffer.from(await pdf.arrayBuffer())));
    for (const e of expected) expect({ sid, pdf: e, found: text.includes(squeeze(e)) }).toEqual({ sid, pdf: e, found: true });

    const html = await fetch(`${gw.url}/admin/services/${sid}/passport.html`, { headers: basic('requester') });
    expect({ status: html.status, type: html.headers.get('content-type'), csp: html.headers.get('content-security-policy') })
      .toEqual({ status: 200, type: 'text/html; charset=utf-8', csp: expect.stringContaining('sandbox') });
    const page = squeeze(htmlText(await html.text()));
    for (const e of expected) expect({ sid, html: e, found: page.includes(squeeze(e)) }).toEqual({ sid, html: e, found: true });
    expect((await fetch(`${gw.url}/admin/services/${sid}/passport.pdf`, { headers: basic('clerk') })).status).toBe(403);
  }, 60_000);

  test('the links: the endpoint, the WSDL and the OpenAPI document the passport names answer', async () => {
    const p = await passport('SID0003623');
    expect(p.links.wsdl).toBe(`${gw.url}/gateway/services/SID0003623?wsdl`);
    for (const url of [p.links.wsdl, p.links.openapi]) expect([url, (await fetch(url)).status]).toEqual([url, 200]);
    const openapi = await (await fetch(p.links.openapi)).json() as { paths: Record<string, unknown> };
    expect(Object.keys(openapi.paths)).toContain('/api/v1/services/SID0003623/Process');
  });

  test('the provider: an emulator\'s cases, a manual provider\'s department; guaranteed delivery lists no provider faults', async () => {
    const emu = await passport('SID0003623');
    const provider = emu.doc.sections.find((s) => s.heading === 'Provider')!;
    expect(fieldsOf(provider).Adapter).toBe('emulator');
    const cases = provider.blocks.find((b) => b.kind === 'table')!.rows as string[][];
    expect(cases.map((r) => r[0])).toEqual(readdirSync(join(ROOT, 'fixtures', 'SID0003623')).filter((n) => existsSync(join(ROOT, 'fixtures', 'SID0003623', n, 'case.yaml'))).sort());
    const manual = await passport('SID0009001');
    const m = fieldsOf(manual.doc.sections.find((s) => s.heading === 'Provider'));
    expect(m).toMatchObject({ Adapter: 'manual', Department: 'mvd-demo', 'Answer within': '72 h' });
    expect(fieldsOf(manual.doc.sections.find((s) => s.heading === 'Service')).Delivery).toBe('guaranteed');
    expect(manual.faults.map((f) => f.code)).not.toContain('GW-2001');
    const notes = manual.doc.sections.find((s) => s.heading === 'Faults')!.blocks.filter((b) => b.kind === 'paragraph').map((b) => b.text).join('\n');
    expect(notes).toContain('ends as a FAILURE answer to the poll');
  });

  test('an http provider with every policy enforced: its upstream (to operators and auditors only) and the faults its service.yaml switches on', async () => {
    const codes = (p: Passport) => p.faults.map((f) => f.code);
    const p = await passport(HTTP_SID, 'auditor');
    expect(fieldsOf(p.doc.sections.find((s) => s.heading === 'Provider'))).toMatchObject({ Adapter: 'http', Upstream: HTTP_UPSTREAM });
    // signature, control with the Date rule and TestMsg on the productive contour, AppDocuments with signed files, the upstream's transport
    expect(codes(p)).toEqual(expect.arrayContaining(['SMEV-100008', 'SMEV-100003', 'GW-3001', 'GW-2005', 'SMEV-102000', 'GW-4004', 'GW-4005', 'GW-5003', 'GW-5008', 'GW-2001', 'GW-2004', '']));
    expect(p.faults.find((f) => f.code === 'GW-2001')?.group).toBe('an http provider, called while the consumer waits');
    // the demo SID it copies: none of these
    const demo = codes(await passport('SID0003623'));
    for (const c of ['SMEV-100008', 'GW-4004', 'GW-4005', 'GW-5003', 'GW-5008', 'GW-2001']) expect([c, demo.includes(c)]).toEqual([c, false]);
    const rq = await passport(HTTP_SID, 'requester');
    expect(fieldsOf(rq.doc.sections.find((s) => s.heading === 'Provider')).Upstream).toBe('(shown to operators and auditors)');
    expect(JSON.stringify(rq)).not.toContain(HTTP_UPSTREAM);
  });

  test('a requester reads it, sent as their department\'s system, without the registry\'s folder; a clerk may not; an unknown SID is 404', async () => {
    const op = await passport('SID0003623', 'operator');
    const rq = await passport('SID0003623', 'requester');
    expect(fieldsOf(op.doc.sections.find((s) => s.heading === 'Provider'))['Cases folder']).toContain('fixtures');
    expect(fieldsOf(rq.doc.sections.find((s) => s.heading === 'Provider'))['Cases folder']).toBeUndefined();
    expect(senderOf(rq.operations[0]!.request.sampleEnvelope)).toBe('MINZ01001');
    expect((await fetch(`${gw.url}/admin/services/SID0003623/passport`, { headers: basic('clerk') })).status).toBe(403);
    const none = await fetch(`${gw.url}/admin/services/SID9999999/passport`, { headers: basic('operator') });
    expect({ status: none.status, body: await none.json() }).toEqual({ status: 404, body: { error: expect.stringContaining('no service SID9999999') } });
  });
});

(haveCorpus ? describe : describe.skip)(`the passport of a corpus bundle (${CORPUS_BUNDLE})`, () => {
  test(`${CORPUS_SID}, registered unchanged with services add: operations, annotated structure, samples the gateway passes`, async () => {
    const p = await checkPassport(CORPUS_SID);
    expect(p.operations.map((o) => o.name)).toEqual(['sendGIACRequest', 'getGIACResponse']);
    // the bundle's own facets and enumerations are its annotations
    const rows = structureRows(sections(p.doc.sections).find((s) => s.heading === 'Request'));
    expect(rows.find((r) => r[0].endsWith('PrivatePerson/DateOfBirth'))?.[3]).toContain('pattern');
    await samplesPass(p, ['GW-2005']);
  }, 60_000);
});

// --- the console's page, in Debian's headless Chromium (as test/console.test.ts) ---
describeWithChromium('the passport in the console, in headless Chromium', () => {
  let ctx: BrowserContext;
  let page: Page;
  const problems: string[] = [];
  let closeBrowser: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ ctx, page, close: closeBrowser } = await openBrowser(problems, { timeoutMs: 10000, acceptDownloads: true }));
  }, 60_000);
  afterAll(async () => {
    await closeBrowser?.();
  });

  const login = async (user: string) => {
    await ctx.clearCookies();
    await page.goto(`${gw.url}/console/login`);
    await page.fill('#user', user);
    await page.fill('#password', `${user}-test`);
    await page.click('#login button[type=submit]');
    await page.waitForSelector('main[data-loaded]');
  };

  test('an operator follows the registry\'s passport link and sees the operations and the samples', async () => {
    await login('operator');
    await page.goto(`${gw.url}/console/registry`);
    await page.waitForSelector('#services-table tr[data-sid="SID0003456"] a.passport-link');
    const before = await page.getAttribute('main', 'data-loaded');
    await page.click('#services-table tr[data-sid="SID0003456"] a.passport-link');
    await page.waitForSelector(`main[data-loaded]:not([data-loaded="${before}"])`);
    expect(new URL(page.url()).pathname).toBe('/console/passport/SID0003456');
    expect(await page.textContent('h1')).toBe('Service passport SID0003456');
    const headings = await page.$$eval('#passport section h2', (els) => els.map((e) => e.textContent));
    expect(headings).toEqual(expect.arrayContaining(['Service', 'Provider', 'Operations', 'Operation sendConvictionRequest', 'Operation getConvictionResponse', 'Faults']));
    const op = '#passport section[data-heading="Operation sendConvictionRequest"]';
    expect(await page.textContent(`${op} dl.kv`)).toContain('async-send');
    // the sample envelope's smev:Date is when the passport was made: the page's and this one's differ there only
    const undated = (x: string) => x.replace(/(<(?:\w+:)?Date>)[^<]+</, '$1…<');
    const samples = await page.$$eval(`${op} pre.code`, (els) => els.map((e) => ({ language: e.getAttribute('data-language'), text: e.textContent ?? '' })));
    const p = await passport('SID0003456');
    expect(samples.map((x) => ({ ...x, text: undated(x.text) }))).toEqual(expect.arrayContaining([
      { language: 'xml', text: undated(p.operations[0]!.request.sampleEnvelope) },
      { language: 'json', text: JSON.stringify(p.operations[0]!.request.sampleJson, null, 2) },
    ]));
    expect(await page.textContent('#passport section[data-heading="Faults"] table')).toContain('GW-1001');
    // the PDF button downloads the passport as PDF
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#passport-pdf')]);
    expect(download.suggestedFilename()).toBe('passport-SID0003456.pdf');
    const saved = join(mkdtempSync(join(tmpdir(), 'smev2-passport-dl-')), 'p.pdf');
    await download.saveAs(saved);
    const { readFileSync } = await import('node:fs');
    expect(squeeze(pdfText(readFileSync(saved)))).toContain(squeeze('Operation sendConvictionRequest'));
    expect(problems).toEqual([]);
  }, 60_000);

  test('a requester reaches it from the composer, and the page has no registry link for them', async () => {
    await login('requester');
    await page.goto(`${gw.url}/console/compose?sid=SID0003623`);
    await page.waitForSelector('#compose-passport');
    const before = await page.getAttribute('main', 'data-loaded');
    await page.click('#compose-passport');
    await page.waitForSelector(`main[data-loaded]:not([data-loaded="${before}"])`);
    expect(new URL(page.url()).pathname).toBe('/console/passport/SID0003623');
    expect(await page.textContent('h1')).toBe('Service passport SID0003623');
    expect(await page.$('#passport section[data-heading="Operation Process"]')).not.toBeNull();
    expect(await page.$('a[href="/console/registry/SID0003623"]')).toBeNull();
    expect(await page.$('#passport-compose')).not.toBeNull();
    expect(problems).toEqual([]);
  }, 60_000);
});
