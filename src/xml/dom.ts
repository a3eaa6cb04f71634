import { xml, safeParseOptions, type XmlDocument, type XmlElement, type XmlTreeNode } from './libxml';
import { countParse, type ParsePurpose } from './parse-count';

export class XmlSyntaxError extends Error {
  constructor(message: string, readonly line?: number, readonly column?: number) {
    super(message);
  }
}

const DOCTYPE = Buffer.from('<!DOCTYPE');

/**
 * Parse untrusted bytes. Refuses DTDs outright: SOAP 1.1 forbids them and they carry XXE.
 * `purpose`: what the parse is for, counted (parse-count.ts).
 */
export function parseUntrusted(raw: Buffer, purpose: ParsePurpose = 'other'): XmlDocument {
  countParse(purpose, raw.length);
  return parseUntrustedBytes(raw);
}

/** parseUntrusted, not counted: for elide.ts, which counts the message it was given, not the skeleton it parses. */
export function parseUntrustedBytes(raw: Buffer): XmlDocument {
  const at = raw.indexOf(DOCTYPE);
  if (at >= 0) throw new XmlSyntaxError('a DOCTYPE declaration is not allowed in a SOAP message', lineOf(raw, at));
  const { XmlDocument, XmlParseError } = xml();
  try {
    return XmlDocument.fromBuffer(raw, { option: safeParseOptions() });
  } catch (e) {
    if (e instanceof XmlParseError) {
      const d = e.details?.[0];
      throw new XmlSyntaxError(d ? `${d.message.trim()}` : e.message, d?.line, d?.col);
    }
    throw e;
  }
}

/**
 * Parse a trusted local file's bytes (WSDL, XSD, fixtures): DTDs allowed but never loaded.
 * Published bundles sometimes declare windows-1251 over UTF-8 bytes; such a file is read as
 * UTF-8 and `onWarning` is told.
 */
export function parseLocal(raw: Buffer, url?: string, onWarning?: (w: string) => void, purpose: ParsePurpose = 'local'): XmlDocument {
  const { XmlDocument, XmlParseError, ParseOption } = xml();
  countParse(purpose, raw.length);
  try {
    return XmlDocument.fromBuffer(raw, { option: safeParseOptions(), url });
  } catch (e) {
    if (e instanceof XmlParseError && /encoding/i.test(e.message) && isUtf8(raw)) {
      countParse(purpose, raw.length); // parsed again, its declared encoding ignored
      const doc = XmlDocument.fromBuffer(raw, { option: safeParseOptions() | ParseOption.XML_PARSE_IGNORE_ENC, url });
      const declared = /^<\?xml[^>]*encoding=["']([^"']+)/.exec(raw.subarray(0, 200).toString('latin1'))?.[1];
      onWarning?.(`declares encoding ${declared ?? '(unknown)'} but its bytes are UTF-8: read as UTF-8`);
      return doc;
    }
    if (e instanceof XmlParseError) {
      const d = e.details?.[0];
      throw new XmlSyntaxError(d ? `line ${d.line}: ${d.message.trim()}` : e.message, d?.line, d?.col);
    }
    throw e;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
function isUtf8(raw: Buffer): boolean {
  try {
    utf8.decode(raw);
    return true;
  } catch {
    return false;
  }
}

function lineOf(raw: Buffer, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (raw[i] === 10) line++;
  return line;
}

export function isElement(n: XmlTreeNode | null): n is XmlElement {
  return n !== null && n instanceof xml().XmlElement;
}

export function* childElements(el: XmlElement): Generator<XmlElement> {
  for (let c = el.firstChild; c; c = c.next) if (isElement(c)) yield c;
}

export function firstChildElement(el: XmlElement, ns?: string, local?: string): XmlElement | undefined {
  // a plain loop, and the local name before the namespace: each step reads libxml2-wasm's memory,
  // and this runs a few dozen times per message (bench/README.md, "where the time goes")
  for (let c = el.firstChild; c; c = c.next) {
    if (isElement(c) && (local === undefined || c.name === local) && (ns === undefined || c.namespaceUri === ns)) return c;
  }
  return undefined;
}

/** Child element by local name, ignoring the namespace (lenient reading of real traffic). */
export function childByLocal(el: XmlElement | undefined, local: string): XmlElement | undefined {
  if (!el) return undefined;
  for (const c of childElements(el)) if (c.name === local) return c;
  return undefined;
}

export function text(el: XmlElement | undefined): string | undefined {
  return el ? el.content.trim() : undefined;
}

/** Attribute value by local name and optional namespace. */
export function attrValue(el: XmlElement, local: string, ns?: string): string | undefined {
  for (const a of el.attrs) {
    if (a.name === local && (ns === undefined || a.namespaceUri === ns)) return a.value;
  }
  return undefined;
}

/** Resolve a QName value (prefix:local) against the namespaces in scope at el. */
export function resolveQName(el: XmlElement, qname: string): { ns: string; local: string } {
  const i = qname.indexOf(':');
  const prefix = i >= 0 ? qname.slice(0, i) : '';
  const local = i >= 0 ? qname.slice(i + 1) : qname;
  const ns = el.namespaces[prefix] ?? '';
  return { ns, local };
}
