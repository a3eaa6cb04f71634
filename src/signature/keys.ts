import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { Certificate } from './x509';
import { decodeSubjectPublicKeyInfo, decodePrivateKeyPkcs8, type GostCurve, type KeyFamily } from '../crypto/gost';

/** A verification key, from a certificate. */
export type PublicKey =
  | { kind: 'rsa'; key: KeyObject }
  | { kind: 'gost'; family: KeyFamily; curve: GostCurve; paramSet: string; octets: Uint8Array };

/** A signing key, from a PKCS#8 PEM file. */
export type PrivateKey =
  | { kind: 'rsa'; key: KeyObject }
  | { kind: 'gost'; family: KeyFamily; curve: GostCurve; paramSet: string; d: bigint };

export const RSA_KEY_OID = '1.2.840.113549.1.1.1';

/**
 * Keys already decoded, by their SubjectPublicKeyInfo bytes: every message of a sender carries the
 * same certificate, and decoding an RSA key (createPublicKey) costs about as much as verifying
 * with it. Bounded; the oldest entry goes first.
 */
const decoded = new Map<string, PublicKey>();
const MAX_DECODED = 1024;

export function publicKeyOf(cert: Certificate): PublicKey {
  const pk = cert.publicKey;
  const id = `${pk.algorithm} ${pk.spki.toString('base64')}`;
  let key = decoded.get(id);
  if (!key) {
    key = decodePublicKey(cert);
    decoded.set(id, key);
    if (decoded.size > MAX_DECODED) decoded.delete(decoded.keys().next().value!);
  }
  return key;
}

function decodePublicKey(cert: Certificate): PublicKey {
  const pk = cert.publicKey;
  if (pk.algorithm === RSA_KEY_OID) return { kind: 'rsa', key: createPublicKey({ key: pk.spki, format: 'der', type: 'spki' }) };
  if (pk.algorithm.startsWith('1.2.643.')) {
    const info = decodeSubjectPublicKeyInfo(pk.spki);
    return { kind: 'gost', family: info.family, curve: info.curve, paramSet: info.paramSet, octets: info.publicKey };
  }
  throw new Error(`unsupported public key algorithm ${pk.algorithm}`);
}

/** Read a PKCS#8 private key (PEM or DER): GOST as OpenSSL's gost engine writes it, or RSA. */
export function readPrivateKey(input: Buffer | string): PrivateKey {
  const text = typeof input === 'string' ? input : input.toString('latin1');
  try {
    const g = decodePrivateKeyPkcs8(typeof input === 'string' ? input : text.includes('-----BEGIN') ? text : new Uint8Array(input));
    return { kind: 'gost', family: g.family, curve: g.curve, paramSet: g.paramSet, d: g.privateKey };
  } catch (gostError) {
    try {
      const key = createPrivateKey(text.includes('-----BEGIN') ? text : { key: Buffer.from(input as Buffer), format: 'der', type: 'pkcs8' });
      if (key.asymmetricKeyType !== 'rsa') throw new Error(`a ${key.asymmetricKeyType} key`);
      return { kind: 'rsa', key };
    } catch (rsaError) {
      throw new Error(`not a GOST or RSA PKCS#8 private key (${(gostError as Error).message}; ${(rsaError as Error).message})`);
    }
  }
}
