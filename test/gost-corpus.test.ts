// Real SMEV 2 traffic, end to end through the byte orders: certificate key (x || y
// little-endian), gost94 of the exclusive c14n, SignatureValue (s || r big-endian).
// gws-client-fss__response.xml in detail, then every digest and signature row of
// corpus/envelopes/EXPECTED.tsv. C14N is libxml2-wasm's exclusive c14n of the subtree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { digest, publicKeyFromCertificate, verify, signatureAlgorithmOf, digestAlgorithmOf } from '../src/crypto/gost';
import { CORPUS, corpusAvailable } from './support/paths';

type Lib = typeof import('libxml2-wasm', { with: { 'resolution-mode': 'import' } });
type Doc = InstanceType<Lib['XmlDocument']>;
type Node = NonNullable<ReturnType<Doc['get']>>;

const NS = {
  S: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
};
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

const available = corpusAvailable();
const dir = join(CORPUS, 'envelopes');
let lib: Lib;
const docs: Doc[] = [];

beforeAll(async () => {
  lib = await import('libxml2-wasm');
});
afterAll(() => {
  for (const d of docs) d.dispose();
});

function load(file: string): Doc {
  const doc = lib.XmlDocument.fromBuffer(readFileSync(join(dir, file)));
  docs.push(doc);
  return doc;
}

function excC14n(node: Node): Uint8Array {
  return Buffer.from(node.canonicalizeToString({ mode: lib.XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 }), 'utf8');
}

const text = (n: Node | null): string => (n ? n.content : '');
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'base64'));

