// GOST R 34.10-2001 / 2012: the standards' worked examples, the curves, key encodings, and
// crypto-gost-js both ways (ours signs -> it verifies, it signs -> ours verifies).
import { randomBytes } from 'node:crypto';
import {
  CURVES,
  curveByOid,
  decodePrivateKeyPkcs8,
  decodePublicKey,
  decodeSubjectPublicKeyInfo,
  digest,
  encodePrivateKeyPkcs8,
  encodePublicKey,
  encodeSubjectPublicKeyInfo,
  generatePrivateKey,
  getCurve,
  privateKeyToPem,
  publicKeyFromPrivate,
  sign,
  signatureAlgorithmOf,
  digestAlgorithmOf,
  verify,
  type GostCurve,
  type KeyFamily,
} from '../src/crypto/gost';
import * as C from '../src/crypto/gost/curves';
import { bigIntToBytesBE, bigIntToBytesLE, decodeSignature, encodePublicKeyXY } from '../src/crypto/gost/encoding';
import { refRawSigner, refSigner } from './gost-support';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const big = (h: string): bigint => BigInt('0x' + h);

/**
 * GOST R 34.10-2012 Appendix A (= RFC 7091 §A.1 / §A.2). The 256-bit example is also the
 * GOST R 34.10-2001 example (RFC 5832 §7.1): same curve, key, e, k, r and s.
 */
const EXAMPLES = [
  {
    name: '256-bit (GOST R 34.10-2012 A.1 = GOST R 34.10-2001 / RFC 5832 §7)',
    curve: C.TEST_256,
    d: '7A929ADE789BB9BE10ED359DD39A72C11B60961F49397EEE1D19CE9891EC3B28',
    qx: '7F2B49E270DB6D90D8595BEC458B50C58585BA1D4E9B788F6689DBD8E56FD80B',
    qy: '26F1B489D6701DD185C8413A977B3CBBAF64D1C593D26627DFFB101A87FF77DA',
    e: '2DFBC1B372D89A1188C09C52E0EEC61FCE52032AB1022E8E67ECE6672B043EE5',
    k: '77105C9B20BCD3122823C8CF6FCC7B956DE33814E95B7FE64FED924594DCEAB3',
    r: '41AA28D2F1AB148280CD9ED56FEDA41974053554A42767B83AD043FD39DC0493',
    s: '01456C64BA4642A1653C235A98A60249BCD6D3F746B631DF928014F6C5BF9C40',
  },
  {
    name: '512-bit (GOST R 34.10-2012 A.2)',
    curve: C.TEST_512,
    d: '0BA6048AADAE241BA40936D47756D7C93091A0E8514669700EE7508E508B102072E8123B2200A0563322DAD2827E2714A2636B7BFD18AADFC62967821FA18DD4',
    qx: '115DC5BC96760C7B48598D8AB9E740D4C4A85A65BE33C1815B5C320C854621DD5A515856D13314AF69BC5B924C8B4DDFF75C45415C1D9DD9DD33612CD530EFE1',
    qy: '37C7C90CD40B0F5621DC3AC1B751CFA0E2634FA0503B3D52639F5D7FB72AFD61EA199441D943FFE7F0C70A2759A3CDB84C114E1F9339FDF27F35ECA93677BEEC',
    e: '3754F3CFACC9E0615C4F4A7C4D8DAB531B09B6F9C170C533A71D147035B0C5917184EE536593F4414339976C647C5D5A407ADEDB1D560C4FC6777D2972075B8C',
    k: '0359E7F4B1410FEACC570456C6801496946312120B39D019D455986E364F365886748ED7A44B3E794434006011842286212273A6D14CF70EA3AF71BB1AE679F1',
    r: '2F86FA60A081091A23DD795E1E3C689EE512A3C82EE0DCC2643C78EEA8FCACD35492558486B20F1C9EC197C90699850260C93BCBCD9C5C3317E19344E173AE36',
    s: '1081B394696FFE8E6585E7A9362D26B6325F56778AADBC081C0BFBE933D52FF5823CE288E8C4F362526080DF7F70CE406A6EEB1F56919CB92A9853BDE73E5B4A',
  },
];

