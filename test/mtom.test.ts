import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { readJournal } from './support/journal';
import { sql } from './support/store';
import { ROOT, CORPUS, corpusAvailable } from './support/paths';
import { REQUEST, codeOf, faultstring } from './support/signing';
import { loadXml } from '../src/xml/libxml';
import { KeyStore } from '../src/signature/identity';
import { signEnvelope } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';
import { readMultipart, writeMultipart, Spool, DEFAULT_MULTIPART_LIMITS, type MimePart, type Framing } from '../src/http/multipart';
import { bytesDigestValue } from '../src/attachments/digest';
import { buildZip } from '../src/attachments/zip';
import { signFile } from '../src/attachments/cms-sign';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';

/**
 * MTOM/XOP through the real gateway process over HTTP (issue 16 item 1): a consumer's
 * multipart/related request verified over its root part, its AppDocument's DigestValue checked
 * against the part, sent on to the provider as MTOM with the part byte for byte; the provider's
 * MTOM answer (the corpus's Rosreestr framing among them) read and sent back as MTOM.
 */

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

interface Received { url: string; contentType: string; body: Buffer }

/** A provider on loopback: records what it is sent and answers what the test set. */
class Provider {
  received: Received[] = [];
  answer: (r: Received) => { contentType: string; body: Buffer } = () => ({ contentType: 'text/xml', body: Buffer.from(ANSWER) });
  private server?: Server;
  url = '';
  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { url: String(req.url), contentType: String(req.headers['content-type']), body: Buffer.concat(chunks) };
        this.received.push(r);
        const a = this.answer(r);
        res.writeHead(200, { 'content-type': a.contentType, 'content-length': a.body.length }).end(a.body);
      });
    });
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/provider`;
  }
  stop(): Promise<void> {
    return new Promise((ok) => this.server ? this.server.close(() => ok()) : ok());
  }
}

const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');

let gw: GatewayProcess;
let keys: KeyStore;
const provider = new Provider();
const spoolDir = mkdtempSync(join(tmpdir(), 'smev2-mtom-test-'));

beforeAll(async () => {
  await loadXml();
  await provider.start();
  const work = mkdtempSync(join(tmpdir(), 'smev2-mtom-'));
  const systems = join(work, 'systems');
  mkdirSync(systems);
  // the consumer's callback (guaranteed delivery) comes to the same loopback server
  writeFileSync(join(systems, 'MINZ01001.yaml'), readFileSync(join(ROOT, 'systems', 'MINZ01001.yaml'), 'utf8').replace(/^callback:.*$/m, '') + `\ncallback: ${provider.url}/callback\n`);
  // signature report: the provider's answers here are unsigned (and the corpus's fail); the
  // consumer's verdict is read from the journal
  const sid = (n: string, extra: Record<string, unknown>) => ({
    bundle: ECHO_BUNDLE,
    def: { ...echoDefinition(n, { type: 'http', url: provider.url }), signature: 'report', ...extra },
  });
  const registry = makeRegistry([
    sid('SID0616001', { attachments: { policy: 'enforce' } }),
    sid('SID0616002', { attachments: { policy: 'report' } }),
    // provider answers of the corpus: their own signatures fail (edited or expired), judged but passed
    sid('SID0616003', { attachments: { policy: 'report' } }),
    sid('SID0616007', { attachments: { policy: 'enforce', requireSignatures: true } }),
    sid('SID0616005', { attachments: { policy: 'enforce', toProvider: 'inline' } }),
    sid('SID0616006', { attachments: { policy: 'enforce', toProvider: 'mtom', toConsumer: 'inline' } }),
    sid('SID0616004', { attachments: { policy: 'enforce' }, delivery: { mode: 'guaranteed', initialBackoffMs: 50, maxBackoffMs: 200, pollIntervalMs: 100 } }),
  ]);
  gw = await startGateway({ services: registry, args: ['--systems', systems], env: { SMEV2_SPOOL_DIR: spoolDir, SMEV2_PART_MEMORY_BYTES: '4096' } });
  keys = new KeyStore(gw.keys);
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await provider.stop();
});

/** The echo request with an AppDocument that references `cid`, signed by MINZ01001. */
function mtomRequest(cid: string, digestValue: string): string {
  const xml = REQUEST
    .replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)
    .replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${randomUUID()}</e:Text>`)
    .replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req_${randomUUID()}</smev:RequestCode>` +
      `<smev:Reference><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:${encodeURIComponent(cid)}"/></smev:Reference>` +
      `<smev:DigestValue>${digestValue}</smev:DigestValue></smev:AppDocument>`);
  return signEnvelope(Buffer.from(xml), ACTOR.smev, keys.signer('MINZ01001')!, { header: false }).toString('utf8');
}

