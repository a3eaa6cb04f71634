import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultEnvelope } from '../envelope/build';
import { CaseWriter } from './record-writer';
import { splitBody } from './http';
import { answerAttachments, type RecordedAttachments } from './record-attachments';

export interface RecorderOptions {
  /** a gateway's base URL (the request's path is kept) or a provider's endpoint (taken as it is) */
  upstream: string;
  /** the SID cases are filed under; default: the SID in the request's path /gateway/services/<SID> */
  sid?: string;
  port: number;
  host: string;
  /** the fixtures folder: cases go to <outDir>/<SID>/ */
  outDir: string;
  recordFaults?: boolean;
  log: (line: string) => void;
  maxRequestBytes?: number;
  upstreamTimeoutMs?: number;
}

export interface Recorder {
  url: string;
  writer: CaseWriter;
  close(): Promise<void>;
}

/** Headers that belong to one connection, never forwarded (RFC 9110 §7.6.1), and those fetch rewrites. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host', 'content-length', 'proxy-authorization', 'proxy-authenticate']);
const ANSWER_DROP = new Set([...HOP, 'content-encoding']);

/**
 * An HTTP proxy that forwards every request to the upstream, answers with the upstream's answer
 * unchanged, and writes each SOAP exchange (POST) as a fixture case. Credentials (Authorization,
 * Cookie) are forwarded to the upstream as they came, and never written.
 */
export async function startRecorder(o: RecorderOptions): Promise<Recorder> {
  const upstream = new URL(o.upstream);
  const writer = new CaseWriter(o.outDir, o.log, o.recordFaults);
  const maxBytes = o.maxRequestBytes ?? 64 * 1024 * 1024;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= maxBytes) chunks.push(c);
    });
    req.on('end', () => {
      if (size > maxBytes) {
        res.writeHead(413, { 'content-type': 'text/plain' }).end(`larger than ${maxBytes} bytes: not forwarded\n`);
        return;
      }
      forward(req, Buffer.concat(chunks), res).catch((e) => {
        o.log(`proxy error: ${(e as Error).message}`);
        if (!res.headersSent) res.writeHead(500).end();
      });
    });
  });

  const forward = async (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => {
    const path = req.url ?? '/';
    const target = upstream.pathname === '/' || upstream.pathname === ''
      ? `${upstream.origin}${path}`
      : `${upstream.href}${path.includes('?') && !upstream.search ? path.slice(path.indexOf('?')) : ''}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined && !HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    headers['x-forwarded-host'] ??= req.headers.host ?? '';
    headers['x-forwarded-proto'] ??= 'http';
    const t0 = performance.now();
    let answer: Response;
    try {
      answer = await fetch(target, {
        method: req.method,
        headers,
        body: req.method === 'GET' || req.method === 'HEAD' ? undefined : body,
        redirect: 'manual',
        signal: AbortSignal.timeout(o.upstreamTimeoutMs ?? 120_000),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      o.log(`upstream ${target} unreachable: ${err.cause?.code ?? err.message} (not recorded)`);
      res.writeHead(502, { 'content-type': 'text/xml; charset=utf-8' })
        .end(faultEnvelope({ faultcode: 'Server', faultstring: 'Cannot perform client request', detail: `smev2-gateway record: ${target}: ${err.cause?.code ?? err.message}` }));
      return;
    }
    const bytes = Buffer.from(await answer.arrayBuffer());
    const ms = performance.now() - t0;
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((v, k) => {
      if (!ANSWER_DROP.has(k) && k !== 'set-cookie') out[k] = v;
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length) out['set-cookie'] = cookies;
    res.writeHead(answer.status, out).end(bytes);
    if (req.method !== 'POST') return;
    const sid = o.sid ?? /\/gateway\/services\/(SID\d+)/i.exec(path)?.[1];
    if (!sid) {
      o.log(`not recorded: POST ${path} names no SID (pass --sid)`);
      return;
    }
    const action = req.headers.soapaction;
    try {
      // an MTOM answer: its root part is the answer, its AppDocument the case's attachments/
      const split = await splitBody(bytes, answer.headers.get('content-type') ?? undefined);
      let attachments: RecordedAttachments | undefined;
      try {
        attachments = await answerAttachments(split.bytes, split.parts);
      } catch (e) {
        o.log(`${sid}: the answer's attachments are not recorded: ${(e as Error).message}`);
      }
      writer.record({
        sid, request: body, answer: split.bytes, attachments, httpStatus: answer.status, upstream: target, ms,
        soapAction: typeof action === 'string' ? action.replace(/^"(.*)"$/, '$1') || undefined : undefined,
      });
    } catch (e) {
      o.log(`not recorded (${sid}): ${(e as Error).message}`);
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${addr.port}`,
    writer,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
