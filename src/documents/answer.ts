import type { Service } from '../registry/load';
import { parseEnvelope, type ParsedEnvelope } from '../envelope/parse';
import type { Party } from '../envelope/model';
import { isElement } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import { walkForm, type FormNode } from '../xsd/form';
import type { ComposerModels } from '../xsd/model';
import type { Block, Doc, Field, Section } from './model';

/**
 * An answer as a person reads it (issue 19 item 3): the journaled envelope of an answer leg
 * (gateway → consumer, or provider → gateway) made into a Doc: the SID and operation, the
 * smev:Message (sender, recipient, status, dates, case number), the AppData's values walked with
 * the SID's XSD (the answer element's form, src/xsd/form.ts) so that each value is labelled by
 * its element's xs:documentation where the schema has one (else its name), nested elements as
 * sections, repeated ones numbered; at its foot the exchange, every leg's journal id with its
 * signature and control verdicts, and when the document was made.
 *
 * Whatever the bytes are, a document comes out: an envelope that is no XML or no SOAP, or
 * AppData the schema does not describe, is shown as it is (XML in a code block, elements by name).
 */

/** One journal leg as the document's foot names it (a journal row has these fields). */
export interface LegFacts {
  id: number;
  direction: string;
  status: string | null;
  faultCode?: string | null;
  signature: string | null;
  control: string | null;
  /** the leg's smev:CaseNumber (an answer often carries none: the request's is shown then) */
  caseNumber?: string | null;
}

export interface AnswerSource {
  /** the answer's envelope as journaled */
  raw: Buffer;
  /** the answer's leg */
  leg: LegFacts & { exchangeId: string; sid: string; operation: string | null; at: string };
  /** every leg of the exchange, in order (the answer's included) */
  legs: LegFacts[];
  /** the SID as registered now (its XSD labels the values); undefined when it is no longer registered */
  service?: Service;
  models: ComposerModels;
  /** when the document is made */
  now: Date;
}

/** How much of the answer a document shows: beyond it, the XML download has the rest. */
const MAX_VALUES = 5000;
const MAX_VALUE_CHARS = 4000;
const MAX_CODE_CHARS = 200_000;

export function answerDocument(a: AnswerSource): Doc {
  const sid = a.leg.sid;
  const op = a.leg.operation ?? undefined;
  const title = `Answer of ${sid}${op ? ` · ${op}` : ''}`;
  const base = { title, date: a.now, footer: footer(a) };
  let p: ParsedEnvelope;
  try {
    p = parseEnvelope(a.raw, { elide: false });
  } catch (e) {
    return { ...base, subtitle: a.service?.def.title, sections: [{ heading: 'The message as received', blocks: [
      { kind: 'paragraph', text: `The journaled bytes are not a SOAP envelope (${(e as Error).message}): shown as they are.` },
      { kind: 'code', language: 'xml', text: cut(a.raw.toString('utf8'), MAX_CODE_CHARS) },
    ] }] };
  }
  try {
    const env = p.envelope;
    const m = env.message;
    const sections: Section[] = [];
    sections.push({ heading: 'Service', blocks: [{ kind: 'fields', rows: compact([
      ['SID', sid], ['Title', a.service?.def.title], ['Operation', op], ['Journal entry', `#${a.leg.id} (${arrow(a.leg.direction)})`], ['Journaled at', a.leg.at],
    ]) }] });
    if (env.fault) {
      sections.push({ heading: 'SOAP fault', blocks: [{ kind: 'fields', rows: compact([['faultcode', env.fault.faultcode], ['faultstring', env.fault.faultstring]]) }] });
    }
    if (m) {
      sections.push({ heading: 'Message (smev:Message)', blocks: [{ kind: 'fields', rows: compact([
        ['Status', m.status], ['Sender', party(m.sender)], ['Recipient', party(m.recipient)], ['Originator', party(m.originator)],
        ['Date', m.date], ...caseNumber(m.caseNumber, a.legs), ['Type code', m.typeCode], ['Exchange type', m.exchangeType],
        ['Service', m.serviceName ?? (m.service ? [m.service.mnemonic, m.service.version].filter(Boolean).join(' ') : undefined)],
        ['Service code', m.serviceCode], ['OKTMO', m.oktmo], ['RequestIdRef', m.requestIdRef], ['OriginRequestIdRef', m.originRequestIdRef],
        ['MessageId (node)', env.header?.messageId], ['Node time stamp', env.header?.timeStamp], ['Test message', m.testMsg !== undefined ? 'yes' : undefined],
      ]) }] });
    }
    if (p.appDataElement) sections.push(...appDataSections(a, p.appDataElement));
    else if (!env.fault) sections.push({ heading: 'Data (AppData)', blocks: [{ kind: 'paragraph', text: 'The answer carries no AppData.' }] });
    if (env.appDocument) {
      const d = env.appDocument;
      sections.push({ heading: 'Attached document (AppDocument)', blocks: [{ kind: 'fields', rows: compact([
        ['Request code', d.requestCode], ['Inline, base64 characters', d.binaryLength?.toString()], ['MTOM part', d.include], ['DigestValue', d.digestValue],
      ]) }] });
    }
    const subtitle = [a.service?.def.title, m?.status, m?.sender?.name ?? m?.sender?.code].filter(Boolean).join(' · ') || undefined;
    return { ...base, subtitle, sections };
  } finally {
    p.doc.dispose();
  }
}

