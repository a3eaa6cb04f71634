// The REST facade's JSON <-> XML core (src/xsd/json-schema.ts, json-xml.ts; docs/rest.md): for
// every operation of the demo bundles (wsdl/), of the corpus bundles and of a synthetic bundle
// of every construct (test/data/rest), request and answer: XML -> JSON -> XML of the sample and
// JSON -> XML -> JSON of a value with the optional parts filled in, each JSON checked against
// the generated JSON Schema by Ajv (2020-12) and each XML by the bundle's own XSD (libxml2, as
// the payload control compiles it).
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { loadXml } from '../src/xml/libxml';
import type { Service } from '../src/registry/load';
import { compileBundleSchemas, type CompiledSchema } from '../src/control/schemas';
import { ComposerModels, type OperationModel } from '../src/xsd/model';
import type { FormNode } from '../src/xsd/form';
import { sampleValue } from '../src/xsd/sample';
import { jsonKind, rootSchema, scalarSchema, toJsonScalar, ecmaPattern } from '../src/xsd/json-schema';
import { jsonToXml, xmlToJson, ConvertError } from '../src/xsd/json-xml';
import { rmSync } from 'node:fs';
import { CORPUS, ROOT, corpusAvailable } from './support/paths';
import { writeBundle, type Builtin, type ComplexT, type ParticleT, type TypeT } from './support/xsd-arbitrary';
import { corpusCases, corpusService, useDemoCases, xsdErrors, type Case } from './support/operation-cases';

const ajv = new Ajv2020({ strict: false, allErrors: true });