function part(contentId: string, bytes: Buffer): MimePart {
  return { contentId, contentType: 'application/zip', headers: {}, size: bytes.length, sha256: sha(bytes), bytes };
}

async function body(w: ReturnType<typeof writeMultipart>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of w.stream()) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** POST and read the answer whole, with its Content-Type. */
function call(sid: string, contentType: string, payload: Buffer): Promise<{ status: number; contentType: string; body: Buffer }> {
  return new Promise((ok, fail) => {
    const req = httpRequest(`${gw.url}/gateway/services/${sid}`, { method: 'POST', headers: { 'content-type': contentType, 'content-length': payload.length } }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end(payload);
  });
}

/** The newest journal row of a SID in a direction. */
async function lastLeg(sid: string, direction: string): Promise<Awaited<ReturnType<typeof readJournal>>[number] & { attachments: string | null }> {
  const rows = await readJournal(gw.db, 'sid = ? AND direction = ?', [sid, direction]);
  return rows[rows.length - 1] as never;
}

async function readBack(contentType: string, b: Buffer) {
  return readMultipart((async function* () { yield b; })(), contentType, DEFAULT_MULTIPART_LIMITS, new Spool(spoolDir));
}

async function mtomCall(sid: string, framing: Framing, o: { cid?: string; zip?: Buffer; digest?: string; sendCid?: string } = {}) {
  const zip = o.zip ?? await buildZip([{ name: 'doc.xml', bytes: Buffer.from(`<doc>${randomBytes(15_000).toString('hex')}</doc>`) }]);
  const cid = o.cid ?? `doc-${randomUUID()}@test`;
  const envelope = mtomRequest(cid, o.digest ?? await bytesDigestValue(zip));
  const w = writeMultipart({ bytes: Buffer.from(envelope) }, [part(o.sendCid ?? cid, zip)], framing);
  const r = await call(sid, w.contentType, await body(w));
  return { ...r, zip, cid, envelope };
}

describe('a consumer\'s MTOM request', () => {
  test.each<[string, Framing]>([
    ['standard MTOM (CRLF, application/xop+xml, start)', { type: 'application/xop+xml', startInfo: 'text/xml', lineEnd: '\r\n' }],
    ['SMEV 2 test servers\' framing (LF, type text/xml)', { type: 'text/xml', lineEnd: '\n' }],
  ])('%s: verified over its root part, its DigestValue checked, sent on as MTOM with the part byte for byte', async (_name, framing) => {
    provider.received = [];
    const r = await mtomCall('SID0616001', framing, { cid: `doc ${randomUUID()}@test` }); // a space: the href is URL-escaped
    expect(codeOf(r.body.toString('utf8'))).toBe('ok');
    expect(provider.received).toHaveLength(1);
    const got = provider.received[0]!;
    expect(got.contentType).toMatch(/^multipart\/related;/);
    const m = await readBack(got.contentType, got.body);
    expect(m.parts).toHaveLength(1);
    expect(m.parts[0]!.contentId).toBe(r.cid);
    expect(m.parts[0]!.sha256).toBe(sha(r.zip));
    // the node's header and signature are on the root part
    const root = m.root.bytes.toString('utf8');
    expect(root).toContain('http://smev.gosuslugi.ru/actors/smev');
    expect(root).toContain(`cid:${encodeURIComponent(r.cid)}`);
    const inbound = await lastLeg('SID0616001', 'consumer->gateway');
    expect(inbound.signature).toMatch(/^smev:ok/);
    const att = JSON.parse(String(inbound.attachments));
    expect(att.parts).toEqual([{ contentId: r.cid, contentType: 'application/zip', size: r.zip.length, sha256: sha(r.zip) }]);
    expect(att.documents[0].digest).toMatchObject({ ok: true });
    // the part's bytes are stored by hash beside the journal, once
    const blobs = await sql<{ size: number | string }>(gw.db, 'SELECT size FROM attachment_blobs WHERE sha256 = ?', [sha(r.zip)]);
    expect(blobs.map((b) => Number(b.size))).toEqual([r.zip.length]);
  });

  test('a part edited on the way: GW-5003 under enforce, naming both digests; passed and journaled under report', async () => {
    const zip = await buildZip([{ name: 'doc.xml', bytes: randomBytes(9000) }]);
    const edited = Buffer.from(zip);
    edited[zip.length >> 1] ^= 1;
    const declared = await bytesDigestValue(zip);
    provider.received = [];
    const enforce = await mtomCall('SID0616001', { type: 'application/xop+xml', lineEnd: '\r\n' }, { zip: edited, digest: declared });
    const text = enforce.body.toString('utf8');
    expect(faultstring(text)).toMatch(/^GW-5003: /);
    expect(text).toContain(declared);
    expect(text).toContain(await bytesDigestValue(edited));
    expect(provider.received).toHaveLength(0);
    const report = await mtomCall('SID0616002', { type: 'application/xop+xml', lineEnd: '\r\n' }, { zip: edited, digest: declared });
    expect(codeOf(report.body.toString('utf8'))).toBe('ok');
    const row = await lastLeg('SID0616002', 'consumer->gateway');
    expect(JSON.parse(String(row.attachments)).verdict).toMatch(/^report: GW-5003/);
  });

  test('a reference to a part the message does not carry: GW-5002 naming the parts it has', async () => {
    const r = await mtomCall('SID0616001', { type: 'application/xop+xml', lineEnd: '\r\n' }, { sendCid: 'other@test' });
    const text = r.body.toString('utf8');
    expect(faultstring(text)).toMatch(/^GW-5002: /);
    expect(text).toContain('other@test');
  });

  test('BinaryData/xop:Include, as JAX-WS with MTOMFeature writes it: the part judged (no DigestValue) and sent on byte for byte; a missing part is GW-5002', async () => {
    const zip = await buildZip([{ name: 'doc.xml', bytes: Buffer.from(`<doc>${randomBytes(12_000).toString('hex')}</doc>`) }]);
    const envelope = (cid: string) => signEnvelope(Buffer.from(REQUEST
      .replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)
      .replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${randomUUID()}</e:Text>`)
      .replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req_${randomUUID()}</smev:RequestCode>` +
        `<smev:BinaryData><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:${cid}"/></smev:BinaryData></smev:AppDocument>`)),
    ACTOR.smev, keys.signer('MINZ01001')!, { header: false }).toString('utf8');
    const cid = `${randomUUID()}@example.jaxws.sun.com`;
    provider.received = [];
    const w = writeMultipart({ bytes: Buffer.from(envelope(cid)) }, [part(cid, zip)]);
    const r = await call('SID0616001', w.contentType, await body(w));
    expect(codeOf(r.body.toString('utf8'))).toBe('ok');
    expect(provider.received).toHaveLength(1);
    const m = await readBack(provider.received[0]!.contentType, provider.received[0]!.body);
    expect(m.parts.map((p) => [p.contentId, p.sha256])).toEqual([[cid, sha(zip)]]);
    const inbound = await lastLeg('SID0616001', 'consumer->gateway');
    const att = JSON.parse(String(inbound.attachments));
    expect(att.documents).toEqual([expect.objectContaining({ source: `cid:${cid}`, sha256: sha(zip) })]);
    expect(att.documents[0].digest).toBeUndefined();
    const missing = writeMultipart({ bytes: Buffer.from(envelope('gone@test')) }, [part(cid, zip)]);
    const refused = (await call('SID0616001', missing.contentType, await body(missing))).body.toString('utf8');
    expect(codeOf(refused)).toBe('GW-5002');
    expect(refused).toContain('gone@test');
  });

  test('unreadable multipart bodies are refused with GW-5001 and journaled', async () => {
    const r = await call('SID0616001', 'multipart/related; type="application/xop+xml"; boundary="b1"', Buffer.from('--b1\r\nContent-Type: text/xml\r\n\r\n<a/>'));
    expect(faultstring(r.body.toString('utf8'))).toMatch(/^GW-5001: The multipart\/related message cannot be read: /);
    const row = await lastLeg('SID0616001', 'gateway->consumer');
    expect(row.fault_code).toBe('GW-5001');
  });
});

