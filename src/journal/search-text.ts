import { forEachAttribute, Tok, XmlTokenizer, type TokenKind } from '../xml/tokens';

/** Bytes of AppData looked at for its words; and the most text kept per leg. */
const MAX_SCAN_BYTES = 256 * 1024;
const MAX_TEXT_CHARS = 16 * 1024;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/**
 * The words of a message's AppData (element text, CDATA sections and attribute values), for the
 * journal search: read from the raw bytes by the shared tokenizer (src/xml/tokens.ts) without a
 * parse (the leg may be a fault, malformed, or 10 MB). What lies inside AppData elements (any
 * prefix; a message has one, a sample may have several) is read, from the first one's start tag
 * up to MAX_SCAN_BYTES; tags, comments, PIs and a DOCTYPE give no words and part words
 * (`a<!-- -->b` is two); namespace declarations are left out; entities are decoded in text and
 * attribute values, not in CDATA (its content is literal); whitespace is folded, tokens longer
 * than 64 characters (base64, hashes) left out, the rest lower-cased here (PostgreSQL's 'simple'
 * configuration folds case only as the database's locale does, and a C-locale database does not
 * fold Cyrillic). Null without AppData or without a word in it.
 */
export function appDataText(bytes: Buffer): string | null {
  if (bytes.indexOf(APPDATA) < 0) return null; // most faults, PINGs and ACCEPTs: no walk at all
  const first = new XmlTokenizer(bytes, { text: false });
  let k: TokenKind;
  do k = first.next(); while (k !== Tok.None && !isAppData(first));
  if (k === Tok.None) return null;
  const words: string[] = [];
  let chars = 0;
  const add = (piece: string): void => {
    for (const w of piece.split(/\s+/)) {
      if (w.length === 0 || w.length > 64) continue;
      words.push(w);
      chars += w.length + 1;
    }
  };
  const t = new XmlTokenizer(bytes, { from: first.end, to: first.end + MAX_SCAN_BYTES });
  let depth = 1; // elements open inside AppData, itself included; 0: between AppData elements
  // Text beyond the first MAX_TEXT_CHARS is never kept: stop once there is that much.
  for (k = t.next(); k !== Tok.None && chars <= MAX_TEXT_CHARS; k = t.next()) {
    if (depth === 0) {
      if (isAppData(t)) depth = 1;
    } else if (k === Tok.Text) add(decodeEntities(bytes.toString('utf8', t.start, t.end)));
    else if (k === Tok.CData) add(bytes.toString('utf8', t.contentStart, t.contentEnd));
    else if (k === Tok.StartTag) {
      forEachAttribute(bytes, t.nameEnd, t.end, (ns, ne, vs, ve) => {
        const declaration = ne - ns >= 5 && bytes.compare(XMLNS, 0, 5, ns, ns + 5) === 0;
        if (!declaration) add(decodeEntities(bytes.toString('utf8', vs, ve)));
      });
      if (!t.selfClosing) depth++;
    } else if (k === Tok.EndTag) depth--;
  }
  const text = words.join(' ');
  return text ? text.slice(0, MAX_TEXT_CHARS).toLowerCase() : null;
}

/** An AppData start tag with content (any prefix). */
function isAppData(t: XmlTokenizer): boolean {
  return t.kind === Tok.StartTag && !t.selfClosing && t.localNameIs('AppData');
}

const XMLNS = Buffer.from('xmlns', 'latin1');
const APPDATA = Buffer.from('AppData', 'latin1');

function decodeEntities(s: string): string {
  return s.indexOf('&') < 0 ? s : s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (m, e: string) =>
    e[0] === '#' ? safeChar(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ENTITIES[e] ?? m);
}

function safeChar(n: number): string {
  return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ' ';
}
