import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadXml } from '../xml/libxml';
import { parseEnvelope } from '../envelope/parse';
import { ACTOR } from '../envelope/ns';
import { signEnvelope } from '../signature/sign';
import { readPrivateKey } from '../signature/keys';
import { parseCertificate, nameToString } from '../signature/x509';
import { KeyStore, KEY_ALGORITHMS, signatureUriFor, type KeyAlgorithm } from '../signature/identity';
import { TrustStore } from '../signature/trust';
import { judgeMessage } from '../signature/judge';
import type { SuiteName } from '../signature/algorithms';
import { loadRegistry } from '../registry/load';
import { foreignEncoding } from '../envelope/encoding';
import { NotSoapError } from '../envelope/parse';
import { XmlSyntaxError } from '../xml/dom';
import { GatewayFault, type FaultName } from '../faults/catalogue';
import { judgeAttachments } from '../attachments/judge';
import type { AppDocumentReport } from '../attachments/model';
import { isMultipart, readMultipart, MultipartError, Spool, DEFAULT_MULTIPART_LIMITS, sniffMultipartContentType, type MimePart } from '../http/multipart';
import { attachmentsConfig } from '../config';
import type { AttachmentSettings } from '../registry/definition';
import { SIGNATURES, DIGESTS } from '../signature/algorithms';

export interface SignatureFlags {
  out?: string;
  alg?: string;
  ca?: string;
  name?: string;
  as?: string;
  key?: string;
  cert?: string;
  actor?: string;
  keys?: string;
  systems?: string;
  at?: string;
  sid?: string;
  services?: string;
  /** the HTTP Content-Type of the file (an MTOM body: multipart/related with its boundary) */
  'content-type'?: string;
}

const write = (s: string) => process.stdout.write(s);

function algorithm(a: string | undefined): KeyAlgorithm {
  const alg = (a ?? 'gost2012-256') as KeyAlgorithm;
  if (!KEY_ALGORITHMS.includes(alg)) throw new Error(`--alg must be one of ${KEY_ALGORITHMS.join(', ')}`);
  return alg;
}

/** keys ca --out DIR | keys system MNEMONIC --ca DIR --out DIR */
export async function keysCommand(sub: string | undefined, arg: string | undefined, f: SignatureFlags): Promise<number> {
  const out = resolve(f.out ?? 'data/keys');
  mkdirSync(out, { recursive: true });
  const store = new KeyStore(out);
  if (sub === 'ca') {
    const name = f.name ?? 'ca';
    if (!store.ensureCa(name, algorithm(f.alg), { CN: arg ?? 'smev2-gateway test CA', O: 'smev2-gateway' })) throw new Error(`${store.path(name, 'key')} exists: remove it or choose another --name`);
    write(`created CA ${name}: ${store.path(name, 'pem')} (certificate), ${store.path(name, 'key')} (private key, mode 0600)\n`);
    return 0;
  }
  if (sub === 'system' && arg) {
    const ca = new KeyStore(resolve(f.ca ?? out));
    const caName = f.name ?? 'ca';
    if (!store.ensureIssued(arg, caName, algorithm(f.alg), { CN: arg }, ca)) throw new Error(`${store.path(arg, 'key')} exists: remove it first`);
    write(`created ${arg}: ${store.path(arg, 'pem')} (certificate issued by ${ca.path(caName, 'pem')}), ${store.path(arg, 'key')} (private key, mode 0600)\n`);
    return 0;
  }
  process.stderr.write('usage: smev2-gateway keys ca [NAME] --out DIR [--alg gost2012-256|gost2012-512|gost2001|rsa]\n       smev2-gateway keys system MNEMONIC --out DIR [--ca DIR] [--alg ...]\n');
  return 2;
}

/** sign FILE (--as MNEMONIC [--keys DIR] | --key K --cert C) [--actor smev|recipient] [--out F] */
export async function signCommand(file: string | undefined, f: SignatureFlags): Promise<number> {
  if (!file) {
    process.stderr.write('usage: smev2-gateway sign ENVELOPE (--as MNEMONIC [--keys DIR] | --key KEY.pem --cert CERT.pem) [--actor smev|recipient] [--out FILE]\n');
    return 2;
  }
  await loadXml();
  let signer;
  if (f.key && f.cert) {
    const key = readPrivateKey(readFileSync(f.key, 'utf8'));
    signer = { key, certificate: parseCertificate(readFileSync(f.cert)).der, signatureUri: signatureUriFor(key) };
  } else if (f.as) {
    signer = new KeyStore(resolve(f.keys ?? 'data/keys')).signer(f.as);
    if (!signer) throw new Error(`no key for ${f.as} in ${resolve(f.keys ?? 'data/keys')} (${f.as}.key and ${f.as}.pem): start the gateway once, or use smev2-gateway keys system`);
  } else throw new Error('say who signs: --as MNEMONIC, or --key KEY.pem --cert CERT.pem');
  const actor = f.actor === 'recipient' || f.actor === 'node' ? ACTOR.recipient : ACTOR.smev;
  const signed = signEnvelope(readFileSync(file), actor, signer, { header: actor === ACTOR.recipient });
  if (f.out) writeFileSync(f.out, signed);
  else process.stdout.write(signed);
  return 0;
}

