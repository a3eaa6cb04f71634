import { createHash, randomUUID } from 'node:crypto';
import { buildZip } from '../../attachments/zip';
import { signFile, type FileSigner } from '../../attachments/cms-sign';
import { bytesDigestValue } from '../../attachments/digest';
import { escapeText } from '../../envelope/build';
import { NS } from '../../envelope/ns';
import type { MimePart } from '../../http/multipart';
import { ComposeError } from '../../xsd/model';

/**
 * Files attached to a composed request (PROTOCOL.md §7, issue 16): zipped, each signed with the
 * system's key as a detached CMS `<file>.sig` (the key the envelope is signed with), with
 * `req_<RequestCode>.xml` when the user gives one, and carried as an AppDocument: inline
 * (BinaryData, covered by the envelope's signature) or as an MTOM part the AppDocument references
 * with its DigestValue. Bounded: the files together may not pass the composer's limit
 * (SMEV2_COMPOSE_ATTACHMENT_BYTES), checked before anything is decoded.
 */
export interface ComposeAttachments {
  mode: 'inline' | 'mtom';
  requestCode: string;
  files: { name: string; bytes: Buffer }[];
  /** the request document, written as `req_<RequestCode>.xml` */
  request?: Buffer;
}

/** What the send route's JSON may carry as `attachments`. */
interface AttachmentsBody {
  mode?: unknown;
  requestCode?: unknown;
  files?: unknown;
  requestDocument?: unknown;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The `attachments` of a send request, checked; undefined when none are given. */
export function readAttachments(v: unknown, maxBytes: number): ComposeAttachments | undefined {
  if (v === undefined || v === null) return undefined;
  const b = v as AttachmentsBody;
  if (typeof b !== 'object' || Array.isArray(b)) throw new ComposeError(400, 'attachments must be an object: {"mode": "inline" | "mtom", "files": [{"name": …, "content": base64}], "requestCode"?, "requestDocument"?: base64}');
  const mode = b.mode ?? 'inline';
  if (mode !== 'inline' && mode !== 'mtom') throw new ComposeError(400, `attachments.mode must be inline (BinaryData) or mtom (a multipart/related part), got ${JSON.stringify(mode)}`);
  if (!Array.isArray(b.files)) throw new ComposeError(400, 'attachments.files must be a list of {"name": …, "content": base64}');
  const requestCode = b.requestCode === undefined || b.requestCode === '' ? randomUUID() : b.requestCode;
  if (typeof requestCode !== 'string' || !/^[\w.-]{1,200}$/.test(requestCode)) throw new ComposeError(400, 'attachments.requestCode must be 1-200 letters, digits or . _ - (it names req_<RequestCode>.xml)');
  if (b.requestDocument !== undefined && typeof b.requestDocument !== 'string') throw new ComposeError(400, 'attachments.requestDocument must be the base64 of the request document');
  const raw = b.files as { name?: unknown; content?: unknown }[];
  if (!raw.length && b.requestDocument === undefined) throw new ComposeError(400, 'attachments.files is empty: attach a file, or send without attachments');
  // judged on the base64 lengths first: nothing is decoded past the limit
  const declared = raw.reduce((n, f) => n + (typeof f?.content === 'string' ? Math.floor(f.content.length * 3 / 4) : 0), 0) +
    (typeof b.requestDocument === 'string' ? Math.floor(b.requestDocument.length * 3 / 4) : 0);
  if (declared > maxBytes) throw tooLarge(declared, maxBytes);
  const seen = new Set<string>();
  const files = raw.map((f, i) => {
    const where = `attachments.files[${i}]`;
    if (!f || typeof f !== 'object') throw new ComposeError(400, `${where} must be {"name": …, "content": base64}`);
    const name = f.name;
    if (typeof name !== 'string' || !name || name.length > 200 || /[/\\\0]/.test(name) || name === '.' || name === '..') {
      throw new ComposeError(400, `${where}.name must be a file name of 1-200 characters without / or \\, got ${JSON.stringify(name)}`);
    }
    if (/\.sig$/i.test(name)) throw new ComposeError(400, `${where}: ${name} ends in .sig; the composer signs every file itself (as <file>.sig)`);
    if (/^req_.*\.xml$/i.test(name)) throw new ComposeError(400, `${where}: ${name} is named as a request document; give it as attachments.requestDocument (it becomes req_<RequestCode>.xml)`);
    if (seen.has(name.toLowerCase())) throw new ComposeError(400, `${where}: ${name} is attached twice`);
    seen.add(name.toLowerCase());
    return { name, bytes: decode(f.content, `${where}.content`) };
  });
  const request = b.requestDocument === undefined ? undefined : decode(b.requestDocument, 'attachments.requestDocument');
  const total = files.reduce((n, f) => n + f.bytes.length, 0) + (request?.length ?? 0);
  if (total > maxBytes) throw tooLarge(total, maxBytes);
  return { mode, requestCode, files, request };
}

function decode(v: unknown, where: string): Buffer {
  if (typeof v !== 'string') throw new ComposeError(400, `${where} must be base64 text`);
  const s = v.replace(/\s+/g, '');
  if (!BASE64.test(s) || s.length % 4 === 1) throw new ComposeError(400, `${where} is not base64`);
  return Buffer.from(s, 'base64');
}

function tooLarge(bytes: number, max: number): ComposeError {
  const n = (x: number) => x.toLocaleString('en-US');
  return new ComposeError(413, `the attached files are ${n(bytes)} bytes together, more than the composer's limit of ${n(max)} bytes (SMEV2_COMPOSE_ATTACHMENT_BYTES): attach fewer or smaller files, or raise the limit`);
}

/** The AppDocument made of the files: its ZIP, and for MTOM the part it references. */
export interface BuiltAppDocument {
  zip: Buffer;
  /** the ZIP's entries, in order */
  names: string[];
  /** the MTOM part (mode mtom) */
  part?: MimePart;
  /** insert the AppDocument into an envelope (before it is signed) */
  into(envelope: Buffer): Buffer;
}

/** Zip the files with their signatures (when a signer is given) and make the AppDocument. */
export async function buildAppDocument(a: ComposeAttachments, signer: FileSigner | undefined, at: Date): Promise<BuiltAppDocument> {
  const entries: { name: string; bytes: Buffer }[] = [];
  const add = (name: string, bytes: Buffer) => {
    entries.push({ name, bytes });
    if (signer) entries.push({ name: `${name}.sig`, bytes: signFile(bytes, signer, { at }) });
  };
  if (a.request) add(`req_${a.requestCode}.xml`, a.request);
  for (const f of a.files) add(f.name, f.bytes);
  const zip = await buildZip(entries);
  const names = entries.map((e) => e.name);
  if (a.mode === 'inline') {
    return { zip, names, into: (env) => withAppDocument(env, (p) => `<${p}RequestCode>${escapeText(a.requestCode)}</${p}RequestCode><${p}BinaryData>${zip.toString('base64')}</${p}BinaryData>`) };
  }
  const contentId = `${a.requestCode}.zip`;
  const digest = await bytesDigestValue(zip);
  const part: MimePart = {
    contentId, contentType: 'application/zip', headers: {}, size: zip.length, sha256: createHash('sha256').update(zip).digest('hex'), bytes: zip,
  };
  return {
    zip, names, part,
    into: (env) => withAppDocument(env, (p) => `<${p}RequestCode>${escapeText(a.requestCode)}</${p}RequestCode>` +
      `<${p}Reference><xop:Include xmlns:xop="${NS.xop}" href="cid:${encodeURIComponent(contentId)}"/></${p}Reference><${p}DigestValue>${digest}</${p}DigestValue>`),
  };
}

/**
 * An envelope with an AppDocument appended to its smev:MessageData (after AppData, where the
 * schemas put it), in MessageData's own prefix, so whatever namespace the bundle's revision uses.
 */
export function withAppDocument(envelope: Buffer, content: (prefix: string) => string): Buffer {
  const text = envelope.toString('utf8');
  const open = /<([\w.-]+:)?MessageData(?=[\s/>])/.exec(text);
  if (!open) throw new ComposeError(400, 'the request has no smev:MessageData to put the AppDocument in: attachments need a SMEV message');
  const prefix = open[1] ?? '';
  if (new RegExp(`<${prefix.replace(/[.]/g, '\\.')}AppDocument[\\s/>]`).test(text)) throw new ComposeError(400, 'the envelope already has an AppDocument: attach files to a request without one');
  const close = `</${prefix}MessageData>`;
  const at = text.lastIndexOf(close);
  if (at < 0) throw new ComposeError(400, 'smev:MessageData is empty (<MessageData/>): give it AppData first');
  return Buffer.from(`${text.slice(0, at)}<${prefix}AppDocument>${content(prefix)}</${prefix}AppDocument>${text.slice(at)}`, 'utf8');
}