const available = corpusAvailable();
const mtomDir = join(CORPUS, 'attachments', 'rosreestr-mtom');

(available ? describe : describe.skip)(`the provider's MTOM answer (${mtomDir})`, () => {
  test('the corpus\'s Rosreestr answer, as its test server framed it: read, its DigestValue checked, sent back as MTOM with the ZIP unchanged', async () => {
    const answer = readFileSync(join(mtomDir, 'message.body'));
    const ct = readFileSync(join(mtomDir, 'content-type.txt'), 'utf8').trim();
    const zip = readFileSync(join(mtomDir, 'CHANGES_EGRUL_2011-06-09.ZIP'));
    provider.answer = () => ({ contentType: ct, body: answer });
    try {
      const envelope = signEnvelope(Buffer.from(REQUEST.replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)), ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
      const r = await call('SID0616003', 'text/xml; charset=utf-8', envelope);
      expect(r.status).toBe(200);
      expect(r.contentType).toMatch(/^multipart\/related;/);
      const m = await readBack(r.contentType, r.body);
      expect(m.parts.map((p) => [p.contentId, p.sha256])).toEqual([['CHANGES_EGRUL_2011-06-09.ZIP', sha(zip)]]);
      expect(m.root.bytes.toString('utf8')).toContain('getStatusResponse');
      const leg = await lastLeg('SID0616003', 'provider->gateway');
      const att = JSON.parse(String(leg.attachments));
      // EXPECTED.tsv: rosreestr-mtom/message.body cid:CHANGES_EGRUL_2011-06-09.ZIP AppDocument/DigestValue ok
      expect(att.documents[0]).toMatchObject({ source: 'cid:CHANGES_EGRUL_2011-06-09.ZIP', digest: { ok: true, actual: 'qV9FKT+mNKS15wbsg0i0N6PzB5zfR3rpCiuaH+6Q0Dk=' } });
      expect(att.documents[0].zip.files.map((f: { name: string }) => f.name)).toEqual(['doc197264.xml']);
    } finally {
      provider.answer = () => ({ contentType: 'text/xml', body: Buffer.from(ANSWER) });
    }
  });
});

