/**
 * Detached CMS SignedData (RFC 5652; "PKCS#7" in SMEV's documents): read a `<file>.sig`, and verify
 * each of its signers over the digest of the file. The file itself never passes through here:
 * the caller streams it through the hashers `digestsNeeded` names (a file may be 1 GiB).
 *
 *   ContentInfo ::= SEQUENCE { contentType OID (signedData), [0] EXPLICIT SignedData }
 *   SignedData ::= SEQUENCE { version, digestAlgorithms SET, encapContentInfo SEQUENCE { eContentType,
 *       [0] EXPLICIT eContent OPTIONAL }, [0] IMPLICIT certificates OPTIONAL, [1] IMPLICIT crls OPTIONAL,
 *       signerInfos SET OF SignerInfo }
 *   SignerInfo ::= SEQUENCE { version, sid (IssuerAndSerialNumber | [0] IMPLICIT SubjectKeyIdentifier),
 *       digestAlgorithm, [0] IMPLICIT signedAttrs OPTIONAL, signatureAlgorithm, signature OCTET STRING,
 *       [1] IMPLICIT unsignedAttrs OPTIONAL }
 */
import { createHash, publicDecrypt, constants, type KeyObject } from 'node:crypto';
import { children, decodeOid, decodeTime, readTlv, expectTag, parseDer, TAG, type Der } from '../crypto/asn1';
import * as gost from '../crypto/gost';
import { parseCertificate, nameToString, type Certificate } from '../signature/x509';
import { publicKeyOf } from '../signature/keys';
import { CMS_OID, DIGESTS, algorithmLabel, digestByOid, digestOf, signatureByOid, type DigestName, type SignatureSpec } from './cms-algorithms';

export class CmsError extends Error {}

export interface SignerInfo {
  /** how the signer names its certificate */
  sid: { issuer: Buffer; serial: string } | { keyId: Buffer };
  digest: DigestName;
  signature: SignatureSpec;
  signatureOid: string;
  value: Buffer;
  signedAttrs?: SignedAttributes;
}

export interface SignedAttributes {
  /** the attributes' DER re-tagged as SET (0x31): what the signature covers (RFC 5652 §5.4) */
  der: Buffer;
  messageDigest?: Buffer;
  contentType?: string;
  signingTime?: Date;
}

export interface SignedData {
  signers: SignerInfo[];
  certificates: Certificate[];
  /** eContent is absent: the signature is over a file carried elsewhere */
  detached: boolean;
}

/** What verifying one signer found. */
export interface SignerVerdict {
  ok: boolean;
  reason?: string;
  certificate?: Certificate;
  algorithm: string;
  signedAt?: Date;
}

const MAX_TEXT_SIG = 1024 * 1024;

/**
 * The DER of a `.sig`: DER as it is, or PEM / bare base64 of it, which some senders wrote instead.
 * Anything else is refused with a reason in OpenSSL's words' spirit (it says "Error reading SMIME
 * Content Info").
 */
export function cmsBytes(sig: Buffer): Buffer {
  if (sig.length > 0 && sig[0] === TAG.SEQUENCE) return sig;
  const text = sig.length <= MAX_TEXT_SIG ? sig.toString('latin1') : '';
  const armored = /-----BEGIN [A-Z0-9 ]+-----([\s\S]*?)-----END [A-Z0-9 ]+-----/.exec(text);
  const body = (armored ? armored[1]! : text).replace(/\s+/g, '');
  if (body.length >= 4 && /^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
    const der = Buffer.from(body, 'base64');
    if (der[0] === TAG.SEQUENCE) return der;
  }
  throw new CmsError(`not a CMS structure: cannot read a ContentInfo from ${sig.length} bytes (neither DER nor PEM/base64 of DER${sig.length ? `; starts with 0x${sig.subarray(0, 4).toString('hex')}` : ''})`);
}

/** Parse a `.sig` (DER, PEM or base64). Throws CmsError saying what is wrong. */
export function parseSignedData(sig: Buffer): SignedData {
  const der = cmsBytes(sig);
  try {
    // trailing bytes after the ContentInfo are ignored, as OpenSSL's reader does
    const info = readTlv(der, 0).node;
    const [type, content] = children(expectTag(info, TAG.SEQUENCE, 'ContentInfo'));
    const contentType = decodeOid(expectTag(type, TAG.OID, 'contentType').content);
    if (contentType !== CMS_OID.signedData) throw new CmsError(`a CMS ContentInfo of type ${contentType}, not signedData (${CMS_OID.signedData})`);
    const [signedData] = children(expectTag(content, 0xa0, 'SignedData [0]'));
    return readSignedData(expectTag(signedData, TAG.SEQUENCE, 'SignedData'));
  } catch (e) {
    if (e instanceof CmsError) throw e;
    throw new CmsError(`not a CMS structure: ${(e as Error).message}`);
  }
}

