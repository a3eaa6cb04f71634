/**
 * SMEV 2 traffic is UTF-8, and the gateway judges it as UTF-8 bytes: the structural limits count
 * them, the journal indexes them, the signature's c14n reads them. A body in another encoding is
 * refused with GW-1017 naming the encoding and where it was declared, rather than judged wrongly
 * (a UTF-16 envelope's bytes read as UTF-8 look nested too deep) or transcoded (the bytes sent on
 * would no longer be the bytes the consumer signed and sent). Decided in docs/faults.md.
 */
export interface ForeignEncoding {
  /** the encoding, as named or recognised: UTF-16LE, UTF-32BE, windows-1251, ... */
  encoding: string;
  /** what said so: a byte-order mark, the byte layout, the XML declaration, the Content-Type */
  where: string;
}

const BOMS: [number[], string][] = [
  [[0x00, 0x00, 0xfe, 0xff], 'UTF-32BE'],
  [[0xff, 0xfe, 0x00, 0x00], 'UTF-32LE'],
  [[0xfe, 0xff], 'UTF-16BE'],
  [[0xff, 0xfe], 'UTF-16LE'],
];

/** `<` or `<?` without a byte-order mark, in encodings whose ASCII is not one byte a character. */
const LAYOUTS: [number[], string][] = [
  [[0x00, 0x00, 0x00, 0x3c], 'UTF-32BE'],
  [[0x3c, 0x00, 0x00, 0x00], 'UTF-32LE'],
  [[0x00, 0x3c], 'UTF-16BE'],
  [[0x3c, 0x00], 'UTF-16LE'],
  [[0x4c, 0x6f, 0xa7, 0x94], 'EBCDIC'],
];

const UTF8 = /^utf-?8$/i;
const DECLARATION = /^<\?xml\s[^>]*?\bencoding\s*=\s*(["'])([^"']*)\1/;

const startsWith = (b: Buffer, bytes: number[]) => bytes.every((x, i) => b[i] === x);

/** The body's encoding when it is not UTF-8 (with or without a BOM), else undefined. */
export function foreignEncoding(raw: Buffer, contentType?: string): ForeignEncoding | undefined {
  for (const [bom, encoding] of BOMS) if (startsWith(raw, bom)) return { encoding, where: 'byte-order mark' };
  for (const [bytes, encoding] of LAYOUTS) if (startsWith(raw, bytes)) return { encoding, where: 'byte layout of the first characters' };
  const head = raw.subarray(startsWith(raw, [0xef, 0xbb, 0xbf]) ? 3 : 0, 256).toString('latin1');
  const declared = DECLARATION.exec(head)?.[2];
  if (declared !== undefined && !UTF8.test(declared)) return { encoding: declared || '(empty)', where: 'XML declaration' };
  const charset = contentType && /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType)?.[1];
  if (charset && !UTF8.test(charset)) return { encoding: charset, where: 'Content-Type charset' };
  return undefined;
}
