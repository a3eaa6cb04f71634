/**
 * A minimal DER reader and writer: enough for X.509 certificates, SubjectPublicKeyInfo and
 * PKCS#8 of GOST and RSA keys. Readers keep the exact bytes of each element (a signature covers
 * the TBSCertificate as encoded, never a re-encoding).
 */
export interface Der {
  tag: number;
  /** the whole element, header included */
  bytes: Buffer;
  /** the contents */
  value: Buffer;
  children?: Der[];
}

export const TAG = {
  BOOLEAN: 0x01, INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06,
  UTF8: 0x0c, PRINTABLE: 0x13, IA5: 0x16, UTC_TIME: 0x17, GENERALIZED_TIME: 0x18, BMP: 0x1e,
  SEQUENCE: 0x30, SET: 0x31,
} as const;

export function readDer(buf: Buffer, offset = 0): Der {
  const start = offset;
  const tag = buf[offset++];
  if (tag === undefined) throw new Error('DER: unexpected end of data');
  let len = buf[offset++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER: unsupported length encoding');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[offset++];
  }
  const end = offset + len;
  if (end > buf.length) throw new Error('DER: element runs past the end of data');
  const el: Der = { tag, bytes: buf.subarray(start, end), value: buf.subarray(offset, end) };
  if (tag & 0x20) {
    el.children = [];
    let p = offset;
    while (p < end) {
      const c = readDer(buf, p);
      el.children.push(c);
      p += c.bytes.length;
    }
  }
  return el;
}

export function oidToString(value: Buffer): string {
  const parts: number[] = [Math.floor(value[0] / 40), value[0] % 40];
  let n = 0;
  for (let i = 1; i < value.length; i++) {
    n = n * 128 + (value[i] & 0x7f);
    if (!(value[i] & 0x80)) {
      parts.push(n);
      n = 0;
    }
  }
  return parts.join('.');
}

export function readTime(el: Der): Date {
  const s = el.value.toString('latin1');
  if (el.tag === TAG.UTC_TIME) {
    const yy = Number(s.slice(0, 2));
    return new Date(`${yy < 50 ? 20 : 19}${s.slice(0, 2)}-${s.slice(2, 4)}-${s.slice(4, 6)}T${s.slice(6, 8)}:${s.slice(8, 10)}:${s.slice(10, 12)}Z`);
  }
  return new Date(`${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`);
}

export function readString(el: Der): string {
  if (el.tag === TAG.BMP) {
    const swapped = Buffer.from(el.value);
    swapped.swap16();
    return swapped.toString('utf16le');
  }
  return el.value.toString(el.tag === TAG.UTF8 ? 'utf8' : 'latin1');
}

// ---- writer ----

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function der(tag: number, ...content: Buffer[]): Buffer {
  const value = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(value.length), value]);
}

export const seq = (...c: Buffer[]) => der(TAG.SEQUENCE, ...c);
export const set = (...c: Buffer[]) => der(TAG.SET, ...c);
export const octets = (b: Buffer | Uint8Array) => der(TAG.OCTET_STRING, Buffer.from(b));
export const bitString = (b: Buffer | Uint8Array) => der(TAG.BIT_STRING, Buffer.from([0]), Buffer.from(b));
export const utf8 = (s: string) => der(TAG.UTF8, Buffer.from(s, 'utf8'));
export const printable = (s: string) => der(TAG.PRINTABLE, Buffer.from(s, 'latin1'));
export const nullDer = () => Buffer.from([TAG.NULL, 0]);
export const explicit = (n: number, c: Buffer) => der(0xa0 + n, c);

export function integer(v: bigint | number): Buffer {
  let n = BigInt(v);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return der(TAG.INTEGER, Buffer.from(bytes));
}

export function oid(s: string): Buffer {
  const p = s.split('.').map(Number);
  const out = [p[0] * 40 + p[1]];
  for (const n of p.slice(2)) {
    const enc: number[] = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) enc.unshift((v & 0x7f) | 0x80);
    out.push(...enc);
  }
  return der(TAG.OID, Buffer.from(out));
}

export function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return d.getUTCFullYear() < 2050 ? der(TAG.UTC_TIME, Buffer.from(`${iso.slice(2)}Z`)) : der(TAG.GENERALIZED_TIME, Buffer.from(`${iso}Z`));
}
