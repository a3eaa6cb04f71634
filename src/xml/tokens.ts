/**
 * The one byte-level XML tokenizer behind every look at a message's bytes without a parse: the
 * structural limits (control/limits.ts, before the parser builds anything), the envelope's layout
 * for byte-exact splices (envelope/scan.ts) and the journal's search text (journal/search-text.ts).
 * Each of them is a thin consumer, so all three see the same tokens.
 *
 * A pull cursor over a Buffer: `next()` reads one token and sets the cursor's fields (kind, byte
 * offsets, and for tags the name's end, the attribute count, self-closing). Nothing is allocated
 * per token and text is skipped with `Buffer.indexOf`, as these run on every message, 5 KB to
 * 60 MB. `tokenize()` yields the same tokens as objects, for tests and tools.
 *
 * How each construct is read (the same for every consumer):
 * - start tag `<name …>` or `<name …/>`: ends at the first `>` outside a quoted attribute value
 *   (`a=">"` does not end it); its attributes are counted as the `=` outside quotes (namespace
 *   declarations included, as `xmlns:p="…"` is an attribute to the byte limits).
 * - end tag `</name>`: ends at the first `>`.
 * - comment `<!-- … -->`: one token; nothing inside is markup (`<!-- <a> -->` is no element).
 * - CDATA section `<![CDATA[ … ]]>`: one token whose content is text, literally
 *   (`<![CDATA[<x>]]>` is the text `<x>`, no element; `&amp;` in it stays `&amp;`).
 * - processing instruction `<? … ?>` (the XML declaration too): one token up to the first `?>`;
 *   nothing inside is markup (`<?pi <x>?>` is no element).
 * - DOCTYPE `<!DOCTYPE … >` (and any other `<!` declaration): one token through its internal
 *   subset `[ … ]`, whose quoted strings, comments and PIs may hold `>` and `]`. No consumer counts
 *   what is inside; the parse stage refuses a message with a DOCTYPE (GW-1001).
 * - text: the bytes between two pieces of markup, as they are (`decodeEntities` decodes them).
 * - malformed input: markup that the input ends inside (a tag, comment, CDATA section, PI or
 *   DOCTYPE left open) ends the tokens, with `error` naming what was left open and where. A `<`
 *   not followed by a name is still read as a start tag: the parser, not the tokenizer, judges
 *   well-formedness, and the tokenizer never throws on input.
 */

export const Tok = {
  /** no more tokens (see `error`) */
  None: 0,
  StartTag: 1,
  EndTag: 2,
  Text: 3,
  CData: 4,
  Comment: 5,
  PI: 6,
  Doctype: 7,
} as const;
export type TokenKind = (typeof Tok)[keyof typeof Tok];

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QM = 0x3f, DQ = 0x22, SQ = 0x27, EQ = 0x3d;
const DASH = 0x2d, LSQB = 0x5b, RSQB = 0x5d, COLON = 0x3a;
const COMMENT_END = Buffer.from('-->', 'latin1');
const CDATA_OPEN = Buffer.from('<![CDATA[', 'latin1');
const CDATA_END = Buffer.from(']]>', 'latin1');
const PI_END = Buffer.from('?>', 'latin1');

export function isXmlSpace(b: number | undefined): boolean {
  return b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;
}

export interface TokenizerOptions {
  /** where to start (default 0) and where the input ends for the tokenizer (default the Buffer's end) */
  from?: number;
  to?: number;
  /** yield Text tokens (default true); without them next() goes from markup to markup */
  text?: boolean;
}

export class XmlTokenizer {
  /** the token just read; Tok.None when there are no more */
  kind: TokenKind = Tok.None;
  /** offset of the token's first byte (the `<` of markup) */
  start = 0;
  /** offset just past the token (past the `>` of markup) */
  end = 0;
  /** start tags: offset just past the element's name (the name starts at start + 1) */
  nameEnd = 0;
  /** start tags: the number of attributes (namespace declarations included) */
  attributes = 0;
  /** start tags: `<name …/>` */
  selfClosing = false;
  /** set when the input ended inside markup: what was left open, and its offset */
  error: string | undefined;
  errorAt = -1;

