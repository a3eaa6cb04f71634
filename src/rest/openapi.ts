import type { Service } from '../registry/load';
import { pollOperation } from '../registry/modes';
import { ComposerModels } from '../xsd/model';
import { rootSchema, type JsonSchema } from '../xsd/json-schema';

/**
 * The REST façade's contract (docs/rest.md): an OpenAPI 3.1 document per SID, generated from its
 * WSDL/XSD bundle (the JSON Schema of each operation's request and answer, json-schema.ts), at
 * GET /api/v1/services/{sid}/openapi.json, and one for every SID at GET /api/v1/openapi.json.
 * Each operation is a path of its own (POST /api/v1/services/{sid}/{operation}), so that a
 * generated client has the operation's types; the schemas are components named
 * `{sid}.{operation}.request` and `.answer`.
 */

/** The header that carries a system's API key. */
export const API_KEY_HEADER = 'X-API-Key';

/** The catalogue of problem statuses the façade answers (docs/rest.md, "Faults"). */
/** The answer as a document to read (Accept: application/pdf, text/html; docs/rest.md 4a): a download. */
const DOCUMENTS = {
  'application/pdf': { schema: { type: 'string', format: 'binary', description: 'the answer as an A4 PDF: values labelled by the XSD, the journal ids and signature verdicts at its foot (Content-Disposition: attachment)' } },
  'text/html': { schema: { type: 'string', description: 'the same document as a standalone printable HTML page (Content-Disposition: attachment)' } },
};

export const PROBLEM_STATUSES: Record<number, string> = {
  400: 'the JSON or XML is malformed, or does not fit the operation\'s schema (the detail says where)',
  401: 'no API key, or an unknown one',
  403: 'the key\'s system may not call this SID',
  404: 'no such SID, operation or ticket',
  406: 'Accept names none of application/json, application/xml, application/pdf, text/html',
  409: 'the gateway holds no private key for the key\'s system: it cannot sign as it',
  413: 'the body is larger than the gateway takes',
  415: 'the body is neither application/json nor application/xml',
  422: 'the request was refused by the gateway\'s control (schema, signature, format-logical control): the catalogue code says which',
  502: 'the provider answered with a fault or something the gateway could not read',
  503: 'the provider is unavailable, or the gateway is overloaded',
  504: 'the provider did not answer in time',
};

const PROBLEM = 'application/problem+json';

export function problemSchema(): JsonSchema {
  return {
    type: 'object', description: 'RFC 9457 problem details, with the gateway\'s catalogue code (docs/faults.md)',
    required: ['type', 'title', 'status'],
    properties: {
      type: { type: 'string', description: 'a URI naming the problem: the catalogue code\'s entry' },
      title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' },
      instance: { type: 'string' },
      code: { type: 'string', description: 'the catalogue code: GW-nnnn (the gateway) or SMEV-nnnnnn (the node\'s faults)', examples: ['GW-1001'] },
      at: { type: 'string', description: 'where in the request body the problem is (a JSON pointer or an XML path)' },
      exchangeId: { type: ['string', 'null'], description: 'the exchange in the journal' },
      smevStatus: { type: 'string', description: 'the smev:Status of an answer that could not be given as JSON' },
    },
  };
}

export function ticketSchema(answer: JsonSchema | undefined): JsonSchema {
  return {
    type: 'object', required: ['id', 'status', 'sid', 'operation'],
    properties: {
      id: { type: 'string' }, sid: { type: 'string' }, operation: { type: 'string', description: 'the operation the request was sent to' },
      status: { type: 'string', enum: ['pending', 'done'], description: 'pending: poll again (Retry-After); done: `answer` holds the provider\'s final answer (its smev:Status in smevStatus: RESULT, REJECT, INVALID, FAILURE)' },
      smevStatus: { type: ['string', 'null'], description: 'the smev:Status of the last answer: ACCEPT, PROCESS while pending' },
      href: { type: 'string', description: 'where to poll: GET this' },
      createdAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' },
      answer: answer ?? { description: 'the answer, as the answer schema of the operation that gave it' },
    },
  };
}