describe('the standards\' worked examples (fixed k)', () => {
  describe.each(EXAMPLES)('$name', (x) => {
    const c = x.curve;
    const d = big(x.d);
    // The example gives e; as a digest, e is the integer's little-endian bytes.
    const dig = bigIntToBytesLE(big(x.e), c.size);
    const expected = hex(bigIntToBytesBE(big(x.s), c.size)) + hex(bigIntToBytesBE(big(x.r), c.size));

    test('public key Q = dG', () => {
      const pub = publicKeyFromPrivate(c, d);
      expect(hex(pub)).toBe(hex(encodePublicKeyXY(big(x.qx), big(x.qy), c.size)));
    });
    test('signature s || r with the example\'s k', () => {
      const sig = sign(c, d, dig, { k: big(x.k) });
      expect(hex(sig)).toBe(expected.toLowerCase());
      const rs = decodeSignature(sig, c.size)!;
      expect(rs.r).toBe(big(x.r));
      expect(rs.s).toBe(big(x.s));
    });
    test('it verifies, and a changed digest, signature or key does not', () => {
      const pub = publicKeyFromPrivate(c, d);
      const sig = sign(c, d, dig, { k: big(x.k) });
      expect(verify(c, pub, dig, sig)).toBe(true);
      const dig2 = dig.slice();
      dig2[0]! ^= 1;
      expect(verify(c, pub, dig2, sig)).toBe(false);
      const sig2 = sig.slice();
      sig2[sig2.length - 1]! ^= 1;
      expect(verify(c, pub, dig, sig2)).toBe(false);
      expect(verify(c, publicKeyFromPrivate(c, d + 1n), dig, sig)).toBe(false);
    });
    test('crypto-gost-js gives the same signature with the same k', () => {
      const ref = refRawSigner(c, big(x.k));
      const theirs = new Uint8Array(ref.sign(bigIntToBytesLE(d, c.size), dig));
      expect(hex(theirs)).toBe(expected.toLowerCase());
    });
  });
  test('GOST R 34.10-2001 example (RFC 5832 §7.1) through its parameter-set OID 1.2.643.2.2.35.0', () => {
    const x = EXAMPLES[0]!;
    const c = getCurve('1.2.643.2.2.35.0');
    expect(c).toBe(C.TEST_256);
    const sig = sign('1.2.643.2.2.35.0', big(x.d), bigIntToBytesLE(big(x.e), 32), { k: big(x.k) });
    expect(decodeSignature(sig, 32)).toEqual({ r: big(x.r), s: big(x.s) });
    expect(verify('test-256', publicKeyFromPrivate(c, big(x.d)), bigIntToBytesLE(big(x.e), 32), sig)).toBe(true);
    expect(getCurve('1.2.643.7.1.2.1.2.0')).toBe(C.TEST_512);
  });
});

