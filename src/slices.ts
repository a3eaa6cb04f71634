import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';

/** Bytes read from a file at a time. */
const FILE_CHUNK = 1024 * 1024;

/**
 * Bytes [at, at + length) of a spool file: a large inline text of a message kept on disk instead of
 * in memory (xml/elide.ts, spoolLargeTexts). The file lives as long as the exchange's spool.
 */
export class FileRange {
  constructor(readonly path: string, readonly at: number, readonly length: number) {}

  /** Bytes [from, to) of the range, read now (one buffer of their size). */
  read(from = 0, to = this.length): Buffer {
    const out = Buffer.allocUnsafe(Math.max(0, to - from));
    const fd = openSync(this.path, 'r');
    try {
      for (let got = 0; got < out.length;) {
        const n = readSync(fd, out, got, out.length - got, this.at + from + got);
        if (n === 0) throw new Error(`spool file ${this.path} ends before byte ${this.at + from + got}: it was removed or cut while its exchange was in work`);
        got += n;
      }
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /**
   * The range's bytes a chunk at a time, read into one reused buffer: each chunk is valid until the
   * next is asked for (a sink that keeps one must copy it).
   */
  *chunks(size = FILE_CHUNK): Generator<Buffer> {
    const buf = Buffer.allocUnsafe(Math.min(size, Math.max(1, this.length)));
    const fd = openSync(this.path, 'r');
    try {
      for (let done = 0; done < this.length;) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, this.length - done), this.at + done);
        if (n === 0) throw new Error(`spool file ${this.path} ends before byte ${this.at + done}: it was removed or cut while its exchange was in work`);
        yield buf.subarray(0, n);
        done += n;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** The same, read without blocking the event loop; each chunk is a buffer of its own. */
  async *chunksAsync(size = FILE_CHUNK): AsyncGenerator<Buffer> {
    const fh = await open(this.path, 'r');
    try {
      for (let done = 0; done < this.length;) {
        const want = Math.min(size, this.length - done);
        const buf = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(buf, 0, want, this.at + done);
        if (bytesRead === 0) throw new Error(`spool file ${this.path} ends before byte ${this.at + done}: it was removed or cut while its exchange was in work`);
        yield bytesRead === want ? buf : buf.subarray(0, bytesRead);
        done += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }
}

/** A slice of a message: bytes in memory, or a range of a spool file. */
export type Piece = Buffer | FileRange;

/**
 * A message held as the slices it is made of, in order: views of the bytes it was made from and
 * the few small buffers spliced between them. The node's marks on a 13 MB request are a header
 * and a signature of a few KB; joining them with the request into one buffer would copy the 13 MB
 * and hold both copies until the exchange ends. Kept as slices, the message is written to a socket
 * with one writev, hashed and stored by chunk, and joined only by a reader that needs one buffer.
 * A slice may also be a range of a spool file (FileRange: a large inline document's text kept on
 * disk); such a message is written, hashed and stored by reading the file a chunk at a time.
 */
export class Slices {
  readonly length: number;

  private constructor(readonly pieces: readonly Piece[]) {
    this.length = pieces.reduce((n, p) => n + p.length, 0);
  }

  /** The slices given, empty ones left out. */
  static of(...pieces: Piece[]): Slices {
    return new Slices(pieces.filter((p) => p.length > 0));
  }

  /** Whether every slice is in memory (no spool file is read to have the bytes). */
  get inMemory(): boolean {
    return this.pieces.every((p) => Buffer.isBuffer(p));
  }

  /** One buffer: itself when there is one slice in memory, else a copy of all of them (a file's slices read). */
  join(): Buffer {
    const only = this.pieces.length === 1 ? this.pieces[0]! : undefined;
    if (only && Buffer.isBuffer(only)) return only;
    if (this.inMemory) return Buffer.concat(this.pieces as Buffer[], this.length);
    return Buffer.concat(this.pieces.map((p) => (Buffer.isBuffer(p) ? p : p.read())), this.length);
  }

  /** Bytes [start, end) as one buffer: a view when they lie in one slice in memory, else a copy of just them. */
  subarray(start: number, end = this.length): Buffer {
    const out: Buffer[] = [];
    let at = 0;
    for (const p of this.pieces) {
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, p.length);
      if (from < to) out.push(Buffer.isBuffer(p) ? p.subarray(from, to) : p.read(from, to));
      at += p.length;
      if (at >= end) break;
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The whole, a slice or a file's chunk at a time (a file's chunks are valid until the next is asked for). */
  *chunks(): Generator<Buffer> {
    for (const p of this.pieces) {
      if (Buffer.isBuffer(p)) yield p;
      else yield* p.chunks();
    }
  }

  /** The same, with files read without blocking the event loop; each chunk a buffer of its own. */
  async *chunksAsync(): AsyncGenerator<Buffer> {
    for (const p of this.pieces) {
      if (Buffer.isBuffer(p)) yield p;
      else yield* p.chunksAsync();
    }
  }

  /** A stream of the whole (files read as it is consumed). */
  stream(): Readable {
    return Readable.from(this.chunksAsync(), { objectMode: false });
  }

  /** The hex SHA-256 of the whole, fed slice by slice. */
  sha256(): string {
    const h = createHash('sha256');
    for (const c of this.chunks()) h.update(c);
    return h.digest('hex');
  }

  /**
   * The first slice in memory for which `f` gives a value, and that value (a scan that needs no
   * whole buffer). Slices in spool files are not read: they hold a document's base64 text.
   */
  firstOf<T>(f: (piece: Buffer) => T | null | undefined): T | null {
    for (const p of this.pieces) {
      if (!Buffer.isBuffer(p)) continue;
      const v = f(p);
      if (v !== null && v !== undefined) return v;
    }
    return null;
  }

  toString(): string {
    return this.join().toString('utf8');
  }
}

/** The bytes of a message whether held whole or as slices. */
export type Bytes = Buffer | Slices;

/** `b` as slices (a buffer is one slice). */
export function slicesOf(b: Bytes): Slices {
  return b instanceof Slices ? b : Slices.of(b);
}

/** `b` as one buffer (slices joined: a copy, unless there is only one). */
export function wholeOf(b: Bytes): Buffer {
  return b instanceof Slices ? b.join() : b;
}
