import type { Service, Operation } from '../registry/load';
import { pollOperation } from '../registry/modes';
import { serviceUrl } from '../registry/publish';
import { FAULTS, type FaultName, type FaultSpec } from '../faults/catalogue';
import { ComposerModels, type OperationModel } from '../xsd/model';
import { walkForm, type FormNode } from '../xsd/form';
import { xmlToJson } from '../xsd/json-xml';
import type { Block, Doc, Field, Section } from './model';

/**
 * A service's passport (issue 19 item 4; docs/passport.md): what a consumer's developer and an
 * operator need to know of one SID, generated from its WSDL, its XSD and its service.yaml: the
 * operations and their modes, the request and answer structure with the schemas' annotations,
 * sample envelopes and JSON, the faults the SID may return, the provider. A plain Doc, which the
 * console draws and the renderers turn into HTML and PDF.
 *
 * What only an upper layer knows comes in as data or functions: the request envelope around a
 * sample AppData (the composer's builder), the emulator's cases, the system a sample is sent as.
 */
export interface PassportInput {
  service: Service;
  models: ComposerModels;
  /** the gateway's public base URL (the WSDL, the endpoint, the OpenAPI document) */
  base: string;
  /** a consumer's request envelope for an operation around its AppData content (unsigned) */
  envelope: (model: OperationModel, appData: string) => string;
  /** an emulated provider's cases, as its folder holds them */
  cases?: { name: string; operation: string | null; description: string | null; fault: boolean }[];
  /** the system the sample envelopes are sent as (a system granted this SID, if any) */
  sender: { code: string; name: string };
  /** the upstream's address and the registry folder are shown (operators and auditors); not to requesters */
  internals: boolean;
  now?: Date;
}

/** What the passport says of one operation, beside the Doc (the console and the tests read it). */
export interface PassportOperation {
  name: string;
  mode: string;
  soapAction: string | null;
  input: string | null;
  output: string | null;
  request: { element: string; sampleAppData: string; sampleEnvelope: string; sampleJson: unknown } | { error: string };
  answer: { element: string; sampleAppData: string; sampleJson: unknown } | { error: string };
}

export interface Passport {
  sid: string;
  doc: Doc;
  operations: PassportOperation[];
  /** the catalogue codes the SID may answer, with why each is listed */
  faults: { name: FaultName; code: string; group: string }[];
  links: { endpoint: string; wsdl: string; openapi: string };
}

const MODE_TEXT: Record<string, string> = {
  sync: 'synchronous: REQUEST answered in the same HTTP exchange (RESULT, REJECT, INVALID)',
  async: 'asynchronous on one operation: REQUEST answered ACCEPT with a ticket, then PING → PROCESS … → RESULT',
  'async-send': 'asynchronous, sending half: REQUEST answered ACCEPT with a ticket',
  'async-get': 'asynchronous, polling half: PING (or REQUEST) with OriginRequestIdRef → PROCESS until the answer, then RESULT, REJECT or INVALID',
};

/** Rows of a structure table past which the rest is summed up in one line (a PDF of thousands of rows helps no one). */
const MAX_ROWS = 400;

