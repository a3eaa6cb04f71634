import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { yamlErrorText } from '../yaml-error';
import { definitionSchema, describeIssues, type ServiceDefinition, type ExchangeMode } from './definition';
import { loadBundle, namespaceHolders, type Bundle } from './bundle';
import { readWsdlModel, qkey, type WsdlModel, type WsdlOperation } from './wsdl-model';

export interface Operation extends WsdlOperation {
  mode: ExchangeMode;
}

export interface Service {
  sid: string;
  def: ServiceDefinition;
  /** the SID's folder */
  dir: string;
  bundle: Bundle;
  wsdl: WsdlModel;
  operations: Operation[];
  byInput: Map<string, Operation>;
  /** an emulated provider's cases folder, resolved (resolveCasesDir) */
  casesDir?: string;
}

export interface Problem {
  file: string;
  field?: string;
  reason: string;
}

export interface RegistryLoad {
  services: Map<string, Service>;
  /** broken SIDs: each stops the start unless broken SIDs are skipped */
  errors: Problem[];
  /** served anyway: imports the folder does not hold, and the like */
  warnings: Problem[];
}

export const DEFINITION_FILE = 'service.yaml';

/** Load every `<dir>/<folder>/service.yaml`. Never throws on a broken definition: it reports it. */
export function loadRegistry(dir: string): RegistryLoad {
  const result: RegistryLoad = { services: new Map(), errors: [], warnings: [] };
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    result.errors.push({ file: dir, reason: 'the services folder does not exist' });
    return result;
  }
  // dot-named folders are no SIDs: the admin API's staging and removed folders, .git
  const folders = readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name).sort();
  for (const folder of folders) {
    const sidDir = join(dir, folder);
    if (!existsSync(join(sidDir, DEFINITION_FILE))) continue;
    const problems: Problem[] = [];
    const service = loadService(sidDir, problems, result.warnings);
    const label = (p: Problem) => ({ ...p, file: relative(process.cwd(), join(sidDir, p.file)) || p.file });
    if (service && result.services.has(service.sid)) {
      problems.push({ file: DEFINITION_FILE, field: 'sid', reason: `${service.sid} is already defined in ${result.services.get(service.sid)!.dir}` });
    }
    if (problems.length || !service) result.errors.push(...problems.map(label));
    else result.services.set(service.sid, service);
  }
  return result;
}

export function loadService(sidDir: string, errors: Problem[], warnings: Problem[]): Service | undefined {
  let raw: unknown;
  let text = '';
  try {
    text = readFileSync(join(sidDir, DEFINITION_FILE), 'utf8');
    raw = parseYaml(text);
  } catch (e) {
    errors.push({ file: DEFINITION_FILE, reason: `not valid YAML: ${yamlErrorText(e, text)}` });
    return undefined;
  }
  const parsed = definitionSchema.safeParse(raw);
  if (!parsed.success) {
    for (const line of describeIssues(parsed.error)) {
      const i = line.indexOf(': ');
      errors.push({ file: DEFINITION_FILE, field: line.slice(0, i), reason: line.slice(i + 2) });
    }
    return undefined;
  }
  const def = parsed.data;
  if (def.adapter.type === 'manual') {
    // a manual provider answers when a clerk does: the consumer must be given a ticket (guaranteed delivery)
    const asked = (raw as { delivery?: { mode?: unknown } } | null)?.delivery?.mode;
    if (asked !== undefined && asked !== 'guaranteed') {
      errors.push({ file: DEFINITION_FILE, field: 'delivery.mode', reason: `is ${String(asked)}, but adapter.type manual needs guaranteed delivery (a clerk answers later; the consumer gets ACCEPT with a ticket): remove delivery.mode or set it to guaranteed` });
      return undefined;
    }
    def.delivery.mode = 'guaranteed';
    // polled until a clerk answers, which may take days: every 5 minutes unless said (an answer
    // given in the console asks for the next poll at once, src/queue/outbox.ts pollSoon)
    const d = (raw as { delivery?: { pollIntervalMs?: unknown } }).delivery;
    if (d?.pollIntervalMs === undefined) def.delivery.pollIntervalMs = 5 * 60_000;
  }
  const wsdlRel = def.wsdl ?? soleWsdl(sidDir);
  if (!wsdlRel) {
    errors.push({ file: DEFINITION_FILE, field: 'wsdl', reason: 'not set, and the folder does not hold exactly one .wsdl at its top level' });
    return undefined;
  }
  if (!existsSync(join(sidDir, wsdlRel))) {
    errors.push({ file: DEFINITION_FILE, field: 'wsdl', reason: `${wsdlRel} does not exist in the folder` });
    return undefined;
  }
  const bundle = loadBundle(sidDir, wsdlRel, def.locations);
  for (const e of bundle.errors) errors.push({ file: e.file, reason: e.reason });
  for (const w of bundle.warnings) warnings.push({ file: join(sidDir, w.file), reason: w.reason });
  const nsCache = new Map<string, string | undefined>();
  for (const m of bundle.missing) warnings.push({ file: join(sidDir, m.file), reason: missingImportAdvice(sidDir, m, nsCache) });
  if (errors.length) return undefined;

  let wsdl: WsdlModel;
  try {
    wsdl = readWsdlModel(bundle);
  } catch (e) {
    errors.push({ file: wsdlRel, reason: (e as Error).message });
    return undefined;
  }
  const names = new Set(wsdl.operations.map((o) => o.name));
  for (const name of Object.keys(def.operations)) {
    if (!names.has(name)) errors.push({ file: DEFINITION_FILE, field: `operations.${name}`, reason: `the WSDL has no operation ${name} (it has: ${[...names].join(', ')})` });
  }
  let casesDir: string | undefined;
  if (def.adapter.type === 'emulator') {
    const found = resolveCasesDir(sidDir, def.adapter.cases);
    // without cases the emulated provider still answers: samples generated from the XSD (docs/emulator.md, "Without cases")
    if (!found) warnings.push({ file: join(sidDir, DEFINITION_FILE), reason: `adapter.cases: folder ${resolve(sidDir, def.adapter.cases)} does not exist: every operation answers a sample generated from the XSD; create the folder and add cases (docs/emulator.md), or fix adapter.cases if it is misspelt` });
    else {
      casesDir = found.dir;
      if (found.bundled) {
        warnings.push({ file: join(sidDir, DEFINITION_FILE), reason: `adapter.cases: ${def.adapter.cases} is not beside this folder (${resolve(sidDir, def.adapter.cases)} does not exist): using the gateway's bundled ${found.dir}` });
      }
      const n = countCases(found.dir);
      if (n === 0) {
        warnings.push({ file: join(sidDir, DEFINITION_FILE), reason: `adapter.cases: ${found.dir} holds no case (a folder with case.yaml): every operation answers a sample generated from the XSD; add cases (docs/emulator.md), import them (smev2-gateway import soapui) or record them (smev2-gateway record)` });
      }
    }
  }
  const operations: Operation[] = wsdl.operations.map((o) => ({ ...o, mode: def.operations[o.name]?.mode ?? 'sync' }));
  if (def.adapter.type === 'manual') {
    const sync = operations.filter((o) => o.mode === 'sync' && o.input).map((o) => o.name);
    if (sync.length) warnings.push({ file: join(sidDir, DEFINITION_FILE), reason: `adapter.type manual: operation(s) ${sync.join(', ')} are sync, so a consumer's PING for the answer is refused by format-logical control: set operations.<name>.mode to async (or an async-send/async-get pair), docs/cabinet.md` });
  }
  const byInput = new Map<string, Operation>();
  for (const op of operations) {
    if (!op.input) {
      warnings.push({ file: join(sidDir, wsdlRel), reason: `operation ${op.name} has no input element: it cannot be called` });
      continue;
    }
    byInput.set(qkey(op.input), op);
  }
  if (errors.length) return undefined;
  return { sid: def.sid, def, dir: sidDir, bundle, wsdl, operations, byInput, casesDir };
}

