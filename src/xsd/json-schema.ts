import type { FormNode } from './form';

/**
 * The JSON form of an XSD element's value (docs/rest.md, "JSON from the XSD"), as a JSON Schema
 * 2020-12 (the dialect of OpenAPI 3.1), from the same form model the composer draws
 * (form.ts); json-xml.ts converts values both ways by the same rules:
 *
 * - an element of complex content is an object: its child elements by local name, its attributes
 *   as `@name`, in any key order (the XML is written in the schema's order);
 * - an element of simple content (or a simple type) is its value; with attributes it is an object
 *   with `#text` for the value and `@name` for the attributes;
 * - maxOccurs > 1: an array (always, even of one); minOccurs = 0: an optional key; the keys of
 *   an optional sequence are optional, each needing the sequence's required ones (dependentRequired);
 * - an xs:choice that occurs once adds its alternatives' keys to the parent (`oneOf` says one
 *   alternative's); a choice or sequence that repeats is an array under its form name
 *   (`#choice`, `#sequence`, `#choice2` …), one object per occurrence, so the order survives;
 * - xs:boolean → boolean; xs:int, short, byte, the unsigned ones and xs:integer and its kin →
 *   integer (minimum and maximum within ±(2^53 − 1), which JSON numbers hold exactly, and within
 *   totalDigits); xs:float, double → number; xs:decimal → a string of the
 *   decimal (the lexical form kept: "10.50" stays "10.50", no binary rounding); dates, times
 *   and everything else → string;
 * - xs:list → an array of its items; xs:union → anyOf its members;
 * - restrictions → enum, pattern (the XSD pattern anchored; left out, and said in x-xsd, where
 *   it uses XSD-only syntax; the patterns of the types restricted, and the type's lexical
 *   form, in allOf: a value matches them all), minLength/maxLength, minimum/maximum;
 * - nillable → null also allowed (xsi:nil="true"); an element with attributes may be nil with
 *   them, {"#nil": true, "@a": …} (the only way where one is required);
 * - xs:any, and an element the form did not expand (recursion beyond one level, size limits) →
 *   a string holding the XML (`#any` for a wildcard's elements, all of them in one string; the
 *   element itself, with its attributes, for one not expanded);
 * - an element whose local name another element of the same object has, in another namespace
 *   (a reference to another schema's): the key {namespace}name;
 * - xs:documentation → description.
 */
export type JsonSchema = Record<string, unknown>;

const SMALL_INTEGERS: Record<string, [number, number]> = {
  int: [-2147483648, 2147483647], short: [-32768, 32767], byte: [-128, 127],
  unsignedInt: [0, 4294967295], unsignedShort: [0, 65535], unsignedByte: [0, 255],
};
const INTEGERS = new Set(['integer', 'long', 'nonNegativeInteger', 'positiveInteger', 'nonPositiveInteger', 'negativeInteger', 'unsignedLong', ...Object.keys(SMALL_INTEGERS)]);
const INTEGER_BOUNDS: Record<string, { minimum?: number; maximum?: number }> = {
  nonNegativeInteger: { minimum: 0 }, positiveInteger: { minimum: 1 }, nonPositiveInteger: { maximum: 0 }, negativeInteger: { maximum: -1 }, unsignedLong: { minimum: 0 },
};

/** How a simple XSD type's value is written in JSON. */
export type JsonKind = 'boolean' | 'integer' | 'number' | 'string';

export function jsonKind(type: string | undefined): JsonKind {
  if (type === 'boolean') return 'boolean';
  if (type && INTEGERS.has(type)) return 'integer';
  if (type === 'float' || type === 'double') return 'number';
  return 'string';
}

