// The request composer's form model (src/admin/compose): forms, samples and rendered values over
// the demo bundles in wsdl/ and every bundle of the corpus; a rendered request must pass the
// bundle's own schema, compiled by libxml2 as the payload control compiles it.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadXml, type XmlElement } from '../src/xml/libxml';
import { loadService, type Service } from '../src/registry/load';
import { loadBundle } from '../src/registry/bundle';
import { readWsdlModel, qkey } from '../src/registry/wsdl-model';
import { compileBundleSchemas, formatSchemaErrors, type CompiledSchema } from '../src/control/schemas';
import { parseEnvelope } from '../src/envelope/parse';
import { firstChildElement } from '../src/xml/dom';
import { ComposerModels, type OperationModel } from '../src/xsd/model';
import { walkForm, fieldId, type FormNode } from '../src/xsd/form';
import { renderValues, sampleXml, ValuesError } from '../src/xsd/render';
import { requestEnvelope, type MessageFields } from '../src/admin/compose/envelope';
import { fromPattern } from '../src/xsd/sample';
import { CORPUS, ROOT, corpusAvailable, wsdlFiles } from './support/paths';

const FIELDS: MessageFields = {
  sender: { code: 'MINZ01001', name: 'Минздрав' }, recipient: { code: 'PFRF01001', name: 'ПФР' }, originator: { code: 'MINZ01001', name: 'Минздрав' },
  serviceMnemonic: 'TEST', serviceVersion: '1.00', typeCode: 'GSRV', status: 'REQUEST', date: '2024-03-14T10:15:30.125+03:00', exchangeType: '2', caseNumber: 'A-1', testMsg: true,
};

/** The operation element of a composed request, validated as the payload control does. */
function validate(schema: CompiledSchema, envelope: string): string[] {
  const p = parseEnvelope(Buffer.from(envelope, 'utf8'));
  try {
    return schema.validate(firstChildElement(p.body) as XmlElement).map((e) => e.message);
  } finally {
    p.doc.dispose();
  }
}

function field(form: FormNode, path: string): FormNode {
  const n = [...walkForm(form)].find((x) => x.path === path);
  if (!n) throw new Error(`no ${path} in the form: ${[...walkForm(form)].map((x) => x.path).join(', ')}`);
  return n;
}

/** Every input's id in a form: those of the nodes that have an input (compositors have none). */
function inputIds(form: FormNode): string[] {
  return [...walkForm(form)].filter((n) => !n.compositor).map((n) => n.id!);
}
const repeatedIn = (ids: string[]) => ids.filter((x, i) => ids.indexOf(x) !== i);

beforeAll(async () => {
  await loadXml();
});

