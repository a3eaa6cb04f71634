/**
 * Byte offsets of the envelope's top structure, found by scanning the raw bytes. Used to insert
 * or replace header blocks without re-serialising anything else (a signed Body must keep its
 * bytes). Runs only on documents libxml2 has already accepted as well-formed.
 */
export interface ElementSpan {
  /** offset of '<' of the start tag */
  start: number;
  /** offset just past the start tag's '>' */
  startTagEnd: number;
  /** offset of '<' of the end tag (=== startTagEnd - 2 bytes region for '/>' when self-closing) */
  endTagStart: number;
  /** offset just past the element */
  end: number;
  selfClosing: boolean;
  qname: string;
}

export interface EnvelopeLayout {
  envelope: ElementSpan;
  header?: ElementSpan;
  headerChildren: ElementSpan[];
  body?: ElementSpan;
}

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QM = 0x3f, DQ = 0x22, SQ = 0x27;

export function scanEnvelope(raw: Buffer): EnvelopeLayout {
  const stack: ElementSpan[] = [];
  let envelope: ElementSpan | undefined;
  const level1: ElementSpan[] = [];
  const level2: ElementSpan[][] = [];
  let i = 0;
  const n = raw.length;
  while (i < n) {
    const lt = raw.indexOf(LT, i);
    if (lt < 0) break;
    const c1 = raw[lt + 1];
    if (c1 === QM) { i = find(raw, '?>', lt + 2) + 2; continue; }
    if (c1 === BANG) {
      if (raw[lt + 2] === 0x2d) { i = find(raw, '-->', lt + 4) + 3; continue; }
      if (raw[lt + 2] === 0x5b) { i = find(raw, ']]>', lt + 9) + 3; continue; }
      i = skipTag(raw, lt + 2) + 1;
      continue;
    }
    if (c1 === SLASH) {
      const gt = raw.indexOf(GT, lt);
      const el = stack.pop();
      if (el) {
        el.endTagStart = lt;
        el.end = gt + 1;
        if (stack.length === 1 && !envelope) { /* unreachable: envelope set on open */ }
      }
      i = gt + 1;
      if (stack.length === 0) break;
      continue;
    }
    const gt = skipTag(raw, lt + 1);
    const selfClosing = raw[gt - 1] === SLASH;
    let q = lt + 1;
    while (q < gt && !isSpace(raw[q]) && raw[q] !== SLASH) q++;
    const span: ElementSpan = {
      start: lt, startTagEnd: gt + 1, endTagStart: selfClosing ? gt - 1 : -1, end: selfClosing ? gt + 1 : -1,
      selfClosing, qname: raw.toString('latin1', lt + 1, q),
    };
    const depth = stack.length;
    if (depth === 0) envelope = span;
    else if (depth === 1) { level1.push(span); level2.push([]); }
    else if (depth === 2) level2[level2.length - 1].push(span);
    if (!selfClosing) stack.push(span);
    i = gt + 1;
  }
  if (!envelope) throw new Error('no root element found');
  const local = (s: ElementSpan) => s.qname.slice(s.qname.indexOf(':') + 1);
  const hi = level1.findIndex((s) => local(s) === 'Header');
  const body = level1.find((s) => local(s) === 'Body');
  return { envelope, header: hi >= 0 ? level1[hi] : undefined, headerChildren: hi >= 0 ? level2[hi] : [], body };
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/** Offset of the '>' closing a tag whose name starts at `from`, skipping quoted values. */
function skipTag(raw: Buffer, from: number): number {
  let quote = 0;
  for (let i = from; i < raw.length; i++) {
    const b = raw[i];
    if (quote) { if (b === quote) quote = 0; }
    else if (b === DQ || b === SQ) quote = b;
    else if (b === GT) return i;
  }
  throw new Error('unterminated tag');
}

function find(raw: Buffer, s: string, from: number): number {
  const at = raw.indexOf(s, from, 'latin1');
  if (at < 0) throw new Error(`unterminated ${s}`);
  return at;
}
