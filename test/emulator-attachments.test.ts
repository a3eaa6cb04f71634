// Emulated providers answering with attachments (issue 16 item 4), through the real gateway
// process over HTTP: a case's attachments/ files zipped into the AppDocument, each signed with the
// provider system's GOST key, sent inline or as MTOM; the demo Rosreestr SID's two forms; replay
// comparing attachments; and record keeping them, replayed back.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { startGateway, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { readJournal } from './support/journal';
import { startRecord } from './support/record';
import { ROOT } from './support/paths';
import { REQUEST } from './support/signing';
import { loadXml } from '../src/xml/libxml';
import { readMultipart, DEFAULT_MULTIPART_LIMITS } from '../src/http/multipart';
import { bytesDigestValue } from '../src/attachments/digest';
import { inspectZip } from '../src/attachments/inspect';
import { DEFAULT_ZIP_LIMITS, type ZipReport } from '../src/attachments/model';

const SID = 'SID0616201';
const RR = 'SID0003564';
const RR_CASES = join(ROOT, 'fixtures', RR);
const ECHO_ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');

/** The echo request for the emulated SID: MINE01001 (a demo system with a GOST key) is its provider. */
const request = (text: string) => REQUEST.replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${text}</e:Text>`).replace(/ECHO01001/g, 'MINE01001');

/** The files of the emulated SID's cases: a text document, and a binary one in a subfolder. */
const FILES = {
  'doc.xml': Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Документ>Сведения ${randomBytes(20_000).toString('hex')}</Документ>`),
  'scans/page-1.bin': randomBytes(70_000),
};

let gw: GatewayProcess;
let work: string;
let emulatedCases: string;

beforeAll(async () => {
  await loadXml();
  work = mkdtempSync(join(tmpdir(), 'smev2-emu-att-'));
  const rr = parse(readFileSync(join(ROOT, 'wsdl', RR, 'service.yaml'), 'utf8'));
  rr.adapter.cases = RR_CASES;
  const services = makeRegistry([
    {
      bundle: ECHO_BUNDLE,
      // the folder of cases is named after the SID, so that replay knows it
      def: { ...echoDefinition(SID, { type: 'emulator', cases: SID }), provider: { mnemonic: 'MINE01001', name: 'Минэкономразвития России' }, signature: 'report', attachments: { policy: 'enforce', requireSignatures: true } },
    },
    { bundle: join(ROOT, 'wsdl', RR), def: rr },
  ]);
  emulatedCases = join(services, SID, SID);
  for (const form of ['inline', 'mtom']) {
    const dir = join(emulatedCases, form);
    mkdirSync(join(dir, 'attachments', 'scans'), { recursive: true });
    writeFileSync(join(dir, 'case.yaml'), stringify({ match: { 'AppData/Text': form }, attachments: { form, requestCode: `req-${form}` } }));
    writeFileSync(join(dir, 'answer.xml'), ECHO_ANSWER.replace(/ECHO01001/g, 'MINE01001').replace('</smev:Recipient>', '</smev:Recipient><smev:Originator><smev:Code>MINZ01001</smev:Code><smev:Name>Минздрав России</smev:Name></smev:Originator>'));
    writeFileSync(join(dir, 'request.xml'), request(form));
    for (const [name, bytes] of Object.entries(FILES)) writeFileSync(join(dir, 'attachments', name), bytes);
  }
  gw = await startGateway({ services });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
});

interface Answer { status: number; contentType: string; envelope: string; zip?: Buffer; digestValue?: string }

/** POST an envelope as a consumer does and read the answer, MTOM or not, the ZIP of its AppDocument taken out. */
async function call(sid: string, envelope: string): Promise<Answer> {
  const res = await fetch(`${gw.url}/gateway/services/${sid}`, { method: 'POST', body: envelope, headers: { 'content-type': 'text/xml; charset=utf-8' } });
  const body = Buffer.from(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? '';
  if (!contentType.startsWith('multipart/related')) {
    const text = body.toString('utf8');
    const b64 = /<(?:\w+:)?BinaryData>([^<]*)</.exec(text)?.[1];
    return { status: res.status, contentType, envelope: text, zip: b64 ? Buffer.from(b64, 'base64') : undefined };
  }
  const m = await readMultipart((async function* () { yield body; })(), contentType, DEFAULT_MULTIPART_LIMITS, undefined);
  const envelopeText = m.root.bytes.toString('utf8');
  const href = /<xop:Include[^>]*href="cid:([^"]+)"/.exec(envelopeText)?.[1];
  expect(href).toBeDefined();
  const part = m.parts.find((p) => p.contentId === decodeURIComponent(href!));
  expect(part).toBeDefined();
  return { status: res.status, contentType, envelope: envelopeText, zip: part!.bytes, // the AppDocument's DigestValue, not the envelope signature's
    digestValue: /<(?:\w+:)?DigestValue>([^<]*)</.exec(envelopeText.slice(envelopeText.indexOf('AppDocument>')))?.[1] };
}

