import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { GatewayFault } from '../faults/catalogue';
import type { ProviderAdapter, ProviderAnswer, ProviderCall } from './adapter';

export interface HttpAdapterSettings {
  url: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxAnswerBytes: number;
}

const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** Forwards the envelope to the provider's URL and returns its answer, within the configured limits. */
export class HttpAdapter implements ProviderAdapter {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(private readonly s: HttpAdapterSettings) {
    this.url = new URL(s.url);
    const Agent = this.url.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 64 });
  }

  call(c: ProviderCall): Promise<ProviderAnswer> {
    const { s, url } = this;
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<ProviderAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (f: GatewayFault) => {
        if (settled) return;
        settled = true;
        clearTimeout(readTimer);
        clearTimeout(connectTimer);
        req.destroy();
        reject(f);
      };
      const req = transport.request(url, {
        method: 'POST',
        agent: this.agent,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          'content-length': c.bytes.length,
          soapaction: `"${c.soapAction ?? c.operation.soapAction ?? ''}"`,
        },
      });
      let connectTimer: NodeJS.Timeout | undefined;
      const readTimer = setTimeout(() => fail(new GatewayFault('providerTimeout', { timeoutMs: s.readTimeoutMs })), s.readTimeoutMs);
      req.on('socket', (sock: Socket) => {
        if (!sock.connecting) return;
        connectTimer = setTimeout(() => fail(new GatewayFault('providerConnectTimeout', { timeoutMs: s.connectTimeoutMs })), s.connectTimeoutMs);
        sock.once('connect', () => clearTimeout(connectTimer));
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code && CONNECT_ERRORS.has(e.code)) fail(new GatewayFault('providerUnreachable', {}, `${e.code} ${url.host}`));
        else fail(new GatewayFault('providerUnreachable', {}, e.message));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > s.maxAnswerBytes) return fail(new GatewayFault('providerAnswerTooLarge', { limit: s.maxAnswerBytes }));
          chunks.push(chunk);
        });
        res.on('error', (e) => fail(new GatewayFault('providerUnreachable', {}, `answer interrupted: ${e.message}`)));
        res.on('aborted', () => fail(new GatewayFault('providerUnreachable', {}, 'the provider closed the connection mid-answer')));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(readTimer);
          resolve({ status: res.statusCode ?? 502, bytes: Buffer.concat(chunks), contentType: res.headers['content-type'] });
        });
      });
      req.end(c.bytes);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}