/** The echo answer with an MTOM AppDocument of `zip` under `cid`. */
async function mtomAnswer(zip: Buffer, cid: string): Promise<{ contentType: string; body: Buffer }> {
  const xml = ANSWER.replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>answer</smev:RequestCode>` +
    `<smev:Reference><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:${cid}"/></smev:Reference>` +
    `<smev:DigestValue>${await bytesDigestValue(zip)}</smev:DigestValue></smev:AppDocument>`);
  if (!xml.includes('AppDocument')) throw new Error('the echo answer has no AppData to put an AppDocument after');
  const w = writeMultipart({ bytes: Buffer.from(xml) }, [part(cid, zip)]);
  return { contentType: w.contentType, body: await body(w) };
}

const field = (xml: string, name: string) => new RegExp(`<smev:${name}>([^<]*)</smev:${name}>`).exec(xml)?.[1];

/** Wait for a condition the gateway brings about on its own (the delivery worker), up to a generous bound. */
async function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`waited ${ms} ms for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('MTOM under guaranteed delivery (every leg from the store)', () => {
  test('stored with its parts and ACCEPTed; delivered as MTOM; the MTOM answer comes back to a PING and to the callback, parts byte for byte', async () => {
    const answerZip = await buildZip([{ name: 'result.xml', bytes: Buffer.from(`<result>${randomUUID()}</result>`) }]);
    const answerCid = `answer-${randomUUID()}@test`;
    const a = await mtomAnswer(answerZip, answerCid);
    provider.received = [];
    provider.answer = (r) => (r.url.endsWith('/callback') ? { contentType: 'text/plain', body: Buffer.from('ok') } : a);
    try {
      const sent = await mtomCall('SID0616004', { type: 'application/xop+xml', lineEnd: '\r\n' });
      const accept = sent.body.toString('utf8');
      expect(field(accept, 'Status')).toBe('ACCEPT');
      const ticket = field(accept, 'RequestIdRef')!;
      // the worker sends it on as MTOM, the part brought back from the store
      const delivered = await until('the delivery to the provider', () => provider.received.find((r) => r.url.endsWith('/provider')));
      const m = await readBack(delivered.contentType, delivered.body);
      expect(m.parts.map((p) => [p.contentId, p.sha256])).toEqual([[sent.cid, sha(sent.zip)]]);
      // a PING gets the stored answer, as MTOM with the provider's part
      const pingXml = REQUEST.replace('>REQUEST<', '>PING<').replace('<smev:CaseNumber>', `<smev:OriginRequestIdRef>${ticket}</smev:OriginRequestIdRef><smev:CaseNumber>`)
        .replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`);
      const signedPing = signEnvelope(Buffer.from(pingXml), ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
      const answered = await until('the stored answer', async () => {
        const r = await call('SID0616004', 'text/xml; charset=utf-8', signedPing);
        return r.contentType.startsWith('multipart/related') ? r : undefined;
      });
      const back = await readBack(answered.contentType, answered.body);
      expect(back.parts.map((p) => [p.contentId, p.sha256])).toEqual([[answerCid, sha(answerZip)]]);
      expect(back.root.bytes.toString('utf8')).toContain(`cid:${answerCid}`);
      // and the consumer's callback carries it too
      const callback = await until('the callback', () => provider.received.find((r) => r.url.endsWith('/callback')));
      expect(callback.contentType).toMatch(/^multipart\/related;/);
      const cb = await readBack(callback.contentType, callback.body);
      expect(cb.parts.map((p) => p.sha256)).toEqual([sha(answerZip)]);
    } finally {
      provider.answer = () => ({ contentType: 'text/xml', body: Buffer.from(ANSWER) });
    }
  });
});

