/**
 * Strict base64 for what a signature carries (SignatureValue, DigestValue, BinarySecurityToken,
 * X509Certificate). node's decoder skips characters outside the alphabet, so `AB.CD` and `ABCD`
 * decode alike: a byte the signature does not cover could then change nothing a verifier sees
 * and still make two messages differ. XML white space (space, tab, CR, LF) may break the text into
 * lines (RFC 2045 style); anything else outside the alphabet, or padding out of place, is refused.
 */
const WHITESPACE = /[ \t\r\n]+/g;
const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export class Base64Error extends Error {}

export function decodeStrictBase64(text: string, what: string): Buffer {
  const compact = text.replace(WHITESPACE, '');
  if (!compact) throw new Base64Error(`${what} is empty`);
  if (!STRICT.test(compact)) {
    const bad = compact.match(/[^A-Za-z0-9+/=]/);
    const why = bad
      ? `holds ${JSON.stringify(bad[0])} (U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}), which is not a base64 character`
      : compact.length % 4 ? `has ${compact.length} base64 characters, not a multiple of 4` : 'has padding (=) out of place';
    throw new Base64Error(`${what} is not strict base64: it ${why}`);
  }
  return Buffer.from(compact, 'base64');
}