/** The ZIP opened as the gateway opens it: every file but the .sig ones signed, each signature verifying with a GOST key. */
async function expectSignedWithGost(zip: Buffer, files: Record<string, Buffer>): Promise<ZipReport> {
  const report = await inspectZip({ bytes: zip }, { limits: DEFAULT_ZIP_LIMITS, at: new Date(), where: 'the answer' });
  expect(report.problems).toEqual([]);
  const signed = report.files.filter((f) => f.kind !== 'signature');
  expect(signed.map((f) => f.name).sort()).toEqual(Object.keys(files).sort());
  expect(report.files.filter((f) => f.kind === 'signature').map((f) => f.name).sort()).toEqual(Object.keys(files).map((n) => `${n}.sig`).sort());
  for (const f of signed) {
    expect({ name: f.name, outcome: f.signature?.outcome }).toEqual({ name: f.name, outcome: 'ok' });
    expect(f.signature!.algorithm).toMatch(/^GOST R 34\.10-2012/);
    expect(f.sha256).toBe(createHash('sha256').update(files[f.name]!).digest('hex'));
  }
  return report;
}

/** A demo Rosreestr case's chain over HTTP: the REQUEST, then PINGs until the final answer. */
async function rosreestrChain(name: string): Promise<Answer> {
  const dir = join(RR_CASES, name);
  const accept = await call(RR, readFileSync(join(dir, 'request.xml'), 'utf8'));
  expect(accept.envelope).toContain('Status>ACCEPT<');
  const origin = /<(?:\w+:)?RequestIdRef>([^<]+)</.exec(accept.envelope)![1]!;
  const ping = readFileSync(join(dir, 'ping.xml'), 'utf8').replace(/(<(?:\w+:)?OriginRequestIdRef>)[^<]*/, `$1${origin}`);
  for (;;) {
    const a = await call(RR, ping);
    if (!a.envelope.includes('Status>PROCESS<')) return a;
  }
}

const attachmentFiles = (dir: string): Record<string, Buffer> => {
  const names = readdirSync(dir);
  return Object.fromEntries(names.map((n) => [n, readFileSync(join(dir, n))]));
};

test('an emulated SID answers with its case\'s attachments, inline and as MTOM, every file signed with the provider\'s GOST key under the envelope\'s signature', async () => {
  const inline = await call(SID, request('inline'));
  expect(inline.status).toBe(200);
  expect(inline.contentType).toMatch(/^text\/xml/);
  expect(inline.envelope).toContain('RequestCode>req-inline<');
  await expectSignedWithGost(inline.zip!, FILES);

  const mtom = await call(SID, request('mtom'));
  expect(mtom.status).toBe(200);
  expect(mtom.contentType).toMatch(/^multipart\/related;/);
  expect(mtom.envelope).not.toContain('BinaryData');
  expect(mtom.digestValue).toBe(await bytesDigestValue(mtom.zip!));
  await expectSignedWithGost(mtom.zip!, FILES);

  // the gateway judged both answers (enforce, every file signed) and the provider's signature over them
  const legs = (await readJournal(gw.db, "sid = ? AND direction = 'provider->gateway'", [SID])).slice(-2) as (Awaited<ReturnType<typeof readJournal>>[number] & { attachments: string })[];
  expect(legs.map((l) => l.signature)).toEqual([expect.stringMatching(/^smev:ok MINE01001 /), expect.stringMatching(/^smev:ok MINE01001 /)]);
  expect(legs.map((l) => JSON.parse(l.attachments).verdict)).toEqual(['ok: BinaryData (4 files)', 'ok: cid:req-mtom.zip (4 files)']);
});

test('the demo Rosreestr SID: "found" answers its extract inline, "found-transfer" as MTOM, after ACCEPT and PROCESS, signed with Rosreestr\'s GOST key', async () => {
  const found = await rosreestrChain('found');
  expect(found.envelope).toContain('Status>RESULT<');
  expect(found.contentType).toMatch(/^text\/xml/);
  expect(found.envelope).toContain('RequestCode>6f1c2d8a-3b47-4e95-a0d2-5c8e7b1f9a34<');
  const report = await expectSignedWithGost(found.zip!, attachmentFiles(join(RR_CASES, 'found', 'attachments')));
  expect(report.files.find((f) => f.kind === 'request')!.schema).toMatchObject({ outcome: 'ok' });

  const transfer = await rosreestrChain('found-transfer');
  expect(transfer.envelope).toContain('Status>RESULT<');
  expect(transfer.contentType).toMatch(/^multipart\/related;/);
  expect(transfer.envelope).toContain('href="cid:extract-transfer-58-29-1007005-1234.zip"');
  expect(transfer.digestValue).toBe(await bytesDigestValue(transfer.zip!));
  await expectSignedWithGost(transfer.zip!, attachmentFiles(join(RR_CASES, 'found-transfer', 'attachments')));
});

