import { randomUUID } from 'node:crypto';
import { STATUS_CODES, maxHeaderSize as httpMaxHeaderSize, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Registry } from '../registry/registry';
import { requestLength, type Exchange, type HttpRequestInfo } from '../pipeline/exchange';
import { publishFile, serviceUrl } from '../registry/publish';
import { readBody, type ReadBody } from './body';
import { isMultipart, readMultipart, writeMultipart, MultipartError, Spool, type MimeParts } from './multipart';
import { ByteBudget, BUDGET_RETRY_AFTER_S, declaredLength, discardBody } from './budget';
import { clientAddress, fromTrustedProxy } from './proxy';
import { GatewayFault } from '../faults/catalogue';
import { escapeXml } from '../envelope/build';
import { faultResponse } from '../stages/respond';
import { fault, problem } from '../rest/router';

export interface ServerDeps {
  config: Config;
  registry: Registry;
  pipeline: (ex: Exchange) => Promise<void>;
  /** runs exchanges with large bodies in a worker thread (src/pipeline/lane.ts) */
  lane?: { takes(ex: Exchange): boolean; run(ex: Exchange): Promise<void> };
  log: Logger;
  ready: () => Promise<boolean>;
  /** what /readyz warns about while staying ready (a nearly full disk under the store) */
  warnings?: () => Promise<string[]>;
  availability: () => unknown[];
  /** the Prometheus exposition */
  metrics?: () => Promise<{ contentType: string; body: string }>;
  /** the admin API (/admin) and the web console (/console), each behind its login */
  admin?: express.Router;
  console?: express.Router;
  /** the REST façade (/api/v1, src/rest): API keys, not logins */
  api?: express.Router;
  /** counts what node's HTTP parser refused, by reason (clientErrors) */
  countRefusal?: (reason: string) => void;
  /** told when an exchange's answer has gone, with the size of its body (pipeline/memory.ts) */
  garbage?: { settled(bodyBytes: number): void; arriving(bodyBytes: number): void; between(bodyBytes: number): void };
}

const XML = 'text/xml; charset=utf-8';

