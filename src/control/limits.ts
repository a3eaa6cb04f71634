import { Tok, XmlTokenizer } from '../xml/tokens';
import { base64DecodedLength } from '../xml/elide';

/**
 * Structural limits on untrusted XML, checked on the bytes before the parser builds anything:
 * nesting depth, element count, attributes per element, and the size of the soap:Header.
 * One pass of the shared tokenizer (src/xml/tokens.ts, which says how comments, CDATA, PIs and a
 * DOCTYPE are read); text and base64 (an AppDocument) are skipped in bulk.
 */
export interface Limits {
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
  maxHeaderBytes: number;
  /**
   * bytes the base64 text of one BinaryData (an inline AppDocument) may decode to
   * (--max-inline-document-bytes); absent or 0: no limit but the request's size
   */
  maxInlineDocumentBytes?: number;
}

export const DEFAULT_LIMITS: Limits = { maxDepth: 64, maxElements: 200_000, maxAttributes: 64, maxHeaderBytes: 256 * 1024 };

export type LimitBreach =
  | { kind: 'depth'; value: number; limit: number }
  | { kind: 'elements'; value: number; limit: number }
  | { kind: 'attributes'; value: number; limit: number }
  | { kind: 'header'; value: number; limit: number }
  | { kind: 'inlineDocument'; value: number; limit: number };

/**
 * The first limit the bytes break, or undefined. Depth counts the elements open at once (a
 * self-closing `<a/>` opens no level); attributes are a start tag's `=` outside quotes, namespace
 * declarations included; the header is measured from the soap:Header's start tag to its end tag.
 */
export function checkLimits(raw: Buffer, l: Limits): LimitBreach | undefined {
  const t = new XmlTokenizer(raw, { text: false });
  let depth = 0;
  let elements = 0;
  let headerStart = -1;
  const maxDocument = l.maxInlineDocumentBytes || Infinity;
  let binaryText = -1; // where the text of a BinaryData starts, while its end tag is awaited
  // Comments, CDATA, PIs and a DOCTYPE are single tokens: nothing inside them counts. A document
  // the input ends inside of has no breach here: the parser says what is wrong with it.
  for (let k = t.next(); k !== Tok.None; k = t.next()) {
    if (binaryText >= 0 && k === Tok.EndTag && t.localNameIs('BinaryData')) {
      // an inline document measured from its length, read byte by byte only when that is past the limit
      const length = t.start - binaryText;
      if (Math.floor(length / 4) * 3 > maxDocument) {
        const decoded = base64DecodedLength(raw, binaryText, t.start);
        if (decoded > maxDocument) return { kind: 'inlineDocument', value: decoded, limit: maxDocument };
      }
    }
    binaryText = k === Tok.StartTag && !t.selfClosing && maxDocument < Infinity && t.localNameIs('BinaryData') ? t.end : -1;
    if (k === Tok.EndTag) {
      depth--;
      if (depth === 1 && headerStart >= 0) {
        if (t.end - headerStart > l.maxHeaderBytes) return { kind: 'header', value: t.end - headerStart, limit: l.maxHeaderBytes };
        headerStart = -1;
      }
    } else if (k === Tok.StartTag) {
      elements++;
      if (elements > l.maxElements) return { kind: 'elements', value: elements, limit: l.maxElements };
      if (t.attributes > l.maxAttributes) return { kind: 'attributes', value: t.attributes, limit: l.maxAttributes };
      // An empty <soapenv:Header/> has no end tag to stop the measure at: it is its own tag only.
      // (Measuring from it would count the whole Body as header.)
      if (depth === 1 && headerStart < 0 && t.localNameIs('Header')) {
        if (t.selfClosing) {
          if (t.end - t.start > l.maxHeaderBytes) return { kind: 'header', value: t.end - t.start, limit: l.maxHeaderBytes };
        } else {
          headerStart = t.start;
        }
      }
      if (!t.selfClosing) {
        depth++;
        if (depth > l.maxDepth) return { kind: 'depth', value: depth, limit: l.maxDepth };
      }
    } else {
      continue; // the header is measured at tags: what lies between them counts at the next one
    }
    if (headerStart >= 0 && t.end - headerStart > l.maxHeaderBytes) return { kind: 'header', value: t.end - headerStart, limit: l.maxHeaderBytes };
  }
  return undefined;
}
