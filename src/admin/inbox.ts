import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { Outbox } from '../queue/outbox';
import type { Auth, Principal } from './auth';
import { ANSWER_STATUSES, type AnswerStatus, type Inbox, type InboxItem } from '../providers/manual/inbox';
import { reasonAppData } from '../providers/manual/manual';
import { ComposerModels, ComposeError } from '../xsd/model';
import { renderValues, ValuesError } from '../xsd/render';
import { fillAnswer, skeleton } from '../envelope/answer';
import { parseEnvelope, readEnvelopeView } from '../envelope/parse';
import { formatSchemaErrors } from '../control/schemas';
import { pollOperation } from '../registry/modes';
import type { Service } from '../registry/load';
import { parseUntrusted, XmlSyntaxError } from '../xml/dom';
import { chainLegs, FilterError } from '../journal/search';
import { attachmentRoutes, type AttachmentRoutesDeps } from './attachments';

export interface InboxRoutesDeps {
  inbox: Inbox;
  outbox: Outbox;
  registry: Registry;
  auth: Auth;
  log: Logger;
  /** the journal: a request's attachments are those its consumer leg carried */
  store: DataSource;
  /** the attachment store and the ZIP limits, as the journal's attachment routes take them */
  attachments?: Omit<AttachmentRoutesDeps, 'store' | 'log'>;
}

class InboxError extends Error {
  constructor(readonly status: number, message: string, readonly reasons?: string[]) {
    super(message);
  }
}


/**
 * The inbox of manual providers (docs/cabinet.md) under /admin/inbox: a clerk sees and answers the
 * requests of their own department, an operator those of every department (and reassigns them), an
 * auditor reads. The answer is kept in the store (src/providers/manual/inbox.ts); the SID's manual
 * adapter builds and signs it at the delivery worker's next poll, which the answer asks for at once.
 */
