/**
 * The AppDocument of an emulated answer (docs/emulator.md, "Attachments"): the files of a case's
 * `attachments/` folder zipped, each file that has no `<file>.sig` beside it signed with the
 * provider system's key as a detached CMS signature (as SMEV 2 providers signed theirs), and the
 * ZIP sent inline (BinaryData) or as an MTOM part that AppDocument/Reference names.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildZip } from '../../attachments/zip';
import { signFile, type FileSigner } from '../../attachments/cms-sign';
import { bytesDigestValue } from '../../attachments/digest';
import type { AppDocumentContent } from '../../envelope/app-document';
import { SMEV_FRAMING, type MimeParts } from '../../http/multipart';

export interface CaseAttachments {
  /** the folder whose files are zipped */
  dir: string;
  form: 'inline' | 'mtom';
  requestCode: string;
  /** MTOM: the part's Content-ID */
  contentId: string;
  /** sign every file that has no `.sig` of its own */
  sign: boolean;
}

/** The AppDocument as the emulated provider sends it: the envelope's content, and the MTOM part. */
export interface EmulatedDocument {
  content: AppDocumentContent;
  parts?: MimeParts;
}

/** Every file under `dir` (subfolders too), by its name in the ZIP (`/` between folders), sorted. */
export function attachmentFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${prefix}${e.name}/`);
      else if (e.isFile()) out.push(`${prefix}${e.name}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** The ZIP of a case's attachments, each unsigned file signed by `signer` when `sign` (and a key) says so. */
export async function zipAttachments(a: CaseAttachments, signer: FileSigner | undefined, at = new Date()): Promise<Buffer> {
  const names = attachmentFiles(a.dir);
  const have = new Set(names);
  const files: { name: string; bytes: Buffer }[] = [];
  for (const name of names) {
    const bytes = readFileSync(join(a.dir, name));
    files.push({ name, bytes });
    if (a.sign && signer && !/\.sig$/i.test(name) && !have.has(`${name}.sig`)) {
      files.push({ name: `${name}.sig`, bytes: signFile(bytes, signer, { at }) });
    }
  }
  return buildZip(files);
}

/** The AppDocument of a case: its ZIP inline as base64, or as an MTOM part with its DigestValue (PROTOCOL.md §7). */
export async function emulatedDocument(a: CaseAttachments, signer: FileSigner | undefined): Promise<EmulatedDocument> {
  const zip = await zipAttachments(a, signer);
  if (a.form === 'inline') return { content: { requestCode: a.requestCode, binaryData: zip.toString('base64') } };
  return {
    content: { requestCode: a.requestCode, contentId: a.contentId, digestValue: await bytesDigestValue(zip) },
    parts: {
      parts: [{ contentId: a.contentId, contentType: 'application/zip', headers: {}, size: zip.length, sha256: createHash('sha256').update(zip).digest('hex'), bytes: zip }],
      framing: SMEV_FRAMING, // a Reference/xop:Include: SMEV 2's framing (http/multipart.ts)
    },
  };
}
