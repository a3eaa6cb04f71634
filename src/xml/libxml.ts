// libxml2-wasm is ESM-only with top-level await; this CommonJS project loads it once at start-up
// (loadXml) and every module reaches it synchronously afterwards (xml()).
type Lib = typeof import('libxml2-wasm', { with: { 'resolution-mode': 'import' } });
export type XmlDocument = InstanceType<Lib['XmlDocument']>;
export type XmlElement = InstanceType<Lib['XmlElement']>;
export type XmlTreeNode = InstanceType<Lib['XmlTreeNode']>;
export type XmlNode = InstanceType<Lib['XmlNode']>;

let lib: Lib | undefined;

export async function loadXml(): Promise<Lib> {
  lib ??= await import('libxml2-wasm');
  return lib;
}

export function xml(): Lib {
  if (!lib) throw new Error('libxml2-wasm is not loaded: await loadXml() at start-up');
  return lib;
}

/**
 * Parse options for untrusted input: no entity substitution, no external DTD or entity loading,
 * no network. Documents with a DOCTYPE are refused before they reach the parser (see dom.ts).
 * XML_PARSE_HUGE lifts libxml2's 10,000,000-byte cap on one text node, which refused a 10 MB
 * AppDocument (13.3 MB of base64 in one BinaryData); size, depth, element and attribute counts
 * are bounded by our own limits on the bytes before parsing (control/limits.ts, --max-request-bytes).
 */
export function safeParseOptions(): number {
  const { ParseOption: P } = xml();
  return P.XML_PARSE_NO_XXE | P.XML_PARSE_NONET | P.XML_PARSE_HUGE;
}
