import { escapeText, escapeXml } from '../envelope/build';
import type { FormNode } from './form';
import { walkForm } from './form';
import { sampleValue } from './sample';

/**
 * XML from a form tree: a skeleton with placeholder values (`sampleXml`), or the values a user
 * typed (`renderValues`), always in the schema's order. Namespaces are declared on each
 * top-level element written, with the prefixes the bundle itself uses where it has them.
 */

export const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** An element to write (json-xml.ts builds these too); `raw` children are XML written as given. */
export interface XEl {
  ns: string;
  name: string;
  attrs: { ns: string; name: string; value: string }[];
  children: (XEl | { raw: string })[];
  text?: string;
  /** xsi:type: its value is a QName, written with the prefix of its namespace */
  xsiType?: { ns: string; local: string };
}

export class ValuesError extends Error {}

/** The skeleton of an element: its required descendants and attributes with placeholder values. */
export function sampleXml(root: FormNode, prefixes: Map<string, string>): string {
  let seq = 0;
  const element = (n: FormNode): XEl => {
    const el: XEl = { ns: n.ns, name: n.name, attrs: [], children: [] };
    if (n.xsiType) el.xsiType = n.xsiType;
    for (const a of n.attributes ?? []) if (a.minOccurs > 0 || a.fixed !== undefined) el.attrs.push({ ns: a.ns, name: a.name, value: sampleValue(a, ++seq) });
    if (n.kind === 'field') el.text = sampleValue(n, ++seq);
    else content(n.children ?? [], el.children);
    return el;
  };
  const content = (nodes: FormNode[], out: XEl['children']) => {
    for (const n of nodes) {
      if (n.minOccurs < 1 || n.any) continue;
      if (n.compositor === 'choice') {
        const alt = n.children?.find((a) => !a.recursive && !a.truncated && !a.unresolved) ?? n.children?.[0];
        if (alt) content([{ ...alt, minOccurs: Math.max(1, alt.minOccurs) }], out);
      } else if (n.compositor === 'sequence') content(n.children ?? [], out);
      else for (let i = 0; i < Math.min(n.minOccurs, 3); i++) out.push(element(n));
    }
  };
  return write(topLevel(root, element, content), prefixes);
}

export interface RenderOptions {
  /** raw XML content for elements at these instance paths (present even when empty) */
  inject?: Record<string, string>;
}

/**
 * The XML of the values a form was filled with (`path` -> text; repeated elements as `Child[2]`,
 * `Child[1]` being `Child`). Empty optional elements and attributes are left out; a required
 * element of a written parent is written even when empty, so that the schema check names it.
 * A key that is no path of the form is refused with the list of such keys.
 */
export function renderValues(root: FormNode, values: Record<string, string>, prefixes: Map<string, string>, o: RenderOptions = {}): string {
  const v = new Map<string, string>();
  const known = new Set<string>();
  for (const n of walkForm(root)) known.add(n.path);
  const unknown: string[] = [];
  for (const [k0, val] of Object.entries(values)) {
    if (typeof val !== 'string') throw new ValuesError(`values.${k0} must be a string`);
    if (!val.trim()) continue;
    const k = normalise(k0);
    if (!known.has(k.replace(/\[\d+\]/g, ''))) unknown.push(k0);
    else v.set(k, val);
  }
  if (unknown.length) throw new ValuesError(`no such field in the form of ${root.path}: ${unknown.slice(0, 10).join(', ')}${unknown.length > 10 ? ` and ${unknown.length - 10} more` : ''}`);
  const inject = new Map(Object.entries(o.inject ?? {}).map(([k, x]) => [normalise(k), x]));
  const present = new Set<string>();
  for (const k of [...v.keys(), ...inject.keys()]) {
    const steps = k.split('/');
    for (let i = 1; i <= steps.length; i++) present.add(steps.slice(0, i).join('/'));
  }
  const has = (p: string) => present.has(p);
  const indexes = (parent: string, name: string): number[] => {
    const base = parent ? `${parent}/${name}` : name;
    const out = new Set<number>();
    if (present.has(base)) out.add(1);
    const re = new RegExp(`^${escapeRe(base)}\\[(\\d+)\\]$`);
    for (const p of present) {
      const m = re.exec(p);
      if (m) out.add(Number(m[1]));
    }
    return [...out].sort((a, b) => a - b);
  };
  const anyUnder = (n: FormNode, parent: string): boolean => {
    if (n.compositor) return (n.children ?? []).some((c) => anyUnder(c, parent));
    if (n.any) return has(join(parent, n.name));
    return indexes(parent, n.name).length > 0;
  };

  const element = (n: FormNode, at: string): XEl => {
    const el: XEl = { ns: n.ns, name: n.name, attrs: [], children: [] };
    if (n.xsiType) el.xsiType = n.xsiType;
    for (const a of n.attributes ?? []) {
      const val = v.get(`${at}/@${a.name}`) ?? (a.minOccurs > 0 ? a.fixed : undefined);
      if (val !== undefined) el.attrs.push({ ns: a.ns, name: a.name, value: val });
    }
    const raw = inject.get(at);
    if (raw !== undefined) {
      if (raw) el.children.push({ raw });
    } else if (n.kind === 'field') {
      const t = v.get(at) ?? n.fixed;
      if (t !== undefined) el.text = t;
    } else content(n.children ?? [], at, el.children, true);
    return el;
  };
  const content = (nodes: FormNode[], parent: string, out: XEl['children'], forced: boolean) => {
    for (const n of nodes) {
      if (n.any) {
        const raw = v.get(join(parent, n.name));
        if (raw) out.push({ raw });
      } else if (n.compositor === 'choice') {
        const chosen = (n.children ?? []).filter((a) => anyUnder(a, parent));
        if (chosen.length) for (const a of n.maxOccurs === 1 ? chosen.slice(0, 1) : chosen) content([{ ...a, minOccurs: Math.max(1, a.minOccurs) }], parent, out, true);
        else if (forced && n.minOccurs > 0 && n.children?.length) content([n.children[0]!], parent, out, true);
      } else if (n.compositor === 'sequence') {
        if (anyUnder(n, parent) || (forced && n.minOccurs > 0)) content(n.children ?? [], parent, out, true);
      } else {
        let idx = indexes(parent, n.name);
        if (!idx.length && forced && n.minOccurs > 0) idx = Array.from({ length: Math.min(n.minOccurs, 100) }, (_, i) => i + 1);
        for (const i of idx) out.push(element(n, `${join(parent, n.name)}${i > 1 ? `[${i}]` : ''}`));
      }
    }
  };
  return write(topLevel(root, (n) => element(n, n.path), (nodes, out) => content(nodes, root.path, out, true)), prefixes);
}

