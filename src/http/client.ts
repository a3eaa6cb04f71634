import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { Slices } from '../slices';
import { isMultipart, readMultipart, MultipartError, type MimeParts, type MultipartLimits, type Spool } from './multipart';

/**
 * The gateway's one outbound HTTP client: what it sends to providers (http adapters, the delivery
 * worker's polls), callbacks to consumers and events to subscribers. Every wait has a bound from
 * configuration: connecting, the whole answer, and its size. Keep-alive agents are shared per
 * origin, so one provider's connections are reused across exchanges and the delivery worker.
 */
export interface PostOptions {
  contentType: string;
  soapAction?: string;
  connectTimeoutMs: number;
  /**
   * From the request's start to the answer's last byte; but a body sent as a stream (MTOM, of any
   * size) and an MTOM answer are bounded by it as an idle timeout while their bytes flow, and the
   * whole-answer bound starts once the body is sent, so that a 1 GiB part over a slow link is not
   * cut off by a bound meant for the provider's thinking time
   */
  readTimeoutMs: number;
  maxAnswerBytes: number;
  /** an MTOM answer is read with these limits, its large parts spooled; without, it is refused as too large past maxAnswerBytes */
  parts?: { spool: Spool; limits: Omit<MultipartLimits, 'maxRootBytes' | 'idleTimeoutMs'> };
}

/** A body sent as a stream (an MTOM message whose parts are spooled files), its length known. */
export interface StreamBody {
  length: number;
  stream: () => Readable;
}

export interface PostAnswer {
  status: number;
  /** the body (MTOM: the root part) */
  bytes: Buffer;
  /** the Content-Type (MTOM: the root part's) */
  contentType?: string;
  /** MTOM: the other parts of the answer */
  parts?: MimeParts;
}

/** Why a POST failed, for the caller to turn into its own fault or retry reason. */
export class PostError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'connectTimeout' | 'timeout' | 'tooLarge' | 'interrupted' | 'badMultipart',
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const agents = new Map<string, http.Agent>();

function agentFor(url: URL): http.Agent {
  const key = `${url.protocol}//${url.host}`;
  let a = agents.get(key);
  if (!a) {
    a = url.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 64 }) : new http.Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(key, a);
  }
  return a;
}

/**
 * POST `body` (one buffer, slices of one message written with one writev, or a stream of known
 * length) and read the answer.
 */
export function post(target: string | URL, given: Buffer | Slices | StreamBody, o: PostOptions): Promise<PostAnswer> {
  // slices partly in a spool file (a large inline text) are streamed from it, as a part's file is
  const body = given instanceof Slices && !given.inMemory ? { length: given.length, stream: () => given.stream() } : given;
  const url = typeof target === 'string' ? new URL(target) : target;
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<PostAnswer>((resolve, reject) => {
    let settled = false;
    const fail = (e: PostError) => {
      if (settled) return;
      settled = true;
      clearTimeout(readTimer);
      clearTimeout(connectTimer);
      req.destroy();
      reject(e);
    };
    const timedOut = () => fail(new PostError('timeout', `no answer from ${url.host} within ${o.readTimeoutMs} ms`));
    // the whole-answer bound; while a streamed body is sent, the same span without progress
    let readTimer: NodeJS.Timeout | undefined;
    let answerTimed = false;
    const idle = () => {
      if (answerTimed || settled) return;
      clearTimeout(readTimer);
      readTimer = setTimeout(timedOut, o.readTimeoutMs);
    };
    const answerTimer = () => {
      if (answerTimed || settled) return;
      answerTimed = true;
      clearTimeout(readTimer);
      readTimer = setTimeout(timedOut, o.readTimeoutMs);
    };
    const headers: http.OutgoingHttpHeaders = { 'content-type': o.contentType, 'content-length': body.length };
    if (o.soapAction !== undefined) headers.soapaction = `"${o.soapAction}"`;
    const req = transport.request(url, { method: 'POST', agent: agentFor(url), headers });
    let connectTimer: NodeJS.Timeout | undefined;
    const inMemory = Buffer.isBuffer(body) || body instanceof Slices;
    if (inMemory) answerTimer();
    else {
      idle();
      req.once('finish', answerTimer);
    }
    req.on('socket', (sock: Socket) => {
      if (!sock.connecting) return;
      connectTimer = setTimeout(() => fail(new PostError('connectTimeout', `could not connect to ${url.host} within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs);
      sock.once('connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      fail(new PostError('unreachable', `${url.host}: ${e.message}`, e.code && CONNECT_ERRORS.has(e.code) ? `${e.code} ${url.host}` : e.message));
    });
    req.on('response', (res) => {
      answerTimer(); // an answer before the whole body went (a refusal): its own bound
      if (o.parts && isMultipart(res.headers['content-type'])) {
        // an MTOM answer's parts may be of any size: readMultipart's idle timeout bounds it from here
        clearTimeout(readTimer);
        readMultipart(res, String(res.headers['content-type']), { ...o.parts.limits, maxRootBytes: o.maxAnswerBytes, idleTimeoutMs: o.readTimeoutMs }, o.parts.spool).then((m) => {
          if (settled) return;
          settled = true;
          clearTimeout(readTimer);
          resolve({ status: res.statusCode ?? 502, bytes: m.root.bytes, contentType: m.root.contentType, parts: { parts: m.parts, framing: m.framing } });
        }, (e: unknown) => {
          if (!(e instanceof MultipartError)) return fail(new PostError('interrupted', `answer interrupted: ${(e as Error).message}`));
          fail(e.kind === 'rootTooLarge' ? new PostError('tooLarge', `${url.host} answered more than ${o.maxAnswerBytes} bytes`)
            : e.kind === 'slow' ? new PostError('timeout', `no answer from ${url.host} within ${o.readTimeoutMs} ms`)
              : new PostError('badMultipart', `${url.host} answered a multipart/related body that cannot be read: ${e.message}`, e.message));
        });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > o.maxAnswerBytes) return fail(new PostError('tooLarge', `${url.host} answered more than ${o.maxAnswerBytes} bytes`));
        chunks.push(chunk);
      });
      res.on('error', (e) => fail(new PostError('interrupted', `answer interrupted: ${e.message}`)));
      res.on('aborted', () => fail(new PostError('interrupted', 'the server closed the connection mid-answer')));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(readTimer);
        resolve({ status: res.statusCode ?? 502, bytes: Buffer.concat(chunks), contentType: res.headers['content-type'] });
      });
    });
    if (Buffer.isBuffer(body)) req.end(body);
    else if (body instanceof Slices) {
      // corked: the slices go to the socket in one writev once end() uncorks it
      req.cork();
      for (const p of body.chunks()) req.write(p);
      req.end();
    } else {
      // written by hand rather than piped: each chunk's write callback (the socket took it, i.e.
      // the provider is reading) is the progress that keeps the idle bound from firing
      const src = body.stream();
      src.on('error', (e) => fail(new PostError('interrupted', `the body could not be read: ${e.message}`)));
      src.on('data', (c: Buffer) => {
        if (!req.write(c, idle)) src.pause();
      });
      src.on('end', () => req.end());
      req.on('drain', () => src.resume());
      req.on('close', () => src.destroy());
    }
  });
}

/** Close the kept-alive connections (at shutdown). */
export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}
