import { open } from 'node:fs/promises';
import { base64RangeInto, inlineDocumentBytes, type ParsedEnvelope } from '../envelope/parse';
import type { AttachmentSettings } from '../registry/definition';
import type { TrustStore } from '../signature/trust';
import { normalizeContentId, type MimePart } from '../http/multipart';
import { partDigestValue } from './digest';
import { inspectZip } from './inspect';
import type { AppDocumentReport, AttachmentProblem, ZipLimits } from './model';

export interface JudgeOptions {
  settings: Pick<AttachmentSettings, 'requireSignatures'>;
  limits: ZipLimits;
  trust?: TrustStore;
  /** the message's time: signers' certificates are judged as of then */
  at: Date;
  /** for the faults' texts: `the request`, `the provider's answer` */
  where: string;
  /**
   * An inline ZIP of at least `threshold` bytes is decoded into a file of the exchange's spool
   * and opened from there, as an MTOM part past SMEV2_PART_MEMORY_BYTES is: the decoded ZIP is
   * then never in memory beside the message that carries it.
   */
  spool?: { file(): string; threshold: number };
}

export interface AttachmentsJudgement {
  documents: AppDocumentReport[];
  problems: AttachmentProblem[];
}

/**
 * Everything the gateway checks of a message's AppDocument (PROTOCOL.md §7), in one place for the
 * attachments stage and `verify`: the MTOM part an xop:Include names found (in Reference, SMEV 2's
 * form, or in BinaryData, a standard MTOM sender's) and, for a Reference, its DigestValue
 * recomputed (GOST R 34.11-94 of the part's base64 text); the ZIP, inline or in the part, opened
 * and every file's detached signature verified (inspect.ts). A message without an AppDocument has
 * nothing to judge.
 */
export async function judgeAttachments(parsed: ParsedEnvelope, parts: MimePart[] | undefined, o: JudgeOptions): Promise<AttachmentsJudgement> {
  const info = parsed.envelope.appDocument;
  const out: AttachmentsJudgement = { documents: [], problems: [] };
  if (!info) return out;
  const inspect = (source: { path: string } | { bytes: Buffer }) => inspectZip(source, {
    limits: o.limits, trust: o.trust, at: o.at, requireSignatures: o.settings.requireSignatures, where: o.where,
  });
  if (info.include !== undefined) {
    const cid = normalizeContentId(info.include);
    const part = parts?.find((p) => p.contentId === cid);
    const doc: AppDocumentReport = { source: `cid:${cid}` };
    out.documents.push(doc);
    if (!part) {
      const have = parts?.length ? parts.map((p) => p.contentId ?? '(no Content-ID)').join(', ') : 'none: the message is not MTOM';
      out.problems.push({ fault: 'attachmentMissing', params: { cid, parts: have } });
      return out;
    }
    doc.size = part.size;
    doc.sha256 = part.sha256;
    // BinaryData/xop:Include has no DigestValue: the part is the BinaryData itself (XOP), which
    // the envelope's signature covers as it covers inline BinaryData
    if (info.includeIn === 'Reference') {
      const actual = await partDigestValue(part);
      doc.digest = { declared: info.digestValue, actual, ok: info.digestValue === actual };
      if (!doc.digest.ok) out.problems.push({ fault: 'attachmentDigestMismatch', params: { cid, declared: info.digestValue ?? '(none)', actual } });
    }
    const zip = await inspect(part.path ? { path: part.path } : { bytes: part.bytes ?? Buffer.alloc(0) });
    doc.zip = zip;
    out.problems.push(...zip.problems);
    return out;
  }
  const source = await inlineDocument(parsed, o.spool);
  if (source !== undefined) {
    const doc: AppDocumentReport = { source: 'BinaryData' };
    out.documents.push(doc);
    const zip = await inspect(source);
    Object.assign(doc, { zip, size: zip.size, sha256: zip.sha256 });
    out.problems.push(...zip.problems);
  }
  return out;
}


/** The inline ZIP: in a spool file when large (decoded a piece at a time from the envelope's bytes), else in memory. */
async function inlineDocument(parsed: ParsedEnvelope, spool: JudgeOptions['spool']): Promise<{ path: string } | { bytes: Buffer } | undefined> {
  const range = parsed.envelope.appDocument?.binaryRange;
  if (!range || !spool || ((range.end - range.start) * 3) / 4 < spool.threshold) {
    const bytes = inlineDocumentBytes(parsed);
    return bytes === undefined ? undefined : { bytes };
  }
  try {
    const path = spool.file();
    const fh = await open(path, 'w');
    try {
      // decoded into one reused buffer of 1 MiB, written out each time it fills
      const into = Buffer.allocUnsafe(1024 * 1024);
      for (const filled of base64RangeInto(parsed.envelope.raw, range, into)) {
        for (let at = 0; at < filled;) at += (await fh.write(into, at, filled - at)).bytesWritten;
      }
    } finally {
      await fh.close();
    }
    return { path };
  } catch (e) {
    // a spool that cannot be written (full, missing) costs memory, not the verdict; a text spooled
    // as the request was taken and now unreadable is no such case: that is an internal error
    if (range.file) throw e;
    return { bytes: inlineDocumentBytes(parsed)! };
  }
}