describe('named curves', () => {
  test.each(CURVES.map((c) => [c.name, c] as const))('%s: G on the curve, qG = O, sizes', (_n, c) => {
    const G = c.Point.BASE;
    G.assertValidity();
    expect((c.gy * c.gy - (c.gx * c.gx * c.gx + c.a * c.gx + c.b)) % c.p).toBe(0n);
    expect(G.multiplyUnsafe(c.q - 1n).add(G).is0()).toBe(true);
    expect(affineMul(c, { x: c.gx, y: c.gy }, c.q)).toBeNull(); // independently of noble
    expect(c.size).toBe(c.bits / 8);
    expect(c.q.toString(2).length).toBeGreaterThan(c.bits - 3);
  });
  test.each([
    ['1.2.643.2.2.35.1', 'cryptopro-a'],
    ['1.2.643.2.2.35.2', 'cryptopro-b'],
    ['1.2.643.2.2.35.3', 'cryptopro-c'],
    ['1.2.643.2.2.36.0', 'cryptopro-a'], // XchA = A
    ['1.2.643.2.2.36.1', 'cryptopro-c'], // XchB = C
    ['1.2.643.7.1.2.1.1.1', 'tc26-256-a'],
    ['1.2.643.7.1.2.1.1.2', 'cryptopro-a'],
    ['1.2.643.7.1.2.1.1.3', 'cryptopro-b'],
    ['1.2.643.7.1.2.1.1.4', 'cryptopro-c'],
    ['1.2.643.7.1.2.1.2.1', 'tc26-512-a'],
    ['1.2.643.7.1.2.1.2.2', 'tc26-512-b'],
    ['1.2.643.7.1.2.1.2.3', 'tc26-512-c'],
  ])('%s -> %s', (oid, name) => {
    expect(curveByOid(oid)?.name).toBe(name);
  });
  test('the twisted-Edwards TC26 curves have cofactor 4, the others 1', () => {
    expect(C.TC26_256_A.h).toBe(4n);
    expect(C.TC26_512_C.h).toBe(4n);
    expect(CURVES.filter((c) => c.h === 1n).length).toBe(CURVES.length - 2);
  });
  test('unknown curve', () => {
    expect(curveByOid('1.2.3')).toBeUndefined();
    expect(() => getCurve('1.2.3')).toThrow(/unknown/);
  });
});

describe('sign and verify on every curve', () => {
  test.each(CURVES.map((c) => [c.name, c] as const))('%s: random keys and digests', (_n, c) => {
    for (let i = 0; i < 4; i++) {
      const d = generatePrivateKey(c);
      const pub = publicKeyFromPrivate(c, d);
      const dig = new Uint8Array(randomBytes(c.size));
      const sig = sign(c, d, dig);
      expect(sig.length).toBe(2 * c.size);
      expect(verify(c, pub, dig, sig)).toBe(true);
      expect(verify(c, decodePublicKey(pub, c), dig, sig)).toBe(true); // a decoded point works too
      expect(verify(c, pub, dig, sign(c, bigIntToBytesLE(d, c.size), dig))).toBe(true); // raw LE private key
      expect(sign(c, d, dig)).not.toEqual(sig); // random k
      const bad = sig.slice();
      bad[3]! ^= 0x40;
      expect(verify(c, pub, dig, bad)).toBe(false);
    }
  });
  test('many keys: the key cache evicts and verification stays right', () => {
    const c = C.CRYPTOPRO_A;
    const keys = Array.from({ length: 140 }, () => generatePrivateKey(c));
    const dig = new Uint8Array(randomBytes(32));
    for (const round of [0, 1]) {
      for (const d of keys) {
        const pub = publicKeyFromPrivate(c, d);
        expect([round, verify(c, pub, dig, sign(c, d, dig))]).toEqual([round, true]);
      }
    }
    // a wrong key still fails after its twin was cached with a window table
    expect(verify(c, publicKeyFromPrivate(c, keys[0]!), dig, sign(c, keys[1]!, dig))).toBe(false);
  });
  test('malformed inputs', () => {
    const c = C.CRYPTOPRO_A;
    const d = generatePrivateKey(c);
    const pub = publicKeyFromPrivate(c, d);
    const dig = new Uint8Array(randomBytes(32));
    const sig = sign(c, d, dig);
    expect(verify(c, pub, dig, sig.subarray(1))).toBe(false); // short signature
    expect(verify(c, pub, dig.subarray(1), sig)).toBe(false); // short digest
    expect(verify(c, pub, dig, new Uint8Array(64))).toBe(false); // r = s = 0
    const qBytes = bigIntToBytesBE(c.q, 32);
    expect(verify(c, pub, dig, new Uint8Array([...qBytes, ...sig.subarray(32)]))).toBe(false); // s = q
    const offCurve = pub.slice();
    offCurve[40]! ^= 1;
    expect(verify(c, offCurve, dig, sig)).toBe(false);
    expect(() => decodePublicKey(offCurve, c)).toThrow();
    expect(() => sign(c, d, new Uint8Array(64))).toThrow(/digest/);
    expect(() => sign(c, 0n, dig)).toThrow(/range/);
    expect(() => sign(c, c.q, dig)).toThrow(/range/);
  });
  test('a zero digest signs as e = 1', () => {
    const c = C.CRYPTOPRO_A;
    const d = generatePrivateKey(c);
    const one = bigIntToBytesLE(1n, 32);
    const zero = new Uint8Array(32);
    const k = 12345n;
    expect(hex(sign(c, d, zero, { k }))).toBe(hex(sign(c, d, one, { k })));
    // q itself reduces to 0 as well
    expect(hex(sign(c, d, bigIntToBytesLE(c.q, 32), { k }))).toBe(hex(sign(c, d, one, { k })));
  });
  test('a point outside the prime-order subgroup is refused on a cofactor-4 curve', () => {
    const c = C.TC26_256_A;
    const G = c.Point.BASE;
    const Q = G.multiply(12345n);
    expect(() => decodePublicKey(encodePublicKey(Q, c), c)).not.toThrow();
    // A point on the curve but outside the order-q subgroup: small x until one is found.
    let found = false;
    for (let x = 1n; x < 200n && !found; x++) {
      const rhs = (((x * x * x + c.a * x + c.b) % c.p) + c.p) % c.p;
      let y: bigint;
      try {
        y = c.Point.Fp.sqrt(rhs);
      } catch {
        continue; // not a square
      }
      if ((y * y) % c.p !== rhs) continue;
      // q*P in plain affine arithmetic (noble cannot even represent points of order 2)
      if (affineMul(c, { x, y }, c.q) === null) continue;
      found = true;
      expect(() => decodePublicKey(encodePublicKeyXY(x, y, 32), c)).toThrow();
      expect(verify(c, encodePublicKeyXY(x, y, 32), new Uint8Array(32).fill(1), new Uint8Array(64).fill(1))).toBe(false);
    }
    expect(found).toBe(true);
  });
});

