import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { parseUntrusted, childElements, attrValue, XmlSyntaxError } from '../../xml/dom';
import type { XmlElement } from '../../xml/libxml';
import { parseEnvelope } from '../../envelope/parse';
import { loadService, type Problem, type Service } from '../../registry/load';
import { loadCases } from './cases';

/**
 * `smev2-gateway import soapui`: a SoapUI project's MockServices (its XML format as SoapUI 5.x
 * saves it: con:soapui-project / con:mockService / con:mockOperation / con:response) become case
 * folders of the SIDs' emulators, one case per response, and the operation's dispatch becomes
 * ours where it maps (docs/emulator.md, "Importing a SoapUI project"):
 * - SEQUENCE → dispatch.yaml `style: sequence, loop: true` (SoapUI starts again after the last);
 * - RANDOM → dispatch.yaml `style: random`;
 * - XPATH (the XPath's value names the response) and QUERY_MATCH (each query: XPath, value,
 *   response) → `match:` on the cases, where the XPath reads a plain path under AppData or
 *   smev:Message (our paths are namespace-agnostic); the default response answers the rest;
 * - SCRIPT: Groovy does not map; the script is saved beside the cases for a person to port.
 * A response with HTTP status 500 carrying a SOAP Fault becomes a case with `fault:`. SoapUI's
 * property expansions `${…}` that have a counterpart in our templates are converted, the others
 * left as they are and reported. Nothing is overwritten: an existing case folder is an error.
 */

const CON = 'http://eviware.com/soapui/config';

export interface ImportOptions {
  project: string;
  sids: string[];
  servicesDir: string;
  /** only the MockService of this name */
  mock?: string;
}

export interface ImportReport {
  /** each case written: where, and what it does */
  imported: string[];
  /** what was read but not carried over, and why (a person finishes it) */
  notImported: string[];
  /** written, with something to check */
  warnings: string[];
  /** what stopped a part of the import: the command exits 1 */
  errors: string[];
}

interface Resp { name: string; status: number; content: string }
interface Planned { sid: string; dir: string; name: string; yaml: Record<string, unknown>; answer: string; response: string; note?: string }

