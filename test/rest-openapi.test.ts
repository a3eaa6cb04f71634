// The REST façade's OpenAPI 3.1 documents (src/rest/openapi.ts; docs/rest.md): one per SID at
// /api/v1/services/{sid}/openapi.json and one for all at /api/v1/openapi.json, served by the
// gateway over HTTP, valid by a real OpenAPI validator (@seriousme/openapi-schema-validator),
// every demo operation a path with its request and answer schemas from the XSD.
import Ajv2020 from 'ajv/dist/2020';
import { startGateway, type GatewayProcess } from './support/gateway';
import { loadXml } from '../src/xml/libxml';
import { ComposerModels } from '../src/xsd/model';
import { serviceDocument } from '../src/rest/openapi';
import { CORPUS, corpusAvailable } from './support/paths';
import { bundleService, corpusBundles, CORPUS_LOCATIONS } from './support/corpus-service';

type Doc = { openapi: string; paths: Record<string, any>; components: { schemas: Record<string, any>; securitySchemes: Record<string, any> }; servers: { url: string }[]; info: { title: string; description: string } };

const DEMO_OPERATIONS: Record<string, string[]> = {
  SID0003456: ['sendConvictionRequest', 'getConvictionResponse'],
  SID0003525: ['getEgrulExtract'],
  SID0003564: ['CreateRequest', 'GetStatus'],
  SID0003623: ['Process'],
  SID0009001: ['sendConvictionRequest', 'getConvictionResponse'], // the demo manual provider
};

let gw: GatewayProcess;
let validator: { validate(d: any): Promise<{ valid: boolean; errors?: unknown }> };

beforeAll(async () => {
  gw = await startGateway();
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  validator = new Validator();
  // the validator refuses what is not OpenAPI 3.1 (the checks below can fail)
  expect((await validator.validate({ openapi: '3.1.0', info: { title: 'x' }, paths: { 'no-slash': {} } })).valid).toBe(false);
}, 60000);
afterAll(async () => {
  await gw?.stop();
});

async function getDoc(path: string): Promise<Doc> {
  const res = await fetch(`${gw.url}${path}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return await res.json() as Doc;
}

test('each demo SID\'s document is valid OpenAPI 3.1, with a path per operation and the schemas of its XSD', async () => {
  for (const [sid, ops] of Object.entries(DEMO_OPERATIONS)) {
    const doc = await getDoc(`/api/v1/services/${sid}/openapi.json`);
    const v = await validator.validate(doc);
    expect({ sid, valid: v.valid, errors: v.errors }).toEqual({ sid, valid: true, errors: undefined });
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers[0]!.url).toBe(gw.url);
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-API-Key' });
    expect(Object.keys(doc.paths).sort()).toEqual([...ops.map((o) => `/api/v1/services/${sid}/${o}`), '/api/v1/tickets/{id}'].sort());
    for (const op of ops) {
      const post = doc.paths[`/api/v1/services/${sid}/${op}`].post;
      expect(post.requestBody.content['application/json'].schema).toEqual({ $ref: `#/components/schemas/${sid}.${op}.request` });
      expect(post.requestBody.content['application/xml']).toBeDefined();
      expect(post.responses['400'].content['application/problem+json'].schema).toEqual({ $ref: '#/components/schemas/Problem' });
      expect(doc.components.schemas[`${sid}.${op}.request`]).toBeDefined();
      expect(doc.components.schemas[`${sid}.${op}.answer`]).toBeDefined();
      // the JSON Schemas compile as 2020-12 (the document's dialect)
      const ajv = new Ajv2020({ strict: false });
      ajv.addSchema({ $id: 'doc', components: doc.components }, 'doc');
      expect(() => ajv.compile({ $ref: `doc#/components/schemas/${sid}.${op}.request` })).not.toThrow();
    }
  }
});