export function buildPassport(p: PassportInput): Passport {
  const s = p.service;
  const def = s.def;
  const endpoint = serviceUrl(p.base, s.sid);
  const links = { endpoint, wsdl: `${endpoint}?wsdl`, openapi: `${p.base}/api/v1/services/${encodeURIComponent(s.sid)}/openapi.json` };
  const ops = s.operations.map((o) => operationOf(p, o));
  const faults = faultsOf(s);
  const revision = ops.map((o) => ('revision' in o ? o.revision : undefined)).find(Boolean);

  const service: Section = {
    heading: 'Service',
    blocks: [{ kind: 'fields', rows: [
      { label: 'SID', value: s.sid },
      { label: 'Title', value: def.title ?? '—' },
      { label: 'Service mnemonic and version', value: `${def.service.mnemonic} ${def.service.version}` },
      { label: 'SMEV revision', value: revision ?? 'unknown (no operation model)' },
      { label: 'Contour', value: def.contour, hint: def.contour === 'productive' ? 'messages marked TestMsg are refused (GW-4005)' : 'test messages (TestMsg) are accepted' },
      { label: 'Endpoint', value: links.endpoint, hint: 'POST a SOAP 1.1 envelope here' },
      { label: 'WSDL', value: links.wsdl, hint: 'every import rewritten to the gateway\'s own addresses' },
      { label: 'REST (OpenAPI 3.1)', value: links.openapi, hint: 'JSON in and out with an API key (docs/rest.md)' },
      { label: 'Signature', value: `${def.signature}; algorithms ${def.signatureAlgorithms.join(', ')}`, hint: POLICY.signature[def.signature] },
      { label: 'Format-logical control', value: def.control, hint: POLICY.control[def.control] },
      { label: 'Date skew', value: def.dateSkewSeconds === 0 ? 'not checked' : def.dateSkewSeconds === undefined ? 'the gateway\'s default' : `${def.dateSkewSeconds} s` },
      { label: 'Delivery', value: def.delivery.mode, hint: def.delivery.mode === 'guaranteed'
        ? `accepted at once (ACCEPT with the gateway's ticket), delivered with retries: up to ${def.delivery.maxAttempts} attempts within ${def.delivery.maxAgeSeconds} s; poll for the answer`
        : 'the provider is called while the consumer waits' },
      { label: 'Attachments (AppDocument)', value: `policy ${def.attachments.policy}${def.attachments.requireSignatures ? ', every file signed' : ''}; to the provider ${def.attachments.toProvider}, to the consumer ${def.attachments.toConsumer}`, hint: 'docs/attachments.md' },
    ] }],
  };

  const provider: Section = { heading: 'Provider', blocks: providerBlocks(p) };

  const opsTable: Section = {
    heading: 'Operations',
    blocks: [{ kind: 'table', header: ['Operation', 'Mode', 'SOAPAction', 'Request element', 'Answer element'], rows: s.operations.map((o) => [
      o.name, o.mode, o.soapAction ?? '—', o.input ? qname(o.input) : '—', o.output ? qname(o.output) : '—',
    ]) }, ...s.operations.map((o): Block => ({ kind: 'paragraph', text: `${o.name}: ${modeText(s, o)}` }))],
  };

  const perOperation: Section[] = s.operations.map((o, i) => {
    const built = ops[i]!;
    const sections: Section[] = [];
    if ('error' in built.request) sections.push({ heading: 'Request', blocks: [{ kind: 'paragraph', text: `No model of the request: ${built.request.error}` }] });
    else {
      sections.push({ heading: 'Request', blocks: structure(built.requestModel!, 'request') });
      sections.push({ heading: 'Sample request envelope', blocks: [
        { kind: 'paragraph', text: `Unsigned, sent as ${p.sender.code}; placeholder values from the schema. Sign it as your system (smev2-gateway sign) unless the SID's signature policy is off or report.` },
        { kind: 'code', language: 'xml', text: built.request.sampleEnvelope },
      ] });
      sections.push({ heading: 'Sample request JSON (REST)', blocks: [
        { kind: 'paragraph', text: `POST ${p.base}/api/v1/services/${encodeURIComponent(s.sid)}/${encodeURIComponent(o.name)} with X-API-Key and Content-Type: application/json` },
        { kind: 'code', language: 'json', text: JSON.stringify(built.request.sampleJson, null, 2) },
      ] });
    }
    if ('error' in built.answer) sections.push({ heading: 'Answer', blocks: [{ kind: 'paragraph', text: `No model of the answer: ${built.answer.error}` }] });
    else {
      sections.push({ heading: 'Answer', blocks: structure(built.answerModel!, 'answer') });
      sections.push({ heading: 'Sample answer (AppData content, and as JSON)', blocks: [
        { kind: 'code', language: 'xml', text: built.answer.sampleAppData },
        { kind: 'code', language: 'json', text: JSON.stringify(built.answer.sampleJson, null, 2) },
      ] });
    }
    return { heading: `Operation ${o.name}`, blocks: [{ kind: 'fields', rows: [
      { label: 'Mode', value: o.mode, hint: modeText(s, o) },
      { label: 'SOAPAction', value: o.soapAction ?? '—' },
      { label: 'Request element', value: o.input ? qname(o.input) : '—', hint: built.requestModel?.envelopeForm?.documentation },
      { label: 'Answer element', value: o.output ? qname(o.output) : '—' },
    ] }], sections };
  });

  const faultSection: Section = {
    heading: 'Faults',
    blocks: [
      { kind: 'paragraph', text: 'SOAP 1.1 faults the gateway may answer on this SID, from its fault catalogue (docs/faults.md): the checks every message passes, and those this SID\'s service.yaml switches on. A check under policy report or off journals its verdict and refuses nothing, so its faults are not listed. Business refusals are no faults: they come as answers with smev:Status REJECT or INVALID.' },
      { kind: 'table', header: ['Code', 'faultcode', 'HTTP', 'When', 'Why listed'], rows: faults.map((f) => {
        const spec: FaultSpec = FAULTS[f.name];
        return [spec.code || '(no code)', spec.faultcode, String(spec.http), spec.when, f.group];
      }) },
      ...providerFaultNotes(s, p.cases),
    ],
  };

  const now = p.now ?? new Date();
  const doc: Doc = {
    title: `Service passport ${s.sid}`,
    date: now,
    subtitle: def.title ?? `${def.service.mnemonic} ${def.service.version}`,
    sections: [service, provider, opsTable, ...perOperation, faultSection],
    footer: [
      { label: 'Generated', value: now.toISOString() },
      { label: 'From', value: `${s.bundle.main} and service.yaml of ${s.sid}` },
      { label: 'Gateway', value: p.base },
    ],
  };
  return {
    sid: s.sid, doc, links, faults,
    operations: ops.map(({ requestModel: _r, answerModel: _a, revision: _v, ...o }) => o),
  };
}

