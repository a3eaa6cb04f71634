import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { existsSync, mkdtempSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { Service } from '../registry/load';
import { loadService, DEFINITION_FILE } from '../registry/load';
import { addService } from '../registry/add';
import { qkey } from '../registry/wsdl-model';
import type { ReloadLog, ReloadStatus } from '../registry/watch';
import type { EmulatorAdapter } from '../providers/emulator/emulator';
import { emulatorOf } from '../providers';
import {
  CaseChangeError, caseNames, checkName, deleteCase, dispatchSchema, putCase, putDispatch, readCase, readDispatch, removeFolder, STAGING_PREFIX, type Applied,
} from '../providers/emulator/edit';
import { explainChoice } from '../providers/emulator/explain';
import { parseEnvelope } from '../envelope/parse';
import type { ComposeSent } from './compose/routes';
import { ComposeError } from '../xsd/model';

/**
 * The emulator's runtime API (issue 17 item 5; docs/emulator.md, "From the console and the API"):
 * emulated SIDs and their cases read (auditor and operator) and changed (operator), each change
 * written to the registry as the files a person would commit (providers/emulator/edit.ts: checked
 * on a copy first, written atomically) and put in force at once by the gateway's reload; "try it"
 * sends a request through the gateway's real pipeline and says which case answers and why.
 */
export interface EmulatorRoutesDeps {
  registry: Registry;
  servicesDir: string;
  systemsDir: string;
  /** the gateway's reload (registry, systems, users); throws with the reasons when the files are broken */
  reload: () => { services: string[] };
  reloads: ReloadLog;
  /** the watcher's state (absent: SMEV2_WATCH_REGISTRY=false) */
  watcher?: () => ReloadStatus;
  log: Logger;
  /** the composer's send (compose/routes.ts composeAndSend): signed and sent to this gateway's own endpoint */
  send: (body: Record<string, unknown>, by?: string) => Promise<ComposeSent>;
}

class NotFound extends Error {}
class Conflict extends Error {}

export function emulatorRoutes(d: EmulatorRoutesDeps, r: Router, gate: RequestHandler): void {
  const json = express.json({ limit: '32mb' });
  // changes one at a time: each is checked against the folder as the previous one left it
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const p = queue.then(fn, fn);
    queue = p.catch(() => undefined);
    return p;
  };

  const emulated = (sid: string): { service: Service; adapter: EmulatorAdapter; casesDir: string } => {
    const e = d.registry.list().find((x) => x.service.sid === sid);
    if (!e) throw new NotFound(`no service ${sid} in force: GET /admin/emulator lists the emulated ones${d.registry.skipped.some((s) => s.file.includes(sid)) ? ` (${sid} is skipped as broken: GET /admin/services/reload-status)` : ''}`);
    const adapter = emulatorOf(e.adapter);
    if (!adapter || !e.service.casesDir) throw new NotFound(`${sid} is not emulated (its adapter is ${e.service.def.adapter.type})`);
    return { service: e.service, adapter, casesDir: e.service.casesDir };
  };
  const opsOf = (s: Service) => s.operations.map((o) => o.name);

  /** Make a change, put it in force by reloading; a reload that refuses it undoes it. */
  const change = (req: Request, what: Record<string, unknown>, make: () => Applied) => serial(() => {
    const applied = make();
    const by = req.principal!.user;
    const at = new Date().toISOString();
    try {
      const out = d.reload();
      applied.commit();
      d.reloads.note({ at, by, ok: true, services: out.services });
      d.log.info({ by, ...what }, 'emulator changed through the admin API; registry reloaded');
    } catch (e) {
      applied.rollback();
      try {
        d.reload();
      } catch {
        // the registry was broken before this change too: the one in force stays
      }
      d.reloads.note({ at, by, ok: false, error: (e as Error).message });
      d.log.warn({ by, ...what, err: (e as Error).message }, 'emulator change refused by the reload and undone');
      throw new CaseChangeError((e as Error).message.split('\n').map((l) => l.trim()).filter(Boolean));
    }
  });

  const summary = (s: Service, adapter: EmulatorAdapter, casesDir: string) => {
    const inForce = new Set(adapter.cases.map((c) => c.name));
    return {
      sid: s.sid, title: s.def.title ?? null, folder: s.dir, casesDir,
      operations: s.operations.map((o) => ({ name: o.name, mode: o.mode })),
      dispatch: readDispatch(casesDir) ?? null,
      cases: caseNames(casesDir).map((name) => {
        const c = readCase(casesDir, name)!.case;
        return { name, inForce: inForce.has(name), operation: c.operation ?? null, description: c.description ?? null, priority: c.priority ?? 0, match: c.match ?? {}, fault: c.fault ?? null, scenario: c.scenario ?? null, weight: c.weight ?? 1 };
      }),
    };
  };

  r.get('/emulator', gate, wrap(async (_req, res) => {
    // the adapter in force is the fault-injecting wrapper: the emulator is found under it
    res.json(d.registry.list().flatMap((e) => {
      const adapter = emulatorOf(e.adapter);
      return adapter && e.service.casesDir ? [summary(e.service, adapter, e.service.casesDir)] : [];
    }));
  }));
  r.get('/services/reload-status', gate, (_req, res) => {
    res.json(d.watcher?.() ?? { watching: false, roots: [], last: d.reloads.last, lastRefusal: d.reloads.lastRefusal });
  });
  r.get('/emulator/:sid', gate, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    res.json(summary(e.service, e.adapter, e.casesDir));
  }));
  r.get('/emulator/:sid/cases/:name', gate, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    const c = readCase(e.casesDir, String(req.params.name));
    if (!c) throw new NotFound(`${e.service.sid} has no case ${req.params.name} (in ${e.casesDir})`);
    res.json({ ...c, inForce: e.adapter.cases.some((x) => x.name === c.name), folder: join(e.casesDir, c.name) });
  }));
  r.put('/emulator/:sid/cases/:name', gate, json, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    const name = String(req.params.name);
    const b = (req.body ?? {}) as { case?: Record<string, unknown>; files?: Record<string, string | null> };
    if (b.files !== undefined && (typeof b.files !== 'object' || b.files === null || Array.isArray(b.files) || Object.values(b.files).some((v) => v !== null && typeof v !== 'string'))) {
      throw new CaseChangeError(['files: an object of file name → text (null removes the file)']);
    }
    let created = false;
    await change(req, { sid: e.service.sid, case: name, change: 'put' }, () => {
      const a = putCase(e.casesDir, name, { case: b.case!, files: b.files }, opsOf(e.service));
      created = a.created;
      return a;
    });
    res.status(created ? 201 : 200).json(readCase(e.casesDir, name));
  }));
  r.delete('/emulator/:sid/cases/:name', gate, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    const name = String(req.params.name);
    checkName(name, 'case');
    await change(req, { sid: e.service.sid, case: name, change: 'delete' }, () => {
      const a = deleteCase(e.casesDir, name, opsOf(e.service));
      if (!a) throw new NotFound(`${e.service.sid} has no case ${name}`);
      return a;
    });
    res.json({ deleted: name });
  }));
  r.put('/emulator/:sid/dispatch', gate, json, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    await change(req, { sid: e.service.sid, change: 'dispatch' }, () => putDispatch(e.casesDir, req.body as Record<string, unknown>, opsOf(e.service)));
    res.json({ dispatch: readDispatch(e.casesDir) ?? null });
  }));

  r.post('/emulator', gate, json, wrap(async (req, res) => {
    const b = (req.body ?? {}) as { sid?: unknown; bundle?: unknown; files?: unknown; wsdl?: unknown; title?: unknown; provider?: unknown; providerName?: unknown; mnemonic?: unknown; version?: unknown };
    const sid = typeof b.sid === 'string' ? b.sid : '';
    if (!/^SID\d{7}$/.test(sid)) throw new CaseChangeError([`sid must be SID followed by 7 digits, e.g. SID0009001 (got "${String(b.sid ?? '')}")`]);
    if (d.registry.get(sid) || existsSync(join(d.servicesDir, sid, DEFINITION_FILE))) throw new Conflict(`${sid} exists already (${join(d.servicesDir, sid)})`);
    const opt = (v: unknown, name: string) => {
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string' || !v.trim()) throw new CaseChangeError([`${name} must be a non-empty string`]);
      return v;
    };
    const bundle = bundleSource(d.servicesDir, opt(b.bundle, 'bundle'), b.files);
    let dir = '';
    try {
      await change(req, { sid, change: 'create', bundle: bundle.label }, () => {
        const staging = join(d.servicesDir, `${STAGING_PREFIX}add-${randomBytes(4).toString('hex')}`);
        try {
          const out = addService({
            bundle: bundle.dir, servicesDir: staging, sid, wsdl: opt(b.wsdl, 'wsdl'), title: opt(b.title, 'title'), provider: opt(b.provider, 'provider'),
            providerName: opt(b.providerName, 'providerName'), mnemonic: opt(b.mnemonic, 'mnemonic'), version: opt(b.version, 'version'), systemsDir: d.systemsDir,
          });
          const errors: { file: string; reason: string }[] = [];
          loadService(out.dir, errors, []);
          if (errors.length) throw new CaseChangeError(errors.map((x) => `${x.file}: ${x.reason}`));
          // a bundle that was a folder of the registry becomes the SID folder (kept aside until the reload takes it)
          const source = bundle.inRegistry ? removeFolder(bundle.dir) : undefined;
          dir = join(d.servicesDir, sid);
          renameSync(out.dir, dir);
          return {
            commit: () => { source?.commit(); },
            rollback: () => { rmSync(dir, { recursive: true, force: true }); source?.rollback(); },
          };
        } catch (e) {
          if (e instanceof CaseChangeError) throw e;
          throw new CaseChangeError((e as Error).message.split('\n'));
        } finally {
          rmSync(staging, { recursive: true, force: true });
        }
      });
    } finally {
      bundle.cleanup();
    }
    const e = emulated(sid);
    res.status(201).json(summary(e.service, e.adapter, e.casesDir));
  }));
  r.delete('/emulator/:sid', gate, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    const inside = relative(resolve(d.servicesDir), resolve(e.service.dir));
    if (!inside || inside.startsWith('..') || inside.includes(sep)) throw new Conflict(`${e.service.dir} is not a folder of the services folder ${d.servicesDir}: remove it by hand`);
    await change(req, { sid: e.service.sid, change: 'delete-sid' }, () => removeFolder(e.service.dir));
    res.json({ deleted: e.service.sid, folder: e.service.dir });
  }));

  r.post('/emulator/:sid/try', gate, json, wrap(async (req, res) => {
    const e = emulated(String(req.params.sid));
    const b = (req.body ?? {}) as Record<string, unknown>;
    if (b.envelope === undefined && b.appData === undefined) throw new ComposeError(400, 'give envelope (a whole request) or appData (AppData\'s content; operation then too)');
    // unsigned when the SID does not check signatures, or when signAs is null; else the first system the gateway can sign as
    const signAs = 'signAs' in b ? b.signAs : e.service.def.signature === 'off' ? null : undefined;
    const sent = await d.send({ sid: e.service.sid, operation: b.operation, envelope: b.envelope, appData: b.appData, signAs, sender: b.sender ?? (signAs === null ? 'TRYIT0001' : undefined) }, req.principal!.user);
    res.json({ ...sent, explanation: explain(e, Buffer.from(sent.request, 'utf8')) });
  }));
}