test('asynchronous operations answer 202 with a ticket; synchronous ones 200 with the answer schema', async () => {
  const doc = await getDoc('/api/v1/services/SID0003456/openapi.json');
  const send = doc.paths['/api/v1/services/SID0003456/sendConvictionRequest'].post;
  expect(Object.keys(send.responses)).toContain('202');
  expect(send.responses['202'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Ticket' });
  expect(send.responses['200']).toBeUndefined();
  const get = doc.paths['/api/v1/services/SID0003456/getConvictionResponse'].post;
  expect(get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/SID0003456.getConvictionResponse.answer' });
  expect(doc.components.schemas.Ticket.properties.answer.anyOf).toEqual([{ $ref: '#/components/schemas/SID0003456.getConvictionResponse.answer' }]);
  expect(doc.paths['/api/v1/tickets/{id}'].get.responses['202']).toBeDefined();
});

test('the XSD\'s annotations are the descriptions, its facets the constraints (SID0003623)', async () => {
  const doc = await getDoc('/api/v1/services/SID0003623/openapi.json');
  const req = doc.components.schemas['SID0003623.Process.request'];
  expect(req.description).toMatch(/Запрос страхового номера/);
  expect(req.required).toEqual(expect.arrayContaining(['Фамилия', 'Имя', 'ДатаРождения', 'Пол']));
  expect(req.required).not.toContain('Отчество');
  expect(req.properties['Отчество']).toMatchObject({ type: 'string', minLength: 1, maxLength: 60 });
  expect(req.properties['Пол'].enum).toEqual(['МУЖСКОЙ', 'ЖЕНСКИЙ']);
  expect(req.properties['ДатаРождения'].description).toMatch(/ДД\.ММ\.ГГГГ/);
  expect(req.properties['@ИдЗапроса']).toMatchObject({ type: 'string', maxLength: 36 });
  expect(req['x-xml-element']).toBe('{http://smev2-gateway.demo/pfr/snils/data}ЗапросСНИЛС');
});

test('the document of every SID is valid and holds every demo operation', async () => {
  const doc = await getDoc('/api/v1/openapi.json');
  const v = await validator.validate(doc);
  expect({ valid: v.valid, errors: v.errors }).toEqual({ valid: true, errors: undefined });
  const want = Object.entries(DEMO_OPERATIONS).flatMap(([sid, ops]) => ops.map((o) => `/api/v1/services/${sid}/${o}`));
  expect(Object.keys(doc.paths).sort()).toEqual([...want, '/api/v1/tickets/{id}'].sort());
  expect(doc.info.description).not.toMatch(/left out/);
  const ids = Object.values(doc.paths).flatMap((p: any) => Object.values(p).map((o: any) => o.operationId));
  expect(new Set(ids).size).toBe(ids.length);
});

test('an unknown SID is a 404 problem with the catalogue code', async () => {
  const res = await fetch(`${gw.url}/api/v1/services/SID0000001/openapi.json`);
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const p = await res.json() as Record<string, unknown>;
  expect(p).toMatchObject({ type: 'urn:smev2-gateway:fault:GW-6006', status: 404, code: 'GW-6006', title: 'Not Found' });
  expect(p.detail).toBe('GW-6006: No service SID0000001: GET /api/v1/openapi.json lists every SID');
});

const available = corpusAvailable();
(available ? describe : describe.skip)(`corpus bundles (${CORPUS}/services)`, () => {
  test('the document of every corpus bundle is valid OpenAPI 3.1, and leaves no operation out', async () => {
    await loadXml();
    const models = new ComposerModels();
    const bundles = corpusBundles();
    expect(bundles.length).toBeGreaterThanOrEqual(15);
    const invalid: unknown[] = [];
    let operations = 0;
    for (const [i, b] of bundles.entries()) {
      const s = bundleService(b.root, b.wsdl, `SID092${String(i).padStart(4, '0')}`, CORPUS_LOCATIONS[b.bundle] ?? {});
      const doc = serviceDocument(s, models, 'http://localhost:7777') as Doc;
      const v = await validator.validate(doc);
      if (!v.valid) invalid.push({ bundle: `${b.bundle}/${b.wsdl}`, errors: v.errors });
      if (/left out/.test(doc.info.description)) invalid.push({ bundle: `${b.bundle}/${b.wsdl}`, leftOut: doc.info.description });
      operations += Object.keys(doc.paths).length - 1;
    }
    expect(invalid).toEqual([]);
    expect(operations).toBeGreaterThanOrEqual(30);
  }, 120000);
});
