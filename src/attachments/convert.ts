import { createHash, randomUUID } from 'node:crypto';
import { normalizeContentId, partBytes, SMEV_FRAMING, type Framing, type MimePart, type MimeParts } from '../http/multipart';
import { bytesDigestValue } from './digest';
import { GatewayFault } from '../faults/catalogue';

/**
 * An AppDocument moved between its two forms (PROTOCOL.md §7), for a provider or a consumer that
 * speaks only one (service.yaml `attachments.toProvider` / `toConsumer`, docs/attachments.md):
 * inline `BinaryData` (the base64 of the ZIP) ↔ an MTOM part referenced by
 * `Reference/xop:Include` with its `DigestValue`. Only the AppDocument's elements change, as text
 * in the envelope's bytes; the ZIP's bytes stay as they were. The Body is no longer what its
 * sender signed: the node's signature, added after, is the one that covers it.
 */

const XOP = 'http://www.w3.org/2004/08/xop/include';

/** `<p:AppDocument>…</p:AppDocument>` in the envelope's text, with its prefix. */
function appDocument(text: string): { start: number; end: number; prefix: string; inner: string } | undefined {
  const open = /<([\w.-]+:)?AppDocument(\s[^>]*)?>/.exec(text);
  if (!open) return undefined;
  const prefix = open[1] ?? '';
  const close = text.indexOf(`</${prefix}AppDocument>`, open.index);
  if (close < 0) return undefined;
  const start = open.index + open[0].length;
  return { start, end: close, prefix, inner: text.slice(start, close) };
}

/**
 * Inline → MTOM: the BinaryData's ZIP becomes a part named `cid`, the element a Reference and a
 * DigestValue. Undefined when the message has no inline document (already MTOM, or none).
 */
export async function inlineToMtom(raw: Buffer, o: { framing?: Framing; others?: MimeParts } = {}): Promise<{ bytes: Buffer; parts: MimeParts } | undefined> {
  const text = raw.toString('utf8');
  const doc = appDocument(text);
  if (!doc) return undefined;
  const bin = /<([\w.-]+:)?BinaryData(\s[^>]*)?>([^<]*)<\/([\w.-]+:)?BinaryData>/.exec(doc.inner);
  if (!bin) return undefined; // no BinaryData, or one holding an xop:Include already
  const zip = Buffer.from(bin[3]!.replace(/\s+/g, ''), 'base64');
  const p = bin[1] ?? '';
  const code = /<(?:[\w.-]+:)?RequestCode(?:\s[^>]*)?>([^<]*)</.exec(doc.inner)?.[1]?.trim();
  const contentId = `${(code || 'appdocument').replace(/[^\w.-]/g, '_')}.${randomUUID()}@smev2-gateway`;
  const replacement = `<${p}Reference><xop:Include xmlns:xop="${XOP}" href="cid:${encodeURIComponent(contentId)}"/></${p}Reference>` +
    `<${p}DigestValue>${await bytesDigestValue(zip)}</${p}DigestValue>`;
  const at = doc.start + bin.index;
  const bytes = Buffer.from(text.slice(0, at) + replacement + text.slice(at + bin[0].length), 'utf8');
  const part: MimePart = { contentId, contentType: 'application/zip', headers: {}, size: zip.length, sha256: createHash('sha256').update(zip).digest('hex'), bytes: zip };
  return { bytes, parts: { parts: [...o.others?.parts ?? [], part], framing: o.others?.framing ?? o.framing ?? SMEV_FRAMING } };
}

/**
 * MTOM → inline: the part the Reference names becomes the BinaryData's base64; it leaves the
 * message's parts. Undefined when the AppDocument references no part. Throws when the part is
 * larger than `maxBytes` (an inline document is held in memory) or missing: the catalogue's fault.
 */
export async function mtomToInline(raw: Buffer, mime: MimeParts | undefined, maxBytes: number): Promise<{ bytes: Buffer; parts?: MimeParts } | undefined> {
  const text = raw.toString('utf8');
  const doc = appDocument(text);
  if (!doc) return undefined;
  const ref = /<([\w.-]+:)?Reference(\s[^>]*)?>\s*<[\w.-]*:?Include\b[^>]*\bhref\s*=\s*["']([^"']*)["'][^>]*>\s*(?:<\/[\w.-]*:?Include>\s*)?<\/([\w.-]+:)?Reference>(\s*<([\w.-]+:)?DigestValue(\s[^>]*)?>[^<]*<\/([\w.-]+:)?DigestValue>)?/.exec(doc.inner);
  if (!ref) return undefined;
  const cid = normalizeContentId(ref[3]!);
  const part = mime?.parts.find((x) => x.contentId === cid);
  if (!part) throw new GatewayFault('attachmentMissing', { cid, parts: mime?.parts.map((x) => x.contentId ?? '(no Content-ID)').join(', ') || 'none' });
  if (part.size > maxBytes) throw new GatewayFault('attachmentTooLarge', { what: `part "${cid}" (${part.size} bytes) made inline`, limit: maxBytes, setting: 'SMEV2_MAX_REQUEST_BYTES' });
  const p = ref[1] ?? '';
  const at = doc.start + ref.index;
  const base64 = (await partBytes(part)).toString('base64');
  const bytes = Buffer.from(`${text.slice(0, at)}<${p}BinaryData>${base64}</${p}BinaryData>${text.slice(at + ref[0].length)}`, 'utf8');
  const rest = mime!.parts.filter((x) => x !== part);
  return { bytes, parts: rest.length ? { parts: rest, framing: mime!.framing } : undefined };
}
