import { randomUUID } from 'node:crypto';
import { FileRange, slicesOf, type Slices } from '../slices';
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { Framing, MimePart } from './multipart';

/**
 * Writing MTOM bodies (the reader is ./multipart.ts): a root envelope and its parts, in a framing,
 * with the length known before it is sent, the parts' content streamed from memory or spool files.
 */

/** A part's content as a stream, wherever it is held. */
export function partStream(p: MimePart): Readable {
  if (p.bytes) return Readable.from([p.bytes]);
  if (p.path) return createReadStream(p.path, { highWaterMark: 256 * 1024 });
  throw new Error(`part ${p.contentId ?? '?'} has neither bytes nor a spool file`);
}

/** A part's content in memory (for parts known to be small). */
export async function partBytes(p: MimePart): Promise<Buffer> {
  if (p.bytes) return p.bytes;
  const chunks: Buffer[] = [];
  for await (const c of partStream(p)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The headers of a part on the wire: kept as sent, but for the transfer encoding (always binary on the way on). */
function partHeaderLines(p: MimePart): string[] {
  const names = Object.keys(p.headers).length ? Object.keys(p.headers) : ['content-type', 'content-transfer-encoding', 'content-id'];
  const headers: Record<string, string> = { 'content-type': p.contentType, 'content-transfer-encoding': 'binary', ...(p.contentId ? { 'content-id': `<${p.contentId}>` } : {}), ...p.headers };
  headers['content-transfer-encoding'] = 'binary';
  if (p.contentId) headers['content-id'] = `<${p.contentId}>`;
  const seen = new Set(names);
  const order = [...names, ...Object.keys(headers).filter((n) => !seen.has(n))];
  return order.map((n) => `${canonicalHeaderName(n)}: ${headers[n]}`);
}

function canonicalHeaderName(n: string): string {
  return n.replace(/(^|-)([a-z])/g, (_, d: string, c: string) => d + c.toUpperCase()).replace(/^Content-Id$/, 'Content-ID');
}

/**
 * The framings a message the gateway makes is sent in. SMEV 2's own form, an AppDocument's
 * `Reference/xop:Include` with its DigestValue, travels as SMEV 2's nodes and test servers sent it:
 * `type="text/xml"` with a `text/xml` root part, so that a standard XOP receiver (JAX-WS, CXF)
 * leaves the Reference's xop:Include in place for the client to follow, instead of decoding it
 * into base64 text as it does under `application/xop+xml` (XOP 1.0 §3.2). Standard MTOM
 * (`BinaryData/xop:Include`) uses `application/xop+xml`.
 */
export const SMEV_FRAMING: Framing = { type: 'text/xml', lineEnd: '\r\n' };
export const XOP_FRAMING: Framing = { type: 'application/xop+xml', startInfo: 'text/xml', lineEnd: '\r\n' };

/** The root part's Content-Type that goes with a framing (standard MTOM: application/xop+xml naming the envelope's type). */
export function rootContentType(framing: Framing): string {
  const type = framing.type ?? 'application/xop+xml';
  return type === 'application/xop+xml' ? `application/xop+xml; charset=UTF-8; type="${framing.startInfo ?? 'text/xml'}"` : `${type}; charset=UTF-8`;
}

/** What the writer needs of the root part: the envelope and its Content-ID and type. */
export interface RootPart {
  bytes: Buffer | Slices;
  contentId?: string;
  contentType?: string;
}

/**
 * A `multipart/related` message of a root envelope and its parts, framed as `framing` says
 * (standard MTOM: CRLF, type application/xop+xml), with its length known before it is sent.
 * Parts' content goes on byte for byte.
 */
export function writeMultipart(root: RootPart, parts: MimePart[], framing: Framing = XOP_FRAMING): { contentType: string; length: number; stream: () => Readable } {
  const boundary = `uuid:${randomUUID()}`;
  const eol = framing.lineEnd;
  const rootId = root.contentId ?? `root.message@${randomUUID()}`;
  const type = framing.type ?? 'application/xop+xml';
  const rootType = root.contentType ?? rootContentType(framing);
  // under the LF framing of SMEV 2's test servers an empty line ends each part's content (readMultipart)
  const close = eol === '\n' ? '\n\n' : eol;
  const head = (lines: string[], first: boolean) => Buffer.from(`${first ? '' : close}--${boundary}${eol}${lines.join(eol)}${eol}${eol}`, 'utf8');
  const pieces: (Buffer | FileRange | MimePart)[] = [
    head([`Content-Type: ${rootType}`, 'Content-Transfer-Encoding: binary', `Content-ID: <${rootId}>`], true), ...slicesOf(root.bytes).pieces,
  ];
  for (const p of parts) pieces.push(head(partHeaderLines(p), false), p);
  pieces.push(Buffer.from(`${close}--${boundary}--${eol}`));
  const length = pieces.reduce((n, x) => n + (x instanceof FileRange || Buffer.isBuffer(x) ? x.length : x.size), 0);
  const ctParams = [`type="${type}"`, `boundary="${boundary}"`, `start="<${rootId}>"`];
  if (framing.startInfo || type === 'application/xop+xml') ctParams.push(`start-info="${framing.startInfo ?? 'text/xml'}"`);
  return {
    contentType: `multipart/related; ${ctParams.join('; ')}`,
    length,
    stream: () => Readable.from((async function* () {
      for (const x of pieces) {
        if (Buffer.isBuffer(x)) yield x;
        else if (x instanceof FileRange) yield* x.chunksAsync();
        else for await (const c of partStream(x)) yield c as Buffer;
      }
    })()),
  };
}
