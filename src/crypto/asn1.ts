/**
 * The little DER this folder needs: read a TLV tree (certificates, SubjectPublicKeyInfo,
 * PKCS#8) and write SEQUENCE / OID / OCTET STRING / BIT STRING / INTEGER. Single-byte tags
 * only (all GOST key structures use universal or low context tags).
 */

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export interface Der {
  tag: number;
  /** The content octets (a view into the input). */
  content: Uint8Array;
  /** The whole TLV (a view into the input). */
  raw: Uint8Array;
}

export class DerError extends Error {}

/** Read one TLV at `off`; returns it and the offset after it. */
export function readTlv(buf: Uint8Array, off = 0): { node: Der; next: number } {
  const start = off;
  if (off + 2 > buf.length) throw new DerError('truncated DER');
  const tag = buf[off++]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError('multi-byte DER tags are not supported');
  let len = buf[off++]!;
  if (len & 0x80) {
    const k = len & 0x7f;
    if (k === 0 || k > 4) throw new DerError('unsupported DER length');
    if (off + k > buf.length) throw new DerError('truncated DER length');
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + buf[off++]!;
  }
  if (off + len > buf.length) throw new DerError('DER content runs past the end');
  return {
    node: { tag, content: buf.subarray(off, off + len), raw: buf.subarray(start, off + len) },
    next: off + len,
  };
}

/** Parse exactly one TLV spanning the whole input. */
export function parseDer(buf: Uint8Array): Der {
  const { node, next } = readTlv(buf, 0);
  if (next !== buf.length) throw new DerError('trailing bytes after DER value');
  return node;
}

/** The children of a constructed value. */
export function children(node: Der): Der[] {
  if ((node.tag & 0x20) === 0) throw new DerError(`tag 0x${node.tag.toString(16)} is not constructed`);
  const out: Der[] = [];
  let off = 0;
  while (off < node.content.length) {
    const { node: c, next } = readTlv(node.content, off);
    out.push(c);
    off = next;
  }
  return out;
}

export function expectTag(node: Der | undefined, tag: number, what: string): Der {
  if (!node) throw new DerError(`${what}: missing`);
  if (node.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${node.tag.toString(16)}`);
  return node;
}

export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OID');
  const parts: number[] = [];
  let v = 0;
  for (const b of content) {
    v = v * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      parts.push(v);
      v = 0;
    }
  }
  const first = parts.shift()!;
  const a = first < 80 ? Math.floor(first / 40) : 2;
  return [a, first - 40 * a, ...parts].join('.');
}

function encodeLength(len: number): Uint8Array {
  if (len < 0x80) return Uint8Array.of(len);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const len = content.reduce((s, c) => s + c.length, 0);
  const l = encodeLength(len);
  const out = new Uint8Array(1 + l.length + len);
  out[0] = tag;
  out.set(l, 1);
  let off = 1 + l.length;
  for (const c of content) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, ...items);
}

export function oid(dotted: string): Uint8Array {
  const p = dotted.split('.').map((s) => Number(s));
  if (p.length < 2 || p.some((x) => !Number.isInteger(x) || x < 0)) throw new DerError(`bad OID ${dotted}`);
  const arcs = [40 * p[0]! + p[1]!, ...p.slice(2)];
  const bytes: number[] = [];
  for (const arc of arcs) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    bytes.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(bytes));
}

export function octetString(content: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, content);
}

export function bitString(content: Uint8Array): Uint8Array {
  return tlv(TAG.BIT_STRING, Uint8Array.of(0), content);
}

export function integer(contentOctets: Uint8Array): Uint8Array {
  return tlv(TAG.INTEGER, contentOctets);
}

/** PEM body -> DER; accepts DER unchanged. With `label`, only that block is taken. */
export function fromPem(input: Uint8Array | string, label?: string): Uint8Array {
  if (typeof input !== 'string') {
    if (input.length > 0 && input[0] === TAG.SEQUENCE) return input;
    input = Buffer.from(input).toString('latin1');
  }
  const re = label
    ? new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`)
    : /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/;
  const m = re.exec(input);
  const body = m ? m[1]! : input; // bare base64 (as in a BinarySecurityToken) is accepted too
  return new Uint8Array(Buffer.from(body.replace(/\s+/g, ''), 'base64'));
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${b64}\n-----END ${label}-----\n`;
}

// ---- X.509 needs: names, times, sets, context tags ----

export const STRING_TAG = { UTF8: 0x0c, PRINTABLE: 0x13, IA5: 0x16, BMP: 0x1e, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18 } as const;

/** A directory string of any of the usual types. */
export function decodeString(node: Der): string {
  if (node.tag === STRING_TAG.BMP) {
    const swapped = Buffer.from(node.content);
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  // Teletex and friends often carry UTF-8 in real Russian certificates: prefer it when it decodes.
  try {
    return UTF8.decode(node.content);
  } catch {
    return Buffer.from(node.content).toString('latin1');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function decodeTime(node: Der): Date {
  const s = Buffer.from(node.content).toString('latin1');
  const full = node.tag === STRING_TAG.UTC_TIME ? `${Number(s.slice(0, 2)) < 50 ? '20' : '19'}${s}` : s;
  return new Date(`${full.slice(0, 4)}-${full.slice(4, 6)}-${full.slice(6, 8)}T${full.slice(8, 10)}:${full.slice(10, 12)}:${full.slice(12, 14)}Z`);
}

export function encodeTime(d: Date): Uint8Array {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050
    ? tlv(STRING_TAG.UTC_TIME, Buffer.from(`${iso.slice(2)}Z`, 'latin1'))
    : tlv(STRING_TAG.GENERALIZED_TIME, Buffer.from(`${iso}Z`, 'latin1'));
}

export function utf8String(s: string): Uint8Array {
  return tlv(STRING_TAG.UTF8, Buffer.from(s, 'utf8'));
}

export function set(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG.SET, ...items);
}

/** [n] EXPLICIT */
export function explicit(n: number, content: Uint8Array): Uint8Array {
  return tlv(0xa0 + n, content);
}

/** A non-negative INTEGER from a bigint. */
export function bigInteger(v: bigint): Uint8Array {
  const bytes: number[] = [];
  let n = v;
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return integer(Uint8Array.from(bytes));
}

export function nullDer(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}