/**
 * verify FILE [--systems DIR] [--keys DIR] [--at ISO] [--sid SID [--services DIR]]: every
 * reference, digest, signature and certificate, then the verdict of the same judge the gateway's
 * verify stage asks (signature/judge.ts), with the fault the gateway would answer. --sid takes
 * that SID's accepted algorithms (signatureAlgorithms); without it, the default ones.
 */
export async function verifyCommand(file: string | undefined, f: SignatureFlags): Promise<number> {
  if (!file) {
    process.stderr.write('usage: smev2-gateway verify ENVELOPE [--systems DIR] [--keys DIR] [--at ISO-TIME] [--sid SID [--services DIR]]\n');
    return 2;
  }
  await loadXml();
  const at = f.at ? new Date(f.at) : new Date();
  if (Number.isNaN(at.getTime())) throw new Error(`--at must be an ISO date-time, got ${f.at}`);
  const systemsDir = resolve(f.systems ?? 'systems');
  const keysDir = resolve(f.keys ?? 'data/keys');
  let algorithms: readonly SuiteName[] | undefined;
  let attachmentSettings: AttachmentSettings = { policy: 'enforce', requireSignatures: false, toProvider: 'as-sent', toConsumer: 'as-sent' };
  if (f.sid) {
    const servicesDir = resolve(f.services ?? 'wsdl');
    const def = loadRegistry(servicesDir).services.get(f.sid)?.def;
    if (!def) throw new Error(`--sid ${f.sid}: no such SID in ${servicesDir} (--services DIR names the registry)`);
    algorithms = def.signatureAlgorithms;
    attachmentSettings = def.attachments;
  }
  const trust = TrustStore.load(systemsDir, keysDir, { skipUnreadable: (p) => write(`trust: skipped ${p}\n`) });
  const spool = new Spool(attachmentsConfig(process.env).spoolDir);
  try {
    return await verifyFile(file, f, { at, algorithms, trust, attachmentSettings, spool });
  } finally {
    await spool.release();
  }
}

interface VerifyContext {
  at: Date;
  algorithms?: readonly SuiteName[];
  trust: TrustStore;
  attachmentSettings: AttachmentSettings;
  spool: Spool;
}