export function inboxRoutes(d: InboxRoutesDeps, r: Router, gate: RequestHandler): void {
  // who may read and who may answer: the permission table (admin/permissions.ts), by route
  const readers = gate;
  const writers = gate;
  const json = express.json({ limit: '4mb' });
  const models = new ComposerModels();
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: (e?: unknown) => void) => {
    fn(req, res).catch((e: unknown) => {
      if (e instanceof InboxError) return void res.status(e.status).json({ error: e.message, ...(e.reasons ? { reasons: e.reasons } : {}) });
      if (e instanceof ComposeError) return void res.status(e.status).json({ error: e.message });
      if (e instanceof ValuesError || e instanceof FilterError) return void res.status(400).json({ error: e.message });
      next(e);
    });
  };

  /** The request, if this user may see it: a clerk only their department's. */
  const visible = async (p: Principal, ticket: string): Promise<InboxItem> => {
    const it = await d.inbox.get(ticket.toUpperCase());
    if (!it || (p.role === 'clerk' && it.department !== p.department)) throw new InboxError(404, `no request ${ticket} in ${p.role === 'clerk' ? `the inbox of ${p.department}` : 'the inbox'}: GET /admin/inbox lists them`);
    return it;
  };

  const view = (it: InboxItem, p: Principal, now: number) => {
    const service = d.registry.get(it.sid);
    const adapter = service?.def.adapter.type ?? null;
    const overdue = it.status === 'open' && now >= it.dueAt;
    return {
      ticket: it.ticket, sid: it.sid, title: service?.def.title ?? null, operation: it.operation, department: it.department, departmentName: d.auth.department(it.department)?.name ?? null,
      assignee: it.assignee, queue: it.queue, consumer: it.consumer,
      arrivedAt: new Date(it.arrivedAt).toISOString(), due: new Date(it.dueAt).toISOString(), dueSoonFrom: new Date(it.dueSoonFrom).toISOString(),
      status: it.status, dueSoon: it.status === 'open' && !overdue && now >= it.dueSoonFrom, overdue,
      answer: it.answerStatus ? { status: it.answerStatus, appData: it.answerData, by: it.answeredBy, at: new Date(it.answeredAt!).toISOString() } : null,
      assignedBy: it.assignedBy, assignedAt: it.assignedAt === null ? null : new Date(it.assignedAt).toISOString(),
      // rows outlive the SID's adapter: one switched to an automated provider is read, not answered
      adapter, answerable: it.status === 'open' && adapter === 'manual' && mayAnswer(p, it),
    };
  };

  r.get('/inbox', readers, handle(async (req, res) => {
    const p = req.principal!;
    const status = optional(req.query.status, 'status');
    if (status !== undefined && !['open', 'answered', 'all'].includes(status)) throw new InboxError(400, `status must be open, answered or all, not ${status}`);
    const limitText = optional(req.query.limit, 'limit');
    const limit = limitText === undefined ? 200 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new InboxError(400, `limit must be a whole number from 1 to 1000, not ${limitText}`);
    const asked = optional(req.query.department, 'department');
    if (p.role === 'clerk' && asked !== undefined && asked !== p.department) throw new InboxError(403, `${p.user} is a clerk of ${p.department}: the inbox of ${asked} is not theirs`);
    const mine = optional(req.query.mine, 'mine');
    const now = Date.now();
    const items = await d.inbox.list({
      department: p.role === 'clerk' ? p.department : asked, sid: optional(req.query.sid, 'sid'),
      status: status === 'all' ? undefined : (status as 'open' | 'answered' | undefined) ?? 'open',
      assignee: mine === '1' || mine === 'true' ? p.user : optional(req.query.assignee, 'assignee'), limit,
    });
    const departments = d.auth.departments().filter((x) => p.role !== 'clerk' || x.id === p.department)
      .map((x) => ({ id: x.id, name: x.name, clerks: d.auth.usersOf('clerk', x.id).map((u) => u.name) }));
    res.json({ now: new Date(now).toISOString(), user: p.user, role: p.role, department: p.department ?? null, departments, items: items.map((it) => view(it, p, now)) });
  }));

  r.get('/inbox/:ticket', readers, handle(async (req, res) => {
    const p = req.principal!;
    const it = await visible(p, String(req.params.ticket));
    const request = await d.inbox.request(it.ticket);
    const service = d.registry.get(it.sid);
    let form: unknown = null;
    let formError: string | null = null;
    if (!service) formError = `${it.sid} is no longer registered: its answer form cannot be drawn`;
    else {
      try {
        const m = models.answer(service, answerOperation(service, it.operation));
        form = { element: m.input, form: m.form, sample: m.sample, appData: m.appData };
      } catch (e) {
        formError = (e as Error).message;
      }
    }
    const delivery = await deliveryOf(d.outbox, it.ticket);
    // the consumer's leg of the request: its attachments as the gateway judged them
    const leg = (await chainLegs(d.store, it.ticket)).find((l) => l.direction === 'consumer->gateway' && l.status === 'REQUEST');
    const v = view(it, p, Date.now());
    res.json({
      ...v, answerable: v.answerable && !delivery?.closed, request: request?.toString('utf8') ?? null, form, formError,
      delivery, requestEntry: leg?.id ?? null, attachments: leg && d.attachments ? `/admin/inbox/${encodeURIComponent(it.ticket)}/journal/${leg.id}/attachments` : null,
      clerks: d.auth.usersOf('clerk', it.department).map((u) => u.name),
    });
  }));

  // the request's attachments, listed and downloaded as the journal's are, for whoever sees the request
  if (d.attachments) {
    const legOfRequest = (req: Request, res: Response, next: NextFunction) => void readers(req, res, () => {
      visible(req.principal!, String(req.params.ticket))
        .then(async (it) => {
          const id = Number(req.params.id);
          if ((await chainLegs(d.store, it.ticket)).some((l) => l.id === id)) return next();
          res.status(404).json({ error: `journal entry ${req.params.id} is not a leg of request ${it.ticket}` });
        })
        .catch((e: unknown) => (e instanceof InboxError ? void res.status(e.status).json({ error: e.message }) : next(e)));
    });
    attachmentRoutes({ ...d.attachments, store: d.store, log: d.log }, r, legOfRequest, handle, '/inbox/:ticket');
  }

  r.post('/inbox/:ticket/assign', writers, json, handle(async (req, res) => {
    const p = req.principal!;
    const it = await visible(p, String(req.params.ticket));
    const b = body(req);
    const assignee = nullable(b.assignee, 'assignee');
    const queue = nullable(b.queue, 'queue');
    if (assignee !== null) {
      const clerks = d.auth.usersOf('clerk', it.department).map((u) => u.name);
      if (!clerks.includes(assignee)) throw new InboxError(400, `${assignee} is no clerk of ${it.department}: assign to one of ${clerks.join(', ') || '(none: add clerks of that department to the users file)'}, or to null for the common queue`);
    }
    if (it.status !== 'open') throw new InboxError(409, `${it.ticket} was answered (${it.answerStatus}) by ${it.answeredBy}: it is no longer assigned`);
    await d.inbox.assign(it.ticket, { assignee, queue }, p.user, Date.now());
    d.log.info({ by: p.user, ticket: it.ticket, sid: it.sid, from: it.assignee, to: assignee, queue }, 'inbox: request assigned');
    res.json(view((await d.inbox.get(it.ticket))!, p, Date.now()));
  }));

  r.post('/inbox/:ticket/answer', writers, json, handle(async (req, res) => {
    const p = req.principal!;
    const it = await visible(p, String(req.params.ticket));
    if (it.status !== 'open') throw new InboxError(409, `${it.ticket} is answered already: ${it.answerStatus} by ${it.answeredBy} at ${new Date(it.answeredAt!).toISOString()}`);
    if (!mayAnswer(p, it)) throw new InboxError(403, `${it.ticket} is assigned to ${it.assignee}: ask them, or an operator to reassign it to you`);
    const service = d.registry.get(it.sid);
    if (!service || service.def.adapter.type !== 'manual') {
      throw new InboxError(409, `${it.sid} ${service ? `is now served by its ${service.def.adapter.type} adapter` : 'is no longer registered'}: the request stays in the inbox to be read; switch the SID back to adapter: {type: manual} to answer it here`);
    }
    const delivery = await deliveryOf(d.outbox, it.ticket);
    if (delivery?.closed) {
      throw new InboxError(409, `the consumer's chain of ${it.ticket} is closed: ${delivery.status === 'done' ? `it was answered ${delivery.answerStatus ?? ''} (by the provider in force when it was polled)` : 'its delivery failed for good'}; an answer here would reach no one`);
    }
    const b = body(req);
    const status = b.status;
    if (typeof status !== 'string' || !(ANSWER_STATUSES as string[]).includes(status)) throw new InboxError(400, `status must be one of ${ANSWER_STATUSES.join(', ')}`);
    let appData: string;
    if (status === 'RESULT') {
      if (b.appData !== undefined && b.values !== undefined) throw new InboxError(400, 'give appData (XML) or values (path: text), not both');
      if (typeof b.appData === 'string') appData = b.appData.trim();
      else if (b.values !== undefined) {
        if (typeof b.values !== 'object' || b.values === null || Array.isArray(b.values)) throw new InboxError(400, 'values must be an object of path: text');
        const m = models.answer(service, answerOperation(service, it.operation));
        appData = renderValues(m.form, b.values as Record<string, string>, m.prefixes);
      } else throw new InboxError(400, 'a RESULT needs its content: values (path: text, from the answer form) or appData (XML)');
      if (!appData) throw new InboxError(400, 'the RESULT is empty: fill the answer form');
    } else {
      const reason = typeof b.reason === 'string' ? b.reason.trim() : '';
      if (!reason) throw new InboxError(400, `a ${status} needs its reason: the text the consumer reads`);
      appData = reasonAppData(reason);
    }
    checkAnswer(d.registry, it, status as AnswerStatus, appData, (await d.inbox.request(it.ticket))!);
    if (!(await d.inbox.answer(it.ticket, { status: status as AnswerStatus, appData, by: p.user, at: Date.now() }))) {
      const now = await d.inbox.get(it.ticket);
      throw new InboxError(409, `${it.ticket} is answered already: ${now?.answerStatus} by ${now?.answeredBy}`);
    }
    // the delivery worker's next poll fetches the answer now, not at its interval
    const soon = await d.outbox.pollSoon(it.ticket);
    d.log.info({ by: p.user, ticket: it.ticket, sid: it.sid, status, pollSoon: soon }, 'inbox: request answered');
    res.json(view((await d.inbox.get(it.ticket))!, p, Date.now()));
  }));
}