/** Read the project, write the cases. Throws only when the project cannot be read at all. */
export function importSoapUI(o: ImportOptions): ImportReport {
  const r: ImportReport = { imported: [], notImported: [], warnings: [], errors: [] };
  const services = loadSids(o, r);
  const root = readProject(o.project);
  const mocks = root.filter((m) => m.local === 'mockService');
  for (const m of root.filter((x) => x.local === 'restMockService')) r.notImported.push(`REST MockService "${m.name}": SMEV 2 services are SOAP; REST mocks are not imported`);
  const chosen = o.mock ? mocks.filter((m) => m.name === o.mock) : mocks;
  if (!chosen.length) {
    r.errors.push(o.mock ? `${o.project} has no MockService named "${o.mock}" (it has: ${mocks.map((m) => `"${m.name}"`).join(', ') || 'none'})` : `${o.project} has no SOAP MockService (con:mockService)`);
    return r;
  }
  if (!services.length) return r;
  const planned: Planned[] = [];
  const dispatch = new Map<string, Record<string, unknown>>(); // cases dir → operation → rule
  const projectProps = propertiesOf(root.find((x) => x.local === 'properties')?.el);
  for (const mock of chosen) {
    const props = { Project: projectProps, MockService: propertiesOf(child(mock.el, 'properties')) };
    for (const op of children(mock.el, 'mockOperation')) {
      const opName = attrValue(op, 'operation') ?? attrValue(op, 'name') ?? '';
      const where = `MockService "${mock.name}", operation ${opName}`;
      const owners = services.filter((s) => s.operations.some((x) => x.name === opName));
      if (owners.length !== 1) {
        r.errors.push(owners.length
          ? `${where}: several SIDs have operation ${opName} (${owners.map((s) => s.sid).join(', ')}): import with one --sid at a time`
          : `${where}: no SID given has operation ${opName} (${services.map((s) => `${s.sid}: ${s.operations.map((x) => x.name).join(', ')}`).join('; ')})`);
        continue;
      }
      const service = owners[0]!;
      const dir = casesDirOf(service);
      const responses = children(op, 'response').map((e): Resp => ({
        name: attrValue(e, 'name') ?? 'Response',
        status: Number(attrValue(e, 'httpResponseStatus') ?? 200) || 200,
        content: text(child(e, 'responseContent')),
      }));
      if (!responses.length) {
        r.notImported.push(`${where}: it has no response`);
        continue;
      }
      const style = text(child(op, 'dispatchStyle')).trim() || 'SEQUENCE';
      const dflt = text(child(op, 'defaultResponse')).trim() || responses[0]!.name;
      const caseName = (resp: string, suffix = '') => slug(`${opName}-${resp}${suffix}`);
      const base = (resp: Resp, extra: Record<string, unknown>): Planned | undefined => {
        const answer = convertExpansions(resp.content, `${where}, response "${resp.name}"`, props, r);
        const yaml: Record<string, unknown> = {
          operation: opName,
          description: `imported from SoapUI: ${o.project}, ${where}, response "${resp.name}"`,
          ...extra,
          ...(answer.converted ? {} : { template: false }),
        };
        const fault = faultOf(resp, `${where}, response "${resp.name}"`, r);
        if (fault === null) return undefined;
        if (fault) yaml.fault = fault;
        else if (!/<(?:[\w-]+:)?Message[\s>]/.test(answer.text)) r.warnings.push(`${where}, response "${resp.name}": no smev:Message in the response: the emulator fills smev:Message of every answer, so this one will fail when it answers; give it the SMEV envelope of ${opName}'s answer`);
        return { sid: service.sid, dir, name: caseName(resp.name), yaml, answer: answer.text, response: resp.name };
      };

      if (style === 'SEQUENCE' || style === 'RANDOM') {
        const made = responses.map((x) => base(x, {})).filter((p): p is Planned => !!p);
        planned.push(...made);
        if (made.length) rule(dispatch, dir, opName, style === 'SEQUENCE' ? { style: 'sequence', cases: made.map((p) => p.name), loop: true } : { style: 'random', cases: made.map((p) => p.name) });
      } else if (style === 'XPATH' || style === 'QUERY_MATCH') {
        const queries = style === 'XPATH'
          ? (() => {
            // SoapUI's XPATH dispatch: the XPath's value is the name of the response to answer with
            const xp = text(child(op, 'dispatchPath'));
            return responses.map((x) => ({ name: x.name, xpath: xp, match: x.name, response: x.name }));
          })()
          : queriesOf(op);
        const used = new Set<string>();
        for (const q of queries) {
          const resp = responses.find((x) => x.name === q.response);
          if (!resp) {
            r.notImported.push(`${where}: query "${q.name}" dispatches to response "${q.response}", which the operation does not have`);
            continue;
          }
          const path = ourPath(q.xpath);
          if (!path.path) {
            r.notImported.push(`${where}: ${style} "${q.name}": the XPath ${JSON.stringify(q.xpath.trim())} does not map to a path under AppData or Message (${path.why}): this way to response "${q.response}" is not imported; write its match: by hand (a path as AppData/Element/Child)`);
            continue;
          }
          const suffix = style === 'QUERY_MATCH' && queries.filter((x) => x.response === q.response).length > 1 ? `-${q.name}` : '';
          const p = base(resp, { match: { [path.path]: q.match } });
          if (p) {
            p.name = caseName(resp.name, suffix);
            planned.push(p);
            used.add(resp.name);
          }
        }
        // SoapUI answers the default response when no query matches: a case without conditions, below the others
        const d = responses.find((x) => x.name === dflt);
        if (d) {
          const p = base(d, { priority: -1 });
          if (p) {
            p.note = 'the default: when no other case answers';
            p.name = caseName(d.name, used.has(d.name) ? '-default' : '');
            planned.push(p);
          }
        }
        for (const x of responses) if (!used.has(x.name) && x.name !== dflt && style === 'QUERY_MATCH') r.notImported.push(`${where}: response "${x.name}" is named by no query: nothing would choose it`);
      } else if (style === 'SCRIPT') {
        const script = text(child(op, 'dispatchPath'));
        const file = `${slug(opName)}.soapui-dispatch.groovy`;
        for (const x of responses) {
          const p = base(x, x.name === dflt ? {} : { priority: -1 });
          if (p) planned.push({ ...p, note: x.name === dflt ? 'the default: answers every request until the script is ported' : 'chosen by the script only: answers nothing until it is ported' });
        }
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, file), script);
        r.notImported.push(`${where}: SCRIPT dispatch is Groovy, which does not map: saved as ${join(dir, file)} for a person to port (to dispatch.yaml style: script, a JS function, or match:); until then the default response "${dflt}" answers every request`);
      } else {
        r.notImported.push(`${where}: dispatch style ${style} is unknown to the import (SEQUENCE, RANDOM, XPATH, QUERY_MATCH and SCRIPT are read)`);
      }
    }
  }
  write(planned, dispatch, r);
  return r;
}

