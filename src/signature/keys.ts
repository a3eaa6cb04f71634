import { createPublicKey, type KeyObject } from 'node:crypto';
import type { Certificate } from './x509';

/** A verification key, from a certificate. GOST keys keep the curve OID and the raw octets. */
export type PublicKey =
  | { kind: 'rsa'; key: KeyObject }
  | { kind: 'gost'; curve: string; octets: Buffer };

export type PrivateKey =
  | { kind: 'rsa'; key: KeyObject }
  | { kind: 'gost'; curve: string; d: bigint };

export const KEY_ALGORITHMS = {
  rsa: '1.2.840.113549.1.1.1',
  gost2001: '1.2.643.2.2.19',
  gost2012_256: '1.2.643.7.1.1.1.1',
  gost2012_512: '1.2.643.7.1.1.1.2',
} as const;

export function publicKeyOf(cert: Certificate): PublicKey {
  const pk = cert.publicKey;
  if (pk.algorithm === KEY_ALGORITHMS.rsa) return { kind: 'rsa', key: createPublicKey({ key: pk.spki, format: 'der', type: 'spki' }) };
  if (pk.algorithm.startsWith('1.2.643.')) {
    if (!pk.curve) throw new Error('the GOST certificate names no curve (public key parameter set)');
    return { kind: 'gost', curve: pk.curve, octets: pk.octets };
  }
  throw new Error(`unsupported public key algorithm ${pk.algorithm}`);
}
