import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Service, Operation } from '../registry/load';
import { qkey, type QName } from '../registry/wsdl-model';
import { parseEnvelope } from '../envelope/parse';
import { NS, revisionOf, type Revision } from '../envelope/ns';
import { firstChildElement, isElement } from '../xml/dom';
import { SchemaSet, SMEV_NS, qk } from './xsd';
import { FormBuilder, rebase, walkForm, type FormNode } from './form';
import { sampleXml } from './render';

/**
 * What the composer (and the emulator's sample answers) know of one operation of a SID: the form of its AppData content, a sample
 * of it, and the operation element's own tree (smev:Message, smev:MessageData, in the bundle's
 * order and namespaces) that the request envelope is written from.
 *
 * Which element sits under smev:AppData: when the bundle types AppData (FNS bridges, Rosreestr,
 * MVD, FSS), the schema says. When AppData is xs:any (the SMEV schema as published), the
 * composer looks, in this order, at the SID's emulator fixtures (a request of the operation
 * names it), at the documentation of the operation element ("smev:AppData содержит …"), and at
 * the bundle's global elements outside the SMEV and WSDL namespaces, requests before answers.
 * `appData.candidates` lists those elements; `?element=` picks another.
 */
export interface AppDataChoice {
  element: QName | null;
  source: 'schema' | 'fixtures' | 'documentation' | 'names' | 'asked' | 'none';
  candidates: QName[];
}

export interface OperationModel {
  sid: string;
  operation: string;
  mode: string;
  revision: Revision;
  smevNamespace: string;
  soapAction?: string;
  /** the operation element the model is of: the input (a request), or the output (`answer`) */
  input: QName;
  /** the AppData content's form: one element, or AppData itself (path `AppData`) when its content is several */
  form: FormNode;
  sample: string;
  appData: AppDataChoice;
  /** smev: the operation element carries smev:Message and MessageData/AppData (the form is AppData's content); operation: it is no SMEV message and the form is the operation element itself */
  body: 'smev' | 'operation';
  /** the operation element's tree, AppData left unexpanded; undefined when the bundle does not define the element */
  envelopeForm?: FormNode;
  prefixes: Map<string, string>;
}

export class ComposeError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const OTHER_NS = new Set<string>([NS.xsd, NS.ds, NS.wsse, NS.wsu, NS.soap, NS.wsdl, 'http://www.w3.org/2004/08/xop/include', 'http://www.w3.org/2005/05/xmlmime']);

interface ServiceModel {
  set: SchemaSet;
  ops: Map<string, OperationModel>;
  fixtures?: Map<string, QName>;
}

/** Per-service models, built on first use and dropped with the Service object (a reload makes new ones). */
export class ComposerModels {
  private readonly cache = new WeakMap<Service, ServiceModel>();

  schemas(service: Service): SchemaSet {
    return this.service(service).set;
  }

  private service(service: Service): ServiceModel {
    let m = this.cache.get(service);
    if (!m) {
      m = { set: SchemaSet.fromBundle(service.bundle), ops: new Map() };
      this.cache.set(service, m);
    }
    return m;
  }

  /** The model of `operation`; `element` ({ns}local or local) picks the AppData element when the schema leaves it open. */
  operation(service: Service, operation: string, element?: string): OperationModel {
    const op = service.operations.find((o) => o.name === operation);
    if (!op) throw new ComposeError(404, `${service.sid} has no operation ${operation} (it has: ${service.operations.map((o) => o.name).join(', ')})`);
    if (!op.input) throw new ComposeError(404, `operation ${operation} of ${service.sid} has no input element: it cannot be called`);
    return this.cached(service, op, op.input, 'request', element);
  }

  /**
   * The model of `operation`'s answer (its WSDL output message; the input when it has none): what
   * an emulated provider without a case answers with (providers/emulator/sample-answer.ts).
   */
  answer(service: Service, operation: string): OperationModel {
    const op = service.operations.find((o) => o.name === operation);
    if (!op) throw new ComposeError(404, `${service.sid} has no operation ${operation} (it has: ${service.operations.map((o) => o.name).join(', ')})`);
    const output = op.output ?? op.input;
    if (!output) throw new ComposeError(404, `operation ${operation} of ${service.sid} has neither an output nor an input element: nothing to answer with`);
    return this.cached(service, op, output, 'answer');
  }

  private cached(service: Service, op: Operation, el: QName, role: Role, element?: string): OperationModel {
    const sm = this.service(service);
    const key = `${role} ${op.name} ${element ?? ''}`;
    let m = sm.ops.get(key);
    if (!m) {
      m = this.build(service, sm, op, el, role, element);
      sm.ops.set(key, m);
    }
    return m;
  }

