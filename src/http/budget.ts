import type { IncomingMessage } from 'node:http';

/** Seconds a client refused by the byte budget (GW-9002) is told to wait before sending again. */
export const BUDGET_RETRY_AFTER_S = 2;

/**
 * The bytes of requests in work at once, from the first byte read to the reply (`--max-bytes-in-flight`).
 * A request's Content-Length is taken before its body is read, a chunked body's bytes as they come;
 * what a request took is given back when its reply has gone. So the memory that request bodies and
 * what is made of them (their documents, the forwarded copy, the journal's rows) can hold at once is
 * set by configuration, whatever clients send.
 */
export class ByteBudget {
  private heldBytes = 0;

  constructor(readonly limit: number, maxRequestBytes: number) {
    if (limit < maxRequestBytes) {
      throw new Error(`--max-bytes-in-flight / SMEV2_MAX_BYTES_IN_FLIGHT (${limit}) is smaller than --max-request-bytes (${maxRequestBytes}): ` +
        'a request of the largest size allowed could never be taken; raise the budget or lower the request limit');
    }
  }

  get held(): number {
    return this.heldBytes;
  }

  /** Take n bytes; false (nothing taken) when they would go past the limit. */
  take(n: number): boolean {
    if (this.heldBytes + n > this.limit) return false;
    this.heldBytes += n;
    return true;
  }

  give(n: number): void {
    this.heldBytes = Math.max(0, this.heldBytes - n);
  }
}

/** The request's declared Content-Length, when it has a valid one. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const v = req.headers['content-length'];
  if (v === undefined || !/^\d+$/.test(v)) return undefined;
  return Number(v);
}

/**
 * Read a refused request's body to its end without keeping any of it (or until `timeoutMs`), so the
 * client, which sends its whole body before it reads an answer, gets the fault instead of a reset
 * connection. It costs the gateway no memory.
 */
export function discardBody(req: IncomingMessage, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete) return resolve();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    req.resume();
  });
}
