import { STATUS_CODES } from 'node:http';
import express, { type Request, type Response } from 'express';
import { GatewayFault } from '../faults/catalogue';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import { ComposerModels } from '../xsd/model';
import { allDocument, serviceDocument } from './openapi';

/**
 * The REST façade under /api/v1 (docs/rest.md): the OpenAPI documents generated from the SIDs'
 * bundles.
 */
export interface RestDeps {
  registry: Registry;
  log: Logger;
  /** the gateway's public base URL as the client sees it (behind a proxy too) */
  baseUrl: (req: Request) => string;
}

export function restRouter(d: RestDeps): express.Router {
  const r = express.Router();
  const models = new ComposerModels();

  r.get('/openapi.json', (req, res) => {
    res.json(allDocument(d.registry.list().map((e) => e.service), models, d.baseUrl(req)));
  });

  r.get('/services/:sid/openapi.json', (req: Request, res: Response) => {
    const sid = String(req.params.sid);
    const s = d.registry.get(sid);
    if (!s) return void problem(res, fault(new GatewayFault('restNotFound', { what: `No service ${sid}: GET /api/v1/openapi.json lists every SID` })));
    res.json(serviceDocument(s, models, d.baseUrl(req)));
  });

  return r;
}

/**
 * An RFC 9457 problem+json answer: the catalogue's code, its text as the detail (`GW-nnnn: …`),
 * the status the catalogue gives unless `status` says otherwise (docs/rest.md, "Faults").
 */
export function problem(res: Response, f: { code: string; faultstring: string; status: number }, extra: Record<string, unknown> = {}): void {
  if (res.headersSent) return;
  res.status(f.status).type('application/problem+json').send(JSON.stringify({
    type: f.code ? `urn:smev2-gateway:fault:${f.code}` : 'about:blank', title: STATUS_CODES[f.status] ?? 'Error', status: f.status, detail: f.faultstring, ...(f.code ? { code: f.code } : {}), ...extra,
  }));
}

/** A catalogue fault as a problem's fields. */
export function fault(f: GatewayFault, status = f.spec.http): { code: string; faultstring: string; status: number } {
  return { code: f.spec.code, faultstring: f.faultstring, status };
}
