import { randomUUID } from 'node:crypto';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { DataSource } from 'typeorm';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { TrustStore } from '../signature/trust';
import type { Outbox, OutboxStatus } from '../queue/outbox';
import { serviceUrl } from '../registry/publish';
import { nameToString } from '../signature/x509';
import { searchJournal, entryWithRaw, journalHead, exchangeLegs, chainLegs, FilterError, type JournalFilter, type JournalRow } from '../journal/search';
import { journalStats, type Bucket } from '../journal/stats';
import { Auth, cookie, requireRole, SESSION_COOKIE } from './auth';
import { gate as permissionGate, rolesOf, viewsOf } from './permissions';
import { clientAddress } from '../http/proxy';
import { exportCsv, exportXlsx } from './export';
import { openApiDocument } from './openapi';
import { attachmentRoutes, type AttachmentRoutesDeps } from './attachments';
import { faultRoutes } from './faults';
import type { FaultSwitch } from '../providers/faults';
import { emulatorStateRoutes } from './emulator-state';
import type { EmulatorState } from '../providers/emulator/state';
import type { Inbox } from '../providers/manual/inbox';
import { inboxRoutes } from './inbox';
import { passportRoutes } from './passport';
import { ComposerModels } from '../xsd/model';
import { FontMissingError } from '../documents/render-pdf';
import { ANSWER_DIRECTIONS, answerBytes, formatParam, legsOfExchange, sendDownload } from './documents';

export interface AdminDeps {
  registry: Registry;
  /** the systems registry in force (it changes on reload) */
  trust: () => TrustStore;
  store: DataSource;
  outbox: Outbox;
  availability: () => unknown[];
  auth: Auth;
  log: Logger;
  /** the gateway's external base URL for this request (WSDL links) */
  baseUrl: (req: Request) => string;
  /** read the registry, the systems and the users again; throws with the reasons when broken */
  reload: () => { services: string[]; warnings: string[]; skipped: string[] };
  /** the emulator's runtime API (admin/emulator.ts emulatorRoutes), given the permission table's gate */
  emulator?: (r: Router, gate: RequestHandler) => void;
  /** extra routes (the request composer under /compose, "my requests" under /requests), each behind the gate */
  extra?: (r: Router, gate: RequestHandler) => void;
  /** a cookie only sent over HTTPS (behind a TLS-terminating proxy) */
  secureCookie: boolean;
  /** the attachment store and the ZIP limits: a journal entry's attachments listed and downloaded */
  attachments?: Omit<AttachmentRoutesDeps, 'store' | 'log'>;
  /** the runtime fault-injection switches (GET /faults, GET|PUT|DELETE /services/{sid}/faults) */
  faults?: FaultSwitch;
  /** the largest JSON body of the composer's routes (files to attach travel in it as base64) */
  composeBodyBytes?: number;
  /** the emulated providers' counters, scenarios and chains: read and reset under /emulator */
  emulatorState?: EmulatorState;
  /** the manual providers' inbox: read and answered under /inbox (clerks, operators; auditors read) */
  inbox?: Inbox;
}

const MAX_PAGE = 500;
const DAY = 24 * 3600 * 1000;

/**
 * The admin HTTP API under /admin (README, "Operations"; the contract is /admin/openapi.json).
 * Everything but logging in needs a login; who may call what is written once, in the permission
 * table (admin/permissions.ts), and every route is behind its `gate`. Nothing here writes to the
 * journal.
 */