function schemaErrors(form: FormNode, value: unknown): string[] {
  const validate = ajv.compile(rootSchema(form));
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/** A value of a form with its optional parts filled in (twice where it repeats); `variant` picks choices' alternatives and null for nillable. */
function fullJson(form: FormNode, variant: number): unknown {
  let seq = 0;
  const scalar = (n: FormNode): unknown => {
    if (n.list) {
      const item = n.item ?? { ...n, list: undefined };
      const count = Math.max(n.minLength ?? 0, Math.min(2, n.maxLength ?? 2));
      return Array.from({ length: count }, () => scalar(item));
    }
    const kind = jsonKind(n.members?.length && !n.enumeration ? n.members[0]!.type : n.type);
    return toJsonScalar(kind, sampleValue(n, ++seq));
  };
  const usable = (n: FormNode) => !n.recursive && !n.truncated && !n.unresolved;
  const value = (n: FormNode, v: number): unknown => {
    if (n.nillable && v % 2 === 1 && !n.attributes?.some((a) => a.minOccurs > 0)) return null;
    if (n.kind === 'field' && !n.attributes?.length) return scalar(n);
    const o: Record<string, unknown> = {};
    for (const a of n.attributes ?? []) if (a.minOccurs > 0 || v === 0) o[`@${a.name}`] = a.fixed !== undefined ? toJsonScalar(jsonKind(a.type), a.fixed) : scalar(a);
    if (n.kind === 'field') o['#text'] = scalar({ ...n, attributes: undefined });
    else content(n.children ?? [], o, v);
    return o;
  };
  const content = (ps: FormNode[], o: Record<string, unknown>, v: number) => {
    for (const p of ps) {
      if (p.any) {
        // an optional wildcard is left out (its processContents may be strict); a required one gets an element of a namespace of its own
        if (p.minOccurs > 0) o[p.name] = '<ext:Extension xmlns:ext="urn:smev2-gateway:test-any">x</ext:Extension>';
        continue;
      }
      if (p.compositor && p.maxOccurs !== 1) {
        const n = Math.min(2, p.maxOccurs ?? 2);
        o[p.name] = Array.from({ length: n }, (_, i) => {
          const item: Record<string, unknown> = {};
          content([{ ...p, minOccurs: 1, maxOccurs: 1 }], item, v + i);
          return item;
        });
      } else if (p.compositor === 'choice') {
        const alts = (p.children ?? []).filter((a) => !a.any && usable(a));
        const alt = alts[v % Math.max(1, alts.length)];
        if (alt) content([{ ...alt, minOccurs: Math.max(1, alt.minOccurs) }], o, v);
      } else if (p.compositor === 'sequence') content(p.children ?? [], o, v);
      else if (p.unresolved) o[p.name] = p.maxOccurs === 1 ? 'x' : ['x']; // a type the bundle lacks: its text
      else if (usable(p)) {
        const n = p.maxOccurs === 1 ? 1 : Math.max(p.minOccurs, Math.min(2, p.maxOccurs ?? 2));
        const vals = Array.from({ length: n }, (_, i) => value(p, v + i));
        o[p.name] = p.maxOccurs === 1 ? vals[0] : vals;
      }
    }
  };
  if (form.appData) {
    const o: Record<string, unknown> = {};
    content(form.children ?? [], o, variant);
    return o;
  }
  return value(form, variant);
}

/** Both round trips of one operation model; the problems found, for one report over all. */
function roundTrips(c: Case): string[] {
  const problems: string[] = [];
  const say = (what: string, detail: unknown) => problems.push(`${c.name}: ${what}: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`);
  const { m } = c;
  try {
    ajv.compile(rootSchema(m.form));
  } catch (e) {
    say('the JSON Schema does not compile', (e as Error).message);
    return problems;
  }
  // XML -> JSON -> XML: the sample
  try {
    const j1 = xmlToJson(m.form, m.sample);
    const e1 = schemaErrors(m.form, j1);
    if (e1.length) say('the sample\'s JSON fails the JSON Schema', e1);
    const x2 = jsonToXml(m.form, j1, m.prefixes);
    if (c.schema) {
      const e2 = xsdErrors(c.schema, m, x2);
      if (e2.length) say('the sample back to XML fails the XSD', e2);
    }
    const j2 = xmlToJson(m.form, x2);
    if (JSON.stringify(j2) !== JSON.stringify(j1)) say('XML -> JSON -> XML -> JSON changed the value', { j1, j2 });
  } catch (e) {
    say('the sample did not convert', (e as Error).message);
  }
  // JSON -> XML -> JSON: optional parts filled in, two variants (another alternative of each choice, null where nillable)
  for (const variant of [0, 1]) {
    try {
      const j = fullJson(m.form, variant);
      const e1 = schemaErrors(m.form, j);
      if (e1.length) say(`variant ${variant}'s JSON fails the JSON Schema`, e1);
      const x = jsonToXml(m.form, j, m.prefixes);
      if (c.schema) {
        const e2 = xsdErrors(c.schema, m, x);
        if (e2.length) say(`variant ${variant}'s XML fails the XSD`, { errors: e2.slice(0, 3), xml: x.slice(0, 1500) });
      }
      const back = xmlToJson(m.form, x);
      if (JSON.stringify(back) !== JSON.stringify(j)) say(`variant ${variant}: JSON -> XML -> JSON changed the value`, { j, back });
    } catch (e) {
      say(`variant ${variant} did not convert`, (e as Error).message);
    }
  }
  return problems;
}

beforeAll(async () => {
  await loadXml();
});

describe('the synthetic bundle of every construct (test/data/rest)', () => {
  let s: Service;
  let schema: CompiledSchema;
  let req: OperationModel;
  let ans: OperationModel;
  beforeAll(() => {
    s = corpusService(join(ROOT, 'test', 'data', 'rest'), 'Rest.wsdl', 1);
    schema = compileBundleSchemas(s.sid, s.bundle, {});
    const models = new ComposerModels();
    req = models.operation(s, 'submit');
    ans = models.answer(s, 'submit');
  });
  afterAll(() => schema.dispose());

  test('the JSON Schema: types, arrays, optional keys, choices, lists, unions, restrictions, nillable, any, descriptions', () => {
    const js = rootSchema(req.form) as any;
    expect(js.description).toBe('A request of every construct');
    expect(js.type).toBe('object');
    expect(js.additionalProperties).toBe(false);
    const p = js.properties;
    expect(p.Count).toEqual({ type: 'integer', minimum: -2147483648, maximum: 2147483647, description: 'How many' });
    // xs:integer: what a JSON number holds exactly
    expect(p.Big).toEqual({ type: 'integer', minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
    expect(p.Ratio).toEqual({ type: 'number' });
    expect(p.Active).toEqual({ type: 'boolean' });
    expect(p.Born).toMatchObject({ type: 'string', pattern: expect.stringContaining('\\d{4,}') });
    // simple content with an attribute: #text and @currency; a decimal is a string of its lexical form
    expect(p.Sum).toMatchObject({ type: 'object', description: 'An amount with its currency', required: ['@currency', '#text'], properties: { '@currency': { type: 'string' }, '#text': { type: 'string', pattern: expect.any(String), 'x-xsd': expect.stringContaining('minInclusive 0') } } });
    expect(p.Level).toEqual({ type: 'integer', enum: [1, 2, 3], minimum: -2147483648, maximum: 2147483647 });
    expect(p.Code).toMatchObject({ type: 'string', minLength: 5, maxLength: 5, pattern: '^(?:[A-Z]{2}\\d{3})$' });
    expect(p.Tag).toEqual({ type: 'array', items: { type: 'string' }, maxItems: 3 });
    expect(p.Ints).toMatchObject({ type: 'array', items: { type: 'integer' } });
    expect(p.When.anyOf).toEqual([expect.objectContaining({ type: 'string', pattern: expect.any(String) }), { type: 'string', enum: ['today', 'never'] }]);
    expect(p.Middle).toEqual({ anyOf: [{ type: 'string' }, { type: 'null', description: 'xsi:nil="true"' }] });
    expect(p.Extra.properties['#any']).toMatchObject({ type: 'string', contentMediaType: 'application/xml', 'x-xsd': 'namespace ##other; processContents lax; elements 0..unbounded' });
    expect(p['#choice2']).toMatchObject({ type: 'array', items: { type: 'object', properties: { Phone: { type: 'string' }, Email: { type: 'string' } } } });
    expect(p['@id']).toEqual({ type: 'string' });
    expect(js.required).toEqual(['@id', 'Count', 'Sum', 'Active', 'Level', 'Middle']);
    // the choice once: its keys in the object, one alternative's by oneOf
    expect(js.allOf).toEqual([{ oneOf: [
      { required: ['Inn'], not: { anyOf: [{ required: ['Series'] }, { required: ['Number'] }] } },
      { required: ['Series', 'Number'], not: { anyOf: [{ required: ['Inn'] }] } },
    ] }]);
  });

  test('XML -> JSON: each construct as docs/rest.md says', () => {
    const xml = `<t:Request xmlns:t="urn:rest-test" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="r1" version="2">
      <t:Count>7</t:Count><t:Sum currency="RUB">10.50</t:Sum><t:Active>1</t:Active><t:Level>2</t:Level><t:Tag>a</t:Tag><t:Tag>b</t:Tag>
      <t:Series>12 34</t:Series><t:Number>567890</t:Number><t:Email>a@b.c</t:Email><t:Phone>+7</t:Phone><t:Email>d@e.f</t:Email>
      <t:Ints> 1  2 3 </t:Ints><t:When>never</t:When><t:Middle xsi:nil="true"/><t:Extra><x:Any xmlns:x="urn:x" a="1">v</x:Any><x:More xmlns:x="urn:x"/></t:Extra></t:Request>`;
    expect(xsdErrors(schema, req, xml)).toEqual([]);
    const j = xmlToJson(req.form, xml) as any;
    expect(j).toEqual({
      '@id': 'r1', '@version': 2, Count: 7, Sum: { '@currency': 'RUB', '#text': '10.50' }, Active: true, Level: 2, Tag: ['a', 'b'],
      Series: '12 34', Number: '567890', '#choice2': [{ Email: 'a@b.c' }, { Phone: '+7' }, { Email: 'd@e.f' }],
      Ints: [1, 2, 3], When: 'never', Middle: null, Extra: { '#any': '<x:Any xmlns:x="urn:x" a="1">v</x:Any><x:More xmlns:x="urn:x"></x:More>' },
    });
    expect(schemaErrors(req.form, j)).toEqual([]);
    // and back, in the schema's order whatever the keys' order, valid, the same value again
    const back = jsonToXml(req.form, Object.fromEntries(Object.entries(j).reverse()), req.prefixes);
    expect(xsdErrors(schema, req, back)).toEqual([]);
    expect(back.indexOf('Count')).toBeLessThan(back.indexOf('Sum'));
    expect(back).toContain('xsi:nil="true"');
    expect(back).toMatch(/<tns:Ints>1 2 3<\/tns:Ints>/);
    expect(xmlToJson(req.form, back)).toEqual(j);
    // a date is the union's first member
    expect((xmlToJson(req.form, xml.replace('>never<', '>2024-02-29<')) as any).When).toBe('2024-02-29');
  });

  test('JSON -> XML refuses what the schema does not allow, saying where and what', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>) => () => jsonToXml(req.form, { ...ok, ...patch }, req.prefixes);
    expect(bad({ Count: '7' })).toThrow(ConvertError);
    expect(bad({ Count: '7' })).toThrow('/Count: Count is xs:int: give an integer number, not the string "7"');
    expect(bad({ Nope: 1 })).toThrow(/no such key here: Nope \(the schema has: @id, @version, Count/);
    expect(bad({ Tag: 'a' })).toThrow('/Tag: Tag repeats (maxOccurs 3): give an array, even of one');
    expect(bad({ Count: null })).toThrow(/Count is not nillable/);
    expect(bad({ Inn: '1234567890', Series: 'x', Number: 'y' })).toThrow(/give one alternative of the choice, not several: Inn \/ Series\+Number/);
    expect(bad({ Extra: { '#any': '<x:a' } })).toThrow(/\/Extra\/#any: not well-formed XML/);
    expect(bad({ Sum: 10.5 })).toThrow(/\/Sum: give an object here, not a number/);
    expect(() => xmlToJson(req.form, '<t:Request xmlns:t="urn:rest-test" id="1"><t:Count>x</t:Count></t:Request>')).toThrow('Request/Count: "x" is no xs:int');
    expect(() => xmlToJson(req.form, '<t:Other xmlns:t="urn:rest-test"/>')).toThrow('expected {urn:rest-test}Request, found {urn:rest-test}Other');
  });

  test('the answer: repeated elements with attributes', () => {
    expect(ans.appData.element).toEqual({ ns: 'urn:rest-test', local: 'Response' });
    const j = { Status: 1, Item: [{ '@n': 1, Name: 'a' }, { '@n': 2, Name: 'b', Price: { '@currency': 'RUB', '#text': '1.00' } }] };
    const x = jsonToXml(ans.form, j, ans.prefixes);
    expect(xsdErrors(schema, ans, x)).toEqual([]);
    expect(xmlToJson(ans.form, x)).toEqual(j);
  });

  test('both round trips, request and answer', () => {
    expect([...roundTrips({ name: 'rest submit request', m: req, schema }), ...roundTrips({ name: 'rest submit answer', m: ans, schema })]).toEqual([]);
  });

  // counterexamples test/json-xml-properties.test.ts found, kept as fixed cases
  test('a CR in text, and a tab, LF or CR in an attribute, come back as they were sent', () => {
    const j = { ...(fullJson(req.form, 0) as Record<string, unknown>), '@id': 'a\tb\nc\rd\r\n', Middle: 'x\ry\r\nz\n' };
    const x = jsonToXml(req.form, j, req.prefixes);
    expect(xsdErrors(schema, req, x)).toEqual([]);
    expect(xmlToJson(req.form, x)).toEqual(j);
  });

  test('a character XML 1.0 cannot hold is refused with its place, in text and in attributes', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    expect(() => jsonToXml(req.form, { ...ok, Middle: 'ab\u0001' }, req.prefixes)).toThrow('/Middle: Middle: the character U+0001 (at 2) cannot be written in XML 1.0, not even escaped');
    expect(() => jsonToXml(req.form, { ...ok, '@id': '\uffff' }, req.prefixes)).toThrow(/^\/@id: id: the character U\+FFFF \(at 0\)/);
    expect(() => jsonToXml(req.form, { ...ok, Tag: ['a', 'b\ud800'] }, req.prefixes)).toThrow(/^\/Tag\/1: Tag: the character U\+D800/);
    expect(() => jsonToXml(req.form, { ...ok, When: '\u0000' }, req.prefixes)).toThrow(/^\/When: When: the character U\+0000/);
    // astral characters are XML's: kept
    const j = { ...ok, Middle: '😀\ud83d\ude00' };
    expect(xmlToJson(req.form, jsonToXml(req.form, j, req.prefixes))).toEqual(j);
  });

  test('an integer the JSON Schema allows is one the conversion takes: within ±(2^53 - 1) and totalDigits', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    const big = (rootSchema(req.form) as any).properties.Big;
    expect(() => jsonToXml(req.form, { ...ok, Big: big.maximum }, req.prefixes)).not.toThrow();
    expect(() => jsonToXml(req.form, { ...ok, Big: big.maximum + 1 }, req.prefixes)).toThrow('/Big: Big is xs:integer: give an integer number, not number 9007199254740992');
    expect(scalarSchema({ name: 'n', ns: '', path: 'n', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'unsignedLong' })).toEqual({ type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
    expect(scalarSchema({ name: 'n', ns: '', path: 'n', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'integer', totalDigits: 3, minInclusive: '-5' })).toEqual({ type: 'integer', minimum: -5, maximum: 999 });
  });

  test('an element of simple content with attributes needs its #text; an empty element is its default', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    expect(() => jsonToXml(req.form, { ...ok, Sum: { '@currency': 'RUB' } }, req.prefixes)).toThrow('/Sum: Sum has attributes, so its value is the key #text, which is missing');
    const field = (o: Partial<FormNode>): FormNode => ({ name: 'X', ns: 'urn:x', path: 'X', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'int', ...o });
    expect(xmlToJson(field({ default: '5' }), '<x:X xmlns:x="urn:x"/>')).toBe(5);
    expect(xmlToJson(field({ fixed: '7', attributes: [{ name: 'a', ns: '', path: 'X/@a', kind: 'field', attribute: true, minOccurs: 0, maxOccurs: 1, type: 'string' }] }), '<x:X xmlns:x="urn:x" a=""/>')).toEqual({ '@a': '', '#text': 7 });
    expect(jsonToXml(field({ default: '5', attributes: [{ name: 'a', ns: '', path: 'X/@a', kind: 'field', attribute: true, minOccurs: 0, maxOccurs: 1, type: 'string' }] }), { '@a': 'b' }, new Map())).toContain('>5<');
    // a fixed value: that value, by value ("07" is 7), or refused
    expect(jsonToXml(field({ fixed: '07' }), 7, new Map())).toContain('>7<');
    expect(() => jsonToXml(field({ fixed: '7' }), 8, new Map())).toThrow('/: X is fixed to "7" by the schema: give that value, not number 8');
    const union = field({ fixed: 'v', members: [field({ type: 'string' }), field({ type: 'unsignedByte' })] });
    expect(() => jsonToXml(union, 12, new Map())).toThrow('/: X is fixed to "v" by the schema');
  });

  test('a key the schema requires is refused missing, with the place: the XSD cannot say it where AppData itself may be left out', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    const without = (...keys: string[]) => Object.fromEntries(Object.entries(ok).filter(([k]) => !keys.includes(k)));
    expect(() => jsonToXml(req.form, without('Count'), req.prefixes)).toThrow('/: missing Count: the schema requires it here');
    expect(() => jsonToXml(req.form, without('@id', 'Middle'), req.prefixes)).toThrow('/: missing @id, Middle: the schema requires them here');
    // optional keys, and the alternatives of a choice (the XSD names the one expected), are not
    expect(() => jsonToXml(req.form, without('Big', 'Tag', '#choice2'), req.prefixes)).not.toThrow();
    const x = jsonToXml(req.form, without('Inn', 'Series', 'Number'), req.prefixes);
    expect(xsdErrors(schema, req, x).join()).toMatch(/\{urn:rest-test\}Phone': This element is not expected. Expected is one of \( \{urn:rest-test\}Series, \{urn:rest-test\}Inn \)/);
    // in an item of a repeated sequence too
    expect(() => jsonToXml(ans.form, { Status: 1, Item: [{ '@n': 1 }] }, ans.prefixes)).toThrow('/Item/0: missing Name: the schema requires it here');
  });

  test('an xs:any that occurs once takes one element: more would come back as occurrences of the sequence around it (xmldsig Object)', () => {
    const any: FormNode = { name: '#any', ns: '##any', path: 'R/#any', kind: 'field', type: 'xml', minOccurs: 1, maxOccurs: 1, any: true, processContents: 'lax' };
    const form: FormNode = { name: 'R', ns: 'urn:x', path: 'R', kind: 'group', minOccurs: 1, maxOccurs: 1, children: [{ name: '#sequence', ns: '', path: 'R/#sequence', kind: 'group', compositor: 'sequence', minOccurs: 0, maxOccurs: null, children: [any] }] };
    expect(() => jsonToXml(form, { '#sequence': [{ '#any': '<a/><b/>' }] }, new Map())).toThrow('/#sequence/0/#any: the xs:any here takes one element, not 2: give each element in an occurrence of its own');
    const j = { '#sequence': [{ '#any': '<a></a>' }, { '#any': '<b></b>' }] };
    expect(xmlToJson(form, jsonToXml(form, j, new Map()))).toEqual(j);
    expect((rootSchema(form) as any).properties['#sequence'].items.properties['#any']['x-xsd']).toBe('namespace ##any; processContents lax; elements 1..1');
  });

  test('the keys of an optional sequence come together or not at all (xmldsig DSAKeyValue: P and Q)', () => {
    const el = (name: string, minOccurs = 1): FormNode => ({ name, ns: 'urn:x', path: `R/${name}`, kind: 'field', type: 'string', minOccurs, maxOccurs: 1 });
    const form: FormNode = { name: 'R', ns: 'urn:x', path: 'R', kind: 'group', minOccurs: 1, maxOccurs: 1, children: [
      { name: '#sequence', ns: '', path: 'R/#sequence', kind: 'group', compositor: 'sequence', minOccurs: 0, maxOccurs: 1, children: [el('P'), el('Q'), el('G', 0)] }, el('Y')] };
    const js = rootSchema(form) as any;
    expect(js.required).toEqual(['Y']);
    expect(js.allOf).toEqual([{ dependentRequired: { P: ['Q'], Q: ['P'], G: ['P', 'Q'] } }]);
    const validate = ajv.compile(js);
    expect([validate({ Y: 'y' }), validate({ P: 'p', Q: 'q', Y: 'y' }), validate({ P: 'p', Y: 'y' }), validate({ G: 'g', Y: 'y' })]).toEqual([true, true, false, false]);
    expect(() => jsonToXml(form, { P: 'p', Y: 'y' }, new Map())).toThrow('/: P is of an optional xs:sequence that also requires Q: give it too, or none of P, Q');
    expect(() => jsonToXml(form, { G: 'g', Y: 'y' }, new Map())).toThrow('/: G is of an optional xs:sequence that also requires P, Q: give them too, or none of G, P, Q');
    expect(xmlToJson(form, jsonToXml(form, { P: 'p', Q: 'q', Y: 'y' }, new Map()))).toEqual({ P: 'p', Q: 'q', Y: 'y' });
  });

  test('the length facets of hexBinary and base64Binary count octets', () => {
    const field = (type: string, o: Partial<FormNode>): FormNode => ({ name: 'b', ns: '', path: 'b', kind: 'field', minOccurs: 1, maxOccurs: 1, type, ...o });
    expect(scalarSchema(field('hexBinary', { minLength: 1, maxLength: 2 }))).toMatchObject({ type: 'string', minLength: 2, maxLength: 4 });
    const b64 = scalarSchema(field('base64Binary', { minLength: 3, maxLength: 3 }));
    expect(b64).not.toHaveProperty('maxLength');
    expect(b64['x-xsd']).toBe('xs:base64Binary; length 3 octets');
  });

  test('a union takes the JSON types of its members only', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    // When: xs:date | an enumeration of strings
    expect(() => jsonToXml(req.form, { ...ok, When: 5 }, req.prefixes)).toThrow('/When: When is an xs:union of string values: give such a value, not number 5');
    expect(() => jsonToXml(req.form, { ...ok, When: true }, req.prefixes)).toThrow('/When: When is an xs:union of string values');
    expect(() => jsonToXml(req.form, { ...ok, When: 'today' }, req.prefixes)).not.toThrow();
    const union: FormNode = { name: 'U', ns: 'urn:x', path: 'U', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'int', members: [{ name: 'U', ns: 'urn:x', path: 'U', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'int' }, { name: 'U', ns: 'urn:x', path: 'U', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'boolean' }] };
    expect(jsonToXml(union, 7, new Map())).toContain('>7<');
    expect(jsonToXml(union, false, new Map())).toContain('>false<');
    expect(() => jsonToXml(union, 'x', new Map())).toThrow('U is an xs:union of integer or boolean values: give such a value, not the string "x"');
    expect(() => jsonToXml(union, 1.5, new Map())).toThrow('U is an xs:union of integer or boolean values');
  });

  test('a restriction of a restriction: the value matches both patterns (XSD ANDs them), in the JSON Schema and the sample', () => {
    const n: FormNode = { name: 'c', ns: '', path: 'c', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'string', pattern: '.{3,4}', basePatterns: ['[A-Z]{2}[0-9]*'] };
    const js = scalarSchema(n);
    expect(js).toMatchObject({ type: 'string', pattern: '^(?:.{3,4})$', allOf: [{ pattern: '^(?:[A-Z]{2}[0-9]*)$' }] });
    const validate = ajv.compile(js);
    expect([validate('AB12'), validate('   '), validate('AB')]).toEqual([true, false, false]);
    expect(sampleValue(n)).toMatch(/^[A-Z]{2}[0-9]{1,2}$/);
    // a date restricted by a pattern: both its own pattern and the lexical form of xs:date
    expect(scalarSchema({ ...n, type: 'date', pattern: '\\d{4}-.*', basePatterns: undefined })).toMatchObject({ pattern: '^(?:\\d{4}-.*)$', allOf: [{ pattern: expect.stringContaining('1[0-2]') }] });
  });

  test('whitespace as XSD normalises it: a token, a date read as their value; the JSON Schema asks for the normal form', () => {
    const field = (o: Partial<FormNode>): FormNode => ({ name: 'X', ns: 'urn:x', path: 'X', kind: 'field', minOccurs: 1, maxOccurs: 1, ...o });
    expect(xmlToJson(field({ type: 'token' }), '<x:X xmlns:x="urn:x">  a \t b\n</x:X>')).toBe('a b');
    expect(xmlToJson(field({ type: 'normalizedString' }), '<x:X xmlns:x="urn:x"> a\tb </x:X>')).toBe(' a b ');
    expect(xmlToJson(field({ type: 'date' }), '<x:X xmlns:x="urn:x"> 2024-02-29 </x:X>')).toBe('2024-02-29');
    expect(xmlToJson(field({ type: 'string', whiteSpace: 'collapse' }), '<x:X xmlns:x="urn:x"> a  b </x:X>')).toBe('a b');
    expect(xmlToJson(field({ type: 'string' }), '<x:X xmlns:x="urn:x"> a  b </x:X>')).toBe(' a  b ');
    // XML's whitespace only: a no-break space is a character of the value
    expect(xmlToJson(field({ type: 'token' }), '<x:X xmlns:x="urn:x"> \u00a0a\u00a0 </x:X>')).toBe('\u00a0a\u00a0');
    expect(xmlToJson(field({ type: 'token', list: true, item: field({ type: 'token' }) }), '<x:X xmlns:x="urn:x">\u00a0 b</x:X>')).toEqual(['\u00a0', 'b']);
    // a token of length 1: " " is no token of length 1 (XSD collapses it to ""), and the schema says so
    const token = ajv.compile(scalarSchema(field({ type: 'token', minLength: 1, maxLength: 1 })));
    expect([token('a'), token(' '), token('a ')]).toEqual([true, false, false]);
    // the lexical forms of more builtins
    const valid = (type: string, v: string) => ajv.compile(scalarSchema(field({ type })))(v);
    expect([valid('date', '2024-02-29'), valid('date', '2024-13-01'), valid('date', '0000-01-01'), valid('NCName', 'Имя_1'), valid('NCName', '1a'), valid('hexBinary', '0F'), valid('hexBinary', 'F'),
      valid('base64Binary', 'AAA='), valid('base64Binary', 'AB=='), valid('duration', 'P1Y2DT3H'), valid('duration', 'P'), valid('language', 'ru-RU')])
      .toEqual([true, false, false, true, false, true, false, true, false, true, false, true]);
  });

  test('an occurrence of a repeated group with nothing in it is refused; a group whose content may be empty is not required', () => {
    const ok = fullJson(req.form, 0) as Record<string, unknown>;
    expect(() => jsonToXml(req.form, { ...ok, '#choice2': [{ Phone: '1' }, {}] }, req.prefixes)).toThrow('/#choice2/1: an occurrence of the repeated xs:choice with nothing in it writes no element (and is not read back): leave it out');
    // sequence minOccurs 1 maxOccurs unbounded of an optional wildcard: no element at all is an XSD-valid AppData
    const any: FormNode = { name: '#any', ns: '##any', path: 'R/#any', kind: 'field', type: 'xml', minOccurs: 0, maxOccurs: 1, any: true, processContents: 'lax' };
    const form: FormNode = { name: 'R', ns: 'urn:x', path: 'R', kind: 'group', minOccurs: 1, maxOccurs: 1, children: [{ name: '#sequence', ns: '', path: 'R/#sequence', kind: 'group', compositor: 'sequence', minOccurs: 1, maxOccurs: null, children: [any] }] };
    const js = rootSchema(form) as any;
    expect(js.required).toBeUndefined();
    expect(js.properties['#sequence']).toMatchObject({ type: 'array', items: { minProperties: 1 } });
    expect(js.properties['#sequence'].minItems).toBeUndefined();
    expect(xmlToJson(form, jsonToXml(form, {}, new Map()))).toEqual({});
    // keys that write nothing (an empty array, blank XML) make an empty occurrence too
    expect(() => jsonToXml(form, { '#sequence': [{ '#any': ' ' }] }, new Map())).toThrow('/#sequence/0: an occurrence of the repeated xs:sequence with nothing in it');
    expect(xmlToJson(form, jsonToXml(form, { '#sequence': [{ '#any': '<a></a>' }] }, new Map()))).toEqual({ '#sequence': [{ '#any': '<a></a>' }] });
  });

  test('a nillable element with attributes is nil with them: {"#nil": true, "@a": …}; null where none is required', () => {
    const attr: FormNode = { name: 'a', ns: '', path: 'X/@a', kind: 'field', attribute: true, minOccurs: 1, maxOccurs: 1, type: 'string' };
    const form: FormNode = { name: 'X', ns: 'urn:x', path: 'X', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'int', nillable: true, attributes: [attr] };
    const js = rootSchema(form) as any;
    expect(js.anyOf).toHaveLength(2);
    expect(js.anyOf[1]).toMatchObject({ type: 'object', required: ['#nil', '@a'], properties: { '#nil': { const: true } } });
    expect(() => jsonToXml(form, null, new Map())).toThrow('/: X requires @a, nil too: give {"#nil": true, "@a": …} rather than null');
    const nil = jsonToXml(form, { '#nil': true, '@a': 'v' }, new Map());
    expect(nil).toMatch(/<ns1:X xmlns:ns1="urn:x" xmlns:xsi="[^"]+" a="v" xsi:nil="true"\/>/);
    expect(xmlToJson(form, nil)).toEqual({ '#nil': true, '@a': 'v' });
    expect(() => jsonToXml(form, { '#nil': true, '@a': 'v', '#text': 5 }, new Map())).toThrow('/: a nil X has no content, only attributes: no such key here: #text');
    // optional attributes: null stays the nil element without any
    const loose: FormNode = { ...form, attributes: [{ ...attr, minOccurs: 0 }] };
    expect(xmlToJson(loose, jsonToXml(loose, null, new Map()))).toBeNull();
    expect((rootSchema(loose) as any).anyOf).toHaveLength(3);
    // a fixed value is never nil
    expect(rootSchema({ ...loose, fixed: '5' })).not.toHaveProperty('anyOf');
    expect(() => jsonToXml({ ...loose, fixed: '5' }, null, new Map())).toThrow('/: X has the fixed value "5": it cannot be nil');
    // a fixed required attribute is written for null, and null comes back
    const fixedAttr: FormNode = { ...form, attributes: [{ ...attr, fixed: 'f' }] };
    expect(jsonToXml(fixedAttr, null, new Map())).toContain('a="f"');
    expect(xmlToJson(fixedAttr, jsonToXml(fixedAttr, null, new Map()))).toBeNull();
  });

  test('a union reads a text as its first member that takes it, facets and all; a list splits at XML whitespace only', () => {
    const m = (o: Partial<FormNode>): FormNode => ({ name: 'U', ns: 'urn:x', path: 'U', kind: 'field', minOccurs: 1, maxOccurs: 1, ...o });
    const u = (...members: FormNode[]) => m({ type: members[0]!.type, members });
    const x = (v: string) => `<x:U xmlns:x="urn:x">${v}</x:U>`;
    // int ≤ 10 | string: 50 is the string
    expect([xmlToJson(u(m({ type: 'int', maxInclusive: '10' }), m({ type: 'string' })), x('50')), xmlToJson(u(m({ type: 'int', maxInclusive: '10' }), m({ type: 'string' })), x('5'))]).toEqual(['50', 5]);
    // string of a pattern | integer: 0 is the integer
    expect(xmlToJson(u(m({ type: 'string', pattern: '[A-Z]{2}[0-9]*' }), m({ type: 'integer' })), x('0'))).toBe(0);
    // unsignedByte | string: 300 is past the byte
    expect(xmlToJson(u(m({ type: 'unsignedByte' }), m({ type: 'string' })), x('300'))).toBe('300');
    // decimal with totalDigits 2 | string
    expect(xmlToJson(u(m({ type: 'decimal', totalDigits: 2 }), m({ type: 'string' })), x('1.50'))).toBe('1.50');
    expect(xmlToJson(u(m({ type: 'decimal', totalDigits: 2 }), m({ type: 'string' })), x('123'))).toBe('123');
    expect(xmlToJson(m({ type: 'string', list: true, item: m({ type: 'string' }) }), x(' a\u00a0b  c '))).toEqual(['a\u00a0b', 'c']);
    // hexBinary of one octet | int: 100000 is three octets, so the int
    expect(xmlToJson(u(m({ type: 'hexBinary', minLength: 1, maxLength: 1 }), m({ type: 'int' })), x('100000'))).toBe(100000);
    expect(xmlToJson(u(m({ type: 'base64Binary', minLength: 1, maxLength: 1 }), m({ type: 'string' })), x('AA=='))).toBe('AA==');
  });

  test('an xs:anyURI has its lexical form in the schema; a fixed union value is its const', () => {
    const field = (o: Partial<FormNode>): FormNode => ({ name: 'X', ns: 'urn:x', path: 'X', kind: 'field', minOccurs: 1, maxOccurs: 1, ...o });
    const uri = ajv.compile(scalarSchema(field({ type: 'anyURI' })));
    expect(['urn:x', 'http://h:80/p?q#f', 'a b', '! # #!', 'a#b#c', '%zz', '1:x', ' a'].map((v) => uri(v))).toEqual([true, true, true, false, false, false, false, false]);
    const date = field({ type: 'date' });
    const word = field({ type: 'token', enumeration: ['today'] });
    expect(scalarSchema(field({ type: 'date', members: [date, word], fixed: 'today' }))).toEqual({ type: 'string', enum: ['today'], const: 'today', 'x-xsd': 'xs:token' });
  });

  test('an item of an xs:list of strings is not empty and holds no whitespace: the schema says so, the conversion refuses it', () => {
    const list: FormNode = { name: 'L', ns: 'urn:x', path: 'L', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'string', list: true, item: { name: 'L', ns: 'urn:x', path: 'L', kind: 'field', minOccurs: 1, maxOccurs: 1, type: 'token' } };
    const validate = ajv.compile(rootSchema(list));
    expect([validate(['a', 'b']), validate(['']), validate(['a b'])]).toEqual([true, false, false]);
    expect(() => jsonToXml(list, ['a', ''], new Map())).toThrow('/1: an item of the xs:list L is not empty and holds no whitespace, which separates the items ("" would come back as none)');
    expect(() => jsonToXml(list, ['a b'], new Map())).toThrow('/0: an item of the xs:list L is not empty and holds no whitespace, which separates the items ("a b" would come back as several items)');
    // a fixed list is its const
    expect(rootSchema({ ...list, item: { ...list.item!, type: 'int' }, fixed: ' 1 2 ' })).toMatchObject({ type: 'array', const: [1, 2] });
  });

  test('XML -> JSON takes the alternative of a choice whose required elements are there (xmldsig PGPData: PGPKeyPacket alone is the second)', () => {
    const el = (name: string, minOccurs = 1): FormNode => ({ name, ns: 'urn:x', path: `R/${name}`, kind: 'field', type: 'string', minOccurs, maxOccurs: 1 });
    const any = (name: string): FormNode => ({ name, ns: '##other', otherThan: 'urn:x', path: `R/${name}`, kind: 'field', type: 'xml', minOccurs: 0, maxOccurs: null, any: true, processContents: 'lax' });
    const seq = (name: string, children: FormNode[]): FormNode => ({ name, ns: '', path: `R/${name}`, kind: 'group', compositor: 'sequence', minOccurs: 1, maxOccurs: 1, children });
    const form: FormNode = { name: 'R', ns: 'urn:x', path: 'R', kind: 'group', minOccurs: 1, maxOccurs: 1, children: [
      { name: '#choice', ns: '', path: 'R/#choice', kind: 'group', compositor: 'choice', choice: true, minOccurs: 1, maxOccurs: 1, children: [
        seq('#sequence', [el('PGPKeyID'), el('PGPKeyPacket', 0), any('#any')]), seq('#sequence2', [el('PGPKeyPacket'), any('#any2')])] }] };
    const j = { PGPKeyPacket: 'p', '#any2': '<g:e xmlns:g="urn:g"></g:e>' };
    expect(xmlToJson(form, jsonToXml(form, j, new Map()))).toEqual(j);
    const k = { PGPKeyID: 'i', PGPKeyPacket: 'p', '#any': '<g:e xmlns:g="urn:g"></g:e>' };
    expect(xmlToJson(form, jsonToXml(form, k, new Map()))).toEqual(k);
  });

  test('mixed content: its text is not carried in JSON; the schema says so and reading refuses it rather than drop it', () => {
    const form: FormNode = { name: 'M', ns: 'urn:x', path: 'M', kind: 'group', minOccurs: 1, maxOccurs: 1, mixed: true, documentation: 'A note',
      children: [{ name: 'B', ns: 'urn:x', path: 'M/B', kind: 'field', type: 'string', minOccurs: 0, maxOccurs: 1 }] };
    expect((rootSchema(form) as any).description).toMatch(/^A note\nmixed content .*not carried in JSON/);
    expect(xmlToJson(form, '<x:M xmlns:x="urn:x">\n  <x:B>b</x:B>\n</x:M>')).toEqual({ B: 'b' });
    expect(() => xmlToJson(form, '<x:M xmlns:x="urn:x">Dear <x:B>b</x:B>, hello</x:M>')).toThrow('M: M has mixed content: its text "Dear " between the elements is not carried in JSON; ask for application/xml');
  });

  test('XSD patterns become anchored ECMAScript ones, or none when they use XSD-only syntax', () => {
    expect(ecmaPattern('\\d{10}|\\d{12}')).toBe('^(?:\\d{10}|\\d{12})$');
    expect(ecmaPattern('\\i\\c*')).toBeUndefined();
    expect(ecmaPattern('[a-z-[aeiou]]')).toBeUndefined();
    expect(ecmaPattern('\\p{IsCyrillic}+')).toBeUndefined();
    expect(ecmaPattern('[А-ЯЁ]+')).toBe('^(?:[А-ЯЁ]+)$');
  });
});

describe('schemas of test/support/xsd-arbitrary.ts, written out: constructs the properties found mapped wrong', () => {
  const atomic = (base: Builtin): TypeT => ({ t: 'simple', s: { t: 'atomic', base, steps: [], named: false } });
  const el = (type: TypeT, min = 1, max: number | 'unbounded' = 1): ParticleT => ({ t: 'element', how: 'local', nillable: false, type, min, max });
  function build(root: ComplexT) {
    const b = writeBundle({ root, qualifiedA: true, qualifiedB: true, attributesQualified: false });
    const s = corpusService(b.root, b.wsdl, 1);
    const schema = compileBundleSchemas(s.sid, s.bundle, {});
    const m = new ComposerModels().operation(s, 'submit');
    return { m, schema, done: () => { schema.dispose(); rmSync(b.root, { recursive: true, force: true }); } };
  }

  test('a choice whose alternative is a group reference of a sequence: the alternative is the whole sequence', () => {
    const { m, schema, done } = build({ t: 'particles', named: false, mixed: false, attrs: [], group: { t: 'choice', min: 1, max: 1, viaGroupRef: false, items: [
      { t: 'sequence', min: 1, max: 1, viaGroupRef: true, items: [el(atomic('int')), el(atomic('string'), 2, 2)] }, el(atomic('date'))] } });
    try {
      const choice = m.form.children![0]!;
      expect(choice.children!.map((c) => c.compositor ?? c.name)).toEqual(['sequence', expect.stringMatching(/^e\d+$/)]);
      const [int, str] = choice.children![0]!.children!.map((c) => c.name);
      const js = rootSchema(m.form) as any;
      expect(js.allOf[0].oneOf[0].required).toEqual([int, str]);
      expect(xsdErrors(schema, m, jsonToXml(m.form, { [int!]: 1 }, m.prefixes)).join()).toContain(`Expected is ( {urn:gen:a}${str} )`);
      const j = { [int!]: 1, [str!]: ['a', 'b'] };
      const x = jsonToXml(m.form, j, m.prefixes);
      expect(xsdErrors(schema, m, x)).toEqual([]);
      expect(xmlToJson(m.form, x)).toEqual(j);
    } finally {
      done();
    }
  });

  test('two wildcards in one content: keys #any and #any2, each read by its namespace constraint', () => {
    const other: ParticleT = { t: 'any', namespace: 'urn:gen:elsewhere urn:gen:b', pc: 'lax', min: 0, max: 1 };
    const local: ParticleT = { t: 'any', namespace: '##local', pc: 'lax', min: 0, max: 1 };
    const { m, schema, done } = build({ t: 'particles', named: false, mixed: false, attrs: [], group: { t: 'sequence', min: 1, max: 1, viaGroupRef: false, items: [other, local] } });
    try {
      expect(Object.keys((rootSchema(m.form) as any).properties)).toEqual(['#any', '#any2']);
      const j = { '#any2': '<g></g>' };
      const x = jsonToXml(m.form, j, m.prefixes);
      expect(xsdErrors(schema, m, x)).toEqual([]);
      // a no-namespace element is not the first wildcard's (urn:gen:elsewhere, urn:gen:b) even though it comes first
      expect(xmlToJson(m.form, x)).toEqual(j);
      const both = { '#any': '<x:e xmlns:x="urn:gen:b"></x:e>', '#any2': '<g></g>' };
      expect(xmlToJson(m.form, jsonToXml(m.form, both, m.prefixes))).toEqual(both);
    } finally {
      done();
    }
  });

  test('the elements of an xs:all are read in whatever order they come', () => {
    const { m, schema, done } = build({ t: 'particles', named: false, mixed: false, attrs: [], group: { t: 'all', min: 1, max: 1, viaGroupRef: false, items: [el(atomic('int')), el(atomic('string'), 0), el(atomic('date'))] } });
    try {
      const [a, b, c] = m.form.children!.map((x) => x.name);
      const xml = `<a:Root xmlns:a="urn:gen:a"><a:${c}>2024-02-29</a:${c}><a:${a}>7</a:${a}><a:${b}>x</a:${b}></a:Root>`;
      expect(xsdErrors(schema, m, xml)).toEqual([]);
      const j = xmlToJson(m.form, xml);
      expect(j).toEqual({ [a!]: 7, [b!]: 'x', [c!]: '2024-02-29' });
      expect(xsdErrors(schema, m, jsonToXml(m.form, j, m.prefixes))).toEqual([]);
    } finally {
      done();
    }
  });

  test('an optional choice of one alternative that is itself a choice: its alternatives still exclude each other', () => {
    const any: ParticleT = { t: 'any', namespace: 'urn:gen:elsewhere', pc: 'skip', min: 0, max: 2 };
    const { m, schema, done } = build({ t: 'particles', named: false, mixed: false, attrs: [], group: { t: 'sequence', min: 1, max: 1, viaGroupRef: false, items: [
      { t: 'choice', min: 0, max: 1, viaGroupRef: false, items: [{ t: 'choice', min: 1, max: 1, viaGroupRef: true, items: [any, el(atomic('int'))] }] }] } });
    try {
      const name = m.form.children![0]!.children![0]!.children![1]!.name;
      const validate = ajv.compile(rootSchema(m.form));
      const both = { '#any': '<x:a xmlns:x="urn:gen:elsewhere"/>', [name]: 1 };
      expect([validate({}), validate({ [name]: 1 }), validate({ '#any': both['#any'] }), validate(both)]).toEqual([true, true, true, false]);
      expect(() => jsonToXml(m.form, both, m.prefixes)).toThrow(`/: give one alternative of the choice, not several: #any / ${name}`);
      expect(xsdErrors(schema, m, jsonToXml(m.form, { [name]: 1 }, m.prefixes))).toEqual([]);
    } finally {
      done();
    }
  });
});

describe('keys apart and elements not expanded (test/data/rest-keys)', () => {
  test('one local name in two namespaces: the second is keyed {namespace}name, the same element again Name[2]; an element not expanded is its own XML, attributes and all', () => {
    const s = corpusService(join(ROOT, 'test', 'data', 'rest-keys'), 'Keys.wsdl', 1);
    const schema = compileBundleSchemas(s.sid, s.bundle, {});
    try {
      const m = new ComposerModels().operation(s, 'submit');
      const js = rootSchema(m.form) as any;
      expect(js.required).toEqual(['Name', '{urn:gen:b}Name']);
      expect(js.properties.Name).toEqual({ type: 'string' });
      expect(js.properties['{urn:gen:b}Name']).toMatchObject({ type: 'integer' });
      expect(js.properties.Kid.properties.Kid.properties.Kid).toMatchObject({ type: 'string', contentMediaType: 'application/xml', 'x-xsd': 'element {urn:gen:a}Kid, not expanded' });
      const xml = '<a:Root xmlns:a="urn:gen:a" xmlns:b="urn:gen:b"><a:Name>x</a:Name><b:Name>5</b:Name><a:Kid id="1"><a:V>1</a:V><a:Kid id="2"><a:V>2</a:V><a:Kid id="3"><a:V>3</a:V></a:Kid></a:Kid></a:Kid></a:Root>';
      expect(xsdErrors(schema, m, xml)).toEqual([]);
      const j = xmlToJson(m.form, xml) as any;
      expect(j).toEqual({ Name: 'x', '{urn:gen:b}Name': 5, Kid: { '@id': '1', V: 1, Kid: { '@id': '2', V: 2, Kid: '<a:Kid xmlns:a="urn:gen:a" id="3"><a:V>3</a:V></a:Kid>' } } });
      const back = jsonToXml(m.form, j, m.prefixes);
      expect(xsdErrors(schema, m, back)).toEqual([]);
      expect(xmlToJson(m.form, back)).toEqual(j);
      expect(() => jsonToXml(m.form, { ...j, Kid: { ...j.Kid, Kid: { ...j.Kid.Kid, Kid: '<a:V xmlns:a="urn:gen:a">3</a:V>' } } }, m.prefixes)).toThrow('/Kid/Kid/Kid: give the XML of one element {urn:gen:a}Kid, not {urn:gen:a}V');
      // the same element again after others: Name[2]
      expect(js.properties['Name[2]']).toEqual({ type: 'string' });
      const again = { Name: 'x', '{urn:gen:b}Name': 5, 'Name[2]': 'y' };
      const x2 = jsonToXml(m.form, again, m.prefixes);
      expect(xsdErrors(schema, m, x2)).toEqual([]);
      expect(x2.indexOf('>x<')).toBeLessThan(x2.indexOf('>y<'));
      expect(xmlToJson(m.form, x2)).toEqual(again);
      // alternatives of a choice of one local name in two namespaces: two keys too
      expect(js.properties.Alt).toEqual({ type: 'string' });
      expect(js.properties['{urn:gen:b}Alt']).toMatchObject({ type: 'integer' });
      for (const alt of [{ Alt: 'a' }, { '{urn:gen:b}Alt': 3 }]) {
        const x3 = jsonToXml(m.form, { ...again, ...alt }, m.prefixes);
        expect(xsdErrors(schema, m, x3)).toEqual([]);
        expect(xmlToJson(m.form, x3)).toEqual({ ...again, ...alt });
      }
    } finally {
      schema.dispose();
    }
  });
});

describe('demo bundles (wsdl/): every operation, request and answer', () => {
  const all = useDemoCases();

  test('round trips: JSON -> XML -> JSON and XML -> JSON -> XML, JSON Schema and XSD valid', () => {
    expect(all.length).toBe(16); // 8 operations (the manual provider SID0009001's two among them), request and answer
    expect(all.flatMap(roundTrips)).toEqual([]);
  });
});

// ---- the corpus ----
const available = corpusAvailable();
const servicesRoot = join(CORPUS, 'services');

(available ? describe : describe.skip)(`corpus bundles (${servicesRoot}): every operation, request and answer`, () => {
  const all: Case[] = [];
  const schemas: CompiledSchema[] = [];
  const buildErrors: string[] = [];
  beforeAll(() => {
    // bundles importing their schemas from the old node have no schema to validate against
    const c = corpusCases(new ComposerModels());
    all.push(...c.cases);
    schemas.push(...c.schemas);
    buildErrors.push(...c.errors);
  }, 120000);
  afterAll(() => schemas.forEach((s) => s.dispose()));

  test('every operation has its models', () => {
    expect(buildErrors).toEqual([]);
    expect(all.length).toBeGreaterThanOrEqual(60);
    expect(all.filter((c) => c.schema).length).toBeGreaterThanOrEqual(40);
  });

  test('an AppData the bundle restricts to nothing is an empty object (social-support-1021 sends its data in AppDocument)', () => {
    const c = all.find((x) => x.name === 'social-support-1021/toc.wsdl SumSocHelpRequestDataMessage request')!;
    expect(rootSchema(c.m.form)).toEqual({ type: 'object', properties: {}, additionalProperties: false, description: expect.stringContaining('AppData is empty in this operation') });
    expect(() => jsonToXml(c.m.form, { '#any': '<x:a xmlns:x="urn:x"/>' }, c.m.prefixes)).toThrow('no such key here: #any (the schema has: none)');
    expect(xsdErrors(c.schema!, c.m, jsonToXml(c.m.form, {}, c.m.prefixes))).toEqual([]);
  });

  test('round trips: JSON -> XML -> JSON and XML -> JSON -> XML, JSON Schema and XSD valid', () => {
    expect(all.flatMap(roundTrips)).toEqual([]);
  }, 120000);
});
