import { createHash, createSign, createVerify, sign as cryptoSign } from 'node:crypto';
import type { PublicKey, PrivateKey } from './keys';
import * as gost from '../crypto/gost';
import type { GostPool } from '../crypto/gost/pool';

/**
 * XMLDSig algorithms, each registered under every URI it is known by (PROTOCOL.md §3).
 * A digest hashes canonical bytes; a signature algorithm signs or verifies canonical SignedInfo.
 */
export interface DigestAlgorithm {
  name: string;
  digest(data: Uint8Array): Buffer;
  /** the same digest fed in pieces: a canonical form hashed as it is written, never held whole */
  hasher(): { update(data: Uint8Array): unknown; digest(): Uint8Array };
}

export interface SignatureAlgorithm {
  name: string;
  /** the digest URI a signer pairs with it by default */
  digestUri: string;
  keyKind: PublicKey['kind'];
  verify(key: PublicKey, data: Buffer, signature: Buffer): boolean;
  sign(key: PrivateKey, data: Buffer): Buffer;
  /**
   * The same signature, computed off the JS thread where the algorithm can do that: RSA on node's
   * libuv pool; GOST on the pool of useGostPool (on the calling thread when there is none).
   */
  signAsync?(key: PrivateKey, data: Buffer): Promise<Buffer>;
  /**
   * The same verdict as verify, computed off the JS thread: GOST on the pool of useGostPool.
   * Absent for RSA, whose verify (~20 µs) costs less than handing it to another thread. Rejects
   * with CryptoThreadError (crypto/gost/pool.ts) when the pool could not compute it: not a
   * verdict on the signature.
   */
  verifyAsync?(key: PublicKey, data: Buffer, signature: Buffer): Promise<boolean>;
}

/**
 * The threads GOST signatures are made and verified on by signAsync and verifyAsync (the gateway
 * sets it at start from SMEV2_CRYPTO_THREADS; undefined: on the calling thread, as sign and
 * verify). Module state, as the table of algorithms is: signAsync is reached from the node's
 * signing (sign.ts) through that table, with no way to hand a pool along.
 */
let gostPool: GostPool | undefined;

export function useGostPool(pool: GostPool | undefined): void {
  gostPool = pool;
}

/** A synchronous result as a settled promise (a throw as a rejection). */
function settled<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (e) {
    return Promise.reject(e);
  }
}

export const DIGESTS = new Map<string, DigestAlgorithm>();
export const SIGNATURES = new Map<string, SignatureAlgorithm>();

export function registerDigest(uris: string[], alg: DigestAlgorithm): void {
  for (const u of uris) DIGESTS.set(u, alg);
}

export function registerSignature(uris: string[], alg: SignatureAlgorithm): void {
  for (const u of uris) SIGNATURES.set(u, alg);
}

export const URI = {
  sha1: 'http://www.w3.org/2000/09/xmldsig#sha1',
  sha256: 'http://www.w3.org/2001/04/xmlenc#sha256',
  rsaSha1: 'http://www.w3.org/2000/09/xmldsig#rsa-sha1',
  rsaSha256: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
} as const;

const nodeDigest = (name: string): DigestAlgorithm => ({ name, digest: (d) => createHash(name).update(d).digest(), hasher: () => createHash(name) });
registerDigest([URI.sha1], nodeDigest('sha1'));
registerDigest([URI.sha256], nodeDigest('sha256'));

const rsa = (hash: string, digestUri: string): SignatureAlgorithm => ({
  name: `RSA-${hash.toUpperCase()}`,
  digestUri,
  keyKind: 'rsa',
  verify: (key, data, signature) => key.kind === 'rsa' && createVerify(hash).update(data).verify(key.key, signature),
  sign: (key, data) => {
    if (key.kind !== 'rsa') throw new Error('an RSA signature needs an RSA key');
    return createSign(hash).update(data).sign(key.key);
  },
  // crypto.sign with a callback runs the RSA operation on the libuv pool: PKCS#1 v1.5 by default,
  // the same (deterministic) bytes as createSign
  signAsync: (key, data) => new Promise<Buffer>((resolve, reject) => {
    if (key.kind !== 'rsa') return reject(new Error('an RSA signature needs an RSA key'));
    cryptoSign(hash, data, key.key, (err, signature) => (err ? reject(err) : resolve(signature)));
  }),
});
registerSignature([URI.rsaSha256], rsa('sha256', URI.sha256));
registerSignature([URI.rsaSha1], rsa('sha1', URI.sha1));

