// What the pipeline benchmark sends and whom it trusts: throw-away keys (RSA or GOST 2012-256),
// a systems folder trusting them, a registry with one echo SID whose http adapter points at the
// bench provider, and pools of consumer requests signed one by one (the replay guard refuses a
// signed request seen before, so a run cycles through many distinct signatures).
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { KeyStore, type KeyAlgorithm } from '../../src/signature/identity';
import { DEMO_CA, NODE_KEY } from '../../src/signature/bootstrap';
import { signEnvelope, type Signer } from '../../src/signature/sign';
import { ACTOR } from '../../src/envelope/ns';

/** The project folder (this file runs compiled, from .tmp/bench/). */
export const ROOT = ((): string => {
  for (let d = __dirname; d !== dirname(d); d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'smev2-gateway') return d;
  }
  throw new Error(`no smev2-gateway package.json above ${__dirname}`);
})();
export const ECHO_BUNDLE = join(ROOT, 'test', 'data', 'echo');
export const SID = 'SID0990001';
export const CONSUMER = 'MINZ01001';
export const PROVIDER = 'ECHO01001';

const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

export interface KeySet {
  alg: KeyAlgorithm;
  dir: string;
  consumer: Signer;
  provider: Signer;
}

/** A keys folder as the gateway reads it: demo-ca, node, and the consumer's and provider's keys, all of `alg`. */
export function makeKeySet(dir: string, alg: KeyAlgorithm): KeySet {
  const ks = new KeyStore(dir);
  ks.ensureCa(DEMO_CA, alg, { CN: `bench CA (${alg})`, O: 'smev2-gateway bench' });
  ks.ensureIssued(NODE_KEY, DEMO_CA, alg, { CN: 'SMEV 2 node 00', O: 'smev2-gateway bench' });
  ks.ensureIssued(CONSUMER, DEMO_CA, alg, { CN: CONSUMER });
  ks.ensureIssued(PROVIDER, DEMO_CA, alg, { CN: PROVIDER });
  return { alg, dir, consumer: ks.signer(CONSUMER)!, provider: ks.signer(PROVIDER)! };
}