/** HTTP front: the SOAP endpoints, the published WSDL bundles, health. */
export function createApp(d: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  let inFlight = 0;
  const budget = new ByteBudget(d.config.maxBytesInFlight, d.config.maxRequestBytes);
  app.set('etag', false);
  // X-Forwarded-* only from the listed proxies (SMEV2_TRUST_PROXY; none by default): req.ip, baseUrl
  app.set('trust proxy', d.config.trustProxy);

  // pid: which process of `start --workers` answered
  app.get('/healthz', (_req, res) => { res.json({ status: 'ok', pid: process.pid }); });
  app.get('/readyz', async (_req, res) => {
    const ok = await d.ready();
    const warnings = d.warnings ? await d.warnings().catch((e: Error) => [`the disk checks failed: ${e.message}`]) : [];
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', services: d.registry.list().length, warnings });
  });

  app.get('/metrics', async (_req, res) => {
    if (!d.metrics) return void res.status(404).end();
    try {
      const m = await d.metrics();
      res.type(m.contentType).send(m.body);
    } catch (e) {
      res.status(503).type('text/plain').send(`metrics unavailable: ${(e as Error).message}\n`);
    }
  });

  if (d.admin) app.use('/admin', d.admin);
  if (d.console) app.use('/console', d.console);
  if (d.api) {
    // the REST façade's bodies come out of the same bytes-in-flight budget as the SOAP endpoint's,
    // by their declared length before they are read; given back when the reply has gone
    app.use('/api/v1', (req, res, next) => {
      if (req.method !== 'POST' && req.method !== 'PUT') return next();
      const declared = declaredLength(req);
      if (declared === undefined) {
        res.setHeader('connection', 'close');
        return void problem(res, fault(new GatewayFault('restLengthRequired')));
      }
      if (declared > d.config.maxRequestBytes) return next(); // the façade's own limit answers 413 without reading
      if (!budget.take(declared)) {
        res.setHeader('connection', 'close').setHeader('retry-after', String(BUDGET_RETRY_AFTER_S));
        return void problem(res, fault(new GatewayFault('memoryBudget', { held: budget.held, size: declared, limit: budget.limit, retryAfter: BUDGET_RETRY_AFTER_S })));
      }
      res.once('close', () => budget.give(declared));
      next();
    }, d.api);
  }

  app.get('/gateway/availability', (_req, res) => {
    res.json(d.availability());
  });

  app.get(['/', '/gateway/services', '/gateway/services/'], (req, res) => {
    const base = baseUrl(req, d.config);
    if (req.accepts(['html', 'json']) === 'json') {
      res.json(d.registry.list().map(({ service: s }) => ({ sid: s.sid, title: s.def.title, version: s.def.service.version, wsdl: `${serviceUrl(base, s.sid)}?wsdl` })));
      return;
    }
    const rows = d.registry.list().map(({ service: s }) =>
      `<tr><td>${s.sid}</td><td>${escapeXml(s.def.title ?? s.def.service.mnemonic)}</td><td>${escapeXml(s.def.provider.name)}</td>` +
      `<td>${s.operations.map((o) => `${o.name} (${o.mode})`).join(', ')}</td><td><a href="${serviceUrl(base, s.sid)}?wsdl">WSDL</a></td></tr>`).join('');
    res.type('html').send(`<!doctype html><meta charset="utf-8"><title>smev2-gateway</title><h1>smev2-gateway</h1>` +
      (d.console ? '<p><a href="/console/">Web console</a> (journal, statistics, registry, dead letters, request composer; needs a login)</p>' : '') +
      `<table border="1" cellpadding="4"><tr><th>SID</th><th>Service</th><th>Provider</th><th>Operations</th><th></th></tr>${rows}</table>`);
  });

  // Bundle files, for clients that follow the WSDL's imports.
  app.get('/gateway/services/:sid/files/*rel', (req, res) => {
    const service = d.registry.get(req.params.sid);
    const rel = (req.params as unknown as { rel: string[] }).rel.join('/');
    const out = service && publishFile(service, rel, baseUrl(req, d.config));
    if (!out) return notFound(res, req.params.sid, rel);
    res.type(XML).send(out);
  });

  const wsdl = (req: Request, res: Response, version?: string) => {
    const sid = String(req.params.sid);
    const service = d.registry.get(sid);
    if (!service || (version !== undefined && version !== service.def.service.version)) return notFound(res, version ? `${sid}/${version}` : sid);
    res.type(XML).send(publishFile(service, service.bundle.main, baseUrl(req, d.config), version));
  };
  app.get('/gateway/services/:sid/wsdl', (req, res) => wsdl(req, res));
  app.get('/gateway/services/:sid/:version/wsdl', (req, res) => wsdl(req, res, String(req.params.version)));

  const soap = async (req: Request, res: Response) => {
    const sid = String(req.params.sid);
    const version = req.params.version === undefined ? undefined : String(req.params.version);
    if (req.method === 'GET' && asksForWsdl(req)) return wsdl(req, res, version);
    if (req.method !== 'POST') return refuse(req, res, { fault: 'wrongMethod', params: { sid: serviceUrl('', sid, version) } }, sid, version);
    const id = randomUUID();
    // a bound on work in hand, from the first byte read to the reply
    const overloaded = inFlight >= d.config.maxInFlight ? { inFlight } : undefined;
    inFlight++;
    // a bound on request bytes in hand (--max-bytes-in-flight): the declared length before reading,
    // a chunked body's bytes as they come; given back once the reply has gone
    let held = 0;
    // MTOM: only the root part is held in memory, so its bytes are taken from the budget as they come
    const mtom = isMultipart(req.headers['content-type']);
    const declared = mtom ? undefined : declaredLength(req);
    let overBudget: { size: number; held: number } | undefined;
    if (!overloaded && declared !== undefined && declared <= d.config.maxRequestBytes) {
      if (budget.take(declared)) held = declared;
      else overBudget = { size: declared, held: budget.held };
    }
    const reserve = declared === undefined ? (n: number) => budget.take(n) && (held += n) > 0 : undefined;
    // a large body is about to be read into memory: what earlier large messages left is given back first
    if (declared !== undefined && !overBudget && !overloaded) d.garbage?.arriving(declared);
    let body: ReadBody;
    let mime: { parts: MimeParts; rootType: string; spool: Spool } | undefined;
    let mimeRefused: HttpRequestInfo['refused'];
    try {
      if (overBudget) await discardBody(req, d.config.requestTimeoutMs);
      if (mtom && !overloaded && !overBudget) {
        const r = await readMtom(req, d.config, reserve);
        body = { bytes: r.bytes };
        mime = r.mime;
        mimeRefused = r.refused;
      } else {
        // the chunks of a large body, copied into its buffer, are given back as they pile up (the budget's check)
        const taken = declared !== undefined && d.garbage ? () => d.garbage!.between(declared) : undefined;
        body = overloaded || overBudget ? { bytes: Buffer.alloc(0) } : await readBody(req, d.config.maxRequestBytes, d.config.requestTimeoutMs, reserve, taken);
      }
    } catch (e) {
      // the body broke off mid-way (a bad chunk, the client gone): node's parser refused it
      body = { bytes: Buffer.alloc(0), broken: `${(e as NodeJS.ErrnoException).code ?? 'error'}: ${(e as Error).message}` } as ReadBody;
    }
    const broken = (body as { broken?: string }).broken;
    if (body.overBudget) overBudget = { size: body.overBudget.size, held: budget.held };
    const ex = newExchange(d, {
      method: req.method,
      path: req.path,
      soapAction: soapActionOf(req),
      remoteAddress: clientAddress(req),
      // MTOM: the root part's type (its charset is the envelope's)
      contentType: mime ? mime.rootType : req.headers['content-type'],
      tooLarge: body.tooLarge,
      slow: body.slow,
      overloaded,
      refused: overBudget ? { fault: 'memoryBudget', params: { ...overBudget, limit: budget.limit, retryAfter: BUDGET_RETRY_AFTER_S } }
        : broken ? { fault: 'badHttpRequest', params: { reason: broken } } : mimeRefused,
    }, sid, version, body.bytes, id);
    // the exchange holds the body from here: the parse stage may let it go (a large inline text
    // spooled), which it could not while this frame kept it too
    const size = body.bytes.length;
    body.bytes = Buffer.alloc(0);
    // every exchange spools the large parts of its messages (the consumer's, the provider's answer's)
    const spool = (ex.spool = mime?.spool ?? new Spool(d.config.attachments.spoolDir));
    if (mime) ex.requestParts = mime.parts;
    // the spool alone, not the exchange: a keep-alive socket keeps its last request and response
    // (and their listeners) until the next request, which would keep a large body alive past its
    // exchange and under the next one
    res.on('close', () => void spool.release());
    try {
      // the large-body lane runs in a worker thread: parts stay with the thread that spooled them
      await (d.lane?.takes(ex) && !ex.requestParts ? d.lane.run(ex) : d.pipeline(ex));
    } finally {
      inFlight--;
      budget.give(held);
    }
    const r = ex.response!;
    if (body.tooLarge || body.slow || overloaded || overBudget || mimeRefused) res.setHeader('connection', 'close');
    if (r.status === 503) res.setHeader('retry-after', String(BUDGET_RETRY_AFTER_S));
    if (r.parts) {
      const out = writeMultipart({ bytes: r.bytes, contentType: r.contentType }, r.parts.parts, r.parts.framing);
      res.status(r.status).setHeader('content-type', out.contentType);
      res.setHeader('content-length', String(out.length));
      out.stream().on('error', (e) => { ex.log.error({ err: e }, 'an attachment could not be sent'); res.destroy(e); }).pipe(res);
    } else {
      res.status(r.status).type(r.contentType).send(r.bytes);
    }
    // bytes of an inline document's text the exchange read from the spool instead of holding (xml/elide.ts)
    const spooled = requestLength(ex) - ex.raw.length || undefined;
    ex.log.info({ op: ex.operation?.name, status: r.status, fault: ex.fault?.spec.code || ex.fault?.kind, ms: Number(process.hrtime.bigint() - ex.started) / 1e6, spooled }, 'exchange');
    // a large exchange's copies are garbage once its answer has gone: given back before the next comes
    if (d.garbage) res.once('finish', () => d.garbage!.settled(size));
  };
  // real client code posts SOAP to the WSDL's own address (PROTOCOL.md §6): a call to the service
  app.all(['/gateway/services/:sid/wsdl', '/gateway/services/:sid/:version/wsdl'], soap);
  app.all('/gateway/services/:sid', soap);
  app.all('/gateway/services/:sid/:version', soap);
  // anything else under the services' root is no service address: a fault, journaled, counted
  app.all('/gateway/services/*rest', (req, res) => refuse(req, res, { fault: 'badAddress', params: { path: req.path.slice(0, 200) } }, ''));

  /** A refusal of the HTTP layer, answered by the pipeline (journal, respond, metrics) like any fault. */
  const refuse = async (req: Request, res: Response, refused: NonNullable<HttpRequestInfo['refused']>, sid: string, version?: string) => {
    const ex = newExchange(d, { method: req.method, path: req.path, soapAction: soapActionOf(req), remoteAddress: clientAddress(req), contentType: req.headers['content-type'], refused }, sid, version, Buffer.alloc(0));
    await d.pipeline(ex);
    const r = ex.response!;
    res.status(r.status).type(r.contentType).send(r.bytes);
  };

  app.use((err: Error, _req: Request, res: Response, _next: express.NextFunction) => {
    d.log.error({ err }, 'unhandled error in the HTTP layer');
    if (!res.headersSent) {
      const r = faultResponse(new GatewayFault('internal', { ref: randomUUID() }));
      res.status(r.status).type(r.contentType).send(r.bytes);
    }
  });
  return app;
}

