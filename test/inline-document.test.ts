// Issue 16 item 7: a large inline AppDocument's base64 is kept out of the DOM (src/xml/elide.ts)
// and c14n writes it back from the message's bytes. Signatures must come out exactly as over the
// whole document, whatever the text's line breaks, and an altered document must still fail.
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import fc from 'fast-check';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope, decodeBase64Range, inlineDocumentBase64, inlineDocumentBytes } from '../src/envelope/parse';
import { elidableTexts, elisionOf, parseWithoutLargeText, spoolLargeTexts, spooledOf, writeWithLf, ELIDE_MIN_BYTES } from '../src/xml/elide';
import { canonicalBytes, C14N } from '../src/signature/c14n';
import { verifyEnvelopeSignatures } from '../src/signature/verify';
import { signEnvelope, type Signer } from '../src/signature/sign';
import { KeyStore } from '../src/signature/identity';
import { ACTOR } from '../src/envelope/ns';
import { checkLimits, DEFAULT_LIMITS } from '../src/control/limits';

const WSU = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd';

function envelope(binaryText: string, o: { bodyId?: string } = {}): Buffer {
  return Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:smev="http://smev.gosuslugi.ru/rev111111">\n' +
    `<soapenv:Header/>\n<soapenv:Body wsu:Id="${o.bodyId ?? 'body'}" xmlns:wsu="${WSU}"><e:R xmlns:e="urn:e"><smev:Message><smev:Status>REQUEST</smev:Status></smev:Message>` +
    '<smev:MessageData><smev:AppData><e:T>x &amp; y</e:T></smev:AppData>' +
    `<smev:AppDocument><smev:RequestCode>rc</smev:RequestCode><smev:BinaryData>${binaryText}</smev:BinaryData></smev:AppDocument>` +
    '</smev:MessageData></e:R></soapenv:Body></soapenv:Envelope>\n', 'utf8');
}

/** base64 of `bytes` random bytes, broken into lines of 76 with `eol` (none: one line). */
function base64(bytes: number, eol = ''): string {
  const b = randomBytes(bytes).toString('base64');
  return eol ? b.replace(/.{76}/g, (l) => `${l}${eol}`) : b;
}

let signer: Signer;
beforeAll(async () => {
  await loadXml();
  const ks = new KeyStore(mkdtempSync(join(tmpdir(), 'smev2-inline-')));
  ks.ensureCa('ca', 'rsa', { CN: 'inline test CA' });
  ks.ensureIssued('MINZ01001', 'ca', 'rsa', { CN: 'MINZ01001' });
  signer = ks.signer('MINZ01001')!;
});

const verdict = (raw: Buffer, elide: boolean) => {
  const p = parseEnvelope(raw, { elide });
  try {
    return verifyEnvelopeSignatures(p).map((b) => ({ ok: b.ok, reason: b.reason }));
  } finally {
    p.doc.dispose();
  }
};

const LARGE = ELIDE_MIN_BYTES * 2;
const texts: [string, string][] = [
  ['one line', base64(LARGE)],
  ['one line, padding =', base64(LARGE + 1)],
  ['one line, padding ==', base64(LARGE + 2)],
  ['LF lines', base64(LARGE, '\n')],
  ['CR LF lines', base64(LARGE, '\r\n')],
  ['lone CR lines', base64(LARGE, '\r')],
  ['spaces and tabs around', `\n\t  ${base64(LARGE, '\r\n')}  \n`],
];

describe.each(texts)('a large BinaryData, %s', (_name, text) => {
  const raw = envelope(text);

  test('is kept out of the DOM, and the Body canonicalizes to the very bytes of the whole document', () => {
    expect(elidableTexts(raw)).toHaveLength(1);
    const whole = parseEnvelope(raw, { elide: false });
    const elided = parseEnvelope(raw);
    try {
      expect(elisionOf(elided.doc)).toBeDefined();
      expect(elisionOf(whole.doc)).toBeUndefined();
      expect(elided.envelope.appDocument).toEqual(whole.envelope.appDocument && { ...whole.envelope.appDocument, binaryRange: expect.any(Object) });
      for (const algorithm of [C14N.exclusive, C14N.inclusive, C14N.exclusiveWithComments]) {
        expect(canonicalBytes(elided.body, { algorithm }).equals(canonicalBytes(whole.body, { algorithm }))).toBe(true);
      }
    } finally {
      whole.doc.dispose();
      elided.doc.dispose();
    }
  });

  test('signed (through the elided parse) and verified both ways; one altered character fails both ways', () => {
    const signed = signEnvelope(raw, ACTOR.smev, signer, { header: false });
    expect(verdict(signed, true)).toEqual([{ ok: true, reason: undefined }]);
    expect(verdict(signed, false)).toEqual([{ ok: true, reason: undefined }]);
    const at = signed.indexOf('<smev:BinaryData>') + '<smev:BinaryData>'.length + 5000;
    const altered = Buffer.from(signed);
    altered[at] = altered[at] === 0x41 ? 0x42 : 0x41;
    expect(elidableTexts(altered)).toHaveLength(1);
    for (const elide of [true, false]) {
      const [v] = verdict(altered, elide);
      expect(v!.ok).toBe(false);
      expect(v!.reason).toMatch(/DigestValue does not match the Body/);
    }
  });
});