const POLICY = {
  signature: { enforce: 'unsigned or badly signed messages are refused', report: 'signatures are verified and journaled; nothing is refused for them', off: 'signatures are not verified' },
  control: { enforce: 'the schema, the SMEV fields and access rights are checked; failures are refused', report: 'checked and journaled; nothing is refused for them', off: 'not checked' },
} as const;

function qname(q: { ns: string; local: string }): string {
  return q.ns ? `{${q.ns}}${q.local}` : q.local;
}

function modeText(s: Service, o: Operation): string {
  const base = MODE_TEXT[o.mode] ?? o.mode;
  if (o.mode === 'async-send') {
    const get = pollOperation(s, o);
    return get && get !== o ? `${base}; poll with ${get.name}` : base;
  }
  if (s.def.delivery.mode === 'guaranteed' && o.mode === 'sync') return `${base}; under guaranteed delivery the gateway answers ACCEPT with its ticket, poll with PING on the same operation`;
  return base;
}

type Built = PassportOperation & { requestModel?: OperationModel; answerModel?: OperationModel; revision?: string };

function operationOf(p: PassportInput, o: Operation): Built {
  const s = p.service;
  const out: Built = {
    name: o.name, mode: o.mode, soapAction: o.soapAction ?? null, input: o.input ? qname(o.input) : null, output: o.output ? qname(o.output) : null,
    request: { error: 'the operation has no input element: it cannot be called' }, answer: { error: 'no answer element' },
  };
  if (o.input) {
    try {
      const m = p.models.operation(s, o.name);
      out.requestModel = m;
      out.revision = m.revision;
      const appData = m.sample;
      out.request = { element: elementOf(m), sampleAppData: appData, sampleEnvelope: p.envelope(m, appData), sampleJson: jsonOf(m, appData) };
    } catch (e) {
      out.request = { error: (e as Error).message };
    }
  }
  try {
    const a = p.models.answer(s, o.name);
    out.answerModel = a;
    out.revision ??= a.revision;
    out.answer = { element: elementOf(a), sampleAppData: a.sample, sampleJson: jsonOf(a, a.sample) };
  } catch (e) {
    out.answer = { error: (e as Error).message };
  }
  return out;
}