/**
 * The operation whose output carries the answer: the one the request came on, or for a send/get
 * pair the get operation, on which the delivery worker polls (registry/modes.ts pollOperation).
 */
function answerOperation(service: Service, operation: string): string {
  const sent = service.operations.find((o) => o.name === operation);
  return (sent && pollOperation(service, sent)?.name) ?? operation;
}

/** Where the consumer's chain of a request stands (its outbox item); closed once answered or dead. */
async function deliveryOf(outbox: Outbox, ticket: string): Promise<{ status: string; answerStatus: string | null; closed: boolean } | null> {
  const row = (await outbox.deliveryOf(ticket))[0];
  if (!row) return null;
  const status = String(row.status);
  return { status, answerStatus: (row.answer_status as string | null) ?? null, closed: status === 'done' || status === 'dead' };
}

/** A clerk answers the requests of their department that are theirs or nobody's; an operator any. */
function mayAnswer(p: Principal, it: InboxItem): boolean {
  if (p.role === 'operator') return true;
  return p.role === 'clerk' && it.department === p.department && (it.assignee === null || it.assignee === p.user);
}

/**
 * The answer as the adapter will send it, judged now: well-formed, and valid against the SID's
 * WSDL/XSD when it controls payloads, so that the clerk hears of a mistake rather than the
 * delivery worker retrying an answer the control refuses.
 */