describe('demo bundles (wsdl/)', () => {
  const models = new ComposerModels();
  const services = new Map<string, Service>();
  const schemas = new Map<string, CompiledSchema>();

  beforeAll(() => {
    for (const sid of readdirSync(join(ROOT, 'wsdl')).sort()) {
      const errors: unknown[] = [];
      const s = loadService(join(ROOT, 'wsdl', sid), errors as never, []);
      if (!s) throw new Error(`${sid}: ${JSON.stringify(errors)}`);
      services.set(sid, s);
      schemas.set(sid, compileBundleSchemas(sid, s.bundle, s.def.locations));
    }
  });
  afterAll(() => {
    for (const s of schemas.values()) s.dispose();
  });

  test('SID0003623 Process: the AppData element from the fixtures, its fields, facets, documentation and attributes', () => {
    const m = models.operation(services.get('SID0003623')!, 'Process');
    expect(m.revision).toBe('rev111111');
    expect(m.mode).toBe('sync');
    expect(m.input).toEqual({ ns: 'http://smev2-gateway.demo/pfr/snils', local: 'Process' });
    expect(m.appData.element).toEqual({ ns: 'http://smev2-gateway.demo/pfr/snils/data', local: 'ЗапросСНИЛС' });
    expect(m.appData.source).toBe('fixtures');
    expect(m.appData.candidates.map((c) => c.local)).toEqual(expect.arrayContaining(['ЗапросСНИЛС', 'ОтветСНИЛС']));
    const f = m.form;
    expect(f).toMatchObject({ name: 'ЗапросСНИЛС', path: 'ЗапросСНИЛС', kind: 'group', minOccurs: 1, maxOccurs: 1 });
    expect(f.documentation).toMatch(/Запрос страхового номера/);
    expect(f.children!.map((c) => c.name)).toEqual(['Фамилия', 'Имя', 'Отчество', 'ДатаРождения', 'Пол', 'МестоРождения', 'УдостоверяющийДокумент']);
    expect(field(f, 'ЗапросСНИЛС/Отчество')).toMatchObject({ kind: 'field', type: 'string', minOccurs: 0, minLength: 1, maxLength: 60, ns: 'http://smev2-gateway.demo/pfr/snils/data' });
    expect(field(f, 'ЗапросСНИЛС/Пол').enumeration).toEqual(['МУЖСКОЙ', 'ЖЕНСКИЙ']);
    const date = field(f, 'ЗапросСНИЛС/ДатаРождения');
    expect(date).toMatchObject({ type: 'string', minLength: 10, maxLength: 10 });
    expect(date.pattern).toContain('0[1-9]');
    expect(date.documentation).toMatch(/ДД\.ММ\.ГГГГ/);
    expect(field(f, 'ЗапросСНИЛС/УдостоверяющийДокумент/Серия')).toMatchObject({ maxLength: 10, minOccurs: 0 });
    expect(field(f, 'ЗапросСНИЛС/@ИдЗапроса')).toMatchObject({ attribute: true, minOccurs: 0, ns: '', maxLength: 36 });
    // the sample: required elements only, with values their types accept
    expect(m.sample).toContain('<pfr:ЗапросСНИЛС xmlns:pfr="http://smev2-gateway.demo/pfr/snils/data">');
    expect(m.sample).toMatch(/<pfr:ДатаРождения>\d\d\.\d\d\.\d{4}<\/pfr:ДатаРождения>/);
    expect(m.sample).toContain('<pfr:Пол>МУЖСКОЙ</pfr:Пол>');
    expect(m.sample).not.toContain('Отчество');
  });

  test('every input of every demo form has an HTML id of its own, from its path (Cyrillic names too), the same on every build', () => {
    const f = models.operation(services.get('SID0003623')!, 'Process').form;
    // «Пол» and «Имя» became the same id when every non-ASCII letter was written as _
    expect(field(f, 'ЗапросСНИЛС/Пол').id).toBe(fieldId('ЗапросСНИЛС/Пол'));
    expect(field(f, 'ЗапросСНИЛС/Пол').id).not.toBe(field(f, 'ЗапросСНИЛС/Имя').id);
    expect(field(f, 'ЗапросСНИЛС/@ИдЗапроса').id).toMatch(/^f-[A-Za-z0-9_-]+$/);
    let checked = 0;
    for (const [sid, s] of services) {
      for (const op of s.operations) {
        const form = models.operation(s, op.name).form;
        const ids = inputIds(form);
        expect({ sid, op: op.name, missing: ids.filter((x) => !/^f-[A-Za-z0-9_~-]+$/.test(x ?? '')) }).toEqual({ sid, op: op.name, missing: [] });
        expect({ sid, op: op.name, repeated: repeatedIn(ids) }).toEqual({ sid, op: op.name, repeated: [] });
        // stable: a second build of the form gives the same ids
        expect(inputIds(new ComposerModels().operation(s, op.name).form)).toEqual(ids);
        checked += ids.length;
      }
    }
    expect(checked).toBeGreaterThan(20);
    // the encoding is one-to-one: paths that differ only in letters outside ASCII, or in _ against a letter, differ
    expect(new Set(['А/Б', 'А/В', 'A_B', 'A/B', 'A.B', 'Б_', 'Б']).size).toBe(new Set(['А/Б', 'А/В', 'A_B', 'A/B', 'A.B', 'Б_', 'Б'].map(fieldId)).size);
  });

  test('SID0003623: form values render in schema order, empty optional ones left out, and pass the bundle schema', () => {
    const m = models.operation(services.get('SID0003623')!, 'Process');
    const xml = renderValues(m.form, {
      'ЗапросСНИЛС/Пол': 'ЖЕНСКИЙ', 'ЗапросСНИЛС/Фамилия': 'ИВАНОВА', 'ЗапросСНИЛС/Имя': 'МАРИЯ', 'ЗапросСНИЛС/Отчество': '',
      'ЗапросСНИЛС/ДатаРождения': '14.07.1985', 'ЗапросСНИЛС/@ИдЗапроса': 'a<b&"c"', 'ЗапросСНИЛС/УдостоверяющийДокумент/Номер': '482913',
      'ЗапросСНИЛС/УдостоверяющийДокумент/Серия': '',
    }, m.prefixes);
    expect(xml.indexOf('Фамилия')).toBeLessThan(xml.indexOf('Имя'));
    expect(xml.indexOf('ДатаРождения')).toBeLessThan(xml.indexOf('Пол'));
    expect(xml).not.toContain('Отчество');
    expect(xml).not.toContain('Серия');
    expect(xml).toContain('ИдЗапроса="a&lt;b&amp;&quot;c&quot;"');
    // a required element of a written group is written even when empty: the schema check names it
    expect(xml).toContain('<pfr:ТипДокумента/>');
    const errors = validate(schemas.get('SID0003623')!, requestEnvelope(m, FIELDS, xml));
    expect(errors.join('\n')).toMatch(/ТипДокумента/);
    const ok = renderValues(m.form, { 'ЗапросСНИЛС/Фамилия': 'ИВАНОВА', 'ЗапросСНИЛС/Имя': 'МАРИЯ', 'ЗапросСНИЛС/ДатаРождения': '14.07.1985', 'ЗапросСНИЛС/Пол': 'ЖЕНСКИЙ' }, m.prefixes);
    expect(validate(schemas.get('SID0003623')!, requestEnvelope(m, FIELDS, ok))).toEqual([]);
  });

  test('unknown paths are refused with their names; [1] is the first of a repeated element', () => {
    const m = models.operation(services.get('SID0003623')!, 'Process');
    expect(() => renderValues(m.form, { 'ЗапросСНИЛС/Нет': 'x' }, m.prefixes)).toThrow(ValuesError);
    expect(() => renderValues(m.form, { 'ЗапросСНИЛС/Нет': 'x' }, m.prefixes)).toThrow(/ЗапросСНИЛС\/Нет/);
    expect(renderValues(m.form, { 'ЗапросСНИЛС[1]/Фамилия[1]': 'А' }, m.prefixes)).toContain('<pfr:Фамилия>А</pfr:Фамилия>');
  });

  test('every demo operation: a form, a sample, and a request built from the sample that the bundle schema accepts', () => {
    for (const [sid, s] of services) {
      for (const op of s.operations) {
        const m = models.operation(s, op.name);
        expect({ sid, op: op.name, source: m.appData.source }).toEqual({ sid, op: op.name, source: expect.stringMatching(/schema|fixtures|documentation/) });
        expect(m.sample.length).toBeGreaterThan(0);
        const env = requestEnvelope(m, { ...FIELDS, status: op.mode === 'async-get' ? 'PING' : 'REQUEST' }, m.sample);
        expect({ sid, op: op.name, errors: validate(schemas.get(sid)!, env) }).toEqual({ sid, op: op.name, errors: [] });
      }
    }
  });

  test('the AppData element of each demo operation is the one its fixtures send', () => {
    const got = Object.fromEntries([...services].flatMap(([sid, s]) => s.operations.map((o) => [`${sid} ${o.name}`, models.operation(s, o.name).appData.element?.local])));
    expect(got).toEqual({
      'SID0003456 sendConvictionRequest': 'CriminalRecordRequest',
      'SID0003456 getConvictionResponse': 'RequestID',
      'SID0003525 getEgrulExtract': 'Документ',
      'SID0003564 CreateRequest': 'createRequestBean',
      'SID0003564 GetStatus': 'requestNumber',
      'SID0003623 Process': 'ЗапросСНИЛС',
      // the demo manual provider has no fixtures: its operations' documentation names the same elements
      'SID0009001 sendConvictionRequest': 'CriminalRecordRequest',
      'SID0009001 getConvictionResponse': 'RequestID',
    });
  });

  test('without fixtures, the operation element\'s documentation names the AppData element', () => {
    for (const [sid, s] of services) {
      const bare = { ...s, def: { ...s.def, adapter: { type: 'http', url: 'http://x.invalid/', connectTimeoutMs: 1, readTimeoutMs: 1, maxAnswerBytes: 1 } } } as Service;
      for (const o of s.operations) {
        const m = new ComposerModels().operation(bare, o.name);
        const want = models.operation(s, o.name).appData.element;
        expect({ sid, op: o.name, source: m.appData.source, element: m.appData.element }).toEqual({ sid, op: o.name, source: 'documentation', element: want });
      }
    }
  });

  test('rev120315 writes ServiceName; ?element= picks another AppData element; an unknown one is a 404', () => {
    const s = services.get('SID0003525')!;
    const m = models.operation(s, 'getEgrulExtract');
    expect(m.revision).toBe('rev120315');
    expect(m.appData.element!.ns).toMatch(/request$/);
    const env = requestEnvelope(m, { ...FIELDS, serviceMnemonic: 'EGRULExtract' }, m.sample);
    expect(env).toMatch(/<smev:ServiceName>EGRULExtract<\/smev:ServiceName>/);
    expect(env).toMatch(/<smev:TestMsg\/>/);
    const other = models.operation(s, 'getEgrulExtract', `{${m.appData.element!.ns.replace(/request$/, 'response')}}Документ`);
    expect(other.appData).toMatchObject({ source: 'asked', element: { local: 'Документ' } });
    expect(() => models.operation(s, 'getEgrulExtract', 'Документ')).toThrow(/ambiguous/);
    expect(() => models.operation(s, 'getEgrulExtract', 'НетТакого')).toThrow(/no global element/);
    expect(() => models.operation(s, 'nope')).toThrow(/no operation nope/);
  });
});