/** The wsse:Security block of an actor, its signature parts and its token's key. */
function securityBlock(doc: Doc, actor: string) {
  const sec = doc.get(`//S:Header/wsse:Security[@S:actor='${actor}']`, NS);
  if (!sec) throw new Error(`no wsse:Security for actor ${actor}`);
  const signedInfo = sec.get('ds:Signature/ds:SignedInfo', NS)!;
  const tokenRef = text(sec.get('ds:Signature/ds:KeyInfo/wsse:SecurityTokenReference/wsse:Reference/@URI', NS)).replace(/^#/, '');
  const token = sec.find('wsse:BinarySecurityToken', NS).find((t) => text(t.get('@wsu:Id', NS)) === tokenRef) ?? sec.get('wsse:BinarySecurityToken', NS)!;
  return {
    signedInfo,
    signatureValue: b64(text(sec.get('ds:Signature/ds:SignatureValue', NS))),
    method: text(signedInfo.get('ds:SignatureMethod/@Algorithm', NS)),
    cert: publicKeyFromCertificate(text(token)),
  };
}

/** The element a same-document reference ("#id") points at: any attribute named Id/ID/wsu:Id. */
function referenced(doc: Doc, id: string): Node {
  const hits = doc.find(`//*[@wsu:Id='${id}' or @Id='${id}' or @ID='${id}' or @id='${id}']`, NS);
  if (hits.length !== 1) throw new Error(`${hits.length} elements with id ${id}`);
  return hits[0]!;
}

(available ? describe : describe.skip)('SMEV 2 corpus: gws-client-fss__response.xml', () => {
  const FILE = 'gws-client-fss__response.xml';
  const ACTOR = 'http://smev.gosuslugi.ru/actors/smev';

  test('the certificate carries a GOST 2001 key on CryptoPro XchA (1.2.643.2.2.36.0)', () => {
    const { cert, method } = securityBlock(load(FILE), ACTOR);
    expect(cert.family).toBe('2001');
    expect(cert.paramSet).toBe('1.2.643.2.2.36.0');
    expect(cert.curve.name).toBe('cryptopro-a');
    expect(cert.publicKey.length).toBe(64);
    expect(signatureAlgorithmOf(method)).toEqual({ digest: 'gost94', family: '2001' });
  });

  test('SignatureValue verifies over gost94 of the exclusive c14n of SignedInfo', () => {
    const { signedInfo, signatureValue, cert } = securityBlock(load(FILE), ACTOR);
    const c14n = excC14n(signedInfo);
    expect(Buffer.from(c14n).toString('utf8')).toMatch(/^<ds:SignedInfo xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">/);
    expect(signatureValue.length).toBe(64);
    const d = digest('gost94', c14n);
    expect(verify(cert.curve, cert.publicKey, d, signatureValue)).toBe(true);
    // one changed byte anywhere, or another byte order, and it does not
    const c2 = c14n.slice();
    c2[c2.length - 20]! ^= 1;
    expect(verify(cert.curve, cert.publicKey, digest('gost94', c2), signatureValue)).toBe(false);
    expect(verify(cert.curve, cert.publicKey, d, signatureValue.slice().reverse())).toBe(false);
    expect(verify(cert.curve, cert.publicKey.slice().reverse(), d, signatureValue)).toBe(false);
  });

  test('DigestValue is gost94 of the exclusive c14n of the Body', () => {
    const doc = load(FILE);
    const { signedInfo } = securityBlock(doc, ACTOR);
    const ref = signedInfo.get('ds:Reference', NS)!;
    const uri = text(ref.get('@URI', NS));
    expect(uri).toBe('#bodyId-Z194FQRD-Q58F-O64Z-8X5I-X1QNVBN9SDD9');
    expect(digestAlgorithmOf(text(ref.get('ds:DigestMethod/@Algorithm', NS)))).toBe('gost94');
    const body = referenced(doc, uri.slice(1));
    expect(body.get('self::S:Body', NS)).not.toBeNull();
    const expected = text(ref.get('ds:DigestValue', NS)).trim();
    expect(Buffer.from(digest('gost94', excC14n(body))).toString('base64')).toBe(expected);
  });
});

interface Row {
  file: string;
  check: 'digest' | 'signature';
  target: string;
  expected: 'ok' | 'fail';
}

const rows: Row[] = available
  ? readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split('\t'))
      .filter(([, check]) => check === 'digest' || check === 'signature')
      .map(([file, check, target, expected]) => ({ file: file!, check: check as Row['check'], target: target!, expected: expected as Row['expected'] }))
  : [];

(available ? describe : describe.skip)('SMEV 2 corpus: every digest and signature of EXPECTED.tsv', () => {
  test('the table has rows of both kinds, and verifying signatures among them', () => {
    expect(rows.filter((r) => r.check === 'signature' && r.expected === 'ok').length).toBeGreaterThan(10);
    expect(rows.filter((r) => r.check === 'digest').length).toBeGreaterThan(10);
  });

  test.each(rows.map((r) => [r.file, r.check, r.target, r.expected, r] as const))('%s %s %s -> %s', (_f, _c, _t, _e, row) => {
    const doc = load(row.file);
    if (row.check === 'signature') {
      const { signedInfo, signatureValue, cert, method } = securityBlock(doc, row.target);
      const alg = signatureAlgorithmOf(method);
      expect(alg).toBeDefined();
      const holds = verify(cert.curve, cert.publicKey, digest(alg!.digest, excC14n(signedInfo)), signatureValue);
      expect(holds ? 'ok' : 'fail').toBe(row.expected);
    } else {
      const refs = doc.find(`//ds:Reference[@URI='${row.target}']`, NS);
      expect(refs.length).toBeGreaterThan(0);
      let holds = true;
      for (const ref of refs) {
        const transforms = ref.find('ds:Transforms/ds:Transform/@Algorithm', NS).map(text);
        const el = referenced(doc, row.target.slice(1));
        if (transforms.includes(ENVELOPED)) {
          // the signature holding this reference is not part of what was signed
          const sig = ref.get('ancestor::ds:Signature', NS);
          if (sig && el.find('.//ds:Signature', NS).some((s) => s.get('ancestor-or-self::ds:Signature', NS) !== null)) sig.remove();
        }
        const alg = digestAlgorithmOf(text(ref.get('ds:DigestMethod/@Algorithm', NS)));
        expect(alg).toBeDefined();
        const got = Buffer.from(digest(alg!, excC14n(el))).toString('base64');
        if (got !== text(ref.get('ds:DigestValue', NS)).trim()) holds = false;
      }
      expect(holds ? 'ok' : 'fail').toBe(row.expected);
    }
  });
});