test('text that is not plain strict base64, or small, stays in the DOM', () => {
  const b = base64(LARGE);
  for (const text of [`${b.slice(0, 100)}&#65;${b.slice(100)}`, `${b.slice(0, 100)}!${b.slice(101)}`, `${b}=`, `<![CDATA[${b}]]>`, `${b.slice(0, 1000)}<!-- c -->${b.slice(1000)}`, base64(1000)]) {
    const raw = envelope(text);
    expect(elidableTexts(raw)).toEqual([]);
    const doc = parseWithoutLargeText(raw);
    try {
      expect(elisionOf(doc)).toBeUndefined();
    } finally {
      doc.dispose();
    }
  }
});

test('a malformed message gets the error of the whole document, not of its skeleton', () => {
  const raw = Buffer.from(envelope(base64(LARGE, '\n')).toString('utf8').replace('</e:R>', '</e:Wrong>'));
  const errorOf = (f: () => unknown) => { try { f(); return undefined; } catch (e) { return e as Error & { line?: number; column?: number }; } };
  const elided = errorOf(() => parseEnvelope(raw));
  const whole = errorOf(() => parseEnvelope(raw, { elide: false }));
  expect(elided).toBeDefined();
  expect({ message: elided!.message, line: elided!.line, column: elided!.column }).toEqual({ message: whole!.message, line: whole!.line, column: whole!.column });
});

test('the inline document limit is judged on the bytes: decoded size, white space not counted', () => {
  const raw = envelope(base64(3000, '\r\n'));
  expect(checkLimits(raw, { ...DEFAULT_LIMITS, maxInlineDocumentBytes: 3000 })).toBeUndefined();
  expect(checkLimits(raw, { ...DEFAULT_LIMITS, maxInlineDocumentBytes: 2999 })).toEqual({ kind: 'inlineDocument', value: 3000, limit: 2999 });
  expect(checkLimits(envelope(base64(3001)), { ...DEFAULT_LIMITS, maxInlineDocumentBytes: 3000 })).toEqual({ kind: 'inlineDocument', value: 3001, limit: 3000 });
  expect(checkLimits(raw, { ...DEFAULT_LIMITS, maxInlineDocumentBytes: 0 })).toBeUndefined();
  expect(checkLimits(raw, DEFAULT_LIMITS)).toBeUndefined();
});

describe('an inline document decoded from the envelope\'s bytes', () => {
  test('piece by piece, with XML white space anywhere, equals Buffer.from of the whole text', () => {
    for (const size of [0, 1, 2, 3, 4, 1000, 64 * 1024, 64 * 1024 + 1, 300_000]) {
      const bytes = randomBytes(size);
      const text = bytes.toString('base64').replace(/(.{76})/g, '$1\r\n').replace(/(.{1000})/g, '$1 \t');
      const raw = Buffer.from(`<a>${text}</a>`, 'latin1');
      expect(decodeBase64Range(raw, { start: 3, end: 3 + text.length }).equals(bytes)).toBe(true);
    }
  });
});

