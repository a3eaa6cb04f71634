import { createSign, createVerify, randomBytes } from 'node:crypto';
import * as gost from '../crypto/gost';
import { sequence, oid, bitString, explicit, bigInteger, integer, set, utf8String, encodeTime, nullDer, TAG, tlv, children, parseDer } from '../crypto/asn1';
import { parseCertificate, NAME_OIDS, type Certificate } from './x509';
import { publicKeyOf, type PrivateKey } from './keys';

/** Certificate signature algorithms: OID → how to check and make one. */
const SIG = {
  rsaSha256: '1.2.840.113549.1.1.11',
  gost2001: '1.2.643.2.2.3',
  gost2012_256: '1.2.643.7.1.1.3.2',
  gost2012_512: '1.2.643.7.1.1.3.3',
} as const;

const GOST_CERT_ALG: Record<string, { family: gost.KeyFamily; digest: gost.DigestAlgorithm }> = {
  [SIG.gost2001]: { family: '2001', digest: 'gost94' },
  [SIG.gost2012_256]: { family: '2012-256', digest: 'streebog256' },
  [SIG.gost2012_512]: { family: '2012-512', digest: 'streebog512' },
};

/**
 * Verdicts of verifyCertificateSignature, by the issuer (a configured CA) and the certificate's
 * whole DER (the sender's, so not a SHA-1 thumbprint): the trust store asks for every message,
 * and a sender sends the same certificate each time. Bounded; the oldest entry goes first.
 */
const verdicts = new Map<string, boolean>();
const MAX_VERDICTS = 4096;

/** Did `issuer` sign `cert`? (RSA-SHA256 or GOST; the GOST value is s || r, as in XMLDSig.) */
export function verifyCertificateSignature(cert: Certificate, issuer: Certificate): boolean {
  const id = `${issuer.thumbprint} ${cert.der.toString('base64')}`;
  let ok = verdicts.get(id);
  if (ok === undefined) {
    ok = checkCertificateSignature(cert, issuer);
    verdicts.set(id, ok);
    if (verdicts.size > MAX_VERDICTS) verdicts.delete(verdicts.keys().next().value!);
  }
  return ok;
}

function checkCertificateSignature(cert: Certificate, issuer: Certificate): boolean {
  if (cert.issuer.length !== issuer.subject.length || cert.issuer.some((a, i) => a.oid !== issuer.subject[i]!.oid || a.value !== issuer.subject[i]!.value)) return false;
  try {
    const key = publicKeyOf(issuer);
    if (cert.signatureAlgorithm === SIG.rsaSha256) return key.kind === 'rsa' && createVerify('sha256').update(cert.tbs).verify(key.key, cert.signature);
    const g = GOST_CERT_ALG[cert.signatureAlgorithm];
    if (!g || key.kind !== 'gost' || key.family !== g.family) return false;
    return gost.verify(key.curve, key.octets, gost.digest(g.digest, cert.tbs), cert.signature);
  } catch {
    return false;
  }
}

export interface IssueOptions {
  subject: { CN: string; O?: string; OU?: string };
  /** the subject's SubjectPublicKeyInfo (DER) */
  spki: Uint8Array;
  issuerKey: PrivateKey;
  /** the issuer's certificate; absent: self-signed (issuer name = subject name) */
  issuer?: Certificate;
  notBefore?: Date;
  days?: number;
  ca?: boolean;
}

function name(n: IssueOptions['subject']): Uint8Array {
  const rdn = (o: string, v: string) => set(sequence(oid(o), utf8String(v)));
  return sequence(...[n.O && rdn(NAME_OIDS.O, n.O), n.OU && rdn(NAME_OIDS.OU, n.OU), rdn(NAME_OIDS.CN, n.CN)].filter((x): x is Uint8Array => !!x));
}

/** Issue an X.509 v3 certificate (a test CA, a system's or the node's certificate). */
export function issueCertificate(o: IssueOptions): Certificate {
  const key = o.issuerKey;
  const sigOid = key.kind === 'rsa' ? SIG.rsaSha256 : key.family === '2001' ? SIG.gost2001 : key.family === '2012-256' ? SIG.gost2012_256 : SIG.gost2012_512;
  const sigAlg = key.kind === 'rsa' ? sequence(oid(sigOid), nullDer()) : sequence(oid(sigOid));
  const notBefore = o.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (o.days ?? 3650) * 86400_000);
  const subjectName = name(o.subject);
  const issuerName = o.issuer ? Buffer.from(parseIssuerSubject(o.issuer)) : subjectName;
  const extensions = o.ca
    ? explicit(3, sequence(
      sequence(oid('2.5.29.19'), tlv(TAG.BOOLEAN, Uint8Array.of(0xff)), tlv(TAG.OCTET_STRING, sequence(tlv(TAG.BOOLEAN, Uint8Array.of(0xff))))),
      sequence(oid('2.5.29.15'), tlv(TAG.BOOLEAN, Uint8Array.of(0xff)), tlv(TAG.OCTET_STRING, bitStringBits(0x06))),
    ))
    : explicit(3, sequence(sequence(oid('2.5.29.15'), tlv(TAG.BOOLEAN, Uint8Array.of(0xff)), tlv(TAG.OCTET_STRING, bitStringBits(0xc0)))));
  const tbs = sequence(
    explicit(0, integer(Uint8Array.of(2))),
    bigInteger(BigInt(`0x${randomBytes(12).toString('hex')}`) | 1n),
    sigAlg,
    issuerName,
    sequence(encodeTime(notBefore), encodeTime(notAfter)),
    subjectName,
    o.spki,
    extensions,
  );
  let signature: Uint8Array;
  if (key.kind === 'rsa') signature = createSign('sha256').update(tbs).sign(key.key);
  else signature = gost.sign(key.curve, key.d, gost.digest(GOST_CERT_ALG[sigOid]!.digest, tbs));
  return parseCertificate(sequence(tbs, sigAlg, bitString(signature)));
}

/** keyUsage bits: one byte, trailing zero bits unused. */
function bitStringBits(byte: number): Uint8Array {
  let unused = 0;
  while (unused < 7 && !(byte & (1 << unused))) unused++;
  return tlv(TAG.BIT_STRING, Uint8Array.of(unused, byte));
}

/** The subject Name of a certificate, as encoded (to write it as the issuer of another). */
function parseIssuerSubject(c: Certificate): Uint8Array {
  const f = children(children(parseDer(c.der))[0]!);
  const i = f[0]!.tag === 0xa0 ? 1 : 0;
  return f[i + 4]!.raw;
}
