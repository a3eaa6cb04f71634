import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Registry } from '../../registry/registry';
import type { TrustStore } from '../../signature/trust';
import type { KeyStore } from '../../signature/identity';
import { signEnvelope } from '../../signature/sign';
import { ACTOR, STATUSES } from '../../envelope/ns';
import { smevDateTime } from '../../envelope/build';
import { NotSoapError, readEnvelopeView } from '../../envelope/parse';
import { qkey } from '../../registry/wsdl-model';
import { parseUntrusted, XmlSyntaxError } from '../../xml/dom';
import { ComposerModels, ComposeError } from '../../xsd/model';
import { requestEnvelope } from './envelope';
import { exchangeOfSent } from '../../journal/search';
import { ValuesError, renderValues } from '../../xsd/render';
import { buildAppDocument, readAttachments, type BuiltAppDocument } from './attachments';
import { writeMultipart } from '../../http/multipart';
import type { Department, Principal } from '../auth';
import type { ComposedRequests } from './requests';
import { answerBytes, answerLegs, formatParam, sendDownload } from '../documents';
import { FontMissingError } from '../../documents/render-pdf';

/**
 * The request composer's API (docs/composer.md; issue #7's "universal cabinet"):
 * the systems the gateway can sign as, the form of an operation's AppData, and sending a
 * request built from a form, from pasted AppData or as a whole pasted envelope, signed as a
 * chosen system, over real HTTP to the gateway's own SOAP endpoint: it passes the whole
 * pipeline and is journaled like any consumer's call. The gateway's fault is an answer here,
 * not an error of the composer.
 */
export interface ComposerDeps {
  registry: Registry;
  /** the systems registry in force (it changes on reload) */
  trust: () => TrustStore;
  /** the keys folder: the systems the gateway holds a private key for */
  keys: KeyStore;
  store: DataSource;
  log: Logger;
  /** the gateway's own base URL on loopback (see loopbackUrl) */
  selfUrl: () => string;
  clock?: () => Date;
  /** the files attached to one composed request, together (SMEV2_COMPOSE_ATTACHMENT_BYTES) */
  attachmentBytes?: number;
  /** a department of the users file in force: the systems its requesters may sign as */
  department?: (id: string) => Department | undefined;
  /** where each composed request is recorded for "my requests" (none: not recorded) */
  requests?: ComposedRequests;
}

/** What the composer attaches to one request unless configured: 8 MiB of files. */
export const DEFAULT_COMPOSE_ATTACHMENT_BYTES = 8 * 1024 * 1024;

/** The JSON body the send route must accept for that many bytes of files (base64) besides the envelope. */
export function composeBodyLimit(attachmentBytes: number): number {
  return Math.max(12 * 1024 * 1024, Math.ceil(attachmentBytes * 4 / 3) + 12 * 1024 * 1024);
}

/** The gateway's own address as its loopback sees it: the bound host, or 127.0.0.1 when it listens on every address. */
export function loopbackUrl(host: string, address: AddressInfo | string | null): string {
  const port = typeof address === 'object' && address ? address.port : 7777;
  const h = !host || host === '0.0.0.0' || host === '::' || host === '[::]' ? '127.0.0.1' : host;
  return `http://${h.includes(':') && !h.startsWith('[') ? `[${h}]` : h}:${port}`;
}

const SEND_TIMEOUT_MS = 130_000;

interface SendBody {
  sid?: unknown; operation?: unknown; signAs?: unknown; sender?: unknown; status?: unknown; testMsg?: unknown; caseNumber?: unknown;
  originRequestIdRef?: unknown; exchangeType?: unknown; appData?: unknown; values?: unknown; envelope?: unknown; element?: unknown; attachments?: unknown;
}

/** The composer's AppData models, one cache per composer (a SID's model is built at its first use). */
const MODELS = new WeakMap<ComposerDeps, ComposerModels>();
function modelsOf(d: ComposerDeps): ComposerModels {
  let m = MODELS.get(d);
  if (!m) MODELS.set(d, (m = new ComposerModels()));
  return m;
}