function elementOf(m: OperationModel): string {
  if (m.body === 'operation') return qname({ ns: m.form.ns, local: m.form.name });
  return m.form.appData ? 'AppData (several elements)' : qname({ ns: m.form.ns, local: m.form.name });
}

function jsonOf(m: OperationModel, xml: string): unknown {
  try {
    return xmlToJson(m.form, xml);
  } catch (e) {
    return { error: `the sample has no JSON form: ${(e as Error).message}` };
  }
}

/** The structure of a request or answer: where its AppData element comes from, and each element with its type, occurrence and annotation. */
function structure(m: OperationModel, role: 'request' | 'answer'): Block[] {
  const source: Record<string, string> = {
    schema: 'the schema types smev:AppData', fixtures: 'the emulator\'s fixture requests carry it', documentation: 'the operation element\'s documentation names it',
    names: 'chosen by its name among the bundle\'s global elements (the schema leaves AppData open)', asked: 'asked for', none: 'the schema leaves AppData open and nothing names its content',
  };
  const where = m.body === 'operation'
    ? `The operation element ${qname(m.input)} is itself the ${role} (no smev:Message).`
    : `The ${role} is an SMEV ${m.revision} message: smev:Message, then smev:MessageData/AppData holding ${elementOf(m)} (${source[m.appData.source] ?? m.appData.source}).`;
  const rows: string[][] = [];
  let more = 0;
  for (const n of walkForm(m.form)) {
    if (n.compositor) continue;
    if (rows.length >= MAX_ROWS) {
      more++;
      continue;
    }
    rows.push([n.path, typeOf(n), occurs(n), [n.documentation, facets(n)].filter(Boolean).join(' — ')]);
  }
  const blocks: Block[] = [{ kind: 'paragraph', text: where }];
  const doc = m.form.documentation ?? (m.body === 'smev' ? m.envelopeForm?.documentation : undefined);
  if (doc) blocks.push({ kind: 'paragraph', text: doc });
  blocks.push({ kind: 'table', header: ['Element', 'Type', 'Occurs', 'Annotation'], rows });
  if (more) blocks.push({ kind: 'paragraph', text: `… and ${more} more elements (the composer's form shows them all).` });
  return blocks;
}

function typeOf(n: FormNode): string {
  if (n.any) return 'any XML';
  if (n.unresolved) return `unresolved ${n.unresolved}`;
  if (n.recursive) return 'recursive (as above)';
  if (n.kind === 'group') return n.choice ? 'choice' : 'complex';
  return `${n.list ? 'list of ' : ''}${n.type ?? 'string'}`;
}

function occurs(n: FormNode): string {
  const max = n.maxOccurs === null ? '∞' : String(n.maxOccurs);
  return n.minOccurs === n.maxOccurs ? String(n.minOccurs) : `${n.minOccurs}..${max}`;
}

function facets(n: FormNode): string {
  const f: string[] = [];
  if (n.enumeration?.length) f.push(`one of ${n.enumeration.slice(0, 12).join(', ')}${n.enumeration.length > 12 ? ', …' : ''}`);
  if (n.pattern) f.push(`pattern ${n.pattern}`);
  if (n.minLength !== undefined || n.maxLength !== undefined) f.push(`length ${n.minLength ?? 0}..${n.maxLength ?? '∞'}`);
  if (n.totalDigits !== undefined) f.push(`${n.totalDigits} digits`);
  if (n.fixed !== undefined) f.push(`fixed ${n.fixed}`);
  return f.join('; ');
}