function loadSids(o: ImportOptions, r: ImportReport): Service[] {
  const out: Service[] = [];
  for (const sid of o.sids) {
    const dir = join(o.servicesDir, sid);
    if (!existsSync(join(dir, 'service.yaml'))) {
      r.errors.push(`--sid ${sid}: ${dir} holds no service.yaml: register the bundle first (smev2-gateway services add BUNDLE --sid ${sid} --emulate)`);
      continue;
    }
    const errors: Problem[] = [];
    const s = loadService(dir, errors, []);
    if (!s) {
      r.errors.push(`--sid ${sid}: ${dir} is broken: ${errors.map((e) => `${e.file}: ${e.field ? `${e.field}: ` : ''}${e.reason}`).join('; ')}`);
      continue;
    }
    if (s.def.adapter.type !== 'emulator') {
      r.errors.push(`--sid ${sid}: its adapter is ${s.def.adapter.type}, not emulator: cases answer only for an emulated provider (adapter: {type: emulator, cases: emulator} in ${join(dir, 'service.yaml')})`);
      continue;
    }
    out.push(s);
  }
  return out;
}

function casesDirOf(s: Service): string {
  return s.casesDir ?? resolve(s.dir, s.def.adapter.type === 'emulator' ? s.def.adapter.cases : 'emulator');
}

interface Top { local: string; name: string; el: XmlElement }

/** The project's top-level elements (mock services among them), read; the document is released. */
function readProject(file: string): Top[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read the SoapUI project ${file}: ${(e as Error).message}`);
  }
  let doc;
  try {
    doc = parseUntrusted(bytes);
  } catch (e) {
    throw new Error(`${file} is not well-formed XML${e instanceof XmlSyntaxError && e.line ? ` (line ${e.line})` : ''}: ${(e as Error).message}`);
  }
  const root = doc.root;
  if (root.name !== 'soapui-project' || root.namespaceUri !== CON) {
    doc.dispose();
    throw new Error(`${file} is not a SoapUI project: its root is {${root.namespaceUri}}${root.name}, not con:soapui-project of ${CON}`);
  }
  // the project is small and read once: keep the document for the walk (released at exit)
  return [...childElements(root)].map((el) => ({ local: el.name, name: attrValue(el, 'name') ?? '', el }));
}

function children(el: XmlElement, local: string): XmlElement[] {
  return [...childElements(el)].filter((c) => c.name === local && c.namespaceUri === CON);
}

function child(el: XmlElement, local: string): XmlElement | undefined {
  return children(el, local)[0];
}

function text(el: XmlElement | undefined): string {
  return el ? el.content : '';
}

/** QUERY_MATCH's queries, from con:dispatchConfig. */
function queriesOf(op: XmlElement): { name: string; xpath: string; match: string; response: string }[] {
  const conf = child(op, 'dispatchConfig');
  if (!conf) return [];
  return children(conf, 'query')
    .filter((q) => text(child(q, 'disabled')).trim() !== 'true')
    .map((q) => ({ name: text(child(q, 'name')).trim(), xpath: text(child(q, 'query')), match: text(child(q, 'match')), response: text(child(q, 'response')).trim() }));
}

/**
 * A SoapUI XPath as our namespace-agnostic path: `declare namespace` lines dropped, prefixes
 * dropped, the path from its last AppData or Message step on, a trailing text() dropped. Only
 * plain child steps (and a last @attribute) map; predicates, wildcards and functions do not.
 */
export function ourPath(xpath: string): { path?: string; why: string } {
  const expr = xpath.replace(/declare\s+namespace\s+[\w.-]+\s*=\s*(['"])[^'"]*\1\s*;?/g, '').trim();
  if (!expr) return { why: 'it is empty' };
  const steps = expr.replace(/^\/+/, '').split(/\/+/).map((s) => s.trim());
  if (steps[steps.length - 1] === 'text()') steps.pop();
  const local = steps.map((s) => s.replace(/^(@?)[\w.-]+:/, '$1'));
  const at = Math.max(local.lastIndexOf('AppData'), local.lastIndexOf('Message'));
  if (at < 0) return { why: 'it does not pass through AppData or Message' };
  const rest = local.slice(at);
  const bad = rest.find((s, i) => !/^@?[\p{L}_][\p{L}\p{N}._-]*$/u.test(s) || (s.startsWith('@') && i !== rest.length - 1));
  if (bad !== undefined) return { why: `its step "${bad}" is not a plain element or last attribute name` };
  // `//x:Sender` reaches Message's children only through a descendant search we do not make
  if (expr.startsWith('//') && at > 0) return { why: 'it searches descendants (//) before AppData or Message' };
  return { path: rest.join('/'), why: '' };
}