/** The faults of a multipart body that cannot be read, by what went wrong. */
function mtomRefusal(e: MultipartError): NonNullable<HttpRequestInfo['refused']> {
  switch (e.kind) {
    case 'rootTooLarge': return { fault: 'tooLarge', params: { size: Number(e.params.size ?? 0), limit: Number(e.params.limit ?? 0) } };
    case 'partTooLarge':
    case 'totalTooLarge': return { fault: 'attachmentTooLarge', params: e.params };
    case 'tooManyParts': return { fault: 'tooManyParts', params: e.params };
    case 'slow': return { fault: 'slowRequest', params: e.params };
    default: return { fault: 'badMultipart', params: { reason: e.message } };
  }
}

/**
 * An MTOM request (multipart/related): the root part in memory as the body, the other parts
 * spooled (src/http/multipart.ts). A body that cannot be read is refused with its fault.
 */
async function readMtom(req: Request, config: Config, reserve?: (n: number) => boolean): Promise<{ bytes: Buffer; mime?: { parts: MimeParts; rootType: string; spool: Spool }; refused?: HttpRequestInfo['refused'] }> {
  const a = config.attachments;
  const spool = new Spool(a.spoolDir);
  try {
    const m = await readMultipart(req, String(req.headers['content-type']), {
      maxRootBytes: config.maxRequestBytes, maxPartBytes: a.maxPartBytes, maxTotalBytes: a.maxPartsBytes, maxParts: a.maxParts,
      memoryThreshold: a.partMemoryBytes, idleTimeoutMs: config.requestTimeoutMs,
    }, spool, reserve);
    return { bytes: m.root.bytes, mime: { parts: { parts: m.parts, framing: m.framing }, rootType: m.root.contentType, spool } };
  } catch (e) {
    await spool.release();
    if (!(e instanceof MultipartError)) throw e;
    // the rest of a refused body is read and dropped (bounded by the request timeout, no memory
    // kept), as an over-budget one is: a client sends its whole body before it reads the answer, and
    // a connection closed under its writes would reset before it saw the fault
    req.unpipe();
    await discardBody(req, config.requestTimeoutMs);
    return { bytes: Buffer.alloc(0), refused: mtomRefusal(e) };
  }
}

