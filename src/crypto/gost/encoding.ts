/**
 * Every byte-order rule of the GOST code, in one place. Nothing else in src/crypto/gost
 * reverses bytes or reads an integer from bytes.
 *
 * | value                               | layout                                                  |
 * |-------------------------------------|---------------------------------------------------------|
 * | digest -> e (GOST R 34.10 step 2)   | the digest bytes as a LITTLE-endian integer, mod q; 0 -> 1 (CryptoPro, OpenSSL gost engine, crypto-gost-js 'CP') |
 * | signature (XMLDSig SignatureValue,  | s || r, each BIG-endian, n bytes (n = 32 for 256-bit curves, 64 for 512) |
 * |   CMS, OpenSSL `dgst -sign` output) |                                                         |
 * | public key (certificate's OCTET     | x || y, each LITTLE-endian, n bytes                     |
 * |   STRING inside SubjectPublicKeyInfo)|                                                        |
 * | private key (PKCS#8 OCTET STRING as | d, LITTLE-endian, n bytes (OpenSSL's gost engine writes and reads this; it also |
 * |   OpenSSL's gost engine writes it)  | reads a DER INTEGER, big-endian, which decodePrivateScalar accepts) |
 * | digests themselves                  | the byte string the algorithm outputs; never reversed   |
 */

export function bytesToBigIntLE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

export function bytesToBigIntBE(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = 0; i < b.length; i++) n = (n << 8n) | BigInt(b[i]!);
  return n;
}

export function bigIntToBytesLE(n: bigint, len: number): Uint8Array {
  if (n < 0n || n >> BigInt(8 * len) !== 0n) throw new RangeError(`integer does not fit in ${len} bytes`);
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}

export function bigIntToBytesBE(n: bigint, len: number): Uint8Array {
  const out = bigIntToBytesLE(n, len);
  out.reverse();
  return out;
}

/** GOST R 34.10 steps 1-2 for a precomputed digest: e = LE(digest) mod q, and 1 if that is 0. */
export function digestToE(digest: Uint8Array, q: bigint): bigint {
  const e = bytesToBigIntLE(digest) % q;
  return e === 0n ? 1n : e;
}

/** Signature bytes: s || r, each big-endian in `n` bytes. */
export function encodeSignature(r: bigint, s: bigint, n: number): Uint8Array {
  const out = new Uint8Array(2 * n);
  out.set(bigIntToBytesBE(s, n), 0);
  out.set(bigIntToBytesBE(r, n), n);
  return out;
}

/** Inverse of encodeSignature; undefined if the length is not 2n. */
export function decodeSignature(sig: Uint8Array, n: number): { r: bigint; s: bigint } | undefined {
  if (sig.length !== 2 * n) return undefined;
  return { s: bytesToBigIntBE(sig.subarray(0, n)), r: bytesToBigIntBE(sig.subarray(n)) };
}

/** Public key octets as a certificate carries them: x || y, each little-endian in `n` bytes. */
export function encodePublicKeyXY(x: bigint, y: bigint, n: number): Uint8Array {
  const out = new Uint8Array(2 * n);
  out.set(bigIntToBytesLE(x, n), 0);
  out.set(bigIntToBytesLE(y, n), n);
  return out;
}

export function decodePublicKeyXY(octets: Uint8Array, n: number): { x: bigint; y: bigint } {
  if (octets.length !== 2 * n) throw new RangeError(`a public key on this curve is ${2 * n} bytes, got ${octets.length}`);
  return { x: bytesToBigIntLE(octets.subarray(0, n)), y: bytesToBigIntLE(octets.subarray(n)) };
}

/** Raw private key bytes (the PKCS#8 content OpenSSL's gost engine writes): d little-endian. */
export function encodePrivateScalar(d: bigint, n: number): Uint8Array {
  return bigIntToBytesLE(d, n);
}

export function decodePrivateScalar(raw: Uint8Array): bigint {
  return bytesToBigIntLE(raw);
}

/** A DER INTEGER's content octets (two's complement, big-endian) as a non-negative bigint. */
export function derIntegerToBigInt(content: Uint8Array): bigint {
  if (content.length === 0 || (content[0]! & 0x80) !== 0) throw new RangeError('expected a non-negative INTEGER');
  return bytesToBigIntBE(content);
}

/** A non-negative bigint as DER INTEGER content octets. */
export function bigIntToDerInteger(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('negative INTEGER');
  let len = 1;
  while (n >> BigInt(8 * len) !== 0n) len++;
  const be = bigIntToBytesBE(n, len);
  if ((be[0]! & 0x80) === 0) return be;
  const out = new Uint8Array(len + 1);
  out.set(be, 1);
  return out;
}
