import Ajv2020 from 'ajv/dist/2020';
import { xml } from '../../src/xml/libxml';
import { isElement, parseUntrusted } from '../../src/xml/dom';
import type { Json, Schema } from './json-arbitrary';

/**
 * When a value that went JSON -> XML -> JSON came back the same (test/json-xml-properties.test.ts),
 * by the rules docs/rest.md states, guided by the value's JSON Schema:
 * - numbers by value: 1e21 is 1e+21, -0 is 0 (XML has one lexical form for each; JSON's is not kept);
 * - a union's value as XSD reads its text: the first member (in order) that takes it, its facets
 *   and all: "5" given for xs:int | xs:string is the int 5, 0 given for xs:boolean | xs:int is false;
 * - XML strings (xs:any, what the form does not expand) by their exclusive canonical form, element
 *   by element: prefixes, the order of attributes, `<a/>` or `<a></a>` and whitespace between
 *   the elements are the writer's, not the value;
 * - an optional array of no items is the key left out (no element is written for it);
 * - "" for an element declared with a default is that default (an empty element is its default);
 * - a fixed value (an attribute's, #text's) left out is written, and comes back;
 * - (in the test itself) the occurrences of a repeated group as the reader groups them, greedily,
 *   when both write the same XML;
 * - everything else exactly: strings character for character, decimals as written.
 * Returns where the two differ (a JSON pointer and both values), or undefined when they agree.
 */
export function difference(s: Schema, a: Json | undefined, b: Json | undefined, at = ''): string | undefined {
  const differ = () => `${at || '/'}: ${JSON.stringify(a)} came back as ${JSON.stringify(b)}`;
  if (a === undefined || b === undefined) return a === b ? undefined : differ();
  // an empty element whose declaration has a default is that default (XSD reads it so)
  if (a === '' && s.default !== undefined && b === s.default) return undefined;
  if (Array.isArray(s.anyOf) && s.type === undefined) {
    if (a === null || b === null) return a === b ? undefined : differ();
    const alts = (s.anyOf as Schema[]).filter((x) => x.type !== 'null');
    if (alts.length === 1) return difference(alts[0]!, a, b, at);
    // a union's value is its text read as the first member that takes it (0 given for boolean | int is false)
    if (typeof a !== 'object' && typeof b !== 'object') return unionValue(alts, a) === unionValue(alts, b) ? undefined : differ();
    // a nillable element with attributes: its content, or {"#nil": true, …}
    if (isObject(a) && isObject(b)) {
      const alt = alts.find((x) => x.type === 'object' && ('#nil' in (x.properties ?? {})) === ('#nil' in a));
      if (alt) return difference(alt, a, b, at);
    }
    return differ();
  }
  if (s.contentMediaType === 'application/xml' && typeof a === 'string' && typeof b === 'string') return canonicalXml(a) === canonicalXml(b) ? undefined : differ();
  if (s.type === 'object' && isObject(a) && isObject(b)) {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const keys = (o: Record<string, Json>) => Object.keys(o).filter((k) => !(Array.isArray(o[k]) && (o[k] as Json[]).length === 0 && props[k]?.type === 'array' && !(s.required ?? []).includes(k)));
    // a fixed value left out is written, and read back
    const fixed = (k: string) => !(k in a) && props[k]?.const !== undefined && b[k] === props[k]!.const;
    const ka = keys(a).sort();
    const kb = keys(b).filter((k) => !fixed(k)).sort();
    if (ka.join('\u0000') !== kb.join('\u0000')) return `${at || '/'}: keys ${JSON.stringify(ka)} came back as ${JSON.stringify(kb)}`;
    for (const k of ka) {
      const d = difference(props[k] ?? {}, a[k], b[k], `${at}/${k}`);
      if (d) return d;
    }
    return undefined;
  }
  if (s.type === 'array' && Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return differ();
    for (let i = 0; i < a.length; i++) {
      const d = difference(s.items ?? {}, a[i], b[i], `${at}/${i}`);
      if (d) return d;
    }
    return undefined;
  }
  return a === b ? undefined : differ();
}

/** A value with its empty strings that have a default read as that default (as they come back). */
export function withDefaults(s: Schema, v: Json): Json {
  if (v === '' && s.default !== undefined) return s.default as Json;
  if (Array.isArray(s.anyOf) && s.type === undefined) {
    const alts = (s.anyOf as Schema[]).filter((x) => x.type !== 'null');
    if (v === '' && alts.length > 1) return v;
    const alt = alts.find((x) => x.type === (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v === 'object' ? 'object' : x.type)) ?? alts[0];
    return alt ? withDefaults(alt, v) : v;
  }
  if (Array.isArray(v)) return v.map((x) => withDefaults(s.items ?? {}, x));
  // (an attribute's default is for an absent one: "" stays "")
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k.startsWith('@') ? x : withDefaults(((s.properties ?? {}) as Record<string, Schema>)[k] ?? {}, x)]));
  return v;
}

const ajv = new Ajv2020({ strict: false });
const validators = new WeakMap<Schema, (v: unknown) => boolean>();
const valid = (s: Schema, v: unknown) => {
  let f = validators.get(s);
  if (!f) validators.set(s, (f = ajv.compile(s)));
  return f(v);
};

/** A union member's value: its text as each member in turn reads it, the first that takes it. */
function unionValue(alts: Schema[], v: string | number | boolean): string | number | boolean {
  const raw = String(v);
  for (const alt of alts) {
    // the text as the member normalises it first (a token collapses its spaces: " " is the token "")
    const type = /^xs:(\w+)/.exec(String(alt['x-xsd'] ?? ''))?.[1];
    const text = alt.type !== 'string' || !type || type === 'string' ? raw : type === 'normalizedString' ? raw.replace(/[\t\n\r]/g, ' ') : raw.replace(/[ \t\n\r]+/g, ' ').replace(/^ | $/g, '');
    const as = alt.type === 'boolean' ? (/^(true|1)$/.test(text) ? true : /^(false|0)$/.test(text) ? false : undefined)
      : alt.type === 'integer' || alt.type === 'number' ? (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : undefined) : text;
    if (as !== undefined && valid(alt, as)) return as;
  }
  return raw;
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The elements of an XML fragment, each in exclusive C14N, joined (text between them dropped when blank). */
export function canonicalXml(fragment: string): string {
  const doc = parseUntrusted(Buffer.from(`<r>${fragment}</r>`, 'utf8'));
  try {
    const out: string[] = [];
    for (let c = doc.root.firstChild; c; c = c.next) {
      if (isElement(c)) out.push(c.canonicalizeToString({ mode: xml().XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 }));
      else if (c instanceof xml().XmlText && c.content.trim()) out.push(`#text ${c.content}`);
    }
    return out.join('');
  } finally {
    doc.dispose();
  }
}
