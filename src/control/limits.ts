/**
 * Structural limits on untrusted XML, checked on the bytes before the parser builds anything:
 * nesting depth, element count, attributes per element, and the size of the soap:Header.
 * One pass with indexOf over '<'; text and base64 (an AppDocument) are skipped in bulk.
 */
export interface Limits {
  maxDepth: number;
  maxElements: number;
  maxAttributes: number;
  maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: Limits = { maxDepth: 64, maxElements: 200_000, maxAttributes: 64, maxHeaderBytes: 256 * 1024 };

export type LimitBreach =
  | { kind: 'depth'; value: number; limit: number }
  | { kind: 'elements'; value: number; limit: number }
  | { kind: 'attributes'; value: number; limit: number }
  | { kind: 'header'; value: number; limit: number };

const LT = 0x3c, GT = 0x3e, SLASH = 0x2f, BANG = 0x21, QM = 0x3f, DQ = 0x22, SQ = 0x27, EQ = 0x3d;

export function checkLimits(raw: Buffer, l: Limits): LimitBreach | undefined {
  let depth = 0;
  let elements = 0;
  let headerStart = -1;
  let headerDepth = -1;
  let i = 0;
  const n = raw.length;
  while (i < n) {
    const lt = raw.indexOf(LT, i);
    if (lt < 0) break;
    const c1 = raw[lt + 1];
    if (c1 === QM || c1 === BANG) {
      // comments, PIs, CDATA: skip to their end (a DOCTYPE is refused by the parser stage)
      const end = c1 === QM ? raw.indexOf('?>', lt + 2, 'latin1') : raw[lt + 2] === 0x2d ? raw.indexOf('-->', lt + 4, 'latin1') : raw[lt + 2] === 0x5b ? raw.indexOf(']]>', lt + 9, 'latin1') : raw.indexOf(GT, lt);
      if (end < 0) return undefined; // malformed: the parser will say so
      i = end + 2;
      continue;
    }
    // scan the tag, counting attributes (an '=' outside quotes)
    let j = lt + 1;
    let quote = 0;
    let attrs = 0;
    for (; j < n; j++) {
      const b = raw[j];
      if (quote) { if (b === quote) quote = 0; } else if (b === DQ || b === SQ) quote = b;
      else if (b === EQ) attrs++;
      else if (b === GT) break;
    }
    if (j >= n) return undefined;
    if (c1 === SLASH) {
      depth--;
      if (depth === headerDepth && headerStart >= 0) {
        if (j + 1 - headerStart > l.maxHeaderBytes) return { kind: 'header', value: j + 1 - headerStart, limit: l.maxHeaderBytes };
        headerStart = -1;
      }
    } else {
      elements++;
      if (elements > l.maxElements) return { kind: 'elements', value: elements, limit: l.maxElements };
      if (attrs > l.maxAttributes) return { kind: 'attributes', value: attrs, limit: l.maxAttributes };
      const selfClosing = raw[j - 1] === SLASH;
      // An empty <soapenv:Header/> has no end tag to stop the measure at: it is its own tag only.
      // (Measuring from it would count the whole Body as header.)
      if (depth === 1 && headerStart < 0 && isHeader(raw, lt + 1, j)) {
        if (selfClosing) {
          if (j + 1 - lt > l.maxHeaderBytes) return { kind: 'header', value: j + 1 - lt, limit: l.maxHeaderBytes };
        } else {
          headerStart = lt;
          headerDepth = 1;
        }
      }
      if (!selfClosing) {
        depth++;
        if (depth > l.maxDepth) return { kind: 'depth', value: depth, limit: l.maxDepth };
      }
    }
    if (headerStart >= 0 && j + 1 - headerStart > l.maxHeaderBytes) return { kind: 'header', value: j + 1 - headerStart, limit: l.maxHeaderBytes };
    i = j + 1;
  }
  return undefined;
}

/** Is the tag name at [from, to) `Header` or `prefix:Header`? */
function isHeader(raw: Buffer, from: number, to: number): boolean {
  let end = from;
  while (end < to && raw[end] !== 0x20 && raw[end] !== 0x09 && raw[end] !== 0x0a && raw[end] !== 0x0d && raw[end] !== SLASH && raw[end] !== GT) end++;
  const name = raw.toString('latin1', from, end);
  return name === 'Header' || name.endsWith(':Header');
}
