import { createHash } from 'node:crypto';

/**
 * A message held as the slices it is made of, in order: views of the bytes it was made from and
 * the few small buffers spliced between them. The node's marks on a 13 MB request are a header
 * and a signature of a few KB; joining them with the request into one buffer would copy the 13 MB
 * and hold both copies until the exchange ends. Kept as slices, the message is written to a socket
 * with one writev, hashed and stored by chunk, and joined only by a reader that needs one buffer.
 */
export class Slices {
  readonly length: number;

  private constructor(readonly pieces: readonly Buffer[]) {
    this.length = pieces.reduce((n, p) => n + p.length, 0);
  }

  /** The slices given, empty ones left out. */
  static of(...pieces: Buffer[]): Slices {
    return new Slices(pieces.filter((p) => p.length > 0));
  }

  /** One buffer: itself when there is one slice, else a copy of all of them. */
  join(): Buffer {
    if (this.pieces.length === 1) return this.pieces[0]!;
    return Buffer.concat(this.pieces as Buffer[], this.length);
  }

  /** Bytes [start, end) as one buffer: a view when they lie in one slice, else a copy of just them. */
  subarray(start: number, end = this.length): Buffer {
    const out: Buffer[] = [];
    let at = 0;
    for (const p of this.pieces) {
      const from = Math.max(start - at, 0);
      const to = Math.min(end - at, p.length);
      if (from < to) out.push(p.subarray(from, to));
      at += p.length;
      if (at >= end) break;
    }
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  }

  /** The hex SHA-256 of the whole, fed slice by slice. */
  sha256(): string {
    const h = createHash('sha256');
    for (const p of this.pieces) h.update(p);
    return h.digest('hex');
  }

  /** The first slice for which `f` gives a value, and that value (a scan that needs no whole buffer). */
  firstOf<T>(f: (piece: Buffer) => T | null | undefined): T | null {
    for (const p of this.pieces) {
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
