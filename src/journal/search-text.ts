/** Bytes of AppData looked at for its words; and the most text kept per leg. */
const MAX_SCAN_BYTES = 256 * 1024;
const MAX_TEXT_CHARS = 16 * 1024;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * The words of a message's AppData (element text and attribute values), for the journal search:
 * found in the raw bytes without a parse (the leg may be a fault, malformed, or 10 MB), tags
 * dropped, entities decoded, whitespace folded, tokens longer than 64 characters (base64, hashes)
 * left out, lower-cased here (PostgreSQL's 'simple' configuration folds case only as the
 * database's locale does, and a C-locale database does not fold Cyrillic). Null without AppData.
 */
export function appDataText(bytes: Buffer): string | null {
  const open = findTag(bytes, 0);
  if (open < 0) return null;
  const start = bytes.indexOf(0x3e /* > */, open);
  if (start < 0 || bytes[start - 1] === 0x2f /* / */) return null;
  let end = bytes.lastIndexOf('AppData>');
  if (end <= start) end = bytes.length;
  const slice = bytes.subarray(start + 1, Math.min(end, start + 1 + MAX_SCAN_BYTES)).toString('utf8');
  const text = slice
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, ' $1 ')
    .replace(/<[^>]*?((?:\s[^\s=>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/g, (_m, attrs: string) =>
      ` ${(attrs ?? '').replace(/\s([^\s=>]+)\s*=\s*(["'])([\s\S]*?)\2/g, (_a, name: string, _q, v: string) => (name.startsWith('xmlns') ? ' ' : ` ${v} `))} `)
    .replace(/<[^>]*$/, ' ')
    .replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) =>
      e[0] === '#' ? safeChar(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e] ?? m)
    .split(/\s+/)
    .filter((w) => w.length > 0 && w.length <= 64)
    .join(' ');
  return text ? text.slice(0, MAX_TEXT_CHARS).toLowerCase() : null;
}

/** Where the first AppData start tag (any prefix) begins, or -1. */
function findTag(bytes: Buffer, from: number): number {
  for (let i = bytes.indexOf('AppData', from); i >= 0; i = bytes.indexOf('AppData', i + 7)) {
    const after = bytes[i + 7];
    if (after !== 0x3e && after !== 0x20 && after !== 0x2f && after !== 0x09 && after !== 0x0a && after !== 0x0d) continue;
    let lt = i - 1;
    if (bytes[lt] === 0x3a /* : */) {
      lt--;
      while (lt > 0 && isNameByte(bytes[lt]!)) lt--;
    }
    if (bytes[lt] === 0x3c /* < */) return lt;
  }
  return -1;
}

/** A byte of an XML prefix (ASCII letters, digits, _ . -; prefixes are ASCII in practice). */
function isNameByte(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f || b === 0x2e || b === 0x2d;
}

function safeChar(n: number): string {
  return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ' ';
}