export function adminRouter(d: AdminDeps): Router {
  const r = express.Router();
  const gate = permissionGate(d.auth);
  const json = express.json({ limit: '12mb' });

  r.post('/login', json, async (req, res) => {
    const addr = clientAddress(req); // behind a trusted proxy (SMEV2_TRUST_PROXY): the client's, from X-Forwarded-For
    const { user, password } = (req.body ?? {}) as { user?: unknown; password?: unknown };
    if (typeof user !== 'string' || typeof password !== 'string') return void res.status(400).json({ error: 'send JSON {"user": "...", "password": "..."}' });
    if (d.auth.lockedOut(addr, user)) return void res.status(429).json({ error: 'too many failed logins for this user from this address: wait 10 minutes' });
    const u = await d.auth.login(user, password);
    if (!u) {
      d.auth.failed(addr, user);
      d.log.warn({ user, addr }, 'admin login refused');
      return void res.status(401).json({ error: 'wrong user or password' });
    }
    d.auth.succeeded(addr, user);
    const s = await d.auth.issue(u);
    res.cookie(SESSION_COOKIE, s.token, { httpOnly: true, sameSite: 'strict', path: '/', expires: s.expires, secure: d.secureCookie });
    d.log.info({ user: u.name, role: u.role, addr }, 'admin login');
    res.json({ user: u.name, role: u.role, expires: s.expires.toISOString() });
  });
  r.post('/logout', handle(async (req, res) => {
    // the session ends in the store: its cookie, replayed from anywhere, is refused by every instance
    const token = cookie(req.headers.cookie, SESSION_COOKIE);
    if (token) await d.auth.logout(token);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.json({ ok: true });
  }));

  r.get('/me', gate, (req, res) => {
    const p = req.principal!;
    const dept = p.department ? d.auth.department(p.department) : undefined;
    res.json({ user: p.user, role: p.role, department: dept ? { id: dept.id, name: dept.name, systems: dept.systems } : null, views: viewsOf(p.role) });
  });
  r.get('/openapi.json', gate, (req, res) => { res.json(openApiDocument(d.baseUrl(req))); });
  // before /services/:sid, which would take /services/reload-status
  d.emulator?.(r, gate);

  // --- the journal: auditor and operator ---
  r.get('/journal', gate, handle(async (req, res) => {
    const limit = intParam(req.query.limit, 50, 1, MAX_PAGE, 'limit');
    const before = req.query.before === undefined ? undefined : intParam(req.query.before, 0, 1, Number.MAX_SAFE_INTEGER, 'before');
    res.json(await searchJournal(d.store, filterOf(req), { limit, before }));
  }));
  r.get('/journal/head', gate, handle(async (_req, res) => { res.json((await journalHead(d.store)) ?? null); }));
  r.get('/journal/export.csv', gate, handle(async (req, res) => exportCsv(d.store, filterOf(req), res)));
  r.get('/journal/export.xlsx', gate, handle(async (req, res) => exportXlsx(d.store, filterOf(req), res)));
  r.get('/journal/:id', gate, handle(async (req, res) => {
    const e = await entryWithRaw(d.store, intParam(req.params.id, 0, 1, Number.MAX_SAFE_INTEGER, 'id'));
    if (!e) return void res.status(404).json({ error: `no journal entry ${req.params.id}` });
    const { attachments: _attachments, ...row } = e.row; // listed by /journal/{id}/attachments
    res.json({ ...row, raw: e.row.purged ? null : e.raw.toString('utf8'), ...(truncation(e.row) ? { truncated: truncation(e.row) } : {}) });
  }));
  r.get('/journal/:id/raw', gate, handle(async (req, res) => {
    const e = await entryWithRaw(d.store, intParam(req.params.id, 0, 1, Number.MAX_SAFE_INTEGER, 'id'));
    if (!e) return void res.status(404).json({ error: `no journal entry ${req.params.id}` });
    if (e.row.purged) return void res.status(410).json({ error: `entry ${e.row.id}'s body was purged by retention; its metadata and hashes are kept` });
    // the bytes are whatever a consumer or provider sent: never a page of this origin (an XHTML
    // body with a script would run with the operator's session), always a download
    // a refused message kept up to the cap (SMEV2_JOURNAL_REFUSED_BYTES): said in the name and headers
    const cut = truncation(e.row);
    res.type('text/xml; charset=utf-8').setHeader('content-disposition', `attachment; filename="journal-${e.row.id}${cut ? `-first-${e.row.rawKept}-of-${e.row.size}-bytes` : ''}.xml"`);
    if (cut) {
      res.setHeader('x-smev2-truncated', cut);
      res.setHeader('x-smev2-full-size', String(e.row.size));
      res.setHeader('x-smev2-full-sha256', e.row.sha256);
    }
    res.setHeader('content-security-policy', "sandbox; default-src 'none'");
    res.setHeader('x-content-type-options', 'nosniff');
    res.send(e.raw);
  }));
  // an answer as a document to read: PDF, HTML, or its XML as journaled (admin/documents.ts)
  const models = new ComposerModels();
  r.get('/journal/:id/document', gate, handle(async (req, res) => {
    const format = formatParam(req.query.format, 'pdf');
    if (typeof format !== 'string') throw new FilterError(format.error);
    const e = await entryWithRaw(d.store, intParam(req.params.id, 0, 1, Number.MAX_SAFE_INTEGER, 'id'));
    if (!e) return void res.status(404).json({ error: `no journal entry ${req.params.id}` });
    if (!ANSWER_DIRECTIONS.includes(e.row.direction)) {
      const legs = await legsOfExchange(d.store, e.row.exchangeId);
      const answers = legs.filter((l) => ANSWER_DIRECTIONS.includes(l.direction)).map((l) => `#${l.id} (${l.direction})`);
      return void res.status(400).json({ error: `entry ${e.row.id} is the ${e.row.direction} leg, a request: documents are made of answers; ${answers.length ? `this exchange's answers are ${answers.join(', ')}` : 'this exchange journaled no answer'}` });
    }
    if (e.row.purged) return void res.status(410).json({ error: `entry ${e.row.id}'s body was purged by retention: there is no answer left to make a document of` });
    const legs = await legsOfExchange(d.store, e.row.exchangeId);
    const out = await answerBytes({ store: d.store, registry: d.registry, models }, format, e.raw, e.row, legs);
    sendDownload(res, format, out, `answer-${e.row.sid}-${e.row.id}`);
  }));
  // attachments are message bodies: whoever may download the raw envelope may download them
  if (d.attachments) attachmentRoutes({ ...d.attachments, store: d.store, log: d.log }, r, gate, handle);
  r.get('/exchanges/:exchangeId', gate, handle(async (req, res) => {
    const legs = await exchangeLegs(d.store, String(req.params.exchangeId));
    if (!legs.length) return void res.status(404).json({ error: `no exchange ${req.params.exchangeId} in the journal` });
    res.json({ exchangeId: req.params.exchangeId, legs: legs.map((x) => ({ ...x.row, raw: x.raw === null ? null : x.raw.toString('utf8') })) });
  }));
  r.get('/chains/:chainId', gate, handle(async (req, res) => {
    const chain = String(req.params.chainId);
    const legs = await chainLegs(d.store, chain);
    if (!legs.length) return void res.status(404).json({ error: `no chain ${chain} in the journal` });
    const delivery = await d.outbox.deliveryOf(chain).catch(() => []);
    res.json({ chainId: chain, steps: chainSteps(legs), legs, delivery });
  }));
  r.get('/stats', gate, handle(async (req, res) => {
    const to = dateParam(req.query.to, 'to') ?? new Date();
    const from = dateParam(req.query.from, 'from') ?? new Date(to.getTime() - 7 * DAY);
    const bucket = (req.query.bucket ?? 'hour') as Bucket;
    if (bucket !== 'hour' && bucket !== 'day') throw new FilterError('bucket must be hour or day');
    if (!(from < to)) throw new FilterError('from must be before to');
    res.json(await journalStats(d.store, from, to, bucket));
  }));

  // --- the registry, the queue, availability: operator only ---
  r.get('/services', gate, (req, res) => { res.json(d.registry.list().map((e) => serviceSummary(e.service, d.baseUrl(req), d.availability()))); });
  r.get('/services/:sid', gate, (req, res) => {
    const e = d.registry.list().find((x) => x.service.sid === req.params.sid);
    if (!e) return void res.status(404).json({ error: `no service ${req.params.sid}: GET /admin/services lists them` });
    const s = e.service;
    res.json({
      ...serviceSummary(s, d.baseUrl(req), d.availability()),
      definition: s.def,
      folder: s.dir,
      files: [...s.bundle.files.keys()],
      payloadControl: e.payload ? 'compiled' : s.def.control === 'off' ? 'off' : 'not compiled (see warnings)',
      warnings: d.registry.warnings.filter((w) => w.file.startsWith(s.dir)).map((w) => `${w.field ? `${w.field}: ` : ''}${w.reason}`),
    });
  });
  // a SID's passport: operators, auditors and requesters (admin/passport.ts)
  passportRoutes({ registry: d.registry, trust: d.trust, auth: d.auth, log: d.log, baseUrl: d.baseUrl }, r, gate);
  r.post('/services/reload', gate, handle(async (req, res) => {
    let out: ReturnType<AdminDeps['reload']>;
    try {
      out = d.reload();
    } catch (e) {
      d.log.warn({ by: req.principal!.user, err: (e as Error).message }, 'registry reload refused; the registry in force is kept');
      return void res.status(422).json({ error: `not reloaded, the registry in force is kept: ${(e as Error).message}` });
    }
    // a user whose password or role changed, or who is gone, is logged out everywhere (the store)
    const sessionsEnded = await d.auth.endChangedSessions();
    d.log.info({ by: req.principal!.user, ...out, sessionsEnded }, 'registry reloaded');
    res.json(out);
  }));
  if (d.faults) faultRoutes({ registry: d.registry, faults: d.faults, log: d.log }, r, gate, handle);
  r.get('/systems', gate, (_req, res) => {
    res.json([...d.trust().systems.values()].map((s) => ({
      mnemonic: s.mnemonic, name: s.name, grants: s.grants, callback: s.callback ?? null, subscriptions: s.subscriptions,
      certificates: [...s.pinned.map((c) => ({ pinned: true, c })), ...s.issuers.map((c) => ({ pinned: false, c }))].map(({ pinned, c }) => ({
        kind: pinned ? 'pinned' : 'issuer', subject: nameToString(c.subject), issuer: nameToString(c.issuer), serial: c.serial, thumbprint: c.thumbprint, notBefore: c.notBefore.toISOString(), notAfter: c.notAfter.toISOString(),
      })),
    })));
  });
  r.get('/availability', gate, (_req, res) => { res.json(d.availability()); });
  r.get('/queue', gate, handle(async (req, res) => {
    const status = req.query.status as OutboxStatus | undefined;
    if (status && !['pending', 'polling', 'done', 'dead'].includes(status)) throw new FilterError('status must be pending, polling, done or dead');
    const rows = await d.outbox.list(status, undefined, intParam(req.query.limit, 200, 1, 1000, 'limit'));
    res.json({ counts: await d.outbox.counts(), items: rows.map(({ payload, answer, ...x }) => ({ ...x, size: payload.length, answerSize: answer?.length ?? null })) });
  }));
  r.get('/queue/:id', gate, handle(async (req, res) => {
    const x = await d.outbox.get(String(req.params.id));
    if (!x) return void res.status(404).json({ error: `no outbox item ${req.params.id}` });
    res.json({ ...x, payload: x.payload.toString('utf8'), answer: x.answer?.toString('utf8') ?? null });
  }));
  r.post('/queue/:id/redrive', gate, handle(async (req, res) => {
    const x = await d.outbox.get(String(req.params.id));
    if (!x) return void res.status(404).json({ error: `no outbox item ${req.params.id}` });
    if (!(await d.outbox.redrive(x.id, DAY))) return void res.status(409).json({ error: `${x.id} is ${x.status}, not a dead letter: only dead letters are re-driven` });
    d.log.info({ by: req.principal!.user, item: x.id, sid: x.sid }, 'dead letter re-driven');
    res.json({ id: x.id, status: 'pending' });
  }));
  if (d.inbox) inboxRoutes({ inbox: d.inbox, outbox: d.outbox, registry: d.registry, auth: d.auth, log: d.log, store: d.store, attachments: d.attachments }, r, gate);
  if (d.emulatorState) emulatorStateRoutes({ registry: d.registry, state: d.emulatorState, log: d.log }, r, gate, handle);
  if (d.extra) {
    const extra = express.Router();
    const limit = d.composeBodyBytes ?? 12 * 1024 * 1024;
    // a body is read only for someone who may send one (the roles of POST /compose/send)
    const composers = rolesOf('POST /compose/send');
    extra.use('/compose', requireRole(d.auth, composers === 'public' ? [] : [...composers]), express.json({ limit }));
    d.extra(extra, gate);
    // a body past the parser's limit: said in JSON, with the setting that moves it
    extra.use('/compose', (err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
      if ((err as { type?: string })?.type !== 'entity.too.large') return next(err);
      res.status(413).json({ error: `the request is larger than the composer accepts (${limit.toLocaleString('en-US')} bytes of JSON; attached files count 4/3 of their size): attach fewer or smaller files, or raise SMEV2_COMPOSE_ATTACHMENT_BYTES` });
    });
    r.use(extra);
  }
  r.use((req, res) => { res.status(404).json({ error: `no admin resource ${req.method} ${req.originalUrl}: see /admin/openapi.json` }); });
  // anything a route let escape: JSON with a reference to the log line, as the API's clients read it
  // (not the SOAP fault the gateway's own error handler writes for the service endpoints)
  r.use((err: unknown, req: Request, res: Response, _next: (e?: unknown) => void) => {
    // a body the JSON parser refused (malformed, too large): the client's to fix, said as such
    const status = (err as { status?: number }).status;
    if (typeof status === 'number' && status >= 400 && status < 500 && !res.headersSent) {
      return void res.status(status).json({ error: `the request body cannot be read: ${(err as Error).message}` });
    }
    const ref = randomUUID();
    d.log.error({ err, ref, path: req.originalUrl }, 'admin API: unhandled error');
    if (!res.headersSent) res.status(500).json({ error: `internal error (${ref}): the gateway's log has it` });
    else res.destroy();
  });
  return r;
}

/** Async handlers: bad filters are 400 with the reason; anything else 500, logged, never a crash. */
/** What a truncated entry's raw bytes are, in words; undefined for an entry kept whole. */
function truncation(row: { rawKept?: number | null; size: number; sha256: string }): string | undefined {
  if (row.rawKept === null || row.rawKept === undefined) return undefined;
  return `truncated: a refused message, only its first ${row.rawKept} of ${row.size} bytes are kept (SMEV2_JOURNAL_REFUSED_BYTES); the whole body's SHA-256 is ${row.sha256}`;
}

function handle(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: (e?: unknown) => void) => {
    fn(req, res).catch((e: unknown) => {
      if (e instanceof FilterError) return void res.status(400).json({ error: e.message });
      // a PDF without its fonts: the message names the file and the package to install
      if (e instanceof FontMissingError) return void res.status(503).json({ error: e.message });
      next(e);
    });
  };
}

function one(v: unknown, name: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new FilterError(`${name}: give it once`);
  return v.trim() || undefined;
}

function intParam(v: unknown, dflt: number, min: number, max: number, name: string): number {
  const s = one(v, name);
  if (s === undefined) return dflt;
  const n = Number(s);
  if (!Number.isInteger(n) || n < min || n > max) throw new FilterError(`${name} must be a whole number from ${min} to ${max}`);
  return n;
}

function dateParam(v: unknown, name: string): Date | undefined {
  const s = one(v, name);
  if (s === undefined) return undefined;
  const t = new Date(s);
  if (Number.isNaN(t.getTime())) throw new FilterError(`${name} must be an ISO 8601 date or date-time, e.g. 2026-11-22T10:00:00Z`);
  return t;
}

/** The journal filters of a query string (the same for search and exports). */
export function filterOf(req: Request): JournalFilter {
  const q = req.query;
  return {
    sid: one(q.sid, 'sid'), operation: one(q.operation, 'operation'), sender: one(q.sender, 'sender'), recipient: one(q.recipient, 'recipient'),
    status: one(q.status, 'status'), fault: one(q.fault, 'fault'), direction: one(q.direction, 'direction'), messageId: one(q.messageId, 'messageId'),
    chain: one(q.chain, 'chain'), exchange: one(q.exchange, 'exchange'), text: one(q.text, 'text'),
    from: dateParam(q.from, 'from'), to: dateParam(q.to, 'to'),
  };
}

type Leg = JournalRow;

/**
 * The chain of an asynchronous exchange as the console's timeline draws it: one step per
 * message the consumer sent or got, in time order (REQUEST → ACCEPT → PING … → RESULT),
 * each with its answer's status and the delivery worker's own legs to the provider.
 */
function chainSteps(legs: Leg[]): { at: string; exchangeId: string; request: string | null; answer: string | null; fault: string | null; durationMs: number | null; legs: number[] }[] {
  const byExchange = new Map<string, Leg[]>();
  for (const l of legs) byExchange.set(l.exchangeId, [...(byExchange.get(l.exchangeId) ?? []), l]);
  return [...byExchange.values()].map((ls) => {
    const req = ls.find((l) => l.direction === 'consumer->gateway' || l.direction === 'gateway->provider');
    const ans = [...ls].reverse().find((l) => l.direction === 'gateway->consumer' || l.direction === 'provider->gateway');
    return { at: ls[0]!.at, exchangeId: ls[0]!.exchangeId, request: req?.status ?? null, answer: ans?.status ?? null, fault: ans?.faultCode ?? null, durationMs: ans?.durationMs ?? null, legs: ls.map((l) => l.id) };
  });
}

function serviceSummary(s: import('../registry/load').Service, base: string, availability: unknown[]) {
  const av = (availability as { sid?: string }[]).find((a) => a.sid === s.sid) ?? null;
  return {
    sid: s.sid, title: s.def.title ?? null, mnemonic: s.def.service.mnemonic, version: s.def.service.version,
    provider: s.def.provider, adapter: s.def.adapter.type, signature: s.def.signature, control: s.def.control, delivery: s.def.delivery.mode,
    operations: s.operations.map((o) => ({ name: o.name, mode: o.mode, soapAction: o.soapAction ?? null, input: o.input ?? null, output: o.output ?? null })),
    endpoint: serviceUrl(base, s.sid), wsdl: `${serviceUrl(base, s.sid)}?wsdl`, availability: av,
  };
}