  /** the input; a view ending at `to`, so that no search (indexOf) reads past it */
  readonly bytes: Buffer;
  private pos: number;
  private readonly limit: number;
  private readonly text: boolean;

  constructor(bytes: Buffer, options: TokenizerOptions = {}) {
    this.limit = Math.min(options.to ?? bytes.length, bytes.length);
    this.bytes = this.limit < bytes.length ? bytes.subarray(0, this.limit) : bytes;
    this.pos = options.from ?? 0;
    this.text = options.text ?? true;
  }

  /** Read the next token; returns its kind (Tok.None at the end of the input or on `error`). */
  next(): TokenKind {
    const b = this.bytes, n = this.limit;
    let p = this.pos;
    if (p >= n) return this.done();
    if (b[p] !== LT) {
      let lt = b.indexOf(LT, p);
      if (lt < 0) lt = n;
      if (this.text) {
        this.start = p;
        this.end = this.pos = lt;
        return (this.kind = Tok.Text);
      }
      if (lt >= n) {
        this.pos = n;
        return this.done();
      }
      p = lt;
    }
    this.start = p;
    const c1 = b[p + 1];
    if (c1 === SLASH) {
      let gt = p + 2;
      while (gt < n && b[gt] !== GT) gt++;
      if (gt >= n) return this.fail('an end tag', p);
      this.end = this.pos = gt + 1;
      return (this.kind = Tok.EndTag);
    }
    if (c1 === QM) return this.until(Tok.PI, PI_END, p + 2, 'a processing instruction');
    if (c1 === BANG) {
      if (b[p + 2] === DASH && b[p + 3] === DASH) return this.until(Tok.Comment, COMMENT_END, p + 4, 'a comment');
      if (b[p + 2] === LSQB && p + 9 <= n && b.compare(CDATA_OPEN, 0, 9, p, p + 9) === 0) return this.until(Tok.CData, CDATA_END, p + 9, 'a CDATA section');
      return this.declaration(p);
    }
    return this.startTag(p);
  }

  /** The tag's qualified name (start and end tags), decoded as UTF-8. */
  name(): string {
    const from = this.nameStart();
    return this.bytes.toString('utf8', from, this.nameEndOf(from));
  }

  /** Is the tag's local name (after any prefix) `local`? ASCII `local` only; no allocation. */
  localNameIs(local: string): boolean {
    const from = this.nameStart();
    const to = this.nameEndOf(from);
    const at = to - local.length;
    if (at < from || (at > from && this.bytes[at - 1] !== COLON)) return false;
    for (let i = 0; i < local.length; i++) if (this.bytes[at + i] !== local.charCodeAt(i)) return false;
    return true;
  }

  /** CData tokens: the section's content, between `<![CDATA[` and `]]>`. */
  get contentStart(): number {
    return this.kind === Tok.CData ? this.start + 9 : this.start;
  }
  get contentEnd(): number {
    return this.kind === Tok.CData ? this.end - 3 : this.end;
  }

  private nameStart(): number {
    return this.kind === Tok.EndTag ? this.start + 2 : this.start + 1;
  }

  private nameEndOf(from: number): number {
    if (this.kind === Tok.StartTag) return this.nameEnd;
    let q = from;
    while (q < this.end && !isXmlSpace(this.bytes[q]) && this.bytes[q] !== GT && this.bytes[q] !== SLASH) q++;
    return q;
  }

  private startTag(p: number): TokenKind {
    const b = this.bytes, n = this.limit;
    let j = p + 1;
    for (; j < n; j++) {
      const c = b[j];
      if (c === GT || c === SLASH || isXmlSpace(c)) break;
    }
    this.nameEnd = j;
    let attrs = 0;
    for (; j < n; j++) {
      const c = b[j];
      if (c === GT) break;
      if (c === EQ) attrs++;
      else if (c === DQ || c === SQ) {
        // a byte loop: values are short, and a call to indexOf costs more than reading them
        for (j++; j < n && b[j] !== c; j++);
      }
    }
    if (j >= n) return this.fail('a start tag', p);
    this.attributes = attrs;
    this.selfClosing = b[j - 1] === SLASH;
    this.end = this.pos = j + 1;
    return (this.kind = Tok.StartTag);
  }

