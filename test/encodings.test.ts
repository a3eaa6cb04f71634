// Encodings (issue 13): SMEV 2 traffic is UTF-8, and the gateway judges UTF-8 bytes. A body in
// another encoding, however it says so (byte-order mark, byte layout, XML declaration, Content-Type
// charset), is refused with GW-1017 naming the encoding, by the gateway and by `verify` alike, before
// any limit is counted on bytes that are not UTF-8 (docs/faults.md).
import { randomInt } from 'node:crypto';
import { startSigningBench, codeOf, faultstring, type SigningBench } from './support/signing';
import { readJournal } from './support/journal';

const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();
const nested = (depth: number) => `${'<e:N>'.repeat(depth)}x${'</e:N>'.repeat(depth)}`;

describe('an envelope is judged as UTF-8, or refused naming its encoding', () => {
  let b: SigningBench;
  beforeAll(async () => {
    b = await startSigningBench();
  }, 60000);
  afterAll(async () => b?.stop());

  async function both(body: Buffer): Promise<{ http: string; cli: string; text: string }> {
    const r = await b.call('SID0610001', body, { 'content-type': 'text/xml' });
    return { http: codeOf(r.text), cli: (await b.verifyCli('SID0610001', body)).code, text: faultstring(r.text) ?? '' };
  }

  test('a validly signed envelope in UTF-16 (LE or BE, with a BOM, or by its layout) gets GW-1017 from both judges', async () => {
    const signed = b.sign(b.request());
    const decl = signed.replace(/^<\?xml[^>]*\?>/, '<?xml version="1.0" encoding="UTF-16"?>');
    const cases: [string, Buffer, RegExp][] = [
      ['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(decl, 'utf16le')]), /UTF-16LE is not accepted \(byte-order mark\)/],
      ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(decl)]), /UTF-16BE is not accepted \(byte-order mark\)/],
      ['UTF-16LE without a BOM', Buffer.from(decl, 'utf16le'), /UTF-16LE is not accepted \(byte layout/],
      ['UTF-16BE without a BOM', utf16be(decl), /UTF-16BE is not accepted \(byte layout/],
    ];
    for (const [name, body, where] of cases) {
      const r = await both(body);
      expect([name, r.http, r.cli]).toEqual([name, 'GW-1017', 'GW-1017']);
      expect(r.text).toMatch(where);
      expect(r.text).toMatch(/^GW-1017: Message encoding UTF-16[LB]E is not accepted \(.*\): send the envelope in UTF-8$/);
    }
    // its UTF-8 twin passes, with or without a UTF-8 byte-order mark
    expect((await both(Buffer.from(signed))).http).toBe('ok');
    const bom = await both(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b.sign(b.request()))]));
    expect([bom.http, bom.cli]).toEqual(['ok', 'ok']);
  });

  test('a UTF-16 envelope that breaches the limits is refused for its encoding, not judged on misread bytes', async () => {
    const deep = b.request().replace('<e:Text>', `<e:Text>${nested(200 + randomInt(100))}`);
    const body = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(deep, 'utf16le')]);
    const r = await both(body);
    expect([r.http, r.cli]).toEqual(['GW-1017', 'GW-1017']);
    // the same nesting in UTF-8 is a limit breach (the depth limit is 100 by default)
    expect((await both(Buffer.from(deep))).http).toBe('GW-1012');
    const rows = await readJournal(b.gw.db, "direction = 'gateway->consumer' AND fault_code = 'GW-1017'");
    expect(rows.length).toBeGreaterThanOrEqual(5);
  });

  test('an XML declaration or a Content-Type charset naming another encoding is refused, naming it', async () => {
    for (const enc of ['windows-1251', 'KOI8-R', 'ISO-8859-5', 'UTF-16']) {
      const body = Buffer.from(b.sign(b.request()).replace(/^<\?xml[^>]*\?>/, `<?xml version="1.0" encoding="${enc}"?>`));
      const r = await both(body);
      expect([enc, r.http, r.cli]).toEqual([enc, 'GW-1017', 'GW-1017']);
      expect(r.text).toContain(`encoding ${enc} is not accepted (XML declaration)`);
    }
    const r = await b.call('SID0610001', b.sign(b.request()), { 'content-type': 'text/xml; charset=windows-1251' });
    expect(faultstring(r.text)).toContain('encoding windows-1251 is not accepted (Content-Type charset)');
    for (const ok of ['text/xml; charset=utf-8', 'text/xml; charset="UTF-8"', 'text/xml;charset=utf8', 'application/soap+xml']) {
      expect([ok, codeOf((await b.call('SID0610001', b.sign(b.request()), { 'content-type': ok })).text)]).toEqual([ok, 'ok']);
    }
  });
});