/** The systems the gateway can sign as: registered, with a key in the keys folder. */
function identitiesOf(d: ComposerDeps) {
  return [...d.trust().systems.values()]
    .filter((s) => d.keys.has(s.mnemonic))
    .sort((a, b) => a.mnemonic.localeCompare(b.mnemonic))
    .map((s) => ({ mnemonic: s.mnemonic, name: s.name, algorithm: algorithmOf(d.keys, s.mnemonic) }));
}

function serviceOf(d: ComposerDeps, sid: string) {
  const s = d.registry.get(sid);
  if (!s) throw new ComposeError(404, `no service ${sid}: GET /admin/services lists them`);
  return s;
}

/** What a composed request and its answer were (POST /compose/send's answer). */
export interface ComposeSent {
  request: string;
  httpStatus: number;
  response: string;
  ms: number;
  messageId: string | null;
  exchangeId: string | null;
  fault: { code: string; string: string } | null;
  attachments?: { mode: string; requestCode: string; contentId: string | null; zipSize: number; files: string[] };
}

/**
 * The systems a requester may sign as: their department's (`departments[].systems` of the users
 * file); undefined for a role that signs as any system the gateway holds a key for (an operator).
 */
function allowedSystems(d: ComposerDeps, p: Principal | undefined): string[] | undefined {
  if (p?.role !== 'requester') return undefined;
  return (p.department ? d.department?.(p.department)?.systems : undefined) ?? [];
}

/** A requester's request, refused unless signed as one of their department's systems (403, naming both). */
function checkRequester(d: ComposerDeps, p: Principal | undefined, body: unknown): void {
  const allowed = allowedSystems(d, p);
  if (!allowed) return;
  const b = (body ?? {}) as SendBody;
  const dept = p!.department ? d.department?.(p!.department) : undefined;
  const whose = `${p!.user} (requester of ${dept ? `${dept.name}, ${dept.id}` : `department ${p!.department ?? '(none)'}`})`;
  const list = allowed.join(', ') || '(none: the users file gives the department no systems)';
  if (b && typeof b === 'object' && b.envelope !== undefined) throw new ComposeError(403, `${whose} composes from the form or AppData, not a whole envelope (an envelope names its own sender); sign as one of: ${list}`);
  const signAs = b && typeof b === 'object' ? b.signAs : undefined;
  if (typeof signAs !== 'string' || !signAs) throw new ComposeError(403, `${whose} must sign every request as one of the department's systems: ${list}`);
  if (!allowed.includes(signAs)) throw new ComposeError(403, `${whose} may not sign as ${signAs}: the department's systems are ${list}`);
}