async function verifyFile(file: string, f: SignatureFlags, c: VerifyContext): Promise<number> {
  const { at, algorithms, trust } = c;
  const refuse = (fault: GatewayFault) => {
    write(`fault: ${fault.faultstring}\nmessage: FAIL\n`);
    return 1;
  };
  let raw: Buffer = readFileSync(file);
  // an MTOM body (multipart/related): the envelope is its root part, the other parts its attachments
  const contentType = f['content-type'] ?? sniffMultipartContentType(raw);
  let parts: MimePart[] | undefined;
  if (contentType && isMultipart(contentType)) {
    try {
      const m = await readMultipart((async function* () { yield raw; })(), contentType, { ...DEFAULT_MULTIPART_LIMITS, memoryThreshold: 1024 * 1024 }, c.spool);
      raw = m.root.bytes;
      parts = m.parts;
      write(`MTOM: root part ${raw.length} bytes, ${parts.length} other part(s): ${parts.map((p) => `${p.contentId ?? '(no Content-ID)'} ${p.size} bytes`).join(', ') || 'none'}\n`);
    } catch (e) {
      if (e instanceof MultipartError) return refuse(new GatewayFault('badMultipart', { reason: e.message }));
      throw e;
    }
  }
  const foreign = foreignEncoding(raw);
  if (foreign) return refuse(new GatewayFault('unsupportedEncoding', { encoding: foreign.encoding, where: foreign.where }));
  let p;
  try {
    p = parseEnvelope(raw);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return refuse(new GatewayFault('malformedXml', { reason: e.message }));
    if (e instanceof NotSoapError) return refuse(new GatewayFault('notSoap', { reason: e.message }));
    throw e;
  }
  let failure: { fault: FaultName; params: Record<string, string | number> } | undefined;
  try {
    const j = judgeMessage(p, trust, { at, algorithms });
    if (!j.blocks.length) write('no wsse:Security blocks: the message is not signed\n');
    for (const b of j.blocks) {
      write(`Security actor=${b.actor || '(none)'}\n`);
      const alg = b.signatureAlgorithm;
      for (const r of b.references) {
        write(`  reference ${r.uri} -> ${r.target ?? '?'}  digest ${DIGESTS.get(r.digestAlgorithm ?? '')?.name ?? r.digestAlgorithm}  ${r.ok ? 'ok' : `FAIL: ${r.reason}`}\n`);
      }
      write(`  signature ${SIGNATURES.get(alg ?? '')?.name ?? alg}${b.suite ? ` (${b.suite})` : ''}  ${b.signatureOk ? 'ok' : `FAIL${b.reason && !b.references.some((r) => !r.ok) ? `: ${b.reason}` : ''}`}\n`);
      const c = b.certificate;
      if (c) {
        write(`  certificate subject: ${nameToString(c.subject)}\n  certificate issuer:  ${nameToString(c.issuer)}\n`);
        write(`  certificate serial ${c.serial}, valid ${c.notBefore.toISOString()} .. ${c.notAfter.toISOString()}: ${at < c.notBefore || at > c.notAfter ? `NOT VALID at ${at.toISOString()}` : `valid at ${at.toISOString()}`}\n`);
      }
      write(`  verdict: ${b.ok ? 'ok' : `FAIL: ${b.reason}`}\n`);
    }
    write(`sender: ${j.summary}\n`);
    failure = j.failure;
    // reported whatever the signature's verdict (the gateway stops at the first failure; a person wants both)
    if (c.attachmentSettings.policy !== 'off') {
      const a = await judgeAttachments(p, parts, { settings: c.attachmentSettings, limits: attachmentsConfig(process.env).zip, trust, at, where: 'the message' });
      for (const line of attachmentLines(a.documents)) write(`${line}\n`);
      if (a.documents.length) write(`attachments: ${a.problems.length ? `FAIL (${a.problems.length} problem${a.problems.length > 1 ? 's' : ''})` : 'ok'}\n`);
      const first = a.problems[0];
      if (first && c.attachmentSettings.policy === 'enforce') failure ??= first;
    }
  } finally {
    p.doc.dispose();
  }
  if (failure) write(`fault: ${new GatewayFault(failure.fault, failure.params).faultstring}\n`);
  write(`message: ${failure ? 'FAIL' : 'ok'}\n`);
  return failure ? 1 : 0;
}

/** What `verify` prints of each AppDocument: the part and its DigestValue, the ZIP's files and their signatures. */
function attachmentLines(docs: AppDocumentReport[]): string[] {
  const out: string[] = [];
  for (const d of docs) {
    out.push(`AppDocument ${d.source}${d.size !== undefined ? `: ${d.size} bytes, sha256 ${d.sha256}` : ''}`);
    if (d.digest) out.push(`  DigestValue ${d.digest.declared ?? '(none)'}: ${d.digest.ok ? 'ok' : `FAIL (the part gives ${d.digest.actual})`}`);
    for (const z of d.zip?.files ?? []) {
      if (z.kind === 'signature') continue;
      const sig = z.signature;
      const sigText = !sig ? 'no signature'
        : `signature ${z.name}.sig ${sig.algorithm ?? ''} ${sig.outcome === 'ok' ? 'ok' : `FAIL: ${sig.reason ?? ''}`}${sig.signer ? `; signer ${sig.signer}` : ''}${sig.certificate ? `; certificate ${sig.certificate.trusted ? 'trusted' : `not trusted: ${sig.certificate.reason ?? ''}`}` : ''}`;
      out.push(`  file ${z.name} (${z.size} bytes): ${sigText}${z.schema ? `; schema ${z.schema.namespace} ${z.schema.outcome === 'ok' ? 'ok' : `FAIL: ${z.schema.reason ?? ''}`}` : ''}`);
    }
    for (const z of d.zip?.files ?? []) {
      if (z.kind === 'signature' && !d.zip?.files.some((x) => `${x.name}.sig` === z.name)) out.push(`  signature ${z.name}: its file ${z.name.replace(/\.sig$/, '')} is not in the ZIP`);
    }
    for (const p of d.zip?.problems ?? []) out.push(`  problem: ${new GatewayFault(p.fault, p.params).faultstring}`);
  }
  return out;
}

export const SIGNATURE_USAGE = `  smev2-gateway keys ca [NAME] --out DIR [--alg gost2012-256|gost2012-512|gost2001|rsa]
  smev2-gateway keys system MNEMONIC --out DIR [--ca DIR] [--alg ...]
  smev2-gateway sign ENVELOPE (--as MNEMONIC [--keys DIR] | --key K.pem --cert C.pem) [--actor smev|recipient] [--out F]
  smev2-gateway verify ENVELOPE|MTOM-BODY [--content-type CT] [--systems DIR] [--keys DIR] [--at ISO-TIME] [--sid SID [--services DIR]]
`;
