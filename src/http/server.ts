import { randomUUID } from 'node:crypto';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import type { Registry } from '../registry/registry';
import type { Exchange } from '../pipeline/exchange';
import { publishFile, serviceUrl } from '../registry/publish';
import { readBody, type ReadBody } from './body';
import { clientAddress, fromTrustedProxy } from './proxy';
import { GatewayFault } from '../faults/catalogue';
import { faultEnvelope, escapeXml } from '../envelope/build';

export interface ServerDeps {
  config: Config;
  registry: Registry;
  pipeline: (ex: Exchange) => Promise<void>;
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
}

const XML = 'text/xml; charset=utf-8';

/** HTTP front: the SOAP endpoints, the published WSDL bundles, health. */
export function createApp(d: ServerDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  let inFlight = 0;
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
    if (req.method !== 'POST') {
      const f = new GatewayFault('wrongMethod', { sid: serviceUrl('', sid, version) });
      res.status(f.spec.http).type(XML).send(faultEnvelope({ faultcode: f.spec.faultcode, faultstring: f.faultstring }));
      return;
    }
    const id = randomUUID();
    // a bound on work in hand, from the first byte read to the reply
    const overloaded = inFlight >= d.config.maxInFlight ? { inFlight } : undefined;
    inFlight++;
    let body: ReadBody;
    try {
      body = overloaded ? { bytes: Buffer.alloc(0) } : await readBody(req, d.config.maxRequestBytes, d.config.requestTimeoutMs);
    } catch (e) {
      inFlight--;
      throw e;
    }
    const action = req.headers.soapaction;
    const ex: Exchange = {
      id,
      started: process.hrtime.bigint(),
      receivedAt: new Date(),
      http: {
        method: req.method,
        path: req.path,
        soapAction: typeof action === 'string' ? action.replace(/^"(.*)"$/, '$1') || undefined : undefined,
        remoteAddress: clientAddress(req),
        contentType: req.headers['content-type'],
        tooLarge: body.tooLarge,
        slow: body.slow,
        overloaded,
      },
      sid,
      version,
      log: d.log.child({ exchange: id, sid }),
      raw: body.bytes,
      legs: [],
    };
    try {
      await d.pipeline(ex);
    } finally {
      inFlight--;
    }
    const r = ex.response!;
    if (body.tooLarge || body.slow || overloaded) res.setHeader('connection', 'close');
    res.status(r.status).type(r.contentType).send(r.bytes);
    ex.log.info({ op: ex.operation?.name, status: r.status, fault: ex.fault?.spec.code || ex.fault?.kind, ms: Number(process.hrtime.bigint() - ex.started) / 1e6 }, 'exchange');
  };
  // real client code posts SOAP to the WSDL's own address (PROTOCOL.md §6): a call to the service
  app.all(['/gateway/services/:sid/wsdl', '/gateway/services/:sid/:version/wsdl'], soap);
  app.all('/gateway/services/:sid', soap);
  app.all('/gateway/services/:sid/:version', soap);

  app.use((err: Error, _req: Request, res: Response, _next: express.NextFunction) => {
    d.log.error({ err }, 'unhandled error in the HTTP layer');
    if (!res.headersSent) {
      const f = new GatewayFault('internal', { ref: randomUUID() });
      res.status(500).type(XML).send(faultEnvelope({ faultcode: 'Server', faultstring: f.faultstring }));
    }
  });
  return app;
}

/**
 * `?wsdl` in any case (tools send `?WSDL`, `?Wsdl`) and WCF's `?singleWsdl`: the main WSDL, with its
 * imports rewritten to the gateway's URLs (not flattened into one document).
 */
function asksForWsdl(req: Request): boolean {
  return Object.keys(req.query).some((k) => /^(?:single)?wsdl$/i.test(k));
}

function notFound(res: Response, sid: string, rel?: string): void {
  const f = new GatewayFault('unknownService', { sid });
  res.status(404).type(XML).send(faultEnvelope({ faultcode: 'Client', faultstring: f.faultstring, detail: rel ? `no file ${rel} in this service's bundle` : undefined }));
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
