import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { FileRange, Slices, slicesOf, type Bytes } from '../slices';
import { Tok, XmlTokenizer } from './tokens';
import { parseUntrustedBytes, XmlSyntaxError } from './dom';
import { countParse, type ParsePurpose } from './parse-count';
import type { XmlDocument, XmlElement } from './libxml';

/**
 * Large base64 text kept out of the DOM. An inline AppDocument (smev:BinaryData, base64 of a ZIP)
 * is most of a large message, and held as a libxml2 text node it costs its size again in
 * WebAssembly memory, which never shrinks, plus the copy of the input the parser makes there. So
 * the parser is given a skeleton of the message: the same bytes with each such text replaced by a
 * short placeholder of valid base64 (the envelope schema's xs:base64Binary still holds), and the
 * document remembers where the real text is in the original bytes. Canonicalization (c14n.ts)
 * writes the original text where it meets a placeholder, so digests and signatures are over exactly
 * the bytes the full document would give.
 *
 * Only a text that changes nothing else is elided: the one text child of an element named
 * BinaryData (any prefix), at least `minBytes` long, of strict base64 and XML white space (no
 * entity, no CDATA, no comment; padding only at the end, well formed, so the schema's verdict on it
 * is "valid" as on the placeholder). Its canonical form is then its own bytes with CR LF and CR
 * written as LF (the parser's end-of-line handling). Anything else is parsed as it is.
 */
export interface ElidedText {
  /** offsets of the text in the original bytes, or in `file` when it is spooled */
  start: number;
  end: number;
  /** the spool file the text was written to as it came (spoolLargeTexts): it is in no buffer */
  file?: string;
  /** base64 characters in it, padding included (white space not counted), and the bytes it decodes to */
  chars: number;
  decoded: number;
  /** it holds a CR (written as LF in its canonical form) */
  hasCr: boolean;
}

/** Texts shorter than this are left in the DOM: a small message is parsed as it always was. */
export const ELIDE_MIN_BYTES = 64 * 1024;

const B64 = new Uint8Array(256); // 1: alphabet, 2: XML white space, 3: '='
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') B64[c.charCodeAt(0)] = 1;
for (const c of [0x20, 0x09, 0x0a, 0x0d]) B64[c] = 2;
B64[0x3d] = 3;
// the last character before padding: "x=" needs one of these 16, "x==" one of these 4 (the unused bits zero)
const BEFORE_ONE_PAD = new Set([...'AEIMQUYcgkosw048'].map((c) => c.charCodeAt(0)));
const BEFORE_TWO_PAD = new Set([...'AQgw'].map((c) => c.charCodeAt(0)));

/** Strict base64 with XML white space anywhere: its character count, or undefined. */
function strictBase64(b: Buffer, from: number, to: number): { chars: number; pad: number; hasCr: boolean } | undefined {
  let chars = 0, pad = 0, last = 0;
  let hasCr = false;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    const k = B64[c];
    if (k === 1) {
      if (pad) return undefined; // a character after padding
      chars++;
      last = c;
    } else if (k === 2) {
      if (c === 0x0d) hasCr = true;
    } else if (k === 3) {
      if (++pad > 2) return undefined;
    } else {
      return undefined;
    }
  }
  if (chars === 0 || (chars + pad) % 4 !== 0) return undefined;
  if (pad === 1 && !BEFORE_ONE_PAD.has(last)) return undefined;
  if (pad === 2 && !BEFORE_TWO_PAD.has(last)) return undefined;
  return { chars, pad, hasCr };
}

/** The bytes base64 text decodes to: its alphabet characters, less what its padding stands for. */
export function base64DecodedLength(b: Buffer, from: number, to: number): number {
  let chars = 0, pad = 0;
  for (let i = from; i < to; i++) {
    const k = B64[b[i]!];
    if (k === 1) chars++;
    else if (k === 3) pad++;
  }
  return Math.floor((chars + Math.min(pad, 2)) / 4) * 3 - Math.min(pad, 2);
}

const SCANS = new WeakMap<Buffer, ElidedText[]>();