describe('every construct (test/data/compose)', () => {
  let s: Service;
  let m: OperationModel;
  let schema: CompiledSchema;
  beforeAll(() => {
    s = corpusService(join(ROOT, 'test', 'data', 'compose'), 'Synthetic.wsdl', 99);
    m = new ComposerModels().operation(s, 'submit');
    schema = compileBundleSchemas(s.sid, s.bundle, {});
  });
  afterAll(() => schema.dispose());

  test('the form: extension, choice, group refs, simple content, abstract types, recursion, chameleon includes, lists', () => {
    const f = m.form;
    expect(m.appData).toMatchObject({ source: 'documentation', element: { ns: 'urn:compose-test', local: 'Request' } });
    expect(f.children!.map((c) => c.name)).toEqual(['Person', 'Child', '#choice', 'Note', 'Amount', 'Payload', 'Tree', 'Signed', 'When', 'Codes']);
    // complexContent extension: the base's elements first, then the derived ones; its fixed attribute
    expect(field(f, 'Request/Person').children!.map((c) => c.name)).toEqual(['SNILS', 'Name', 'Sex', 'Born']);
    expect(field(f, 'Request/Person/@kind')).toMatchObject({ fixed: 'person', minOccurs: 0 });
    expect(field(f, 'Request/Person/SNILS').pattern).toBe('\\d{3}-\\d{3}-\\d{3} \\d{2}');
    // a chameleon include: Name and Part are read into urn:compose-test
    expect(field(f, 'Request/Person/Name/Last')).toMatchObject({ ns: 'urn:compose-test', type: 'string', minLength: 1, maxLength: 60 });
    expect(field(f, 'Request/Child')).toMatchObject({ minOccurs: 0, maxOccurs: null, kind: 'group' });
    expect(field(f, 'Request/Child/Age')).toMatchObject({ type: 'nonNegativeInteger', minInclusive: '1', maxInclusive: '17' });
    const choice = field(f, 'Request/#choice');
    expect(choice).toMatchObject({ choice: true, compositor: 'choice', kind: 'group', minOccurs: 1, maxOccurs: 1 });
    expect(choice.children!.map((c) => c.name)).toEqual(['Passport', '#sequence']);
    expect(choice.children![1]!.children!.map((c) => c.path)).toEqual(['Request/BirthCertificate', 'Request/Issued']);
    expect(field(f, 'Request/Passport')).toMatchObject({ minLength: 6, maxLength: 6, pattern: '[0-9]{6}' });
    expect(field(f, 'Request/Note')).toMatchObject({ ns: 'urn:compose-test', maxLength: 20, documentation: 'A free note' });
    // simple content: a field with attributes
    expect(field(f, 'Request/Amount')).toMatchObject({ kind: 'field', type: 'decimal', minExclusive: '0', fractionDigits: 2 });
    expect(field(f, 'Request/Amount/@currency')).toMatchObject({ minOccurs: 1, enumeration: ['RUB'] });
    expect(field(f, 'Request/Payload')).toMatchObject({ xsiType: { ns: 'urn:compose-test', local: 'TextPayload' } });
    expect(field(f, 'Request/Payload/Text').type).toBe('string');
    // recursion: expanded once more, then marked
    expect(field(f, 'Request/Tree/Node/Node')).toMatchObject({ recursive: true, kind: 'group' });
    expect(field(f, 'Request/Signed').type).toBe('boolean');
    expect(field(f, 'Request/Codes')).toMatchObject({ list: true, type: 'string' });
    expect(field(f, 'Request/@id')).toMatchObject({ minOccurs: 1, type: 'ID' });
    expect(field(f, 'Request/@by')).toMatchObject({ minOccurs: 0 });
  });

  test('ids: unique in the form, a path met again in a choice\'s other alternative gets ~2', () => {
    const ids = inputIds(m.form);
    expect(repeatedIn(ids)).toEqual([]);
    expect(field(m.form, 'Request/Person/Name/Last').id).toBe(fieldId('Request/Person/Name/Last'));
    expect(field(m.form, 'Request/Amount/@currency').id).toBe('f-Request_2f_Amount_2f__40_currency');
    const byPath = new Map<string, string[]>();
    for (const n of [...walkForm(m.form)].filter((x) => !x.compositor)) byPath.set(n.path, [...(byPath.get(n.path) ?? []), n.id!]);
    for (const [path, got] of byPath) expect(got).toEqual(got.map((_, i) => (i ? `${fieldId(path)}~${i + 1}` : fieldId(path))));
  });

  test('the sample passes the schema', () => {
    expect(m.sample).toContain('xsi:type="tns:TextPayload"');
    expect(validate(schema, requestEnvelope(m, FIELDS, m.sample))).toEqual([]);
  });

  test('repeated elements by index, a choice by the alternative filled in, in schema order, pass the schema', () => {
    const xml = renderValues(m.form, {
      'Request/@id': 'r1', 'Request/Signed': 'false', 'Request/Amount': '10.50', 'Request/Amount/@currency': 'RUB',
      'Request/Child[2]/Name/First': 'Пётр', 'Request/Child[2]/Name/Last': 'Иванов', 'Request/Child[2]/Age': '5',
      'Request/Child/Name/Last': 'Иванова', 'Request/Child[1]/Name/First': 'Анна',
      'Request/BirthCertificate': 'I-АБ 123456',
      'Request/Person/SNILS': '158-301-447 53', 'Request/Person/Name/Last': 'Иванов', 'Request/Person/Name/First': 'Иван', 'Request/Person/Sex': 'M', 'Request/Person/Born': '1980-01-02',
      'Request/Payload/Text': 'hello', 'Request/Tree/Label': 'root', 'Request/Tree/Node[2]/Label': 'b', 'Request/Tree/Node/Label': 'a',
    }, m.prefixes);
    expect(xml.indexOf('Иванова')).toBeLessThan(xml.indexOf('Пётр'));
    expect(xml.indexOf('<tns:Person>')).toBeLessThan(xml.indexOf('<tns:Child>'));
    expect(xml).not.toContain('Passport');
    expect(xml).toContain('<tns:BirthCertificate>I-АБ 123456</tns:BirthCertificate>');
    expect(xml).toContain('<tns:Amount currency="RUB">10.50</tns:Amount>');
    expect(xml.indexOf('>a<')).toBeLessThan(xml.indexOf('>b<'));
    expect(validate(schema, requestEnvelope(m, FIELDS, xml))).toEqual([]);
  });
});