  private build(service: Service, sm: ServiceModel, op: Operation, input: QName, role: Role, element?: string): OperationModel {
    const set = sm.set;
    const envelopeForm = new FormBuilder(set, { stopAtAppData: true }).element(input);
    const nodes = envelopeForm ? [...walkForm(envelopeForm)] : [];
    const message = nodes.find((n) => n.name === 'Message' && SMEV_NS.test(n.ns)) ?? nodes.find((n) => n.name === 'Message' && !n.compositor);
    const smevNamespace = [message?.ns, ...nodes.map((n) => n.ns), ...set.components.element.keys()].map((k) => (k ?? '').replace(/^\{(.*)\}.*$/, '$1')).find((ns) => revisionOf(ns))
      ?? 'http://smev.gosuslugi.ru/rev111111';
    const revision = revisionOf(smevNamespace)!;

    // AppData as the schema types it
    let appData: AppDataChoice = { element: null, source: 'none', candidates: [] };
    let form: FormNode | undefined;
    let body: OperationModel['body'] = 'smev';
    const app = nodes.find((n) => n.appData);
    const typed = app && this.expandAppData(set, envelopeForm!, app);
    if (typed && isEmpty(typed)) {
      // the bundle restricts AppData to nothing (the data travels in AppDocument): no element to offer
      form = { ...typed, appData: true, children: [] };
      appData = { element: null, source: 'schema', candidates: [] };
    } else if (typed && !isOpen(typed)) {
      const kids = typed.children ?? [];
      if (kids.length === 1 && !kids[0]!.compositor && !kids[0]!.any && kids[0]!.maxOccurs === 1) {
        form = kids[0]!;
        rebase(form, form.path, form.name);
      } else form = { ...typed, appData: true };
      appData = { element: form.appData ? null : { ns: form.ns, local: form.name }, source: 'schema', candidates: [] };
    } else if (envelopeForm && !envelopeForm.unresolved && !app && !message) {
      // an operation element that is no SMEV message (FNS's `test`): its own content is the form
      form = envelopeForm;
      body = 'operation';
    }
    if (!form) {
      const candidates = this.candidates(service, set);
      const chosen = element !== undefined ? pickAsked(set, candidates, element)
        // the fixtures hold requests: they say nothing of an answer's element
        : (role === 'request' ? this.fromFixtures(service, sm, op.name, set) : undefined) ?? fromDocumentation(set, candidates, envelopeForm?.documentation) ?? byNames(set, candidates, role);
      appData = { element: chosen?.q ?? null, source: chosen?.source ?? 'none', candidates };
      const f = chosen && new FormBuilder(set).element(chosen.q);
      form = f ?? { name: 'AppData', ns: smevNamespace, path: 'AppData', kind: 'group', minOccurs: 0, maxOccurs: 1, appData: true,
        children: [{ name: '#any', ns: '##any', path: 'AppData/#any', kind: 'field', type: 'xml', minOccurs: 0, maxOccurs: null, any: true, processContents: 'lax' }] };
    }
    const prefixes = new Map(set.prefixes);
    return {
      sid: service.sid, operation: op.name, mode: op.mode, revision, smevNamespace, soapAction: op.soapAction, input,
      form, sample: sampleXml(role === 'answer' ? answerSampleForm(form) : form, prefixes), appData, body, envelopeForm, prefixes,
    };
  }

  /** The AppData element of an operation element, expanded (its content as the bundle types it). */
  private expandAppData(set: SchemaSet, envelopeForm: FormNode, app: FormNode): FormNode | undefined {
    // the builder leaves AppData unexpanded; expand it again from the declaration the path leads to
    const builder = new FormBuilder(set);
    const full = builder.element({ ns: envelopeForm.ns, local: envelopeForm.name });
    const found = full && [...walkForm(full)].find((n) => n.path === app.path);
    if (!found) return undefined;
    rebase(found, found.path, 'AppData');
    return found;
  }

  /** Global elements that may be an AppData payload: not SMEV's, not the WSDL's operation elements. */
  private candidates(service: Service, set: SchemaSet): QName[] {
    const wsdl = new Set(service.operations.flatMap((o) => [o.input, o.output]).filter((q): q is QName => !!q).map(qkey));
    return set.elementOrder.filter((k) => !wsdl.has(k)).map(parseKey).filter((q) => !SMEV_NS.test(q.ns) && !OTHER_NS.has(q.ns));
  }

  /** The element under AppData in the SID's emulator fixtures, by operation (read once). */
  private fromFixtures(service: Service, sm: ServiceModel, operation: string, set: SchemaSet): Chosen | undefined {
    if (!sm.fixtures) {
      sm.fixtures = new Map();
      if (service.def.adapter.type === 'emulator') {
        const dir = service.casesDir ?? resolve(service.dir, service.def.adapter.cases);
        for (const file of xmlFiles(dir)) {
          let bytes: Buffer;
          try {
            bytes = readFileSync(file);
          } catch {
            continue;
          }
          if (!bytes.includes('AppData')) continue;
          try {
            const p = parseEnvelope(bytes);
            try {
              const op = p.envelope.operation && service.byInput.get(qkey(p.envelope.operation));
              const first = p.appDataElement && firstChildElement(p.appDataElement);
              if (op && first && isElement(first) && !sm.fixtures.has(op.name)) sm.fixtures.set(op.name, { ns: first.namespaceUri, local: first.name });
            } finally {
              p.doc.dispose();
            }
          } catch {
            // not an envelope (an answer body, a ZIP manifest): not a request example
          }
        }
      }
    }
    const q = sm.fixtures.get(operation);
    return q && set.get('element', q) ? { q, source: 'fixtures' } : undefined;
  }
}

