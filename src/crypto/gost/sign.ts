/**
 * GOST R 34.10-2001 / 2012 signature over a DIGEST (the caller hashes; this module never
 * sees the message). Byte layouts come from encoding.ts only.
 *
 *   sign:   e = LE(digest) mod q (1 if 0); k random in [1, q-1]; C = kG; r = x_C mod q;
 *           s = (r d + k e) mod q; output s || r.
 *   verify: 0 < r, s < q; v = e^-1; z1 = s v; z2 = -r v (mod q); C = z1 G + z2 Q; x_C mod q == r.
 *
 * The same arithmetic serves 2001 and 2012-256 (they differ only in the digest, chosen by the
 * caller) and 2012-512 (64-byte digest on a 512-bit curve).
 */
import { randomBytes } from 'node:crypto';
import { getCurve, type GostCurve, type GostPoint } from './curves';
import {
  bytesToBigIntBE,
  decodePrivateScalar,
  decodePublicKeyXY,
  decodeSignature,
  digestToE,
  encodePublicKeyXY,
  encodeSignature,
} from './encoding';

/** A private key: the scalar d, or its raw little-endian bytes (the PKCS#8 content OpenSSL writes). */
export type PrivateKey = bigint | Uint8Array;
/** A public key: the certificate's octets (x || y, little-endian) or a point from decodePublicKey. */
export type PublicKey = Uint8Array | GostPoint;
export type CurveRef = GostCurve | string;

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** a^-1 mod m for prime m (extended Euclid). */
function invert(a: bigint, m: bigint): bigint {
  let [r0, r1] = [mod(a, m), m];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const qt = r0 / r1;
    [r0, r1] = [r1, r0 - qt * r1];
    [s0, s1] = [s1, s0 - qt * s1];
  }
  if (r0 !== 1n) throw new Error('not invertible');
  return mod(s0, m);
}

/** Uniform-enough random scalar in [1, q-1]: 16 extra bytes make the modulo bias negligible. */
function randomScalar(q: bigint, size: number): bigint {
  return (bytesToBigIntBE(randomBytes(size + 16)) % (q - 1n)) + 1n;
}

/** The scalar d of a private key, checked to lie in [1, q-1]. */
export function privateScalar(curve: CurveRef, key: PrivateKey): bigint {
  const c = getCurve(curve);
  let d: bigint;
  if (typeof key === 'bigint') d = key;
  else {
    if (key.length !== c.size) throw new RangeError(`a private key on ${c.name} is ${c.size} bytes, got ${key.length}`);
    d = decodePrivateScalar(key);
  }
  if (d <= 0n || d >= c.q) throw new RangeError(`private key out of range for ${c.name}`);
  return d;
}

/** A fresh random private key d in [1, q-1]. */
export function generatePrivateKey(curve: CurveRef): bigint {
  const c = getCurve(curve);
  return randomScalar(c.q, c.size);
}

/** Public point Q = dG. */
export function publicPointFromPrivate(curve: CurveRef, key: PrivateKey): GostPoint {
  const c = getCurve(curve);
  return c.Point.BASE.multiply(privateScalar(c, key));
}

/** Public key octets (x || y, little-endian) for a private key. */
export function publicKeyFromPrivate(curve: CurveRef, key: PrivateKey): Uint8Array {
  const c = getCurve(curve);
  return encodePublicKey(publicPointFromPrivate(c, key), c);
}

export function encodePublicKey(point: GostPoint, curve: CurveRef): Uint8Array {
  const c = getCurve(curve);
  const { x, y } = point.toAffine();
  return encodePublicKeyXY(x, y, c.size);
}

/**
 * Public key octets (x || y, each little-endian: the OCTET STRING inside a certificate's
 * SubjectPublicKeyInfo) -> a validated point: on the curve, not infinity, and in the
 * prime-order subgroup on the cofactor-4 curves. Throws on anything else.
 */