/** The composer's routes and "my requests", for AdminDeps.extra (JSON bodies under /compose; each route behind the permission table's gate). */
export function composerRoutes(d: ComposerDeps): (r: Router, gate: RequestHandler) => void {
  const models = modelsOf(d);
  const handle = handler(d.log);
  const identities = () => identitiesOf(d);
  const service = (sid: string) => serviceOf(d, sid);

  return (r: Router, gate: RequestHandler) => {
    // the SIDs and operations the composer builds requests for (what GET /services tells an operator, without the registry's internals)
    r.get('/compose/services', gate, (_req, res) => {
      res.json(d.registry.list().map(({ service: s }) => ({
        sid: s.sid, title: s.def.title ?? null, mnemonic: s.def.service.mnemonic, provider: s.def.provider, delivery: s.def.delivery.mode,
        operations: s.operations.map((o) => ({ name: o.name, mode: o.mode, input: o.input ?? null })),
      })));
    });

    r.get('/compose/identities', gate, (req, res) => {
      const allowed = allowedSystems(d, req.principal);
      res.json(allowed ? identities().filter((i) => allowed.includes(i.mnemonic)) : identities());
    });

    r.post('/compose/send', gate, handle(async (req, res) => {
      const p = req.principal;
      checkRequester(d, p, req.body);
      const sent = await composeAndSend(d, req.body, p?.user);
      // sent is sent: a store that cannot record it leaves the answer with the sender, and the log says so
      const recorded = d.requests && p ? await recordSent(d, d.requests, p, req.body as SendBody, sent).catch((e: Error) => {
        d.log.error({ err: e, by: p.user, exchange: sent.exchangeId }, 'composer: the request was sent but could not be recorded for "my requests"');
        return undefined;
      }) : undefined;
      res.json({ ...sent, ...(recorded ? { requestId: recorded.id, state: recorded.state } : {}) });
    }));

    r.get('/compose/:sid/:operation', gate, handle(async (req, res) => {
      const s = service(String(req.params.sid));
      const element = req.query.element === undefined ? undefined : str(req.query.element, 'element');
      const m = models.operation(s, String(req.params.operation), element);
      res.json({
        sid: m.sid, operation: m.operation, mode: m.mode, revision: m.revision, input: m.input, soapAction: m.soapAction ?? null,
        form: m.form, sample: m.sample, appData: m.appData,
      });
    }));

    // "my requests": a requester sees their own (another's id is 404, as one that does not exist), an operator everyone's
    const mine = async (req: Request, id: string) => {
      const x = d.requests ? await d.requests.get(id) : undefined;
      if (!x || (req.principal?.role !== 'operator' && x.request.user !== req.principal?.user)) throw new ComposeError(404, `no request ${id} of yours: GET /admin/requests lists them`);
      return x;
    };
    r.get('/requests', gate, handle(async (req, res) => {
      const p = req.principal!;
      const user = p.role === 'operator' ? (req.query.user === undefined ? undefined : str(req.query.user, 'user')) : p.user;
      res.json(d.requests ? await d.requests.list(user) : []);
    }));
    r.get('/requests/:id', gate, handle(async (req, res) => {
      const x = await mine(req, String(req.params.id));
      res.json({ ...x.request, answer: x.answer });
    }));
    r.get('/requests/:id/answer', gate, handle(async (req, res) => {
      const format = formatParam(req.query.format, 'xml');
      if (typeof format !== 'string') throw new ComposeError(400, format.error);
      const x = await mine(req, String(req.params.id));
      if (x.answer === null) throw new ComposeError(404, `request ${x.request.id} has no answer yet: it is ${x.request.state}${x.request.status ? ` (${x.request.status})` : ''}`);
      if (format !== 'xml') {
        // the answer as the requester got it, with the journal's legs of its exchange (or its ticket's chain) at the foot
        const found = await answerLegs(d.store, { exchangeId: x.request.exchangeId, chain: x.request.ticket });
        if (!found) throw new ComposeError(404, `request ${x.request.id}'s answer is not in the journal (exchange ${x.request.exchangeId ?? 'unknown'}): download it as XML (?format=xml)`);
        const out = await answerBytes({ store: d.store, registry: d.registry, models }, format, Buffer.from(x.answer, 'utf8'), found.leg, found.legs);
        return void sendDownload(res, format, out, `answer-${x.request.sid}-${x.request.id}`);
      }
      // an envelope someone else wrote: always a download, never a page of this origin
      res.type('text/xml; charset=utf-8').setHeader('content-disposition', `attachment; filename="answer-${x.request.sid}-${x.request.id}.xml"`);
      res.setHeader('content-security-policy', "sandbox; default-src 'none'");
      res.setHeader('x-content-type-options', 'nosniff');
      res.send(x.answer);
    }));
  };
}

/** Record a composed request for "my requests": a ticket when the node accepted it for guaranteed delivery. */
async function recordSent(d: ComposerDeps, requests: ComposedRequests, p: Principal, b: SendBody, sent: ComposeSent) {
  let answerStatus: string | null = null;
  try {
    const env = readEnvelopeView(Buffer.from(sent.response, 'utf8'));
    answerStatus = env.fault ? 'FAULT' : env.message?.status ?? null;
  } catch {
    // not SOAP: kept as it came, with its HTTP status
  }
  const sid = String(b.sid);
  const guaranteed = d.registry.get(sid)?.def.delivery.mode === 'guaranteed';
  const ticket = guaranteed && answerStatus === 'ACCEPT' && sent.messageId ? sent.messageId : null;
  let sentStatus = typeof b.status === 'string' ? b.status : 'REQUEST';
  let operation = typeof b.operation === 'string' ? b.operation : undefined;
  try {
    const req = readEnvelopeView(Buffer.from(sent.request, 'utf8'));
    sentStatus = req.message?.status ?? sentStatus;
    operation ??= req.operation?.local;
  } catch {
    // a pasted envelope that is not SOAP: the form's values stand
  }
  return requests.record({
    user: p.user, role: p.role, department: p.department, sid, operation, system: typeof b.signAs === 'string' ? b.signAs : null, sentStatus, ticket,
    exchangeId: sent.exchangeId, messageId: sent.messageId, httpStatus: sent.httpStatus, answerStatus, faultCode: sent.fault?.code || null, answer: sent.response,
  });
}