function providerBlocks(p: PassportInput): Block[] {
  const def = p.service.def;
  const a = def.adapter;
  const rows: Field[] = [
    { label: 'Provider', value: `${def.provider.mnemonic} · ${def.provider.name}`, hint: 'smev:Recipient/Code of every request' },
    { label: 'Adapter', value: a.type, hint: a.type === 'http' ? 'a real upstream service' : a.type === 'emulator' ? 'answers from case files (docs/emulator.md)' : 'a person answers in the console\'s inbox (docs/cabinet.md)' },
  ];
  const blocks: Block[] = [];
  if (a.type === 'http') {
    rows.push({ label: 'Upstream', value: p.internals ? a.url : '(shown to operators and auditors)' });
    rows.push({ label: 'Timeouts', value: `connect ${a.connectTimeoutMs} ms, answer ${a.readTimeoutMs} ms; answers up to ${a.maxAnswerBytes} bytes` });
  } else if (a.type === 'emulator') {
    if (p.internals) rows.push({ label: 'Cases folder', value: p.service.casesDir ?? `${a.cases} (missing: every operation answers a sample from the XSD)` });
    blocks.push({ kind: 'fields', rows });
    const cases = p.cases ?? [];
    blocks.push(cases.length
      ? { kind: 'table', header: ['Case', 'Operation', 'What it answers'], rows: cases.map((c) => [c.name, c.operation ?? 'any', `${c.description ?? '—'}${c.fault ? ' (a SOAP fault)' : ''}`]) }
      : { kind: 'paragraph', text: 'No cases: every operation answers a sample generated from the XSD.' });
    return blocks;
  } else {
    rows.push({ label: 'Department', value: a.department, hint: 'whose clerks answer' });
    rows.push({ label: 'Answer within', value: `${a.answerWithinHours} h`, hint: 'from the request\'s arrival; the consumer gets PROCESS until a clerk answers' });
    if (a.assign.length) rows.push({ label: 'Assignment rules', value: String(a.assign.length), hint: 'the first rule that matches gives the request to a clerk or a sub-queue' });
  }
  blocks.unshift({ kind: 'fields', rows });
  return blocks;
}

/** Where each group of faults comes from: the pipeline's general checks, or what the SID's service.yaml enables. */
const GENERAL: FaultName[] = [
  'unknownService', 'malformedXml', 'notSoap', 'noOperation', 'unknownOperation', 'soapActionMismatch', 'tooLarge', 'tooDeep', 'tooManyElements', 'tooManyAttributes',
  'headerTooLarge', 'slowRequest', 'unsupportedEncoding', 'badHttpRequest', 'httpHeadersTooLarge', 'wrongMethod', 'badMultipart', 'attachmentTooLarge', 'tooManyParts',
  'internal', 'overloaded', 'memoryBudget',
];
const SIGNATURE: FaultName[] = ['noSignature', 'badSignature', 'certificateExpired', 'untrustedCertificate', 'senderMismatch', 'algorithmNotAccepted', 'providerSignatureInvalid'];
const CONTROL: FaultName[] = ['schemaInvalid', 'senderUnknown', 'wrongRecipient', 'statusNotAllowed', 'replayed', 'operationNotGranted', 'providerAnswerSchemaInvalid'];
const ATTACHMENTS: FaultName[] = ['attachmentMissing', 'attachmentDigestMismatch', 'attachmentZipBroken', 'attachmentZipBomb', 'attachmentSignatureInvalid', 'attachmentManifestInvalid'];
const PROVIDER_HTTP: FaultName[] = ['providerUnreachable', 'providerConnectTimeout', 'providerTimeout', 'providerAnswerTooLarge', 'providerAnswerInvalid'];
const PROVIDER_EMULATOR: FaultName[] = ['providerTimeout', 'providerAnswerInvalid'];

