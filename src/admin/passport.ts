import type { Request, RequestHandler, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { Service } from '../registry/load';
import type { TrustStore } from '../signature/trust';
import { smevDateTime } from '../envelope/build';
import { ComposerModels } from '../xsd/model';
import { buildPassport, type Passport } from '../documents/passport';
import { caseNames, readCase } from '../providers/emulator/edit';
import { requestEnvelope } from './compose/envelope';
import { renderHtml } from '../documents/render-html';
import { FontMissingError, renderPdf } from '../documents/render-pdf';
import { sendDownload } from './documents';
import type { Auth, Principal } from './auth';

/**
 * A SID's passport (docs/passport.md; src/documents/passport.ts builds it): GET
 * /admin/services/{sid}/passport as JSON (the Doc, and per operation its samples), and
 * /passport.html and /passport.pdf, the same Doc through the document renderers, as downloads
 * (admin/documents.ts sendDownload: a sandboxed attachment, as answers are). Operators,
 * auditors and requesters may read it: a requester must know what to send (the structure, the
 * samples, the faults) but is not shown the upstream's address or the registry's folder.
 */
export interface PassportDeps {
  registry: Registry;
  trust: () => TrustStore;
  auth: Auth;
  log: Logger;
  baseUrl: (req: Request) => string;
}

export function passportRoutes(d: PassportDeps, r: Router, gate: RequestHandler): (req: Request, res: Response) => Passport | undefined {
  const models = new ComposerModels();

  /** The passport of the request's SID, or a 404 answered (undefined). */
  const passportOf = (req: Request, res: Response): Passport | undefined => {
    const sid = String(req.params.sid);
    const s = d.registry.get(sid);
    if (!s) return void res.status(404).json({ error: `no service ${sid}: GET /admin/services lists them (a requester: GET /admin/compose/services)` });
    const p = req.principal;
    const sender = senderOf(d, s, p);
    return buildPassport({
      service: s, models, base: d.baseUrl(req), sender, internals: p?.role === 'operator' || p?.role === 'auditor',
      cases: s.casesDir ? casesOf(s.casesDir) : undefined,
      envelope: (m, appData) => requestEnvelope(m, {
        sender, recipient: { code: s.def.provider.mnemonic, name: s.def.provider.name }, originator: sender,
        serviceMnemonic: s.def.service.mnemonic, serviceVersion: s.def.service.version, typeCode: 'GSRV', status: 'REQUEST',
        date: smevDateTime(new Date()), exchangeType: '2',
      }, appData),
    });
  };

  r.get('/services/:sid/passport', gate, (req, res) => {
    const out = passportOf(req, res);
    if (out) res.json(out);
  });
  r.get('/services/:sid/passport.html', gate, (req, res) => {
    const out = passportOf(req, res);
    if (out) sendDownload(res, 'html', { type: 'text/html; charset=utf-8', body: Buffer.from(renderHtml(out.doc), 'utf8') }, `passport-${out.sid}`);
  });
  r.get('/services/:sid/passport.pdf', gate, (req, res, next) => {
    const out = passportOf(req, res);
    if (!out) return;
    renderPdf(out.doc).then((body) => sendDownload(res, 'pdf', { type: 'application/pdf', body }, `passport-${out.sid}`), (e: unknown) => {
      // no DejaVu on this machine: the operator's to install, said as such (the JSON and HTML still work)
      if (e instanceof FontMissingError) {
        d.log.warn({ err: e.message }, 'passport PDF: fonts missing');
        return void res.status(503).json({ error: `the passport cannot be made as PDF here: ${e.message}; GET /admin/services/${out.sid}/passport.html has it as HTML` });
      }
      next(e);
    });
  });
  return passportOf;
}

/**
 * The system a sample is sent as: a requester's department's first system; else the first
 * registered system (by mnemonic) granted every operation of the SID, not its provider (and
 * not another SID's, where one is left); else a placeholder the reader replaces.
 */
function senderOf(d: PassportDeps, s: Service, p: Principal | undefined): { code: string; name: string } {
  const trust = d.trust();
  const named = (code: string) => ({ code, name: trust.systems.get(code)?.name ?? code });
  if (p?.role === 'requester') {
    const mine = p.department ? d.auth.department(p.department)?.systems[0] : undefined;
    if (mine) return named(mine);
  }
  const ops = s.operations.filter((o) => o.input).map((o) => o.name);
  const granted = [...trust.systems.values()]
    .filter((x) => x.mnemonic !== s.def.provider.mnemonic && ops.every((o) => trust.access(x.mnemonic, s.sid, o) === 'granted'))
    .map((x) => x.mnemonic).sort();
  // a consumer rather than another SID's provider, where the systems allow
  const providers = new Set(d.registry.list().map((e) => e.service.def.provider.mnemonic));
  const chosen = granted.find((m) => !providers.has(m)) ?? granted[0];
  return chosen ? named(chosen) : { code: 'XXXX00000', name: 'your system (its mnemonic)' };
}

function casesOf(dir: string): { name: string; operation: string | null; description: string | null; fault: boolean }[] {
  return caseNames(dir).flatMap((name) => {
    try {
      const c = readCase(dir, name)?.case;
      const text = (v: unknown) => (typeof v === 'string' ? v : null);
      return c ? [{ name, operation: text(c.operation), description: text(c.description), fault: !!c.fault }] : [];
    } catch {
      // a broken case is the emulator's to report (GET /admin/emulator/{sid}); the passport lists the others
      return [];
    }
  });
}
