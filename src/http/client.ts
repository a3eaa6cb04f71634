import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

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
  /** from the request's start to the answer's last byte */
  readTimeoutMs: number;
  maxAnswerBytes: number;
}

export interface PostAnswer {
  status: number;
  bytes: Buffer;
  contentType?: string;
}

/** Why a POST failed, for the caller to turn into its own fault or retry reason. */
export class PostError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'connectTimeout' | 'timeout' | 'tooLarge' | 'interrupted',
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

export function post(target: string | URL, body: Buffer, o: PostOptions): Promise<PostAnswer> {
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
    const headers: http.OutgoingHttpHeaders = { 'content-type': o.contentType, 'content-length': body.length };
    if (o.soapAction !== undefined) headers.soapaction = `"${o.soapAction}"`;
    const req = transport.request(url, { method: 'POST', agent: agentFor(url), headers });
    let connectTimer: NodeJS.Timeout | undefined;
    const readTimer = setTimeout(() => fail(new PostError('timeout', `no answer from ${url.host} within ${o.readTimeoutMs} ms`)), o.readTimeoutMs);
    req.on('socket', (sock: Socket) => {
      if (!sock.connecting) return;
      connectTimer = setTimeout(() => fail(new PostError('connectTimeout', `could not connect to ${url.host} within ${o.connectTimeoutMs} ms`)), o.connectTimeoutMs);
      sock.once('connect', () => clearTimeout(connectTimer));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      fail(new PostError('unreachable', `${url.host}: ${e.message}`, e.code && CONNECT_ERRORS.has(e.code) ? `${e.code} ${url.host}` : e.message));
    });
    req.on('response', (res) => {
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
    req.end(body);
  });
}

/** Close the kept-alive connections (at shutdown). */
export function closeAgents(): void {
  for (const a of agents.values()) a.destroy();
  agents.clear();
}
