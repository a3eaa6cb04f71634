/**
 * Open an AppDocument ZIP and judge it (PROTOCOL.md §7, issue 16): the zip bomb limits, every
 * entry listed with its size and SHA-256, each `<file>.sig` verified as a detached CMS signature
 * over `<file>`, the signer's certificate judged by the trust store, and a request manifest
 * against its schema. Every entry is inflated once, as a stream: the `.sig` files first (small,
 * held), so that each signed file is hashed with the digests its signers need as it inflates.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { loadXml } from '../xml/libxml';
import { nameToString } from '../signature/x509';
import type { TrustStore } from '../signature/trust';
import type { AttachmentProblem, SignatureVerdict, ZipFile, ZipLimits, ZipReport } from './model';
import { openZip, ZipReadError, type OpenedZip, type ZipEntry } from './zip';
import { checkDeclared, checkEntryCount, InflateMeter } from './guard';
import { CmsError, digestsNeeded, parseSignedData, verifySigner, type SignedData } from './cms';
import { digestOf, newHasher, type DigestName } from './cms-algorithms';
import { isRequestName, judgeRequestDocument, MAX_REQUEST_BYTES } from './manifest';

export interface InspectOptions {
  limits: ZipLimits;
  /** judges each signer's certificate (SignatureVerdict.certificate); without it, not judged */
  trust?: TrustStore;
  /** the message's time: certificates are judged as of then */
  at: Date;
  /** the message's Sender mnemonic: a signer's certificate must belong to it */
  sender?: string;
  /** the SID requires every file signed (GW-5008) */
  requireSignatures?: boolean;
  /** the message, for the faults' texts ("the AppDocument of {where}") */
  where: string;
}

/** A `.sig` is read whole to be parsed only up to this size: CMS signatures are a few KiB. */
const MAX_SIGNATURE_BYTES = 1024 * 1024;
/** How much of an entry's start is kept to sniff it (a request document's namespace). */
const HEAD_BYTES = 4096;

export async function inspectZip(source: { path: string } | { bytes: Buffer }, o: InspectOptions): Promise<ZipReport> {
  const report: ZipReport = { ...(await fingerprint(source)), files: [], problems: [] };
  let zip: OpenedZip | undefined;
  try {
    zip = await openZip(source);
    const read = await readEntries(zip, o.limits);
    await loadXml(); // request documents are parsed with libxml2-wasm (loaded once per process)
    judge(read, o, report);
  } catch (e) {
    if (!(e instanceof ZipReadError)) throw e;
    report.problems.push({ fault: e.kind === 'bomb' ? 'attachmentZipBomb' : 'attachmentZipBroken', params: { where: o.where, reason: e.message } });
  } finally {
    zip?.close();
  }
  return report;
}

/** One entry, read: its fingerprint, the digests its signers asked for, and its bytes when small and needed. */
interface ReadEntry {
  entry: ZipEntry;
  kind: ZipFile['kind'];
  sha256: string;
  digests: Map<DigestName, Uint8Array>;
  head: Buffer;
  /** held: a `.sig` or a request document no larger than its limit */
  bytes?: Buffer;
  /** a `.sig`: what it holds, or why it is not a CMS signature */
  cms?: SignedData | CmsError;
}

function kindOf(name: string): ZipFile['kind'] {
  if (/\.sig$/i.test(name)) return 'signature';
  return isRequestName(name) ? 'request' : 'file';
}

/** The limits, then the `.sig` entries (parsed), then every other entry hashed as its signers need. */
async function readEntries(zip: OpenedZip, limits: ZipLimits): Promise<Map<string, ReadEntry>> {
  const tooMany = checkEntryCount(zip.entryCount, limits);
  if (tooMany) throw new ZipReadError(tooMany, 'bomb');
  const entries = (await zip.list()).filter((e) => !e.isDirectory);
  const refused = checkDeclared(entries, limits);
  if (refused) throw new ZipReadError(refused, 'bomb');
  const seen = new Set<string>();
  const twice = entries.find((e) => seen.size === seen.add(e.name).size);
  // two entries of one name: which one a tool extracts, and which one a .sig was checked over, differ
  if (twice) throw new ZipReadError(`two entries are named "${twice.name}"`, 'broken');
  const meter = new InflateMeter(limits);
  const read = new Map<string, ReadEntry>();
  for (const e of entries.filter((x) => kindOf(x.name) === 'signature')) {
    const r = await readEntry(zip, e, meter, [], e.uncompressedSize <= MAX_SIGNATURE_BYTES);
    r.cms = r.bytes ? parseCms(r.bytes) : new CmsError(`the signature is ${e.uncompressedSize} bytes, more than the ${MAX_SIGNATURE_BYTES} a .sig may have to be read`);
    read.set(e.name, r);
  }
  for (const e of entries.filter((x) => kindOf(x.name) !== 'signature')) {
    const keep = kindOf(e.name) === 'request' && e.uncompressedSize <= MAX_REQUEST_BYTES;
    read.set(e.name, await readEntry(zip, e, meter, digestsWanted(read, e.name), keep));
  }
  // a signature over a signature (x.sig.sig): its target is held already
  for (const r of read.values()) {
    if (r.kind === 'signature' && r.bytes) for (const d of digestsWanted(read, r.entry.name)) r.digests.set(d, digestOf(d, r.bytes));
  }
  return new Map(entries.map((e) => [e.name, read.get(e.name)!])); // the central directory's order
}

function parseCms(bytes: Buffer): SignedData | CmsError {
  try {
    return parseSignedData(bytes);
  } catch (e) {
    if (e instanceof CmsError) return e;
    throw e;
  }
}