/** A component name OpenAPI accepts (^[a-zA-Z0-9._-]+$), unique for a SID and operation. */
export function componentName(sid: string, operation: string, role: 'request' | 'answer'): string {
  const safe = operation.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)!.toString(16)}`);
  return `${sid}.${safe}.${role}`;
}

interface Built {
  paths: Record<string, unknown>;
  schemas: Record<string, JsonSchema>;
  asyncAnswers: string[];
  problems: string[];
}

const isAsync = (mode: string) => mode === 'async-send' || mode === 'async';

/** One SID's paths and schemas. A model that cannot be built leaves its operation out and says why. */
function buildService(s: Service, models: ComposerModels): Built {
  const out: Built = { paths: {}, schemas: {}, asyncAnswers: [], problems: [] };
  for (const op of s.operations.filter((o) => o.input)) {
    let req;
    let ans;
    try {
      req = models.operation(s, op.name);
      ans = models.answer(s, op.name);
    } catch (e) {
      out.problems.push(`${s.sid} ${op.name}: ${(e as Error).message}`);
      continue;
    }
    const reqName = componentName(s.sid, op.name, 'request');
    const ansName = componentName(s.sid, op.name, 'answer');
    out.schemas[reqName] = { ...rootSchema(req.form), 'x-xml-element': req.form.appData ? 'the content of smev:AppData' : `{${req.form.ns}}${req.form.name}` };
    out.schemas[ansName] = { ...rootSchema(ans.form), 'x-xml-element': ans.form.appData ? 'the content of smev:AppData' : `{${ans.form.ns}}${ans.form.name}` };
    const ref = (n: string) => ({ $ref: `#/components/schemas/${n}` });
    const xmlBody = (what: string) => ({ schema: { type: 'string', description: what } });
    const ticket202 = { 202: { description: 'accepted, or not ready yet (smev:Status ACCEPT or PROCESS): poll the ticket (Location)', headers: { Location: { schema: { type: 'string' }, description: 'the ticket: GET /api/v1/tickets/{id}' } },
      content: { 'application/json': { schema: ref('Ticket') } } } };
    const responses: Record<string, unknown> = isAsync(op.mode)
      ? { 202: { description: 'accepted: the answer comes later, poll the ticket (Location)', headers: { Location: { schema: { type: 'string' }, description: 'the ticket: GET /api/v1/tickets/{id}' } },
        content: { 'application/json': { schema: ref('Ticket') } } } }
      : { 200: { description: 'the provider\'s answer (its smev:Status in X-SMEV-Status)', content: { 'application/json': { schema: ref(ansName) }, 'application/xml': xmlBody('the AppData content of the answer, as XML'), ...DOCUMENTS } }, ...ticket202 };
    // a ticket's answer is the polled operation's (the get operation of a send/get pair)
    if (isAsync(op.mode)) out.asyncAnswers.push(componentName(s.sid, (pollOperation(s, op) ?? op).name, 'answer'));
    for (const [status, description] of Object.entries(PROBLEM_STATUSES)) responses[status] = { description, content: { [PROBLEM]: { schema: ref('Problem') } } };
    out.paths[`/api/v1/services/${encodeURIComponent(s.sid)}/${encodeURIComponent(op.name)}`] = {
      post: {
        operationId: `${s.sid}_${op.name}`.replace(/[^A-Za-z0-9_]/g, '_'),
        summary: `${op.name} of ${s.sid} (${s.def.service.mnemonic} ${s.def.service.version}, ${s.def.provider.name}): ${op.mode}`,
        description: [req.envelopeForm?.documentation, `AppData: ${req.form.appData ? 'several elements' : `{${req.form.ns}}${req.form.name}`}. Mode ${op.mode}${isAsync(op.mode) ? ': 202 and a ticket to poll' : ''}.`].filter(Boolean).join('\n\n'),
        tags: [s.sid],
        parameters: [
          { name: 'caseNumber', in: 'query', required: false, description: 'smev:CaseNumber', schema: { type: 'string' } },
          { name: 'testMsg', in: 'query', required: false, description: 'smev:TestMsg: a test message', schema: { type: 'boolean' } },
          { name: 'originRequestIdRef', in: 'query', required: false, description: 'smev:OriginRequestIdRef: the chain a message belongs to (a poll sent directly on a get operation)', schema: { type: 'string' } },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: ref(reqName) }, 'application/xml': xmlBody('the AppData content, as XML') } },
        responses,
      },
    };
  }
  return out;
}

