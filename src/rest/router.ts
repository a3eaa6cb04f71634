import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { Service, Operation } from '../registry/load';
import { pollOperation } from '../registry/modes';
import type { TrustStore, TrustedSystem } from '../signature/trust';
import { GatewayFault } from '../faults/catalogue';
import { parseEnvelope } from '../envelope/parse';
import { ComposerModels, ComposeError } from '../xsd/model';
import { ConvertError, appDataToJson, contentXml, jsonToXml } from '../xsd/json-xml';
import { composeAndSend, type ComposeSent, type ComposerDeps } from '../admin/compose/routes';
import { allDocument, serviceDocument, API_KEY_HEADER } from './openapi';
import { statusOfFault } from './statuses';
import { Tickets, pollAppData, type Ticket } from './tickets';
import { answerBytes, answerLegs, sendDownload } from '../admin/documents';

/**
 * The REST façade under /api/v1 (docs/rest.md): a system with an API key sends JSON (or XML)
 * AppData to POST /api/v1/services/{sid}/{operation}; the façade converts it by the SID's XSD
 * (src/xsd/json-xml.ts), builds the envelope and signs it as that system with its key on the
 * server, and sends it to the gateway's own SOAP endpoint as the request composer does (the whole
 * pipeline: control, journal, delivery); the answer comes back as JSON or XML (Accept). An ACCEPT
 * gives 202 and a ticket, polled at GET /api/v1/tickets/{id}. Faults are RFC 9457 problems.
 */
export interface RestDeps {
  registry: Registry;
  log: Logger;
  /** the gateway's public base URL as the client sees it (behind a proxy too) */
  baseUrl: (req: Request) => string;
  /** the systems registry in force (their API keys and grants) */
  trust: () => TrustStore;
  /** the request composer's sending: sign as a system, send to our own endpoint */
  composer: ComposerDeps;
  /** the gateway's secret (keys/session.secret): tickets are signed with a key derived from it */
  secret: Buffer;
  /** largest body taken */
  bodyLimit: number;
}

type Problem = { code: string; faultstring: string; status: number };

class RestProblem extends Error {
  constructor(readonly p: Problem, readonly extra: Record<string, unknown> = {}) {
    super(p.faultstring);
  }
}

const JSON_TYPE = 'application/json';
const XML_TYPE = 'application/xml';
const PDF_TYPE = 'application/pdf';
const HTML_TYPE = 'text/html';

/** What a client takes an answer as: JSON or XML values, or a document to read (PDF, HTML). */
type Want = 'json' | 'xml' | 'pdf' | 'html';