  /** A token that ends with `close`, searched from `from`. */
  private until(kind: TokenKind, close: Buffer, from: number, what: string): TokenKind {
    const at = this.bytes.indexOf(close, from);
    if (at < 0) return this.fail(what, this.start);
    this.end = this.pos = at + close.length;
    return (this.kind = kind);
  }

  /** `<!DOCTYPE …>` (or another `<!` declaration), through an internal subset. */
  private declaration(p: number): TokenKind {
    const b = this.bytes, n = this.limit;
    let subset = false;
    for (let j = p + 2; j < n; j++) {
      const c = b[j];
      if (c === DQ || c === SQ) {
        j = b.indexOf(c, j + 1);
        if (j < 0) break;
      } else if (subset) {
        if (c === RSQB) subset = false;
        else if (c === LT && b[j + 1] === BANG && b[j + 2] === DASH && b[j + 3] === DASH) {
          j = b.indexOf(COMMENT_END, j + 4);
          if (j < 0) break;
          j += 2;
        } else if (c === LT && b[j + 1] === QM) {
          j = b.indexOf(PI_END, j + 2);
          if (j < 0) break;
          j += 1;
        }
      } else if (c === LSQB) subset = true;
      else if (c === GT) {
        this.end = this.pos = j + 1;
        return (this.kind = Tok.Doctype);
      }
    }
    return this.fail('a DOCTYPE or declaration', p);
  }

  private fail(what: string, at: number): TokenKind {
    this.error = `the input ends inside ${what} opened at byte ${at}`;
    this.errorAt = at;
    this.pos = this.limit;
    return this.done();
  }

  private done(): TokenKind {
    this.start = this.end = this.pos;
    return (this.kind = Tok.None);
  }
}

/** One token as an object (what `tokenize` yields). */
export interface Token {
  kind: Exclude<TokenKind, typeof Tok.None>;
  start: number;
  end: number;
  /** tags: the qualified name */
  name?: string;
  /** start tags */
  attributes?: number;
  selfClosing?: boolean;
}

/** The tokens of `bytes` as objects; the last is followed by `{ error }` when the input ends inside markup. */
export function* tokenize(bytes: Buffer, options: TokenizerOptions = {}): Generator<Token, { error?: string }> {
  const t = new XmlTokenizer(bytes, options);
  for (let k = t.next(); k !== Tok.None; k = t.next()) {
    const token: Token = { kind: k, start: t.start, end: t.end };
    if (k === Tok.StartTag || k === Tok.EndTag) token.name = t.name();
    if (k === Tok.StartTag) {
      token.attributes = t.attributes;
      token.selfClosing = t.selfClosing;
    }
    yield token;
  }
  return t.error ? { error: t.error } : {};
}

/**
 * The attributes of the start tag in bytes[from, to) (from: the tag's name end, to: its end),
 * each as byte ranges of its name and of its value without the quotes. Reads what the tokenizer
 * counts: a name, `=`, a quoted value; stops at anything else.
 */
export function forEachAttribute(
  bytes: Buffer, from: number, to: number,
  fn: (nameStart: number, nameEnd: number, valueStart: number, valueEnd: number) => void,
): void {
  let j = from;
  while (j < to) {
    while (j < to && isXmlSpace(bytes[j])) j++;
    const nameStart = j;
    while (j < to && bytes[j] !== EQ && !isXmlSpace(bytes[j]) && bytes[j] !== GT && bytes[j] !== SLASH) j++;
    const nameEnd = j;
    while (j < to && isXmlSpace(bytes[j])) j++;
    if (nameEnd === nameStart || bytes[j] !== EQ) return;
    j++;
    while (j < to && isXmlSpace(bytes[j])) j++;
    const q = bytes[j];
    if (q !== DQ && q !== SQ) return;
    const close = bytes.indexOf(q, j + 1);
    if (close < 0 || close >= to) return;
    fn(nameStart, nameEnd, j + 1, close);
    j = close + 1;
  }
}