/**
 * `?wsdl` in any case (tools send `?WSDL`, `?Wsdl`) and WCF's `?singleWsdl`: the main WSDL, with its
 * imports rewritten to the gateway's URLs (not flattened into one document).
 */
function asksForWsdl(req: Request): boolean {
  return Object.keys(req.query).some((k) => /^(?:single)?wsdl$/i.test(k));
}

function notFound(res: Response, sid: string, rel?: string): void {
  const r = faultResponse(new GatewayFault('unknownService', { sid }, rel ? `no file ${rel} in this service's bundle` : undefined));
  res.status(404).type(r.contentType).send(r.bytes);
}

const HOST = /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9a-fA-F:.]+\](:\d+)?$/;

/** The gateway's external base URL as this client sees it. */
export function baseUrl(req: Request, cfg: Config): string {
  const first = (h: string | string[] | undefined) => (Array.isArray(h) ? h[0] : h)?.split(',')[0].trim();
  const trusted = fromTrustedProxy(req); // the TCP peer is a proxy listed in SMEV2_TRUST_PROXY
  const fHost = trusted ? first(req.headers['x-forwarded-host']) : undefined;
  const fProto = trusted ? first(req.headers['x-forwarded-proto']) : undefined;
  const proto = fProto === 'https' || fProto === 'http' ? fProto : undefined;
  if (fHost && HOST.test(fHost)) return `${proto ?? 'http'}://${fHost}`;
  if (cfg.baseUrl) return proto ? cfg.baseUrl.replace(/^https?/, proto) : cfg.baseUrl;
  const host = req.headers.host && HOST.test(req.headers.host) ? req.headers.host : `localhost:${cfg.port}`;
  return `${proto ?? 'http'}://${host}`;
}

