/**
 * GOST primitives for the XML signature code: digests, sign/verify over a digest, and the
 * algorithm URIs of PROTOCOL.md §3. Pure TypeScript (Streebog, GOST R 34.11-94 table-driven;
 * elliptic curves on @noble/curves).
 *
 *   const d = digest('gost94', c14nSignedInfo);
 *   const ok = verify(cert.curve, cert.publicKey, d, signatureValue);   // cert = publicKeyFromCertificate(token)
 *   const sig = sign(curve, privateKey, digest('gost94', c14nSignedInfo));
 *
 * Byte orders (all in encoding.ts): digests are the algorithms' byte strings; the signature is
 * s || r, each big-endian (XMLDSig SignatureValue); public keys are x || y, each little-endian
 * (the certificate's octets); the digest enters the signature as a little-endian integer.
 */
import { Gost94, gost94 } from './gost94';
import { Streebog, streebog256, streebog512 } from './streebog';
import type { KeyFamily } from './keys';

export type DigestAlgorithm = 'gost94' | 'streebog256' | 'streebog512';

/** An incremental digest: bytes fed in pieces (a canonical form streamed as it is written). */
export function hasher(alg: DigestAlgorithm): { update(data: Uint8Array): unknown; digest(): Uint8Array } {
  switch (alg) {
    case 'gost94':
      return new Gost94();
    case 'streebog256':
      return new Streebog(256);
    case 'streebog512':
      return new Streebog(512);
    default:
      throw new Error(`unknown GOST digest ${String(alg)}`);
  }
}

/** The digest of `data`. gost94 is GOST R 34.11-94 with the CryptoPro S-box (what SMEV uses). */
export function digest(alg: DigestAlgorithm, data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  switch (alg) {
    case 'gost94':
      return gost94(bytes);
    case 'streebog256':
      return streebog256(bytes);
    case 'streebog512':
      return streebog512(bytes);
    default:
      throw new Error(`unknown GOST digest ${String(alg)}`);
  }
}

export const DIGEST_LENGTH: Record<DigestAlgorithm, 32 | 64> = { gost94: 32, streebog256: 32, streebog512: 64 };

const XMLDSIG_MORE = 'http://www.w3.org/2001/04/xmldsig-more#';
const CPXMLSEC = 'urn:ietf:params:xml:ns:cpxmlsec:algorithms:';

/** ds:DigestMethod Algorithm URIs. */
export const DIGEST_URIS: Readonly<Record<string, DigestAlgorithm>> = {
  [`${XMLDSIG_MORE}gostr3411`]: 'gost94',
  [`${CPXMLSEC}gostr3411`]: 'gost94',
  [`${CPXMLSEC}gostr34112012-256`]: 'streebog256',
  [`${CPXMLSEC}gostr34112012-512`]: 'streebog512',
};

export interface SignatureAlgorithm {
  /** The digest taken over the canonical SignedInfo. */
  digest: DigestAlgorithm;
  /** GOST R 34.10 edition and size; the key's curve must fit it (256-bit for 2001/2012-256). */
  family: KeyFamily;
}

/** ds:SignatureMethod Algorithm URIs. */
export const SIGNATURE_URIS: Readonly<Record<string, SignatureAlgorithm>> = {
  [`${XMLDSIG_MORE}gostr34102001-gostr3411`]: { digest: 'gost94', family: '2001' },
  [`${CPXMLSEC}gostr34102001-gostr3411`]: { digest: 'gost94', family: '2001' },
  [`${CPXMLSEC}gostr34102012-gostr34112012-256`]: { digest: 'streebog256', family: '2012-256' },
  [`${CPXMLSEC}gostr34102012-gostr34112012-512`]: { digest: 'streebog512', family: '2012-512' },
};

/** The URIs this node writes: the W3C ones real SMEV 2 traffic carries for 2001, the CryptoPro URNs for 2012. */
export const PREFERRED_URIS: Readonly<Record<KeyFamily, { signature: string; digest: string }>> = {
  '2001': { signature: `${XMLDSIG_MORE}gostr34102001-gostr3411`, digest: `${XMLDSIG_MORE}gostr3411` },
  '2012-256': { signature: `${CPXMLSEC}gostr34102012-gostr34112012-256`, digest: `${CPXMLSEC}gostr34112012-256` },
  '2012-512': { signature: `${CPXMLSEC}gostr34102012-gostr34112012-512`, digest: `${CPXMLSEC}gostr34112012-512` },
};

export function digestAlgorithmOf(uri: string): DigestAlgorithm | undefined {
  return Object.prototype.hasOwnProperty.call(DIGEST_URIS, uri) ? DIGEST_URIS[uri] : undefined;
}

export function signatureAlgorithmOf(uri: string): SignatureAlgorithm | undefined {
  return Object.prototype.hasOwnProperty.call(SIGNATURE_URIS, uri) ? SIGNATURE_URIS[uri] : undefined;
}

export { sign, verify, publicKeyFromPrivate, generatePrivateKey, decodePublicKey, encodePublicKey } from './sign';
export type { PrivateKey, PublicKey, CurveRef, SignOptions } from './sign';
export { CURVES, curveByOid, getCurve } from './curves';
export type { GostCurve, GostPoint } from './curves';
export {
  publicKeyFromCertificate,
  decodeSubjectPublicKeyInfo,
  encodeSubjectPublicKeyInfo,
  decodePrivateKeyPkcs8,
  encodePrivateKeyPkcs8,
  privateKeyToPem,
  publicKeyToPem,
  subjectPublicKeyInfoFromPrivate,
} from './keys';
export type { KeyFamily, GostPublicKeyInfo, GostPrivateKeyInfo, KeyEncodingOptions } from './keys';
export { Streebog, streebog256, streebog512 } from './streebog';
export { Gost94, gost94, SBOX_CRYPTOPRO, SBOX_TEST } from './gost94';
export type { SBox } from './gost94';