type Affine = { x: bigint; y: bigint } | null;
function affineMul(c: GostCurve, P: Affine, k: bigint): Affine {
  const m = (v: bigint) => ((v % c.p) + c.p) % c.p;
  const inv = (v: bigint) => {
    let [a, b, s0, s1] = [m(v), c.p, 1n, 0n];
    while (b !== 0n) {
      const t = a / b;
      [a, b, s0, s1] = [b, a - t * b, s1, s0 - t * s1];
    }
    return m(s0);
  };
  const add = (A: Affine, B: Affine): Affine => {
    if (!A) return B;
    if (!B) return A;
    let l: bigint;
    if (A.x === B.x) {
      if (m(A.y + B.y) === 0n) return null;
      l = m((3n * A.x * A.x + c.a) * inv(2n * A.y));
    } else l = m((B.y - A.y) * inv(B.x - A.x));
    const x = m(l * l - A.x - B.x);
    return { x, y: m(l * (A.x - x) - A.y) };
  };
  let acc: Affine = null;
  for (let i = BigInt(k.toString(2).length - 1); i >= 0n; i--) {
    acc = add(acc, acc);
    if ((k >> i) & 1n) acc = add(acc, P);
  }
  return acc;
}

describe('key encodings', () => {
  const families: [KeyFamily, GostCurve, string][] = [
    ['2001', C.CRYPTOPRO_A, '1.2.643.2.2.35.1'],
    ['2001', C.CRYPTOPRO_A, '1.2.643.2.2.36.0'],
    ['2012-256', C.CRYPTOPRO_C, '1.2.643.2.2.35.3'],
    ['2012-256', C.TC26_256_A, '1.2.643.7.1.2.1.1.1'],
    ['2012-512', C.TC26_512_A, '1.2.643.7.1.2.1.2.1'],
    ['2012-512', C.TC26_512_C, '1.2.643.7.1.2.1.2.3'],
  ];
  test.each(families.map(([f, c, o]) => [f, c.name, o, c] as const))('%s on %s (%s): PKCS#8 and SubjectPublicKeyInfo round-trip', (family, _n, paramSet, c) => {
    const d = generatePrivateKey(c);
    const der = encodePrivateKeyPkcs8(c, d, { family, paramSet });
    for (const input of [der, privateKeyToPem(der)]) {
      const back = decodePrivateKeyPkcs8(input);
      expect(back.privateKey).toBe(d);
      expect(back.curve).toBe(c);
      expect(back.family).toBe(family);
      expect(back.paramSet).toBe(paramSet);
    }
    const pub = publicKeyFromPrivate(c, d);
    const spki = decodeSubjectPublicKeyInfo(encodeSubjectPublicKeyInfo(c, pub, { family, paramSet }));
    expect(hex(spki.publicKey)).toBe(hex(pub));
    expect(spki.family).toBe(family);
  });
  test('a 512-bit curve does not make a 256-bit key', () => {
    expect(() => encodePrivateKeyPkcs8(C.TC26_512_A, 5n, { family: '2012-256' })).toThrow();
    expect(() => encodePrivateKeyPkcs8(C.CRYPTOPRO_A, 5n, { paramSet: '1.2.643.2.2.35.2' })).toThrow();
  });
});

