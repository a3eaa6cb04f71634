// Properties of the REST façade's JSON <-> XML mapping (src/xsd/json-schema.ts, json-xml.ts;
// docs/rest.md), with fast-check: JSON values drawn from each operation's generated JSON Schema
// (test/support/json-arbitrary.ts) go to XML, which must pass the operation's XSD (libxml2, as
// the payload control compiles it) and come back as the same value (test/support/json-equality.ts
// says what "the same" is); values with one fault put in (a required key left out, a wrong
// type, a string too long, an unknown key, a character XML cannot hold, null where the XSD has
// no nil) must be refused by the mapping with the place, or by the XSD naming the element, and
// never crash it. Over every operation of the demo bundles and of the corpus bundles, request and
// answer. On a failure fast-check prints the seed and path that replay it:
// SMEV2_FC_SEED=<seed> SMEV2_FC_PATH=<path> runs that one again.
import fc from 'fast-check';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { loadXml } from '../src/xml/libxml';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileBundleSchemas, type CompiledSchema } from '../src/control/schemas';
import { ComposerModels } from '../src/xsd/model';
import { rootSchema } from '../src/xsd/json-schema';
import { jsonToXml, xmlToJson, ConvertError } from '../src/xsd/json-xml';
import { CORPUS, ROOT, corpusAvailable } from './support/paths';
import { corpusCases, corpusService, useDemoCases, serviceCases, xsdErrors, type Case } from './support/operation-cases';
import { faultSites, undrawable, valueArb, type Fault, type Json, type Schema } from './support/json-arbitrary';
import { canonicalXml, difference, withDefaults } from './support/json-equality';
import { libxml2Miscounts, schemaArb, wildcardsOverlap, writeBundle } from './support/xsd-arbitrary';

/** Runs per operation model and property: modest, the suite runs twice on two shared cores. */
const RUNS = Number(process.env.SMEV2_FC_RUNS ?? 10);

const ajv = new Ajv2020({ strict: false, allErrors: true });

function replay(): Partial<fc.Parameters<unknown>> {
  return process.env.SMEV2_FC_SEED ? { seed: Number(process.env.SMEV2_FC_SEED), path: process.env.SMEV2_FC_PATH } : {};
}

const show = (v: unknown, n = 1500) => {
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n)}…` : s;
};

/** One valid value through the mapping: the schema takes it, the XSD its XML, and it comes back the same. */
export function checkValid(c: Case, js: Schema, validate: ValidateFunction, value: Json): void {
  fc.pre(!undrawable(value));
  if (!validate(value)) throw new Error(`the generator drew a value its own schema refuses (a bug of the test's generator): ${show(validate.errors)}\nvalue: ${show(value)}`);
  let x: string;
  try {
    x = jsonToXml(c.m.form, value, c.m.prefixes);
  } catch (e) {
    throw new Error(`a value the JSON Schema allows was refused: ${(e as Error).message}\nvalue: ${show(value)}`);
  }
  if (c.schema) {
    const errors = xsdErrors(c.schema, c.m, x);
    if (errors.length) throw new Error(`a value the JSON Schema allows gave XML the XSD refuses: ${errors.slice(0, 3).join(' | ')}\nvalue: ${show(value)}\nXML: ${show(x)}`);
  }
  let back: Json;
  try {
    back = xmlToJson(c.m.form, x) as Json;
  } catch (e) {
    throw new Error(`its XML could not be read back: ${(e as Error).message}\nvalue: ${show(value)}\nXML: ${show(x)}`);
  }
  const d = difference(js, value, back);
  // the occurrences of a repeated group are read greedily: [{"A":[1]},{"A":[2]}] of (A{1,3}){1,2} is the XML of [{"A":[1,2]}], and comes back so;
  // two wildcards both of which take an element: the first takes it (libxml2 lets such a schema by)
  const sameXml = (a: () => string, b: () => string) => {
    try {
      return canonicalXml(a()).replace(/>\s+</g, '><') === canonicalXml(b()).replace(/>\s+</g, '><');
    } catch {
      return false; // (what came back does not even convert: not the same)
    }
  };
  const regrouped = d !== undefined && /#(sequence|choice|any)\d*/.test(d) && sameXml(() => jsonToXml(c.m.form, back, c.m.prefixes), () => jsonToXml(c.m.form, withDefaults(js, value), c.m.prefixes));
  if (d && !regrouped) throw new Error(`JSON -> XML -> JSON changed the value: ${d}\nvalue: ${show(value)}\nXML: ${show(x)}\nback: ${show(back)}`);
  if (!validate(back)) throw new Error(`the value read back fails the JSON Schema: ${show(validate.errors)}\nback: ${show(back)}`);
}