// the lexical forms of XSD's builtins, as anchored ECMAScript patterns (u flag): what JSON Schema can say of a value before the XSD judges it
const YEAR = '-?(?:[1-9]\\d{4,}|(?!0000)\\d{4})';
const MONTH = '(?:0[1-9]|1[0-2])';
const DAY = '(?:0[1-9]|[12]\\d|3[01])';
const CLOCK = '(?:(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?|24:00:00(?:\\.0+)?)';
const ZONE = '(?:Z|[+-](?:(?:0\\d|1[0-3]):[0-5]\\d|14:00))?';
// XML 1.0 (fifth edition) names, without the colon
const NAME_START = 'A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = `^[${NAME_START}][${NAME_CHAR}]*$`;
const LEXICAL: Record<string, string> = {
  decimal: '^[+-]?(\\d+(\\.\\d*)?|\\.\\d+)$',
  date: `^${YEAR}-${MONTH}-${DAY}${ZONE}$`,
  dateTime: `^${YEAR}-${MONTH}-${DAY}T${CLOCK}${ZONE}$`,
  time: `^${CLOCK}${ZONE}$`,
  gYear: `^${YEAR}${ZONE}$`,
  gYearMonth: `^${YEAR}-${MONTH}${ZONE}$`,
  gMonth: `^--${MONTH}${ZONE}$`,
  gDay: `^---${DAY}${ZONE}$`,
  gMonthDay: `^--${MONTH}-${DAY}${ZONE}$`,
  duration: '^-?P(?=\\d|T\\d)(?:\\d+Y)?(?:\\d+M)?(?:\\d+D)?(?:T(?=\\d)(?:\\d+H)?(?:\\d+M)?(?:\\d+(?:\\.\\d+)?S)?)?$',
  hexBinary: '^(?:[0-9a-fA-F]{2})*$',
  base64Binary: '^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=|[A-Za-z0-9+/][AQgw]==)?$',
  NCName: NCNAME, ID: NCNAME, IDREF: NCNAME, ENTITY: NCNAME,
  Name: `^[:${NAME_START}][:${NAME_CHAR}]*$`,
  NMTOKEN: `^[:${NAME_CHAR}]+$`,
  language: '^[a-zA-Z]{1,8}(?:-[a-zA-Z0-9]{1,8})*$',
  // a URI reference as libxml2 takes it, a little stricter: a colon in the first segment only after a scheme, a fragment once, % escapes whole, no brackets
  anyURI: '^(?:[A-Za-z][A-Za-z0-9+.\\-]*:|(?![^/?#]*:))(?:[^#%\\[\\]]|%[0-9A-Fa-f]{2})*(?:#(?:[^#%\\[\\]]|%[0-9A-Fa-f]{2})*)?$',
};

/** How XSD normalises a value's whitespace before judging it (its whiteSpace facet, else its builtin's). */
export function whiteSpaceOf(n: FormNode): 'preserve' | 'replace' | 'collapse' {
  if (n.whiteSpace) return n.whiteSpace;
  if (!n.type || n.type === 'string' || n.type === 'anySimpleType' || n.type === 'xml') return 'preserve';
  return n.type === 'normalizedString' ? 'replace' : 'collapse';
}

export const LIST_ITEM = '^[^ \\t\\n\\r]+$';

/** A string whitespace normalisation leaves as it is: its JSON value is the XSD's value (lengths and patterns judge the same text). */
export const NORMAL: Record<'replace' | 'collapse', string> = { replace: '^[^\\t\\n\\r]*$', collapse: '^(?:[^ \\t\\n\\r]+(?: [^ \\t\\n\\r]+)*)?$' };

/**
 * An XSD pattern as an ECMAScript one (JSON Schema patterns are unanchored ECMA-262 with the
 * u flag; XSD patterns match the whole value). Undefined when it uses XSD-only syntax (\i, \c,
 * \p{IsBlock}, class subtraction) or does not compile.
 */