function soapActionOf(req: Request): string | undefined {
  const action = req.headers.soapaction;
  return typeof action === 'string' ? action.replace(/^"(.*)"$/, '$1') || undefined : undefined;
}

/** A new exchange for the pipeline: what the HTTP layer knows of one request. */
function newExchange(d: Pick<ServerDeps, 'log'>, http: HttpRequestInfo, sid: string, version: string | undefined, raw: Buffer, id: string = randomUUID()): Exchange {
  return {
    id,
    origin: 'consumer',
    started: process.hrtime.bigint(),
    receivedAt: new Date(),
    http,
    sid,
    version,
    log: d.log.child({ exchange: id, sid }),
    raw,
    legs: [],
  };
}

const SOAP_PATH = /^\/gateway\/services\/([^/?#]*)(?:\/([^/?#]*))?/;

/**
 * What node's HTTP parser refuses before any route sees it (bad framing, headers too large, headers
 * too slow) is answered where the socket still takes a response, counted by reason, and, on a
 * SOAP path whose request line was read, journaled through the pipeline with its fault (GW-1018,
 * GW-1019, GW-1016). A request already being read (its body broke off) is answered by its own
 * route, which sees the body fail.
 */
export function clientErrorHandler(d: ServerDeps, server: { maxHeaderSize?: number; headersTimeout: number }): (err: NodeJS.ErrnoException & { rawPacket?: Buffer; reason?: string }, socket: Duplex) => void {
  return (err, socket) => {
    const code = err.code ?? 'unknown';
    d.countRefusal?.(code);
    if (code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const pending = (socket as Duplex & { _httpMessage?: { req?: IncomingMessage; shouldKeepAlive: boolean } })._httpMessage;
    if (pending?.req) {
      // a request on this socket is being read by its route and its body broke off: the route sees
      // the body fail with this error, answers, journals and counts it as GW-1018, and the
      // connection closes after that answer (the parser cannot go on from a broken frame)
      pending.shouldKeepAlive = false;
      pending.req.emit('error', err);
      return;
    }
    const refused: NonNullable<HttpRequestInfo['refused']> = code === 'HPE_HEADER_OVERFLOW'
      ? { fault: 'httpHeadersTooLarge', params: { limit: server.maxHeaderSize ?? httpMaxHeaderSize } }
      : code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? { fault: 'slowRequest', params: { timeoutMs: server.headersTimeout } }
        : { fault: 'badHttpRequest', params: { reason: `${code}${err.reason ? ` (${err.reason})` : ''}` } };
    const line = /^([A-Z]{1,16}) (\S{1,2048}) HTTP\/1\.[01]\r?\n/.exec(err.rawPacket?.subarray(0, 2100).toString('latin1') ?? '');
    const path = line?.[2]?.split('?')[0];
    const soapPath = path ? SOAP_PATH.exec(path) : null;
    const send = (status: number, type: string, body: Buffer) => {
      const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: ${type}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
      socket.end(Buffer.concat([Buffer.from(head, 'latin1'), body]));
    };
    if (!line || !soapPath) {
      const r = faultResponse(new GatewayFault(refused.fault, refused.params));
      send(r.status, r.contentType, r.bytes);
      return;
    }
    const sid = decodeSafe(soapPath[1] ?? '');
    const ex = newExchange(d, { method: line[1]!, path: path!, remoteAddress: (socket as Duplex & { remoteAddress?: string }).remoteAddress, refused }, sid, soapPath[2] ? decodeSafe(soapPath[2]) : undefined, Buffer.alloc(0));
    d.pipeline(ex).then(() => {
      const r = ex.response!;
      send(r.status, r.contentType, r.bytes);
    }, (e: Error) => {
      d.log.error({ err: e }, 'could not journal a refused request');
      socket.destroy();
    });
  };
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s).slice(0, 100);
  } catch {
    return s.slice(0, 100);
  }
}