export function restRouter(d: RestDeps): express.Router {
  const r = express.Router();
  const models = new ComposerModels();
  const tickets = new Tickets(d.secret);
  const raw = express.raw({ type: () => true, limit: d.bodyLimit });

  r.get('/openapi.json', (req, res) => {
    res.json(allDocument(d.registry.list().map((e) => e.service), models, d.baseUrl(req)));
  });

  r.get('/services/:sid/openapi.json', (req: Request, res: Response) => {
    const sid = String(req.params.sid);
    const s = d.registry.get(sid);
    if (!s) return void problem(res, fault(new GatewayFault('restNotFound', { what: `No service ${sid}: GET /api/v1/openapi.json lists every SID` })));
    res.json(serviceDocument(s, models, d.baseUrl(req)));
  });

  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch((e: unknown) => {
      if (e instanceof RestProblem) return void problem(res, e.p, e.extra);
      const ref = randomUUID();
      d.log.error({ err: e, ref, path: req.originalUrl }, 'REST façade failed');
      problem(res, { code: 'GW-9000', faultstring: `GW-9000: the REST façade failed (${(e as Error).message}); the log has it under ${ref}`, status: 500 });
    });
  };

  /** The system of the request's API key. */
  const system = (req: Request): TrustedSystem => {
    const key = req.headers[API_KEY_HEADER.toLowerCase()];
    if (typeof key !== 'string' || !key.trim()) throw new RestProblem(fault(new GatewayFault('restNoKey')));
    const s = d.trust().byApiKey(key.trim());
    if (!s) throw new RestProblem(fault(new GatewayFault('restBadKey')));
    return s;
  };

  /** What the client takes: JSON unless it asks for XML, or for the answer as a document (PDF, HTML), only. */
  const answerType = (req: Request): Want => {
    const t = req.accepts([JSON_TYPE, XML_TYPE, 'text/xml', PDF_TYPE, HTML_TYPE]);
    if (!t) throw new RestProblem(fault(new GatewayFault('restMediaType', { reason: `Accept ${req.headers.accept} takes none of ${JSON_TYPE}, ${XML_TYPE}, ${PDF_TYPE}, ${HTML_TYPE}` }), 406));
    return t === JSON_TYPE ? 'json' : t === PDF_TYPE ? 'pdf' : t === HTML_TYPE ? 'html' : 'xml';
  };

  // the key before the body: an unknown caller's bytes are never read, let alone held
  const keyFirst = (req: Request, res: Response, next: (e?: unknown) => void): void => {
    try {
      system(req);
    } catch (e) {
      if (!(e instanceof RestProblem)) return next(e);
      res.setHeader('connection', 'close');
      return void problem(res, e.p, e.extra);
    }
    next();
  };

  r.post('/services/:sid/:operation', keyFirst, raw, handle(async (req, res) => {
    const sys = system(req);
    const sid = String(req.params.sid);
    const opName = String(req.params.operation);
    const s = d.registry.get(sid);
    if (!s) throw new RestProblem(fault(new GatewayFault('restNotFound', { what: `No service ${sid}: GET /api/v1/openapi.json lists every SID` })));
    const op = s.operations.find((o) => o.name === opName && o.input);
    if (!op) throw new RestProblem(fault(new GatewayFault('restNotFound', { what: `${sid} has no operation ${opName} (it has: ${s.operations.map((o) => o.name).join(', ')})` })));
    if (d.trust().access(sys.mnemonic, sid, op.name) !== 'granted') {
      throw new RestProblem(fault(new GatewayFault('restNotGranted', { system: sys.mnemonic, operation: op.name, sid, file: sys.file })));
    }
    if (!d.composer.keys.has(sys.mnemonic)) throw new RestProblem(fault(new GatewayFault('restNoSigningKey', { system: sys.mnemonic })));
    const want = answerType(req);
    const appData = requestAppData(req, s, op);
    const caseNumber = typeof req.query.caseNumber === 'string' ? req.query.caseNumber : undefined;
    const testMsg = req.query.testMsg === 'true';
    const originRequestIdRef = typeof req.query.originRequestIdRef === 'string' && req.query.originRequestIdRef ? req.query.originRequestIdRef : undefined;
    const sent = await send(d, { sid, operation: op.name, signAs: sys.mnemonic, appData, caseNumber, testMsg, originRequestIdRef }, sys.mnemonic);
    const answer = readAnswer(sent);
    try {
      // ACCEPT: the answer comes later; PROCESS (a poll sent here directly): not yet. Both give a ticket
      if (answer.status === 'ACCEPT' || answer.status === 'PROCESS') {
        const accepted = answer.status === 'ACCEPT';
        const poll = accepted ? pollOperation(s, op) ?? op : op;
        const chain = answer.originRequestIdRef ?? sent.messageId;
        if (!chain) throw new RestProblem({ code: '', faultstring: `the ${answer.status} names no OriginRequestIdRef or RequestIdRef: there is nothing to poll`, status: 502 }, { exchangeId: sent.exchangeId });
        const t: Ticket = {
          sid, operation: op.name, poll: poll.name, messageId: chain, system: sys.mnemonic,
          pollAppData: accepted ? pollAppData(models.operation(s, poll.name), answer.appData) : appData, createdAt: new Date().toISOString(),
        };
        const id = tickets.issue(t);
        const href = `${d.baseUrl(req)}/api/v1/tickets/${id}`;
        res.status(202).location(href).set('X-Exchange-Id', sent.exchangeId ?? '').set('X-SMEV-Status', answer.status).json({ ...ticketBody(id, t, href, 'pending'), smevStatus: answer.status });
        return;
      }
      await respondAnswer(res, want, s, op, answer, sent);
    } finally {
      answer.dispose();
    }
  }));

  r.get('/tickets/:id', handle(async (req, res) => {
    const sys = system(req);
    const id = String(req.params.id);
    const t = tickets.read(id);
    // another system's ticket is not found either: it says nothing of what others asked
    if (!t || t.system !== sys.mnemonic) throw new RestProblem(fault(new GatewayFault('restNotFound', { what: `No ticket ${id.length > 40 ? `${id.slice(0, 40)}…` : id} of system ${sys.mnemonic}` })));
    const want = answerType(req);
    const s = d.registry.get(t.sid);
    const op = s?.operations.find((o) => o.name === t.poll);
    if (!s || !op) throw new RestProblem(fault(new GatewayFault('restNotFound', { what: `the ticket's operation ${t.sid} ${t.poll} is no longer registered` })));
    if (!d.composer.keys.has(sys.mnemonic)) throw new RestProblem(fault(new GatewayFault('restNoSigningKey', { system: sys.mnemonic })));
    const sent = await send(d, { sid: t.sid, operation: t.poll, signAs: sys.mnemonic, status: 'PING', originRequestIdRef: t.messageId, appData: t.pollAppData }, sys.mnemonic);
    const answer = readAnswer(sent);
    try {
      const href = `${d.baseUrl(req)}/api/v1/tickets/${id}`;
      if (answer.status === 'PROCESS' || answer.status === 'ACCEPT') {
        res.status(202).set('Retry-After', '1').set('X-Exchange-Id', sent.exchangeId ?? '').json({ ...ticketBody(id, t, href, 'pending'), smevStatus: answer.status });
        return;
      }
      if (want !== 'json') return void await respondAnswer(res, want, s, op, answer, sent);
      const json = answerJson(s, op, answer);
      res.status(200).set('X-SMEV-Status', answer.status ?? '').set('X-Exchange-Id', sent.exchangeId ?? '')
        .json({ ...ticketBody(id, t, href, 'done'), smevStatus: answer.status ?? null, answer: json, updatedAt: new Date().toISOString() });
    } finally {
      answer.dispose();
    }
  }));

  /** The request body as AppData XML: JSON converted by the operation's schema, XML as it is. */
  function requestAppData(req: Request, s: Service, op: Operation): string {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const bad = (reason: string, at?: string) => new RestProblem(fault(new GatewayFault('restBadBody', { sid: s.sid, operation: op.name, reason })), at !== undefined ? { at } : {});
    if (req.is(['application/xml', 'text/xml', '+xml'])) return body.toString('utf8');
    if (!req.is(['application/json', '+json'])) {
      throw new RestProblem(fault(new GatewayFault('restMediaType', { reason: `Content-Type ${req.headers['content-type'] ?? '(none)'}: send ${JSON_TYPE} or ${XML_TYPE}` })));
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch (e) {
      throw bad(`not JSON: ${(e as Error).message}`);
    }
    const m = models.operation(s, op.name);
    try {
      return jsonToXml(m.form, value, m.prefixes);
    } catch (e) {
      if (e instanceof ConvertError) throw bad(e.message, e.at || '/');
      throw e;
    }
  }

  function answerJson(s: Service, op: Operation, answer: Answer): unknown {
    const m = models.answer(s, op.name);
    if (!answer.appData) return null;
    try {
      return appDataToJson(m.form, answer.appData);
    } catch (e) {
      if (e instanceof ConvertError) throw new RestProblem(fault(new GatewayFault('restAnswerUnreadable', { sid: s.sid, operation: op.name, reason: e.message })), { smevStatus: answer.status });
      throw e;
    }
  }

  async function respondAnswer(res: Response, want: Want, s: Service, op: Operation, answer: Answer, sent: ComposeSent): Promise<void> {
    res.set('X-SMEV-Status', answer.status ?? '').set('X-Exchange-Id', sent.exchangeId ?? '');
    if (want === 'pdf' || want === 'html') {
      // the answer as this client got it, with the journal's legs of its exchange at the foot
      const found = sent.exchangeId ? await answerLegs(d.composer.store, { exchangeId: sent.exchangeId }) : undefined;
      if (!found) throw new RestProblem({ code: '', faultstring: `the answer's exchange ${sent.exchangeId ?? '(unknown)'} is not in the journal: no document can be made of it; ask for ${JSON_TYPE} or ${XML_TYPE}`, status: 502 }, { exchangeId: sent.exchangeId });
      const out = await answerBytes({ store: d.composer.store, registry: d.registry, models }, want, Buffer.from(sent.response, 'utf8'), found.leg, found.legs);
      return void sendDownload(res.status(200), want, out, `answer-${s.sid}-${sent.exchangeId}`);
    }
    if (want === 'xml') return void res.status(200).type(XML_TYPE).send(answer.appData ? contentXml(answer.appData) : '');
    res.status(200).json(answerJson(s, op, answer));
  }

  return r;
}

