/**
 * What `record` keeps of an answer's AppDocument (docs/fixtures.md, "Recording"): the ZIP, taken
 * from the MTOM part its Reference names or from its inline BinaryData, unpacked into the files a
 * case's `attachments/` folder holds, their `.sig` files among them, so that the emulator sends
 * the same ZIP back and replay compares against it. Names that would leave the folder and zip
 * bombs are refused, as the gateway refuses them.
 */
import { parseEnvelope, inlineDocumentBytes } from '../envelope/parse';
import { normalizeContentId, partBytes, type MimePart } from '../http/multipart';
import { openZip } from '../attachments/zip';
import { checkDeclared, checkEntryCount } from '../attachments/guard';
import { DEFAULT_ZIP_LIMITS } from '../attachments/model';

export interface RecordedAttachments {
  form: 'inline' | 'mtom';
  requestCode?: string;
  /** MTOM: the part's Content-ID */
  contentId?: string;
  files: { name: string; bytes: Buffer }[];
}

/** The AppDocument of an answer as files, or undefined when it has none. Throws saying why it cannot be read. */
export async function answerAttachments(root: Buffer, parts: MimePart[] | undefined): Promise<RecordedAttachments | undefined> {
  const p = parseEnvelope(root);
  let zip: Buffer;
  let out: Omit<RecordedAttachments, 'files'>;
  try {
    const info = p.envelope.appDocument;
    if (!info) return undefined;
    if (info.include !== undefined) {
      const cid = normalizeContentId(info.include);
      const part = parts?.find((x) => x.contentId === cid);
      if (!part) throw new Error(`its AppDocument names the part cid:${cid}, which the answer does not carry (parts: ${parts?.map((x) => x.contentId).join(', ') || 'none'})`);
      zip = await partBytes(part);
      out = { form: 'mtom', requestCode: info.requestCode, contentId: cid };
    } else {
      const bytes = inlineDocumentBytes(p);
      if (bytes === undefined) throw new Error('its AppDocument has neither BinaryData nor a Reference');
      zip = bytes;
      out = { form: 'inline', requestCode: info.requestCode };
    }
  } finally {
    p.doc.dispose();
  }
  return { ...out, files: await unzip(zip) };
}

async function unzip(bytes: Buffer): Promise<RecordedAttachments['files']> {
  const zip = await openZip({ bytes });
  try {
    const refused = checkEntryCount(zip.entryCount, DEFAULT_ZIP_LIMITS);
    if (refused) throw new Error(`its ZIP has ${refused}`);
    const entries = (await zip.list()).filter((e) => !e.isDirectory);
    const bad = checkDeclared(entries, DEFAULT_ZIP_LIMITS);
    if (bad) throw new Error(`its ZIP is refused: ${bad}`);
    const files: RecordedAttachments['files'] = [];
    for (const e of entries) {
      const chunks: Buffer[] = [];
      await zip.stream(e, (c) => { chunks.push(c); });
      files.push({ name: e.name.replace(/\\/g, '/'), bytes: Buffer.concat(chunks) });
    }
    return files;
  } finally {
    zip.close();
  }
}