test('replay compares attachments: the cases pass; a changed file, the wrong form and another signature verdict are differences', async () => {
  const ok = await runCli(['replay', RR_CASES, emulatedCases, '--target', gw.url, '--poll-interval', '20']);
  expect(ok.stderr).toBe('');
  expect(ok.stdout).toContain('6 cases: 6 passed, 0 failed');

  const wrong = join(work, 'wrong');
  cpSync(join(RR_CASES, 'found-transfer'), join(wrong, RR, 'found-transfer'), { recursive: true });
  cpSync(join(emulatedCases, 'inline'), join(wrong, SID, 'inline'), { recursive: true });
  const extract = join(wrong, RR, 'found-transfer', 'attachments', 'extract-transfer-58-29-1007005-1234.xml');
  writeFileSync(extract, readFileSync(extract, 'utf8').replace('КОРНЕЕВ', 'КОРНЕВ'));
  const yaml = join(wrong, SID, 'inline', 'case.yaml');
  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace('form: inline', 'form: mtom'));
  // a case that says the file comes unsigned (its own, failing, .sig stands for the expectation)
  writeFileSync(join(wrong, SID, 'inline', 'attachments', 'doc.xml.sig'), readFileSync(join(ROOT, 'fixtures', RR, 'found', 'request.xml')).subarray(0, 64));
  const r = await runCli(['replay', wrong, '--target', gw.url, '--poll-interval', '20']);
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(/AppDocument\/ZIP\/extract-transfer-58-29-1007005-1234\.xml: expected 1,586 bytes \(SHA-256 [0-9a-f]{16}…\), got 1,588 bytes/);
  expect(r.stdout).toContain('AppDocument: expected the ZIP as an MTOM part (Reference, xop:Include), got inline (BinaryData)');
  expect(r.stdout).toContain('AppDocument/ZIP/doc.xml.sig: expected a signature that fails');
  expect(r.stdout).toContain('2 cases: 0 passed, 2 failed');
});

test('record keeps an answer\'s AppDocument as the case\'s attachments/, and the recording replays green, then red once a file is changed', async () => {
  const out = join(work, 'recorded');
  const proxy = await startRecord(['--upstream', gw.url, '--out', out]);
  let stopped;
  try {
    const through = await runCli(['replay', join(RR_CASES, 'found'), join(RR_CASES, 'found-transfer'), join(emulatedCases, 'mtom'), '--target', proxy.url, '--poll-interval', '20']);
    expect(through.stdout).toContain('3 cases: 3 passed');
  } finally {
    stopped = await proxy.stop();
  }
  expect(stopped.output).toContain('3 case(s) recorded');
  const recorded = (sid: string, marker: string) => {
    const base = join(out, sid);
    const dir = readdirSync(base).map((d) => join(base, d)).find((d) => readFileSync(join(d, 'request.xml'), 'utf8').includes(marker));
    expect(dir).toBeDefined();
    return dir as string;
  };
  const transfer = recorded(RR, 'extractTransfer');
  const yaml = parse(readFileSync(join(transfer, 'case.yaml'), 'utf8'));
  expect(yaml.attachments).toEqual({ form: 'mtom', requestCode: 'b7e4a1c9-52d0-4f3e-8a61-0c9d2e7f4b18', contentId: 'extract-transfer-58-29-1007005-1234.zip', sign: false });
  // the files as the provider sent them, with the signatures it made; the root part as answer.xml
  const files = attachmentFiles(join(RR_CASES, 'found-transfer', 'attachments'));
  for (const [name, bytes] of Object.entries(files)) {
    expect(readFileSync(join(transfer, 'attachments', name)).equals(bytes)).toBe(true);
    expect(existsSync(join(transfer, 'attachments', `${name}.sig`))).toBe(true);
  }
  expect(readFileSync(join(transfer, 'answer.xml'), 'utf8')).toMatch(/^<\?xml[^]*xop:Include[^]*<\/\w+:Envelope>\s*$/);
  expect(parse(readFileSync(join(recorded(RR, 'extractRealty'), 'case.yaml'), 'utf8')).attachments).toMatchObject({ form: 'inline', sign: false });
  expect(existsSync(join(recorded(SID, 'mtom'), 'attachments', 'scans', 'page-1.bin'))).toBe(true);

  const again = await runCli(['replay', out, '--target', gw.url, '--poll-interval', '20']);
  expect(again.stdout).toContain('3 cases: 3 passed, 0 failed');
  const page = join(recorded(SID, 'mtom'), 'attachments', 'scans', 'page-1.bin');
  writeFileSync(page, randomBytes(10));
  const red = await runCli(['replay', out, '--target', gw.url, '--poll-interval', '20']);
  expect(red.code).toBe(1);
  expect(red.stdout).toMatch(/AppDocument\/ZIP\/scans\/page-1\.bin: expected 10 bytes \(SHA-256 [0-9a-f]{16}…\), got 70,000 bytes/);
  expect(red.stdout).toMatch(/AppDocument\/ZIP\/scans\/page-1\.bin\.sig: expected a signature that fails/);
});