function ticketBody(id: string, t: Ticket, href: string, status: 'pending' | 'done') {
  return { id, sid: t.sid, operation: t.operation, status, href, createdAt: t.createdAt };
}

/** Send through the composer; its refusals and the gateway's faults as problems. */
async function send(d: RestDeps, body: Record<string, unknown>, by: string): Promise<ComposeSent> {
  let sent: ComposeSent;
  try {
    sent = await composeAndSend(d.composer, body, `api:${by}`);
  } catch (e) {
    if (e instanceof ComposeError) {
      if (e.status === 400) throw new RestProblem(fault(new GatewayFault('restBadBody', { sid: String(body.sid), operation: String(body.operation), reason: e.message })));
      throw new RestProblem({ code: '', faultstring: e.message, status: e.status === 404 ? 404 : 502 });
    }
    throw e;
  }
  if (sent.fault) {
    throw new RestProblem({ code: sent.fault.code.startsWith('GW-') || sent.fault.code.startsWith('SMEV-') ? sent.fault.code : '', faultstring: sent.fault.string, status: statusOfFault(sent.fault.code, sent.fault.string) }, { exchangeId: sent.exchangeId });
  }
  return sent;
}

interface Answer {
  status?: string;
  originRequestIdRef?: string;
  appData?: import('../xml/libxml').XmlElement;
  dispose(): void;
}