/** The AppData's values by the SID's answer schema; when the schema cannot be had, by element names. */
function appDataSections(a: AnswerSource, appData: XmlElement): Section[] {
  let form: FormNode | undefined;
  if (a.service && a.leg.operation) {
    try {
      form = a.models.answer(a.service, a.leg.operation).form;
    } catch {
      form = undefined; // no such operation any more, or a bundle the composer cannot read: names stand
    }
  }
  const w = new Walker(form);
  const kids = elementsOf(appData);
  if (!kids.length) {
    const t = appData.content.trim();
    return [{ heading: 'Data (AppData)', blocks: [t ? { kind: 'fields', rows: [{ label: 'AppData', value: cut(t, MAX_VALUE_CHARS) }] } : { kind: 'paragraph', text: 'AppData is empty.' }] }];
  }
  const roots = form ? (form.appData ? particles(form.children ?? []) : [form]) : [];
  const out = w.content(kids, roots);
  const sections: Section[] = [];
  // leaf values straight under AppData: a section of their own
  if (out.fields.length) sections.push({ heading: 'Data (AppData)', blocks: [{ kind: 'fields', rows: out.fields }] });
  sections.push(...out.sections);
  if (w.stopped) sections.push({ heading: 'Not shown', blocks: [{ kind: 'paragraph', text: `The answer has more than ${MAX_VALUES} values: the rest are in the XML download.` }] });
  return sections;
}

/** The element particles of a content model, through its sequences and choices. */
function particles(nodes: FormNode[]): FormNode[] {
  return nodes.flatMap((n) => (n.compositor ? particles(n.children ?? []) : n.any ? [] : [n]));
}

class Walker {
  /** documentation text → the element names it documents (a type's documentation is shared: no label then) */
  private readonly docNames = new Map<string, Set<string>>();
  private values = 0;
  stopped = false;

  constructor(form: FormNode | undefined) {
    if (!form) return;
    for (const n of walkForm(form)) {
      if (n.compositor || !n.documentation) continue;
      const names = this.docNames.get(n.documentation) ?? new Set<string>();
      names.add(n.name);
      this.docNames.set(n.documentation, names);
    }
  }

