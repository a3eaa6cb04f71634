import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import { entryWithRaw, FilterError } from '../journal/search';
import type { AttachmentStore, EntryAttachments } from '../journal/attachments';
import { openZip, ZipReadError, type OpenedZip } from '../attachments/zip';
import { checkDeclared, checkEntryCount, InflateMeter } from '../attachments/guard';
import type { ZipLimits } from '../attachments/model';
import { inlineDocumentBytes, parseEnvelope } from '../envelope/parse';
import { normalizeContentId, Spool } from '../http/multipart';

/**
 * A journal entry's attachments for the admin API and the console (issue 16): what its
 * `attachments` column says (the MTOM parts by hash, the verdict, each AppDocument's ZIP with its
 * files and their signatures' verdicts), and downloads: a part as it travelled (streamed from the
 * attachment store, one chunk row at a time), an AppDocument's ZIP, and one file inside it. A file
 * is inflated as a stream under the ZIP limits (SMEV2_ZIP_…), waiting for the client to take each
 * chunk, so a large document costs a spool file, not memory. Who may read raw bodies may download.
 */
export interface AttachmentRoutesDeps {
  store: DataSource;
  parts: AttachmentStore;
  limits: ZipLimits;
  /** where a stored ZIP is copied to be opened by random access (SMEV2_SPOOL_DIR) */
  spoolDir: string;
  log: Logger;
}

type Handler = (req: Request, res: Response) => Promise<void>;

/**
 * `prefix`: the same routes under another path whose guard decides differently (the inbox's:
 * `/inbox/:ticket`, a clerk reads the attachments of their department's requests); the listing's
 * download links keep to it.
 */
export function attachmentRoutes(d: AttachmentRoutesDeps, r: Router, guard: (req: Request, res: Response, next: () => void) => void, handle: (fn: Handler) => (req: Request, res: Response, next: (e?: unknown) => void) => void, prefix = ''): void {
  const base = (id: number, req: Request) => `/admin${prefix.replace(/:(\w+)/g, (_m, k: string) => encodeURIComponent(String(req.params[k])))}/journal/${id}/attachments`;

  r.get(`${prefix}/journal/:id/attachments`, guard, handle(async (req, res) => {
    const e = await entry(d, req, res);
    if (!e) return;
    const a = e.attachments;
    const parts = await Promise.all((a.parts ?? []).map(async (p) => {
      const info = await d.parts.info(p.sha256);
      return { ...p, kept: !info ? 'missing' : info.purgedAt !== null ? 'purged' : 'kept', download: `${base(e.id, req)}/parts/${p.sha256}` };
    }));
    const documents = (a.documents ?? []).map((doc, n) => ({
      ...doc,
      download: `${base(e.id, req)}/documents/${n}`,
      ...(doc.zip ? { zip: { ...doc.zip, files: doc.zip.files.map((f) => ({ ...f, download: `${base(e.id, req)}/documents/${n}/file?name=${encodeURIComponent(f.name)}` })) } } : {}),
    }));
    res.json({ id: e.id, verdict: a.verdict ?? null, purged: e.purged, parts, documents });
  }));

  // a part by its Content-ID or SHA-256, as the entry names it
  r.get(`${prefix}/journal/:id/attachments/parts/:ref`, guard, handle(async (req, res) => {
    const e = await entry(d, req, res);
    if (!e) return;
    const ref = String(req.params.ref);
    const part = (e.attachments.parts ?? []).find((p) => p.sha256 === ref.toLowerCase() || (p.contentId !== undefined && p.contentId === normalizeContentId(ref)));
    if (!part) return void res.status(404).json({ error: `entry ${e.id} has no part ${ref}: its parts are ${names(e.attachments)}` });
    const stream = await d.parts.open(part.sha256);
    if (!stream) return void gone(res, `part ${part.contentId ?? part.sha256} of entry ${e.id}`, part.sha256);
    download(res, part.contentId ?? `${part.sha256}.bin`, /zip/i.test(part.contentType) ? 'application/zip' : 'application/octet-stream', part.size);
    await send(d, stream, res, `part ${part.sha256} of entry ${e.id}`);
  }));

  // an AppDocument's ZIP: the part it references, or its BinaryData decoded
  r.get(`${prefix}/journal/:id/attachments/documents/:n`, guard, handle(async (req, res) => {
    const e = await entry(d, req, res);
    if (!e) return;
    const src = await documentSource(d, e, req, res);
    if (!src) return;
    if ('bytes' in src) {
      download(res, `journal-${e.id}-AppDocument.zip`, 'application/zip', src.bytes.length);
      return void res.end(src.bytes);
    }
    download(res, src.name, 'application/zip', src.size);
    await send(d, src.stream, res, `the AppDocument of entry ${e.id}`);
  }));

  // one file inside an AppDocument's ZIP, inflated as the client reads it
  r.get(`${prefix}/journal/:id/attachments/documents/:n/file`, guard, handle(async (req, res) => {
    const name = req.query.name;
    if (typeof name !== 'string' || !name) throw new FilterError('name: give the file\'s name in the ZIP once, e.g. ?name=doc.xml');
    const e = await entry(d, req, res);
    if (!e) return;
    const src = await documentSource(d, e, req, res);
    if (!src) return;
    const spool = new Spool(d.spoolDir);
    let zip: OpenedZip | undefined;
    try {
      if ('bytes' in src) zip = await openZip({ bytes: src.bytes });
      else {
        // yauzl reads by random access: the stored chunks are copied to a spool file first
        const path = spool.file();
        await pipeline(src.stream, createWriteStream(path));
        zip = await openZip({ path });
      }
      const tooMany = checkEntryCount(zip.entryCount, d.limits);
      if (tooMany) throw new ZipReadError(tooMany, 'bomb');
      const entries = (await zip.list()).filter((x) => !x.isDirectory);
      const refused = checkDeclared(entries, d.limits);
      if (refused) throw new ZipReadError(refused, 'bomb');
      const file = entries.find((x) => x.name === name);
      if (!file) return void res.status(404).json({ error: `the ZIP of entry ${e.id} has no file "${name}": it has ${entries.map((x) => x.name).join(', ') || 'none'}` });
      download(res, name.replace(/^.*[/\\]/, ''), 'application/octet-stream', file.uncompressedSize);
      const count = new InflateMeter(d.limits).counter(file);
      await zip.stream(file, async (chunk) => {
        count(chunk);
        if (!res.write(chunk)) await drained(res);
      });
      res.end();
    } catch (err) {
      if (res.destroyed) return; // the client went away: nothing to answer
      if (!(err instanceof ZipReadError)) throw err;
      // before the first byte: a clear refusal; after it, the download is cut (its length falls short)
      if (res.headersSent) {
        d.log.warn({ entry: e.id, file: name, err: err.message }, 'attachment download cut: the ZIP broke while inflating');
        return void res.destroy(err);
      }
      res.removeHeader('content-disposition');
      res.status(422).json({ error: `the ZIP of entry ${e.id} cannot be read: ${err.message}` });
    } finally {
      zip?.close();
      await spool.release();
    }
  }));
}