function readAnswer(sent: ComposeSent): Answer {
  try {
    const p = parseEnvelope(Buffer.from(sent.response, 'utf8'));
    return { status: p.envelope.message?.status, originRequestIdRef: p.envelope.message?.originRequestIdRef, appData: p.appDataElement, dispose: () => p.doc.dispose() };
  } catch (e) {
    throw new RestProblem({ code: 'GW-2003', faultstring: `the answer is not a SOAP envelope (HTTP ${sent.httpStatus}): ${(e as Error).message}`, status: 502 }, { exchangeId: sent.exchangeId });
  }
}

/**
 * An RFC 9457 problem+json answer: the catalogue's code, its text as the detail (`GW-nnnn: …`),
 * the status the catalogue gives unless `status` says otherwise (docs/rest.md, "Faults").
 */
export function problem(res: Response, f: Problem, extra: Record<string, unknown> = {}): void {
  if (res.headersSent) return;
  res.status(f.status).type('application/problem+json').send(JSON.stringify({
    type: f.code ? `urn:smev2-gateway:fault:${f.code}` : 'about:blank', title: STATUS_CODES[f.status] ?? 'Error', status: f.status, detail: f.faultstring, ...(f.code ? { code: f.code } : {}), ...extra,
  }));
}

/** A catalogue fault as a problem's fields. */
export function fault(f: GatewayFault, status = f.spec.http): Problem {
  return { code: f.spec.code, faultstring: f.faultstring, status };
}