  /** The children of one element: leaf values as fields, nested elements as sections, repeated ones numbered. */
  content(kids: XmlElement[], schema: FormNode[]): { fields: Field[]; sections: Section[] } {
    const fields: Field[] = [];
    const sections: Section[] = [];
    const count = new Map<string, number>();
    for (const k of kids) count.set(key(k), (count.get(key(k)) ?? 0) + 1);
    const seen = new Map<string, number>();
    for (const k of kids) {
      if (this.values >= MAX_VALUES) {
        this.stopped = true;
        break;
      }
      const node = schema.find((n) => n.name === k.name && n.ns === k.namespaceUri) ?? schema.find((n) => n.name === k.name);
      const i = (seen.get(key(k)) ?? 0) + 1;
      seen.set(key(k), i);
      const repeated = (count.get(key(k)) ?? 1) > 1 || (node !== undefined && node.maxOccurs !== 1);
      const { label, hint } = this.label(k, node);
      const numbered = repeated ? `${label} #${i}` : label;
      const attrs = this.attributes(k, node);
      const children = elementsOf(k);
      if (!children.length) {
        this.values++;
        const nil = k.attrs.some((x) => x.name === 'nil' && /^(true|1)$/.test(x.value.trim()));
        const value = nil ? '(nil)' : cut(k.content.trim(), MAX_VALUE_CHARS);
        if (!attrs.length) fields.push({ label: numbered, value, ...(hint ? { hint } : {}) });
        else sections.push({ heading: numbered, blocks: [{ kind: 'fields', rows: [...attrs, { label: 'Value', value }] }] });
        continue;
      }
      const inner = this.content(children, node ? particles(node.children ?? []) : []);
      const blocks: Block[] = [];
      // a section headed by its annotation says its element's name; one headed by its name, its annotation
      if (hint) blocks.push({ kind: 'paragraph', text: hint === k.name ? `(${hint})` : hint });
      const rows = [...attrs, ...inner.fields];
      if (rows.length) blocks.push({ kind: 'fields', rows });
      sections.push({ heading: numbered, blocks, ...(inner.sections.length ? { sections: inner.sections } : {}) });
    }
    return { fields, sections };
  }

  private attributes(el: XmlElement, node: FormNode | undefined): Field[] {
    return el.attrs.filter((x) => !x.namespaceUri || !/XMLSchema-instance|xmlns/.test(x.namespaceUri)).map((x) => {
      const a = node?.attributes?.find((n) => n.name === x.name);
      const { label, hint } = this.label({ name: x.name }, a, '@');
      return { label, value: cut(x.value, MAX_VALUE_CHARS), ...(hint ? { hint } : {}) };
    });
  }

  /**
   * The element's label: its documentation's first sentence when the schema documents this element
   * (and that text is no type's, shared by elements of other names) and it is short, the name then
   * the hint; else the name, with a long or shared documentation as the hint.
   */
  private label(el: { name: string }, node: FormNode | undefined, prefix = ''): { label: string; hint?: string } {
    const name = `${prefix}${el.name}`;
    const doc = node?.documentation?.replace(/\s+/g, ' ').trim();
    if (!doc) return { label: name };
    const own = (this.docNames.get(node!.documentation!)?.size ?? 1) <= 1;
    const first = doc.split(/(?<=[^.]{3})\.\s|:\s|;\s/)[0]!.replace(/\.$/, '').trim();
    if (own && first.length >= 3 && first.length <= 100) return { label: first, hint: name };
    return { label: name, hint: cut(doc, 300) };
  }
}

/** The answer's case number, or when it carries none the request's (the journal keeps each leg's). */
function caseNumber(own: string | undefined, legs: LegFacts[]): [string, string | undefined][] {
  if (own) return [['Case number', own]];
  const asked = legs.find((l) => l.direction === 'consumer->gateway' && l.caseNumber)?.caseNumber ?? legs.find((l) => l.caseNumber)?.caseNumber;
  return asked ? [["Case number (the request's)", asked]] : [];
}

function footer(a: AnswerSource): Field[] {
  return [
    { label: 'Exchange', value: a.leg.exchangeId },
    ...a.legs.map((l) => ({
      label: `Journal entry #${l.id}`,
      value: `${arrow(l.direction)}${l.status ? `, ${l.status}` : ''}${l.faultCode ? ` (${l.faultCode})` : ''}; signature: ${l.signature ?? 'not judged'}; control: ${l.control ?? 'not judged'}`,
    })),
    { label: 'This document', value: `made of journal entry #${a.leg.id} at ${a.now.toISOString()} by smev2-gateway` },
  ];
}

function elementsOf(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let c = el.firstChild; c; c = c.next) if (isElement(c)) out.push(c);
  return out;
}

const key = (el: XmlElement) => `{${el.namespaceUri}}${el.name}`;
const arrow = (direction: string) => direction.replace('->', ' → ');
const party = (p: Party | undefined) => (p ? [p.code, p.name].filter(Boolean).join(' ') || undefined : undefined);
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}… (${s.length.toLocaleString('en-US')} characters; the XML download has them all)` : s);

function compact(rows: [string, string | undefined | null][]): Field[] {
  return rows.filter((r): r is [string, string] => typeof r[1] === 'string' && r[1] !== '').map(([label, value]) => ({ label, value }));
}
