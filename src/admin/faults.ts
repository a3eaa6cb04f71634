import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import { faultSpecSchema, type FaultSetting, type FaultSpec, type FaultSwitch } from '../providers/faults';
import { describeIssues } from '../yaml-error';

export interface FaultRoutesDeps {
  registry: Registry;
  faults: FaultSwitch;
  log: Logger;
}

type Handle = (fn: (req: Request, res: Response) => Promise<void>) => RequestHandler;

/**
 * Fault injection switched at runtime (docs/fault-injection.md): read by any logged-in user (the
 * console shows an auditor what is injected, as it shows the emulator's cases), changed by an
 * operator only. The switches are
 * in the store, so a change made here is in force on every process and instance within a second
 * (SMEV2_FAULTS_CACHE_MS). Every change is logged with who made it, and the store keeps the last
 * one's author (updatedBy).
 */
export function faultRoutes(d: FaultRoutesDeps, r: Router, gate: RequestHandler, handle: Handle): void {
  const json = express.json({ limit: '64kb' });
  /** service.yaml's `faults:` of every SID that has one: in force until an operator changes them */
  const defaults = () => new Map(d.registry.list().flatMap((e) => (e.service.def.faults ? [[e.service.sid, e.service.def.faults] as [string, FaultSpec]] : [])));
  const known = (req: Request, res: Response) => {
    const s = d.registry.get(String(req.params.sid));
    if (!s) res.status(404).json({ error: `no service ${req.params.sid}: GET /admin/services lists them` });
    return s;
  };

  r.get('/faults', gate, handle(async (_req, res) => {
    // every SID of the registry (source none: no faults), and any other SID the store has a switch for
    const set = new Map((await d.faults.list(defaults())).map((x) => [x.sid, x]));
    const sids = [...new Set([...d.registry.list().map((e) => e.service.sid), ...set.keys()])].sort();
    res.json(sids.map((sid) => view(sid, set.get(sid))));
  }));
  r.get('/services/:sid/faults', gate, handle(async (req, res) => {
    const s = known(req, res);
    if (!s) return;
    res.json(view(s.sid, await d.faults.get(s.sid, s.def.faults)));
  }));
  r.put('/services/:sid/faults', gate, json, handle(async (req, res) => {
    const s = known(req, res);
    if (!s) return;
    const { enabled = true, ...rest } = (req.body ?? {}) as { enabled?: unknown } & Record<string, unknown>;
    if (typeof enabled !== 'boolean') return void res.status(400).json({ error: `enabled must be true or false, not ${JSON.stringify(enabled)}` });
    const parsed = faultSpecSchema.safeParse(rest);
    if (!parsed.success) return void res.status(400).json({ error: `the fault spec is not valid: ${describeIssues(parsed.error).join('; ')} (see docs/fault-injection.md)` });
    const by = req.principal!.user;
    await d.faults.set(s.sid, parsed.data, enabled, by);
    d.log.info({ by, sid: s.sid, enabled, spec: parsed.data }, enabled ? 'fault injection switched on' : 'fault injection set, switched off');
    res.json(view(s.sid, await d.faults.get(s.sid, s.def.faults)));
  }));
  r.delete('/services/:sid/faults', gate, handle(async (req, res) => {
    const s = known(req, res);
    if (!s) return;
    const by = req.principal!.user;
    const was = await d.faults.switchOff(s.sid, by, s.def.faults);
    d.log.info({ by, sid: s.sid, changed: was }, 'fault injection switched off');
    res.json(view(s.sid, await d.faults.get(s.sid, s.def.faults)));
  }));
}

/** A SID's setting as the API shows it; a SID no one set and whose service.yaml has none: off, source none. */
function view(sid: string, s?: FaultSetting): object {
  if (!s) return { sid, enabled: false, spec: null, source: 'none', updatedAt: null, updatedBy: null };
  return { sid, enabled: s.enabled, spec: s.spec, source: s.source, updatedAt: s.updatedAt ?? null, updatedBy: s.updatedBy ?? null };
}