/** The project's own folder (the gateway's install: its wsdl/ and fixtures/). */
const PROJECT_ROOT = resolve(__dirname, '..', '..');

/**
 * An emulated SID's cases folder: `cases` relative to the SID folder; when that does not exist,
 * relative to the folder of the same name in the gateway's own registry (wsdl/), so that a copy of
 * the bundled registry (`--services` pointing at it elsewhere) still finds the bundled fixtures
 * (`cases: ../../fixtures/SID0003623`). undefined when neither exists.
 */
export function resolveCasesDir(sidDir: string, cases: string): { dir: string; bundled: boolean } | undefined {
  const own = resolve(sidDir, cases);
  if (existsSync(own) && statSync(own).isDirectory()) return { dir: own, bundled: false };
  if (isAbsolute(cases)) return undefined;
  const bundled = resolve(PROJECT_ROOT, 'wsdl', basename(sidDir), cases);
  if (bundled !== own && existsSync(bundled) && statSync(bundled).isDirectory()) return { dir: bundled, bundled: true };
  return undefined;
}

/** How many cases (sub-folders holding a case.yaml) a cases folder holds. */
export function countCases(dir: string): number {
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(dir, d.name, 'case.yaml'))).length;
  } catch {
    return 0;
  }
}

/** The warning for an import the folder does not hold by its location, with the `locations:` line that maps it. */
function missingImportAdvice(sidDir: string, m: { file: string; location: string; namespace?: string }, cache: Map<string, string | undefined>): string {
  const head = `imports ${m.location}, which the folder does not hold: served as it is`;
  const holders = m.namespace ? namespaceHolders(sidDir, m.namespace, cache).filter((f) => f !== m.file) : [];
  const line = (target: string) => `"${m.location}": ${target}`;
  if (holders.length === 1) {
    return `${head}. The folder holds its namespace ${m.namespace} in ${holders[0]}: map it in ${join(sidDir, DEFINITION_FILE)} under locations:, with the line   ${line(holders[0])}`;
  }
  if (holders.length > 1) {
    return `${head}. The folder holds its namespace ${m.namespace} in ${holders.join(', ')}: map the right one in ${join(sidDir, DEFINITION_FILE)} under locations:, e.g.   ${line(holders[0])}`;
  }
  return `${head}. If the folder holds it under another name, map it in ${join(sidDir, DEFINITION_FILE)} under locations:, with a line such as   ${line('path/in/the/folder.xsd')}`;
}

function soleWsdl(dir: string): string | undefined {
  const wsdls = readdirSync(dir).filter((f) => f.toLowerCase().endsWith('.wsdl'));
  return wsdls.length === 1 ? wsdls[0] : undefined;
}