// GOST R 34.10 / 34.11, one entry per URI of PROTOCOL.md §3 (the URIs live in crypto/gost).
for (const [uri, name] of Object.entries(gost.DIGEST_URIS)) {
  registerDigest([uri], { name, digest: (d) => Buffer.from(gost.digest(name, d)), hasher: () => gost.hasher(name) });
}
for (const [uri, a] of Object.entries(gost.SIGNATURE_URIS)) {
  const wrongKey = () => new Error(`a GOST R 34.10-${a.family} signature needs a GOST R 34.10-${a.family} key`);
  const alg: SignatureAlgorithm = {
    name: `GOST R 34.10-${a.family}`,
    digestUri: gost.PREFERRED_URIS[a.family].digest,
    keyKind: 'gost',
    verify: (key, data, signature) =>
      key.kind === 'gost' && key.family === a.family && gost.verify(key.curve, key.octets, gost.digest(a.digest, data), signature),
    sign: (key, data) => {
      if (key.kind !== 'gost' || key.family !== a.family) throw wrongKey();
      return Buffer.from(gost.sign(key.curve, key.d, gost.digest(a.digest, data)));
    },
    // the digest of SignedInfo and the curve's work in a thread of the pool; the same functions
    signAsync: (key, data) => {
      if (!gostPool) return settled(() => alg.sign(key, data));
      if (key.kind !== 'gost' || key.family !== a.family) return Promise.reject(wrongKey());
      return gostPool.sign(key.curve.name, key.d, a.digest, data).then((s) => Buffer.from(s.buffer, s.byteOffset, s.byteLength));
    },
    verifyAsync: (key, data, signature) => {
      if (!gostPool) return settled(() => alg.verify(key, data, signature));
      if (key.kind !== 'gost' || key.family !== a.family) return Promise.resolve(false);
      return gostPool.verify(key.curve.name, key.octets, a.digest, data, signature);
    },
  };
  registerSignature([uri], alg);
}

/**
 * The pairs of signature and digest algorithms a service accepts, by name (service.yaml
 * `signatureAlgorithms:`). A block passes when one allowed suite names its SignatureMethod and
 * the DigestMethod of every Reference. The default is PROTOCOL.md §3's GOST pairs plus
 * RSA-SHA256; SHA-1 only where a SID lists `rsa-sha1`.
 */
export const SUITES = {
  gost2001: { signature: 'GOST R 34.10-2001', digest: 'gost94' },
  'gost2012-256': { signature: 'GOST R 34.10-2012-256', digest: 'streebog256' },
  'gost2012-512': { signature: 'GOST R 34.10-2012-512', digest: 'streebog512' },
  'rsa-sha256': { signature: 'RSA-SHA256', digest: 'sha256' },
  'rsa-sha1': { signature: 'RSA-SHA1', digest: 'sha1' },
} as const;
export type SuiteName = keyof typeof SUITES;
export const SUITE_NAMES = Object.keys(SUITES) as SuiteName[];
export const DEFAULT_SUITES: readonly SuiteName[] = ['gost2001', 'gost2012-256', 'gost2012-512', 'rsa-sha256'];

/** The allowed suite that pairs this SignatureMethod with these DigestMethods, if any. */
export function suiteFor(signatureUri: string, digestUris: string[], allowed: readonly SuiteName[]): SuiteName | undefined {
  const sig = SIGNATURES.get(signatureUri);
  if (!sig) return undefined;
  return allowed.find((s) => SUITES[s].signature === sig.name && digestUris.every((d) => DIGESTS.get(d)?.name === SUITES[s].digest));
}