function checkAnswer(registry: Registry, it: InboxItem, status: AnswerStatus, appData: string, request: Buffer): void {
  try {
    parseUntrusted(Buffer.from(`<AppData>${appData}</AppData>`, 'utf8')).dispose();
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new InboxError(400, `the answer is not well-formed XML: ${e.message}`);
    throw e;
  }
  const service = registry.get(it.sid)!;
  const op = service.operations.find((o) => o.name === answerOperation(service, it.operation));
  const schema = registry.payloadSchema(it.sid);
  const req = readEnvelopeView(request);
  const smevNamespace = req.smevNamespace;
  if (!op || !schema || !smevNamespace) return;
  const m = req.message ?? {};
  // filled as the adapter fills it (src/providers/manual/manual.ts), so that only the clerk's part is judged
  const filled = fillAnswer(skeleton({ output: op.output ?? op.input!, smevNamespace, status, typeCode: m.typeCode, serviceName: m.serviceName, appData }), {
    sender: m.recipient ?? { code: service.def.provider.mnemonic, name: service.def.provider.name }, recipient: m.sender, originator: m.originator,
    exchangeType: m.exchangeType, requestIdRef: it.ticket, originRequestIdRef: it.ticket, testMsg: m.testMsg,
  });
  const p = parseEnvelope(filled);
  try {
    const errors = p.operationElement ? schema.validate(p.operationElement) : [];
    if (errors.length) throw new InboxError(422, `the answer does not follow ${it.sid}'s schema: ${formatSchemaErrors(errors)}`, errors.map((e) => e.message));
  } finally {
    p.doc.dispose();
  }
}

function body(req: Request): Record<string, unknown> {
  const b = req.body as unknown;
  if (!b || typeof b !== 'object' || Array.isArray(b)) throw new InboxError(400, 'send a JSON object');
  return b as Record<string, unknown>;
}

function optional(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new InboxError(400, `${name}: give it once`);
  return v.trim() || undefined;
}

function nullable(v: unknown, name: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new InboxError(400, `${name} must be a string or null`);
  return v.trim() || null;
}

