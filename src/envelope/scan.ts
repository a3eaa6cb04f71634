import { Tok, XmlTokenizer } from '../xml/tokens';

/**
 * Byte offsets of the envelope's top structure, found by scanning the raw bytes. Used to insert
 * or replace header blocks without re-serialising anything else (a signed Body must keep its
 * bytes). Runs only on documents libxml2 has already accepted as well-formed; reads them with the
 * shared tokenizer (src/xml/tokens.ts) and throws, naming the offset, on input that ends inside markup.
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

export function scanEnvelope(raw: Buffer): EnvelopeLayout {
  const t = new XmlTokenizer(raw, { text: false });
  const stack: ElementSpan[] = [];
  let envelope: ElementSpan | undefined;
  const level1: ElementSpan[] = [];
  const level2: ElementSpan[][] = [];
  // Comments, CDATA, PIs and a DOCTYPE are single tokens (src/xml/tokens.ts): no element in them.
  for (let k = t.next(); k !== Tok.None; k = t.next()) {
    if (k === Tok.EndTag) {
      const el = stack.pop();
      if (el) {
        el.endTagStart = t.start;
        el.end = t.end;
      }
      if (stack.length === 0) break;
    } else if (k === Tok.StartTag) {
      const span: ElementSpan = {
        start: t.start, startTagEnd: t.end, endTagStart: t.selfClosing ? t.end - 2 : -1, end: t.selfClosing ? t.end : -1,
        selfClosing: t.selfClosing, qname: t.name(),
      };
      const depth = stack.length;
      if (depth === 0) envelope = span;
      else if (depth === 1) { level1.push(span); level2.push([]); }
      else if (depth === 2) level2[level2.length - 1]!.push(span);
      if (!t.selfClosing) stack.push(span);
    }
  }
  if (t.error) throw new Error(t.error);
  if (!envelope) throw new Error('no root element found');
  const local = (s: ElementSpan) => s.qname.slice(s.qname.indexOf(':') + 1);
  const hi = level1.findIndex((s) => local(s) === 'Header');
  const body = level1.find((s) => local(s) === 'Body');
  return { envelope, header: hi >= 0 ? level1[hi] : undefined, headerChildren: hi >= 0 ? level2[hi]! : [], body };
}
