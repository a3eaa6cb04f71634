/**
 * GOST key containers: SubjectPublicKeyInfo (certificates), PKCS#8 PrivateKeyInfo as
 * OpenSSL's gost engine writes and reads it, and the public key of an X.509 certificate.
 *
 *   AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters SEQUENCE {
 *       publicKeyParamSet OID, digestParamSet OID OPTIONAL, encryptionParamSet OID OPTIONAL } }
 *   SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier, BIT STRING { OCTET STRING (x || y) } }
 *   PrivateKeyInfo ::= SEQUENCE { INTEGER 0, AlgorithmIdentifier, OCTET STRING (d) }
 */
import {
  TAG,
  bitString,
  children,
  decodeOid,
  DerError,
  expectTag,
  fromPem,
  integer,
  octetString,
  oid,
  parseDer,
  readTlv,
  sequence,
  toPem,
} from '../asn1';
import { curveByOid, getCurve, type GostCurve } from './curves';
import { derIntegerToBigInt, encodePrivateScalar, decodePrivateScalar } from './encoding';
import { decodePublicKey, privateScalar, publicKeyFromPrivate, publicKeyPoint, type CurveRef, type PrivateKey } from './sign';

/** Which GOST R 34.10 algorithm a key belongs to (the curve alone does not say: CryptoPro A serves 2001 and 2012-256). */
export type KeyFamily = '2001' | '2012-256' | '2012-512';

export const KEY_ALGORITHM_OID: Record<KeyFamily, string> = {
  '2001': '1.2.643.2.2.19', // id-GostR3410-2001
  '2012-256': '1.2.643.7.1.1.1.1', // id-tc26-gost3410-12-256
  '2012-512': '1.2.643.7.1.1.1.2', // id-tc26-gost3410-12-512
};

/** The digest a family's keys are paired with, as the AlgorithmIdentifier names it. */
export const FAMILY_DIGEST_OID: Record<KeyFamily, string> = {
  '2001': '1.2.643.2.2.30.1', // id-GostR3411-94-CryptoProParamSet
  '2012-256': '1.2.643.7.1.1.2.2', // id-tc26-gost3411-12-256
  '2012-512': '1.2.643.7.1.1.2.3', // id-tc26-gost3411-12-512
};

const FAMILY_BY_OID = new Map<string, KeyFamily>(
  (Object.entries(KEY_ALGORITHM_OID) as [KeyFamily, string][]).map(([f, o]) => [o, f]),
);

export interface GostKeyParams {
  family: KeyFamily;
  curve: GostCurve;
  /** The publicKeyParamSet OID as written (it may be an alias such as XchA). */
  paramSet: string;
  /** The digestParamSet OID, when present. */
  digestParamSet?: string;
}

export interface GostPublicKeyInfo extends GostKeyParams {
  /** x || y, each little-endian: what `verify` takes. */
  publicKey: Uint8Array;
}

export interface GostPrivateKeyInfo extends GostKeyParams {
  privateKey: bigint;
}

function readAlgorithm(node: ReturnType<typeof parseDer>): GostKeyParams {
  const [algOid, params] = children(expectTag(node, TAG.SEQUENCE, 'AlgorithmIdentifier'));
  const alg = decodeOid(expectTag(algOid, TAG.OID, 'algorithm').content);
  const family = FAMILY_BY_OID.get(alg);
  if (!family) throw new DerError(`not a GOST R 34.10 key algorithm: ${alg}`);
  const ps = children(expectTag(params, TAG.SEQUENCE, 'GOST key parameters'));
  const paramSet = decodeOid(expectTag(ps[0], TAG.OID, 'publicKeyParamSet').content);
  const curve = curveByOid(paramSet);
  if (!curve) throw new DerError(`unknown GOST R 34.10 parameter set ${paramSet}`);
  if ((curve.bits === 512) !== (family === '2012-512'))
    throw new DerError(`parameter set ${paramSet} does not fit a GOST R 34.10-${family} key`);
  const digestParamSet = ps[1]?.tag === TAG.OID ? decodeOid(ps[1].content) : undefined;
  return digestParamSet ? { family, curve, paramSet, digestParamSet } : { family, curve, paramSet };
}

/**
 * The AlgorithmIdentifier OpenSSL's gost engine writes: the digest OID is present for 2001
 * keys and for the CryptoPro and 512-bit A/B parameter sets, and absent for the TC26 256-bit
 * sets and 512-bit set C (R 1323565.1.024).
 */
function writeAlgorithm(family: KeyFamily, paramSet: string): Uint8Array {
  const omitDigest = family !== '2001' && (paramSet.startsWith('1.2.643.7.1.2.1.1.') || paramSet === '1.2.643.7.1.2.1.2.3');
  const params = omitDigest ? sequence(oid(paramSet)) : sequence(oid(paramSet), oid(FAMILY_DIGEST_OID[family]));
  return sequence(oid(KEY_ALGORITHM_OID[family]), params);
}

function defaultFamily(c: GostCurve): KeyFamily {
  return c.bits === 512 ? '2012-512' : '2012-256';
}

function checkFamily(family: KeyFamily, c: GostCurve): void {
  if ((c.bits === 512) !== (family === '2012-512')) throw new RangeError(`${c.name} does not fit a GOST R 34.10-${family} key`);
}

