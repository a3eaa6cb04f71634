import { hasher } from '../crypto/gost';
import { partStream, type MimePart } from '../http/multipart';

/**
 * AppDocument/DigestValue of an MTOM part (PROTOCOL.md §7): the base64 of GOST R 34.11-94
 * (CryptoPro parameters) of the part's *base64 text*, without line breaks, not of its raw bytes.
 * Computed as the part streams: its bytes are base64-encoded in runs of whole 3-byte groups.
 */
export async function partDigestValue(part: MimePart): Promise<string> {
  const h = hasher('gost94');
  let carry = Buffer.alloc(0);
  for await (const chunk of partStream(part)) {
    const b = carry.length ? Buffer.concat([carry, chunk as Buffer]) : (chunk as Buffer);
    const whole = b.length - (b.length % 3);
    h.update(Buffer.from(b.subarray(0, whole).toString('base64'), 'latin1'));
    carry = Buffer.from(b.subarray(whole));
  }
  if (carry.length) h.update(Buffer.from(carry.toString('base64'), 'latin1'));
  return Buffer.from(h.digest()).toString('base64');
}

/** The same digest over bytes in memory (the composer and the emulator make DigestValues with it). */
export function bytesDigestValue(bytes: Buffer): Promise<string> {
  return partDigestValue({ contentType: 'application/octet-stream', headers: {}, size: bytes.length, sha256: '', bytes });
}