/**
 * The catalogue's faults this SID may answer, each with why: the general checks of every message;
 * signature faults under `signature: enforce`; control faults under `control: enforce` (the Date
 * rule unless dateSkewSeconds is 0, TestMsg on the productive contour); the AppDocument's under
 * `attachments.policy: enforce` (unsigned files with requireSignatures); the provider's transport
 * faults for a provider called while the consumer waits (an http upstream; an emulator's injected
 * timeouts and broken answers), none under guaranteed delivery, where failures are retried and
 * end as a FAILURE answer to the poll; there, GW-9003 when the intake waited too long for the
 * delivery workers (queue/intake.ts).
 */
export function faultsOf(s: Service): { name: FaultName; code: string; group: string }[] {
  const def = s.def;
  const out: { name: FaultName; group: string }[] = [];
  const add = (names: FaultName[], group: string) => { for (const n of names) if (!out.some((x) => x.name === n)) out.push({ name: n, group }); };
  add(GENERAL.filter((n) => n !== 'notSmev'), 'every message');
  if (s.operations.some((o) => o.input)) add(['notSmev'], 'every message');
  if (def.signature === 'enforce') add(SIGNATURE, 'signature: enforce');
  if (def.control === 'enforce') {
    add(CONTROL, 'control: enforce');
    if (def.dateSkewSeconds !== 0) add(['dateSkew'], 'control: enforce, dateSkewSeconds not 0');
    if (def.contour === 'productive') add(['testMsgOnProductive'], 'control: enforce, contour productive');
  }
  if (def.attachments.policy === 'enforce') {
    add(ATTACHMENTS, 'attachments.policy: enforce');
    if (def.attachments.requireSignatures) add(['attachmentUnsigned'], 'attachments.requireSignatures');
  }
  if (def.delivery.mode === 'guaranteed') add(['deliveryBehind'], 'delivery: guaranteed, while the delivery workers are behind');
  if (def.delivery.mode === 'direct') {
    if (def.adapter.type === 'http') add(PROVIDER_HTTP, 'an http provider, called while the consumer waits');
    if (def.adapter.type === 'emulator' && def.faults) add(PROVIDER_EMULATOR, 'faults injected by service.yaml');
  }
  return out.map((f) => ({ ...f, code: FAULTS[f.name].code }));
}

function providerFaultNotes(s: Service, cases: PassportInput['cases']): Block[] {
  const notes: string[] = [];
  const def = s.def;
  if (def.delivery.mode === 'guaranteed') notes.push('Guaranteed delivery: the provider\'s own failures are retried by the gateway and never reach the consumer as SOAP faults; a request that cannot be delivered ends as a FAILURE answer to the poll.');
  else if (def.adapter.type === 'http') notes.push('The provider\'s own SOAP faults are passed to the consumer as it sent them (checked and journaled like any answer).');
  if (def.adapter.type === 'emulator' && cases?.some((c) => c.fault)) notes.push(`The emulator answers a SOAP fault of its own in case${cases.filter((c) => c.fault).length > 1 ? 's' : ''} ${cases.filter((c) => c.fault).map((c) => c.name).join(', ')}.`);
  if (def.faults) notes.push('service.yaml injects faults into the provider\'s calls (docs/fault-injection.md): resets, timeouts, broken answers and SOAP faults as it says; operators switch them at runtime.');
  else if (def.delivery.mode === 'direct') notes.push('Operators may inject faults into the provider\'s calls at runtime (docs/fault-injection.md): while they do, the provider\'s transport faults ("Cannot perform client request", GW-2001…GW-2004) and injected SOAP faults may come back too.');
  notes.push('Through the REST façade (/api/v1) the same refusals come as RFC 9457 problems with these codes, besides the façade\'s own GW-6001…GW-6008 (docs/rest.md).');
  return notes.map((text) => ({ kind: 'paragraph', text }));
}
