// Issue 16 item 7: a large inline AppDocument's text goes to the spool as the request is taken
// (src/xml/elide.ts spoolLargeTexts, the parse stage), and everything after reads it from there:
// the consumer's signature, the attachments check, the node's signature, the forward to an http
// provider, an inline → MTOM conversion and the journal. Over HTTP, on the pass's store, with a low
// SMEV2_PART_MEMORY_BYTES so that documents of a few hundred KB are spooled as 10 MiB ones are.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { startUpstream, type Upstream } from './support/upstream';
import { readJournal } from './support/journal';
import { ROOT } from './support/paths';
import { storedZip } from './support/zip';
import { codeOf } from './support/signing';
import { loadXml } from '../src/xml/libxml';
import { KeyStore } from '../src/signature/identity';
import { signEnvelope, type Signer } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';
import { readMultipart } from '../src/http/multipart';
import { Spool } from '../src/http/spool';
import { Readable } from 'node:stream';

const SID = 'SID0900051';
const MTOM_SID = 'SID0900052';
const QUEUED_SID = 'SID0900053';
const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';
const SPOOL_FROM = 100 * 1024;
const ADMIN = { authorization: `Basic ${Buffer.from('operator:operator-demo').toString('base64')}` };


/** How the test reads what the provider got (generous: the gateway's limits are not under test here). */
const READ_LIMITS = { maxPartBytes: 1 << 30, maxTotalBytes: 1 << 30, maxParts: 10, memoryThreshold: 1 << 30, maxRootBytes: 1 << 30, idleTimeoutMs: 10_000 };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a large inline document spooled as the request is taken', () => {
  let gw: GatewayProcess;
  let upstream: Upstream;
  let spoolDir: string;
  /** where the test reads the multipart bodies the provider got */
  const readDir = mkdtempSync(join(tmpdir(), 'smev2-spool-read-'));
  let consumer: Signer;
  let answer: Buffer;
  const request = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');

  /** The echo request with `zip` inline (base64 in lines ended by `eol`), signed by the consumer. */
  const withDocument = (zip: Buffer, eol: string) => {
    const text = zip.toString('base64').replace(/.{76}/g, (l) => `${l}${eol}`);
    const doc = `<smev:AppDocument><smev:RequestCode>spool-${randomBytes(6).toString('hex')}</smev:RequestCode><smev:BinaryData>${text}</smev:BinaryData></smev:AppDocument>`;
    const at = request.indexOf('</smev:AppData>') + '</smev:AppData>'.length;
    return signEnvelope(Buffer.from(request.slice(0, at) + doc + request.slice(at), 'utf8'), ACTOR.smev, consumer, { header: false });
  };
  const bodyOf = (b: Buffer) => {
    const s = b.toString('latin1');
    return s.slice(s.indexOf('<soapenv:Body'), s.indexOf('</soapenv:Body>') + '</soapenv:Body>'.length);
  };
  /** The spool holds no file once the exchange is over (its answer gone, the socket closed). */
  const spoolEmptied = async () => {
    for (let i = 0; i < 200 && readdirSync(spoolDir).length; i++) await sleep(50);
    return readdirSync(spoolDir);
  };
  /** What the exchange's log line says it read from the spool (the line is written once the answer has gone: waited for). */
  const spooledBytes = async (exchangeId: string) => {
    for (let i = 0; i < 200; i++) {
      const line = gw.logs().split('\n').find((l) => l.includes(`"exchange":"${exchangeId}"`) && l.includes('"msg":"exchange"'));
      if (line) return (JSON.parse(line) as { spooled?: number }).spooled;
      await sleep(25);
    }
    throw new Error(`no log line of exchange ${exchangeId}`);
  };
  const entries = async (exchangeId: string) => (await readJournal(gw.db)).filter((r) => r.exchange_id === exchangeId);
  const lastExchange = async () => (await readJournal(gw.db)).filter((r) => r.direction === 'consumer->gateway').at(-1)!;
  const rawOf = async (id: number) => {
    const res = await fetch(`${gw.url}/admin/journal/${id}/raw`, { headers: ADMIN });
    expect(res.status).toBe(200);
    return Buffer.from(await res.arrayBuffer());
  };

  beforeAll(async () => {
    await loadXml();
    const systems = mkdtempSync(join(tmpdir(), 'smev2-spool-systems-'));
    cpSync(join(ROOT, 'systems'), systems, { recursive: true });
    writeFileSync(join(systems, 'ECHO01001.yaml'), 'mnemonic: ECHO01001\nname: Эхо\nissuers: ["@keys/demo-ca.pem"]\ndemo: true\n');
    upstream = await startUpstream((_body, _req, res) => res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(answer));
    const registry = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition(SID, { type: 'http', url: upstream.url }), signature: 'enforce', control: 'report', dateSkewSeconds: 0, attachments: { policy: 'enforce' } } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition(QUEUED_SID, { type: 'http', url: upstream.url }), signature: 'enforce', control: 'report', dateSkewSeconds: 0, delivery: { mode: 'guaranteed', initialBackoffMs: 100, maxBackoffMs: 300, pollIntervalMs: 150 } } },
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition(MTOM_SID, { type: 'http', url: upstream.url }), signature: 'enforce', control: 'report', dateSkewSeconds: 0, attachments: { policy: 'report', toProvider: 'mtom' } } },
    ]);
    spoolDir = mkdtempSync(join(tmpdir(), 'smev2-spool-dir-'));
    gw = await startGateway({ services: registry, args: ['--systems', systems], env: { SMEV2_PART_MEMORY_BYTES: String(SPOOL_FROM), SMEV2_SPOOL_DIR: spoolDir, SMEV2_JOURNAL_BODY_BLOB_BYTES: '4096' } });
    const keys = new KeyStore(gw.keys);
    consumer = keys.signer('MINZ01001')!;
    const echoAnswer = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8').replace('<S:Body>', `<S:Body xmlns:wsu="${WSU}" wsu:Id="answer-body">`);
    answer = signEnvelope(Buffer.from(echoAnswer, 'utf8'), ACTOR.smev, keys.signer('ECHO01001')!, { header: false });
  }, 60000);
  afterAll(async () => {
    await gw?.stop();
    await upstream?.close();
    rmSync(readDir, { recursive: true, force: true });
    rmSync(spoolDir, { recursive: true, force: true });
  });

  test.each([['LF', '\n'], ['CR LF', '\r\n'], ['no line breaks', '']])('base64 with %s: verified, judged, signed by the node and sent on byte for byte; journaled as it came and went', async (_name, eol) => {
    const zip = storedZip(300 * 1024);
    const body = withDocument(zip, eol);
    const sent = upstream.requests.length;
    const res = await post(`${gw.url}/gateway/services/${SID}`, body);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<(\w+:)?Status>RESULT</);
    // the provider got the consumer's Body byte for byte (its line ends too), under the node's marks
    expect(upstream.requests.length).toBe(sent + 1);
    const forwarded = upstream.requests.at(-1)!.body;
    expect(forwarded.includes(Buffer.from(bodyOf(body), 'latin1'))).toBe(true);
    const p = parseEnvelope(forwarded, { elide: false });
    try {
      const blocks = verifyEnvelopeSignatures(p).map((b) => [b.actor, b.ok, b.reason]);
      expect(blocks).toEqual([[ACTOR.recipient, true, undefined], [ACTOR.smev, true, undefined]]);
    } finally {
      p.doc.dispose();
    }
    // the journal: the request as it came, the forward as it went; the ZIP judged from the spool
    const consumerLeg = await lastExchange();
    const legs = await entries(consumerLeg.exchange_id);
    expect(consumerLeg.sha256).toBe(sha(body));
    expect((await rawOf(consumerLeg.id)).equals(body)).toBe(true);
    const forwardLeg = legs.find((r) => r.direction === 'gateway->provider')!;
    expect(forwardLeg.sha256).toBe(sha(forwarded));
    expect((await rawOf(forwardLeg.id)).equals(forwarded)).toBe(true);
    expect(consumerLeg.signature).toMatch(/^smev:ok /);
    const attachments = JSON.parse((consumerLeg as unknown as { attachments: string }).attachments) as { verdict: string; documents: { source: string; size: number; sha256: string }[] };
    expect(attachments.verdict).toBe('ok: BinaryData (1 files)');
    expect(attachments.documents).toEqual([expect.objectContaining({ source: 'BinaryData', size: zip.length, sha256: sha(zip) })]);
    // the text went to the spool (the exchange's log line says how much), and the file is gone after
    expect(await spooledBytes(consumerLeg.exchange_id)).toBeGreaterThan(zip.length);
    expect(await spoolEmptied()).toEqual([]);
  });

  test('one character of the document changed after signing: refused by the consumer\'s signature, journaled as sent, nothing sent on', async () => {
    const body = withDocument(storedZip(200 * 1024), '\r\n');
    const at = body.indexOf('<smev:BinaryData>') + '<smev:BinaryData>'.length + 150_000;
    body[at] = body[at] === 0x41 ? 0x42 : 0x41;
    const sent = upstream.requests.length;
    const res = await post(`${gw.url}/gateway/services/${SID}`, body);
    expect(res.status).toBe(500);
    expect(codeOf(res.text)).toBe('SMEV-100003');
    expect(res.text).toMatch(/DigestValue does not match the Body/);
    expect(upstream.requests.length).toBe(sent);
    const consumerLeg = await lastExchange();
    expect((await rawOf(consumerLeg.id)).equals(body)).toBe(true);
    expect(await spooledBytes(consumerLeg.exchange_id)).toBeGreaterThan(200 * 1024);
    expect(await spoolEmptied()).toEqual([]);
  });

  test('a message malformed after its document: the fault names the line and column of the whole message', async () => {
    const good = withDocument(storedZip(200 * 1024), '\n');
    const body = Buffer.from(good.toString('utf8').replace('</e:EchoRequest>', '</e:Wrong>'));
    let whole: { line?: number; column?: number } = {};
    try {
      parseEnvelope(body, { elide: false }).doc.dispose();
    } catch (e) {
      whole = e as { line?: number; column?: number };
    }
    expect(whole.line).toBeGreaterThan(2000);
    const res = await post(`${gw.url}/gateway/services/${SID}`, body);
    expect(res.status).toBe(500);
    expect(res.text).toContain(`(line ${whole.line}, column ${whole.column})`);
    expect(await spooledBytes((await lastExchange()).exchange_id)).toBeGreaterThan(200 * 1024);
    expect(await spoolEmptied()).toEqual([]);
  });

  test('converted to MTOM for the provider: the ZIP is read back from the spool into its part', async () => {
    const zip = storedZip(250 * 1024);
    const sent = upstream.requests.length;
    const res = await post(`${gw.url}/gateway/services/${MTOM_SID}`, withDocument(zip, '\r\n'));
    expect(res.status).toBe(200);
    const { headers, body } = upstream.requests[sent]!;
    expect(String(headers['content-type'])).toMatch(/^multipart\/related/);
    const m = await readMultipart(Readable.from([body]), String(headers['content-type']), READ_LIMITS, new Spool(readDir));
    expect(m.parts).toHaveLength(1);
    expect(m.parts[0]!.sha256).toBe(sha(zip));
    expect(await spooledBytes((await lastExchange()).exchange_id)).toBeGreaterThan(250 * 1024);
    expect(await spoolEmptied()).toEqual([]);
  });

  test('the root part of an MTOM request: spooled alike, sent on as MTOM with the text in its place', async () => {
    const zip = storedZip(220 * 1024);
    const root = withDocument(zip, '\r\n');
    const body = Buffer.concat([
      Buffer.from('--b1\r\nContent-Type: application/xop+xml; charset=UTF-8; type="text/xml"\r\nContent-Transfer-Encoding: binary\r\nContent-ID: <root@spool>\r\n\r\n'),
      root, Buffer.from('\r\n--b1--\r\n'),
    ]);
    const sent = upstream.requests.length;
    const res = await post(`${gw.url}/gateway/services/${SID}`, body, { 'content-type': 'multipart/related; type="application/xop+xml"; boundary="b1"; start="<root@spool>"; start-info="text/xml"' });
    expect(res.status).toBe(200);
    expect(await spooledBytes((await lastExchange()).exchange_id)).toBeGreaterThan(220 * 1024);
    const { headers, body: forwarded } = upstream.requests[sent]!;
    expect(String(headers['content-type'])).toMatch(/^multipart\/related/);
    const m = await readMultipart(Readable.from([forwarded]), String(headers['content-type']), READ_LIMITS, new Spool(readDir));
    expect(m.root.bytes.includes(Buffer.from(bodyOf(root), 'latin1'))).toBe(true);
    expect(Number(headers['content-length'])).toBe(forwarded.length);
    const consumerLeg = await lastExchange();
    expect((await rawOf(consumerLeg.id)).equals(root)).toBe(true);
    expect(await spoolEmptied()).toEqual([]);
  });

  test('a spool that cannot be written: the document is kept in memory, the exchange goes through, the log says why', async () => {
    rmSync(spoolDir, { recursive: true, force: true });
    writeFileSync(spoolDir, 'not a folder'); // what a full or missing disk looks like to the gateway
    try {
      const body = withDocument(storedZip(200 * 1024), '\n');
      const sent = upstream.requests.length;
      const res = await post(`${gw.url}/gateway/services/${SID}`, body);
      expect(res.status).toBe(200);
      expect(upstream.requests[sent]!.body.includes(Buffer.from(bodyOf(body), 'latin1'))).toBe(true);
      const exchange = (await lastExchange()).exchange_id;
      expect(await spooledBytes(exchange)).toBeUndefined();
      expect(gw.logs()).toMatch(new RegExp(`"exchange":"${exchange}".*"msg":"the inline document could not be spooled: kept in memory`));
    } finally {
      rmSync(spoolDir, { force: true });
      mkdirSync(spoolDir);
    }
  });

  test('for guaranteed delivery: stored with its document, answered ACCEPT, and delivered byte for byte by the worker', async () => {
    const body = withDocument(storedZip(200 * 1024), '\r\n');
    const sent = upstream.requests.length;
    const res = await post(`${gw.url}/gateway/services/${QUEUED_SID}`, body);
    expect(res.status).toBe(200);
    expect(res.text).toMatch(/<(\w+:)?Status>ACCEPT</);
    expect(await spooledBytes((await lastExchange()).exchange_id)).toBeGreaterThan(200 * 1024);
    for (let i = 0; i < 300 && upstream.requests.length === sent; i++) await sleep(50);
    expect(upstream.requests.length).toBe(sent + 1);
    expect(upstream.requests[sent]!.body.includes(Buffer.from(bodyOf(body), 'latin1'))).toBe(true);
    expect(await spoolEmptied()).toEqual([]);
  });
});
