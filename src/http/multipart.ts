import { createHash, type Hash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import type { Spool } from './spool';

/**
 * MTOM/XOP bodies (PROTOCOL.md §7): a `multipart/related` message read as a stream, its root part
 * (the SOAP envelope) held in memory, every other part streamed to a spool file once it passes a
 * threshold, so a 1 GiB attachment costs the gateway a file, not its memory. Written by hand
 * (README, "Choices of libraries"): the multipart parsers of the registry (busboy, dicer,
 * @remix-run/multipart-parser) read `multipart/form-data` or demand CRLF, and SMEV 2's own test
 * servers framed MTOM with bare LF line ends, which a node must read.
 */

/** One MIME part as read (or as it will be written). */
export interface MimePart {
  /** the Content-ID without its angle brackets */
  contentId?: string;
  contentType: string;
  /** every header of the part, names in lower case, as sent */
  headers: Record<string, string>;
  size: number;
  /** SHA-256 of the part's content (hex) */
  sha256: string;
  /** the content, when held in memory */
  bytes?: Buffer;
  /** the spool file holding the content, when it was too large to hold */
  path?: string;
}

/** How the sender framed the message, so that it goes on as it came. */
export interface Framing {
  /** the `type` parameter of the message's Content-Type (`application/xop+xml`, or `text/xml` as SMEV 2's test servers sent) */
  type?: string;
  startInfo?: string;
  lineEnd: '\r\n' | '\n';
}

/** The attachments of one message: its parts other than the root, and how they were framed. */
export interface MimeParts {
  parts: MimePart[];
  framing: Framing;
}

export interface MultipartMessage extends MimeParts {
  root: MimePart & { bytes: Buffer };
}

export interface MultipartLimits {
  /** the root part (the envelope), held in memory */
  maxRootBytes: number;
  /** any other part */
  maxPartBytes: number;
  /** all parts together */
  maxTotalBytes: number;
  maxParts: number;
  /** a part larger than this goes to a spool file */
  memoryThreshold: number;
  /** a wait longer than this for the next bytes ends the read */
  idleTimeoutMs: number;
}

export const DEFAULT_MULTIPART_LIMITS: MultipartLimits = {
  maxRootBytes: 64 * 1024 * 1024, maxPartBytes: 2 * 1024 * 1024 * 1024, maxTotalBytes: 4 * 1024 * 1024 * 1024,
  maxParts: 100, memoryThreshold: 256 * 1024, idleTimeoutMs: 30_000,
};

/** Why a multipart body could not be read; `kind` picks the catalogue's fault. */
export class MultipartError extends Error {
  constructor(
    readonly kind: 'malformed' | 'rootTooLarge' | 'partTooLarge' | 'totalTooLarge' | 'tooManyParts' | 'slow',
    message: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(message);
  }
}

const MAX_HEADER_BYTES = 16 * 1024;

/** A Content-Type split into its type and parameters (names in lower case, quotes removed). */
export function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  if (!value) return { type: '', params };
  const semi = value.indexOf(';');
  const type = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  const re = /;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g;
  for (const m of value.slice(Math.max(semi, 0)).matchAll(re)) {
    params[m[1]!.toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
  }
  return { type, params };
}

export function isMultipart(contentType: string | undefined): boolean {
  return parseContentType(contentType).type === 'multipart/related';
}

/**
 * The Content-Type of a multipart body saved from the wire without its HTTP headers (a file given
 * to `verify` or `check`): such a body opens with its boundary line. Undefined for anything else.
 */
export function sniffMultipartContentType(raw: Buffer): string | undefined {
  const m = /^\s*--([^\r\n]{1,200})\r?\n/.exec(raw.subarray(0, 512).toString('latin1'));
  return m ? `multipart/related; boundary="${m[1]!.trim()}"` : undefined;
}

/** A Content-ID or a `cid:` reference, as compared: no angle brackets, URL escapes decoded (RFC 2392). */
export function normalizeContentId(id: string): string {
  let s = id.trim();
  if (/^cid:/i.test(s)) {
    s = s.slice(4);
    try {
      s = decodeURIComponent(s);
    } catch { /* a stray %: compare as written */ }
  }
  if (s.startsWith('<') && s.endsWith('>')) s = s.slice(1, -1);
  return s;
}

/** Where one part's content goes: memory up to the threshold, then a spool file. */
class PartSink {
  private chunks: Buffer[] = [];
  private fh?: FileHandle;
  private path?: string;
  private readonly hash: Hash = createHash('sha256');
  size = 0;

  constructor(private readonly threshold: number, private readonly spool: Spool | undefined, private readonly max: number, private readonly tooLarge: (size: number) => MultipartError) {}

  async write(b: Buffer): Promise<void> {
    if (!b.length) return;
    this.size += b.length;
    if (this.size > this.max) throw this.tooLarge(this.size);
    this.hash.update(b);
    if (this.fh) {
      await writeAll(this.fh, b);
      return;
    }
    this.chunks.push(Buffer.from(b)); // a copy: `b` may be a view of the parser's whole buffer
    if (this.spool && this.size > this.threshold) {
      this.path = this.spool.file();
      this.fh = await open(this.path, 'w');
      await writeAll(this.fh, Buffer.concat(this.chunks));
      this.chunks = [];
    }
  }

  async end(): Promise<{ size: number; sha256: string; bytes?: Buffer; path?: string }> {
    const sha256 = this.hash.digest('hex');
    if (this.fh) {
      await this.fh.close();
      return { size: this.size, sha256, path: this.path };
    }
    return { size: this.size, sha256, bytes: Buffer.concat(this.chunks) };
  }

  async abort(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
  }
}

async function writeAll(fh: FileHandle, b: Buffer): Promise<void> {
  let off = 0;
  while (off < b.length) off += (await fh.write(b, off, b.length - off)).bytesWritten;
}

/** Streams base64 text into bytes: Content-Transfer-Encoding base64 parts are kept decoded. */
class Base64Decoder {
  private rest = '';
  push(b: Buffer): Buffer {
    const s = this.rest + b.toString('latin1').replace(/[\s]+/g, '');
    const whole = s.length - (s.length % 4);
    this.rest = s.slice(whole);
    return Buffer.from(s.slice(0, whole), 'base64');
  }
  end(): Buffer {
    return this.rest ? Buffer.from(this.rest, 'base64') : Buffer.alloc(0);
  }
}

function parseHeaders(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let last: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) { // folded onto the previous header
      out[last] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new MultipartError('malformed', `a part header is not "Name: value": ${JSON.stringify(line.slice(0, 80))}`);
    last = line.slice(0, colon).trim().toLowerCase();
    out[last] = line.slice(colon + 1).trim();
  }
  return out;
}

