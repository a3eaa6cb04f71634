import { xml, type XmlElement } from '../xml/libxml';
import { isElement, parseUntrusted, XmlSyntaxError } from '../xml/dom';
import type { FormNode } from './form';
import { accepts, emptiable, jsonKey, jsonKind, normalised, xmlTrim, type JsonKind } from './json-schema';
import { write, XSI, type XEl } from './render';

/**
 * JSON ⇄ XML of an element's value, driven by the form model (form.ts) and by the rules
 * json-schema.ts states: the XML is written in the schema's order with the bundle's prefixes,
 * whatever the JSON's key order; reading XML, the child elements are matched against the
 * content model (greedily, as XSD's unique particle attribution allows).
 *
 * Errors are ConvertError with the place (a JSON pointer, or the XML path) and what to do.
 */
export class ConvertError extends Error {
  constructor(readonly at: string, message: string) {
    super(`${at || '/'}: ${message}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

// ---------------------------------------------------------------- JSON -> XML

/** The XML of a form root's JSON value: one element, or for a synthetic AppData root its content. */
export function jsonToXml(form: FormNode, value: unknown, prefixes: Map<string, string>): string {
  if (form.appData) {
    const out: XEl['children'] = [];
    const o = object(value, '');
    checkKeys(form, o, '');
    writeContent(form.children ?? [], o, '', out);
    return write(out, prefixes);
  }
  return write([writeElement(form, value, '')], prefixes);
}

function writeElement(n: FormNode, v: unknown, at: string): XEl {
  const el: XEl = { ns: n.ns, name: n.name, attrs: [], children: [] };
  if (n.xsiType) el.xsiType = n.xsiType;
  const nilObject = n.nillable && typeof v === 'object' && v !== null && !Array.isArray(v) && '#nil' in v;
  if (v === null || nilObject) {
    if (!n.nillable) throw new ConvertError(at, `${n.name} is not nillable: null is not allowed (leave the key out when it is optional)`);
    if (n.fixed !== undefined) throw new ConvertError(at, `${n.name} has the fixed value ${JSON.stringify(n.fixed)}: it cannot be nil (leave the key out, or give that value)`);
    // a nil element keeps its attributes: {"#nil": true, "@a": …}; null is one without any
    const o = v === null ? {} : v as Obj;
    if (o['#nil'] !== undefined && o['#nil'] !== true) throw new ConvertError(`${at}/#nil`, `#nil is true (the element is xsi:nil), not ${show(o['#nil'])}: leave the key out for an element with content`);
    const attrs = (n.attributes ?? []).map((a) => `@${a.name}`);
    const required = (n.attributes ?? []).filter((a) => a.minOccurs > 0 && a.fixed === undefined).map((a) => `@${a.name}`);
    const unknown = Object.keys(o).filter((k) => k !== '#nil' && !attrs.includes(k));
    if (unknown.length) throw new ConvertError(at, `a nil ${n.name} has no content, only attributes: no such key here: ${unknown.join(', ')} (it may have: #nil${attrs.length ? `, ${attrs.join(', ')}` : ''})`);
    const missing = required.filter((k) => o[k] === undefined);
    if (missing.length) throw new ConvertError(at, `${n.name} requires ${missing.join(', ')}, nil too: give {"#nil": true, ${missing.map((k) => `"${k}": …`).join(', ')}}${v === null ? ' rather than null' : ''}`);
    writeAttributes(n, o, at, el);
    el.attrs.push({ ns: XSI, name: 'nil', value: 'true' });
    return el;
  }
  if (n.unresolved) {
    if (typeof v !== 'string') throw new ConvertError(at, `${n.name} is given as a string (${n.unresolved})`);
    el.text = xmlChars(n, v, at);
    return el;
  }
  if (n.kind === 'field' && !n.attributes?.length) {
    el.text = scalarText(n, v, at);
    return el;
  }
  const o = object(v, at);
  checkKeys(n, o, at);
  writeAttributes(n, o, at, el);
  if (n.kind === 'field') {
    const t = o['#text'];
    if (t === undefined && n.fixed === undefined && n.default === undefined) {
      throw new ConvertError(at, `${n.name} has attributes, so its value is the key #text, which is missing (the XSD's value of an empty element is no ${n.type ? `xs:${n.type}` : 'value'} unless its type allows an empty one: then give "#text": "")`);
    }
    el.text = t === undefined ? (n.fixed ?? n.default ?? '') : scalarText({ ...n, attributes: undefined }, t, `${at}/#text`);
  } else writeContent(n.children ?? [], o, at, el.children);
  return el;
}

function writeAttributes(n: FormNode, o: Obj, at: string, el: XEl): void {
  for (const a of n.attributes ?? []) {
    const av = o[`@${a.name}`];
    if (av === undefined) {
      if (a.minOccurs > 0 && a.fixed !== undefined) el.attrs.push({ ns: a.ns, name: a.name, value: a.fixed });
      continue;
    }
    el.attrs.push({ ns: a.ns, name: a.name, value: scalarText(a, av, `${at}/@${a.name}`) });
  }
}

function writeContent(particles: FormNode[], o: Obj, at: string, out: XEl['children']): void {
  for (const p of particles) {
    if (p.any) {
      const v = o[p.name];
      if (v === undefined) continue;
      if (typeof v !== 'string') throw new ConvertError(`${at}/${p.name}`, `the content of an xs:any is a string of XML, not ${typeName(v)}`);
      if (xmlTrim(v)) out.push({ raw: wellFormed(v, `${at}/${p.name}`, p.maxOccurs) });
    } else if (p.compositor && p.maxOccurs !== 1) {
      const v = o[p.name];
      if (v === undefined) continue;
      if (!Array.isArray(v)) throw new ConvertError(`${at}/${ptr(p.name)}`, `a repeated xs:${p.compositor} is an array of objects, one per occurrence, not ${typeName(v)}`);
      v.forEach((item, i) => {
        const iat = `${at}/${ptr(p.name)}/${i}`;
        const io = object(item, iat);
        const once = { ...p, minOccurs: 1, maxOccurs: 1 };
        checkObjectKeys(keysOf([once]), io, iat, requiredKeys([once]));
        const before = out.length;
        writeContent([once], io, iat, out);
        if (out.length === before) throw new ConvertError(iat, `an occurrence of the repeated xs:${p.compositor} with nothing in it writes no element (and is not read back): leave it out`);
      });
    } else if (p.compositor === 'choice') {
      const chosen = (p.children ?? []).filter((alt) => keysOf([alt]).some((k) => o[k] !== undefined));
      const exclusive = chosen.filter((alt) => keysOf([alt]).some((k) => o[k] !== undefined && !chosen.some((b) => b !== alt && keysOf([b]).includes(k))));
      if (exclusive.length > 1) {
        throw new ConvertError(at, `give one alternative of the choice, not several: ${exclusive.map((a) => keysOf([a]).filter((k) => o[k] !== undefined).join('+')).join(' / ')}`);
      }
      const alt = exclusive[0] ?? chosen[0];
      if (alt) writeContent([alt], o, at, out);
    } else if (p.compositor === 'sequence') {
      if (p.minOccurs === 0) {
        // an optional sequence is all there or not at all
        const given = keysOf(p.children ?? []).filter((k) => o[k] !== undefined);
        const need = given.length ? requiredKeys(p.children ?? []).filter((k) => o[k] === undefined) : [];
        if (need.length) throw new ConvertError(at, `${given.join(', ')} ${given.length > 1 ? 'are' : 'is'} of an optional xs:sequence that also requires ${need.join(', ')}: give ${need.length > 1 ? 'them' : 'it'} too, or none of ${[...given, ...need].join(', ')}`);
      }
      writeContent(p.children ?? [], o, at, out);
    } else {
      const v = o[jsonKey(p)];
      if (v === undefined) continue;
      const pat = `${at}/${ptr(jsonKey(p))}`;
      // an element the form did not expand is given as its own XML
      const one = (x: unknown, xat: string) => ((p.recursive || p.truncated) && x !== null ? { raw: elementXml(p, x, xat) } : writeElement(p, x, xat));
      if (p.maxOccurs === 1) out.push(one(v, pat));
      else {
        if (!Array.isArray(v)) throw new ConvertError(pat, `${p.name} repeats (maxOccurs ${p.maxOccurs ?? 'unbounded'}): give an array, even of one`);
        v.forEach((x, i) => out.push(one(x, `${pat}/${i}`)));
      }
    }
  }
}

/** The XML of an element the form did not expand, given as a string: one element, that one. */
function elementXml(n: FormNode, v: unknown, at: string): string {
  if (typeof v !== 'string') throw new ConvertError(at, `${n.name} is given as the XML of the element itself (the schema nests it too deep to describe), not ${typeName(v)}`);
  let doc;
  try {
    doc = parseUntrusted(Buffer.from(`<r>${v}</r>`, 'utf8'));
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new ConvertError(at, `not well-formed XML: ${e.message}`);
    throw e;
  }
  try {
    const els = elements(doc.root);
    const el = els[0];
    if (els.length !== 1 || !el || el.name !== n.name || (el.namespaceUri ?? '') !== n.ns) {
      throw new ConvertError(at, `give the XML of one element {${n.ns}}${n.name}, not ${els.map((e) => `{${e.namespaceUri ?? ''}}${e.name}`).join(', ') || 'none'}`);
    }
  } finally {
    doc.dispose();
  }
  return v;
}

/** The text of a simple value: its JSON type must be the one the schema gives, its value the fixed one where the schema fixes it. */
function scalarText(n: FormNode, v: unknown, at: string): string {
  const t = textOf(n, v, at);
  if (n.fixed !== undefined && JSON.stringify(readAs(n, t)) !== JSON.stringify(readAs(n, n.fixed))) {
    throw new ConvertError(at, `${n.name} is fixed to ${JSON.stringify(n.fixed)} by the schema: give that value${n.attribute ? ', or leave it out' : ''}, not ${show(v)}`);
  }
  return t;
}

/** A text's value as it is read back (its text where it is no value of the type: the XSD judges that). */
function readAs(n: FormNode, text: string): Json {
  try {
    return textToJson(n, text, '');
  } catch {
    return text;
  }
}

function textOf(n: FormNode, v: unknown, at: string): string {
  if (n.list) {
    if (!Array.isArray(v)) throw new ConvertError(at, `${n.name} is an xs:list: give an array of its items, not ${typeName(v)}`);
    return v.map((x, i) => {
      const t = scalarText({ ...(n.item ?? { ...n, list: undefined, type: 'string' }), fixed: undefined }, x, `${at}/${i}`);
      if (!t || /[ \t\n\r]/.test(t)) throw new ConvertError(`${at}/${i}`, `an item of the xs:list ${n.name} is not empty and holds no whitespace, which separates the items (${JSON.stringify(t)} would come back as ${t ? 'several items' : 'none'})`);
      return t;
    }).join(' ');
  }
  if (n.members?.length && !n.enumeration) {
    // the JSON types of its members (json-schema.ts's anyOf), and no other
    const kinds = new Set(n.members.map((m) => jsonKind(m.type)));
    const fits = typeof v === 'string' ? kinds.has('string') : typeof v === 'boolean' ? kinds.has('boolean')
      : typeof v === 'number' && Number.isFinite(v) && (kinds.has('number') || (kinds.has('integer') && Number.isSafeInteger(v)));
    if (!fits) throw new ConvertError(at, `${n.name} is an xs:union of ${[...kinds].join(' or ')} values: give such a value, not ${show(v)}`);
    return typeof v === 'string' ? xmlChars(n, v, at) : String(v);
  }
  const kind = jsonKind(n.type);
  switch (kind) {
    case 'boolean':
      if (typeof v !== 'boolean') throw new ConvertError(at, `${n.name} is xs:boolean: give true or false, not ${show(v)}`);
      return String(v);
    case 'integer':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ConvertError(at, `${n.name} is xs:${n.type}: give an integer number, not ${show(v)}`);
      return String(v);
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ConvertError(at, `${n.name} is xs:${n.type}: give a number, not ${show(v)}`);
      return String(v);
    default:
      if (typeof v !== 'string') throw new ConvertError(at, `${n.name} is ${n.type && n.type !== 'string' ? `xs:${n.type}, written as a string` : 'a string'}: give a string, not ${show(v)}`);
      return xmlChars(n, v, at);
  }
}

/** What XML 1.0 can hold at all (its Char production): no escape exists for the other code points. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** A string as it is, when XML can carry every character of it. */
function xmlChars(n: FormNode, v: string, at: string): string {
  const m = NOT_XML.exec(v);
  if (m) {
    const code = `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new ConvertError(at, `${n.name}: the character ${code} (at ${[...v.slice(0, m.index)].length}) cannot be written in XML 1.0, not even escaped: remove it (or send it encoded, as the schema's type allows)`);
  }
  return v;
}

function object(v: unknown, at: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConvertError(at, `give an object here, not ${typeName(v)}`);
  return v as Obj;
}

function checkKeys(n: FormNode, o: Obj, at: string): void {
  const keys = [...(n.attributes ?? []).map((a) => `@${a.name}`), ...(n.kind === 'field' ? ['#text'] : keysOf(n.children ?? []))];
  const required = [...(n.attributes ?? []).filter((a) => a.minOccurs > 0 && a.fixed === undefined).map((a) => `@${a.name}`), ...(n.kind === 'field' ? [] : requiredKeys(n.children ?? []))];
  checkObjectKeys(keys, o, at, required);
}

function checkObjectKeys(keys: string[], o: Obj, at: string, required: string[] = []): void {
  const unknown = Object.keys(o).filter((k) => !keys.includes(k));
  if (unknown.length) throw new ConvertError(at, `no such key here: ${unknown.join(', ')} (the schema has: ${keys.join(', ') || 'none'})`);
  const missing = required.filter((k) => o[k] === undefined);
  if (missing.length) throw new ConvertError(at, `missing ${missing.join(', ')}: the schema requires ${missing.length > 1 ? 'them' : 'it'} here`);
}

/**
 * The keys a content model requires (the JSON Schema's `required`, json-schema.ts): its elements
 * and wildcards of minOccurs > 0 outside choices; which alternative of a choice is the XSD's to judge.
 */
function requiredKeys(particles: FormNode[]): string[] {
  const out: string[] = [];
  for (const p of particles) {
    if (p.minOccurs < 1) continue;
    if (p.any) out.push(p.name);
    else if (p.compositor && p.maxOccurs !== 1) {
      if (!emptiable({ ...p, minOccurs: 1 })) out.push(p.name);
    }
    else if (p.compositor === 'sequence') out.push(...requiredKeys(p.children ?? []));
    else if (!p.compositor) out.push(jsonKey(p));
  }
  return [...new Set(out)];
}

/** The keys a content model gives its object (json-schema.ts's rules). */
export function keysOf(particles: FormNode[]): string[] {
  const out: string[] = [];
  for (const p of particles) {
    if (p.any) out.push(p.name);
    else if (p.compositor && p.maxOccurs !== 1) out.push(p.name);
    else if (p.compositor) out.push(...keysOf(p.children ?? []));
    else out.push(jsonKey(p));
  }
  return [...new Set(out)];
}

/** XML given as a string, when it parses (as content: several elements, text), and holds at most `max` elements at its top. */
function wellFormed(x: string, at: string, max: number | null = null): string {
  let doc;
  try {
    doc = parseUntrusted(Buffer.from(`<r>${x}</r>`, 'utf8'));
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new ConvertError(at, `not well-formed XML: ${e.message}`);
    throw e;
  }
  try {
    const count = elements(doc.root).length;
    // more would be read back as the next occurrences of what repeats around the wildcard, or refused by the XSD
    if (max !== null && count > max) throw new ConvertError(at, `the xs:any here takes ${max === 1 ? 'one element' : `at most ${max} elements`}, not ${count}${max === 1 ? ': give each element in an occurrence of its own' : ''}`);
  } finally {
    doc.dispose();
  }
  return x;
}

const ptr = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const typeName = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
const show = (v: unknown) => (typeof v === 'string' ? `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}` : typeof v === 'number' || typeof v === 'boolean' ? `${typeof v} ${v}` : typeName(v));

// ---------------------------------------------------------------- XML -> JSON

/**
 * The JSON value of XML for a form root: `xmlText` is the content of AppData (one element, or
 * several for a synthetic AppData root), with its own namespace declarations.
 */
export function xmlToJson(form: FormNode, xmlText: string | Buffer): Json {
  const bytes = Buffer.concat([Buffer.from('<AppData>'), Buffer.isBuffer(xmlText) ? xmlText : Buffer.from(xmlText, 'utf8'), Buffer.from('</AppData>')]);
  let doc;
  try {
    doc = parseUntrusted(bytes);
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new ConvertError('', `not well-formed XML: ${e.message}`);
    throw e;
  }
  try {
    return appDataToJson(form, doc.root);
  } finally {
    doc.dispose();
  }
}

/** The JSON value of an AppData element's content (an answer's, as parsed from its envelope). */
export function appDataToJson(form: FormNode, appData: XmlElement): Json {
  const kids = elements(appData);
  if (form.appData) {
    const o: Obj = {};
    const at = matchContent(form.children ?? [], kids, 0, o, form.path, siblingNames(form.children ?? []));
    if (at < kids.length) throw unexpected(kids[at]!, form.path, form.children ?? []);
    return o;
  }
  const el = kids[0];
  if (!el) throw new ConvertError(form.path, `no element: expected ${form.name}`);
  if (el.name !== form.name || el.namespaceUri !== form.ns) throw new ConvertError(form.path, `expected {${form.ns}}${form.name}, found {${el.namespaceUri}}${el.name}`);
  if (kids.length > 1) throw unexpected(kids[1]!, '', [form]);
  return elementToJson(form, el, form.path);
}

/** The JSON value of one element. */
export function elementToJson(n: FormNode, el: XmlElement, at: string): Json {
  if (n.nillable && isNil(el)) {
    // nil: null, or with the attributes it has, {"#nil": true, "@a": …}
    const o: Obj = {};
    readAttributes(n, el, at, o);
    // fixed attributes only (written for null too): null
    const own = Object.keys(o).filter((k) => (n.attributes ?? []).find((a) => `@${a.name}` === k)?.fixed === undefined);
    return own.length ? { '#nil': true, ...o } : null;
  }
  if (n.recursive || n.truncated) return serialise(el);
  if (n.unresolved) return el.content;
  if (n.kind === 'field' && !n.attributes?.length) return textToJson(n, el.content, at);
  const o: Obj = {};
  readAttributes(n, el, at, o);
  if (n.kind === 'field') {
    o['#text'] = textToJson({ ...n, attributes: undefined }, el.content, at);
    return o;
  }
  if (n.mixed) {
    // the text of mixed content is not carried in JSON: refused, not dropped
    for (let c = el.firstChild; c; c = c.next) {
      if (c instanceof xml().XmlText && xmlTrim(c.content)) throw new ConvertError(at, `${n.name} has mixed content: its text ${JSON.stringify(c.content.length > 40 ? `${c.content.slice(0, 40)}…` : c.content)} between the elements is not carried in JSON; ask for application/xml`);
    }
  }
  const kids = elements(el);
  const end = matchContent(n.children ?? [], kids, 0, o, at, siblingNames(n.children ?? []));
  if (end < kids.length) throw unexpected(kids[end]!, at, n.children ?? []);
  return o;
}

function readAttributes(n: FormNode, el: XmlElement, at: string, o: Obj): void {
  for (const a of n.attributes ?? []) {
    const attr = el.attrs.find((x) => x.name === a.name && (x.namespaceUri ?? '') === a.ns);
    if (attr) o[`@${a.name}`] = textToJson(a, attr.value, `${at}/@${a.name}`);
  }
}

/** Match child elements from `pos` against a content model; returns the position after the last one taken. */
function matchContent(particles: FormNode[], kids: XmlElement[], pos: number, o: Obj, at: string, names: Set<string>): number {
  for (let i = 0; i < particles.length; i++) {
    if (!particles[i]!.inAll) {
      pos = matchParticle(particles[i]!, kids, pos, o, at, names);
      continue;
    }
    // the elements of an xs:all, in whatever order they come
    let end = i;
    while (end < particles.length && particles[end]!.inAll) end++;
    const group = particles.slice(i, end);
    const taken = new Set<FormNode>();
    for (let k = kids[pos]; k; k = kids[pos]) {
      const q = group.find((g) => !taken.has(g) && g.name === k.name && g.ns === (k.namespaceUri ?? ''));
      if (!q) break;
      taken.add(q);
      pos = matchParticle(q, kids, pos, o, at, names);
    }
    i = end - 1;
  }
  return pos;
}

function matchParticle(p: FormNode, kids: XmlElement[], pos: number, o: Obj, at: string, names: Set<string>): number {
  if (p.any) {
    const taken: string[] = [];
    while (pos < kids.length && (p.maxOccurs === null || taken.length < p.maxOccurs) && !names.has(key(kids[pos]!.namespaceUri, kids[pos]!.name)) && allows(p, kids[pos]!.namespaceUri ?? '')) taken.push(serialise(kids[pos++]!));
    if (taken.length) o[p.name] = `${typeof o[p.name] === 'string' ? o[p.name] : ''}${taken.join('')}`;
    return pos;
  }
  if (p.compositor && p.maxOccurs !== 1) {
    const items: Obj[] = [];
    const once = { ...p, minOccurs: 1, maxOccurs: 1 };
    while (pos < kids.length && (p.maxOccurs === null || items.length < p.maxOccurs)) {
      const item: Obj = {};
      const next = matchParticle(once, kids, pos, item, at, names);
      if (next === pos) break;
      items.push(item);
      pos = next;
    }
    if (items.length) o[p.name] = [...(Array.isArray(o[p.name]) ? o[p.name] as Json[] : []), ...items];
    return pos;
  }
  if (p.compositor === 'choice') {
    // the alternative that takes most elements, of those whose required elements are all there (PGPData: PGPKeyPacket alone is the second)
    let best: { end: number; o: Obj; whole: boolean } | undefined;
    for (const alt of p.children ?? []) {
      const tmp: Obj = {};
      const end = matchParticle(alt, kids, pos, tmp, at, names);
      const whole = requiredKeys([{ ...alt, minOccurs: Math.max(1, alt.minOccurs) }]).every((k) => tmp[k] !== undefined);
      if (end > pos && (!best || (whole && !best.whole) || (whole === best.whole && end > best.end))) best = { end, o: tmp, whole };
    }
    if (!best) return pos;
    merge(o, best.o);
    return best.end;
  }
  if (p.compositor === 'sequence') return matchContent(p.children ?? [], kids, pos, o, at, names);
  const values: Json[] = [];
  while (pos < kids.length && (p.maxOccurs === null || values.length < p.maxOccurs) && kids[pos]!.name === p.name && kids[pos]!.namespaceUri === p.ns) {
    const i = values.length;
    values.push(elementToJson(p, kids[pos]!, `${at}/${p.name}${p.maxOccurs === 1 ? '' : `[${i + 1}]`}`));
    pos++;
  }
  if (values.length) merge(o, { [jsonKey(p)]: p.maxOccurs === 1 ? values[0]! : values });
  return pos;
}

/** Whether a wildcard takes an element of this namespace ('' none): its namespace constraint. */
function allows(p: FormNode, uri: string): boolean {
  if (p.otherThan !== undefined) return uri !== '' && uri !== p.otherThan;
  const tokens = p.ns.split(/\s+/);
  return tokens.includes('##any') || tokens.includes('##other') || tokens.includes(uri) || (uri === '' && tokens.includes('##local'));
}

function merge(o: Obj, from: Obj): void {
  for (const [k, v] of Object.entries(from)) {
    const had = o[k];
    o[k] = Array.isArray(had) && Array.isArray(v) ? [...had, ...v] : k.startsWith('#any') && typeof had === 'string' && typeof v === 'string' ? had + v : v;
  }
}

/** Every element name a content model names directly (an xs:any does not take those). */
function siblingNames(particles: FormNode[]): Set<string> {
  const out = new Set<string>();
  const walk = (ps: FormNode[]) => {
    for (const p of ps) {
      if (p.compositor) walk(p.children ?? []);
      else if (!p.any) out.add(key(p.ns, p.name));
    }
  };
  walk(particles);
  return out;
}

function textToJson(n: FormNode, text: string, at: string): Json {
  // an empty element's value is its declaration's default or fixed one (XSD 1.0, 3.3.1); an empty attribute is empty
  if (text === '' && !n.attribute && (n.fixed ?? n.default) !== undefined) text = (n.fixed ?? n.default)!;
  if (n.list) {
    // items are separated by XML's whitespace only (a no-break space is inside an item)
    const item = n.item ?? { ...n, list: undefined, type: 'string' };
    return text.split(/[ \t\n\r]+/).filter(Boolean).map((x, i) => textToJson(item, x, `${at}[${i + 1}]`));
  }
  if (n.members?.length && !n.enumeration) {
    // of the first member that takes it, facets and all (a union of int ≤ 10 and string reads "50" as the string)
    const m = n.members.find((x) => accepts(x, text));
    return m ? textToJson(m, text, at) : text;
  }
  const kind = jsonKind(n.type);
  // the XSD's value: its whitespace normalised as the type says (a token's, a date's spaces around it are not its value)
  if (kind === 'string') return normalised(n, text);
  const t = xmlTrim(text);
  if (!lexicalOk(kind, t)) throw new ConvertError(at, `${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is no xs:${n.type}`);
  if (kind === 'boolean') return t === 'true' || t === '1';
  const x = Number(t);
  if (kind === 'integer' && !Number.isSafeInteger(x)) throw new ConvertError(at, `${t} is beyond the integers JSON numbers hold exactly (±2^53)`);
  return x;
}

function lexicalOk(kind: JsonKind, text: string): boolean {
  const t = xmlTrim(text);
  switch (kind) {
    case 'boolean': return /^(true|false|1|0)$/.test(t);
    case 'integer': return /^[+-]?\d+$/.test(t);
    case 'number': return /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t);
    default: return true;
  }
}

function isNil(el: XmlElement): boolean {
  const a = el.attrs.find((x) => x.name === 'nil' && x.namespaceUri === XSI);
  return !!a && (xmlTrim(a.value) === 'true' || xmlTrim(a.value) === '1');
}

function elements(el: XmlElement): XmlElement[] {
  const out: XmlElement[] = [];
  for (let c = el.firstChild; c; c = c.next) if (isElement(c)) out.push(c);
  return out;
}

/**
 * An element as standalone XML: exclusive C14N declares the namespaces its names use, on it. A
 * prefix used only inside an attribute's or text's value (a QName) is not declared.
 */
function serialise(el: XmlElement): string {
  return el.canonicalizeToString({ mode: xml().XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 });
}

function unexpected(el: XmlElement, at: string, particles: FormNode[]): ConvertError {
  return new ConvertError(at, `element {${el.namespaceUri}}${el.name} is not expected here (the schema has: ${keysOf(particles).join(', ') || 'no elements'})`);
}

const key = (ns: string, local: string) => `{${ns}}${local}`;

/** The content of an element (an answer's AppData) as standalone XML, element by element. */
export function contentXml(el: XmlElement): string {
  return elements(el).map(serialise).join('\n');
}