/**
 * Build (or take), sign and send one request to the gateway's own SOAP endpoint, and read the
 * answer: the composer's send, and the emulator's "try it" (admin/emulator.ts).
 */
export async function composeAndSend(d: ComposerDeps, body: unknown, by?: string): Promise<ComposeSent> {
  const models = modelsOf(d);
  const identities = () => identitiesOf(d);
  const service = (sid: string) => serviceOf(d, sid);
    const b = (body ?? {}) as SendBody;
    if (typeof b !== 'object' || Array.isArray(b)) throw new ComposeError(400, 'send a JSON object: {"sid": …, "operation": …, "signAs": …, "values" | "appData" | "envelope": …}');
    const sid = str(b.sid, 'sid', true)!;
    const opName = str(b.operation, 'operation');
    const signAs = b.signAs === null || b.signAs === undefined ? null : str(b.signAs, 'signAs')!;
    const status = str(b.status, 'status') ?? 'REQUEST';
    if (!(STATUSES as readonly string[]).includes(status)) throw new ComposeError(400, `status must be one of ${STATUSES.join(', ')}`);
    if (b.testMsg !== undefined && typeof b.testMsg !== 'boolean') throw new ComposeError(400, 'testMsg must be true or false');
    const envelope = str(b.envelope, 'envelope');
    const appData = str(b.appData, 'appData');
    if (b.values !== undefined && (typeof b.values !== 'object' || b.values === null || Array.isArray(b.values))) throw new ComposeError(400, 'values must be an object of path: text');
    const values = b.values as Record<string, string> | undefined;
    const attachments = readAttachments(b.attachments, d.attachmentBytes ?? DEFAULT_COMPOSE_ATTACHMENT_BYTES);
    const s = service(sid);
    const op = opName === undefined ? undefined : s.operations.find((o) => o.name === opName);
    if (opName !== undefined && !op) throw new ComposeError(404, `${sid} has no operation ${opName} (it has: ${s.operations.map((o) => o.name).join(', ')})`);

    const signer = signAs === null ? undefined : d.keys.has(signAs) && d.trust().systems.has(signAs) ? d.keys.signer(signAs) : undefined;
    if (signAs !== null && !signer) {
      const have = identities().map((i) => i.mnemonic);
      throw new ComposeError(400, `cannot sign as ${signAs}: the gateway holds no key for it${d.trust().systems.has(signAs) ? '' : ' (and it is no registered system)'}; systems with keys: ${have.join(', ') || '(none)'}`);
    }

    let bytes: Buffer;
    let soapAction = op?.soapAction;
    if (envelope !== undefined) {
      if (appData !== undefined || values !== undefined) throw new ComposeError(400, 'give a whole envelope, or appData or values, not both');
      bytes = Buffer.from(envelope, 'utf8');
      wellFormed(bytes, 'envelope');
      if (!op) {
        try {
          const operation = readEnvelopeView(bytes).operation;
          soapAction = operation && s.byInput.get(qkey(operation))?.soapAction;
        } catch {
          // not SOAP: sent as it is, the gateway says what is wrong with it
        }
      }
    } else {
      if (!op) throw new ComposeError(400, 'operation is required (or send a whole envelope)');
      if (appData !== undefined && values !== undefined) throw new ComposeError(400, 'give appData or values, not both');
      const model = models.operation(s, op.name, str(b.element, 'element'));
      let content = '';
      if (appData !== undefined) {
        content = appData.trim();
        if (content) wellFormed(Buffer.from(`<AppData>${content}</AppData>`, 'utf8'), 'appData');
      } else if (values) {
        content = renderValues(model.form, values, model.prefixes);
        // an #any field carries XML of its own
        if (content) wellFormed(Buffer.from(`<AppData>${content}</AppData>`, 'utf8'), 'the XML of the values (an #any field)');
      }
      const sender = signAs ?? str(b.sender, 'sender') ?? identities()[0]?.mnemonic;
      if (!sender) throw new ComposeError(400, 'say who sends: signAs, or sender for an unsigned request');
      const senderName = d.trust().systems.get(sender)?.name ?? sender;
      const xml = requestEnvelope(model, {
        sender: { code: sender, name: senderName },
        recipient: { code: s.def.provider.mnemonic, name: s.def.provider.name },
        originator: { code: sender, name: senderName },
        serviceMnemonic: s.def.service.mnemonic,
        serviceVersion: s.def.service.version,
        typeCode: 'GSRV',
        status,
        date: smevDateTime(d.clock?.() ?? new Date()),
        exchangeType: str(b.exchangeType, 'exchangeType') ?? '2',
        caseNumber: str(b.caseNumber, 'caseNumber'),
        originRequestIdRef: str(b.originRequestIdRef, 'originRequestIdRef'),
        testMsg: b.testMsg === true,
      }, content);
      bytes = Buffer.from(xml, 'utf8');
    }
    // the AppDocument goes in before the envelope is signed: inline BinaryData is part of the signed Body
    let doc: BuiltAppDocument | undefined;
    if (attachments) {
      doc = await buildAppDocument(attachments, signer, d.clock?.() ?? new Date());
      bytes = doc.into(bytes);
    }
    if (signer) {
      try {
        bytes = signEnvelope(bytes, ACTOR.smev, signer, { header: false });
      } catch (e) {
        if (e instanceof NotSoapError || e instanceof XmlSyntaxError) throw new ComposeError(400, `cannot sign the envelope: ${e.message}`);
        throw e;
      }
    }

    const url = `${d.selfUrl()}/gateway/services/${encodeURIComponent(sid)}`;
    const sentAt = new Date();
    const t0 = process.hrtime.bigint();
    let answer: globalThis.Response;
    let text: string;
    // MTOM: the envelope as the root part, the ZIP as the part its AppDocument references
    const mtom = doc?.part ? writeMultipart({ bytes }, [doc.part]) : undefined;
    try {
      answer = await fetch(url, {
        method: 'POST', body: mtom ? await collect(mtom.stream()) : bytes,
        headers: { 'content-type': mtom ? mtom.contentType : 'text/xml; charset=utf-8', soapaction: `"${soapAction ?? ''}"` },
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
      text = await answer.text();
    } catch (e) {
      d.log.warn({ by: by, sid, url, err: (e as Error).message }, 'composer: the gateway\'s own endpoint did not answer');
      throw new ComposeError(502, `the gateway's own endpoint ${url} did not answer: ${(e as Error).message}`);
    }
    const ms = Math.round(Number(process.hrtime.bigint() - t0) / 1e4) / 100;
    let fault: { code: string; string: string } | null = null;
    let messageId: string | null = null;
    try {
      const env = readEnvelopeView(Buffer.from(text, 'utf8'));
      if (env.fault) fault = { code: /^([A-Z]+-\d+)\b/.exec(env.fault.faultstring ?? '')?.[1] ?? env.fault.faultcode ?? '', string: env.fault.faultstring ?? '' };
      messageId = env.message?.requestIdRef ?? null;
    } catch {
      // an answer that is not SOAP is shown as it came
    }
    const found = await exchangeOfSent(d.store, messageId, bytes, sentAt).catch((e: Error) => {
      d.log.warn({ err: e.message }, 'composer: journal lookup failed');
      return { exchangeId: null, messageId };
    });
    d.log.info({ by: by, sid, op: op?.name, signAs, status: answer.status, fault: fault?.code, exchange: found.exchangeId }, 'composer sent a request');
    return {
      request: bytes.toString('utf8'), httpStatus: answer.status, response: text, ms, messageId: found.messageId, exchangeId: found.exchangeId, fault,
      ...(doc ? { attachments: { mode: attachments!.mode, requestCode: attachments!.requestCode, contentId: doc.part?.contentId ?? null, zipSize: doc.zip.length, files: doc.names } } : {}),
    };
}

/** A multipart body in one buffer: bounded by the composer's attachment limit. */
async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

function algorithmOf(keys: KeyStore, mnemonic: string): string {
  try {
    const k = keys.signer(mnemonic)?.key;
    if (!k) return 'unknown';
    return k.kind === 'rsa' ? 'rsa' : `gost${k.family}`;
  } catch {
    return 'unreadable';
  }
}

function str(v: unknown, name: string, required = false): string | undefined {
  if (v === undefined || v === null) {
    if (required) throw new ComposeError(400, `${name} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new ComposeError(400, `${name} must be a string`);
  if (required && !v.trim()) throw new ComposeError(400, `${name} is required`);
  return v;
}

function wellFormed(bytes: Buffer, what: string): void {
  try {
    parseUntrusted(bytes).dispose();
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new ComposeError(400, `${what} is not well-formed XML: ${e.line ? `line ${e.line}: ` : ''}${e.message}`);
    throw e;
  }
}

/** Async handlers: the composer's own refusals with their status; anything else a logged JSON 500, never a crash. */
function handler(log: Logger) {
  return (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response) => {
    fn(req, res).catch((e: unknown) => {
      if (e instanceof ComposeError) return void res.status(e.status).json({ error: e.message });
      if (e instanceof ValuesError) return void res.status(400).json({ error: e.message });
      if (e instanceof FontMissingError) return void res.status(503).json({ error: e.message });
      const ref = randomUUID();
      log.error({ err: e, ref, path: req.originalUrl }, 'request composer failed');
      if (!res.headersSent) res.status(500).json({ error: `the composer failed (${(e as Error).message}); the log has it under ${ref}` });
    });
  };
}

/** The composer's paths for the admin API's OpenAPI document (merged into its `paths`). */
export const COMPOSE_OPENAPI_PATHS = {
  '/compose/services': { get: { summary: 'Request composer: the SIDs and their operations it builds requests for',
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: { type: 'object', properties: {
      sid: { type: 'string' }, title: { type: ['string', 'null'] }, mnemonic: { type: 'string' }, provider: { type: 'object' }, delivery: { type: 'string', enum: ['direct', 'guaranteed'] },
      operations: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, mode: { type: 'string' }, input: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/QName' }] } } } } } } } } } }, 401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } } } },
  '/requests': { get: { summary: 'My requests: those this user composed (an operator: everyone\'s, or one user\'s with ?user=), newest first, with where each stands',
    parameters: [{ name: 'user', in: 'query', required: false, description: 'an operator: only this user\'s', schema: { type: 'string' } }],
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/ComposedRequest' } } } } }, 401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } } } },
  '/requests/{id}': { get: { summary: 'One of my requests with its answer\'s envelope (null while none has come)',
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: { allOf: [{ $ref: '#/components/schemas/ComposedRequest' }, { type: 'object', properties: { answer: { type: ['string', 'null'] } } }] } } } },
      404: { description: 'no such request of this user', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }, 401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } } } },
  '/requests/{id}/answer': { get: { summary: 'The answer of one of my requests, as a download: its envelope (xml), or a document to read (pdf, html) with the journal\'s ids and signature verdicts at its foot',
    parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['xml', 'pdf', 'html'], default: 'xml' } }],
    responses: { 200: { description: 'the envelope, or the document', content: { 'text/xml': { schema: { type: 'string' } }, 'application/pdf': { schema: { type: 'string', format: 'binary' } }, 'text/html': { schema: { type: 'string' } } } },
      400: { description: 'a format other than xml, pdf, html', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }, 404: { description: 'no such request of this user, or no answer yet', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } } } },
  '/compose/identities': { get: { summary: 'Request composer: the information systems the gateway holds a private key for (it can sign as them)',
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'array', items: { type: 'object', properties: {
      mnemonic: { type: 'string' }, name: { type: 'string' }, algorithm: { type: 'string', description: 'gost2012-256, gost2012-512, gost2001 or rsa' } } } } } } }, 401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } } } },
  '/compose/{sid}/{operation}': { get: { summary: 'Request composer: the form of an operation\'s AppData content, generated from the SID\'s WSDL/XSD bundle, and a sample of it',
    parameters: [
      { name: 'sid', in: 'path', required: true, schema: { type: 'string' } }, { name: 'operation', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'element', in: 'query', required: false, description: 'when the schema leaves AppData open (xs:any): the global element to put there, {namespace}local or local (appData.candidates lists them)', schema: { type: 'string' } },
    ],
    responses: { 200: { description: 'OK', content: { 'application/json': { schema: { type: 'object', properties: {
      sid: { type: 'string' }, operation: { type: 'string' }, mode: { type: 'string' }, revision: { type: 'string' }, soapAction: { type: ['string', 'null'] },
      input: { $ref: '#/components/schemas/QName' }, form: { $ref: '#/components/schemas/FormNode' }, sample: { type: 'string', description: 'AppData content: the required elements with placeholder values' },
      appData: { type: 'object', properties: { element: { oneOf: [{ type: 'null' }, { $ref: '#/components/schemas/QName' }] }, source: { type: 'string', enum: ['schema', 'fixtures', 'documentation', 'names', 'asked', 'none'] }, candidates: { type: 'array', items: { $ref: '#/components/schemas/QName' } } } },
    } } } } }, 400: { description: 'a parameter is wrong' }, 404: { description: 'no such SID, operation or element', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }, 401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } } } },
  '/compose/send': { post: { summary: 'Request composer: build (from form values or AppData XML) or take (a whole envelope) a request, sign it as a chosen system, send it to the gateway\'s own SOAP endpoint, return the answer',
    requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['sid'], properties: {
      sid: { type: 'string' }, operation: { type: 'string', description: 'required unless envelope is given' },
      signAs: { type: ['string', 'null'], description: 'a mnemonic of GET /compose/identities; null: unsigned' },
      sender: { type: 'string', description: 'smev:Sender of an unsigned request (default: the first identity)' },
      status: { type: 'string', default: 'REQUEST', enum: [...STATUSES] }, testMsg: { type: 'boolean' }, caseNumber: { type: 'string' }, originRequestIdRef: { type: 'string' },
      exchangeType: { type: 'string', default: '2' },
      element: { type: 'string', description: 'as the form\'s ?element=' },
      appData: { type: 'string', description: 'the XML of AppData\'s content' },
      values: { type: 'object', additionalProperties: { type: 'string' }, description: 'form values by path (Request/Child[2]/Name, Request/@id); empty optional ones are left out' },
      envelope: { type: 'string', description: 'a whole envelope, sent as it is (signed first when signAs is given)' },
      attachments: { type: 'object', required: ['files'], description: 'files for an AppDocument: zipped, each signed as signAs (<file>.sig, detached CMS), put into smev:MessageData before the envelope is signed', properties: {
        mode: { type: 'string', enum: ['inline', 'mtom'], default: 'inline', description: 'inline: AppDocument/BinaryData; mtom: a multipart/related part the AppDocument references (xop:Include) with its DigestValue' },
        requestCode: { type: 'string', description: 'AppDocument/RequestCode (default: a random UUID)' },
        files: { type: 'array', items: { type: 'object', required: ['name', 'content'], properties: { name: { type: 'string' }, content: { type: 'string', description: 'base64' } } } },
        requestDocument: { type: 'string', description: 'base64 of the request document, written as req_<RequestCode>.xml (only when given)' },
      } },
    } } } } },
    responses: { 200: { description: 'the gateway answered (a SOAP fault included)', content: { 'application/json': { schema: { type: 'object', properties: {
      request: { type: 'string', description: 'the envelope as sent' }, httpStatus: { type: 'integer' }, response: { type: 'string' }, ms: { type: 'number' },
      messageId: { type: ['string', 'null'], description: 'the MessageId the node gave the request (the answer\'s RequestIdRef)' },
      exchangeId: { type: ['string', 'null'], description: 'the exchange in the journal (GET /exchanges/{exchangeId})' },
      fault: { oneOf: [{ type: 'null' }, { type: 'object', properties: { code: { type: 'string' }, string: { type: 'string' } } }] },
      requestId: { type: 'string', description: 'the request under GET /requests/{id} (my requests)' }, state: { type: 'string' },
      attachments: { type: 'object', description: 'with attachments: what was sent', properties: { mode: { type: 'string' }, requestCode: { type: 'string' }, contentId: { type: ['string', 'null'] }, zipSize: { type: 'integer' }, files: { type: 'array', items: { type: 'string' } } } },
    } } } } },
    400: { description: 'bad XML, unknown form paths, no key for signAs: the error says which', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    404: { description: 'no such SID or operation' }, 401: { description: 'not logged in' },
    403: { description: 'the role may not do this; a requester signing as a system not of their department (the error names it and the allowed ones), or sending a whole envelope', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    413: { description: 'the attached files pass the composer\'s limit (SMEV2_COMPOSE_ATTACHMENT_BYTES)', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }, 502: { description: 'the gateway\'s own endpoint did not answer' } } } },
} as const;

/** Schemas the composer's paths refer to, for the document's components. */
export const COMPOSE_OPENAPI_SCHEMAS = {
  ComposedRequest: { type: 'object', properties: {
    id: { type: 'string' }, user: { type: 'string' }, department: { type: ['string', 'null'] }, sid: { type: 'string' }, operation: { type: ['string', 'null'] },
    system: { type: ['string', 'null'], description: 'the system it was signed as' }, sentStatus: { type: 'string' }, delivery: { type: 'string', enum: ['direct', 'guaranteed'] },
    exchangeId: { type: ['string', 'null'] }, messageId: { type: ['string', 'null'] }, ticket: { type: ['string', 'null'] }, httpStatus: { type: 'integer' }, at: { type: 'string', format: 'date-time' },
    state: { type: 'string', enum: ['answered', 'fault', 'accepted', 'process', 'failed', 'unknown'] }, status: { type: ['string', 'null'], description: 'the answer\'s smev:Status, or FAULT' },
    fault: { type: ['string', 'null'] }, steps: { type: 'array', items: { type: 'string' }, description: 'guaranteed delivery: ACCEPT → PROCESS → RESULT so far' },
    error: { type: ['string', 'null'] }, notifiedAt: { type: ['string', 'null'], format: 'date-time', description: 'when answer-arrived was queued' },
  } },
  QName: { type: 'object', properties: { ns: { type: 'string' }, local: { type: 'string' } } },
  FormNode: { type: 'object', required: ['name', 'ns', 'path', 'kind', 'minOccurs', 'maxOccurs'], properties: {
    name: { type: 'string' }, ns: { type: 'string' }, path: { type: 'string' }, kind: { type: 'string', enum: ['group', 'field'] },
    minOccurs: { type: 'integer' }, maxOccurs: { type: ['integer', 'null'], description: 'null: unbounded' },
    type: { type: 'string' }, enumeration: { type: 'array', items: { type: 'string' } }, pattern: { type: 'string' }, minLength: { type: 'integer' }, maxLength: { type: 'integer' },
    minInclusive: { type: 'string' }, maxInclusive: { type: 'string' }, minExclusive: { type: 'string' }, maxExclusive: { type: 'string' }, totalDigits: { type: 'integer' }, fractionDigits: { type: 'integer' },
    list: { type: 'boolean' }, item: { $ref: '#/components/schemas/FormNode', description: 'a list\'s item type' }, members: { type: 'array', items: { $ref: '#/components/schemas/FormNode' }, description: 'a union\'s member types' }, nillable: { type: 'boolean' }, fixed: { type: 'string' }, default: { type: 'string' }, documentation: { type: 'string' },
    children: { type: 'array', items: { $ref: '#/components/schemas/FormNode' } }, attributes: { type: 'array', items: { $ref: '#/components/schemas/FormNode' } },
    attribute: { type: 'boolean' }, choice: { type: 'boolean' }, compositor: { type: 'string', enum: ['sequence', 'choice'] }, any: { type: 'boolean' },
    xsiType: { $ref: '#/components/schemas/QName' }, recursive: { type: 'boolean' }, truncated: { type: 'boolean' }, unresolved: { type: 'string' }, appData: { type: 'boolean' },
    basePatterns: { type: 'array', items: { type: 'string' }, description: 'the patterns of the types it restricts: a value matches each too' },
    whiteSpace: { type: 'string', enum: ['preserve', 'replace', 'collapse'] }, processContents: { type: 'string', enum: ['strict', 'lax', 'skip'], description: 'an xs:any\'s' },
    otherThan: { type: 'string', description: 'an xs:any of ##other: the namespace it excludes' }, inAll: { type: 'boolean', description: 'an element of an xs:all (any order)' }, mixed: { type: 'boolean', description: 'mixed content: text may stand between the child elements' },
    key: { type: 'string', description: 'its key in the REST façade\'s JSON where another element of the content has its local name: {namespace}name' },
  } },
} as const;