describe('a large BinaryData spooled as the request is taken (spoolLargeTexts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-inline-spool-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const file = () => join(dir, `${n++}.part`);

  test.each(texts)('%s: the skeleton parses, canonicalizes and signs as the whole message; its bytes on the wire are the sender\'s', async (_name, text) => {
    const raw = signEnvelope(envelope(text), ACTOR.smev, signer, { header: false });
    const skeleton = (await spoolLargeTexts(raw, file))!;
    expect(skeleton).toBeDefined();
    expect(skeleton.length).toBeLessThan(raw.length - text.length + 100);
    const spooled = spooledOf(skeleton)!;
    expect(spooled.wireLength(skeleton.length)).toBe(raw.length);
    expect(spooled.expand(skeleton).join().equals(raw)).toBe(true);
    expect(spooled.expand(skeleton).inMemory).toBe(false);
    const whole = parseEnvelope(raw, { elide: false });
    const fromSpool = parseEnvelope(skeleton);
    try {
      expect(elisionOf(fromSpool.doc)).toBe(spooled);
      for (const algorithm of [C14N.exclusive, C14N.inclusive, C14N.exclusiveWithComments]) {
        expect(canonicalBytes(fromSpool.body, { algorithm }).equals(canonicalBytes(whole.body, { algorithm }))).toBe(true);
      }
      expect(verifyEnvelopeSignatures(fromSpool).map((b) => b.ok)).toEqual([true]);
      expect(inlineDocumentBytes(fromSpool)!.equals(inlineDocumentBytes(whole)!)).toBe(true);
      // the text as the sender wrote it (its line ends too): the same base64 as the DOM's
      expect(inlineDocumentBase64(fromSpool)).toBe(text);
      expect(Buffer.from(inlineDocumentBase64(fromSpool)!, 'base64').equals(Buffer.from(inlineDocumentBase64(whole)!, 'base64'))).toBe(true);
    } finally {
      whole.doc.dispose();
      fromSpool.doc.dispose();
    }
    // signed again through the skeleton, with no Body id to sign by (the node's fallback path): the
    // id given is carried with the spooled text, and the signature holds on the whole message
    const noId = Buffer.from(envelope(text).toString('utf8').replace(/ wsu:Id="body" xmlns:wsu="[^"]+"/, ''));
    const unsigned = (await spoolLargeTexts(noId, file))!;
    const signedSkeleton = signEnvelope(unsigned, ACTOR.recipient, signer, { header: false });
    const onWire = spooledOf(unsigned)!.expand(signedSkeleton).join();
    expect(onWire.includes(Buffer.from(text))).toBe(true);
    expect(verdict(onWire, false)).toEqual([{ ok: true, reason: undefined }]);
  });

  test('a text altered in its spool file fails the signature: the digest is read from the file', async () => {
    const raw = signEnvelope(envelope(texts[4]![1]), ACTOR.smev, signer, { header: false });
    const skeleton = (await spoolLargeTexts(raw, file))!;
    const [t] = spooledOf(skeleton)!.texts;
    const fd = openSync(t!.file!, 'r+');
    writeSync(fd, Buffer.from('Q'), 0, 1, t!.start + 5000);
    closeSync(fd);
    const p = parseEnvelope(skeleton);
    try {
      const [v] = verifyEnvelopeSignatures(p);
      expect(v!.ok).toBe(false);
      expect(v!.reason).toMatch(/DigestValue does not match the Body/);
    } finally {
      p.doc.dispose();
    }
  });

  test('a malformed message gets the error of the whole document, read back from the spool', async () => {
    const raw = Buffer.from(envelope(base64(LARGE, '\n')).toString('utf8').replace('</e:R>', '</e:Wrong>'));
    const skeleton = (await spoolLargeTexts(raw, file))!;
    const errorOf = (f: () => unknown) => { try { f(); return undefined; } catch (e) { return e as Error & { line?: number; column?: number }; } };
    const spooled = errorOf(() => parseEnvelope(skeleton));
    const whole = errorOf(() => parseEnvelope(raw, { elide: false }));
    expect(spooled).toBeDefined();
    expect({ message: spooled!.message, line: spooled!.line, column: spooled!.column }).toEqual({ message: whole!.message, line: whole!.line, column: whole!.column });
  });

  test('nothing to spool: a small or non-base64 text leaves the message as it is', async () => {
    expect(await spoolLargeTexts(envelope(base64(1000)), file)).toBeUndefined();
    expect(await spoolLargeTexts(envelope(`<![CDATA[${base64(LARGE)}]]>`), file)).toBeUndefined();
  });

  test('CR LF and lone CR are written as LF wherever the file\'s chunks are cut', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom('A', 'b', '\r', '\n', '\r\n', ' '), { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 10 }), (parts, cuts) => {
      const text = Buffer.from(parts.join(''), 'latin1');
      const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
      const chunks = [0, ...at].map((from, i) => text.subarray(from, [...at, text.length][i]));
      const out: Buffer[] = [];
      writeWithLf(chunks, (c) => out.push(Buffer.from(c)));
      expect(Buffer.concat(out).toString('latin1')).toBe(text.toString('latin1').replace(/\r\n?/g, '\n'));
    }));
  });
});
