import { createHash } from 'node:crypto';
import { readDer, oidToString, readTime, readString, TAG, type Der } from './der';

export interface NameAttribute {
  oid: string;
  value: string;
}

export interface Certificate {
  der: Buffer;
  /** TBSCertificate exactly as encoded: what the issuer signed */
  tbs: Buffer;
  serial: string;
  issuer: NameAttribute[];
  subject: NameAttribute[];
  notBefore: Date;
  notAfter: Date;
  signatureAlgorithm: string;
  signature: Buffer;
  publicKey: {
    algorithm: string;
    /** GOST: the curve (public key parameter set) OID */
    curve?: string;
    /** GOST: the raw key octets (x then y, little-endian); RSA: empty (use spki) */
    octets: Buffer;
    spki: Buffer;
  };
  /** SHA-1 of the DER, hex: the usual thumbprint */
  thumbprint: string;
}

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.6': 'C', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.9': 'STREET', '2.5.4.10': 'O', '2.5.4.11': 'OU',
  '2.5.4.12': 'T', '2.5.4.4': 'SN', '2.5.4.42': 'GN', '1.2.840.113549.1.9.1': 'E', '1.2.643.100.1': 'OGRN', '1.2.643.100.3': 'SNILS',
  '1.2.643.3.131.1.1': 'INN', '1.2.643.100.4': 'INNLE', '1.2.643.100.5': 'OGRNIP',
};

export function nameToString(name: NameAttribute[]): string {
  return name.map((a) => `${NAMES[a.oid] ?? a.oid}=${a.value}`).join(', ');
}

/** Parse a DER (or base64, or PEM) X.509 certificate. Throws on anything that is not one. */
export function parseCertificate(input: Buffer | string): Certificate {
  const derBytes = typeof input === 'string' ? Buffer.from(input.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64') : input;
  const cert = readDer(derBytes);
  const [tbs, sigAlg, sig] = cert.children ?? [];
  if (cert.tag !== TAG.SEQUENCE || !tbs?.children || !sigAlg?.children || sig?.tag !== TAG.BIT_STRING) throw new Error('not an X.509 certificate');
  let i = 0;
  const f = tbs.children;
  if (f[0].tag === 0xa0) i++; // version
  const serial = f[i++].value.toString('hex');
  i++; // signature algorithm (inside TBS)
  const issuer = readName(f[i++]);
  const validity = f[i++].children!;
  const subject = readName(f[i++]);
  const spki = f[i++];
  const [alg, keyBits] = spki.children!;
  const algorithm = oidToString(alg.children![0].value);
  const params = alg.children![1];
  const curve = params?.tag === TAG.SEQUENCE && params.children?.[0]?.tag === TAG.OID ? oidToString(params.children[0].value) : undefined;
  const keyValue = keyBits.value.subarray(1);
  const octetsEl = algorithm.startsWith('1.2.643.') ? readDer(keyValue) : undefined;
  return {
    der: cert.bytes,
    tbs: tbs.bytes,
    serial,
    issuer,
    subject,
    notBefore: readTime(validity[0]),
    notAfter: readTime(validity[1]),
    signatureAlgorithm: oidToString(sigAlg.children[0].value),
    signature: sig.value.subarray(1),
    publicKey: { algorithm, curve, octets: octetsEl ? octetsEl.value : Buffer.alloc(0), spki: spki.bytes },
    thumbprint: createHash('sha1').update(cert.bytes).digest('hex'),
  };
}

function readName(el: Der): NameAttribute[] {
  return (el.children ?? []).flatMap((rdn) => (rdn.children ?? []).map((atv) => ({
    oid: oidToString(atv.children![0].value),
    value: readString(atv.children![1]),
  })));
}

export function certificateToPem(der: Buffer): string {
  return `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}
