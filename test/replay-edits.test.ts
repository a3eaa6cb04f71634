// The replay guard keys on what the signature covers (issue 13): a captured signed request stays a
// replay after any edit outside the signed content, and a copy that does not verify, sent first,
// cannot block the real one. The edits are generated afresh on every run.
import { randomInt, randomUUID } from 'node:crypto';
import { startSigningBench, codeOf, faultstring, type SigningBench } from './support/signing';
import { readJournal } from './support/journal';
import { parseEnvelope } from '../src/envelope/parse';
import { judgeMessage } from '../src/signature/judge';
import { TrustStore } from '../src/signature/trust';

const pick = <T>(xs: readonly T[]): T => xs[randomInt(xs.length)]!;
const prefix = () => `p${randomUUID().slice(0, 6).replace(/-/g, '')}`;
const SOAP = 'http://schemas.xmlsoap.org/soap/envelope/';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';

/** insert `what` at a random place inside the text of element `local` */
function intoText(xml: string, local: string, what: string): string {
  const re = new RegExp(`(<[\\w-]+:${local}\\b[^>]*>)([^<]+)(</)`);
  const m = re.exec(xml)!;
  const at = 1 + randomInt(m[2]!.length - 1);
  return xml.replace(re, `${m[1]}${m[2]!.slice(0, at)}${what}${m[2]!.slice(at)}$3`);
}
const security = (xml: string) => /<([\w-]+):Security\b[\s\S]*?<\/\1:Security>/.exec(xml)![0];
/** the Security block's start tag, whatever its prefix, with `attrs` added */
const addToSecurity = (xml: string, attrs: string) => xml.replace(/<([\w-]+):Security /, `<$1:Security ${attrs} `);

/** Edits that leave every signed byte as it was. */
const EDITS: [string, (xml: string) => string][] = [
  ['the actor under another prefix of the SOAP namespace', (x) => {
    const p = prefix();
    return addToSecurity(x.replace(/[\w-]+:actor=/, `${p}:actor=`), `xmlns:${p}="${SOAP}"`);
  }],
  ['white space inside SignatureValue', (x) => intoText(x, 'SignatureValue', pick(['\n', ' ', '\r\n', '\t', '\n    ']))],
  ['white space inside BinarySecurityToken', (x) => intoText(x, 'BinarySecurityToken', pick(['\n', ' ', '\t']))],
  ['an extra unsigned header block, before or after the Security block', (x) => {
    const junk = `<j:Note xmlns:j="urn:junk:${randomUUID()}">${randomUUID()}</j:Note>`;
    const s = security(x);
    return x.replace(s, randomInt(2) ? `${junk}${s}` : `${s}${junk}`);
  }],
  ['the token after the Signature instead of before', (x) => {
    const s = security(x);
    const token = /<([\w-]+):BinarySecurityToken[\s\S]*?<\/\1:BinarySecurityToken>/.exec(s)![0];
    const sig = /<ds:Signature[\s\S]*<\/ds:Signature>/.exec(s)![0];
    return x.replace(s, s.replace(token, '').replace(sig, `${sig}${token}`));
  }],
  ['another prefix for the wsse namespace', (x) => {
    const s = security(x);
    const p = prefix();
    const old = /<([\w-]+):Security/.exec(s)![1];
    return x.replace(s, s.replace(new RegExp(`(</?)${old}:`, 'g'), `$1${p}:`).replace(`xmlns:${old}="${WSSE}"`, `xmlns:${p}="${WSSE}"`));
  }],
  ['attributes added to the Security block', (x) => addToSecurity(x, `soapenv:mustUnderstand="${randomInt(2)}" data-x="${randomUUID()}"`)],
  ['white space between header blocks and an XML comment in the Header', (x) => x.replace('<soapenv:Header>', `<soapenv:Header>\n  <!-- ${randomUUID()} -->\n`)],
  ['an XML declaration removed or changed in quoting', (x) => x.replace(/^<\?xml[^>]*\?>\s*/, pick(['', "<?xml version='1.0' encoding='utf-8'?>\n", '<?xml version="1.0"?>']))],
];

