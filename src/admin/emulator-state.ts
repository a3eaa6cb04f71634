import type { Request, RequestHandler, Response, Router } from 'express';
import type { Logger } from 'pino';
import type { Registry } from '../registry/registry';
import type { EmulatorAdapter } from '../providers/emulator/emulator';
import { emulatorOf } from '../providers';
import { STARTED } from '../providers/emulator/match';
import type { EmulatorState } from '../providers/emulator/state';

export interface EmulatorStateRoutesDeps {
  registry: Registry;
  state: EmulatorState;
  log: Logger;
}

type Handle = (fn: (req: Request, res: Response) => Promise<void>) => RequestHandler;

/**
 * The emulated providers' state through the admin API (docs/emulator.md, "Resetting"): read by
 * anyone logged in, reset by an operator. Counters, scenario states and chains are in the store,
 * so a reset on one instance is seen by all; the misses are this process's.
 */
export function emulatorStateRoutes(d: EmulatorStateRoutesDeps, r: Router, gate: RequestHandler, handle: Handle): void {
  /** The SID's emulated provider, or a 404 said (undefined). */
  const emulated = (req: Request, res: Response): EmulatorAdapter | undefined => {
    const sid = String(req.params.sid);
    const a = d.registry.adapter(sid);
    const e = emulatorOf(a);
    if (e) return e;
    res.status(404).json({ error: a ? `${sid} is not emulated (its adapter is not type: emulator)` : `no service ${sid}: GET /admin/services lists them` });
    return undefined;
  };
  /** The scenarios the SID's cases name. */
  const scenariosOf = (a: EmulatorAdapter) => [...new Set(a.cases.flatMap((c) => (c.scenario ? [c.scenario.name] : [])))].sort();

  r.post('/emulator/reset', gate, handle(async (req, res) => {
    const deleted = await d.state.reset();
    d.log.info({ by: req.principal!.user, deleted }, 'emulator: every SID reset');
    res.json({ reset: 'all', deleted });
  }));
  r.post('/emulator/:sid/reset', gate, handle(async (req, res) => {
    const a = emulated(req, res);
    if (!a) return;
    const sid = String(req.params.sid);
    const deleted = await d.state.reset(sid);
    d.log.info({ by: req.principal!.user, sid, deleted }, 'emulator: SID reset');
    res.json({ reset: sid, deleted });
  }));
  r.post('/emulator/:sid/scenarios/:name/reset', gate, handle(async (req, res) => {
    const a = emulated(req, res);
    if (!a) return;
    const sid = String(req.params.sid);
    const name = String(req.params.name);
    const known = scenariosOf(a);
    if (!known.includes(name)) return void res.status(404).json({ error: `no case of ${sid} names scenario "${name}" (its scenarios: ${known.join(', ') || 'none'})` });
    const moved = await d.state.resetScenario(sid, name);
    d.log.info({ by: req.principal!.user, sid, scenario: name, moved }, 'emulator: scenario reset');
    res.json({ sid, scenario: name, state: STARTED, wasMoved: moved });
  }));
  r.get('/emulator/:sid/state', gate, handle(async (req, res) => {
    const a = emulated(req, res);
    if (!a) return;
    const sid = String(req.params.sid);
    const s = await d.state.snapshot(sid);
    const moved = new Map(s.scenarios.map((x) => [x.name, x]));
    // every scenario the cases name, those never moved in their initial state; and any still in the store
    const names = [...new Set([...scenariosOf(a), ...moved.keys()])].sort();
    res.json({
      sid,
      counters: s.counters.map((c) => ({ ...c, updatedAt: new Date(c.updatedAt).toISOString() })),
      scenarios: names.map((n) => ({ name: n, state: moved.get(n)?.state ?? STARTED, updatedAt: moved.has(n) ? new Date(moved.get(n)!.updatedAt).toISOString() : null })),
    });
  }));
  r.get('/emulator/:sid/misses', gate, (req, res) => {
    const a = emulated(req, res);
    if (!a) return;
    res.json({ sid: String(req.params.sid), pid: process.pid, misses: a.misses.list() });
  });
}