describe('XSD patterns: the sample value matches', () => {
  test.each([
    ['\\d{3}-\\d{3}-\\d{3}[ \\-]\\d{2}', /^\d{3}-\d{3}-\d{3}[ -]\d{2}$/],
    ['[А-ЯЁ]{2}\\d{6}', /^[А-ЯЁ]{2}\d{6}$/],
    ['(\\d{10})|(\\d{12})', /^(\d{10}|\d{12})$/],
    ['[0-9]{1,20}', /^[0-9]{1,20}$/],
    ['[^0-9]+', /^[^0-9]+$/],
    ['\\p{Lu}\\p{Ll}*', /^\p{Lu}\p{Ll}*$/u],
    ['[a-z-[aeiou]]{3}', /^[b-df-hj-np-tv-z]{3}$/],
  ])('%s', (p, re) => {
    expect(fromPattern(p)).toMatch(re);
  });
  test('length facets lengthen the match', () => {
    expect(fromPattern('\\d+', 5, 8)).toMatch(/^\d{5}$/);
  });
});

// ---- the corpus: every bundle's operations get a form; a request from the sample passes its schema ----

const available = corpusAvailable();
const servicesRoot = join(CORPUS, 'services');


const bundles = available ? readdirSync(servicesRoot).sort().flatMap((b) => wsdlFiles(join(servicesRoot, b)).sort().map((w) => ({ root: join(servicesRoot, b), wsdl: relative(join(servicesRoot, b), w) }))) : [];