/** Parse a SubjectPublicKeyInfo (DER). The point is validated (once per key: cached). */
export function decodeSubjectPublicKeyInfo(der: Uint8Array): GostPublicKeyInfo {
  const [alg, bits] = children(expectTag(parseDer(der), TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const params = readAlgorithm(alg!);
  const bs = expectTag(bits, TAG.BIT_STRING, 'subjectPublicKey').content;
  if (bs[0] !== 0) throw new DerError('subjectPublicKey has unused bits');
  const inner = expectTag(parseDer(bs.subarray(1)), TAG.OCTET_STRING, 'GOST public key').content;
  const publicKey = new Uint8Array(inner);
  publicKeyPoint(params.curve, publicKey); // throws if not a valid point; cached for verify
  return { ...params, publicKey };
}

export interface KeyEncodingOptions {
  /** Default: '2012-256' for 256-bit curves, '2012-512' for 512-bit ones. */
  family?: KeyFamily;
  /** The parameter-set OID to write; default: the curve's canonical OID. */
  paramSet?: string;
}

function resolve(curve: CurveRef, opts: KeyEncodingOptions): { c: GostCurve; family: KeyFamily; paramSet: string } {
  const c = getCurve(curve);
  const family = opts.family ?? defaultFamily(c);
  checkFamily(family, c);
  const paramSet = opts.paramSet ?? c.oids[0]!;
  if (curveByOid(paramSet) !== c) throw new RangeError(`${paramSet} does not name ${c.name}`);
  return { c, family, paramSet };
}

export function encodeSubjectPublicKeyInfo(curve: CurveRef, publicKey: Uint8Array, opts: KeyEncodingOptions = {}): Uint8Array {
  const { c, family, paramSet } = resolve(curve, opts);
  decodePublicKey(publicKey, c);
  return sequence(writeAlgorithm(family, paramSet), bitString(octetString(publicKey)));
}

/** The GOST public key of an X.509 certificate (DER, PEM, or bare base64 as in a BinarySecurityToken). */
export function publicKeyFromCertificate(cert: Uint8Array | string): GostPublicKeyInfo {
  const der = fromPem(cert, typeof cert === 'string' && cert.includes('-----BEGIN') ? 'CERTIFICATE' : undefined);
  const [tbs] = children(expectTag(parseDer(der), TAG.SEQUENCE, 'Certificate'));
  const fields = children(expectTag(tbs, TAG.SEQUENCE, 'TBSCertificate'));
  // [0] version?, serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const at = fields[0]?.tag === 0xa0 ? 6 : 5;
  const spki = fields[at];
  if (!spki) throw new DerError('certificate has no subjectPublicKeyInfo');
  return decodeSubjectPublicKeyInfo(spki.raw);
}

/**
 * Parse a PKCS#8 PrivateKeyInfo (DER or PEM "PRIVATE KEY"). The key octets may be the raw
 * little-endian scalar (what OpenSSL's gost engine writes), a DER OCTET STRING holding it,
 * or a DER INTEGER (big-endian): the three forms the gost engine reads. CryptoPro's masked
 * keys are not supported.
 */
export function decodePrivateKeyPkcs8(input: Uint8Array | string): GostPrivateKeyInfo {
  const der = fromPem(input, typeof input === 'string' ? 'PRIVATE KEY' : undefined);
  const [version, alg, key] = children(expectTag(parseDer(der), TAG.SEQUENCE, 'PrivateKeyInfo'));
  expectTag(version, TAG.INTEGER, 'version');
  const params = readAlgorithm(alg!);
  const octets = expectTag(key, TAG.OCTET_STRING, 'privateKey').content;
  let d: bigint;
  if (octets.length === params.curve.size) {
    d = decodePrivateScalar(octets);
  } else {
    const { node, next } = readTlv(octets, 0);
    if (next !== octets.length) throw new DerError('unsupported GOST private key encoding (masked CryptoPro key?)');
    if (node.tag === TAG.OCTET_STRING && node.content.length === params.curve.size) d = decodePrivateScalar(node.content);
    else if (node.tag === TAG.INTEGER) d = derIntegerToBigInt(node.content);
    else throw new DerError('unsupported GOST private key encoding');
  }
  return { ...params, privateKey: privateScalar(params.curve, d) };
}

/** PKCS#8 DER as OpenSSL's gost engine writes it: the key octets are d, little-endian. */
export function encodePrivateKeyPkcs8(curve: CurveRef, privateKey: PrivateKey, opts: KeyEncodingOptions = {}): Uint8Array {
  const { c, family, paramSet } = resolve(curve, opts);
  const d = privateScalar(c, privateKey);
  return sequence(integer(Uint8Array.of(0)), writeAlgorithm(family, paramSet), octetString(encodePrivateScalar(d, c.size)));
}

export function privateKeyToPem(der: Uint8Array): string {
  return toPem(der, 'PRIVATE KEY');
}

export function publicKeyToPem(der: Uint8Array): string {
  return toPem(der, 'PUBLIC KEY');
}

/** Convenience: the SubjectPublicKeyInfo matching a private key. */
export function subjectPublicKeyInfoFromPrivate(curve: CurveRef, privateKey: PrivateKey, opts: KeyEncodingOptions = {}): Uint8Array {
  return encodeSubjectPublicKeyInfo(curve, publicKeyFromPrivate(curve, privateKey), opts);
}