function readSignedData(sd: Der): SignedData {
  const f = children(sd);
  let i = 2; // version, digestAlgorithms
  const encap = children(expectTag(f[i++], TAG.SEQUENCE, 'encapContentInfo'));
  const detached = encap.length < 2;
  const certificates: Certificate[] = [];
  if (f[i]?.tag === 0xa0) certificates.push(...readCertificates(f[i++]!));
  if (f[i]?.tag === 0xa1) i++; // CRLs: not used for the cryptography
  const signerInfos = children(expectTag(f[i], TAG.SET, 'signerInfos'));
  if (!signerInfos.length) throw new CmsError('the CMS SignedData has no signerInfos');
  return { signers: signerInfos.map(readSignerInfo), certificates, detached };
}

/** Certificates among CertificateChoices; the other choices (attribute certificates...) are skipped. */
function readCertificates(set: Der): Certificate[] {
  return children(set).flatMap((c) => {
    if (c.tag !== TAG.SEQUENCE) return [];
    try {
      return [parseCertificate(Buffer.from(c.raw))];
    } catch {
      return [];
    }
  });
}

function readSignerInfo(node: Der): SignerInfo {
  const f = children(expectTag(node, TAG.SEQUENCE, 'SignerInfo'));
  const sidNode = f[1];
  let sid: SignerInfo['sid'];
  if (sidNode?.tag === TAG.SEQUENCE) {
    const [issuer, serial] = children(sidNode);
    sid = { issuer: Buffer.from(expectTag(issuer, TAG.SEQUENCE, 'issuer').raw), serial: Buffer.from(expectTag(serial, TAG.INTEGER, 'serialNumber').content).toString('hex') };
  } else if (sidNode?.tag === 0x80) sid = { keyId: Buffer.from(sidNode.content) };
  else throw new CmsError('SignerInfo: its sid is neither IssuerAndSerialNumber nor SubjectKeyIdentifier');
  const digestOid = algorithmOid(f[2], 'digestAlgorithm');
  const digest = digestByOid(digestOid);
  if (!digest) throw new CmsError(`SignerInfo: unsupported digest algorithm ${digestOid}`);
  let i = 3;
  const signedAttrs = f[i]?.tag === 0xa0 ? readSignedAttributes(f[i++]!) : undefined;
  const signatureOid = algorithmOid(f[i++], 'signatureAlgorithm');
  const signature = signatureByOid(signatureOid);
  if (!signature) throw new CmsError(`SignerInfo: unsupported signature algorithm ${signatureOid}`);
  const value = Buffer.from(expectTag(f[i], TAG.OCTET_STRING, 'signature').content);
  return { sid, digest, signature, signatureOid, value, ...(signedAttrs ? { signedAttrs } : {}) };
}

function algorithmOid(node: Der | undefined, what: string): string {
  const [o] = children(expectTag(node, TAG.SEQUENCE, what));
  return decodeOid(expectTag(o, TAG.OID, `${what} OID`).content);
}

function readSignedAttributes(node: Der): SignedAttributes {
  // the signature is over the attributes as encoded, with the SET OF tag in place of [0] IMPLICIT
  const der = Buffer.from(node.raw);
  der[0] = TAG.SET;
  const out: SignedAttributes = { der };
  for (const attr of children(node)) {
    const [type, values] = children(expectTag(attr, TAG.SEQUENCE, 'Attribute'));
    const oid = decodeOid(expectTag(type, TAG.OID, 'attrType').content);
    const value = children(expectTag(values, TAG.SET, 'attrValues'))[0];
    if (!value) continue;
    if (oid === CMS_OID.messageDigest) out.messageDigest = Buffer.from(expectTag(value, TAG.OCTET_STRING, 'messageDigest').content);
    else if (oid === CMS_OID.contentType) out.contentType = decodeOid(expectTag(value, TAG.OID, 'contentType').content);
    else if (oid === CMS_OID.signingTime) out.signingTime = decodeTime(value);
  }
  return out;
}

/** The digests of the file its signers need: hash the file once with each. */
export function digestsNeeded(sd: SignedData): DigestName[] {
  return [...new Set(sd.signers.map((s) => s.digest))];
}

/**
 * Verify one signer over a file whose digests are given (by algorithm). The cryptography alone:
 * the certificate's validity and trust are judged by the caller (openssl cms -verify -noverify).
 */