describe('algorithm URIs (PROTOCOL.md §3)', () => {
  test.each([
    ['http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411', 'gost94', '2001'],
    ['urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102001-gostr3411', 'gost94', '2001'],
    ['urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256', 'streebog256', '2012-256'],
    ['urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-512', 'streebog512', '2012-512'],
  ])('signature %s', (uri, dig, family) => {
    expect(signatureAlgorithmOf(uri)).toEqual({ digest: dig, family });
  });
  test.each([
    ['http://www.w3.org/2001/04/xmldsig-more#gostr3411', 'gost94'],
    ['urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr3411', 'gost94'],
    ['urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256', 'streebog256'],
    ['urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-512', 'streebog512'],
  ])('digest %s', (uri, dig) => {
    expect(digestAlgorithmOf(uri)).toBe(dig);
  });
  test('unknown and prototype names', () => {
    expect(signatureAlgorithmOf('http://www.w3.org/2000/09/xmldsig#rsa-sha1')).toBeUndefined();
    expect(digestAlgorithmOf('toString')).toBeUndefined();
  });
});

describe('crypto-gost-js, both ways, random keys and messages', () => {
  const cases: [string, KeyFamily, GostCurve][] = [
    ['2001 / CryptoPro A (SMEV)', '2001', C.CRYPTOPRO_A],
    ['2001 / CryptoPro B', '2001', C.CRYPTOPRO_B],
    ['2001 / CryptoPro C', '2001', C.CRYPTOPRO_C],
    ['2012-256 / CryptoPro A', '2012-256', C.CRYPTOPRO_A],
    ['2012-256 / TC26 A (cofactor 4)', '2012-256', C.TC26_256_A],
    ['2012-512 / TC26 A', '2012-512', C.TC26_512_A],
    ['2012-512 / TC26 B', '2012-512', C.TC26_512_B],
    ['2012-512 / TC26 C (cofactor 4)', '2012-512', C.TC26_512_C],
  ];
  const alg = (f: KeyFamily) => (f === '2001' ? 'gost94' : f === '2012-256' ? 'streebog256' : 'streebog512');

  test.each(cases)('%s', (_name, family, c) => {
    const ref = refSigner(c, family);
    for (let i = 0; i < 3; i++) {
      const d = generatePrivateKey(c);
      const dLE = bigIntToBytesLE(d, c.size);
      const pub = publicKeyFromPrivate(c, d);
      const msg = new Uint8Array(randomBytes(1 + (randomBytes(2).readUInt16LE(0) % 3000)));
      const dig = digest(alg(family), msg);
      // ours -> theirs
      const ours = sign(c, d, dig);
      expect(ref.verify(pub, ours, msg)).toBe(true);
      // theirs -> ours
      const theirs = new Uint8Array(ref.sign(dLE, msg));
      expect(verify(c, pub, dig, theirs)).toBe(true);
      // and both refuse a tampered one
      const bad = theirs.slice();
      bad[0]! ^= 1;
      expect(verify(c, pub, dig, bad)).toBe(false);
      expect(ref.verify(pub, bad, msg)).toBe(false);
    }
  });
});