/**
 * An AppData whose content is several optional elements (one type for the request and the answer,
 * as FSS's `запрос`, `ответ`, `примечание`): its sample would be empty. An answer's sample holds
 * the answer-like ones (by their names), so that a provider without cases answers something.
 */
function answerSampleForm(form: FormNode): FormNode {
  if (!form.appData) return form;
  const kids = form.children ?? [];
  const seq = kids.length === 1 && kids[0]!.compositor === 'sequence' ? kids[0]!.children ?? [] : kids;
  if (seq.some((k) => k.minOccurs > 0 && !k.any)) return form;
  const wanted = seq.filter((k) => !k.compositor && !k.any && ANSWERISH.test(k.name) && !/error|ошибк|refus|отказ/i.test(k.name));
  if (!wanted.length) return form;
  const required = seq.map((k) => (wanted.includes(k) ? { ...k, minOccurs: 1 } : k));
  return { ...form, children: kids.length === 1 && kids[0]!.compositor === 'sequence' ? [{ ...kids[0]!, children: required }] : required };
}

/** A request a consumer sends, or the answer a provider gives. */
type Role = 'request' | 'answer';

interface Chosen {
  q: QName;
  source: AppDataChoice['source'];
}

/** AppData whose type allows no content at all (a restriction to an empty sequence). */
function isEmpty(n: FormNode): boolean {
  return n.kind === 'group' && Array.isArray(n.children) && n.children.length === 0 && !n.recursive && !n.truncated && !n.unresolved;
}

/** AppData whose content is only a wildcard (or nothing): the schema leaves the payload open. */
function isOpen(n: FormNode): boolean {
  const kids = n.children ?? [];
  return kids.length === 0 || kids.every((k) => k.any);
}

function parseKey(k: string): QName {
  const m = /^\{(.*)\}(.*)$/.exec(k)!;
  return { ns: m[1]!, local: m[2]! };
}

function pickAsked(set: SchemaSet, candidates: QName[], asked: string): Chosen {
  const m = /^\{(.*)\}(.+)$/.exec(asked);
  const q = m ? { ns: m[1]!, local: m[2]! } : undefined;
  if (q && set.get('element', q)) return { q, source: 'asked' };
  if (!q) {
    const same = [...candidates, ...set.elementOrder.map(parseKey)].filter((c) => c.local === asked);
    const keys = [...new Set(same.map((c) => qk(c.ns, c.local)))];
    if (keys.length === 1) return { q: same[0]!, source: 'asked' };
    if (keys.length > 1) throw new ComposeError(400, `element ${asked} is ambiguous: say which, as {namespace}local: ${keys.join(', ')}`);
  }
  throw new ComposeError(404, `the bundle has no global element ${asked}; candidates for AppData: ${candidates.map((c) => qk(c.ns, c.local)).join(', ') || '(none)'}`);
}

/** A candidate the operation element's documentation names ("smev:AppData содержит req:CriminalRecordRequest"). */
function fromDocumentation(set: SchemaSet, candidates: QName[], doc: string | undefined): Chosen | undefined {
  if (!doc) return undefined;
  let best: { q: QName; at: number; file: boolean } | undefined;
  for (const q of candidates) {
    const m = new RegExp(`(?<![\\p{L}\\p{N}_])${q.local.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\p{L}\\p{N}_])`, 'u').exec(doc);
    if (!m) continue;
    const file = doc.includes(set.fileOf(qk(q.ns, q.local)));
    if (!best || m.index < best.at || (m.index === best.at && file && !best.file)) best = { q, at: m.index, file };
  }
  return best && { q: best.q, source: 'documentation' };
}

const REQUESTISH = /request|запрос|query|\breq|Rq$/i;
const ANSWERISH = /response|ответ|result|answer|\bresp|Rs$|ticket|квит|error|ошибк|refus|отказ/i;

/** Requests before answers (answers before requests for an answer), roots before parts, then the bundle's order. */
function byNames(set: SchemaSet, candidates: QName[], role: Role): Chosen | undefined {
  let best: { q: QName; score: number } | undefined;
  const sign = role === 'request' ? 1 : -1;
  for (const q of candidates) {
    const k = qk(q.ns, q.local);
    const text = `${q.local} ${set.fileOf(k)}`;
    const score = sign * ((REQUESTISH.test(text) ? 2 : 0) - (ANSWERISH.test(text) ? 2 : 0)) + (set.referenced.has(k) ? 0 : 1);
    if (!best || score > best.score) best = { q, score };
  }
  return best && { q: best.q, source: 'names' };
}

function xmlFiles(dir: string, depth = 0): string[] {
  if (depth > 3 || !existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((n) => {
    const p = join(dir, n);
    try {
      return statSync(p).isDirectory() ? xmlFiles(p, depth + 1) : n.toLowerCase().endsWith('.xml') ? [p] : [];
    } catch {
      return [];
    }
  });
}