/** The digests the signers of `<name>.sig` use over `name`. */
function digestsWanted(read: Map<string, ReadEntry>, name: string): DigestName[] {
  const cms = signatureOf(read, name)?.cms;
  return cms && !(cms instanceof CmsError) ? digestsNeeded(cms) : [];
}

function signatureOf(read: Map<string, ReadEntry>, name: string): ReadEntry | undefined {
  return read.get(`${name}.sig`) ?? read.get(`${name}.SIG`);
}

/** Inflate one entry once: SHA-256, the wanted digests, its head, and its bytes if `keep`. */
async function readEntry(zip: OpenedZip, entry: ZipEntry, meter: InflateMeter, wanted: DigestName[], keep: boolean): Promise<ReadEntry> {
  const sha = createHash('sha256');
  const hashers = wanted.map((d) => [d, newHasher(d)] as const);
  const count = meter.counter(entry);
  const held: Buffer[] = [];
  let headLength = 0;
  await zip.stream(entry, (chunk) => {
    count(chunk);
    sha.update(chunk);
    for (const [, h] of hashers) h.update(chunk);
    if (keep || headLength < HEAD_BYTES) {
      held.push(keep ? chunk : chunk.subarray(0, HEAD_BYTES - headLength));
      headLength += held[held.length - 1]!.length;
    }
  });
  const joined = Buffer.concat(held);
  return {
    entry,
    kind: kindOf(entry.name),
    sha256: sha.digest('hex'),
    digests: new Map(hashers.map(([d, h]) => [d, h.digest()])),
    head: joined.subarray(0, HEAD_BYTES),
    ...(keep ? { bytes: joined } : {}),
  };
}

/** The files of the report, and every failed check in the order of the central directory. */
function judge(read: Map<string, ReadEntry>, o: InspectOptions, report: ZipReport): void {
  for (const r of read.values()) {
    const file: ZipFile = { name: r.entry.name, size: r.entry.uncompressedSize, sha256: r.sha256, kind: r.kind };
    report.files.push(file);
    if (r.kind === 'signature') {
      const target = r.entry.name.slice(0, -'.sig'.length);
      if (!read.has(target)) problem(report, 'attachmentSignatureInvalid', { sig: r.entry.name, file: target, reason: `the file it signs, ${target}, is not in the archive` });
    }
    const sig = signatureOf(read, r.entry.name);
    if (sig) {
      file.signature = signatureVerdict(sig, r, o);
      const why = file.signature.outcome === 'fail' ? file.signature.reason : file.signature.certificate?.trusted === false ? file.signature.certificate.reason : undefined;
      if (why) problem(report, 'attachmentSignatureInvalid', { sig: sig.entry.name, file: r.entry.name, reason: why });
    } else if (o.requireSignatures && r.kind !== 'signature') {
      problem(report, 'attachmentUnsigned', { file: r.entry.name });
    }
    if (r.kind === 'request') {
      const schema = judgeRequestDocument(r.head, r.bytes, r.entry.uncompressedSize);
      if (schema) file.schema = schema;
      if (schema?.outcome === 'fail') problem(report, 'attachmentManifestInvalid', { file: r.entry.name, namespace: schema.namespace, reason: schema.reason ?? '' });
    }
  }
}

function problem(report: ZipReport, fault: AttachmentProblem['fault'], params: AttachmentProblem['params']): void {
  report.problems.push({ fault, params });
}

/**
 * Every signer must verify (as openssl cms -verify requires). `outcome` is the cryptography alone;
 * the first signer's certificate is judged apart, when a trust store is given.
 */
function signatureVerdict(sig: ReadEntry, file: ReadEntry, o: InspectOptions): SignatureVerdict {
  const cms = sig.cms!;
  if (cms instanceof CmsError) return { outcome: 'fail', reason: cms.message };
  if (!cms.detached) return { outcome: 'fail', reason: 'the signature carries its own content (eContent): not a detached signature of the file' };
  const verdicts = cms.signers.map((s) => verifySigner(s, cms.certificates, file.digests));
  const first = verdicts[0]!;
  const failed = verdicts.findIndex((v) => !v.ok);
  const out: SignatureVerdict = { outcome: failed < 0 ? 'ok' : 'fail', algorithm: first.algorithm };
  if (failed >= 0) out.reason = verdicts.length > 1 ? `signer ${failed + 1} of ${verdicts.length}: ${verdicts[failed]!.reason}` : verdicts[failed]!.reason;
  if (first.signedAt) out.signedAt = first.signedAt.toISOString();
  if (first.certificate) {
    out.signer = nameToString(first.certificate.subject);
    if (o.trust) {
      const t = o.trust.judge(first.certificate, o.sender, o.at);
      out.certificate = t.ok ? { trusted: true } : { trusted: false, reason: t.reason };
      if (t.ok) out.system = t.system.mnemonic;
    }
  }
  return out;
}

/**
 * The ZIP's own size and SHA-256, read from a file through one buffer (a stream's chunks would be
 * the file's size again in garbage, on top of what reading its entries leaves).
 */
async function fingerprint(source: { path: string } | { bytes: Buffer }): Promise<{ size: number; sha256: string }> {
  if ('bytes' in source) return { size: source.bytes.length, sha256: createHash('sha256').update(source.bytes).digest('hex') };
  const sha = createHash('sha256');
  const fh = await open(source.path, 'r');
  try {
    const buf = Buffer.allocUnsafe(FINGERPRINT_READ);
    let size = 0;
    for (let n = (await fh.read(buf, 0, buf.length, size)).bytesRead; n > 0; n = (await fh.read(buf, 0, buf.length, size)).bytesRead) {
      sha.update(buf.subarray(0, n));
      size += n;
    }
    return { size, sha256: sha.digest('hex') };
  } finally {
    await fh.close();
  }
}

const FINGERPRINT_READ = 256 * 1024;