export function verifySigner(si: SignerInfo, certificates: Certificate[], fileDigests: ReadonlyMap<DigestName, Uint8Array>): SignerVerdict {
  const algorithm = algorithmLabel(si.signature, si.digest);
  const signedAt = si.signedAttrs?.signingTime;
  const base = { algorithm, ...(signedAt ? { signedAt } : {}) };
  const cert = certificates.find((c) => matchesSid(c, si.sid));
  if (!cert) return { ...base, ok: false, reason: `no certificate in the signature matches its signer (${describeSid(si.sid)})` };
  const fail = (reason: string): SignerVerdict => ({ ...base, ok: false, reason, certificate: cert });
  const fileDigest = fileDigests.get(si.digest);
  if (!fileDigest) throw new Error(`the file's ${DIGESTS[si.digest].label} digest was not computed`);
  const pairing = checkPairing(si);
  if (pairing) return fail(pairing);
  let signedDigest: Uint8Array = fileDigest;
  if (si.signedAttrs) {
    const md = si.signedAttrs.messageDigest;
    if (!md) return fail('the signed attributes have no messageDigest');
    if (!md.equals(Buffer.from(fileDigest))) {
      return fail(`the messageDigest attribute (${md.toString('hex')}) is not the ${DIGESTS[si.digest].label} digest of the file (${Buffer.from(fileDigest).toString('hex')}): the file was changed after signing`);
    }
    signedDigest = digestOf(si.digest, si.signedAttrs.der);
  }
  const why = checkSignatureValue(si, cert, signedDigest);
  return why ? fail(why) : { ...base, ok: true, certificate: cert };
}

/** A GOST signature fixes its digest; RSA named with a digest must use that one. */
function checkPairing(si: SignerInfo): string | undefined {
  const want = si.signature.digest;
  if (want && want !== si.digest) return `the digest algorithm ${DIGESTS[si.digest].label} does not go with signature algorithm ${si.signatureOid} (${DIGESTS[want].label})`;
  return undefined;
}

/** Undefined when the value verifies; else why not. */
function checkSignatureValue(si: SignerInfo, cert: Certificate, digest: Uint8Array): string | undefined {
  let key: ReturnType<typeof publicKeyOf>;
  try {
    key = publicKeyOf(cert);
  } catch (e) {
    return `the signer's certificate has an unusable public key: ${(e as Error).message}`;
  }
  const who = nameToString(cert.subject);
  if (si.signature.kind === 'gost') {
    if (key.kind !== 'gost' || key.family !== si.signature.family) {
      return `the signature is GOST R 34.10-${si.signature.family}, but the certificate of ${who} holds ${key.kind === 'gost' ? `a GOST R 34.10-${key.family}` : 'an RSA'} key`;
    }
    return gost.verify(key.curve, key.octets, digest, si.value) ? undefined : `the signature value does not verify with the public key of ${who}`;
  }
  if (key.kind !== 'rsa') return `the signature is RSA, but the certificate of ${who} holds a GOST key`;
  return rsaDigestInfoMatches(key.key, si.value, si.digest, digest);
}

/** PKCS#1 v1.5: the signature opens with the public key to DigestInfo { digestAlgorithm, digest }. */
function rsaDigestInfoMatches(key: KeyObject, value: Buffer, name: DigestName, digest: Uint8Array): string | undefined {
  let info: Buffer;
  try {
    info = publicDecrypt({ key, padding: constants.RSA_PKCS1_PADDING }, value);
  } catch {
    return 'the RSA signature value does not open with the signer\'s public key';
  }
  try {
    const [alg, octets] = children(parseDer(info));
    const oid = algorithmOid(alg, 'DigestInfo algorithm');
    if (oid !== DIGESTS[name].oid) return `the RSA signature holds a ${oid} digest, the SignerInfo says ${DIGESTS[name].label}`;
    return Buffer.from(expectTag(octets, TAG.OCTET_STRING, 'digest').content).equals(Buffer.from(digest)) ? undefined : 'the signature value does not verify: the digest it holds is not the digest of what was signed';
  } catch {
    return 'the RSA signature value does not hold a DigestInfo';
  }
}

function matchesSid(cert: Certificate, sid: SignerInfo['sid']): boolean {
  if ('keyId' in sid) return subjectKeyId(cert).equals(sid.keyId);
  return cert.serial === sid.serial && issuerDer(cert).equals(sid.issuer);
}

function describeSid(sid: SignerInfo['sid']): string {
  return 'keyId' in sid ? `subjectKeyIdentifier ${sid.keyId.toString('hex')}` : `serial ${sid.serial}`;
}

function tbsFields(cert: Certificate): { fields: Der[]; at: number } {
  const fields = children(parseDer(cert.tbs));
  return { fields, at: fields[0]!.tag === 0xa0 ? 1 : 0 };
}

/** The issuer Name of a certificate exactly as encoded (IssuerAndSerialNumber holds the same bytes). */
export function issuerDer(cert: Certificate): Buffer {
  const { fields, at } = tbsFields(cert);
  return Buffer.from(fields[at + 2]!.raw);
}

/** The subjectKeyIdentifier extension, or (as OpenSSL does without one) SHA-1 of the public key bits. */
export function subjectKeyId(cert: Certificate): Buffer {
  const { fields } = tbsFields(cert);
  const ext = fields.find((f) => f.tag === 0xa3);
  for (const e of ext ? children(children(ext)[0]!) : []) {
    const parts = children(e);
    if (decodeOid(parts[0]!.content) === '2.5.29.14') return Buffer.from(parseDer(parts[parts.length - 1]!.content).content);
  }
  const [, bits] = children(parseDer(cert.publicKey.spki));
  return createHash('sha1').update(bits!.content.subarray(1)).digest();
}
