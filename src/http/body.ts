import type { IncomingMessage } from 'node:http';

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
 * answer, then close).
 */
export function readBody(req: IncomingMessage, limit: number, timeoutMs: number, reserve?: (n: number) => boolean): Promise<ReadBody> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.pause();
    return Promise.resolve({ bytes: Buffer.alloc(0), tooLarge: { size: declared, limit } });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (r: ReadBody) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.pause();
      resolve(r);
    };
    const timer = setTimeout(() => stop({ bytes: Buffer.concat(chunks), slow: { timeoutMs } }), timeoutMs);
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) return stop({ bytes: Buffer.concat(chunks), tooLarge: { size, limit } });
      // a body without Content-Length takes its bytes from the budget (--max-bytes-in-flight) as they come
      if (reserve && !reserve(c.length)) return stop({ bytes: Buffer.concat(chunks), overBudget: { size } });
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => stop({ bytes: Buffer.concat(chunks, size) }));
    req.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