export function decodePublicKey(octets: Uint8Array, curve: CurveRef): GostPoint {
  const c = getCurve(curve);
  const { x, y } = decodePublicKeyXY(octets, c.size);
  if (x >= c.p || y >= c.p) throw new RangeError('public key coordinate out of range');
  const pt = c.Point.fromAffine({ x, y });
  pt.assertValidity(); // on-curve, not zero, torsion-free when h != 1
  return pt;
}

// Decoded public keys, by curve and octets: certificates repeat, decoding (and on the
// cofactor-4 curves the subgroup check) is not free, and a key seen twice earns a window
// table (5-bit windows: 3.5x faster verify; measured 127 KB of heap per 256-bit key and
// 227 KB per 512-bit key, so the cache is bounded, least-recently-used keys drop out, and at
// most 128 keys (16-29 MB) hold a table).
const KEY_CACHE_MAX = 128;
const KEY_WINDOW = 5;
const keyCache = new Map<string, { point: GostPoint; uses: number }>();

/**
 * The validated point of a public key, from the bounded cache. `forVerify` counts a use: the
 * second verify with a key builds its window table (decoding a certificate does not count).
 */
export function publicKeyPoint(curve: CurveRef, octets: Uint8Array, forVerify = false): GostPoint {
  const c = getCurve(curve);
  const id = c.name + ':' + Buffer.from(octets.buffer, octets.byteOffset, octets.byteLength).toString('base64');
  const hit = keyCache.get(id);
  if (hit) {
    keyCache.delete(id); // move to the young end
    keyCache.set(id, hit);
    if (forVerify && ++hit.uses === 2) hit.point.precompute(KEY_WINDOW, false);
    return hit.point;
  }
  const point = decodePublicKey(octets, c);
  keyCache.set(id, { point, uses: forVerify ? 1 : 0 });
  if (keyCache.size > KEY_CACHE_MAX) keyCache.delete(keyCache.keys().next().value!);
  return point;
}

export interface SignOptions {
  /** Fixed nonce k in [1, q-1]: ONLY for the standards' worked examples. */
  k?: bigint;
}

/** Sign a digest (32 bytes on 256-bit curves, 64 on 512-bit ones). Returns s || r. */
export function sign(curve: CurveRef, privateKey: PrivateKey, digest: Uint8Array, opts: SignOptions = {}): Uint8Array {
  const c = getCurve(curve);
  if (digest.length !== c.size) throw new RangeError(`a digest for ${c.name} is ${c.size} bytes, got ${digest.length}`);
  const d = privateScalar(c, privateKey);
  const q = c.q;
  const e = digestToE(digest, q);
  const G = c.Point.BASE;
  for (;;) {
    const k = opts.k ?? randomScalar(q, c.size);
    if (k <= 0n || k >= q) throw new RangeError('k out of range');
    const r = mod(G.multiply(k).toAffine().x, q);
    if (r === 0n) {
      if (opts.k !== undefined) throw new Error('r = 0 for the given k');
      continue;
    }
    const s = mod(r * d + k * e, q);
    if (s === 0n) {
      if (opts.k !== undefined) throw new Error('s = 0 for the given k');
      continue;
    }
    return encodeSignature(r, s, c.size);
  }
}

/**
 * Verify s || r over a digest. False for a wrong signature, a malformed signature or digest
 * length, and a public key that is not a valid point (use decodePublicKey to learn why).
 */
export function verify(curve: CurveRef, publicKey: PublicKey, digest: Uint8Array, signature: Uint8Array): boolean {
  const c = getCurve(curve);
  if (digest.length !== c.size) return false;
  const rs = decodeSignature(signature, c.size);
  if (!rs) return false;
  const { r, s } = rs;
  const q = c.q;
  if (r <= 0n || r >= q || s <= 0n || s >= q) return false;
  let Q: GostPoint;
  try {
    Q = publicKey instanceof Uint8Array ? publicKeyPoint(c, publicKey, true) : publicKey;
  } catch {
    return false;
  }
  const e = digestToE(digest, q);
  const v = invert(e, q);
  const z1 = mod(s * v, q);
  const z2 = mod(-r * v, q);
  const C = c.Point.BASE.multiplyAndAddUnsafe(Q, z1, z2);
  if (!C) return false;
  return mod(C.toAffine().x, q) === r;
}
