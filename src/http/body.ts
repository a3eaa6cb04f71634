import type { IncomingMessage } from 'node:http';

/** Bodies of at least this many bytes with a Content-Length are read into one buffer. */
const ONE_BUFFER_FROM = 256 * 1024;

/** `onChunk` is told at most once per this many bytes read (what it does, reading RSS, is a few syscalls). */
const TELL_EVERY = 1024 * 1024;

export interface ReadBody {
  bytes: Buffer;
  /** the body went past the limit: `bytes` holds only what came before it */
  tooLarge?: { size: number; limit: number };
  /** the body did not arrive in time: `bytes` holds what came */
  slow?: { timeoutMs: number };
  /** a chunked body's next chunk would go past the byte budget: `bytes` holds what came before it */
  overBudget?: { size: number };
}

/**
 * Read a request body, stopping at `limit` bytes or after `timeoutMs` (the rest is not read:
 * answer, then close). `onChunk` is told as chunks are taken, once a MiB (the garbage budget: a large body's
 * socket chunks are copied into its buffer and are garbage from then on, its size again).
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number, reserve?: (n: number) => boolean, onChunk?: () => void): Promise<ReadBody> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.pause();
    return Promise.resolve({ bytes: Buffer.alloc(0), tooLarge: { size: declared, limit } });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tellAt = 0;
    // with its length declared, a large body is read into one buffer as it comes: the socket's
    // chunks are let go at once instead of being held until they are joined (one copy of the body
    // in memory, not two at the end of the read)
    let whole: Buffer | undefined = Number.isSafeInteger(declared) && declared >= ONE_BUFFER_FROM ? Buffer.allocUnsafe(declared) : undefined;
    const held = () => (whole ? whole.subarray(0, size) : Buffer.concat(chunks, size));
    const stop = (r: ReadBody) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.pause();
      // the request's remaining listeners (its 'error') share this scope: let go of the body here,
      // or they would keep it as long as the request lives, whatever the exchange does with it
      whole = undefined;
      chunks.length = 0;
      resolve(r);
    };
    const timer = setTimeout(() => stop({ bytes: held(), slow: { timeoutMs } }), timeoutMs);
    const onData = (c: Buffer) => {
      if (size + c.length > limit) return stop({ bytes: held(), tooLarge: { size: size + c.length, limit } });
      // a body without Content-Length takes its bytes from the budget (--max-bytes-in-flight) as they come
      if (reserve && !reserve(c.length)) return stop({ bytes: held(), overBudget: { size: size + c.length } });
      if (whole && size + c.length > whole.length) { // more than declared (node's parser forbids it): keep chunks
        chunks.push(Buffer.from(whole.subarray(0, size)));
        whole = undefined;
      }
      if (whole) c.copy(whole, size);
      else chunks.push(c);
      size += c.length;
      if (onChunk && size >= tellAt) {
        tellAt = size + TELL_EVERY;
        onChunk();
      }
    };
    req.on('data', onData);
    req.once('end', () => stop({ bytes: held() }));
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