/**
 * The texts of `raw` that can be kept out of the DOM, found by one pass of the tokenizer (text is
 * skipped by indexOf; only a BinaryData's text is read byte by byte). Remembered per Buffer: the
 * large-body lane's decision and the parse ask for the same bytes.
 */
export function elidableTexts(raw: Buffer, minBytes = ELIDE_MIN_BYTES): ElidedText[] {
  if (raw.length < minBytes) return [];
  const known = minBytes === ELIDE_MIN_BYTES ? SCANS.get(raw) : undefined;
  if (known) return known;
  const out: ElidedText[] = [];
  const t = new XmlTokenizer(raw, { text: false });
  let open = -1; // end of a BinaryData start tag whose text is being looked at
  for (let k = t.next(); k !== Tok.None; k = t.next()) {
    if (open >= 0 && k === Tok.EndTag && t.start - open >= minBytes && t.localNameIs('BinaryData')) {
      const s = strictBase64(raw, open, t.start);
      if (s) out.push({ start: open, end: t.start, chars: s.chars + s.pad, decoded: (s.chars + s.pad) / 4 * 3 - s.pad, hasCr: s.hasCr });
    }
    open = k === Tok.StartTag && !t.selfClosing && t.localNameIs('BinaryData') ? t.end : -1;
  }
  if (minBytes === ELIDE_MIN_BYTES) SCANS.set(raw, out);
  return out;
}

/** How many bytes of `raw` would stay out of the DOM. */
export function elidableBytes(raw: Buffer): number {
  let n = 0;
  for (const e of elidableTexts(raw)) n += e.end - e.start;
  return n;
}

const INDEX_CHARS = 4; // a text's index, three bytes in base64
const PREFIX_CHARS = 16;
const PLACEHOLDER_CHARS = PREFIX_CHARS + INDEX_CHARS;

/** A parsed skeleton's link to the original bytes. */
export class Elision {
  /** base64 of 12 random bytes, fresh per message: no other text of it holds these 16 characters */
  readonly prefix: Buffer;

  /** `raw`: the original bytes (texts in memory), or the skeleton itself when every text is spooled */
  constructor(readonly raw: Buffer, readonly texts: ElidedText[], prefix?: Buffer) {
    this.prefix = prefix ?? Buffer.from(randomBytes(12).toString('base64'), 'latin1');
  }

  placeholder(i: number): Buffer {
    const idx = Buffer.alloc(3);
    idx.writeUIntBE(i, 0, 3);
    return Buffer.concat([this.prefix, Buffer.from(idx.toString('base64'), 'latin1')]);
  }

  /** The original bytes with each elided text replaced by its placeholder. */
  skeleton(): Buffer {
    const parts: Buffer[] = [];
    let at = 0;
    this.texts.forEach((e, i) => {
      parts.push(this.raw.subarray(at, e.start), this.placeholder(i));
      at = e.end;
    });
    parts.push(this.raw.subarray(at));
    return Buffer.concat(parts);
  }

  /** The elided text a placeholder stands for (`text`: the text as the DOM holds it). */
  textOf(text: string): ElidedText | undefined {
    if (text.length !== PLACEHOLDER_CHARS || !text.startsWith(this.prefix.toString('latin1'))) return undefined;
    return this.texts[Buffer.from(text.slice(PREFIX_CHARS), 'base64').readUIntBE(0, 3)];
  }

  /** The canonical form of elided text i: its bytes, with CR LF and lone CR as LF. */
  private writeText(i: number, sink: (chunk: Uint8Array) => void): void {
    const e = this.texts[i];
    if (!e) throw new Error(`elided text ${i} is not known: the canonical form cannot be restored`);
    const chunks = e.file ? new FileRange(e.file, e.start, e.end - e.start).chunks() : [this.raw.subarray(e.start, e.end)];
    if (!e.hasCr) for (const c of chunks) sink(c);
    else writeWithLf(chunks, sink);
  }

  /** How long the message is with every text in its place, when `skeleton` holds their placeholders. */
  wireLength(skeleton: number): number {
    return this.texts.reduce((n, e) => n + (e.end - e.start) - PLACEHOLDER_CHARS, skeleton);
  }

