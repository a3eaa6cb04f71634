import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import * as gost from '../crypto/gost';
import { toPem } from '../crypto/asn1';
import { issueCertificate } from './certs';
import { readPrivateKey, type PrivateKey } from './keys';
import { parseCertificate, type Certificate } from './x509';
import { URI } from './algorithms';
import type { Signer } from './sign';

export const KEY_ALGORITHMS = ['gost2012-256', 'gost2012-512', 'gost2001', 'rsa'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Curves a new key is made on: the CryptoPro A set (= TC26 256 paramSetB), TC26 512 paramSetA. */
const CURVE: Record<Exclude<KeyAlgorithm, 'rsa'>, { curve: string; family: gost.KeyFamily }> = {
  'gost2012-256': { curve: '1.2.643.2.2.35.1', family: '2012-256' },
  'gost2012-512': { curve: '1.2.643.7.1.2.1.2.1', family: '2012-512' },
  gost2001: { curve: '1.2.643.2.2.35.1', family: '2001' },
};

export interface NewKey {
  key: PrivateKey;
  /** PKCS#8 PEM: OpenSSL (with the gost engine for GOST) reads it */
  pem: string;
  spki: Uint8Array;
}

export function newKey(alg: KeyAlgorithm): NewKey {
  if (alg === 'rsa') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return { key: { kind: 'rsa', key: privateKey }, pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, spki: publicKey.export({ type: 'spki', format: 'der' }) };
  }
  const { curve, family } = CURVE[alg];
  const d = gost.generatePrivateKey(curve);
  const pem = gost.privateKeyToPem(gost.encodePrivateKeyPkcs8(curve, d, { family }));
  return { key: readPrivateKey(pem), pem, spki: gost.subjectPublicKeyInfoFromPrivate(curve, d, { family }) };
}

/** The XMLDSig algorithms a key signs with. */
export function signatureUriFor(key: PrivateKey): string {
  return key.kind === 'rsa' ? URI.rsaSha256 : gost.PREFERRED_URIS[key.family].signature;
}

export function certificatePem(c: Certificate): string {
  return toPem(c.der, 'CERTIFICATE');
}

/** Write a private key readable by its owner only; never print it. */
export function writePrivateKey(path: string, pem: string): void {
  writeFileSync(path, pem, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * A folder of keys and certificates: `<name>.key` (PKCS#8 PEM, mode 0600) beside `<name>.pem`.
 * `demo-ca` issues the demo systems' and the node's certificates.
 */
export class KeyStore {
  private readonly cache = new Map<string, Signer | null>();

  constructor(readonly dir: string) {}

  path(name: string, ext: 'key' | 'pem'): string {
    return join(this.dir, `${name}.${ext}`);
  }

  has(name: string): boolean {
    return existsSync(this.path(name, 'key')) && existsSync(this.path(name, 'pem'));
  }

  /** The signer of `name`, or undefined when the folder holds no key for it. */
  signer(name: string): Signer | undefined {
    if (!this.cache.has(name)) {
      this.cache.set(name, this.has(name) ? {
        key: readPrivateKey(readFileSync(this.path(name, 'key'), 'utf8')),
        certificate: parseCertificate(readFileSync(this.path(name, 'pem'), 'utf8')).der,
        signatureUri: '',
      } : null);
      const s = this.cache.get(name);
      if (s) s.signatureUri = signatureUriFor(s.key);
    }
    return this.cache.get(name) ?? undefined;
  }

  /** Create a CA (self-signed) named `name` unless it exists. */
  ensureCa(name: string, alg: KeyAlgorithm, subject: { CN: string; O?: string }): boolean {
    if (this.has(name)) return false;
    mkdirSync(this.dir, { recursive: true });
    const k = newKey(alg);
    const cert = issueCertificate({ subject, spki: k.spki, issuerKey: k.key, ca: true, days: 3650 });
    writePrivateKey(this.path(name, 'key'), k.pem);
    writeFileSync(this.path(name, 'pem'), certificatePem(cert));
    this.cache.delete(name);
    return true;
  }

  /** Create a key and a certificate issued by CA `caName` (of `caStore`) for `name` unless they exist. */
  ensureIssued(name: string, caName: string, alg: KeyAlgorithm, subject: { CN: string; O?: string; OU?: string }, caStore: KeyStore = this): boolean {
    if (this.has(name)) return false;
    const ca = caStore.signer(caName);
    if (!ca) throw new Error(`no CA ${caName}.key / ${caName}.pem in ${caStore.dir}: create one with smev2-gateway keys ca --out ${caStore.dir}`);
    mkdirSync(this.dir, { recursive: true });
    const k = newKey(alg);
    const cert = issueCertificate({ subject, spki: k.spki, issuerKey: ca.key, issuer: parseCertificate(ca.certificate), days: 1825 });
    writePrivateKey(this.path(name, 'key'), k.pem);
    writeFileSync(this.path(name, 'pem'), certificatePem(cert));
    this.cache.delete(name);
    return true;
  }
}
