import fc from 'fast-check';
import { sampleValue } from '../../src/xsd/sample';
import { LIST_ITEM, NORMAL, scalarSchema } from '../../src/xsd/json-schema';
import type { FormNode } from '../../src/xsd/form';

/**
 * fast-check arbitraries of JSON values from the JSON Schemas src/xsd/json-schema.ts generates
 * (the REST façade's contract, docs/rest.md), for test/json-xml-properties.test.ts. Only the
 * subset that generator emits: objects with required and optional properties and the choices'
 * constraints (allOf of oneOf/anyOf alternatives, each requiring its keys and forbidding the
 * others' with not/anyOf/required), arrays with min/maxItems, anyOf of values (unions,
 * nillable), enum and const, strings with patterns and length limits, integers and numbers with
 * ranges, and the notes in `x-xsd` for what JSON Schema cannot say (the XSD type of a string:
 * dates, decimals with their facets, binary, URIs, IDs; an XSD-only pattern; a wildcard's
 * namespaces). Where a value cannot be drawn from the schema alone, it comes from the XSD's own
 * sample (src/xsd/sample.ts), as the composer's forms do.
 */
export type Schema = Record<string, any>;
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export interface ArbOptions {
  /** below this depth optional keys are left out and arrays kept to their minimum (corpus schemas are large) */
  maxDepth?: number;
  /** most items drawn for an unbounded array */
  maxItems?: number;
}

/** The namespace the wildcards' generated elements are in: no schema of the tests declares it. */
export const ANY_NS = 'urn:smev2-gateway:test-any';

const XSD_NOTE_FACETS = ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive', 'totalDigits', 'fractionDigits', 'processContents'];

/** The notes of `x-xsd` ("xs:decimal; XSD pattern …; minInclusive 0; totalDigits 5") as fields. */
export function xsdNotes(s: Schema): Record<string, string> {
  const note = typeof s['x-xsd'] === 'string' ? s['x-xsd'] as string : '';
  const out: Record<string, string> = {};
  if (!note) return out;
  const type = /^xs:(\w+)(?:; |$)/.exec(note);
  if (type) out.type = type[1]!;
  const labels = `(?:${XSD_NOTE_FACETS.join('|')})`;
  const pattern = new RegExp(`(?:^|; )XSD pattern (.*?)(?=; ${labels} |$)`).exec(note);
  if (pattern) out.pattern = pattern[1]!;
  for (const m of note.matchAll(/(?:^|; )(length|minLength|maxLength) (\d+) octets/g)) out[`${m[1]}Octets`] = m[2]!;
  const ns = /(?:^|; )namespace (.*?)(?=; |$)/.exec(note);
  if (ns) out.namespace = ns[1]!;
  const count = /(?:^|; )elements (\d+)\.\.(\d+|unbounded)(?=; |$)/.exec(note);
  if (count) [out.minElements, out.maxElements] = [count[1]!, count[2]!];
  for (const f of XSD_NOTE_FACETS) {
    const m = new RegExp(`(?:^|; )${f} ([^;\\s]+)`).exec(note.replace(/XSD pattern .*?(?=; \w+ |$)/, ''));
    if (m) out[f] = m[1]!;
  }
  return out;
}

// ------------------------------------------------------------ characters and strings

/** Characters an XML 1.0 document may hold, with the ones that trouble a writer (markup, whitespace, CR, astral). */
const awkward = fc.constantFrom('<', '>', '&', '"', '\'', ' ', '  ', '\t', '\n', '\r', '\r\n', ']]>', '\u00a0', '\u2028', '😀', 'Ё', 'ё', '\u0301', '\ufffd');
const plain = fc.constantFrom(...'aбZЯ09-_.,:;/ '.split(''));
export const xmlChar = fc.oneof({ arbitrary: plain, weight: 6 }, { arbitrary: awkward, weight: 2 }, { arbitrary: fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCodePoint(c)), weight: 1 });

/** A string of XML characters whose length (code points, as XSD and Ajv count) is within the limits. */
export function xmlString(minLength = 0, maxLength?: number): fc.Arbitrary<string> {
  const max = Math.min(maxLength ?? minLength + 12, minLength + 12);
  return fc.array(xmlChar, { minLength, maxLength: Math.max(minLength, max) }).map((parts) => clip(parts.join(''), minLength, maxLength));
}

