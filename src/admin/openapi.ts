/**
 * The admin API's contract (OpenAPI 3.1), served at /admin/openapi.json. test/admin-api.test.ts
 * checks that every path here answers and that every route answers only as described here.
 */
import { COMPOSE_OPENAPI_PATHS, COMPOSE_OPENAPI_SCHEMAS } from './compose/routes';
import { API_PERMISSIONS } from './permissions';

const FILTERS = [
  ['sid', 'the SID, e.g. SID0003623'], ['operation', 'the operation (the WSDL operation name)'], ['sender', 'smev:Sender/Code'],
  ['recipient', 'smev:Recipient/Code'], ['status', 'smev:Status (REQUEST, RESULT, ACCEPT, PING, … ; FAULT for SOAP faults)'],
  ['fault', 'a fault code (SMEV-100003, GW-1001, …)'], ['direction', 'consumer->gateway, gateway->provider, provider->gateway or gateway->consumer'],
  ['messageId', 'the message id (smev:MessageId or wsa:MessageID)'], ['chain', 'the asynchronous chain (its OriginRequestIdRef)'],
  ['exchange', 'one HTTP exchange of the gateway'], ['text', 'words in the AppData; each must occur (a word or its beginning)'],
].map(([name, description]) => ({ name, in: 'query', required: false, description, schema: { type: 'string' } }));
const TIME = [
  { name: 'from', in: 'query', required: false, description: 'entries at or after this time (ISO 8601)', schema: { type: 'string', format: 'date-time' } },
  { name: 'to', in: 'query', required: false, description: 'entries before this time (ISO 8601)', schema: { type: 'string', format: 'date-time' } },
];
const ref = (n: string) => ({ $ref: `#/components/schemas/${n}` });
const ok = (schema: object, description = 'OK') => ({ 200: { description, content: { 'application/json': { schema } } } });
const errors = { 400: { description: 'a parameter is wrong: the error says which', content: { 'application/json': { schema: ref('Error') } } }, 401: { description: 'not logged in' }, 403: { description: 'the role may not do this' } };
const CHANGE_REFUSED = { description: 'refused, nothing written: the reasons', content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' }, reasons: { type: 'array', items: { type: 'string' } } } } } } };
const idParam = (name: string, description: string, type = 'string') => ({ name, in: 'path', required: true, description, schema: { type } });

/**
 * Each operation's `x-roles`, from the permission table (admin/permissions.ts): the roles that
 * may call it. A public one (login, logout) has none and `security: []`; an operation the table
 * does not name gets none either, and test/roles.test.ts fails on it.
 */
function withRoles(paths: Record<string, Record<string, object>>): Record<string, Record<string, object>> {
  return Object.fromEntries(Object.entries(paths).map(([path, ops]) => [path, Object.fromEntries(Object.entries(ops).map(([method, op]) => {
    const p = API_PERMISSIONS[`${method.toUpperCase()} ${path}`];
    return [method, p && p !== 'public' ? { ...op, 'x-roles': [...p] } : op];
  }))]));
}

/** The attachments of a journal entry (admin/attachments.ts): under /journal, and under /inbox/{ticket} for a request's legs. */
const JOURNAL_ATTACHMENTS = {
  '/journal/{id}/attachments': { get: { summary: 'One entry\'s attachments: its MTOM parts by hash (and whether the store still keeps them), the attachments verdict, each AppDocument with its ZIP\'s files, their signatures\' verdicts and the request document\'s schema verdict; download links for each',
    parameters: [idParam('id', 'the entry\'s id', 'integer')],
    responses: { ...ok(ref('Attachments')), 404: { description: 'no such entry' }, ...errors } } },
  '/journal/{id}/attachments/parts/{ref}': { get: { summary: 'One MTOM part of an entry as it travelled, streamed from the attachment store (Content-Disposition: its Content-ID)',
    parameters: [idParam('id', 'the entry\'s id', 'integer'), idParam('ref', 'the part\'s Content-ID (without angle brackets) or its SHA-256')],
    responses: { 200: { description: 'the part\'s bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, 404: { description: 'no such entry, or the entry names no such part' }, 410: { description: 'the part\'s bytes were purged by retention' }, ...errors } } },
  '/journal/{id}/attachments/documents/{n}': { get: { summary: 'The ZIP of an entry\'s AppDocument: the MTOM part it references, or its inline BinaryData decoded',
    parameters: [idParam('id', 'the entry\'s id', 'integer'), idParam('n', 'the AppDocument\'s place in `documents` (from 0)', 'integer')],
    responses: { 200: { description: 'the ZIP', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } }, 404: { description: 'no such entry or document' }, 410: { description: 'the part or the envelope was purged by retention' }, ...errors } } },
  '/journal/{id}/attachments/documents/{n}/file': { get: { summary: 'One file inside an AppDocument\'s ZIP, inflated as it is read, under the ZIP limits (SMEV2_ZIP_MAX_ENTRIES, _RATIO, _BYTES)',
    parameters: [idParam('id', 'the entry\'s id', 'integer'), idParam('n', 'the AppDocument\'s place in `documents` (from 0)', 'integer'), { name: 'name', in: 'query', required: true, description: 'the file\'s name in the ZIP', schema: { type: 'string' } }],
    responses: { 200: { description: 'the file\'s bytes', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } }, 404: { description: 'no such entry, document or file' }, 410: { description: 'purged by retention' },
      422: { description: 'the ZIP cannot be read or goes past a ZIP limit', content: { 'application/json': { schema: ref('Error') } } }, ...errors } } },
};

