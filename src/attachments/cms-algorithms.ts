/**
 * The algorithms of a detached CMS signature (RFC 5652) as SMEV 2 senders wrote them, by OID, in
 * one place: the digests of the signed file, and the signature algorithms with the digest each
 * must be paired with. GOST after RFC 4490 / R 1323565.1.024; RSA is PKCS#1 v1.5 (RFC 8017).
 */
import { createHash } from 'node:crypto';
import * as gost from '../crypto/gost';

export type DigestName = 'gost94' | 'streebog256' | 'streebog512' | 'sha1' | 'sha256' | 'sha512';

export interface Hasher {
  update(data: Uint8Array): unknown;
  digest(): Uint8Array;
}

interface DigestSpec {
  label: string;
  /** the OID a signer writes (the first one seen for it is canonical) */
  oid: string;
}

export const DIGESTS: Record<DigestName, DigestSpec> = {
  gost94: { label: 'GOST R 34.11-94', oid: '1.2.643.2.2.9' },
  streebog256: { label: 'Streebog-256', oid: '1.2.643.7.1.1.2.2' },
  streebog512: { label: 'Streebog-512', oid: '1.2.643.7.1.1.2.3' },
  sha1: { label: 'SHA-1', oid: '1.3.14.3.2.26' },
  sha256: { label: 'SHA-256', oid: '2.16.840.1.101.3.4.2.1' },
  sha512: { label: 'SHA-512', oid: '2.16.840.1.101.3.4.2.3' },
};

const DIGEST_BY_OID = new Map<string, DigestName>((Object.entries(DIGESTS) as [DigestName, DigestSpec][]).map(([n, s]) => [s.oid, n]));

export function digestByOid(oid: string): DigestName | undefined {
  return DIGEST_BY_OID.get(oid);
}

/** A fresh incremental hasher: files are hashed as they inflate, never held whole. */
export function newHasher(name: DigestName): Hasher {
  if (name === 'gost94' || name === 'streebog256' || name === 'streebog512') return gost.hasher(name);
  return createHash(name);
}

export function digestOf(name: DigestName, data: Uint8Array): Buffer {
  const h = newHasher(name);
  h.update(data);
  return Buffer.from(h.digest());
}

/**
 * A signature algorithm: its kind and, for GOST, the key family (which fixes the digest). Senders
 * name GOST signatures by the key's OID (CryptoPro, OpenSSL) or by the signature-with-digest OID;
 * RSA by rsaEncryption (then the digest is the SignerInfo's) or by sha*WithRSAEncryption.
 */
export type SignatureSpec =
  | { kind: 'gost'; family: gost.KeyFamily; digest: DigestName }
  | { kind: 'rsa'; digest?: DigestName };

const GOST_2001: SignatureSpec = { kind: 'gost', family: '2001', digest: 'gost94' };
const GOST_256: SignatureSpec = { kind: 'gost', family: '2012-256', digest: 'streebog256' };
const GOST_512: SignatureSpec = { kind: 'gost', family: '2012-512', digest: 'streebog512' };

export const SIGNATURE_OIDS: Record<string, SignatureSpec> = {
  '1.2.643.2.2.19': GOST_2001, // id-GostR3410-2001
  '1.2.643.2.2.3': GOST_2001, // id-GostR3411-94-with-GostR3410-2001
  '1.2.643.7.1.1.1.1': GOST_256, // id-tc26-gost3410-12-256
  '1.2.643.7.1.1.3.2': GOST_256, // id-tc26-signwithdigest-gost3410-12-256
  '1.2.643.7.1.1.1.2': GOST_512, // id-tc26-gost3410-12-512
  '1.2.643.7.1.1.3.3': GOST_512, // id-tc26-signwithdigest-gost3410-12-512
  '1.2.840.113549.1.1.1': { kind: 'rsa' }, // rsaEncryption
  '1.2.840.113549.1.1.5': { kind: 'rsa', digest: 'sha1' },
  '1.2.840.113549.1.1.11': { kind: 'rsa', digest: 'sha256' },
  '1.2.840.113549.1.1.13': { kind: 'rsa', digest: 'sha512' },
};

export function signatureByOid(oid: string): SignatureSpec | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNATURE_OIDS, oid) ? SIGNATURE_OIDS[oid] : undefined;
}

/** The OID a GOST signer writes as signatureAlgorithm: the key's own, as CryptoPro and OpenSSL do. */
export const GOST_SIGNATURE_OID: Record<gost.KeyFamily, string> = {
  '2001': '1.2.643.2.2.19',
  '2012-256': '1.2.643.7.1.1.1.1',
  '2012-512': '1.2.643.7.1.1.1.2',
};
export const GOST_DIGEST: Record<gost.KeyFamily, DigestName> = { '2001': 'gost94', '2012-256': 'streebog256', '2012-512': 'streebog512' };
export const RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

/** `GOST R 34.10-2001 / GOST R 34.11-94`, `GOST R 34.10-2012 (256) / Streebog-256`, `RSA / SHA-256` (model.ts). */
export function algorithmLabel(sig: SignatureSpec, digest: DigestName): string {
  if (sig.kind === 'rsa') return `RSA / ${DIGESTS[digest].label}`;
  const edition = sig.family === '2001' ? '2001' : `2012 (${sig.family.slice(5)})`;
  return `GOST R 34.10-${edition} / ${DIGESTS[digest].label}`;
}

/** CMS object identifiers (RFC 5652 §5, §11). */
export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;