/** The consumer and the provider, trusted through the CA of whatever keys folder the gateway is given. */
export function makeSystems(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${CONSUMER}.yaml`), `mnemonic: ${CONSUMER}\nname: Минздрав России\nissuers: ["@keys/${DEMO_CA}.pem"]\ngrants: "*"\n`);
  writeFileSync(join(dir, `${PROVIDER}.yaml`), `mnemonic: ${PROVIDER}\nname: Эхо\nissuers: ["@keys/${DEMO_CA}.pem"]\n`);
  return dir;
}

export type Policy = 'off' | 'enforce';

/** A registry with the echo SID; `delivery` is written as given (undefined: not written). */
export function makeRegistry(dir: string, providerUrl: string, policy: Policy, delivery?: unknown): string {
  const sidDir = join(dir, SID);
  cpSync(ECHO_BUNDLE, sidDir, { recursive: true });
  const def: Record<string, unknown> = {
    sid: SID,
    service: { mnemonic: 'ECHO', version: '1.00' },
    provider: { mnemonic: PROVIDER, name: 'Эхо' },
    wsdl: 'Echo.wsdl',
    signature: policy,
    control: policy,
    adapter: { type: 'http', url: providerUrl, readTimeoutMs: 60000 },
  };
  if (delivery !== undefined) def.delivery = delivery;
  writeFileSync(join(sidDir, 'service.yaml'), stringify(def));
  return dir;
}

const LINE = (i: number) => `<e:Line n="${i}">Запись ${i}: Иванов Иван Иванович, 1985-07-14, СНИЛС 158-301-447 53</e:Line>`;
const lines = (n: number) => Array.from({ length: n }, (_, i) => LINE(i)).join('');

function party(code: string, name: string, tag: string): string {
  return `<smev:${tag}><smev:Code>${code}</smev:Code><smev:Name>${name}</smev:Name></smev:${tag}>`;
}

/** A consumer's rev111111 request to the echo SID, on one line; `fill` lines of AppData, an optional AppDocument. */
export function requestXml(o: { bodyId: string; fill: number; date: string; appDocument?: string }): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:e="urn:test:echo" xmlns:smev="http://smev.gosuslugi.ru/rev111111">' +
    `<soapenv:Header/><soapenv:Body wsu:Id="${o.bodyId}" xmlns:wsu="${WSU}"><e:EchoRequest><smev:Message>` +
    party(CONSUMER, 'Минздрав России', 'Sender') + party(PROVIDER, 'Эхо', 'Recipient') + party(CONSUMER, 'Минздрав России', 'Originator') +
    `<smev:TypeCode>GSRV</smev:TypeCode><smev:Status>REQUEST</smev:Status><smev:Date>${o.date}</smev:Date>` +
    '<smev:ExchangeType>2</smev:ExchangeType><smev:CaseNumber>CASE-42</smev:CaseNumber></smev:Message>' +
    `<smev:MessageData><smev:AppData><e:Text>Привет &amp; hello</e:Text>${lines(o.fill)}</smev:AppData>` +
    (o.appDocument ? `<smev:AppDocument><smev:RequestCode>req-doc</smev:RequestCode><smev:BinaryData>${o.appDocument}</smev:BinaryData></smev:AppDocument>` : '') +
    '</smev:MessageData></e:EchoRequest></soapenv:Body></soapenv:Envelope>';
}

/** The provider's RESULT, with a fixed RequestIdRef (the gateway does not match it against the request). */
export function answerXml(fill: number, date: string): string {
  return '<?xml version="1.0" encoding="UTF-8"?>' +
    `<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Body wsu:Id="answer-body" xmlns:wsu="${WSU}">` +
    '<e:EchoResponse xmlns:e="urn:test:echo" xmlns:smev="http://smev.gosuslugi.ru/rev111111"><smev:Message>' +
    party(PROVIDER, 'Эхо', 'Sender') + party(CONSUMER, 'Минздрав России', 'Recipient') +
    `<smev:TypeCode>GSRV</smev:TypeCode><smev:Status>RESULT</smev:Status><smev:Date>${date}</smev:Date><smev:ExchangeType>2</smev:ExchangeType>` +
    '<smev:RequestIdRef>9B2C1F4E-0A57-4C1B-9E0F-BE4C0A1D2E3F</smev:RequestIdRef><smev:OriginRequestIdRef>9B2C1F4E-0A57-4C1B-9E0F-BE4C0A1D2E3F</smev:OriginRequestIdRef>' +
    `</smev:Message><smev:MessageData><smev:AppData><e:Text>echo</e:Text>${lines(fill)}</smev:AppData></smev:MessageData></e:EchoResponse></S:Body></S:Envelope>`;
}

const signAs = (xml: string, s: Signer) => signEnvelope(Buffer.from(xml, 'utf8'), ACTOR.smev, s, { header: false });

/** How many AppData lines make an envelope signed by `s` about `bytes` long. */
export function fillFor(bytes: number, s: Signer, make: (fill: number) => string): number {
  let fill = 0;
  for (let i = 0; i < 3; i++) {
    const size = signAs(make(fill), s).length;
    const per = (signAs(make(fill + 10), s).length - size) / 10;
    fill = Math.max(0, Math.round(fill + (bytes - size) / per));
  }
  return fill;
}

/** The provider's answers of one key set, signed by the provider. */
export function writeAnswers(dir: string, keys: KeySet, date: string): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of [['answer-5k.xml', 5 * 1024], ['answer-100k.xml', 100 * 1024]] as const) {
    const fill = fillFor(bytes, keys.provider, (f) => answerXml(f, date));
    writeFileSync(join(dir, name), signAs(answerXml(fill, date), keys.provider));
  }
}

/**
 * A pool of `n` requests, each signed on its own (distinct Body ids, so distinct signatures). The
 * requests differ only before the end of the Body's start tag: the pool is stored as the `n`
 * heads and one shared tail, which is how the wrk script rebuilds each body.
 */
export interface Pool {
  heads: Buffer[];
  tail: Buffer;
  /** size of one whole request */
  size: number;
}

export function makePool(n: number, bytes: number, signer: Signer, date: string): Pool {
  const fill = fillFor(bytes, signer, (f) => requestXml({ bodyId: 'body-0', fill: f, date }));
  const heads: Buffer[] = [];
  let tail: Buffer | undefined;
  for (let i = 0; i < n; i++) {
    const signed = signAs(requestXml({ bodyId: `body-${i}`, fill, date }), signer);
    const [head, rest] = splitAfterBodyTag(signed);
    if (!tail) tail = rest;
    else if (!tail.equals(rest)) throw new Error('bench pool: signed requests differ after the Body start tag');
    heads.push(head);
  }
  return { heads, tail: tail!, size: heads[0]!.length + tail!.length };
}

function splitAfterBodyTag(b: Buffer): [Buffer, Buffer] {
  const at = b.indexOf('<soapenv:Body ');
  const end = b.indexOf('>', at) + 1;
  return [b.subarray(0, end), b.subarray(end)];
}

/** The wrk script's pool file: "<n>\n", then "<len>\n<bytes>" per head, then the tail the same way. */
export function writePool(file: string, p: Pool): void {
  const parts: Buffer[] = [Buffer.from(`${p.heads.length}\n`)];
  for (const h of [...p.heads, p.tail]) parts.push(Buffer.from(`${h.length}\n`), h);
  writeFileSync(file, Buffer.concat(parts));
}

/**
 * A request carrying a `mib` MiB AppDocument (random bytes, base64), signed; unsigned (with why)
 * when this build's own signer cannot parse it.
 */
export function bigRequest(mib: number, signer: Signer, date: string, bodyId: string): { bytes: Buffer; unsigned?: string } {
  const xml = requestXml({ bodyId, fill: 0, date, appDocument: randomBytes(mib * 1024 * 1024).toString('base64') });
  try {
    return { bytes: signAs(xml, signer) };
  } catch (e) {
    return { bytes: Buffer.from(xml, 'utf8'), unsigned: (e as Error).message };
  }
}

/**
 * The arguments that start the build at `root` as one process: since a plain start runs one
 * worker per core, `--workers 1`; a build from before that (its help says "default: one
 * process", and `--workers 1` there is a primary and one worker) needs none. For the benches
 * that measure one process (its memory, its one thread) and bench:ab's older builds.
 */
export function oneProcess(root: string = ROOT): string[] {
  const cli = join(root, 'dist', 'cli', 'main.js');
  return existsSync(cli) && readFileSync(cli, 'utf8').includes('auto, the default') ? ['--workers', '1'] : [];
}

/**
 * A ZIP of one stored entry of `size` random bytes (random data does not deflate): an AppDocument
 * the attachments stage opens and checks entry by entry, as a real one.
 */
export function storedZip(size: number): Buffer {
  const data = randomBytes(size);
  const name = Buffer.from('document.bin');
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(0x00210000, 10);
  local.writeUInt32LE(crc, 14); local.writeUInt32LE(size, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(0x00210000, 12);
  central.writeUInt32LE(crc, 16); central.writeUInt32LE(size, 20); central.writeUInt32LE(size, 24); central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  const cdOffset = local.length + name.length + size;
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(1, 8); end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12); end.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}
