/**
 * Make the detached CMS signature of a file (`<file>.sig` in an AppDocument ZIP), as CryptoPro and
 * OpenSSL do: SignedData without eContent, the signer's certificate, one SignerInfo named by
 * issuer and serial number, with signed attributes (contentType, signingTime, messageDigest).
 * GOST R 34.10-2001 / 2012 with the key's own digest, or RSA PKCS#1 v1.5 (SHA-256 by default).
 */
import { createSign } from 'node:crypto';
import { explicit, encodeTime, integer, nullDer, octetString, oid, sequence, set, tlv } from '../crypto/asn1';
import * as gost from '../crypto/gost';
import type { PrivateKey } from '../signature/keys';
import { parseCertificate } from '../signature/x509';
import { CMS_OID, DIGESTS, GOST_DIGEST, GOST_SIGNATURE_OID, RSA_ENCRYPTION, digestOf, type DigestName } from './cms-algorithms';
import { issuerDer } from './cms';

/** What signs: a key and its certificate (DER), as src/signature/identity.ts KeyStore.signer gives. */
export interface FileSigner {
  key: PrivateKey;
  certificate: Buffer;
}

export interface SignFileOptions {
  /** the signingTime attribute (default: now) */
  at?: Date;
  /** RSA only: sha1, sha256 (default) or sha512 */
  rsaDigest?: Extract<DigestName, 'sha1' | 'sha256' | 'sha512'>;
}

/** The DER of a detached CMS SignedData over `bytes`. */
export function signFile(bytes: Uint8Array, signer: FileSigner, opts: SignFileOptions = {}): Buffer {
  const cert = parseCertificate(signer.certificate);
  const key = signer.key;
  const digest: DigestName = key.kind === 'gost' ? GOST_DIGEST[key.family] : opts.rsaDigest ?? 'sha256';
  const signedAttrs = derSet([
    attribute(CMS_OID.contentType, oid(CMS_OID.data)),
    attribute(CMS_OID.signingTime, encodeTime(opts.at ?? new Date())),
    attribute(CMS_OID.messageDigest, octetString(digestOf(digest, bytes))),
  ]);
  const digestAlg = key.kind === 'gost' ? sequence(oid(DIGESTS[digest].oid), nullDer()) : sequence(oid(DIGESTS[digest].oid));
  const signerInfo = sequence(
    integer(Uint8Array.of(1)),
    sequence(issuerDer(cert), integer(Buffer.from(cert.serial, 'hex'))),
    digestAlg,
    tlv(0xa0, signedAttrs.subarray(headerLength(signedAttrs))), // [0] IMPLICIT: the SET's content under another tag
    sequence(oid(key.kind === 'gost' ? GOST_SIGNATURE_OID[key.family] : RSA_ENCRYPTION), nullDer()),
    octetString(signatureValue(key, digest, signedAttrs)),
  );
  const signedData = sequence(
    integer(Uint8Array.of(1)),
    set(digestAlg),
    sequence(oid(CMS_OID.data)), // no eContent: detached
    tlv(0xa0, cert.der),
    set(signerInfo),
  );
  return Buffer.from(sequence(oid(CMS_OID.signedData), explicit(0, signedData)));
}

/** The signature over the DER of the signed attributes (RFC 5652 §5.4). */
function signatureValue(key: PrivateKey, digest: DigestName, signedAttrs: Uint8Array): Uint8Array {
  if (key.kind === 'gost') return gost.sign(key.curve, key.d, digestOf(digest, signedAttrs));
  return createSign(digest).update(signedAttrs).sign(key.key);
}

function attribute(type: string, value: Uint8Array): Uint8Array {
  return sequence(oid(type), set(value));
}

/**
 * A DER SET OF: its elements in ascending order of their encodings (X.690 §11.6). Verifiers such
 * as OpenSSL re-encode the attributes before checking, so an unsorted SET would not verify there.
 */
function derSet(items: Uint8Array[]): Uint8Array {
  return set(...[...items].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
}

/** The length of a TLV's tag and length octets. */
function headerLength(der: Uint8Array): number {
  const l = der[1]!;
  return 2 + (l & 0x80 ? l & 0x7f : 0);
}