/** One value with one fault through the mapping: refused with its place, by the mapping or by the XSD, never a crash. */
export function checkInvalid(c: Case, value: Json, fault: Fault): void {
  let x: string;
  try {
    x = jsonToXml(c.m.form, value, c.m.prefixes);
  } catch (e) {
    if (!(e instanceof ConvertError)) throw new Error(`the mapping crashed on ${fault.kind} at ${fault.at || '/'}: ${(e as Error).stack}\nvalue: ${show(value)}`);
    // the place: the value's own pointer, or (a key left out or unknown) the object's
    if (e.at !== fault.at && !(e.at === '' && fault.at === '/')) throw new Error(`${fault.kind} at ${fault.at || '/'} was refused at another place: ${e.message}\nvalue: ${show(value)}`);
    if (fault.kind === 'unknown-key' && !e.message.includes(fault.key)) throw new Error(`the refusal of an unknown key does not name it: ${e.message}`);
    return;
  }
  if (fault.kind !== 'missing' && fault.kind !== 'too-long') throw new Error(`${fault.kind} at ${fault.at || '/'} was let through by the mapping (only the XSD can judge a missing key or a length): ${show(value)}\nXML: ${show(x)}`);
  if (!c.schema) return;
  const errors = xsdErrors(c.schema, c.m, x);
  if (!errors.length) throw new Error(`${fault.kind} ${JSON.stringify(fault)} passed both the mapping and the XSD\nvalue: ${show(value)}\nXML: ${show(x)}`);
  const name = fault.kind === 'missing' ? fault.key.replace(/^@/, '') : lastStep(fault.at);
  if (name && !/^\d+$/.test(name) && !name.startsWith('#') && !errors.some((m) => m.includes(name))) throw new Error(`the XSD's refusal of ${fault.kind} at ${fault.at || '/'} does not name ${name}: ${errors.slice(0, 3).join(' | ')}`);
}