/** Keys as the renderer keeps them: no leading slash, `[1]` dropped (`Child[1]` is `Child`). */
function normalise(k: string): string {
  return k.trim().replace(/^\/+/, '').replace(/\[1\](?=\/|$)/g, '');
}

/** A synthetic AppData root (several elements or a choice under AppData) writes its content only. */
function topLevel(root: FormNode, element: (n: FormNode) => XEl, content: (nodes: FormNode[], out: XEl['children']) => void): XEl['children'] {
  if (root.appData || (root.name === 'AppData' && root.kind === 'group')) {
    const out: XEl['children'] = [];
    content(root.children ?? [], out);
    return out;
  }
  return [element(root)];
}

function join(parent: string, name: string): string {
  return parent ? `${parent}/${name}` : name;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Serialise, indented; each top-level element declares the namespaces its subtree uses. */
export function write(tops: XEl['children'], preferred: Map<string, string>): string {
  return tops.map((t) => ('raw' in t ? t.raw : writeTop(t, preferred))).join('\n');
}

/**
 * A value as the parser reading it will give it back: a parser turns a CR (and CR LF) of text
 * into LF, and a tab, LF or CR of an attribute into a space, unless written as character
 * references.
 */
const textValue = (t: string) => escapeText(t).replace(/\r/g, '&#13;');
const attrValue = (t: string) => escapeXml(t).replace(/[\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);

function writeTop(top: XEl, preferred: Map<string, string>): string {
  const used = new Set<string>();
  const collect = (e: XEl) => {
    if (e.ns) used.add(e.ns);
    for (const a of e.attrs) if (a.ns) used.add(a.ns);
    if (e.xsiType) {
      used.add(XSI);
      if (e.xsiType.ns) used.add(e.xsiType.ns);
    }
    for (const c of e.children) if (!('raw' in c)) collect(c);
  };
  collect(top);
  const prefix = new Map<string, string>();
  const taken = new Set<string>(['xml', 'xmlns']);
  let n = 0;
  for (const ns of used) {
    let p = ns === XSI ? 'xsi' : preferred.get(ns);
    if (!p || taken.has(p) || /^xml/i.test(p)) {
      do p = `ns${++n}`; while (taken.has(p));
    }
    taken.add(p);
    prefix.set(ns, p);
  }
  const qn = (ns: string, name: string) => (ns ? `${prefix.get(ns)}:${name}` : name);
  const lines: string[] = [];
  const out = (e: XEl, depth: number, declare: boolean) => {
    const pad = '  '.repeat(depth);
    let tag = `<${qn(e.ns, e.name)}`;
    if (declare) for (const [ns, p] of prefix) tag += ` xmlns:${p}="${escapeXml(ns)}"`;
    if (e.xsiType) tag += ` ${prefix.get(XSI)}:type="${escapeXml(qn(e.xsiType.ns, e.xsiType.local))}"`;
    for (const a of e.attrs) tag += ` ${qn(a.ns, a.name)}="${attrValue(a.value)}"`;
    if (e.text !== undefined && e.text !== '') return void lines.push(`${pad}${tag}>${textValue(e.text)}</${qn(e.ns, e.name)}>`);
    if (!e.children.length) return void lines.push(`${pad}${tag}/>`);
    lines.push(`${pad}${tag}>`);
    for (const c of e.children) {
      if ('raw' in c) lines.push(c.raw);
      else out(c, depth + 1, false);
    }
    lines.push(`${pad}</${qn(e.ns, e.name)}>`);
  };
  out(top, 0, true);
  return lines.join('\n');
}
