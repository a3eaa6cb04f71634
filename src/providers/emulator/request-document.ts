/**
 * The request's AppDocument as an answer template sees it (`request.attachments`,
 * `request.RequestCode`): its RequestCode and the names of the files in its ZIP, inline
 * (BinaryData) or in the MTOM part its xop:Include names. Only the central directory is read:
 * nothing is inflated, so a large ZIP costs a few reads. The attachments stage has already judged
 * the ZIP (or the SID's policy let it pass): a ZIP that does not open gives no names here, not a failure.
 */
import { inlineDocumentBase64, type ParsedEnvelope } from '../../envelope/parse';
import { openZip } from '../../attachments/zip';
import { normalizeContentId, type MimePart } from '../../http/multipart';

export interface RequestDocument {
  requestCode?: string;
  /** file names in the ZIP (folders left out), in the ZIP's order */
  files: string[];
}

/** The AppDocument of a parsed request envelope (with its MTOM parts), or undefined when it has none. */
export async function requestDocument(p: ParsedEnvelope, parts: MimePart[] | undefined): Promise<RequestDocument | undefined> {
  let source: { path: string } | { bytes: Buffer } | undefined;
  const info = p.envelope.appDocument;
  if (!info) return undefined;
  const requestCode = info.requestCode;
  if (info.include !== undefined) {
    const cid = normalizeContentId(info.include);
    const part = parts?.find((x) => x.contentId === cid);
    if (part) source = part.path ? { path: part.path } : { bytes: part.bytes ?? Buffer.alloc(0) };
  } else {
    const base64 = inlineDocumentBase64(p);
    if (base64 !== undefined) source = { bytes: Buffer.from(base64.replace(/\s+/g, ''), 'base64') };
  }
  if (!source) return { requestCode, files: [] };
  try {
    const zip = await openZip(source);
    try {
      return { requestCode, files: (await zip.list()).filter((e) => !e.isDirectory).map((e) => e.name) };
    } finally {
      zip.close();
    }
  } catch {
    return { requestCode, files: [] };
  }
}