/** what an operator writes in service.yaml `locations:` for these bundles (FNS imports XOP by its namespace URL) */
const LOCATIONS: Record<string, Record<string, string>> = {
  'fns-inn-sid0003450': { 'http://www.w3.org/2004/08/xop/include': 'smev/xop-include.xsd' },
};

function corpusService(root: string, wsdl: string, i: number): Service {
  const locations = LOCATIONS[relative(servicesRoot, root)] ?? {};
  const bundle = loadBundle(root, wsdl, locations);
  const model = readWsdlModel(bundle);
  const operations = model.operations.map((o) => ({ ...o, mode: 'sync' as const }));
  return {
    sid: `SID09000${String(i).padStart(2, '0')}`, dir: root, bundle, wsdl: model, operations,
    byInput: new Map(operations.filter((o) => o.input).map((o) => [qkey(o.input!), o])),
    def: { sid: `SID09000${String(i).padStart(2, '0')}`, service: { mnemonic: 'TEST', version: '1.00' }, provider: { mnemonic: 'TEST01001', name: 'Test' }, locations, operations: {}, adapter: { type: 'http', url: 'http://x.invalid/' } },
  } as unknown as Service;
}

(available ? describe : describe.skip)(`corpus bundles (${servicesRoot})`, () => {
  const results: { bundle: string; op: string; m?: OperationModel; error?: string; schemaErrors?: string[]; compiled: boolean }[] = [];

  beforeAll(() => {
    const models = new ComposerModels();
    bundles.forEach(({ root, wsdl }, i) => {
      const s = corpusService(root, wsdl, i);
      let schema: CompiledSchema | undefined;
      try {
        schema = compileBundleSchemas(s.sid, s.bundle, s.def.locations);
      } catch {
        schema = undefined; // some published bundles import their schemas from the old node: nothing to validate against
      }
      try {
        for (const op of s.operations.filter((o) => o.input)) {
          const name = `${relative(servicesRoot, root)}/${wsdl}`;
          try {
            const m = models.operation(s, op.name);
            const env = requestEnvelope(m, FIELDS, m.sample);
            const checkable = !!schema;
            results.push({ bundle: name, op: op.name, m, compiled: checkable, schemaErrors: checkable ? validate(schema!, env) : undefined });
          } catch (e) {
            results.push({ bundle: name, op: op.name, error: (e as Error).stack, compiled: !!schema });
          }
        }
      } finally {
        schema?.dispose();
      }
    });
  });

  test('the corpus has bundles with operations', () => {
    expect(bundles.length).toBeGreaterThanOrEqual(15);
    expect(results.length).toBeGreaterThanOrEqual(30);
  });

  test('an operation\'s input is its Body element, never a part a soap:header takes (social-support-1021 lists smev:Header first)', () => {
    const inputs = results.map((r) => ({ op: `${r.bundle} ${r.op}`, input: r.m?.input }));
    expect(inputs.filter((x) => x.input?.local === 'Header')).toEqual([]);
    const social = results.filter((r) => r.bundle.startsWith('social-support-1021/'));
    expect(social.map((r) => r.m?.input.local).sort()).toEqual(['SumSocHelpRequest', 'SumSocHelpRequestData']);
  });

  test('every operation of every bundle produces a form and a sample without throwing', () => {
    expect(results.filter((r) => r.error).map((r) => `${r.bundle} ${r.op}: ${r.error}`)).toEqual([]);
    for (const r of results) {
      expect(r.m!.form.path).toBeTruthy();
      expect(typeof r.m!.sample).toBe('string');
      // each input of the form has an id of its own (the console's labels point at them)
      expect({ op: `${r.bundle} ${r.op}`, repeated: repeatedIn(inputIds(r.m!.form)) }).toEqual({ op: `${r.bundle} ${r.op}`, repeated: [] });
    }
  });

  test('a request built from each sample passes the bundle\'s own schema (where the bundle compiles)', () => {
    const checked = results.filter((r) => r.compiled);
    expect(checked.length).toBeGreaterThanOrEqual(20);
    expect(checked.filter((r) => r.schemaErrors!.length).map((r) => `${r.bundle} ${r.op} (${r.m!.appData.source} ${r.m!.appData.element?.local ?? ''}): ${formatSchemaErrors(r.schemaErrors!.map((message) => ({ message })), 3)}`)).toEqual([]);
  });

  test('typed AppData (FNS bridges, Rosreestr, MVD) comes from the schema', () => {
    const bySource = (b: RegExp) => results.filter((r) => b.test(r.bundle) && r.op !== 'test').map((r) => r.m!.appData.source);
    expect(new Set(bySource(/^fns-inn-sid0003450\/smev\/v_2_4/))).toEqual(new Set(['schema']));
    expect(new Set(bySource(/^rosreestr/))).toEqual(new Set(['schema']));
    expect(new Set(bySource(/^mvd-giac-conviction/))).toEqual(new Set(['schema']));
  });

  test('an operation element that is no SMEV message (FNS test) is its own form', () => {
    const r = results.find((x) => /^fns-inn-sid0003450\/inn/.test(x.bundle) && x.op === 'test')!;
    expect(r.m!.body).toBe('operation');
    expect(r.m!.form).toMatchObject({ name: 'TestRequest', path: 'TestRequest', kind: 'field', enumeration: ['1'] });
    expect(r.m!.sample).toMatch(/^<\w+:TestRequest xmlns:\w+="http:\/\/ws\.unisoft\/">1<\/\w+:TestRequest>$/);
  });

  test('a sample of a deep bundle renders back from its own values', () => {
    const r = results.find((x) => /treasury-unifo/.test(x.bundle))!;
    const values: Record<string, string> = {};
    for (const n of walkForm(r.m!.form)) if (n.kind === 'field' && !n.any && n.minOccurs > 0 && !n.attribute) values[n.path] = 'x';
    expect(() => renderValues(r.m!.form, values, r.m!.prefixes)).not.toThrow();
    expect(sampleXml(r.m!.form, r.m!.prefixes)).toBe(r.m!.sample);
  });
});