export function ecmaPattern(xsd: string): string | undefined {
  if (/\\[icIC]|\\p\{Is|\\P\{Is|-\[/.test(xsd)) return undefined;
  const p = `^(?:${xsd})$`;
  try {
    new RegExp(p, 'u');
    return p;
  } catch {
    return undefined;
  }
}

/** A value of a simple type (a field's text, an attribute, a list item, a union member) as JSON. */
export function scalarSchema(n: FormNode): JsonSchema {
  if (n.members?.length && !n.enumeration && n.fixed !== undefined) {
    // a fixed value of a union: of the member that takes it
    const m = n.members.find((x) => accepts(x, n.fixed!)) ?? n.members[0]!;
    return withDoc({ ...scalarSchema({ ...m, documentation: undefined }), const: toJsonScalar(jsonKind(m.type), normalised(m, n.fixed)) }, n);
  }
  if (n.members?.length && !n.enumeration) {
    const alts = n.members.map((m) => scalarSchema({ ...m, documentation: undefined }));
    const distinct = alts.filter((a, i) => alts.findIndex((b) => JSON.stringify(a) === JSON.stringify(b)) === i);
    const s: JsonSchema = distinct.length === 1 ? { ...distinct[0]! } : { anyOf: distinct };
    if (n.default !== undefined) {
      // of the member that takes it, as it is read
      const m = n.members.find((x) => accepts(x, n.default!)) ?? n.members[0]!;
      s.default = toJsonScalar(jsonKind(m.type), normalised(m, n.default));
    }
    return withDoc(s, n);
  }
  if (n.list) {
    const items = scalarSchema({ ...(n.item ?? { ...n, list: undefined, type: 'string' }), documentation: undefined });
    // whitespace separates a list's items: an item of text holds none, and is not empty
    if (items.type === 'string' || items.anyOf) {
      if (typeof items.pattern === 'string' || items.anyOf) items.allOf = [...((items.allOf as JsonSchema[]) ?? []), { pattern: LIST_ITEM }];
      else items.pattern = LIST_ITEM;
    }
    const s: JsonSchema = { type: 'array', items };
    if (n.minLength !== undefined) s.minItems = n.minLength;
    if (n.maxLength !== undefined) s.maxItems = n.maxLength;
    const kind = jsonKind(n.item?.type ?? 'string');
    const value = (v: string) => v.split(/[ \t\n\r]+/).filter(Boolean).map((x) => toJsonScalar(kind, x));
    if (n.fixed !== undefined) s.const = value(n.fixed);
    else if (n.default !== undefined) s.default = value(n.default);
    return withDoc(s, n);
  }
  const kind = jsonKind(n.type);
  const s: JsonSchema = { type: kind };
  if (n.fixed !== undefined) s.const = toJsonScalar(kind, n.fixed);
  else if (n.enumeration?.length) s.enum = n.enumeration.map((v) => toJsonScalar(kind, v));
  if (kind === 'integer' || kind === 'number') {
    const b = n.type ? SMALL_INTEGERS[n.type] : undefined;
    if (b) [s.minimum, s.maximum] = b;
    Object.assign(s, n.type ? INTEGER_BOUNDS[n.type] : undefined);
    const num = (v: string | undefined) => (v !== undefined && Number.isFinite(Number(v)) ? Number(v) : undefined);
    if (num(n.minInclusive) !== undefined) s.minimum = num(n.minInclusive);
    if (num(n.maxInclusive) !== undefined) s.maximum = num(n.maxInclusive);
    if (num(n.minExclusive) !== undefined) s.exclusiveMinimum = num(n.minExclusive);
    if (num(n.maxExclusive) !== undefined) s.exclusiveMaximum = num(n.maxExclusive);
    if (kind === 'integer') {
      // what the conversion takes: a JSON number holds integers exactly to 2^53 only; totalDigits bounds it too
      const limit = Math.min(Number.MAX_SAFE_INTEGER, n.totalDigits !== undefined ? 10 ** n.totalDigits - 1 : Infinity);
      s.minimum = Math.max(typeof s.minimum === 'number' ? s.minimum : -limit, -limit);
      s.maximum = Math.min(typeof s.maximum === 'number' ? s.maximum : limit, limit);
    }
  } else if (kind === 'string') {
    // the length facets of binary types count octets: two hex digits each; base64's text length is not the octets' (the note says them)
    const chars = n.type === 'hexBinary' ? 2 : n.type === 'base64Binary' ? 0 : 1;
    if (n.minLength !== undefined && chars) s.minLength = n.minLength * chars;
    if (n.maxLength !== undefined && chars) s.maxLength = n.maxLength * chars;
    // a value matches every pattern: its own, those of the types it restricts, its type's lexical form
    const xsdPatterns = [n.pattern, ...(n.basePatterns ?? [])].filter((p): p is string => p !== undefined);
    const ws = whiteSpaceOf(n);
    const free = !!s.enum || s.const !== undefined;
    const lexical = free || !n.type ? undefined : LEXICAL[n.type];
    // the normal form, where the lexical one does not exclude whitespace already (an anyURI may hold spaces, not at its ends)
    const normal = free || ws === 'preserve' || (lexical && n.type !== 'anyURI') ? undefined : NORMAL[ws];
    const patterns = [...new Set([...xsdPatterns.map(ecmaPattern), lexical, normal].filter((p): p is string => p !== undefined))];
    if (patterns.length) s.pattern = patterns[0];
    if (patterns.length > 1) s.allOf = patterns.slice(1).map((pattern) => ({ pattern }));
    const notes: string[] = [];
    if (n.type && n.type !== 'string') notes.push(`xs:${n.type}`);
    for (const p of xsdPatterns) if (!ecmaPattern(p)) notes.push(`XSD pattern ${p}`);
    for (const f of ['minInclusive', 'maxInclusive', 'minExclusive', 'maxExclusive'] as const) if (n[f] !== undefined) notes.push(`${f} ${n[f]}`);
    if (chars !== 1 && (n.minLength !== undefined || n.maxLength !== undefined)) {
      notes.push(n.minLength === n.maxLength ? `length ${n.minLength} octets` : `${n.minLength !== undefined ? `minLength ${n.minLength} octets` : ''}${n.minLength !== undefined && n.maxLength !== undefined ? '; ' : ''}${n.maxLength !== undefined ? `maxLength ${n.maxLength} octets` : ''}`);
    }
    if (n.totalDigits !== undefined) notes.push(`totalDigits ${n.totalDigits}`);
    if (n.fractionDigits !== undefined) notes.push(`fractionDigits ${n.fractionDigits}`);
    if (notes.length) s['x-xsd'] = notes.join('; ');
  }
  if (n.default !== undefined && s.const === undefined) s.default = toJsonScalar(kind, n.default);
  return withDoc(s, n);
}

const compiled = new Map<string, RegExp>();
const regex = (p: string) => compiled.get(p) ?? compiled.set(p, new RegExp(p, 'u')).get(p)!;
// (INF and NaN are doubles JSON has no number for: a union reads them as a member that takes them as text)
const NUMBER_FORMS: Record<Exclude<JsonKind, 'string'>, string> = {
  boolean: '^(?:true|false|1|0)$', integer: '^[+-]?\\d+$', number: '^(?:[+-]?(?:\\d+(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?)$',
};

/** Without XML's whitespace at the ends (String.trim takes a no-break space and others too, which are characters to XSD). */
export const xmlTrim = (t: string): string => t.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');

/** A text as XSD normalises its whitespace for a type. */
export function normalised(n: FormNode, text: string): string {
  const ws = whiteSpaceOf(n);
  return ws === 'collapse' ? xmlTrim(text.replace(/[ \t\n\r]+/g, ' ')) : ws === 'replace' ? text.replace(/[\t\n\r]/g, ' ') : text;
}

/**
 * Whether a simple type takes a text: its lexical form and its facets (enumeration, patterns,
 * lengths, ranges, digits), as far as they are read here (an XSD-only pattern is not judged). A
 * union's value is of its first member that takes it, as XSD reads it.
 */
export function accepts(n: FormNode, text: string): boolean {
  if (n.list) {
    const items = text.split(/[ \t\n\r]+/).filter(Boolean);
    if ((n.minLength !== undefined && items.length < n.minLength) || (n.maxLength !== undefined && items.length > n.maxLength)) return false;
    const item = n.item ?? { ...n, list: undefined, type: 'string' };
    return items.every((x) => accepts(item, x));
  }
  if (n.members?.length && !n.enumeration) return n.members.some((m) => accepts(m, text));
  const v = normalised(n, text);
  if (n.enumeration && !n.enumeration.includes(v)) return false;
  const kind = jsonKind(n.type);
  if (kind !== 'string' && !regex(NUMBER_FORMS[kind]).test(v)) return false;
  const lexical = n.type ? LEXICAL[n.type] : undefined;
  if (lexical && !regex(lexical).test(v)) return false;
  for (const p of [n.pattern, ...(n.basePatterns ?? [])]) {
    const e = p === undefined ? undefined : ecmaPattern(p);
    if (e && !regex(e).test(v)) return false;
  }
  if (kind === 'string') {
    // the binary types' lengths count octets
    const b64 = v.replace(/[ =]/g, '');
    const len = n.type === 'hexBinary' ? v.length / 2 : n.type === 'base64Binary' ? Math.floor((b64.length * 3) / 4) : [...v].length;
    if ((n.minLength !== undefined && len < n.minLength) || (n.maxLength !== undefined && len > n.maxLength)) return false;
  }
  if (kind === 'integer' || kind === 'number' || n.type === 'decimal') {
    const x = Number(v);
    const b = kind === 'integer' ? { ...(n.type ? INTEGER_BOUNDS[n.type] : {}), ...(n.type && SMALL_INTEGERS[n.type] ? { minimum: SMALL_INTEGERS[n.type]![0], maximum: SMALL_INTEGERS[n.type]![1] } : {}) } : {};
    const num = (f: string | undefined) => (f !== undefined && Number.isFinite(Number(f)) ? Number(f) : undefined);
    const lo = num(n.minInclusive) ?? b.minimum;
    const hi = num(n.maxInclusive) ?? b.maximum;
    if ((lo !== undefined && x < lo) || (hi !== undefined && x > hi)) return false;
    if ((num(n.minExclusive) !== undefined && x <= num(n.minExclusive)!) || (num(n.maxExclusive) !== undefined && x >= num(n.maxExclusive)!)) return false;
    if (n.totalDigits !== undefined || n.fractionDigits !== undefined) {
      const [int = '', frac = ''] = v.replace(/^[+-]/, '').split('.');
      const digits = `${int.replace(/^0+/, '')}${frac.replace(/0+$/, '')}`.length;
      if ((n.totalDigits !== undefined && digits > n.totalDigits) || (n.fractionDigits !== undefined && frac.replace(/0+$/, '').length > n.fractionDigits)) return false;
    }
  }
  return true;
}

/** The lexical value of an XSD simple type as the JSON value it maps to (the enumeration and defaults of a schema). */
export function toJsonScalar(kind: JsonKind, v: string): string | number | boolean {
  const t = xmlTrim(v);
  if (kind === 'boolean') return t === 'true' || t === '1';
  if ((kind === 'integer' || kind === 'number') && t !== '' && Number.isFinite(Number(t))) return Number(t);
  return v;
}

function withDoc(s: JsonSchema, n: FormNode): JsonSchema {
  if (n.documentation) return { ...s, description: n.documentation };
  return s;
}

const XML_STRING = (what: string): JsonSchema => ({ type: 'string', contentMediaType: 'application/xml', description: what });

/** The JSON Schema of one occurrence of an element (its value). */
export function elementSchema(n: FormNode): JsonSchema {
  let s: JsonSchema;
  if (n.recursive || n.truncated) s = { ...XML_STRING(`the XML of the ${n.name} element itself, its attributes and content (the schema encloses it in itself too deep, or is too large, to describe here)`), 'x-xsd': `element {${n.ns}}${n.name}, not expanded` };
  else if (n.unresolved) s = { type: 'string', description: n.unresolved };
  else if (n.kind === 'field' && !n.attributes?.length) s = scalarSchema({ ...n, documentation: undefined });
  else {
    const o = new ObjectSchema();
    for (const a of n.attributes ?? []) {
      o.props[`@${a.name}`] = scalarSchema(a);
      if (a.minOccurs > 0 && a.fixed === undefined) o.required.push(`@${a.name}`);
    }
    if (n.mixed) o.mixed = true;
    if (n.kind === 'field') {
      o.props['#text'] = scalarSchema({ ...n, attributes: undefined, documentation: undefined });
      // the value is there whenever the element is (read back always); only a fixed one may be left out
      if (n.fixed === undefined) o.required.push('#text');
    }
    else o.content(n.children ?? []);
    s = o.schema();
  }
  if (n.documentation && s.description !== n.documentation) s = { ...s, description: s.description ? `${n.documentation}\n${s.description}` : n.documentation };
  if (n.nillable && n.fixed === undefined) {
    // nil (xsi:nil="true"; never an element with a fixed value, XSD 1.0 cvc-elt.3.2.2): null, or where the element has attributes an object of them with "#nil": true (a required one needs it)
    const alts: JsonSchema[] = [s];
    if (n.attributes?.some((a) => a.fixed === undefined)) alts.push(nilObject(n));
    if (!n.attributes?.some((a) => a.minOccurs > 0 && a.fixed === undefined)) alts.push({ type: 'null', description: 'xsi:nil="true"' });
    s = { anyOf: alts, ...(s.description ? { description: s.description } : {}) };
  }
  return s;
}

/** A nil element with its attributes: {"#nil": true, "@a": …}. */
function nilObject(n: FormNode): JsonSchema {
  const o = new ObjectSchema();
  o.props['#nil'] = { const: true, description: 'xsi:nil="true": the element has no content, only these attributes' };
  o.required.push('#nil');
  for (const a of n.attributes ?? []) {
    o.props[`@${a.name}`] = scalarSchema(a);
    if (a.minOccurs > 0 && a.fixed === undefined) o.required.push(`@${a.name}`);
  }
  // with an attribute of its own at least: a nil element without any (or with fixed ones only) is null
  const own = (n.attributes ?? []).filter((a) => a.fixed === undefined).map((a) => `@${a.name}`);
  if (!own.some((k) => o.required.includes(k))) o.allOf.push({ anyOf: own.map((k) => ({ required: [k] })) });
  return o.schema();
}

/**
 * The JSON Schema of a form's root value: an element's value, or for a synthetic AppData root
 * (several elements under AppData) the object of its content.
 */
export function rootSchema(form: FormNode): JsonSchema {
  if (form.appData) {
    const o = new ObjectSchema();
    o.content(form.children ?? []);
    const empty = form.children?.length === 0 ? 'smev:AppData is empty in this operation (its schema allows no content): send {}' : undefined;
    const description = [form.documentation, empty].filter(Boolean).join('\n');
    return { ...o.schema(), ...(description ? { description } : {}) };
  }
  return elementSchema(form);
}

/** The keys an object value of a content model may have, built up particle by particle. */
class ObjectSchema {
  readonly props: Record<string, JsonSchema> = {};
  readonly required: string[] = [];
  readonly allOf: JsonSchema[] = [];
  mixed = false;

  content(particles: FormNode[]): void {
    collect(particles, this.props, this.required, this.allOf);
  }

  schema(): JsonSchema {
    const s: JsonSchema = { type: 'object', properties: this.props, additionalProperties: false };
    // deliberately not carried: the text of mixed content (JSON of elements only); reading refuses it
    if (this.mixed) s.description = 'mixed content (xs:complexType mixed="true"): the text between the elements is not carried in JSON; an answer holding some is refused as JSON (GW-6008), ask for application/xml';
    if (this.required.length) s.required = [...new Set(this.required)];
    if (this.allOf.length) s.allOf = this.allOf;
    return s;
  }
}

function collect(particles: FormNode[], props: Record<string, JsonSchema>, required: string[] | undefined, allOf: JsonSchema[]): void {
  for (const p of particles) {
    if (p.any) {
      const strict = p.processContents === 'strict' ? '; each must be an element the service\'s schemas declare (processContents strict)' : '';
      const where = p.ns === '##any' ? 'any namespace' : p.otherThan !== undefined ? `a namespace other than ${p.otherThan || 'none'} (and not none)` : `namespace ${p.ns}`;
      props[p.name] = { ...XML_STRING(`XML of ${p.maxOccurs === 1 ? 'an element' : 'elements'} of ${where} (xs:any), written as given${strict}`),
        'x-xsd': `namespace ${p.ns}; processContents ${p.processContents ?? 'strict'}; elements ${p.minOccurs}..${p.maxOccurs ?? 'unbounded'}` };
      if (p.minOccurs > 0) required?.push(p.name);
    } else if (p.compositor && p.maxOccurs !== 1) {
      const item = new ObjectSchema();
      if (p.compositor === 'choice') item.allOf.push(...choiceConstraint({ ...p, minOccurs: 1, maxOccurs: 1 }, item.props));
      else item.content(p.children ?? []);
      // an occurrence that can be empty leaves nothing in the XML to read back: an item has a key at least, and none is needed
      const empty = emptiable({ ...p, minOccurs: 1 });
      const items = empty ? { ...item.schema(), minProperties: 1 } : item.schema();
      props[p.name] = arrayOf(items, empty ? { ...p, minOccurs: 0 } : p, `each item one occurrence of the ${p.compositor === 'choice' ? 'xs:choice' : 'xs:sequence'}`);
      if (p.minOccurs > 0 && !empty) required?.push(p.name);
    } else if (p.compositor === 'choice') {
      allOf.push(...choiceConstraint(p, props));
    } else if (p.compositor === 'sequence') {
      const before = new Set(Object.keys(props));
      const inner: string[] = [];
      collect(p.children ?? [], props, inner, allOf);
      if (p.minOccurs > 0) required?.push(...inner);
      else {
        // an optional sequence: its keys are optional, but one of them given needs the sequence's required ones
        const deps = Object.keys(props).filter((k) => !before.has(k)).map((k) => [k, inner.filter((r) => r !== k)] as const).filter(([, d]) => d.length);
        if (deps.length) allOf.push({ dependentRequired: Object.fromEntries(deps) });
      }
    } else {
      const one = elementSchema(p);
      props[jsonKey(p)] = p.maxOccurs === 1 ? one : arrayOf(one, p);
      if (p.minOccurs > 0) required?.push(jsonKey(p));
    }
  }
}

/** An element's key in its parent's object: its local name, {namespace}name where another of the content has that name (form.ts). */
export const jsonKey = (p: FormNode): string => p.key ?? p.name;

/** Whether a particle can match no element at all (optional, or of such content only). */
export function emptiable(p: FormNode): boolean {
  if (p.minOccurs === 0) return true;
  if (p.compositor === 'sequence') return (p.children ?? []).every(emptiable);
  if (p.compositor === 'choice') return (p.children ?? []).some(emptiable);
  return false;
}

function arrayOf(items: JsonSchema, p: FormNode, note?: string): JsonSchema {
  const s: JsonSchema = { type: 'array', items };
  if (p.minOccurs > 0) s.minItems = p.minOccurs;
  if (p.maxOccurs !== null) s.maxItems = p.maxOccurs;
  if (note) s.description = p.documentation ? `${p.documentation} (${note})` : note;
  return s;
}

/** The keys each alternative of a choice sets: its own, and the ones only it has. */
function choiceConstraint(p: FormNode, props: Record<string, JsonSchema>): JsonSchema[] {
  const alts = (p.children ?? []).map((alt) => {
    const own: Record<string, JsonSchema> = {};
    const req: string[] = [];
    const inner: JsonSchema[] = [];
    collect([{ ...alt, minOccurs: Math.max(1, alt.minOccurs) }], own, req, inner);
    Object.assign(props, own);
    return { keys: Object.keys(own), req, inner };
  });
  if (alts.length < 2) {
    const a = alts[0];
    if (!a) return [];
    const present: JsonSchema[] = [...(a.req.length ? [{ required: a.req }] : []), ...a.inner];
    if (p.minOccurs > 0 || !present.length || !a.keys.length) return present.length && p.minOccurs > 0 ? present : [];
    // an optional choice of one alternative: none of its keys, or the alternative as it must be (its own choices too)
    return [{ anyOf: [{ not: { anyOf: a.keys.map((k) => ({ required: [k] })) } }, present.length === 1 ? present[0]! : { allOf: present }] }];
  }
  const all = new Set(alts.flatMap((a) => a.keys));
  const subs = alts.map((a, i) => {
    const others = [...new Set(alts.filter((_, j) => j !== i).flatMap((b) => b.keys))].filter((k) => !a.keys.includes(k));
    const s: JsonSchema = {};
    if (a.req.length) s.required = a.req;
    if (others.length) s.not = { anyOf: others.map((k) => ({ required: [k] })) };
    if (a.inner.length) s.allOf = a.inner;
    return s;
  });
  const loose = alts.filter((a) => !a.req.length).length;
  if (p.minOccurs === 0 && loose === 0) subs.push({ not: { anyOf: [...all].map((k) => ({ required: [k] })) } });
  // alternatives that require nothing cannot be told apart by their keys: one of them at least
  return [loose > 1 || (p.minOccurs === 0 && loose > 0) ? { anyOf: subs } : { oneOf: subs }];
}