const cp = (s: string) => [...s].length;

function clip(s: string, min: number, max?: number): string {
  let a = [...s];
  if (max !== undefined && a.length > max) a = a.slice(0, max);
  while (a.length < min) a.push('x');
  return a.join('');
}

/** Characters XML 1.0 cannot carry at all (no escape exists for them): a JSON string may hold them. */
export const notXmlChar = fc.constantFrom('\u0000', '\u0001', '\u0008', '\u000b', '\u000c', '\u001f', '\ufffe', '\uffff', '\ud800');

// ------------------------------------------------------------ XSD lexical forms

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const tz = fc.oneof(fc.constant(''), fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 13 }), fc.constantFrom(0, 30, 45)).map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`));
const day = fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true });
const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 }), fc.oneof(fc.constant(''), fc.integer({ min: 0, max: 999 }).map((ms) => `.${pad(ms, 3)}`)))
  .map(([h, m, s, f]) => `${pad(h)}:${pad(m)}:${pad(s)}${f}`);
const ymd = (d: Date) => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;

const LEXICAL: Record<string, fc.Arbitrary<string>> = {
  date: fc.tuple(day, tz).map(([d, z]) => `${ymd(d)}${z}`),
  dateTime: fc.tuple(day, clock, tz).map(([d, c, z]) => `${ymd(d)}T${c}${z}`),
  time: fc.tuple(clock, tz).map(([c, z]) => `${c}${z}`),
  gYear: fc.tuple(day, tz).map(([d, z]) => `${pad(d.getUTCFullYear(), 4)}${z}`),
  gYearMonth: fc.tuple(day, tz).map(([d, z]) => `${ymd(d).slice(0, 7)}${z}`),
  gMonth: fc.integer({ min: 1, max: 12 }).map((m) => `--${pad(m)}`),
  gDay: fc.integer({ min: 1, max: 31 }).map((d) => `---${pad(d)}`),
  gMonthDay: day.map((d) => `--${ymd(d).slice(5)}`),
  duration: fc.tuple(fc.boolean(), fc.nat(99), fc.nat(30), fc.nat(23)).map(([neg, y, dd, h]) => `${neg ? '-' : ''}P${y}Y${dd}DT${h}H`),
  base64Binary: fc.uint8Array({ maxLength: 12 }).map((b) => Buffer.from(b).toString('base64')),
  hexBinary: fc.uint8Array({ maxLength: 8 }).map((b) => Buffer.from(b).toString('hex').toUpperCase()),
  anyURI: fc.webUrl(),
  language: fc.constantFrom('ru', 'en-US', 'ru-RU', 'x-private'),
  // IDs are unique in a document: a UUID makes a clash practically impossible
  ID: fc.uuid().map((u) => `i${u}`),
  NCName: fc.stringMatching(/^[A-Za-zА-Яа-я_][A-Za-z0-9._-]{0,8}$/),
  Name: fc.stringMatching(/^[A-Za-z_:][A-Za-z0-9._:-]{0,8}$/).filter((s) => !s.includes('::')),
  NMTOKEN: fc.stringMatching(/^[A-Za-z0-9._:-]{1,8}$/),
  QName: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,8}$/),
  boolean: fc.constantFrom('true', 'false', '1', '0'),
};

/** A decimal's lexical form within its facets (x-xsd: totalDigits, fractionDigits, bounds). */
function decimalArb(notes: Record<string, string>): fc.Arbitrary<string> {
  const total = notes.totalDigits ? Number(notes.totalDigits) : 12;
  const fraction = Math.min(notes.fractionDigits ? Number(notes.fractionDigits) : 4, total);
  const lo = bound(notes.minInclusive, notes.minExclusive, 1);
  const hi = bound(notes.maxInclusive, notes.maxExclusive, -1);
  return fc.tuple(fc.integer({ min: 0, max: fraction }), fc.bigInt({ min: -(10n ** BigInt(Math.min(total, 15))) + 1n, max: 10n ** BigInt(Math.min(total, 15)) - 1n }), fc.constantFrom('', '+', '0', '00'), fc.boolean())
    .map(([scale, digits, lead, trailingZero]) => {
      const s = Math.min(scale, total);
      const neg = digits < 0n;
      let abs = (neg ? -digits : digits).toString();
      if (abs.length > total) abs = abs.slice(0, total);
      let text = s > 0 ? `${abs.padStart(s + 1, '0').slice(0, -s)}.${abs.padStart(s + 1, '0').slice(-s)}` : abs;
      if (trailingZero && s > 0) text += '0';
      let value = `${neg ? '-' : lead === '+' ? '+' : ''}${lead === '0' || lead === '00' ? lead : ''}${text}`;
      const x = Number(value);
      if (lo !== undefined && x < lo.value) value = lo.text;
      if (hi !== undefined && x > hi.value) value = hi.text;
      return value;
    });
}

/** A lower (step 1) or upper (step -1) bound: the tighter of an inclusive and an exclusive one (a restriction of a restriction may leave both). */
function bound(inclusive: string | undefined, exclusive: string | undefined, step: number): { value: number; text: string } | undefined {
  const all: { value: number; text: string }[] = [];
  if (inclusive !== undefined && Number.isFinite(Number(inclusive))) all.push({ value: Number(inclusive), text: inclusive });
  if (exclusive !== undefined && Number.isFinite(Number(exclusive))) {
    const x = Number(exclusive);
    const v = Number.isInteger(x) ? x + step : x + step * 0.001;
    all.push({ value: v, text: String(v) });
  }
  return all.sort((a, b) => step * (b.value - a.value))[0];
}

/** A lexical value of an XSD type within the x-xsd bounds (dates compared as text: one format, one zone). */
function lexicalArb(type: string, notes: Record<string, string>): fc.Arbitrary<string> | undefined {
  if (type === 'decimal') return decimalArb(notes);
  if (type === 'base64Binary' || type === 'hexBinary') {
    // octets, as the binary types' length facets count them
    const min = Number(notes.lengthOctets ?? notes.minLengthOctets ?? 0);
    const max = Number(notes.lengthOctets ?? notes.maxLengthOctets ?? min + 8);
    return fc.uint8Array({ minLength: min, maxLength: max }).map((b) => (type === 'hexBinary' ? Buffer.from(b).toString('hex').toUpperCase() : Buffer.from(b).toString('base64')));
  }
  const a = LEXICAL[type];
  if (!a) return undefined;
  const bounded = ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive'].some((f) => notes[f] !== undefined);
  if (bounded && (type === 'date' || type === 'dateTime')) {
    // within the bounds, without a zone (a zoned value near a bound of none is neither above nor below it for XSD)
    const at = (v: string | undefined, shift: number) => (v === undefined ? undefined : new Date(Date.parse(`${v.slice(0, 19).padEnd(10, '')}${v.length > 10 ? 'Z' : 'T00:00:00Z'}`) + shift));
    const unit = type === 'date' ? 86400000 : 1000;
    const min = at(notes.minInclusive, 0) ?? at(notes.minExclusive, unit) ?? new Date('0001-01-01T00:00:00Z');
    const max = at(notes.maxInclusive, 0) ?? at(notes.maxExclusive, -unit) ?? new Date('9999-12-31T23:59:59Z');
    return fc.date({ min, max, noInvalidDate: true }).map((d) => (type === 'date' ? ymd(d) : d.toISOString().slice(0, 19)));
  }
  return bounded ? undefined : a;
}

// ------------------------------------------------------------ wildcards' XML

const localName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9]{0,6}$/);

/** Elements for an xs:any: of a namespace the x-xsd note allows (##any, ##other: one of their own). */
function xmlArb(s: Schema): fc.Arbitrary<string> {
  const notes = xsdNotes(s);
  const allowed = (notes.namespace ?? '##any').split(/\s+/).filter(Boolean);
  const ns = allowed.includes('##any') || allowed.includes('##other') ? ANY_NS : allowed.includes('##local') ? '' : allowed.find((x) => !x.startsWith('##')) ?? ANY_NS;
  const el = fc.letrec<{ el: string }>((tie) => ({
    el: fc.tuple(localName, fc.option(fc.tuple(localName, xmlString(0, 6)), { nil: undefined }), fc.oneof({ depthSize: 'small' }, xmlString(0, 8).map(escapeText), fc.array(tie('el'), { maxLength: 2 }).map((xs) => xs.join('')))).map(([name, attr, content]) => {
      const a = attr ? ` ${attr[0]}="${escapeAttr(attr[1])}"` : '';
      return content ? `<g:${name}${a}>${content}</g:${name}>` : `<g:${name}${a}/>`;
    }),
  })).el;
  const min = Math.max(1, Number(notes.minElements ?? 1));
  const max = notes.maxElements === undefined || notes.maxElements === 'unbounded' ? min + 1 : Math.max(min, Number(notes.maxElements));
  // in a namespace a schema declares elements of (its own, ##local), names it never gives (g_…): a lax wildcard then judges none
  const own = ns !== ANY_NS;
  return fc.array(el, { minLength: min, maxLength: max }).map((els) => els.map((e) => {
    const x = own ? e.replace(/(<\/?g:)(\w+)/g, '$1g_$2') : e;
    return ns ? x.replace(/^<g:(\w+)/, `<g:$1 xmlns:g="${ns}"`) : x.replace(/(<\/?)g:/g, '$1');
  }).join(''));
}

export const escapeText = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
const escapeAttr = (t: string) => escapeText(t).replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');

// ------------------------------------------------------------ values

/** Arbitraries already built, by schema object and depth (an object's are made again for each value drawn: parsing patterns each time was most of the time). */
const built = new WeakMap<Schema, Map<string, fc.Arbitrary<Json>>>();

/** A JSON value the schema allows (and, where x-xsd says more, the XSD too). */
export function valueArb(s: Schema, o: ArbOptions = {}, depth = 0): fc.Arbitrary<Json> {
  const key = `${depth} ${o.maxDepth ?? ''} ${o.maxItems ?? ''}`;
  let byDepth = built.get(s);
  if (!byDepth) built.set(s, (byDepth = new Map()));
  let a = byDepth.get(key);
  if (!a) byDepth.set(key, (a = makeArb(s, o, depth)));
  return a;
}

function makeArb(s: Schema, o: ArbOptions, depth: number): fc.Arbitrary<Json> {
  if (s.const !== undefined) return fc.constant(s.const as Json);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as Json[]));
  if (Array.isArray(s.anyOf) && s.type === undefined) {
    const alts = (s.anyOf as Schema[]).map((a) => valueArb(a, o, depth));
    return fc.oneof(...alts);
  }
  switch (s.type) {
    case 'object': return objectArb(s, o, depth);
    case 'array': return arrayArb(s, o, depth);
    case 'string': return stringArb(s);
    case 'integer': return integerArb(s);
    case 'number': return numberArb(s);
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    default: throw new Error(`valueArb: a schema the generator does not emit: ${JSON.stringify(s).slice(0, 200)}`);
  }
}

/** What the choices of an object ask: keys that must be there, keys that must not, keys that need others (optional sequences). */
interface Plan { required: Set<string>; forbidden: Set<string>; dependent: [string, string[]][] }

/**
 * A wildcard of processContents strict takes only elements the service's schemas declare, an
 * element the form did not expand only its own content: no value is drawn for them (an optional
 * one is left out, an alternative needing one not chosen, a required one skips the value).
 */
export const isStrictAny = (s: Schema | undefined): boolean => !!s && s.contentMediaType === 'application/xml'
  && (xsdNotes(s).processContents === 'strict' || /^element /.test(String(s['x-xsd'] ?? ''))); // (an element not expanded: its own declared content too)

function planArb(allOf: Schema[], avoid: (key: string) => boolean): fc.Arbitrary<Plan> {
  if (!allOf.length) return fc.constant({ required: new Set(), forbidden: new Set(), dependent: [] });
  return fc.tuple(...allOf.map((e) => entryPlan(e, avoid))).map(mergePlans);
}

function entryPlan(e: Schema, avoid: (key: string) => boolean): fc.Arbitrary<Plan> {
  const all = (e.oneOf ?? e.anyOf) as Schema[] | undefined;
  if (!all) return altPlan(e, avoid);
  const usable = all.filter((a) => !((a.required ?? []) as string[]).some(avoid));
  const alts = usable.length ? usable : all;
  return fc.integer({ min: 0, max: alts.length - 1 }).chain((i) => altPlan(alts[i]!, avoid));
}

function altPlan(a: Schema, avoid: (key: string) => boolean): fc.Arbitrary<Plan> {
  const own: Plan = { required: new Set(a.required ?? []), forbidden: new Set(((a.not?.anyOf ?? []) as Schema[]).flatMap((x) => x.required ?? [])), dependent: Object.entries(a.dependentRequired ?? {}) as [string, string[]][] };
  // an alternative may hold its own choices: in allOf, or a oneOf/anyOf of its own
  const parts: fc.Arbitrary<Plan>[] = [fc.constant(own)];
  if (a.allOf) parts.push(planArb(a.allOf, avoid));
  if (a.oneOf || a.anyOf) parts.push(entryPlan({ oneOf: a.oneOf, anyOf: a.anyOf }, avoid));
  return parts.length === 1 ? parts[0]! : fc.tuple(...parts).map(mergePlans);
}

function mergePlans(ps: Plan[]): Plan {
  const required = new Set(ps.flatMap((p) => [...p.required]));
  // a key one alternative requires and another's forbids: the requirement wins (Ajv judges the result)
  const forbidden = new Set(ps.flatMap((p) => [...p.forbidden]).filter((k) => !required.has(k)));
  return { required, forbidden, dependent: ps.flatMap((p) => p.dependent) };
}

/** A value of a key that writes something: an array of one item at least. */
const atLeastOne = new WeakMap<Schema, Schema>();
function nonEmpty(s: Schema, o: ArbOptions, depth: number): fc.Arbitrary<Json> {
  if (s.type !== 'array') return valueArb(s, o, depth);
  let one = atLeastOne.get(s);
  if (!one) atLeastOne.set(s, (one = { ...s, minItems: Math.max(1, s.minItems ?? 0) }));
  return valueArb(one, o, depth);
}

function objectArb(s: Schema, o2: ArbOptions, depth: number): fc.Arbitrary<Json> {
  const o = o2;
  const props = (s.properties ?? {}) as Record<string, Schema>;
  const deep = depth >= (o.maxDepth ?? 8);
  return planArb((s.allOf ?? []) as Schema[], (k) => isStrictAny(props[k])).chain((plan) => {
    const required = new Set([...(s.required ?? []) as string[], ...plan.required]);
    // a required key of an optional sequence (its alternative of a choice asks for it) brings the sequence's others
    for (let grown = true; grown;) {
      grown = false;
      for (const [k, needs] of plan.dependent) for (const n of required.has(k) ? needs : []) if (!required.has(n)) grown = !!required.add(n);
    }
    const keys = Object.keys(props).filter((k) => !plan.forbidden.has(k) && (required.has(k) || (!deep && !isStrictAny(props[k]))));
    const model: Record<string, fc.Arbitrary<Json>> = {};
    for (const k of keys) model[k] = valueArb(props[k]!, o, depth + 1);
    // a key whose group (an optional sequence) is not all there is left out, until every group present is whole
    return fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) }).map((o) => {
      const out = { ...o } as Record<string, Json>;
      for (let changed = true; changed;) {
        changed = false;
        for (const [k, needs] of plan.dependent) {
          if (k in out && !required.has(k) && needs.some((n) => !(n in out))) {
            delete out[k];
            changed = true;
          }
        }
      }
      return out as Json;
    }).chain((o) => {
      // minProperties (an occurrence of a repeated group): one key more where none was drawn
      // (a key of an empty array writes nothing: it does not count)
      const empty = (v: Json | undefined) => v === undefined || (Array.isArray(v) && !v.length);
      const need = (s.minProperties ?? 0) - Object.values(o as object).filter((v) => !empty(v)).length;
      const free = keys.filter((k) => empty((o as Record<string, Json>)[k]) && !plan.dependent.some(([d, needs]) => d === k && needs.length));
      if (need <= 0) return fc.constant(o);
      // nothing it may draw (a strict wildcard only): the value is skipped
      if (!free.length) return fc.constant({ ...(o as object), '#undrawable': UNDRAWABLE } as Json);
      return fc.constantFrom(...free).chain((k) => nonEmpty(props[k]!, o2, depth + 1).map((v) => ({ ...(o as object), [k]: v }) as Json));
    });
  });
}

function arrayArb(s: Schema, o: ArbOptions, depth: number): fc.Arbitrary<Json> {
  const min = s.minItems ?? 0;
  const cap = depth >= (o.maxDepth ?? 8) ? min : min + (o.maxItems ?? 3);
  const max = Math.max(min, Math.min(s.maxItems ?? cap, cap));
  return fc.array(valueArb(s.items ?? {}, o, depth + 1), { minLength: min, maxLength: max });
}

const COLLAPSED = NORMAL.collapse;
const REPLACED = NORMAL.replace;

/** What a string is drawn as where no value of its schema was found (patterns that seldom meet): the property skips such a value. */
export const UNDRAWABLE = '\u0000(no value drawn)';

/** Whether a drawn value holds UNDRAWABLE somewhere. */
export function undrawable(v: Json): boolean {
  if (typeof v === 'string') return v === UNDRAWABLE;
  if (Array.isArray(v)) return v.some(undrawable);
  return !!v && typeof v === 'object' && Object.values(v).some(undrawable);
}

function stringArb(s: Schema): fc.Arbitrary<string> {
  // a required strict wildcard: no element the test knows is declared (the value is skipped)
  if (s.contentMediaType === 'application/xml') return isStrictAny(s) ? fc.constant(UNDRAWABLE) : xmlArb(s);
  const notes = xsdNotes(s);
  const min = s.minLength ?? 0;
  const max = s.maxLength as number | undefined;
  const patterns = [s.pattern, ...((s.allOf ?? []) as Schema[]).map((a) => a.pattern)].filter((p): p is string => typeof p === 'string');
  const res = patterns.map((p) => new RegExp(p, 'u'));
  // the schema's own patterns (XSD ones), not its type's lexical or normal form
  const builtin = notes.type ? scalarSchema({ name: 'v', ns: '', path: 'v', kind: 'field', minOccurs: 1, maxOccurs: 1, type: notes.type }) : {};
  const typePatterns = new Set([builtin.pattern, ...((builtin.allOf ?? []) as Schema[]).map((a) => a.pattern), NORMAL.collapse, NORMAL.replace, LIST_ITEM]);
  const own = patterns.filter((p) => !typePatterns.has(p));
  const lexical = notes.type ? lexicalArb(notes.type, notes) : undefined;
  // a Unicode category of a pattern: ECMAScript's Unicode is newer than libxml2's, so only letters both know (docs/rest.md)
  const categories = patterns.some((p) => /\\[pP]\{/.test(p));
  const ok = (v: string) => cp(v) >= min && (max === undefined || cp(v) <= max) && res.every((r) => r.test(v)) && (!notes.type || lexicalOk(notes.type, v)) && (!categories || OLD_LETTERS.test(v));
  // what the XSD's sample gives for the same facets: where the patterns or the length cannot be met by drawing
  const fallback = sampleValue({ name: 'v', ns: '', path: 'v', kind: 'field', minOccurs: 1, maxOccurs: 1, type: notes.type ?? 'string',
    pattern: own[0]?.slice(4, -2) ?? notes.pattern, basePatterns: own.slice(1).map((p) => p.slice(4, -2)), minLength: s.minLength, maxLength: s.maxLength } as FormNode);
  if (notes.pattern) return fc.constant(fallback); // XSD-only syntax: the sample's parser reads it, no ECMAScript engine does
  const sources = [...(lexical ? [lexical] : []), ...own.map((p) => matching(new RegExp(p, 'u'), fallback))];
  // a type whose whitespace XSD normalises: drawn in its normal form (json-schema.ts's NORMAL patterns say so)
  const collapse = patterns.includes(COLLAPSED);
  const replace = patterns.includes(REPLACED);
  const item = patterns.includes(LIST_ITEM);
  const normal = (v: string) => (item ? v.replace(/[ \t\n\r]+/g, '') : collapse ? v.replace(/[ \t\n\r]+/g, ' ').trim() : v.replace(/[\t\n\r]/g, ' '));
  if (!sources.length && (collapse || replace || item)) sources.push(xmlString(min, max).map((v) => clip(normal(v), Math.max(min, item ? 1 : 0), max)));
  if (!sources.length) sources.push(patterns.length ? matching(res[0]!, fallback) : xmlString(min, max));
  return fc.oneof(...sources).map((v) => (ok(v) ? v : ok(fallback) ? fallback : UNDRAWABLE));
}

/** Characters of Unicode 1.1 that the pattern categories of both engines agree on (ASCII, Latin-1 and Extended-A, Greek, Cyrillic). */
const OLD_LETTERS = /^[\u0000-\u017f\u0391-\u03c9\u0400-\u045f]*$/;

/** Strings of a pattern; fast-check reads no lookahead: the fallback then. */
function matching(re: RegExp, fallback: string): fc.Arbitrary<string> {
  try {
    return fc.stringMatching(re);
  } catch {
    return fc.constant(fallback);
  }
}

/** A value drawn from an own pattern of a date, time or number type must also be one of that type. */
function lexicalOk(type: string, v: string): boolean {
  if (type === 'date' || type === 'dateTime') {
    const m = /^(-?\d{4,})-(\d\d)-(\d\d)/.exec(v);
    if (!m) return false;
    const d = new Date(Date.UTC(2000, Number(m[2]) - 1, Number(m[3])));
    return Number(m[1]) !== 0 && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
  }
  return true;
}

const SAFE = Number.MAX_SAFE_INTEGER;

function integerArb(s: Schema): fc.Arbitrary<number> {
  // both bounds of a kind may be there (an int's range and a facet's exclusive one): the tighter holds
  const los = [s.minimum, s.exclusiveMinimum !== undefined ? Math.floor(s.exclusiveMinimum) + 1 : undefined].filter((x): x is number => x !== undefined);
  const his = [s.maximum, s.exclusiveMaximum !== undefined ? Math.ceil(s.exclusiveMaximum) - 1 : undefined].filter((x): x is number => x !== undefined);
  const lo = los.length ? Math.max(...los) : undefined;
  const hi = his.length ? Math.min(...his) : undefined;
  const min = Math.max(lo ?? -SAFE, -SAFE);
  const max = Math.min(hi ?? SAFE, SAFE);
  if (min > max) return fc.constant(min); // no integer in the bounds: the XSD would refuse any, the schema too
  const parts: fc.Arbitrary<number>[] = [fc.constantFrom(min, max)];
  const [smallMin, smallMax] = [Math.max(min, -1000), Math.min(max, 1000)];
  if (smallMin <= smallMax) parts.push(fc.integer({ min: smallMin, max: smallMax }));
  if (min >= -(2 ** 31) && max <= 2 ** 31 - 1) parts.push(fc.integer({ min, max }));
  else parts.push(fc.maxSafeInteger().map((x) => Math.min(max, Math.max(min, x))));
  // JSON Schema's integer is any number without a fraction, 1e21 too: where the schema sets no bound, so does the generator
  if (lo === undefined) parts.push(fc.constantFrom(-(2 ** 53), -1e21));
  if (hi === undefined) parts.push(fc.constantFrom(2 ** 53, 2 ** 63, 1e21));
  return fc.oneof(...parts);
}

function numberArb(s: Schema): fc.Arbitrary<number> {
  const minExcluded = s.exclusiveMinimum !== undefined && (s.minimum === undefined || s.exclusiveMinimum >= s.minimum);
  const maxExcluded = s.exclusiveMaximum !== undefined && (s.maximum === undefined || s.exclusiveMaximum <= s.maximum);
  const min = minExcluded ? s.exclusiveMinimum : s.minimum;
  const max = maxExcluded ? s.exclusiveMaximum : s.maximum;
  return fc.double({ min, max, minExcluded, maxExcluded, noNaN: true, noDefaultInfinity: true });
}

// ------------------------------------------------------------ invalid values, one fault at a time

export type Fault =
  | { kind: 'missing'; at: string; key: string }
  | { kind: 'wrong-type'; at: string }
  | { kind: 'too-long'; at: string; maxLength: number }
  | { kind: 'unknown-key'; at: string; key: string }
  | { kind: 'not-xml-char'; at: string }
  | { kind: 'null'; at: string };

/** The places of a valid value where one fault can be put, with what each would be. */
export function faultSites(s: Schema, v: Json, at = '', nullable = false): { fault: Fault; apply: (root: Json) => Json }[] {
  const out: { fault: Fault; apply: (root: Json) => Json }[] = [];
  const set = (path: string, make: (old: Json) => Json | undefined) => (root: Json) => setAt(root, path, make);
  if (Array.isArray(s.anyOf) && s.type === undefined) {
    const alts = (s.anyOf as Schema[]).filter((a) => a.type !== 'null');
    const nillable = alts.length < (s.anyOf as Schema[]).length;
    if (v === null) return out;
    // nillable: the value's own faults; a union of simple types takes strings, numbers and booleans alike
    if (alts.length === 1) return faultSites(alts[0]!, v, at, nillable);
    const objectAlt = v && typeof v === 'object' && !Array.isArray(v) ? alts.find((x) => x.type === 'object' && ('#nil' in (x.properties ?? {})) === ('#nil' in v)) : undefined;
    if (objectAlt) return faultSites(objectAlt, v, at, true);
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, () => [{ zz: 1 }]) });
    if (at !== '' && !nillable && !nullable) out.push({ fault: { kind: 'null', at }, apply: set(at, () => null) });
    return out;
  }
  if (s.type === 'object' && v && typeof v === 'object' && !Array.isArray(v)) {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    // (without its #nil a nil element's object is one of its content: no fault)
    for (const k of ((s.required ?? []) as string[]).filter((x) => x !== '#nil')) {
      if (k in v) out.push({ fault: { kind: 'missing', at, key: k }, apply: set(at, (o) => Object.fromEntries(Object.entries(o as object).filter(([x]) => x !== k))) });
    }
    out.push({ fault: { kind: 'unknown-key', at, key: 'zzNoSuchKey' }, apply: set(at, (o) => ({ ...(o as object), zzNoSuchKey: 'x' })) });
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, () => 42) });
    for (const [k, x] of Object.entries(v)) if (props[k]) out.push(...faultSites(props[k]!, x, `${at}/${ptr(k)}`));
  } else if (s.const !== undefined && typeof v !== 'object') {
    // a fixed value (of a union too: "7" is the 7 of a union of an integer and a string): another kind only
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, () => ({ zz: 1 })) });
  } else if (s.type === 'array' && Array.isArray(v)) {
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, () => ({ zz: 1 })) });
    v.forEach((x, i) => out.push(...faultSites(s.items ?? {}, x, `${at}/${i}`)));
  } else if (s.type === 'string' && typeof v === 'string') {
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, () => 12) });
    if (s.contentMediaType !== 'application/xml') out.push({ fault: { kind: 'not-xml-char', at }, apply: set(at, (old) => `${old as string}\u0001`) });
    if (typeof s.maxLength === 'number' && s.maxLength < 1000 && !s.enum && s.const === undefined) out.push({ fault: { kind: 'too-long', at, maxLength: s.maxLength }, apply: set(at, () => 'Ж'.repeat(s.maxLength + 1)) });
  } else if (s.type === 'integer' || s.type === 'number') {
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, (old) => String(old)) });
    if (s.type === 'integer') out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, () => 0.5) });
  } else if (s.type === 'boolean') {
    out.push({ fault: { kind: 'wrong-type', at }, apply: set(at, (old) => String(old)) });
  }
  if (at !== '' && !nullable) out.push({ fault: { kind: 'null', at }, apply: set(at, () => null) });
  return out;
}

export const ptr = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
const unptr = (k: string) => k.replace(/~1/g, '/').replace(/~0/g, '~');

/** A copy of `root` with the value at a JSON pointer replaced (undefined: the key removed). */
export function setAt(root: Json, path: string, make: (old: Json) => Json | undefined): Json {
  if (path === '') return make(root) as Json;
  const [head, ...rest] = path.slice(1).split('/');
  const key = unptr(head!);
  const tail = rest.length ? `/${rest.join('/')}` : '';
  if (Array.isArray(root)) {
    const c = [...root];
    c[Number(key)] = setAt(c[Number(key)]!, tail, make);
    return c;
  }
  const c = { ...(root as Record<string, Json>) };
  const next = setAt(c[key]!, tail, make);
  if (next === undefined) delete c[key];
  else c[key] = next;
  return c;
}