/** The element or attribute a pointer ends at (the item's element for an array index). */
function lastStep(at: string): string {
  const steps = at.split('/').filter((s) => s !== '' && !/^\d+$/.test(s));
  return (steps[steps.length - 1] ?? '').replace(/^@/, '').replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Both properties over one operation model; what failed, as fast-check reports it (with its seed). */
function properties(c: Case, runs = RUNS, seed?: number, generated = false): string[] {
  const js = rootSchema(c.m.form);
  const validate = ajv.compile(js);
  const problems: string[] = [];
  const arb = valueArb(js);
  const run = (what: string, p: fc.IProperty<any>) => {
    try {
      fc.assert(p, { numRuns: runs, includeErrorInReport: true, ...(seed !== undefined ? { seed } : replay()) });
    } catch (e) {
      // a generated schema of which no value can be drawn (a required strict wildcard): nothing to judge
      if (generated && /too many pre-condition failures/.test((e as Error).message)) return;
      // the report without the stack of fast-check's and jest's frames
      problems.push(`${c.name}, ${what}: ${(e as Error).message.split('\n').filter((l) => !/^\s+at /.test(l) && !l.startsWith('Hint:')).join('\n')}`);
    }
  };
  run('valid values', fc.property(arb, (v) => checkValid(c, js, validate, v)));
  const faulty = arb.chain((v) => {
    // (a value the generator could not draw is skipped)
    if (undrawable(v)) return fc.constant(undefined);
    const sites = faultSites(js, v);
    return fc.constantFrom(...sites).map((site) => ({ value: site.apply(v), fault: site.fault }));
  });
  run('values with one fault', fc.property(faulty, (f) => {
    fc.pre(f !== undefined);
    checkInvalid(c, f!.value, f!.fault);
  }));
  return problems;
}

beforeAll(async () => {
  await loadXml();
});

describe('the synthetic bundle of every construct (test/data/rest)', () => {
  const all: Case[] = [];
  let schema: CompiledSchema;
  beforeAll(() => {
    const s = corpusService(join(ROOT, 'test', 'data', 'rest'), 'Rest.wsdl', 1);
    schema = compileBundleSchemas(s.sid, s.bundle, {});
    all.push(...serviceCases(s, 'rest', schema, new ComposerModels()).cases);
  });
  afterAll(() => schema.dispose());

  test('generated values go to XML the XSD takes and come back the same; values with one fault are refused with their place', () => {
    expect(all.map((c) => c.name)).toEqual(['rest submit request', 'rest submit answer']);
    expect(all.flatMap((c) => properties(c, RUNS * 10))).toEqual([]);
  });
});

describe('demo bundles (wsdl/): every operation, request and answer', () => {
  const all = useDemoCases();

  test('generated values go to XML the XSD takes and come back the same; values with one fault are refused with their place', () => {
    expect(all.length).toBe(16);
    expect(all.flatMap((c) => properties(c, RUNS * 3))).toEqual([]);
  });
});

const available = corpusAvailable();
(available ? describe : describe.skip)(`corpus bundles (${CORPUS}/services): every operation, request and answer`, () => {
  const all: Case[] = [];
  const schemas: CompiledSchema[] = [];
  beforeAll(() => {
    const c = corpusCases(new ComposerModels());
    if (c.errors.length) throw new Error(c.errors.join('\n'));
    all.push(...c.cases);
    schemas.push(...c.schemas);
  }, 120000);
  afterAll(() => schemas.forEach((s) => s.dispose()));

  test('generated values go to XML the XSD takes and come back the same; values with one fault are refused with their place', () => {
    expect(all.length).toBeGreaterThanOrEqual(60);
    expect(all.flatMap((c) => properties(c))).toEqual([]);
  }, 120000);
});

describe('generated XSDs: the constructs combined (test/support/xsd-arbitrary.ts)', () => {
  /** Schemas per run of the suite, and values per schema: a schema's values are drawn with a seed of its own text, so its seed replays both. */
  const SCHEMAS = Number(process.env.SMEV2_FC_SCHEMAS ?? 40);
  const models = new ComposerModels();
  let compiled = 0;
  let refused = 0;

  test('each schema\'s JSON Schema: generated values go to XML the XSD takes and come back the same; values with one fault are refused with their place', () => {
    const property = fc.property(schemaArb(), (sch) => {
      // (a combination libxml2 counts wrong: not the mapping's; docs/rest.md says it)
      fc.pre(!libxml2Miscounts(sch) && !wildcardsOverlap(sch));
      const b = writeBundle(sch);
      try {
        const s = corpusService(b.root, b.wsdl, 1);
        let schema: CompiledSchema;
        try {
          schema = compileBundleSchemas(s.sid, s.bundle, {});
        } catch {
          // a combination XSD itself forbids (a content model that is not deterministic): not the mapping's to judge
          refused++;
          fc.pre(false);
          return;
        }
        compiled++;
        try {
          const c: Case = { name: 'generated', m: models.operation(s, 'submit'), schema };
          const seed = createHash('sha256').update(b.xsd.a + b.xsd.b).digest().readInt32LE(0);
          const problems = properties(c, 8, seed, true);
          if (problems.length) throw new Error(`${problems.join('\n')}\nthe schema (urn:gen:a):\n${b.xsd.a}\nurn:gen:b:\n${b.xsd.b}`);
        } finally {
          schema.dispose();
        }
      } finally {
        rmSync(b.root, { recursive: true, force: true });
      }
    });
    const problems: string[] = [];
    try {
      fc.assert(property, { numRuns: SCHEMAS, includeErrorInReport: true, ...replay() });
    } catch (e) {
      problems.push((e as Error).message.split('\n').filter((l) => !/^\s+at /.test(l) && !l.startsWith('Hint:')).join('\n'));
    }
    expect(problems).toEqual([]);
    // most drawn schemas are ones XSD allows
    expect(refused).toBeLessThan(compiled);
  }, 120000);
});