interface Entry {
  id: number;
  purged: boolean;
  raw: Buffer;
  attachments: EntryAttachments;
}

/** The entry of `:id`, with its attachments column read; answers 404 itself when there is none. */
async function entry(d: AttachmentRoutesDeps, req: Request, res: Response): Promise<Entry | undefined> {
  const id = Number(req.params.id);
  if (!Number.isSafeInteger(id) || id < 1) throw new FilterError('id must be a whole number from 1');
  const e = await entryWithRaw(d.store, id);
  if (!e) return void res.status(404).json({ error: `no journal entry ${id}` });
  let attachments: EntryAttachments = {};
  if (e.row.attachments) {
    try {
      attachments = JSON.parse(e.row.attachments) as EntryAttachments;
    } catch {
      throw new Error(`entry ${id}: its attachments column is not the JSON the gateway writes (journal verify says more)`);
    }
  }
  return { id, purged: e.row.purged, raw: e.raw, attachments };
}

/** Where document `:n` of an entry is: a stored part (streamed) or the entry's BinaryData (decoded); answers 404/410 itself. */
async function documentSource(d: AttachmentRoutesDeps, e: Entry, req: Request, res: Response): Promise<{ bytes: Buffer } | { stream: NodeJS.ReadableStream; name: string; size: number } | undefined> {
  const n = Number(req.params.n);
  const docs = e.attachments.documents ?? [];
  const doc = Number.isInteger(n) && n >= 0 ? docs[n] : undefined;
  if (!doc) return void res.status(404).json({ error: `entry ${e.id} has no AppDocument ${req.params.n}: it has ${docs.length} (numbered from 0)` });
  if (doc.source.startsWith('cid:')) {
    const cid = doc.source.slice(4);
    const part = (e.attachments.parts ?? []).find((p) => p.contentId === cid);
    if (!part) return void res.status(404).json({ error: `entry ${e.id}'s AppDocument references part ${cid}, which the message did not carry` });
    const stream = await d.parts.open(part.sha256);
    if (!stream) return void gone(res, `part ${cid} of entry ${e.id}`, part.sha256);
    return { stream, name: cid, size: part.size };
  }
  if (e.purged) return void gone(res, `the envelope of entry ${e.id} (its AppDocument is inline BinaryData)`, undefined);
  const parsed = parseEnvelope(e.raw);
  try {
    const bytes = inlineDocumentBytes(parsed);
    if (bytes === undefined) return void res.status(404).json({ error: `entry ${e.id}'s envelope has no AppDocument/BinaryData` });
    return { bytes };
  } finally {
    parsed.doc.dispose();
  }
}

/**
 * Stream a download; once its headers are out, a failure (a chunk missing from the store, the
 * client gone) can only cut it short: the response is destroyed, its length falls short, and it is logged.
 */
async function send(d: AttachmentRoutesDeps, stream: NodeJS.ReadableStream, res: Response, what: string): Promise<void> {
  try {
    await pipeline(stream, res);
  } catch (err) {
    if (!res.headersSent) throw err;
    if (!res.destroyed) d.log.warn({ err: (err as Error).message }, `attachment download of ${what} cut short`);
    res.destroy();
  }
}

function gone(res: Response, what: string, sha256: string | undefined): void {
  res.status(410).json({ error: `${what} was purged by retention (SMEV2_RETENTION_DAYS); the journal keeps its size and ${sha256 ? `SHA-256 ${sha256}` : 'hashes'}` });
}

/** Headers of a download: never shown as a page of this origin (the bytes are whatever a system sent). */
function download(res: Response, name: string, type: string, size: number): void {
  res.attachment(name);
  res.setHeader('content-type', type);
  res.setHeader('content-length', String(size));
  res.setHeader('content-security-policy', "sandbox; default-src 'none'");
  res.setHeader('x-content-type-options', 'nosniff');
}

function drained(res: Response): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      res.off('drain', ok);
      res.off('close', closed);
      if (err) reject(err);
      else resolve();
    };
    const ok = () => done();
    const closed = () => done(new Error('the client closed the download'));
    res.once('drain', ok);
    res.once('close', closed);
  });
}

function names(a: EntryAttachments): string {
  return a.parts?.length ? a.parts.map((p) => p.contentId ?? p.sha256).join(', ') : 'none';
}
