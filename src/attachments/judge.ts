import { inlineDocumentBytes, type ParsedEnvelope } from '../envelope/parse';
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
  const bytes = inlineDocumentBytes(parsed);
  if (bytes !== undefined) {
    const doc: AppDocumentReport = { source: 'BinaryData' };
    out.documents.push(doc);
    const zip = await inspect({ bytes });
    Object.assign(doc, { zip, size: zip.size, sha256: zip.sha256 });
    out.problems.push(...zip.problems);
  }
  return out;
}