function document(title: string, description: string, built: Built[], base: string): object {
  const schemas: Record<string, JsonSchema> = {};
  const paths: Record<string, unknown> = {};
  for (const b of built) {
    Object.assign(schemas, b.schemas);
    Object.assign(paths, b.paths);
  }
  const asyncAnswers = built.flatMap((b) => b.asyncAnswers);
  const answer = asyncAnswers.length ? { anyOf: asyncAnswers.map((n) => ({ $ref: `#/components/schemas/${n}` })), description: 'the answer, as the answer schema of the operation that gave it' } : undefined;
  paths['/api/v1/tickets/{id}'] = {
    get: {
      operationId: 'getTicket', summary: 'An asynchronous request\'s ticket: pending, or done with the answer (each GET polls the provider through the gateway)', tags: ['tickets'],
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        200: { description: 'done: the final answer', content: { 'application/json': { schema: { $ref: '#/components/schemas/Ticket' } }, 'application/xml': { schema: { type: 'string', description: 'the answer\'s AppData content, as XML' } }, ...DOCUMENTS } },
        202: { description: 'pending: poll again after Retry-After seconds', headers: { 'Retry-After': { schema: { type: 'integer' } } }, content: { 'application/json': { schema: { $ref: '#/components/schemas/Ticket' } } } },
        ...Object.fromEntries([401, 406, 409, 422, 502, 503, 504].map((st) => [st, { description: PROBLEM_STATUSES[st] ?? 'the system holds no signing key on the gateway', content: { [PROBLEM]: { schema: { $ref: '#/components/schemas/Problem' } } } }])),
        404: { description: 'no such ticket (or another system\'s)', content: { [PROBLEM]: { schema: { $ref: '#/components/schemas/Problem' } } } },
      },
    },
  };
  const problems = built.flatMap((b) => b.problems);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: { title, version: '1', description: problems.length ? `${description}\n\nOperations left out: ${problems.join('; ')}` : description },
    servers: [{ url: base }],
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: API_KEY_HEADER, description: 'a system\'s API key (smev2-gateway systems api-key MNEMONIC prints a new one); the request is signed as that system' } },
      schemas: { Problem: problemSchema(), Ticket: ticketSchema(answer), ...schemas },
    },
  };
}

const INTRO = 'JSON (or XML) in, JSON (or XML) out: the gateway validates the AppData against the SID\'s XSD, builds the SMEV envelope, signs it as the API key\'s system and sends it through its own pipeline (docs/rest.md). ' +
  'Elements are keys by local name, attributes `@name`, the text of an element with attributes `#text`, a repeated element an array, xs:any and elements nested too deep strings of XML.';

/** The document of one SID. */
export function serviceDocument(s: Service, models: ComposerModels, base: string): object {
  return document(`${s.sid}: ${s.def.service.mnemonic} ${s.def.service.version} (${s.def.provider.name}), REST`, INTRO, [buildService(s, models)], base);
}

/** The document of every SID. */
export function allDocument(services: Service[], models: ComposerModels, base: string): object {
  return document('smev2-gateway REST API: every SID', INTRO, services.map((s) => buildService(s, models)), base);
}
