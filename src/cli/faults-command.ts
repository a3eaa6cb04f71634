import { userInfo } from 'node:os';
import { loadConfig, type Flags } from '../config';
import { openStore } from '../store';
import { loadRegistry } from '../registry/load';
import { loadXml } from '../xml/libxml';
import { FaultSwitch, faultSpecSchema, type FaultSpec } from '../providers/faults';
import { describeIssues } from '../yaml-error';

export interface FaultFlags {
  spec?: string;
  share?: string;
  kind?: string;
  'latency-ms'?: string;
}

export const FAULTS_USAGE = `  smev2-gateway faults list                  fault injection in force, per SID (docs/fault-injection.md)
  smev2-gateway faults set SID [--share S --kind reset,truncate,… --latency-ms N | --spec JSON]   switch it on for every instance
  smev2-gateway faults off SID               switch it off
`;

/**
 * The admin API's fault switches from the command line: written to the store the gateway reads
 * (--db), so running gateways follow within SMEV2_FAULTS_CACHE_MS. The author is `cli:<os user>`.
 */
export async function faultsCommand(sub: string | undefined, sid: string | undefined, flags: Flags & FaultFlags): Promise<number> {
  const config = loadConfig(flags);
  let spec: FaultSpec | undefined;
  if (sub === 'set' && sid) {
    try {
      spec = specOf(flags);
    } catch (e) {
      process.stderr.write(`${(e as Error).message}\n`);
      return 2;
    }
  } else if (!((sub === 'off' && sid) || sub === 'list')) {
    process.stderr.write(`usage:\n${FAULTS_USAGE}`);
    return 2;
  }
  await loadXml(); // the registry's WSDLs are read with it
  const services = loadRegistry(config.servicesDir).services;
  if (sid && !services.has(sid)) {
    process.stderr.write(`no service ${sid} in ${config.servicesDir} (--services): smev2-gateway services list names them\n`);
    return 1;
  }
  // service.yaml's faults: in force where no one set the SID's
  const defaults = new Map([...services.values()].flatMap((s) => (s.def.faults ? [[s.sid, s.def.faults] as [string, FaultSpec]] : [])));
  const ds = await openStore(config.database);
  try {
    const faults = new FaultSwitch(ds);
    const by = `cli:${userInfo().username}`;
    if (sub === 'set') await faults.set(sid!, spec!, true, by);
    if (sub === 'off' && !(await faults.switchOff(sid!, by, defaults.get(sid!)))) {
      process.stdout.write(`${sid}: no faults were set\n`);
      return 0;
    }
    for (const s of await faults.list(defaults)) {
      if (sid && s.sid !== sid) continue;
      process.stdout.write(`${s.sid}  ${s.enabled ? 'on ' : 'off'}  ${s.source}${s.updatedBy ? ` (${s.updatedBy}, ${s.updatedAt})` : ''}  ${JSON.stringify(s.spec)}\n`);
    }
    return 0;
  } finally {
    await ds.destroy();
  }
}

/** The spec from --spec (the admin API's JSON), or from --share, --kind and --latency-ms. */
function specOf(flags: FaultFlags): FaultSpec {
  let raw: unknown;
  if (flags.spec !== undefined) {
    try {
      raw = JSON.parse(flags.spec);
    } catch (e) {
      throw new Error(`--spec is not JSON: ${(e as Error).message}`);
    }
  } else {
    raw = {
      ...(flags.share !== undefined ? { share: Number(flags.share) } : {}),
      ...(flags.kind ? { kinds: flags.kind.split(',').map((k) => ({ kind: k.trim() })) } : {}),
      ...(flags['latency-ms'] !== undefined ? { latency: { dist: 'fixed', ms: Number(flags['latency-ms']) } } : {}),
    };
  }
  const parsed = faultSpecSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`the fault spec is not valid: ${describeIssues(parsed.error).join('; ')} (see docs/fault-injection.md)`);
  return parsed.data;
}