describe('the replay guard remembers what the signature covers, once it has verified', () => {
  /** the one judge (as the gateway's verify stage and `smev2-gateway verify` ask it), in this process */
  const judge = (xml: string) => {
    const p = parseEnvelope(Buffer.from(xml));
    try {
      const j = judgeMessage(p, TrustStore.load(b.systems, b.gw.keys), { at: new Date() });
      return j.failure ? j.failure.fault : 'ok';
    } finally {
      p.doc.dispose();
    }
  };
  let b: SigningBench;
  beforeAll(async () => {
    b = await startSigningBench();
  }, 60000);
  afterAll(async () => b?.stop());

  /** how many times the provider of SID0610003 was called */
  const answered = async () => (await readJournal(b.gw.db, "direction = 'provider->gateway' AND sid = ?", ['SID0610003'])).length;

  test('every edit outside the signed content, alone or several together, is still a replay; the provider is called once', async () => {
    const text = `замок ${randomUUID()}`;
    const signed = b.sign(b.request('MINZ01001', text));
    const before = await answered();
    expect(codeOf((await b.call('SID0610003', signed)).text)).toBe('ok');
    expect(await answered()).toBe(before + 1);
    const again = await b.call('SID0610003', signed);
    expect(faultstring(again.text)).toMatch(/^GW-4006: Replayed message: the signed request \(signature SHA-256 [0-9a-f]{16}…\) was already received at \d{4}-/);
    // each edit alone, then random combinations of three
    const variants = EDITS.map(([name, edit]) => [name, edit(signed)] as const);
    for (let i = 0; i < 6; i++) {
      // three different edits (one edit twice could write an attribute twice: not XML)
      const chosen = [...EDITS].sort(() => randomInt(3) - 1).slice(0, 3);
      variants.push([chosen.map((c) => c[0]).join(' + '), chosen.reduce((x, [, edit]) => edit(x), signed)] as const);
    }
    for (const [name, variant] of variants) {
      expect([name, variant === signed]).toEqual([name, false]);
      // the edited copy is a valid signed message in its own right: the judge says ok ...
      expect([name, judge(variant)]).toEqual([name, 'ok']);
      // ... and the gateway refuses it as the replay it is
      expect([name, codeOf((await b.call('SID0610003', variant)).text)]).toEqual([name, 'GW-4006']);
    }
    expect(await answered()).toBe(before + 1);
  });

  test('a forged or unsigned copy sent first is not remembered, so the real message still passes', async () => {
    // policy enforce: the forged copy is refused and forgotten
    const real = b.sign(b.request());
    const forged = real.replace(/(<e:Text>)[^<]*/, `$1${randomUUID()}`);
    expect(codeOf((await b.call('SID0610003', forged)).text)).toBe('SMEV-100003');
    const junkSignature = intoText(real, 'SignatureValue', 'AAAA');
    expect(codeOf((await b.call('SID0610003', junkSignature)).text)).toBe('SMEV-100003');
    expect(codeOf((await b.call('SID0610003', real)).text)).toBe('ok');
    expect(codeOf((await b.call('SID0610003', real)).text)).toBe('GW-4006');

    // policy report: the unverified copies pass on (and are journaled as such), yet block nothing
    const real2 = b.sign(b.request());
    const unsigned = real2.replace(security(real2), '');
    for (const copy of [unsigned, real2.replace(/(<e:Text>)[^<]*/, `$1${randomUUID()}`), unsigned]) {
      expect(codeOf((await b.call('SID0610004', copy)).text)).toBe('ok');
    }
    expect(codeOf((await b.call('SID0610004', real2)).text)).toBe('ok');
    expect(codeOf((await b.call('SID0610004', real2)).text)).toBe('GW-4006');
  });
});