/** Which case the emulator answers a request with, and why (explain.ts), as the cases in force say. */
function explain(e: { service: Service; adapter: EmulatorAdapter; casesDir: string }, request: Buffer) {
  let p;
  try {
    p = parseEnvelope(request);
  } catch (err) {
    return { operation: null, style: null, case: null, why: `the request is not an envelope the emulator reads: ${(err as Error).message}`, nearMisses: [], checked: [] };
  }
  try {
    const op = p.envelope.operation && e.service.byInput.get(qkey(p.envelope.operation));
    if (!op) return { operation: null, style: null, case: null, why: `the request's operation element ${p.envelope.operation?.local ?? '(none)'} is no input of ${e.service.sid}`, nearMisses: [], checked: [] };
    const parsed = dispatchSchema.safeParse(readDispatch(e.casesDir) ?? {});
    const dispatch = parsed.success ? (parsed.data[op.name] ?? parsed.data['*']) : undefined;
    return explainChoice(e.adapter.cases, op.name, { Message: p.messageElement, AppData: p.appDataElement }, dispatch?.style ?? 'match', dispatch?.cases);
  } finally {
    p.doc.dispose();
  }
}

/** Where a new SID's bundle comes from: a folder of the registry, or files uploaded as base64. */
function bundleSource(servicesDir: string, folder: string | undefined, files: unknown): { dir: string; label: string; inRegistry: boolean; cleanup: () => void } {
  if (folder !== undefined && files !== undefined) throw new CaseChangeError(['give bundle (a folder of the registry) or files (uploaded), not both']);
  if (folder !== undefined) {
    checkName(folder, 'bundle');
    const dir = join(servicesDir, folder);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new CaseChangeError([`bundle: ${dir} is not a folder of the registry`]);
    if (existsSync(join(dir, DEFINITION_FILE))) throw new CaseChangeError([`bundle: ${dir} is a SID already (it has ${DEFINITION_FILE})`]);
    return { dir, label: folder, inRegistry: true, cleanup: () => {} };
  }
  if (!files || typeof files !== 'object' || Array.isArray(files) || !Object.keys(files).length) {
    throw new CaseChangeError(['give bundle (the name of a folder of the registry holding the WSDL and its XSDs) or files ({"path/in/bundle.xsd": "<base64>"})']);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'smev2-upload-'));
  const dir = join(tmp, 'bundle');
  for (const [path, content] of Object.entries(files as Record<string, unknown>)) {
    const parts = path.split('/');
    if (typeof content !== 'string' || parts.some((p) => !p || p === '.' || p === '..' || p.includes('\\') || p.startsWith('.'))) {
      rmSync(tmp, { recursive: true, force: true });
      throw new CaseChangeError([`files: "${path}" is not allowed: a relative path of names (no "..", no leading dot) → base64 content`]);
    }
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), Buffer.from(content, 'base64'));
  }
  return { dir, label: 'uploaded', inRegistry: false, cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

/** Refusals with their status: 422 with the reasons (nothing written), 404, 409, the composer's own. */
function wrap(fn: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response, next: (e?: unknown) => void) => {
    fn(req, res).catch((e: unknown) => {
      if (e instanceof CaseChangeError) return void res.status(422).json({ error: `refused, nothing was changed: ${e.reasons.join('; ')}`, reasons: e.reasons });
      if (e instanceof NotFound) return void res.status(404).json({ error: e.message });
      if (e instanceof Conflict) return void res.status(409).json({ error: e.message });
      if (e instanceof ComposeError) return void res.status(e.status).json({ error: e.message });
      next(e);
    });
  };
}
