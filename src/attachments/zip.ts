/**
 * ZIP reading and writing for AppDocuments, on yauzl and yazl (README, "Choices of libraries").
 * Reading works from a file or a buffer by random access: the central directory is listed first
 * (nothing inflated), then each entry is streamed on demand, its CRC-32 checked, so a 1 GiB ZIP
 * never sits in memory. Names are decoded strictly (backslashes kept) and judged by the caller
 * (guard.ts): yauzl's own name check would call a path traversal a broken ZIP, not a refused one.
 */
import { crc32 } from 'node:zlib';
import yauzl from 'yauzl';
import yazl from 'yazl';

export interface ZipEntry {
  /** the name as stored (UTF-8 when flagged, else CP437), with any backslashes kept */
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  /** a folder entry (name ending in /): listed by ZIP tools, holds no data */
  isDirectory: boolean;
  /** yauzl's entry, to stream */
  readonly raw: yauzl.Entry;
}

/** Why a ZIP could not be read: `broken` (GW-5005) or `bomb` (an entry inflating past its declared size, GW-5006). */
export class ZipReadError extends Error {
  constructor(message: string, readonly kind: 'broken' | 'bomb') {
    super(message);
  }
}

export interface OpenedZip {
  /** the number of entries the end of central directory record declares: known before listing any */
  entryCount: number;
  /** the central directory, read through (nothing inflated) */
  list(): Promise<ZipEntry[]>;
  /**
   * Inflate one entry, handing each chunk to `onChunk` (which may throw to stop, or return a
   * promise to hold the next chunk back until a slow reader has taken this one). Rejects with
   * ZipReadError when the data is truncated, does not inflate, or fails its CRC-32.
   */
  stream(entry: ZipEntry, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<void>;
  close(): void;
}

// strict about sizes (yauzl counts inflated bytes against the header), lenient about names
const OPTIONS: yauzl.Options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true };

/** Open a ZIP from a file (read by random access) or from bytes, and list its central directory. */
export async function openZip(source: { path: string } | { bytes: Buffer }): Promise<OpenedZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = 'path' in source ? await yauzl.openPromise(source.path, OPTIONS) : await yauzl.fromBufferPromise(source.bytes, OPTIONS);
  } catch (e) {
    throw new ZipReadError((e as Error).message, 'broken');
  }
  return { entryCount: zip.entryCount, list: () => listEntries(zip), stream: (entry, onChunk) => streamEntry(zip, entry, onChunk), close: () => zip.close() };
}

async function listEntries(zip: yauzl.ZipFile): Promise<ZipEntry[]> {
  const out: ZipEntry[] = [];
  try {
    for await (const e of zip.eachEntry()) {
      const name = yauzl.getFileNameLowLevel(e.generalPurposeBitFlag, e.fileName as unknown as Buffer, e.extraFields, true);
      out.push({ name, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, crc32: e.crc32, isDirectory: name.endsWith('/'), raw: e });
    }
  } catch (e) {
    throw new ZipReadError(`its central directory does not read: ${(e as Error).message}`, 'broken');
  }
  return out;
}

async function streamEntry(zip: yauzl.ZipFile, entry: ZipEntry, onChunk: (chunk: Buffer) => void | Promise<void>): Promise<void> {
  let crc = 0;
  try {
    const stream = await zip.openReadStreamPromise(entry.raw);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      crc = crc32(chunk, crc);
      await onChunk(chunk);
    }
  } catch (e) {
    if (e instanceof ZipReadError) throw e;
    // zlib's errors may come from another realm (a vm context): read the message, not the class
    const message = String((e as { message?: unknown })?.message ?? e);
    // yauzl's byte count against the central directory: more bytes than declared is a lying header
    const kind = /too many bytes in the stream/.test(message) ? 'bomb' : 'broken';
    throw new ZipReadError(`entry ${entry.name}: ${message}`, kind);
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new ZipReadError(`entry ${entry.name}: CRC-32 of its data is ${hex32(crc)}, its header says ${hex32(entry.crc32)}`, 'broken');
  }
}

const hex32 = (n: number): string => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

/** A ZIP of `files` (deflated), e.g. an AppDocument with its files and their `.sig` signatures. */
export function buildZip(files: { name: string; bytes: Buffer }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const f of files) zip.addBuffer(f.bytes, f.name);
  zip.end();
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => parts.push(c));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(parts)));
  });
}