/**
 * Read a `multipart/related` body from `source`. The root part is the one whose Content-ID the
 * `start` parameter names, or the first; it is held in memory (at most maxRootBytes). Lines may
 * end in CRLF or LF. `reserve` is asked for every byte held in memory (the byte budget).
 */
export async function readMultipart(
  source: AsyncIterable<Buffer>,
  contentType: string,
  limits: MultipartLimits,
  spool: Spool | undefined,
  reserve?: (n: number) => boolean,
): Promise<MultipartMessage> {
  const { params } = parseContentType(contentType);
  const boundary = params.boundary;
  if (!boundary) throw new MultipartError('malformed', 'the Content-Type multipart/related has no boundary parameter');
  if (boundary.length > 200) throw new MultipartError('malformed', `the boundary is ${boundary.length} characters long (RFC 2046 allows 70)`);
  const start = params.start ? normalizeContentId(params.start) : undefined;
  const delim = Buffer.from(`\n--${boundary}`);
  const framing: Framing = { type: params.type, startInfo: params['start-info'], lineEnd: '\r\n' };
  let sawLineEnd = false;

  type State = 'preamble' | 'afterDelimiter' | 'headers' | 'body' | 'epilogue';
  let state: State = 'preamble';
  let buf: Buffer = Buffer.from('\n'); // the first delimiter may open the body: a line of its own
  let headerLines: string[] = [];
  let headerBytes = 0;
  let total = 0;
  const done: (MimePart & { isRoot: boolean })[] = [];
  let current: { headers: Record<string, string>; sink: PartSink; isRoot: boolean; b64?: Base64Decoder } | undefined;

  const openPart = (headers: Record<string, string>) => {
    const contentId = headers['content-id'] ? normalizeContentId(headers['content-id']) : undefined;
    const isRoot = start ? contentId === start : done.length === 0;
    if (done.length + 1 > limits.maxParts) throw new MultipartError('tooManyParts', `more than ${limits.maxParts} parts`, { limit: limits.maxParts });
    const cte = (headers['content-transfer-encoding'] ?? 'binary').toLowerCase();
    if (!['binary', '8bit', '7bit', 'base64'].includes(cte)) throw new MultipartError('malformed', `part ${contentId ?? done.length + 1} has Content-Transfer-Encoding ${cte}; binary, 8bit, 7bit and base64 are read`);
    const sink = isRoot
      ? new PartSink(Infinity, undefined, limits.maxRootBytes, (size) => new MultipartError('rootTooLarge', `the root part is larger than ${limits.maxRootBytes} bytes`, { size, limit: limits.maxRootBytes }))
      : new PartSink(limits.memoryThreshold, spool, limits.maxPartBytes, (size) => new MultipartError('partTooLarge', `part ${contentId ?? done.length + 1} is larger than ${limits.maxPartBytes} bytes`, { what: `part "${contentId ?? done.length + 1}" (${size}+ bytes)`, limit: limits.maxPartBytes, setting: 'SMEV2_MAX_PART_BYTES' }));
    current = { headers, sink, isRoot, b64: cte === 'base64' ? new Base64Decoder() : undefined };
  };

  let virtualLineEnd = false;
  const writeBody = async (whole: Buffer) => {
    const b = virtualLineEnd && whole.length ? whole.subarray(1) : whole;
    if (whole.length) virtualLineEnd = false;
    if (!current || !b.length) return;
    total += b.length;
    if (total > limits.maxTotalBytes) throw new MultipartError('totalTooLarge', `the parts together are larger than ${limits.maxTotalBytes} bytes`, { what: `parts together (${total}+ bytes)`, limit: limits.maxTotalBytes, setting: 'SMEV2_MAX_PARTS_BYTES' });
    const data = current.b64 ? current.b64.push(b) : b;
    if ((current.isRoot || current.sink.size < limits.memoryThreshold) && reserve && !reserve(data.length)) {
      throw new MultipartError('rootTooLarge', 'the byte budget is spent', { size: total, limit: limits.maxRootBytes });
    }
    await current.sink.write(data);
  };

  const closePart = async () => {
    if (!current) return;
    if (current.b64) await current.sink.write(current.b64.end());
    const r = await current.sink.end();
    const h = current.headers;
    done.push({ contentId: h['content-id'] ? normalizeContentId(h['content-id']) : undefined, contentType: h['content-type'] ?? 'application/octet-stream', headers: h, ...r, isRoot: current.isRoot });
    current = undefined;
  };

  /** Advance through `buf` as far as its bytes allow; `final`: no more bytes will come. */
  const step = async (final: boolean): Promise<void> => {
    for (;;) {
      if (state === 'epilogue') {
        buf = Buffer.alloc(0);
        return;
      }
      if (state === 'preamble' || state === 'body') {
        const at = buf.indexOf(delim);
        if (at < 0) {
          // keep what could be the start of a delimiter (and the line end or CR before it)
          const keep = Math.min(buf.length, delim.length + 2);
          if (state === 'body') await writeBody(buf.subarray(0, buf.length - keep));
          buf = buf.subarray(buf.length - keep);
          if (final) throw new MultipartError('malformed', state === 'preamble' ? `no part starts with the boundary "--${boundary}"` : 'the last part has no closing boundary');
          return;
        }
        const cr = at > 0 && buf[at - 1] === 0x0d;
        if (state === 'body') {
          // SMEV 2's test servers (LF line ends) wrote an empty line after each part's content:
          // under that framing the content's last line end is the framing's, not the content's
          // (the corpus's MTOM answer: the ZIP its DigestValue was computed over ends before it)
          const lfFraming = !cr && (sawLineEnd ? framing.lineEnd === '\n' : true);
          const end = cr ? at - 1 : lfFraming && at > 1 && buf[at - 1] === 0x0a ? at - 1 : at;
          await writeBody(buf.subarray(0, end));
          await closePart();
          if (!sawLineEnd) {
            framing.lineEnd = cr ? '\r\n' : '\n';
            sawLineEnd = true;
          }
        }
        buf = buf.subarray(at + delim.length);
        state = 'afterDelimiter';
        continue;
      }
      if (state === 'afterDelimiter') {
        if (buf.length < 2 && !final) return;
        if (buf[0] === 0x2d && buf[1] === 0x2d) { // "--": the closing delimiter
          state = 'epilogue';
          continue;
        }
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          if (final || buf.length > 256) throw new MultipartError('malformed', 'a boundary line does not end');
          return;
        }
        if (buf.subarray(0, nl).toString('latin1').replace(/[ \t\r]/g, '') !== '') throw new MultipartError('malformed', 'text follows a boundary on its line');
        buf = buf.subarray(nl + 1);
        state = 'headers';
        headerLines = [];
        headerBytes = 0;
        continue;
      }
      // headers: one line at a time until an empty one
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (final) throw new MultipartError('malformed', 'the headers of a part do not end');
        if (headerBytes + buf.length > MAX_HEADER_BYTES) throw new MultipartError('malformed', `the headers of a part are longer than ${MAX_HEADER_BYTES} bytes`);
        return;
      }
      const line = buf.subarray(0, nl).toString('utf8').replace(/\r$/, '');
      headerBytes += nl + 1;
      if (headerBytes > MAX_HEADER_BYTES) throw new MultipartError('malformed', `the headers of a part are longer than ${MAX_HEADER_BYTES} bytes`);
      buf = buf.subarray(nl + 1);
      if (line !== '') {
        headerLines.push(line);
        continue;
      }
      openPart(parseHeaders(headerLines));
      // the part's content runs to the next delimiter, which starts with its line end: put back
      // the line end just read, so that an empty part (the delimiter at once) is found, and skip it
      buf = Buffer.concat([Buffer.from('\n'), buf]);
      virtualLineEnd = true;
      state = 'body';
    }
  };

  try {
    for await (const chunk of withIdleTimeout(source, limits.idleTimeoutMs)) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      await step(false);
    }
    await step(true);
  } catch (e) {
    await current?.sink.abort();
    throw e;
  }
  if ((state as string) !== 'epilogue') throw new MultipartError('malformed', 'the message ends before its closing boundary');
  const rootIndex = done.findIndex((p) => p.isRoot);
  if (rootIndex < 0) throw new MultipartError('malformed', start ? `no part has the Content-ID "${start}" the start parameter names` : 'the message has no parts');
  const strip = ({ isRoot: _, ...p }: MimePart & { isRoot: boolean }): MimePart => p;
  const root = strip(done[rootIndex]!);
  if (!root.bytes) throw new Error('the root part was spooled');
  return { root: root as MimePart & { bytes: Buffer }, parts: done.filter((_, i) => i !== rootIndex).map(strip), framing };
}

/** Iterate `source`, failing when no bytes come for `ms`. */
async function* withIdleTimeout(source: AsyncIterable<Buffer>, ms: number): AsyncGenerator<Buffer> {
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new MultipartError('slow', `no bytes came for ${ms} ms`, { timeoutMs: ms })), ms);
    });
    try {
      const r = await Promise.race([it.next(), timeout]);
      if (r.done) return;
      yield r.value;
    } finally {
      clearTimeout(timer);
    }
  }
}

// one import for the MTOM pieces: the spool (./spool.ts) and the writer (./multipart-write.ts)
export * from './spool';
export * from './multipart-write';
