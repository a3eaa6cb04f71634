// GOST R 34.11-2012 (Streebog) and GOST R 34.11-94: the standards' vectors, the incremental
// API, and crypto-gost-js on random inputs of many lengths.
import { randomBytes } from 'node:crypto';
import { digest } from '../src/crypto/gost';
import { Gost94, gost94, SBOX_CRYPTOPRO, SBOX_TEST } from '../src/crypto/gost/gost94';
import { Streebog, streebog256, streebog512 } from '../src/crypto/gost/streebog';
import { refDigest } from './gost-support';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

// GOST R 34.11-2012 / RFC 6986 §10: M1 and M2 are given as numbers, written most significant
// byte first; the message bytes are those numbers read from the least significant byte.
const M1 = '323130393837363534333231303938373635343332313039383736353433323130393837363534333231303938373635343332313039383736353433323130';
const M2 =
  'fbe2e5f0eee3c820fbeafaebef20fffbf0e1e0f0f520e0ed20e8ece0ebe5f0f2f120fff0eeec20f120faf2fee5e2202ce8f6f3ede220e8e6eee1e8f0f2d1202ce8f0f2e5e220e5d1';
const bytesOfNumber = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex').reverse());
// ...and the hashes are given the same way.
const H = {
  m1_512:
    '486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b',
  m1_256: '00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d',
  m2_512:
    '28fbc9bada033b1460642bdcddb90c3fb3e56c497ccd0f62b8a2ad4935e85f037613966de4ee00531ae60f3b5a47f8dae06915d5f2f194996fcabf2622e6881e',
  m2_256: '508f7e553c06501d749a66fc28c6cac0b005746d97537fa85d9e40904efed29d',
};
const asBytes = (h: string): string => Buffer.from(h, 'hex').reverse().toString('hex');

describe('Streebog: GOST R 34.11-2012 examples (RFC 6986 §10)', () => {
  test('M1 is the 63-byte ASCII string of digits', () => {
    expect(Buffer.from(bytesOfNumber(M1)).toString('latin1')).toBe('012345678901234567890123456789012345678901234567890123456789012');
  });
  test('M2 is the 72-byte Igor Tale line in windows-1251', () => {
    const m2 = bytesOfNumber(M2);
    expect(m2.length).toBe(72);
    expect(new TextDecoder('windows-1251').decode(m2)).toBe('Се ветри, Стрибожи внуци, веютъ с моря стрелами на храбрыя плъкы Игоревы');
  });
  test('M1, 512 and 256 bits', () => {
    expect(hex(streebog512(bytesOfNumber(M1)))).toBe(asBytes(H.m1_512));
    expect(hex(streebog256(bytesOfNumber(M1)))).toBe(asBytes(H.m1_256));
  });
  test('M2, 512 and 256 bits', () => {
    expect(hex(streebog512(bytesOfNumber(M2)))).toBe(asBytes(H.m2_512));
    expect(hex(streebog256(bytesOfNumber(M2)))).toBe(asBytes(H.m2_256));
  });
  test('the byte strings OpenSSL prints for M1', () => {
    expect(hex(digest('streebog256', '012345678901234567890123456789012345678901234567890123456789012'))).toBe(
      '9d151eefd8590b89daa6ba6cb74af9275dd051026bb149a452fd84e5e57b5500',
    );
  });
});