/** The node's signature (actor recipient) on a forwarded envelope, judged. */
function nodeSignatureOk(root: Buffer): boolean {
  const p = parseEnvelope(root);
  try {
    return verifyEnvelopeSignatures(p).some((b) => b.actor === ACTOR.recipient && b.ok);
  } finally {
    p.doc.dispose();
  }
}

describe('a SID whose provider or consumer speaks one form only (attachments.toProvider / toConsumer)', () => {
  test('MTOM from the consumer, inline to the provider: the ZIP base64 in BinaryData, the node\'s signature over the converted Body', async () => {
    provider.received = [];
    const r = await mtomCall('SID0616005', { type: 'application/xop+xml', lineEnd: '\r\n' });
    expect(codeOf(r.body.toString('utf8'))).toBe('ok');
    const got = provider.received[0]!;
    expect(got.contentType).toMatch(/^text\/xml/);
    const xml = got.body.toString('utf8');
    const bin = /<smev:BinaryData>([^<]*)<\/smev:BinaryData>/.exec(xml)?.[1];
    expect(bin && Buffer.from(bin, 'base64').equals(r.zip)).toBe(true);
    expect(xml).not.toContain('xop:Include');
    expect(nodeSignatureOk(got.body)).toBe(true);
    // the journal keeps both: the consumer's MTOM as it came, the inline form as it went
    expect(JSON.parse(String((await lastLeg('SID0616005', 'consumer->gateway')).attachments)).parts).toHaveLength(1);
    expect((await lastLeg('SID0616005', 'gateway->provider')).attachments).toBeNull();
  });

  test('inline from the consumer, MTOM to the provider; the provider\'s MTOM answer inline to the consumer', async () => {
    const zip = await buildZip([{ name: 'a.xml', bytes: Buffer.from(`<a>${randomUUID()}</a>`) }]);
    const answerZip = await buildZip([{ name: 'result.xml', bytes: Buffer.from(`<r>${randomUUID()}</r>`) }]);
    provider.received = [];
    const a = await mtomAnswer(answerZip, `answer-${randomUUID()}@test`);
    provider.answer = () => a;
    try {
      const xml = REQUEST.replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)
        .replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req_1</smev:RequestCode><smev:BinaryData>${zip.toString('base64')}</smev:BinaryData></smev:AppDocument>`);
      const signed = signEnvelope(Buffer.from(xml), ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
      const r = await call('SID0616006', 'text/xml; charset=utf-8', signed);
      expect(r.contentType).toMatch(/^text\/xml/);
      const answer = r.body.toString('utf8');
      expect(codeOf(answer)).toBe('ok');
      const bin = /<smev:BinaryData>([^<]*)<\/smev:BinaryData>/.exec(answer)?.[1];
      expect(bin && Buffer.from(bin, 'base64').equals(answerZip)).toBe(true);
      const got = provider.received[0]!;
      expect(got.contentType).toMatch(/^multipart\/related;/);
      const m = await readBack(got.contentType, got.body);
      expect(m.parts.map((p) => p.sha256)).toEqual([sha(zip)]);
      expect(m.root.bytes.toString('utf8')).toMatch(/<smev:DigestValue>[^<]+<\/smev:DigestValue>/);
      expect(nodeSignatureOk(m.root.bytes)).toBe(true);
      // the provider's side judged the converted message as it would a consumer's: its DigestValue holds
      const sentLeg = JSON.parse(String((await lastLeg('SID0616006', 'gateway->provider')).attachments));
      expect(sentLeg.parts[0].sha256).toBe(sha(zip));
    } finally {
      provider.answer = () => ({ contentType: 'text/xml', body: Buffer.from(ANSWER) });
    }
  });
});

describe('attachments under the journal\'s tamper evidence', () => {
  test('journal verify proves every stored part; an edited chunk and a deleted part are found, by entry', async () => {
    const clean = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(clean.stdout + clean.stderr).toMatch(/ok|intact/i);
    expect(clean.code).toBe(0);
    const r = await mtomCall('SID0616002', { type: 'application/xop+xml', lineEnd: '\r\n' });
    expect(codeOf(r.body.toString('utf8'))).toBe('ok');
    const hash = sha(r.zip);
    const [chunk] = await sql<{ bytes: Buffer }>(gw.db, 'SELECT bytes FROM attachment_chunks WHERE sha256 = ? AND seq = 0', [hash]);
    const edited = Buffer.from(chunk!.bytes);
    edited[edited.length >> 1] ^= 0xff;
    await sql(gw.db, 'UPDATE attachment_chunks SET bytes = ? WHERE sha256 = ? AND seq = 0', [edited, hash]);
    const altered = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(altered.code).not.toBe(0);
    expect(altered.stdout + altered.stderr).toContain(`attachment ${r.cid}`);
    await sql(gw.db, 'DELETE FROM attachment_chunks WHERE sha256 = ?', [hash]);
    await sql(gw.db, 'DELETE FROM attachment_blobs WHERE sha256 = ?', [hash]);
    const gone = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(gone.code).not.toBe(0);
    expect(gone.stdout + gone.stderr).toMatch(/is not in the store: deleted outside the gateway/);
    // put it back as it was, for the other tests of this file
    await sql(gw.db, 'INSERT INTO attachment_blobs (sha256, size, chunks, created_at, last_used_at, purged_at) VALUES (?, ?, 1, 0, 0, NULL)', [hash, r.zip.length]);
    await sql(gw.db, 'INSERT INTO attachment_chunks (sha256, seq, bytes) VALUES (?, 0, ?)', [hash, r.zip]);
    expect((await runCli(['journal', 'verify', '--db', gw.dbUrl])).code).toBe(0);
  });
});

/** The echo request with an inline AppDocument of `zip`, signed by MINZ01001. */
function inlineRequest(zip: Buffer): Buffer {
  const xml = REQUEST.replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)
    .replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${randomUUID()}</e:Text>`)
    .replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req_1</smev:RequestCode><smev:BinaryData>${zip.toString('base64')}</smev:BinaryData></smev:AppDocument>`);
  return signEnvelope(Buffer.from(xml), ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
}

describe('the ZIP of an AppDocument judged over HTTP (attachments: enforce), a fault for each way it fails', () => {
  const doc = () => Buffer.from(`<doc>${randomUUID()}</doc>`);
  const cases: [string, string, () => Promise<Buffer>, RegExp][] = [
    ['a signed file', 'SID0616007', async () => { const d = doc(); return buildZip([{ name: 'a.xml', bytes: d }, { name: 'a.xml.sig', bytes: signFile(d, keys.signer('MINZ01001')!) }]); }, /^ok$/],
    // past 64 KiB an inline document's base64 stays out of the DOM (xml/elide.ts): judged from the bytes
    ['a large signed file (its base64 kept out of the DOM)', 'SID0616007', async () => { const d = randomBytes(300 * 1024); return buildZip([{ name: 'scan.bin', bytes: d }, { name: 'scan.bin.sig', bytes: signFile(d, keys.signer('MINZ01001')!) }]); }, /^ok$/],
    ['a large file whose .sig is over other bytes', 'SID0616007', async () => { const d = randomBytes(300 * 1024); return buildZip([{ name: 'scan.bin', bytes: randomBytes(300 * 1024) }, { name: 'scan.bin.sig', bytes: signFile(d, keys.signer('MINZ01001')!) }]); }, /^GW-5007: The signature scan\.bin\.sig over scan\.bin/],
    ['not a ZIP', 'SID0616001', async () => randomBytes(3000), /^GW-5005: The AppDocument of the request is not a readable ZIP: /],
    // past SMEV2_PART_MEMORY_BYTES (256 KiB) an inline ZIP is decoded into the exchange's spool and opened from there
    ['not a ZIP, large (opened from the spool)', 'SID0616001', async () => randomBytes(400 * 1024), /^GW-5005: The AppDocument of the request is not a readable ZIP: /],
    ['a large ZIP cut short (opened from the spool)', 'SID0616001', async () => { const z = await buildZip([{ name: 'scan.bin', bytes: randomBytes(600 * 1024) }]); return z.subarray(0, z.length - 100); }, /^GW-5005: The AppDocument of the request is not a readable ZIP: /],
    ['a zip bomb (ratio)', 'SID0616001', async () => buildZip([{ name: 'zeros.bin', bytes: Buffer.alloc(4 * 1024 * 1024) }]), /^GW-5006: The AppDocument of the request goes past a limit on ZIPs: /],
    ['a signature over other bytes', 'SID0616001', async () => buildZip([{ name: 'a.xml', bytes: doc() }, { name: 'a.xml.sig', bytes: signFile(doc(), keys.signer('MINZ01001')!) }]), /^GW-5007: The signature a\.xml\.sig over a\.xml in the AppDocument does not verify: /],
    ['an unsigned file where signatures are required', 'SID0616007', async () => buildZip([{ name: 'a.xml', bytes: doc() }]), /^GW-5008: The file a\.xml in the AppDocument has no signature/],
    ['a request document against its schema', 'SID0616001', async () => buildZip([{ name: 'req_1.xml', bytes: Buffer.from('<r:AppliedDocuments xmlns:r="http://smev.gosuslugi.ru/request/rev111111"><r:Nonsense/></r:AppliedDocuments>') }]),
      /^GW-5009: The request document req_1\.xml in the AppDocument is not valid against the schema of http:\/\/smev\.gosuslugi\.ru\/request\/rev111111: /],
  ];
  test.each(cases)('%s', async (_name, sid, zip, expected) => {
    provider.received = [];
    const r = await call(sid, 'text/xml; charset=utf-8', inlineRequest(await zip()));
    const text = r.body.toString('utf8');
    expect(faultstring(text) ?? codeOf(text)).toMatch(expected);
    expect(provider.received).toHaveLength(expected.source === '^ok$' ? 1 : 0);
    const leg = await lastLeg(sid, 'consumer->gateway');
    expect(JSON.parse(String(leg.attachments)).verdict).toMatch(expected.source === '^ok$' ? /^ok/ : /^GW-50/);
  });

  test('more parts than SMEV2_MAX_PARTS: GW-5010', async () => {
    const parts = Array.from({ length: 101 }, (_, i) => part(`p${i}@test`, Buffer.from(`part ${i}`)));
    const w = writeMultipart({ bytes: Buffer.from(mtomRequest('p0@test', 'x')) }, parts);
    const r = await call('SID0616001', w.contentType, await body(w));
    expect(faultstring(r.body.toString('utf8'))).toMatch(/^GW-5010: The message has more than 100 MIME parts/);
  });
});
