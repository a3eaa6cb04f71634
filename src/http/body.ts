import type { IncomingMessage } from 'node:http';

export interface ReadBody {
  bytes: Buffer;
  /** the body went past the limit: `bytes` holds only what came before it */
  tooLarge?: { size: number; limit: number };
}

/** Read a request body, stopping at `limit` bytes (the rest is not read: answer, then close). */
export function readBody(req: IncomingMessage, limit: number): Promise<ReadBody> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) {
    req.pause();
    return Promise.resolve({ bytes: Buffer.alloc(0), tooLarge: { size: declared, limit } });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve({ bytes: Buffer.concat(chunks), tooLarge: { size, limit } });
        return;
      }
      chunks.push(c);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ bytes: Buffer.concat(chunks, size) }));
    req.once('error', reject);
  });
}