/** A fault response as case.yaml's `fault:`; undefined: not a fault; null: not importable (reported). */
function faultOf(resp: Resp, where: string, r: ImportReport): Record<string, unknown> | undefined | null {
  const isFault = /<(?:[\w-]+:)?Fault[\s>]/.test(resp.content);
  if (!isFault) {
    if (resp.status >= 400) {
      r.notImported.push(`${where}: HTTP status ${resp.status} with a body that is no SOAP Fault: the emulator answers failures with case.yaml's fault: or behaviour:; write one by hand`);
      return null;
    }
    return undefined;
  }
  let info;
  try {
    const p = parseEnvelope(Buffer.from(resp.content, 'utf8'));
    info = p.envelope.fault;
    p.doc.dispose();
  } catch (e) {
    r.notImported.push(`${where}: a Fault that is not a SOAP envelope: ${(e as Error).message}`);
    return null;
  }
  const code = (info?.faultcode ?? '').replace(/^[\w-]+:/, '');
  const detail = /<(?:[\w-]+:)?detail(?:\s[^>]*)?>([\s\S]*?)<\/(?:[\w-]+:)?detail>/.exec(resp.content)?.[1]?.trim();
  if (code !== 'Client' && code !== 'Server') r.warnings.push(`${where}: faultcode "${info?.faultcode ?? ''}" is neither Client nor Server: imported as Server`);
  return {
    faultcode: code === 'Client' ? 'Client' : 'Server',
    faultstring: info?.faultstring || 'fault',
    ...(detail ? { detail } : {}),
    httpStatus: resp.status >= 200 && resp.status <= 599 ? resp.status : 500,
  };
}

/**
 * SoapUI's property expansions with a counterpart in our templates (docs/emulator.md, "Answers
 * from the request"): UUIDs, the current date in a SimpleDateFormat pattern, a random integer,
 * an XPath into the mock request that maps to a path. The others are left and reported.
 */
function convertExpansions(content: string, where: string, props: Props, r: ImportReport): { text: string; converted: boolean } {
  let converted = false;
  const out = content.replace(/\$\{([^{}]*(?:\{[^{}]*\}[^{}]*)*)\}/g, (whole, inner: string) => {
    // a project's or mock service's property is a constant of the project: its value, written in
    const prop = /^#(Project|MockService)#([^#]+)$/.exec(inner.trim());
    const value = prop && props[prop[1] as keyof Props].get(prop[2]!);
    if (value !== undefined && value !== null) return value;
    const t = convert(inner.trim());
    if (t === undefined) {
      r.warnings.push(`${where}: property expansion ${whole} has no counterpart in our templates: left as written`);
      return whole;
    }
    converted = true;
    return t;
  });
  return { text: out, converted };
}

type Props = { Project: Map<string, string>; MockService: Map<string, string> };

/** con:properties' name → value. */
function propertiesOf(el: XmlElement | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (el) for (const p of children(el, 'property')) m.set(text(child(p, 'name')).trim(), text(child(p, 'value')));
  return m;
}