  /**
   * The message as it travels: `bytes` (the skeleton, or slices of it with the node's marks
   * spliced in) with each placeholder of a spooled text replaced by that text's range of its file,
   * byte for byte as the sender wrote it. A placeholder is never cut between two slices: the node
   * splices its blocks into the header, never inside a Body's text.
   */
  expand(bytes: Bytes): Slices {
    const out: (Buffer | FileRange)[] = [];
    for (const p of slicesOf(bytes).pieces) {
      if (!Buffer.isBuffer(p)) {
        out.push(p);
        continue;
      }
      let from = 0;
      for (let at = p.indexOf(this.prefix, from); at >= 0 && at + PLACEHOLDER_CHARS <= p.length; at = p.indexOf(this.prefix, from)) {
        const e = this.texts[Buffer.from(p.toString('latin1', at + PREFIX_CHARS, at + PLACEHOLDER_CHARS), 'base64').readUIntBE(0, 3)];
        if (!e?.file) break;
        out.push(p.subarray(from, at), new FileRange(e.file, e.start, e.end - e.start));
        from = at + PLACEHOLDER_CHARS;
      }
      out.push(p.subarray(from));
    }
    return Slices.of(...out);
  }

  /**
   * A writer for canonical output of the skeleton: passes it on to `sink` with every placeholder
   * replaced by the original text's canonical form. Placeholders may be split across chunks; `end()`
   * flushes what was held back.
   */
  restoring(sink: (chunk: Uint8Array) => void): { write(chunk: Uint8Array): void; end(): void } {
    let carry: Buffer | undefined;
    const prefix = this.prefix;
    return {
      write: (chunk) => {
        const buf = carry ? Buffer.concat([carry, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        carry = undefined;
        let pos = 0;
        for (;;) {
          const i = buf.indexOf(prefix, pos);
          if (i < 0) {
            const keep = Math.min(PLACEHOLDER_CHARS - 1, buf.length - pos); // may be the start of a placeholder
            if (buf.length - keep > pos) sink(buf.subarray(pos, buf.length - keep));
            if (keep) carry = Buffer.from(buf.subarray(buf.length - keep)); // a copy: the chunk is libxml2's buffer
            return;
          }
          if (i + PLACEHOLDER_CHARS > buf.length) {
            if (i > pos) sink(buf.subarray(pos, i));
            carry = Buffer.from(buf.subarray(i));
            return;
          }
          if (i > pos) sink(buf.subarray(pos, i));
          this.writeText(Buffer.from(buf.toString('latin1', i + PREFIX_CHARS, i + PLACEHOLDER_CHARS), 'base64').readUIntBE(0, 3), sink);
          pos = i + PLACEHOLDER_CHARS;
        }
      },
      end: () => {
        if (carry?.length) sink(carry);
        carry = undefined;
      },
    };
  }
}

const LF = Buffer.from('\n');

/**
 * Text given in chunks, written with CR LF and lone CR as LF (XML's end-of-line handling), whatever
 * the chunks' bounds: a CR that ends one chunk and the LF that starts the next are one line end.
 */
export function writeWithLf(chunks: Iterable<Buffer>, sink: (chunk: Uint8Array) => void): void {
  let cr = false; // the chunk before ended with a CR: an LF that starts this one is its pair
  for (const c of chunks) {
    let from = 0;
    if (cr && c.length) {
      cr = false;
      if (c[0] === 0x0a) from = 1;
    }
    for (let at = c.indexOf(0x0d, from); at >= 0; at = c.indexOf(0x0d, from)) {
      if (at > from) sink(c.subarray(from, at));
      sink(LF);
      if (at + 1 === c.length) cr = true;
      from = c[at + 1] === 0x0a ? at + 2 : at + 1;
    }
    if (from < c.length) sink(c.subarray(from));
  }
}

const ELISIONS = new WeakMap<XmlDocument, Elision>();
/** Skeletons whose large texts are in a spool file, and the elision that says where (spoolLargeTexts). */
const SPOOLED = new WeakMap<Buffer, Elision>();

/**
 * A large message's inline texts (what elidableTexts finds) written to a spool file (`file()`
 * names a fresh one), and the message held from then on as its skeleton: the same bytes with each
 * text replaced by a placeholder. Returns the skeleton, or undefined when there is nothing to
 * spool. The skeleton is parsed, checked and signed as the message (parseWithoutLargeText knows
 * it), its canonical form reads each text from the file, and `spooledOf(skeleton).expand` gives the
 * bytes as they travel. So a 13 MB inline document is in memory only while it is read, not for
 * the whole exchange.
 */
export async function spoolLargeTexts(raw: Buffer, file: () => string): Promise<Buffer | undefined> {
  const texts = elidableTexts(raw);
  if (!texts.length) return undefined;
  const path = file();
  const spooled: ElidedText[] = [];
  const fh = await open(path, 'w');
  try {
    let at = 0;
    for (const e of texts) {
      const text = raw.subarray(e.start, e.end);
      for (let done = 0; done < text.length;) done += (await fh.write(text, done, text.length - done, at + done)).bytesWritten;
      spooled.push({ ...e, start: at, end: at + text.length, file: path });
      at += text.length;
    }
  } finally {
    await fh.close();
  }
  const inMemory = new Elision(raw, texts);
  const skeleton = inMemory.skeleton();
  SPOOLED.set(skeleton, new Elision(skeleton, spooled, inMemory.prefix));
  return skeleton;
}

/** The elision of a skeleton made by spoolLargeTexts (or a buffer it was carried to), if any. */
export function spooledOf(raw: Buffer): Elision | undefined {
  return SPOOLED.get(raw);
}

/**
 * `to` is made from the skeleton `from` with no text of it changed (a header block added, an id
 * given to the Body): its placeholders stand for the same spooled texts.
 */
export function carrySpooled(from: Buffer, to: Buffer): Buffer {
  const e = SPOOLED.get(from);
  if (e && to !== from) SPOOLED.set(to, e);
  return to;
}

/**
 * parseUntrusted, with large base64 texts kept out of the DOM (see above). A skeleton the parser
 * refuses is parsed again whole, so a malformed message gets the very error (line, column) it
 * always got. Counted once as a parse of `raw` for `purpose` (parse-count.ts), the refused
 * skeleton's second parse once more.
 */
export function parseWithoutLargeText(raw: Buffer, purpose: ParsePurpose = 'other'): XmlDocument {
  const spooled = SPOOLED.get(raw);
  if (spooled) {
    countParse(purpose, spooled.wireLength(raw.length));
    let doc: XmlDocument;
    try {
      doc = parseUntrustedBytes(raw);
    } catch (e) {
      if (!(e instanceof XmlSyntaxError)) throw e;
      // refused: the whole message, read back from the spool, gives the error at its real place
      countParse(purpose, spooled.wireLength(raw.length));
      return parseUntrustedBytes(spooled.expand(raw).join());
    }
    ELISIONS.set(doc, spooled);
    return doc;
  }
  countParse(purpose, raw.length);
  const texts = elidableTexts(raw);
  if (!texts.length) return parseUntrustedBytes(raw);
  const elision = new Elision(raw, texts);
  let doc: XmlDocument;
  try {
    doc = parseUntrustedBytes(elision.skeleton());
  } catch (e) {
    if (e instanceof XmlSyntaxError) {
      countParse(purpose, raw.length);
      return parseUntrustedBytes(raw);
    }
    throw e;
  }
  ELISIONS.set(doc, elision);
  return doc;
}

/** The elision of a document parsed by parseWithoutLargeText, if any of its text was kept out. */
export function elisionOf(doc: XmlDocument): Elision | undefined {
  return ELISIONS.get(doc);
}

/** The original text an element's placeholder stands for (its only child), when it was kept out. */
export function elidedTextOf(el: XmlElement): ElidedText | undefined {
  const e = elisionOf(el.doc);
  return e?.textOf(el.content);
}
