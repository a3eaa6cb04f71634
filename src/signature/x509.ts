import { createHash } from 'node:crypto';
import { parseDer, children, decodeOid, decodeString, decodeTime, fromPem, TAG, type Der } from '../crypto/asn1';

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
  /** the signature BIT STRING's bits */
  signature: Buffer;
  publicKey: {
    algorithm: string;
    /** GOST: the curve (public key parameter set) OID */
    curve?: string;
    /** the SubjectPublicKeyInfo as encoded */
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

export const NAME_OIDS = { CN: '2.5.4.3', O: '2.5.4.10', OU: '2.5.4.11', C: '2.5.4.6' } as const;

export function nameToString(name: NameAttribute[]): string {
  return name.map((a) => `${NAMES[a.oid] ?? a.oid}=${a.value}`).join(', ');
}

/** Parse a certificate from DER, PEM or bare base64 (as in a BinarySecurityToken). */
export function parseCertificate(input: Uint8Array | string): Certificate {
  const der = Buffer.from(fromPem(input));
  try {
    const cert = parseDer(der);
    const [tbs, sigAlg, sig] = children(cert);
    if (cert.tag !== TAG.SEQUENCE || tbs?.tag !== TAG.SEQUENCE || sigAlg?.tag !== TAG.SEQUENCE || sig?.tag !== TAG.BIT_STRING) throw new Error('not a certificate');
    const f = children(tbs);
    let i = f[0]!.tag === 0xa0 ? 1 : 0;
    const serial = Buffer.from(f[i++]!.content).toString('hex');
    i++; // the signature algorithm again, inside TBS
    const issuer = readName(f[i++]!);
    const validity = children(f[i++]!);
    const subject = readName(f[i++]!);
    const spki = f[i++]!;
    const [alg] = children(spki);
    const [algOid, params] = children(alg!);
    const paramKids = params?.tag === TAG.SEQUENCE ? children(params) : [];
    return {
      der,
      tbs: Buffer.from(tbs.raw),
      serial,
      issuer,
      subject,
      notBefore: decodeTime(validity[0]!),
      notAfter: decodeTime(validity[1]!),
      signatureAlgorithm: decodeOid(children(sigAlg)[0]!.content),
      signature: Buffer.from(sig.content.subarray(1)),
      publicKey: {
        algorithm: decodeOid(algOid!.content),
        curve: paramKids[0]?.tag === TAG.OID ? decodeOid(paramKids[0].content) : undefined,
        spki: Buffer.from(spki.raw),
      },
      thumbprint: createHash('sha1').update(der).digest('hex'),
    };
  } catch (e) {
    throw new Error(`not an X.509 certificate (${(e as Error).message})`);
  }
}

function readName(el: Der): NameAttribute[] {
  return children(el).flatMap((rdn) => children(rdn).map((atv) => {
    const [type, value] = children(atv);
    return { oid: decodeOid(type!.content), value: decodeString(value!) };
  }));
}