function convert(e: string): string | undefined {
  if (/^=\s*(?:java\.util\.)?UUID\.randomUUID\(\)(?:\.toString\(\))?$/.test(e)) return '{{uuid}}';
  const fmt = /^=\s*new\s+(?:java\.text\.)?SimpleDateFormat\(\s*["']([^"']+)["']\s*\)\.format\(\s*new\s+(?:java\.util\.)?Date\(\)\s*\)$/.exec(e)
    ?? /^=\s*new\s+(?:java\.util\.)?Date\(\)\.format\(\s*["']([^"']+)["']\s*\)$/.exec(e);
  if (fmt) return `{{now format="${fmt[1]!.replace(/"/g, '&quot;')}"}}`;
  const rnd = /^=\s*\(int\)\s*\(\s*Math\.random\(\)\s*\*\s*(\d+)\s*\)$/.exec(e);
  if (rnd) return `{{randomInt 0 ${Number(rnd[1]) - 1}}}`;
  // the mock request's XPath: ${Request#//x:AppData/…}, ${#MockResponse#Request#declare namespace …; //…}
  const req = /^(?:#?[\p{L}\p{N} _-]+#)?Request#([\s\S]+)$/u.exec(e);
  if (req) {
    const p = ourPath(req[1]!);
    if (p.path) return `{{xpath "${p.path}"}}`;
  }
  return undefined;
}

function rule(dispatch: Map<string, Record<string, unknown>>, dir: string, op: string, r: Record<string, unknown>): void {
  const m = dispatch.get(dir) ?? {};
  m[op] = r;
  dispatch.set(dir, m);
}

/** A folder name from a SoapUI name: letters (any script), digits, dashes. */
function slug(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-+|-+$/g, '') || 'response';
}

/** Write every planned case and dispatch rule; then load each cases folder with the emulator's own loader. */
function write(planned: Planned[], dispatch: Map<string, Record<string, unknown>>, r: ImportReport): void {
  const dirs = new Set<string>();
  const names = new Set<string>();
  for (const p of planned) {
    const caseDir = join(p.dir, p.name);
    if (names.has(caseDir) || existsSync(caseDir)) {
      r.errors.push(`${p.sid}: case folder ${caseDir} exists already (response "${p.response}"): remove it or rename the response, then import again`);
      continue;
    }
    names.add(caseDir);
    mkdirSync(caseDir, { recursive: true });
    writeFileSync(join(caseDir, 'case.yaml'), stringify(p.yaml));
    writeFileSync(join(caseDir, 'answer.xml'), p.answer);
    dirs.add(p.dir);
    const m = p.yaml.match as Record<string, string> | undefined;
    const what = p.yaml.fault ? `a SOAP fault (HTTP ${(p.yaml.fault as { httpStatus: number }).httpStatus})` : 'its answer';
    r.imported.push(`${p.sid} ${p.yaml.operation}: response "${p.response}" → case ${p.name}: ${what}${m ? `, when ${Object.entries(m).map(([k, v]) => `${k} = "${v}"`).join(' and ')}` : ''}${p.note ? ` (${p.note})` : ''}`);
  }
  for (const [dir, rules] of dispatch) {
    const file = join(dir, 'dispatch.yaml');
    let existing: Record<string, unknown> = {};
    if (existsSync(file)) {
      try {
        existing = (parseYaml(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
      } catch (e) {
        r.errors.push(`${file} is not valid YAML, so the imported dispatch (${Object.keys(rules).join(', ')}) is not written: ${(e as Error).message}`);
        continue;
      }
    }
    for (const op of Object.keys(rules)) if (op in existing) r.warnings.push(`${file}: the rule of ${op} is replaced by the imported one`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, stringify({ ...existing, ...rules }));
    for (const [op, x] of Object.entries(rules)) r.imported.push(`${file}: ${op}: ${JSON.stringify(x)}`);
    dirs.add(dir);
  }
  for (const dir of dirs) {
    try {
      loadCases(dir);
    } catch (e) {
      r.errors.push(`the emulator's loader refuses ${dir}: ${(e as Error).message}`);
    }
  }
}