describe('GOST R 34.11-94', () => {
  // RFC 5831 §7.3 (the standard's Appendix A) and the usual extra vectors, test parameter set.
  const testSet: [string, string][] = [
    ['', 'ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d'],
    ['a', 'd42c539e367c66e9c88a801f6649349c21871b4344c6a573f849fdce62f314dd'],
    ['abc', 'f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d'],
    ['message digest', 'ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d'],
    ['This is message, length=32 bytes', 'b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa'],
    ['Suppose the original message has length = 50 bytes', '471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208'],
    ['U'.repeat(128), '53a3a3ed25180cef0c1d85a074273e551c25660a87062a52d926a9e8fe5733a4'],
  ];
  // CryptoPro parameter set ("D-A"): SMEV's, OpenSSL's md_gost94.
  const cryptoPro: [string, string][] = [
    ['', '981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0'],
    ['a', 'e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011'],
    ['abc', 'b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c'],
    ['message digest', 'bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0'],
    ['The quick brown fox jumps over the lazy dog', '9004294a361a508c586fe53d1f1b02746765e71b765472786e4770d565830a76'],
    ['This is message, length=32 bytes', '2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb'],
    ['Suppose the original message has length = 50 bytes', 'c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011'],
    ['U'.repeat(128), '1c4ac7614691bbf427fa2316216be8f10d92edfd37cd1027514c1008f649c4e8'],
  ];
  test.each(testSet)('test parameter set: %j', (m, h) => {
    expect(hex(gost94(ascii(m), SBOX_TEST))).toBe(h);
  });
  test.each(cryptoPro)('CryptoPro parameter set: %j', (m, h) => {
    expect(hex(gost94(ascii(m)))).toBe(h);
    expect(hex(digest('gost94', m))).toBe(h);
  });
  test('a million "a" (CryptoPro and test parameter sets)', () => {
    const m = new Uint8Array(1_000_000).fill(0x61);
    expect(hex(gost94(m))).toBe('8693287aa62f9478f7cb312ec0866b6c4e4a0f11160441e8f4ffcd2715dd554f');
    expect(hex(gost94(m, SBOX_TEST))).toBe('5c00ccc2734cdd3332d3d4749576e3c1a7dbaf0e7ea74e9fa602413c90a129fa');
  });
  test('a malformed S-box is refused', () => {
    expect(() => gost94(new Uint8Array(1), [[1, 2, 3]])).toThrow(/S-box/);
  });
});

describe('incremental API equals one-shot', () => {
  test.each([0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 5000])('%i bytes, random chunking', (len) => {
    const data = new Uint8Array(randomBytes(len));
    const s256 = new Streebog(256);
    const s512 = new Streebog(512);
    const g94 = new Gost94(SBOX_CRYPTOPRO);
    for (let off = 0; off < len; ) {
      const n = Math.min(len - off, 1 + (randomBytes(1)[0]! % 70));
      const part = data.subarray(off, off + n);
      s256.update(part);
      s512.update(part);
      g94.update(part);
      off += n;
    }
    expect(hex(s256.digest())).toBe(hex(streebog256(data)));
    expect(hex(s512.digest())).toBe(hex(streebog512(data)));
    expect(hex(g94.digest())).toBe(hex(gost94(data)));
  });
  test('update after digest is refused', () => {
    const s = new Streebog(256);
    s.digest();
    expect(() => s.update(new Uint8Array(1))).toThrow();
    const g = new Gost94();
    g.digest();
    expect(() => g.digest()).toThrow();
  });
  test('digest of a subarray view reads only the view', () => {
    const buf = new Uint8Array(randomBytes(300));
    const view = buf.subarray(7, 207);
    const copy = new Uint8Array(view);
    expect(hex(digest('streebog512', view))).toBe(hex(digest('streebog512', copy)));
    expect(hex(digest('gost94', view))).toBe(hex(digest('gost94', copy)));
  });
});

describe('crypto-gost-js agrees on random inputs (lengths 0..5000)', () => {
  // Every length up to 200 (all block-boundary cases), then random lengths up to 5000.
  const lengths = [...Array.from({ length: 201 }, (_, i) => i), 255, 256, 257, 511, 512, 513, 1023, 1024, 4095, 4096, 5000];
  for (let i = 0; i < 40; i++) lengths.push(randomBytes(2).readUInt16LE(0) % 5001);

  test('streebog256 and streebog512', () => {
    for (const len of lengths) {
      const data = new Uint8Array(randomBytes(len));
      expect([len, hex(streebog256(data))]).toEqual([len, hex(refDigest('streebog256', data))]);
      expect([len, hex(streebog512(data))]).toEqual([len, hex(refDigest('streebog512', data))]);
    }
  });
  test('gost94, CryptoPro and test parameter sets', () => {
    for (const len of lengths) {
      const data = new Uint8Array(randomBytes(len));
      expect([len, hex(gost94(data))]).toEqual([len, hex(refDigest('gost94', data))]);
      expect([len, hex(gost94(data, SBOX_TEST))]).toEqual([len, hex(refDigest('gost94-test', data))]);
    }
  });
});