export function openApiDocument(base: string): object {
  return {
    openapi: '3.1.0',
    info: {
      title: 'smev2-gateway admin API',
      version: '1',
      description: 'The journal, statistics, the service registry, the systems, the delivery queue. Log in with POST /admin/login (a session cookie, as the console does) ' +
        'or send HTTP Basic credentials. Roles (each operation\'s x-roles): operator (everything), auditor (the journal and its statistics), clerk (their department\'s inbox, which auditors read), requester (the composer as their department\'s systems, and their own requests). Nothing here changes the journal.',
    },
    servers: [{ url: `${base}/admin` }],
    security: [{ basic: [] }, { session: [] }],
    paths: withRoles({
      '/login': { post: { summary: 'Log in: sets the session cookie', security: [], requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['user', 'password'], properties: { user: { type: 'string' }, password: { type: 'string' } } } } } },
        responses: { ...ok({ type: 'object', properties: { user: { type: 'string' }, role: { type: 'string', enum: ['operator', 'auditor', 'clerk', 'requester'] }, expires: { type: 'string', format: 'date-time' } } }), 401: { description: 'wrong user or password' }, 429: { description: 'too many failed logins from this address' } } } },
      '/logout': { post: { summary: 'Log out: clears the session cookie', security: [], responses: ok({ type: 'object' }) } },
      '/me': { get: { summary: 'Who is logged in: the role, a clerk\'s or requester\'s department (with the systems a requester signs as) and the console views the role may open', responses: { ...ok({ type: 'object', properties: { user: { type: 'string' }, role: { type: 'string' }, department: { type: ['object', 'null'], properties: { id: { type: 'string' }, name: { type: 'string' }, systems: { type: 'array', items: { type: 'string' } } } }, views: { type: 'array', items: { type: 'string' } } } }), ...errors } } },
      '/inbox': { get: { summary: 'The inbox of manual providers (docs/cabinet.md): open requests by deadline (or answered ones), each flagged dueSoon and overdue. A clerk sees their department\'s only',
        parameters: [
          { name: 'status', in: 'query', required: false, schema: { type: 'string', enum: ['open', 'answered', 'all'], default: 'open' } },
          { name: 'sid', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'department', in: 'query', required: false, description: 'an operator\'s or auditor\'s filter; a clerk may only name their own', schema: { type: 'string' } },
          { name: 'assignee', in: 'query', required: false, schema: { type: 'string' } },
          { name: 'mine', in: 'query', required: false, description: '1: only the requests assigned to the caller', schema: { type: 'string' } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000, default: 200 } }],
        responses: { ...ok({ type: 'object', properties: { now: { type: 'string', format: 'date-time' }, departments: { type: 'array', items: { type: 'object' } }, items: { type: 'array', items: ref('InboxItem') } } }), ...errors } } },
      '/inbox/{ticket}': { get: { summary: 'One request of the inbox: the request as the provider received it, the answer form generated from the answer element\'s XSD, the department\'s clerks',
        parameters: [idParam('ticket', 'the request\'s ticket (the node\'s MessageId)')],
        responses: { ...ok({ allOf: [ref('InboxItem'), { type: 'object', properties: { request: { type: ['string', 'null'] }, form: { type: ['object', 'null'] }, formError: { type: ['string', 'null'] }, clerks: { type: 'array', items: { type: 'string' } } } }] }), 404: { description: 'no such request (or not in the clerk\'s department)' }, ...errors } } },
      // the journal's attachment routes again, for the legs of one request of the inbox (a clerk reads them there)
      ...Object.fromEntries(['/journal/{id}/attachments', '/journal/{id}/attachments/parts/{ref}', '/journal/{id}/attachments/documents/{n}', '/journal/{id}/attachments/documents/{n}/file'].map((p) => {
        const journal = (JOURNAL_ATTACHMENTS as Record<string, { get: { summary: string; parameters?: object[]; responses: object } }>)[p]!;
        return [`/inbox/{ticket}${p}`, { get: { ...journal.get, summary: `${journal.get.summary}: for a leg of this request of the inbox only (404 for any other entry)`,
          parameters: [idParam('ticket', 'the request\'s ticket'), ...(journal.get.parameters ?? [])] } }];
      })),
      '/inbox/{ticket}/assign': { post: { summary: 'Give an open request to a clerk of its department (assignee) and/or a sub-queue; null for the common queue',
        parameters: [idParam('ticket', 'the request\'s ticket')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { assignee: { type: ['string', 'null'] }, queue: { type: ['string', 'null'] } } } } } },
        responses: { ...ok(ref('InboxItem')), 404: { description: 'no such request' }, 409: { description: 'the request is answered' }, ...errors } } },
      '/inbox/{ticket}/answer': { post: { summary: 'Answer an open request: RESULT (values from the answer form, or appData as XML), REJECT or INVALID (with a reason). Signed as the provider system and fetched by the delivery worker at once',
        parameters: [idParam('ticket', 'the request\'s ticket')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['RESULT', 'REJECT', 'INVALID'] }, values: { type: 'object', additionalProperties: { type: 'string' } }, appData: { type: 'string' }, reason: { type: 'string' } } } } } },
        responses: { ...ok(ref('InboxItem')), 404: { description: 'no such request' }, 409: { description: 'answered already, or the SID is no longer a manual provider' }, 422: { description: 'the answer does not follow the SID\'s schema: the reasons', content: { 'application/json': { schema: { type: 'object', properties: { error: { type: 'string' }, reasons: { type: 'array', items: { type: 'string' } } } } } } }, ...errors } } },
      '/openapi.json': { get: { summary: 'This document', responses: ok({ type: 'object' }) } },
      '/journal': { get: { summary: 'Search the journal, newest first, a page at a time',
        parameters: [...FILTERS, ...TIME, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
          { name: 'before', in: 'query', description: 'the `next` of the previous page', schema: { type: 'integer' } }],
        responses: { ...ok({ type: 'object', required: ['entries'], properties: { entries: { type: 'array', items: ref('Entry') }, next: { type: 'integer', description: 'pass as before for the next page; absent on the last' } } }), ...errors } } },
      '/journal/head': { get: { summary: 'The newest entry\'s id and hash: keep it outside the gateway, so that a cut-off tail of the journal shows',
        responses: ok({ oneOf: [{ type: 'null' }, { type: 'object', properties: { id: { type: 'integer' }, hash: { type: 'string' }, at: { type: 'string', format: 'date-time' } } }] }) } },
      '/journal/export.csv': { get: { summary: 'Every matching entry\'s metadata as CSV (UTF-8 with BOM), oldest first, streamed', parameters: [...FILTERS, ...TIME],
        responses: { 200: { description: 'CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errors } } },
      '/journal/export.xlsx': { get: { summary: 'The same as an Excel workbook (at most 200,000 rows; X-Export-Truncated says when cut)', parameters: [...FILTERS, ...TIME],
        responses: { 200: { description: 'XLSX', content: { 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { schema: { type: 'string', format: 'binary' } } } }, ...errors } } },
      '/journal/{id}': { get: { summary: 'One entry, with its raw envelope as text (null once purged)', parameters: [idParam('id', 'the entry\'s id', 'integer')],
        responses: { ...ok({ allOf: [ref('Entry'), { type: 'object', properties: { raw: { type: ['string', 'null'] } } }] }), 404: { description: 'no such entry' }, ...errors } } },
      '/journal/{id}/raw': { get: { summary: 'One entry\'s raw envelope, byte for byte', parameters: [idParam('id', 'the entry\'s id', 'integer')],
        responses: { 200: { description: 'the bytes as received or sent', content: { 'text/xml': { schema: { type: 'string' } } } }, 404: { description: 'no such entry' }, 410: { description: 'purged by retention' } } } },
      '/journal/{id}/document': { get: { summary: 'An answer leg (gateway → consumer, provider → gateway) as a document to read: PDF (A4, DejaVu), printable HTML, or its XML byte for byte as journaled; its values labelled by the SID\'s XSD annotations, the exchange\'s journal ids and signature verdicts at its foot',
        parameters: [idParam('id', 'the answer leg\'s entry id', 'integer'), { name: 'format', in: 'query', required: false, schema: { type: 'string', enum: ['pdf', 'html', 'xml'], default: 'pdf' } }],
        responses: { ...errors, 200: { description: 'a download (Content-Disposition: attachment; answer-<SID>-<id>.<format>)', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } }, 'text/html': { schema: { type: 'string' } }, 'text/xml': { schema: { type: 'string' } } } },
          400: { description: 'a format other than pdf, html, xml, or the entry is a request leg (the error names the exchange\'s answer legs)' }, 404: { description: 'no such entry' }, 410: { description: 'purged by retention' } } } },
      ...JOURNAL_ATTACHMENTS,
      '/exchanges/{exchangeId}': { get: { summary: 'Every leg of one exchange (consumer → gateway → provider and back) with raw envelopes', parameters: [idParam('exchangeId', 'the exchange id of a journal entry')],
        responses: { ...ok({ type: 'object', properties: { exchangeId: { type: 'string' }, legs: { type: 'array', items: { allOf: [ref('Entry'), { type: 'object', properties: { raw: { type: ['string', 'null'] } } }] } } } }), 404: { description: 'no such exchange' } } } },
      '/chains/{chainId}': { get: { summary: 'An asynchronous exchange: its steps in time order (REQUEST → ACCEPT → PING … → RESULT), every leg, and the delivery queue\'s item',
        parameters: [idParam('chainId', 'the chain id, or a message id that is part of it')],
        responses: { ...ok({ type: 'object', properties: { chainId: { type: 'string' }, steps: { type: 'array', items: ref('Step') }, legs: { type: 'array', items: ref('Entry') }, delivery: { type: 'array', items: { type: 'object' } } } }), 404: { description: 'no such chain' } } } },
      '/stats': { get: { summary: 'Statistics on the use of services: counts per SID, department, status and fault; latency percentiles per SID; a series per hour or day (UTC)',
        parameters: [...TIME.map((p) => ({ ...p, description: `${p.description}; default: the last 7 days` })), { name: 'bucket', in: 'query', schema: { type: 'string', enum: ['hour', 'day'], default: 'hour' } }],
        responses: { ...ok(ref('Stats')), ...errors } } },
      '/services': { get: { summary: 'The services in force', responses: { ...ok({ type: 'array', items: ref('Service') }), ...errors } } },
      '/services/{sid}': { get: { summary: 'One service: its definition, bundle files, payload control, warnings', parameters: [idParam('sid', 'e.g. SID0003623')],
        responses: { ...ok(ref('Service')), 404: { description: 'no such SID' } } } },
      '/services/{sid}/passport': { get: { summary: 'The SID\'s passport (docs/passport.md), generated from its WSDL, XSD and service.yaml: operations and their modes, request and answer structure with the schemas\' annotations, sample envelopes and JSON, the faults it may answer, the provider. `doc` is the readable document (the console draws it); `operations` holds each operation\'s samples. A requester is not shown the upstream\'s address or the registry\'s folder',
        parameters: [idParam('sid', 'e.g. SID0003623')],
        responses: { ...ok(ref('Passport')), 404: { description: 'no such SID' }, ...errors } } },
      '/services/{sid}/passport.html': { get: { summary: 'The SID\'s passport as one standalone HTML page to print or keep (a download)', parameters: [idParam('sid', 'e.g. SID0003623')],
        responses: { 200: { description: 'the page', content: { 'text/html': { schema: { type: 'string' } } } }, 404: { description: 'no such SID' }, ...errors } } },
      '/services/{sid}/passport.pdf': { get: { summary: 'The SID\'s passport as an A4 PDF (DejaVu embedded, Cyrillic copies out; a download)', parameters: [idParam('sid', 'e.g. SID0003623')],
        responses: { 200: { description: 'the PDF', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } }, 404: { description: 'no such SID' },
          503: { description: 'the fonts a PDF needs are not installed: the error says which package (fonts-dejavu-core) or SMEV2_PDF_FONT', content: { 'application/json': { schema: ref('Error') } } }, ...errors } } },
      '/services/reload': { post: { summary: 'Read the registry, the systems and the users again; a broken registry is refused and the one in force kept',
        responses: { ...ok({ type: 'object', properties: { services: { type: 'array', items: { type: 'string' } }, warnings: { type: 'array', items: { type: 'string' } }, skipped: { type: 'array', items: { type: 'string' } } } }), 422: { description: 'the registry on disk is broken: the reasons' } } } },
      '/faults': { get: { summary: 'Fault injection of every SID: set through this API (source store), by its service.yaml (source service.yaml), or none',
        responses: { ...ok({ type: 'array', items: ref('FaultSetting') }), ...errors } } },
      '/services/{sid}/faults': {
        get: { summary: 'The faults injected into this SID\'s provider calls (docs/fault-injection.md)', parameters: [idParam('sid', 'e.g. SID0003623')],
          responses: { ...ok(ref('FaultSetting')), 404: { description: 'no such SID' }, ...errors } },
        put: { summary: 'Set the faults to inject and switch them on (enabled, default true) or off; in force on every process and instance on the store within SMEV2_FAULTS_CACHE_MS (1 s)',
          parameters: [idParam('sid', 'e.g. SID0003623')],
          requestBody: { required: true, content: { 'application/json': { schema: { allOf: [ref('FaultSpec'), { type: 'object', properties: { enabled: { type: 'boolean', default: true } } }] } } } },
          responses: { ...ok(ref('FaultSetting')), 404: { description: 'no such SID' }, ...errors } },
        delete: { summary: 'Switch the SID\'s faults off (its spec kept, and its service.yaml\'s default overridden, until the next PUT)', parameters: [idParam('sid', 'e.g. SID0003623')],
          responses: { ...ok(ref('FaultSetting')), 404: { description: 'no such SID' }, ...errors } },
      },
      '/systems': { get: { summary: 'The information systems: certificates, grants, callbacks, subscriptions', responses: ok({ type: 'array', items: { type: 'object' } }) } },
      '/availability': { get: { summary: 'The latest availability check of each provider', responses: ok({ type: 'array', items: { type: 'object' } }) } },
      '/queue': { get: { summary: 'The guaranteed-delivery outbox (status=dead: the dead letters)',
        parameters: [{ name: 'status', in: 'query', schema: { type: 'string', enum: ['pending', 'polling', 'done', 'dead'] } }, { name: 'limit', in: 'query', schema: { type: 'integer', default: 200, maximum: 1000 } }],
        responses: { ...ok({ type: 'object', properties: { counts: { type: 'object' }, items: { type: 'array', items: { type: 'object' } } } }), ...errors } } },
      '/queue/{id}': { get: { summary: 'One outbox item with its message and answer', parameters: [idParam('id', 'the item id (the MessageId)')], responses: { ...ok({ type: 'object' }), 404: { description: 'no such item' } } } },
      '/queue/{id}/redrive': { post: { summary: 'Give a dead letter a fresh budget: it is delivered again', parameters: [idParam('id', 'the item id')],
        responses: { ...ok({ type: 'object' }), 404: { description: 'no such item' }, 409: { description: 'not a dead letter' } } } },
      '/emulator/reset': { post: { summary: 'Start every emulated provider over: delete every SID\'s counters (sequences, template numbers), scenario states (back to Started), asynchronous chains and scripted behaviours\' counters, in the store (every instance sees it)',
        responses: { ...ok(ref('EmulatorReset')), ...errors } } },
      '/emulator/{sid}/reset': { post: { summary: 'Start one emulated SID over: its counters, scenario states, asynchronous chains and scripted behaviours\' counters', parameters: [idParam('sid', 'an emulated SID')],
        responses: { ...ok(ref('EmulatorReset')), 404: { description: 'no such SID, or it is not emulated' }, ...errors } } },
      '/emulator/{sid}/scenarios/{name}/reset': { post: { summary: 'Put one scenario of an emulated SID back in its initial state, Started',
        parameters: [idParam('sid', 'an emulated SID'), idParam('name', 'a scenario a case of the SID names (case.yaml scenario.name)')],
        responses: { ...ok({ type: 'object', properties: { sid: { type: 'string' }, scenario: { type: 'string' }, state: { type: 'string', const: 'Started' }, wasMoved: { type: 'boolean', description: 'it was in another state than Started' } } }),
          404: { description: 'no such SID, not emulated, or no case of it names the scenario' }, ...errors } } },
      '/emulator/{sid}/state': { get: { summary: 'An emulated SID\'s state in the store: its counters (a sequence dispatch\'s is dispatch:<operation>) and every scenario with its state', parameters: [idParam('sid', 'an emulated SID')],
        responses: { ...ok({ type: 'object', properties: { sid: { type: 'string' },
          counters: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'integer' }, updatedAt: { type: 'string', format: 'date-time' } } } },
          scenarios: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, state: { type: 'string' }, updatedAt: { type: ['string', 'null'], format: 'date-time', description: 'null: never moved' } } } } } }),
          404: { description: 'no such SID, or it is not emulated' }, ...errors } } },
      '/emulator/{sid}/misses': { get: { summary: 'The last 50 requests no case of an emulated SID matched, newest first, each with its closest cases ranked (share of conditions met, then priority) and where each differed. Kept in the memory of the process that answers (per worker and instance; a registry reload starts afresh)',
        parameters: [idParam('sid', 'an emulated SID')],
        responses: { ...ok({ type: 'object', properties: { sid: { type: 'string' }, pid: { type: 'integer', description: 'the process whose misses these are' },
          misses: { type: 'array', items: { type: 'object', properties: { at: { type: 'string', format: 'date-time' }, operation: { type: 'string' }, messageId: { type: 'string' }, text: { type: 'string', description: 'the INVALID answer\'s text' },
            nearMisses: { type: 'array', items: { type: 'object', properties: { case: { type: 'string' }, met: { type: 'integer' }, of: { type: 'integer' }, priority: { type: 'number' }, path: { type: 'string', description: 'a condition\'s path, or scenario <name>' }, expected: { type: 'string' }, actual: { type: ['string', 'null'] } } } } } } } } }),
          404: { description: 'no such SID, or it is not emulated' }, ...errors } } },
      '/services/reload-status': { get: { summary: 'The last reload (the watcher\'s, an emulator change\'s, or POST /services/reload) and the last refused one with its reasons; whether the registry\'s files are watched (SMEV2_WATCH_REGISTRY)',
        responses: ok({ type: 'object', properties: { watching: { type: 'boolean' }, roots: { type: 'array', items: { type: 'string' } }, folders: { type: 'integer' }, last: { oneOf: [{ type: 'null' }, ref('ReloadOutcome')] }, lastRefusal: { oneOf: [{ type: 'null' }, ref('ReloadOutcome')] } } }) } },
      '/emulator': {
        get: { summary: 'The emulated SIDs: operations, dispatch.yaml, and their cases (case.yaml\'s main keys, and whether the registry in force holds each)', responses: { ...ok({ type: 'array', items: ref('EmulatedSid') }), ...errors } },
        post: { summary: 'Make an emulated SID from a WSDL bundle: a folder of the registry folder (it becomes the SID folder) or uploaded files; service.yaml written as `services add` writes it, an empty cases folder `emulator`',
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['sid'], properties: {
            sid: { type: 'string', pattern: '^SID\\d{7}$' }, bundle: { type: 'string', description: 'a folder of the registry folder holding the WSDL and its XSDs (no service.yaml)' },
            files: { type: 'object', additionalProperties: { type: 'string' }, description: 'or the bundle uploaded: relative path → base64' },
            wsdl: { type: 'string' }, title: { type: 'string' }, provider: { type: 'string' }, providerName: { type: 'string' }, mnemonic: { type: 'string' }, version: { type: 'string' } } } } } },
          responses: { 201: { description: 'made and in force', content: { 'application/json': { schema: ref('EmulatedSid') } } }, 409: { description: 'the SID exists' }, 422: CHANGE_REFUSED, ...errors } },
      },
      '/emulator/{sid}': {
        get: { summary: 'One emulated SID and its cases', parameters: [idParam('sid', 'e.g. SID0003623')], responses: { ...ok(ref('EmulatedSid')), 404: { description: 'no such emulated SID' }, ...errors } },
        delete: { summary: 'Remove an emulated SID\'s folder from the registry folder (a cases folder outside it is left)', parameters: [idParam('sid', 'e.g. SID0003623')],
          responses: { ...ok({ type: 'object', properties: { deleted: { type: 'string' }, folder: { type: 'string' } } }), 404: { description: 'no such emulated SID' }, 409: { description: 'its folder is not in the registry folder' }, 422: CHANGE_REFUSED, ...errors } },
      },
      '/emulator/{sid}/cases/{name}': {
        get: { summary: 'One case: case.yaml as written (JSON) and the text of its files', parameters: [idParam('sid', 'e.g. SID0003623'), idParam('name', 'the case folder\'s name')],
          responses: { ...ok(ref('Case')), 404: { description: 'no such SID or case' }, ...errors } },
        put: { summary: 'Create or change a case: checked on a copy with the emulator\'s loader first (a broken one is refused, 422, nothing written), written atomically as case.yaml and its files, in force at once',
          parameters: [idParam('sid', 'e.g. SID0003623'), idParam('name', 'letters, digits, _ . - (not starting with a dot)')],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['case'], properties: {
            case: { type: 'object', description: 'case.yaml\'s keys (docs/emulator.md): operation, description, match, priority, answer, template, fault, weight, scenario, async, behaviour, attachments; keys left out are removed, the file\'s comments kept' },
            files: { type: 'object', additionalProperties: { type: ['string', 'null'] }, description: 'files beside case.yaml by name (answer.xml, accept.xml, …): text, or null to remove; those not named are kept' } } } } } },
          responses: { ...ok(ref('Case'), 'changed'), 201: { description: 'created', content: { 'application/json': { schema: ref('Case') } } }, 404: { description: 'no such emulated SID' }, 422: CHANGE_REFUSED, ...errors } },
        delete: { summary: 'Remove a case (refused while dispatch.yaml names it)', parameters: [idParam('sid', 'e.g. SID0003623'), idParam('name', 'the case')],
          responses: { ...ok({ type: 'object', properties: { deleted: { type: 'string' } } }), 404: { description: 'no such SID or case' }, 422: CHANGE_REFUSED, ...errors } },
      },
      '/emulator/{sid}/dispatch': { put: { summary: 'Write the SID\'s dispatch.yaml (per operation or *: style match | sequence | random | script, cases, loop, script); {} removes it', parameters: [idParam('sid', 'e.g. SID0003623')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', additionalProperties: { type: 'object', properties: { style: { type: 'string', enum: ['match', 'sequence', 'random', 'script'] }, cases: { type: 'array', items: { type: 'string' } }, loop: { type: 'boolean' }, script: { type: 'string' } } } } } } },
        responses: { ...ok({ type: 'object', properties: { dispatch: { type: ['object', 'null'] } } }), 404: { description: 'no such emulated SID' }, 422: CHANGE_REFUSED, ...errors } } },
      '/emulator/{sid}/try': { post: { summary: 'Try it: send a request (a whole envelope, or AppData\'s content wrapped in a request built from the WSDL) through the gateway\'s real pipeline, signed as a system the gateway holds a key for (unsigned for a SID whose signature policy is off); the answer, and which case answers and why, or the near misses',
        parameters: [idParam('sid', 'e.g. SID0003623')],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: {
          envelope: { type: 'string' }, appData: { type: 'string' }, operation: { type: 'string', description: 'with appData' }, signAs: { type: ['string', 'null'] }, sender: { type: 'string' } } } } } },
        responses: { ...ok({ type: 'object', description: 'POST /compose/send\'s answer, and the explanation', properties: { request: { type: 'string' }, httpStatus: { type: 'integer' }, response: { type: 'string' }, exchangeId: { type: ['string', 'null'] }, explanation: ref('Explanation') } }),
          404: { description: 'no such emulated SID' }, 502: { description: 'the gateway\'s own endpoint did not answer' }, ...errors } } },
      ...COMPOSE_OPENAPI_PATHS,
    }),
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'a user of the admin users file' },
        session: { type: 'apiKey', in: 'cookie', name: 'smev2_session', description: 'set by POST /login; changes need the X-Requested-With header' },
      },
      schemas: {
        Error: { type: 'object', properties: { error: { type: 'string' } } },
        InboxItem: { type: 'object', properties: {
          ticket: { type: 'string' }, sid: { type: 'string' }, title: { type: ['string', 'null'] }, operation: { type: 'string' }, department: { type: 'string' }, departmentName: { type: ['string', 'null'] },
          assignee: { type: ['string', 'null'] }, queue: { type: ['string', 'null'] }, consumer: { type: ['string', 'null'] },
          arrivedAt: { type: 'string', format: 'date-time' }, due: { type: 'string', format: 'date-time' }, dueSoonFrom: { type: 'string', format: 'date-time' },
          status: { type: 'string', enum: ['open', 'answered'] }, dueSoon: { type: 'boolean' }, overdue: { type: 'boolean' },
          answer: { oneOf: [{ type: 'null' }, { type: 'object', properties: { status: { type: 'string', enum: ['RESULT', 'REJECT', 'INVALID'] }, appData: { type: 'string' }, by: { type: 'string' }, at: { type: 'string', format: 'date-time' } } }] },
          assignedBy: { type: ['string', 'null'] }, assignedAt: { type: ['string', 'null'] },
          adapter: { type: ['string', 'null'], description: 'the SID\'s adapter now: a request is answered here only while it is manual' },
          answerable: { type: 'boolean', description: 'open, the SID still manual, and the caller may answer it' } } },
        Entry: { type: 'object', properties: Object.fromEntries([
          ['id', 'integer'], ['exchangeId', 'string'], ['at', 'string'], ['sid', 'string'], ['operation', 'string'], ['direction', 'string'], ['revision', 'string'],
          ['sender', 'string'], ['recipient', 'string'], ['originator', 'string'], ['status', 'string'], ['messageId', 'string'], ['requestIdRef', 'string'],
          ['originRequestIdRef', 'string'], ['caseNumber', 'string'], ['httpStatus', 'integer'], ['faultCode', 'string'], ['durationMs', 'number'], ['size', 'integer'],
          ['sha256', 'string'], ['signature', 'string'], ['control', 'string'], ['chainId', 'string'], ['hash', 'string'], ['purged', 'boolean'],
        ].map(([k, t]) => [k, { type: ['id', 'exchangeId', 'at', 'sid', 'direction', 'size', 'sha256', 'purged'].includes(k!) ? t : [t, 'null'] }])) },
        Attachments: { type: 'object', properties: {
          id: { type: 'integer' }, verdict: { type: ['string', 'null'], description: 'the attachments verdict, as `ok: …` or `failed: …` (`passed: …` under policy report)' }, purged: { type: 'boolean' },
          parts: { type: 'array', items: { type: 'object', properties: { contentId: { type: 'string' }, contentType: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' },
            kept: { type: 'string', enum: ['kept', 'purged', 'missing'] }, download: { type: 'string' } } } },
          documents: { type: 'array', items: { type: 'object', properties: {
            source: { type: 'string', description: '`BinaryData` or `cid:<Content-ID>`' }, size: { type: 'integer' }, sha256: { type: 'string' }, download: { type: 'string' },
            digest: { type: 'object', description: 'MTOM: DigestValue against GOST R 34.11-94 of the part\'s base64 text', properties: { declared: { type: 'string' }, actual: { type: 'string' }, ok: { type: 'boolean' } } },
            zip: { type: 'object', properties: { size: { type: 'integer' }, sha256: { type: 'string' }, problems: { type: 'array', items: { type: 'object' } },
              files: { type: 'array', items: { type: 'object', properties: {
                name: { type: 'string' }, size: { type: 'integer' }, sha256: { type: 'string' }, kind: { type: 'string', enum: ['file', 'signature', 'request'] }, download: { type: 'string' },
                signature: { type: 'object', properties: { outcome: { type: 'string', enum: ['ok', 'fail'] }, reason: { type: 'string' }, signer: { type: 'string' }, system: { type: 'string' }, algorithm: { type: 'string' }, signedAt: { type: 'string' },
                  certificate: { type: 'object', properties: { trusted: { type: 'boolean' }, reason: { type: 'string' } } } } },
                schema: { type: 'object', properties: { outcome: { type: 'string', enum: ['ok', 'fail'] }, namespace: { type: 'string' }, reason: { type: 'string' } } },
              } } } } },
          } } },
        } },
        Step: { type: 'object', properties: { at: { type: 'string' }, exchangeId: { type: 'string' }, request: { type: ['string', 'null'] }, answer: { type: ['string', 'null'] }, fault: { type: ['string', 'null'] }, durationMs: { type: ['number', 'null'] }, legs: { type: 'array', items: { type: 'integer' } } } },
        Stats: { type: 'object', properties: {
          from: { type: 'string' }, to: { type: 'string' }, bucket: { type: 'string' }, exchanges: { type: 'integer' }, faults: { type: 'integer' },
          bySid: { type: 'array', items: { type: 'object', properties: { sid: { type: 'string' }, exchanges: { type: 'integer' }, faults: { type: 'integer' }, p50: { type: ['number', 'null'] }, p95: { type: ['number', 'null'] }, p99: { type: ['number', 'null'] }, max: { type: ['number', 'null'] } } } },
          byDepartment: { type: 'array', items: { type: 'object', properties: { department: { type: 'string' }, requests: { type: 'integer' } } } },
          byStatus: { type: 'array', items: { type: 'object', properties: { status: { type: 'string' }, count: { type: 'integer' } } } },
          byFault: { type: 'array', items: { type: 'object', properties: { fault: { type: 'string' }, count: { type: 'integer' } } } },
          series: { type: 'array', items: { type: 'object', properties: { t: { type: 'string' }, exchanges: { type: 'integer' }, faults: { type: 'integer' } } } },
        } },
        FaultSetting: { type: 'object', properties: {
          sid: { type: 'string' }, enabled: { type: 'boolean' }, spec: { oneOf: [ref('FaultSpec'), { type: 'null' }] },
          source: { type: 'string', enum: ['store', 'service.yaml', 'none'], description: 'store: set through this API; service.yaml: the SID\'s file\'s default; none: no faults' },
          updatedAt: { type: ['string', 'null'], format: 'date-time' }, updatedBy: { type: ['string', 'null'], description: 'the admin user who made the last change' } } },
        FaultSpec: { type: 'object', additionalProperties: false, properties: {
          share: { type: 'number', minimum: 0, maximum: 1, default: 0, description: 'the share of calls that get one of kinds, chosen by weight' },
          kinds: { type: 'array', items: { type: 'object', required: ['kind'], properties: {
            kind: { type: 'string', enum: ['reset', 'dribble', 'truncate', 'wrongContentType', 'http500', 'soapFault', 'timeout'] },
            weight: { type: 'number', exclusiveMinimum: 0, default: 1 },
            at: { type: 'string', enum: ['connect', 'answer'], description: 'reset: before the provider gets the request, or mid-answer (default)' },
            bytesPerSecond: { type: 'number', description: 'dribble (default 1024)' }, chunkBytes: { type: 'integer', description: 'dribble (default 256)' },
            keepBytes: { type: 'integer', description: 'truncate: the bytes kept' }, fraction: { type: 'number', description: 'truncate: the share kept (default 0.5)' },
            contentType: { type: 'string', description: 'wrongContentType (default text/html; charset=utf-8)' },
            status: { type: 'integer', description: 'http500: the HTTP status (default 500)' },
            faultcode: { type: 'string', enum: ['Client', 'Server'] }, faultstring: { type: 'string' }, httpStatus: { type: 'integer', description: 'soapFault (default 500)' },
          } } },
          latency: { type: 'object', required: ['dist'], description: 'fixed {ms}, uniform {min, max} or lognormal {median or mu, sigma, maxMs?}, in ms', properties: {
            dist: { type: 'string', enum: ['fixed', 'uniform', 'lognormal'] }, ms: { type: 'number' }, min: { type: 'number' }, max: { type: 'number' },
            median: { type: 'number' }, mu: { type: 'number' }, sigma: { type: 'number' }, maxMs: { type: 'number' } } },
          latencyShare: { type: 'number', minimum: 0, maximum: 1, default: 1, description: 'the share of calls delayed by latency' },
          readTimeoutMs: { type: 'integer', description: 'an emulated SID\'s read timeout (default 30000); an http SID uses its adapter\'s readTimeoutMs' },
        } },
        Service: { type: 'object', properties: { sid: { type: 'string' }, title: { type: ['string', 'null'] }, mnemonic: { type: 'string' }, version: { type: 'string' }, provider: { type: 'object' },
          adapter: { type: 'string' }, signature: { type: 'string' }, control: { type: 'string' }, delivery: { type: 'string' }, operations: { type: 'array', items: { type: 'object' } },
          endpoint: { type: 'string' }, wsdl: { type: 'string' }, availability: { type: ['object', 'null'] } } },
        Passport: { type: 'object', required: ['sid', 'doc', 'operations', 'faults', 'links'], properties: {
          sid: { type: 'string' },
          doc: { type: 'object', description: 'the document (src/documents/model.ts): title, subtitle, sections of blocks (fields, paragraph, code, table), nested sections, footer' },
          operations: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, mode: { type: 'string' }, soapAction: { type: ['string', 'null'] }, input: { type: ['string', 'null'] }, output: { type: ['string', 'null'] },
            request: { type: 'object', description: '{element, sampleAppData, sampleEnvelope, sampleJson}, or {error} when the operation has no model' },
            answer: { type: 'object', description: '{element, sampleAppData, sampleJson}, or {error}' } } } },
          faults: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, code: { type: 'string', description: 'the catalogue code (docs/faults.md); empty for the node\'s uncoded texts' }, group: { type: 'string', description: 'why it is listed: every message, or the service.yaml setting that enables it' } } } },
          links: { type: 'object', properties: { endpoint: { type: 'string' }, wsdl: { type: 'string' }, openapi: { type: 'string' } } } } },
        EmulatorReset: { type: 'object', properties: { reset: { type: 'string', description: 'all, or the SID' },
          deleted: { type: 'object', description: 'rows deleted from the store', properties: { counters: { type: 'integer' }, scenarios: { type: 'integer' }, chains: { type: 'integer' }, scripts: { type: 'integer' } } } } },
        ReloadOutcome: { type: 'object', properties: { at: { type: 'string' }, by: { type: 'string', description: 'watcher, or the admin user' }, ok: { type: 'boolean' }, files: { type: 'array', items: { type: 'string' } }, services: { type: 'array', items: { type: 'string' } }, error: { type: 'string' } } },
        EmulatedSid: { type: 'object', properties: { sid: { type: 'string' }, title: { type: ['string', 'null'] }, folder: { type: 'string' }, casesDir: { type: 'string' },
          operations: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, mode: { type: 'string' } } } }, dispatch: { type: ['object', 'null'] },
          cases: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, inForce: { type: 'boolean' }, operation: { type: ['string', 'null'] }, description: { type: ['string', 'null'] }, priority: { type: 'number' }, match: { type: 'object' }, fault: { type: ['object', 'null'] }, scenario: { type: ['object', 'null'] }, weight: { type: 'number' } } } } } },
        Case: { type: 'object', properties: { name: { type: 'string' }, case: { type: 'object' }, files: { type: 'object', additionalProperties: { type: 'string' } }, attachments: { type: 'array', items: { type: 'string' } }, inForce: { type: 'boolean' }, folder: { type: 'string' } } },
        Explanation: { type: 'object', properties: { operation: { type: ['string', 'null'] }, style: { type: ['string', 'null'] }, case: { type: ['string', 'null'] }, why: { type: 'string' },
          nearMisses: { type: 'array', items: ref('CaseCheck') }, checked: { type: 'array', items: ref('CaseCheck') } } },
        CaseCheck: { type: 'object', properties: { case: { type: 'string' }, priority: { type: 'number' }, operation: { type: 'string' }, score: { type: 'number' },
          conditions: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, expected: { type: 'string' }, actual: { type: ['string', 'null'] }, ok: { type: 'boolean' } } } } } },
        ...COMPOSE_OPENAPI_SCHEMAS,
      },
    },
  };
}
