// Generated SMEV 2 envelopes for the schema-equivalence test (test/envelope-schemas.test.ts):
// two or three base messages per revision, each written with a different prefix style, and a
// list of mutations applied to every base they fit. Every case is a whole SOAP 1.1 envelope;
// the test validates one SMEV block of it (its `kind`) against every variant of the revision,
// with the project's schemas and with the official ones, and compares the verdicts. Whether a
// case is valid is not decided here: the official schemas decide.

export const NS = {
  rev110801: 'http://smev.gosuslugi.ru/rev110801',
  rev111111: 'http://smev.gosuslugi.ru/rev111111',
  rev120315: 'http://smev.gosuslugi.ru/rev120315',
  request: 'http://smev.gosuslugi.ru/request/rev111111',
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  xop: 'http://www.w3.org/2004/08/xop/include',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
} as const;

export type Revision = 'rev110801' | 'rev111111' | 'rev120315';
export type Block = 'Message' | 'MessageData' | 'Header';

export interface EnvelopeCase {
  /** revision/base/block/mutation, unique */
  id: string;
  revision: Revision;
  /** the block to validate: the first element of this local name in the revision's namespace */
  block: Block;
  xml: string;
}

export interface ManifestCase {
  id: string;
  xml: string;
}

// ---------------------------------------------------------------------------------------------
// A tiny tree: an element of the revision's namespace (`n`, written with the base's prefix), or
// a raw, self-contained XML snippet (foreign content, declaring its own namespaces), or text.

export interface El {
  n: string;
  attrs?: Record<string, string>;
  c: Node[];
}
export type Node = El | { raw: string } | string;

const el = (n: string, ...c: Node[]): El => ({ n, c });
const leaf = (n: string, text: string): El => ({ n, c: [text] });
const withAttrs = (e: El, attrs: Record<string, string>): El => ({ ...e, attrs: { ...e.attrs, ...attrs } });
const raw = (xml: string): Node => ({ raw: xml });
const isEl = (x: Node): x is El => typeof x === 'object' && 'n' in x;

function clone<T extends Node>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function render(x: Node, prefix: string): string {
  if (typeof x === 'string') return esc(x);
  if (!isEl(x)) return x.raw;
  const name = prefix ? `${prefix}:${x.n}` : x.n;
  const attrs = Object.entries(x.attrs ?? {})
    .map(([k, v]) => ` ${k}="${esc(v)}"`)
    .join('');
  if (x.c.length === 0) return `<${name}${attrs}/>`;
  return `<${name}${attrs}>${x.c.map((c) => render(c, prefix)).join('')}</${name}>`;
}

// ---------------------------------------------------------------------------------------------
// Editing a block: every helper returns a new tree, or null when the mutation does not apply
// (the element it needs is absent), so that the generator skips it instead of emitting a
// duplicate of the base.

type Edit = (root: El) => El | null;

function indexOf(root: El, name: string): number {
  return root.c.findIndex((c) => isEl(c) && c.n === name);
}
function has(root: El, name: string): boolean {
  return indexOf(root, name) >= 0;
}

const remove =
  (name: string): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0) return null;
    const r = clone(root);
    r.c.splice(i, 1);
    return r;
  };

const setText =
  (name: string, text: string): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0) return null;
    const r = clone(root);
    (r.c[i] as El).c = text === '' ? [] : [text];
    return r;
  };

const replaceWith =
  (name: string, ...nodes: Node[]): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0) return null;
    const r = clone(root);
    r.c.splice(i, 1, ...nodes.map(clone));
    return r;
  };

/** insert after the first of `anchors` present (in the order given); at the end if anchors is [] */
const insertAfter =
  (anchors: string[], ...nodes: Node[]): Edit =>
  (root) => {
    const r = clone(root);
    if (anchors.length === 0) {
      r.c.push(...nodes.map(clone));
      return r;
    }
    for (const a of anchors) {
      const i = indexOf(r, a);
      if (i >= 0) {
        r.c.splice(i + 1, 0, ...nodes.map(clone));
        return r;
      }
    }
    return null;
  };

const insertBefore =
  (anchor: string, ...nodes: Node[]): Edit =>
  (root) => {
    const i = indexOf(root, anchor);
    if (i < 0) return null;
    const r = clone(root);
    r.c.splice(i, 0, ...nodes.map(clone));
    return r;
  };

/** move `name` to just before `anchor` */
const moveBefore =
  (name: string, anchor: string): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0 || !has(root, anchor)) return null;
    const r = clone(root);
    const [moved] = r.c.splice(i, 1);
    r.c.splice(indexOf(r, anchor), 0, moved!);
    return r;
  };

/** move `name` to just after `anchor` */
const moveAfter =
  (name: string, anchor: string): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0 || !has(root, anchor)) return null;
    const r = clone(root);
    const [moved] = r.c.splice(i, 1);
    r.c.splice(indexOf(r, anchor) + 1, 0, moved!);
    return r;
  };

const duplicate =
  (name: string): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0) return null;
    const r = clone(root);
    r.c.splice(i + 1, 0, clone(r.c[i]!));
    return r;
  };

/** edit the children of a child element */
const inside =
  (name: string, edit: Edit): Edit =>
  (root) => {
    const i = indexOf(root, name);
    if (i < 0) return null;
    const inner = edit(root.c[i] as El);
    if (!inner) return null;
    const r = clone(root);
    r.c[i] = inner;
    return r;
  };

const prepend =
  (...nodes: Node[]): Edit =>
  (root) => {
    const r = clone(root);
    r.c.unshift(...nodes.map(clone));
    return r;
  };

const setAttrs =
  (attrs: Record<string, string>): Edit =>
  (root) =>
    withAttrs(clone(root), attrs);

const clearChildren: Edit = (root) => ({ ...clone(root), c: [] });

const when =
  (pred: (root: El) => boolean, edit: Edit): Edit =>
  (root) =>
    pred(root) ? edit(root) : null;

const chain =
  (...edits: Edit[]): Edit =>
  (root) => {
    let r: El | null = root;
    for (const e of edits) {
      if (!r) return null;
      r = e(r);
    }
    return r;
  };

// ---------------------------------------------------------------------------------------------
// Building blocks

const org = (n: string, code: string, name: string) => el(n, leaf('Code', code), leaf('Name', name));
const MINZ = (n: string) => org(n, 'MINZ01001', 'Минздрав России');
const PFRF = (n: string) => org(n, 'PFRF01001', 'ПФР');
const FNSR = (n: string) => org(n, 'FNSR01001', 'ФНС России');

const PAYLOAD = raw(
  '<pfr:SnilsRequest xmlns:pfr="urn:smev2-gateway:test:pfr" pfr:kind="1"><pfr:FamilyName>Иванов</pfr:FamilyName>' +
    '<pfr:BirthDate>1970-01-01</pfr:BirthDate></pfr:SnilsRequest>',
);
const ZIP_B64 = 'UEsDBBQAAAAIAAAAIQBhYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5eg==';
const DIGEST_B64 = 'q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80=';
const SIGNATURE_B64 = 'CzBVep/E6Q4zWH2ix+wRNluApcrvFDleg6jN8hc8YYar0PUaP2SJrtP4HUJnjLHW+yBFao+02f4jSG2St9wBJg==';
const xopInclude = (attrs = ' href="cid:attachment-1@smev.gosuslugi.ru"') =>
  raw(`<xop:Include xmlns:xop="${NS.xop}"${attrs}/>`);

const SIGNATURE =
  `<ds:Signature xmlns:ds="${NS.ds}"><ds:SignedInfo>` +
  '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>' +
  '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#gostr34102001-gostr3411"/>' +
  '<ds:Reference URI="#charge-1"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>' +
  '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>' +
  '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#gostr3411"/>' +
  `<ds:DigestValue>${DIGEST_B64}</ds:DigestValue></ds:Reference></ds:SignedInfo>` +
  `<ds:SignatureValue>${SIGNATURE_B64}</ds:SignatureValue>` +
  '<ds:KeyInfo><ds:X509Data><ds:X509Certificate>MIIBAA==</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>';

const signedCharge = (signature: string) =>
  raw(
    `<gmp:Charge xmlns:gmp="urn:smev2-gateway:test:gmp" gmp:SupplierBillID="18810000000000000001">` +
      `<gmp:Amount>100</gmp:Amount>${signature}</gmp:Charge>`,
  );

// ---------------------------------------------------------------------------------------------
// Base messages: per revision, a request, an answer with an attachment, and a third shape
// (reference attachment, ping, packet). Prefixes differ per base: smev:, ns2:, and the default
// namespace, as in real traffic.

interface Base {
  name: string;
  prefix: string;
  operation: string;
  message: El;
  messageData: El;
  header: El;
}

function bases(rev: Revision): Base[] {
  const id1 = 'A1B2C3D4-0000-4000-8000-000000000001';
  const id2 = 'A1B2C3D4-0000-4000-8000-000000000002';
  if (rev === 'rev110801') {
    return [
      {
        name: 'request',
        prefix: 'smev',
        operation: 'Process',
        message: el(
          'Message',
          MINZ('Sender'),
          PFRF('Recipient'),
          MINZ('Originator'),
          leaf('TypeCode', '2'),
          leaf('Date', '2011-10-20T12:00:00+04:00'),
          leaf('ServiceCode', '10000001'),
          leaf('CaseNumber', 'CASE-1'),
        ),
        messageData: el('MessageData', withAttrs(el('AppData', PAYLOAD), { 'wsu:Id': 'AppData' })),
        header: withAttrs(el('Header', leaf('MessageId', id1), leaf('TimeStamp', '2011-10-20T12:00:01+04:00')), {
          'wsu:Id': `ID-${id1.toLowerCase()}`,
        }),
      },
      {
        name: 'result-binary',
        prefix: 'ns2',
        operation: 'ProcessResponse',
        message: el(
          'Message',
          PFRF('Sender'),
          MINZ('Recipient'),
          MINZ('Originator'),
          leaf('TypeCode', 'GSRV'),
          leaf('Date', '2011-10-20T12:00:05.123+04:00'),
          leaf('RequestIdRef', id1),
          leaf('OriginRequestIdRef', id1),
        ),
        messageData: el('MessageData', el('AppData'), el('AppDocument', leaf('BinaryData', ZIP_B64))),
        header: el('Header', leaf('MessageId', id2), leaf('TimeStamp', '2011-10-20T12:00:06Z')),
      },
      {
        name: 'reference',
        prefix: '',
        operation: 'Process',
        message: el('Message', MINZ('Sender'), PFRF('Recipient'), MINZ('Originator'), leaf('TypeCode', ''), leaf('Date', '2011-10-20T12:00:00Z')),
        messageData: el(
          'MessageData',
          el('AppDocument', el('Reference', xopInclude()), leaf('DigestValue', DIGEST_B64)),
        ),
        header: el('Header', leaf('MessageId', id1), leaf('TimeStamp', '2011-10-20T12:00:01')),
      },
    ];
  }
  if (rev === 'rev111111') {
    return [
      {
        name: 'request',
        prefix: 'smev',
        operation: 'sendConvictionRequest',
        message: el(
          'Message',
          MINZ('Sender'),
          org('Recipient', 'MVDR01001', 'МВД России'),
          MINZ('Originator'),
          leaf('TypeCode', 'GSRV'),
          leaf('Status', 'REQUEST'),
          leaf('Date', '2013-06-19T11:49:11.354+04:00'),
          leaf('ExchangeType', '2'),
          leaf('ServiceCode', '10000001'),
          leaf('CaseNumber', 'CASE-1'),
          leaf('TestMsg', 'Test query'),
        ),
        messageData: el('MessageData', withAttrs(el('AppData', PAYLOAD), { 'wsu:Id': 'AppData' })),
        header: withAttrs(
          el('Header', leaf('NodeId', '00'), leaf('MessageId', id1), leaf('TimeStamp', '2013-06-19T11:49:12+04:00'), leaf('MessageClass', 'REQUEST')),
          { 'wsu:Id': `ID-${id1.toLowerCase()}` },
        ),
      },
      {
        name: 'result-document',
        prefix: 'ns2',
        operation: 'CreateRequestResponse',
        message: el(
          'Message',
          org('Sender', 'RRTR01001', 'Росреестр'),
          MINZ('Recipient'),
          leaf('TypeCode', 'GFNC'),
          leaf('Status', 'RESULT'),
          leaf('Date', '2013-06-19T11:49:28.523+04:00'),
          leaf('ExchangeType', '6'),
          leaf('RequestIdRef', id1),
          leaf('OriginRequestIdRef', id1),
        ),
        messageData: el(
          'MessageData',
          el('AppData', raw('<rr:Ticket xmlns:rr="urn:smev2-gateway:test:rr">77-0001</rr:Ticket>')),
          el('AppDocument', leaf('RequestCode', 'req_0001'), leaf('BinaryData', ZIP_B64)),
        ),
        header: el('Header', leaf('NodeId', '00'), leaf('MessageId', id2), leaf('TimeStamp', '2013-06-19T11:49:29Z'), leaf('MessageClass', 'RESPONSE')),
      },
      {
        name: 'ping-reference',
        prefix: '',
        operation: 'getConvictionResponse',
        message: el(
          'Message',
          MINZ('Sender'),
          org('Recipient', 'MVDR01001', 'МВД России'),
          leaf('TypeCode', 'GSRV'),
          leaf('Status', 'PING'),
          leaf('Date', '2013-06-19T12:00:00Z'),
          leaf('ExchangeType', '2'),
          leaf('OriginRequestIdRef', id1),
        ),
        messageData: el(
          'MessageData',
          el('AppData'),
          el('AppDocument', leaf('RequestCode', 'req_0002'), el('Reference', xopInclude()), leaf('DigestValue', DIGEST_B64)),
        ),
        header: el('Header', leaf('NodeId', '00'), leaf('MessageId', id2), leaf('TimeStamp', '2013-06-19T12:00:01.5+03:00'), leaf('MessageClass', 'REQUEST')),
      },
    ];
  }
  return [
    {
      name: 'request-servicename',
      prefix: 'smev',
      operation: 'getEgrulExtract',
      message: el(
        'Message',
        MINZ('Sender'),
        FNSR('Recipient'),
        MINZ('Originator'),
        leaf('ServiceName', 'FNSR01001'),
        leaf('TypeCode', 'GSRV'),
        leaf('Status', 'REQUEST'),
        leaf('Date', '2014-03-01T10:00:00+04:00'),
        leaf('ExchangeType', '2'),
        leaf('CaseNumber', 'CASE-1'),
        leaf('TestMsg', ''),
      ),
      messageData: el('MessageData', withAttrs(el('AppData', PAYLOAD), { 'wsu:Id': 'AppData' })),
      header: withAttrs(
        el('Header', leaf('NodeId', '00'), leaf('MessageId', id1), leaf('TimeStamp', '2014-03-01T10:00:01+04:00'), leaf('MessageClass', 'REQUEST')),
        { actor: 'http://smev.gosuslugi.ru/actors/smev' },
      ),
    },
    {
      name: 'packet-service',
      prefix: 'ns2',
      operation: 'putData',
      message: el(
        'Message',
        org('Sender', 'PNZR01581', 'Пензенская область'),
        FNSR('Recipient'),
        el('Service', leaf('Mnemonic', 'FNSR01001'), leaf('Version', '1.00')),
        leaf('TypeCode', 'OTHR'),
        leaf('Status', 'PACKET'),
        leaf('Date', '2014-03-01T10:00:00Z'),
        leaf('ExchangeType', '5'),
        el(
          'SubMessages',
          el('SubMessage', leaf('SubRequestNumber', '1'), leaf('Status', 'REQUEST'), leaf('Date', '2014-03-01T10:00:00Z')),
          el('SubMessage', leaf('SubRequestNumber', '2'), leaf('Status', 'REQUEST'), MINZ('Originator'), leaf('Date', '2014-03-01T10:00:00Z'), leaf('CaseNumber', 'C-2')),
        ),
        leaf('TestMsg', 'true'),
        leaf('OKTMO', '56701000'),
      ),
      messageData: el('MessageData', el('AppData', raw('<oep:putData xmlns:oep="urn:smev2-gateway:test:oep"><oep:n>2</oep:n></oep:putData>'))),
      header: withAttrs(
        el(
          'Header',
          leaf('NodeId', '00'),
          leaf('MessageId', id2),
          leaf('TimeStamp', '2014-03-01T10:00:01Z'),
          leaf('MessageClass', 'REQUEST'),
          el('PacketIds', el('Id', leaf('MessageId', id1), leaf('SubRequestNumber', '1')), el('Id', leaf('MessageId', id2), leaf('SubRequestNumber', '2'))),
        ),
        { 'wsu:Id': `ID-${id2.toLowerCase()}` },
      ),
    },
    {
      name: 'result-document',
      prefix: '',
      operation: 'getEgrulExtractResponse',
      message: el(
        'Message',
        FNSR('Sender'),
        MINZ('Recipient'),
        MINZ('Originator'),
        leaf('ServiceName', 'EGRUL'),
        leaf('TypeCode', 'GFNC'),
        leaf('Status', 'RESULT'),
        leaf('Date', '2014-03-01T10:00:05Z'),
        leaf('ExchangeType', '2'),
        leaf('RequestIdRef', id1),
        leaf('OriginRequestIdRef', id1),
      ),
      messageData: el(
        'MessageData',
        el('AppData', signedCharge(SIGNATURE)),
        el('AppDocument', leaf('RequestCode', 'req_0003'), leaf('BinaryData', ZIP_B64)),
      ),
      header: el('Header', leaf('NodeId', '00'), leaf('MessageId', id2), leaf('TimeStamp', '2014-03-01T10:00:06Z'), leaf('MessageClass', 'RESPONSE')),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Mutations, per block. Each is tried on every base of every revision; those that do not apply
// (null) are skipped.

const STATUSES = ['REQUEST', 'RESULT', 'REJECT', 'INVALID', 'ACCEPT', 'PING', 'PROCESS', 'NOTIFY', 'FAILURE', 'CANCEL', 'STATE', 'PACKET'];
const AFTER_TESTMSG_SLOT = ['TestMsg', 'SubMessages', 'CaseNumber', 'ServiceCode', 'OriginRequestIdRef', 'RequestIdRef', 'ExchangeType', 'Date'];
const SERVICE = el('Service', leaf('Mnemonic', 'FNSR01001'), leaf('Version', '1.00'));
const SUBMESSAGES = el('SubMessages', el('SubMessage', leaf('SubRequestNumber', '1'), leaf('Status', 'REQUEST'), leaf('Date', '2014-03-01T10:00:00Z')));
const FOREIGN = raw('<x:Extra xmlns:x="urn:smev2-gateway:test:unknown">1</x:Extra>');

const messageMutations: [string, Edit][] = [
  ['none', (r) => r],
  // required elements
  ...['Sender', 'Recipient', 'Originator', 'TypeCode', 'Status', 'Date', 'ExchangeType', 'ServiceName'].map(
    (n): [string, Edit] => [`missing-${n}`, remove(n)],
  ),
  ['missing-Sender-Code', inside('Sender', remove('Code'))],
  // valid in 2.5.5 only: neither 2.5.6 (no ServiceName) nor the service variant (not a mnemonic)
  ['missing-ServiceName-and-short-code', chain(remove('ServiceName'), inside('Sender', setText('Code', 'RR')))],
  ['missing-Recipient-Name', inside('Recipient', remove('Name'))],
  ['empty-Sender', inside('Sender', clearChildren)],
  // Status
  ...STATUSES.map((s): [string, Edit] => [`status-${s}`, setText('Status', s)]),
  ['status-unknown', setText('Status', 'DONE')],
  ['status-lowercase', setText('Status', 'request')],
  ['status-padded', setText('Status', ' RESULT ')],
  ['status-empty', setText('Status', '')],
  ['status-added-rev110801', when((r) => !has(r, 'Status'), insertAfter(['TypeCode'], leaf('Status', 'REQUEST')))],
  // TypeCode
  ['typecode-GSRV', setText('TypeCode', 'GSRV')],
  ['typecode-GFNC', setText('TypeCode', 'GFNC')],
  ['typecode-OTHR', setText('TypeCode', 'OTHR')],
  ['typecode-unknown', setText('TypeCode', 'XXXX')],
  ['typecode-numeric', setText('TypeCode', '2')],
  ['typecode-empty', setText('TypeCode', '')],
  // Date
  ['date-not-a-date', setText('Date', 'yesterday')],
  ['date-only', setText('Date', '2013-06-19')],
  ['date-month-13', setText('Date', '2013-13-01T00:00:00Z')],
  ['date-no-zone', setText('Date', '2013-06-19T11:49:28')],
  ['date-millis-zulu', setText('Date', '2013-06-19T11:49:28.123Z')],
  ['date-padded', setText('Date', ' 2013-06-19T11:49:28Z ')],
  ['date-space-separator', setText('Date', '2013-06-19 11:49:28')],
  ['date-empty', setText('Date', '')],
  // order and multiplicity
  ['order-Recipient-before-Sender', moveBefore('Recipient', 'Sender')],
  ['order-Date-before-TypeCode', moveBefore('Date', 'TypeCode')],
  ['order-Status-before-TypeCode', moveBefore('Status', 'TypeCode')],
  ['order-ExchangeType-last', chain(remove('ExchangeType'), insertAfter([], leaf('ExchangeType', '2')))],
  ['order-Originator-after-TypeCode', moveAfter('Originator', 'TypeCode')],
  ['order-CaseNumber-first', moveBefore('CaseNumber', 'Sender')],
  ['duplicate-Sender', duplicate('Sender')],
  ['duplicate-Date', duplicate('Date')],
  ['duplicate-RequestIdRef', duplicate('RequestIdRef')],
  ['duplicate-TestMsg', duplicate('TestMsg')],
  // optional elements added
  ['add-RequestIdRef-empty', when((r) => !has(r, 'RequestIdRef'), insertAfter(['ExchangeType', 'Date'], leaf('RequestIdRef', '')))],
  ['add-CaseNumber', when((r) => !has(r, 'CaseNumber'), insertAfter(['ServiceCode', 'OriginRequestIdRef', 'RequestIdRef', 'ExchangeType', 'Date'], leaf('CaseNumber', 'C-9')))],
  ['add-Originator', when((r) => !has(r, 'Originator'), insertAfter(['Recipient'], MINZ('Originator')))],
  // ExchangeType
  ['exchangetype-empty', setText('ExchangeType', '')],
  ['exchangetype-text', setText('ExchangeType', 'any text at all')],
  // TestMsg
  ['testmsg-empty', when((r) => !has(r, 'TestMsg'), insertAfter(AFTER_TESTMSG_SLOT, leaf('TestMsg', '')))],
  ['testmsg-emptied', setText('TestMsg', '')],
  ['testmsg-true', when((r) => !has(r, 'TestMsg'), insertAfter(AFTER_TESTMSG_SLOT, leaf('TestMsg', 'true')))],
  ['testmsg-removed', remove('TestMsg')],
  ['testmsg-before-CaseNumber', moveBefore('TestMsg', 'CaseNumber')],
  // OKTMO
  ['oktmo-at-end', when((r) => !has(r, 'OKTMO'), insertAfter([], leaf('OKTMO', '56701000')))],
  [
    'oktmo-then-testmsg',
    when((r) => !has(r, 'OKTMO'), chain(remove('TestMsg'), insertAfter(AFTER_TESTMSG_SLOT, leaf('OKTMO', '56701000'), leaf('TestMsg', 'x')))),
  ],
  ['oktmo-after-Sender', when((r) => !has(r, 'OKTMO'), insertAfter(['Sender'], leaf('OKTMO', '56701000')))],
  ['oktmo-removed', remove('OKTMO')],
  ['oktmo-twice', duplicate('OKTMO')],
  ['oktmo-moved-before-TestMsg', moveBefore('OKTMO', 'TestMsg')],
  // ServiceName and Service{Mnemonic,Version}
  ['servicename-added', when((r) => !has(r, 'ServiceName') && !has(r, 'Service'), insertAfter(['Originator', 'Recipient'], leaf('ServiceName', 'EGRUL')))],
  ['servicename-to-service', replaceWith('ServiceName', SERVICE)],
  ['service-to-servicename', replaceWith('Service', leaf('ServiceName', 'FNSR01001'))],
  ['service-added', when((r) => !has(r, 'ServiceName') && !has(r, 'Service'), insertAfter(['Originator', 'Recipient'], SERVICE))],
  ['service-and-servicename', when((r) => has(r, 'ServiceName'), insertAfter(['ServiceName'], SERVICE))],
  ['service-version-1.0', inside('Service', setText('Version', '1.0'))],
  ['service-version-10.00', inside('Service', setText('Version', '10.00'))],
  ['service-version-v1', inside('Service', setText('Version', 'v1.00'))],
  ['service-no-version', inside('Service', remove('Version'))],
  ['service-no-mnemonic', inside('Service', remove('Mnemonic'))],
  ['service-after-TypeCode', moveAfter('Service', 'TypeCode')],
  ['servicename-after-TypeCode', moveAfter('ServiceName', 'TypeCode')],
  ['servicename-empty', setText('ServiceName', '')],
  // SubMessages
  ['submessages-added', when((r) => !has(r, 'SubMessages'), insertAfter(['CaseNumber', 'ServiceCode', 'OriginRequestIdRef', 'RequestIdRef', 'ExchangeType'], SUBMESSAGES))],
  ['submessages-empty', when((r) => !has(r, 'SubMessages'), insertAfter(['CaseNumber', 'ServiceCode', 'OriginRequestIdRef', 'RequestIdRef', 'ExchangeType'], el('SubMessages')))],
  ['submessages-emptied', inside('SubMessages', clearChildren)],
  ['submessage-no-number', inside('SubMessages', inside('SubMessage', remove('SubRequestNumber')))],
  ['submessage-bad-status', inside('SubMessages', inside('SubMessage', setText('Status', 'DONE')))],
  ['submessages-after-TestMsg', moveAfter('SubMessages', 'TestMsg')],
  // mnemonics (Sender/Recipient Code)
  ['sender-code-short', inside('Sender', setText('Code', 'RR'))],
  ['sender-code-numeric-4', inside('Sender', setText('Code', '8201'))],
  ['sender-code-lowercase', inside('Sender', setText('Code', 'minz01001'))],
  ['sender-code-padded', inside('Sender', setText('Code', '  MINZ01001 '))],
  ['sender-code-10', inside('Sender', setText('Code', 'MINZ010010'))],
  ['sender-code-letters-tail', inside('Sender', setText('Code', 'MINZ0100A'))],
  ['originator-code-short', inside('Originator', setText('Code', 'RR'))],
  // unknown content
  ['extra-unknown-element', insertAfter([], leaf('Unknown', 'x'))],
  ['extra-foreign-element', insertAfter([], FOREIGN)],
  ['extra-in-Sender', inside('Sender', insertAfter([], leaf('Inn', '7700000000')))],
  ['extra-attribute-wsu-Id', setAttrs({ 'wsu:Id': 'Message' })],
  ['extra-attribute-plain', setAttrs({ kind: 'x' })],
  ['wrong-namespace-Sender', replaceWith('Sender', raw(`<o:Sender xmlns:o="${NS.rev110801}"><o:Code>MINZ01001</o:Code><o:Name>x</o:Name></o:Sender>`))],
  // text instead of elements
  ['text-instead-of-Sender-children', replaceWith('Sender', leaf('Sender', 'MINZ01001'))],
  ['text-between-children', insertAfter(['Recipient'], 'stray text')],
  ['whitespace-and-comment', insertAfter(['Recipient'], '\n   ', raw('<!-- a comment -->'), '\n')],
  ['message-emptied', clearChildren],
];

const appData = (r: El) => has(r, 'AppData');
const messageDataMutations: [string, Edit][] = [
  ['none', (r) => r],
  ['emptied', clearChildren],
  ['missing-AppData', remove('AppData')],
  ['missing-AppDocument', remove('AppDocument')],
  ['order-AppDocument-first', moveBefore('AppDocument', 'AppData')],
  ['duplicate-AppData', duplicate('AppData')],
  ['duplicate-AppDocument', duplicate('AppDocument')],
  // AppDocument shapes
  ['appdocument-binary', when((r) => !has(r, 'AppDocument'), insertAfter([], el('AppDocument', leaf('RequestCode', 'req_9'), leaf('BinaryData', ZIP_B64))))],
  ['appdocument-binary-no-requestcode', when((r) => !has(r, 'AppDocument'), insertAfter([], el('AppDocument', leaf('BinaryData', ZIP_B64))))],
  [
    'appdocument-reference',
    when((r) => !has(r, 'AppDocument'), insertAfter([], el('AppDocument', leaf('RequestCode', 'req_9'), el('Reference', xopInclude()), leaf('DigestValue', DIGEST_B64)))),
  ],
  ['appdocument-reference-no-requestcode', when((r) => !has(r, 'AppDocument'), insertAfter([], el('AppDocument', el('Reference', xopInclude()), leaf('DigestValue', DIGEST_B64))))],
  ['appdocument-missing-RequestCode', inside('AppDocument', remove('RequestCode'))],
  ['appdocument-binary-to-reference', inside('AppDocument', replaceWith('BinaryData', el('Reference', xopInclude()), leaf('DigestValue', DIGEST_B64)))],
  ['appdocument-reference-to-binary', inside('AppDocument', chain(remove('DigestValue'), replaceWith('Reference', leaf('BinaryData', ZIP_B64))))],
  ['appdocument-binary-and-reference', inside('AppDocument', when((r) => has(r, 'BinaryData'), insertAfter(['BinaryData'], el('Reference', xopInclude()), leaf('DigestValue', DIGEST_B64))))],
  ['appdocument-requestcode-added', inside('AppDocument', when((r) => !has(r, 'RequestCode'), prepend(leaf('RequestCode', 'req_9'))))],
  ['appdocument-bad-base64', inside('AppDocument', setText('BinaryData', '*** not base64 ***'))],
  ['appdocument-empty-binary', inside('AppDocument', setText('BinaryData', ''))],
  // libxml2 skips characters outside the base64 alphabet: this one is accepted (by both sets)
  ['appdocument-binary-punctuation', inside('AppDocument', setText('BinaryData', '!!!'))],
  ['appdocument-missing-DigestValue', inside('AppDocument', remove('DigestValue'))],
  ['appdocument-digest-bad-base64', inside('AppDocument', setText('DigestValue', 'abc'))],
  ['appdocument-reference-text-only', inside('AppDocument', replaceWith('Reference', leaf('Reference', 'cid:attachment-1')))],
  ['appdocument-reference-empty', inside('AppDocument', replaceWith('Reference', el('Reference')))],
  ['appdocument-include-without-href', inside('AppDocument', replaceWith('Reference', el('Reference', xopInclude(''))))],
  ['appdocument-include-with-child', inside('AppDocument', replaceWith('Reference', el('Reference', raw(`<xop:Include xmlns:xop="${NS.xop}" href="cid:a"><x:y xmlns:x="urn:x"/></xop:Include>`))))],
  ['appdocument-emptied', inside('AppDocument', clearChildren)],
  ['appdocument-nil', inside('AppDocument', chain(clearChildren, setAttrs({ 'xsi:nil': 'true' })))],
  ['appdocument-extra-element', inside('AppDocument', insertAfter([], leaf('FileName', 'a.zip')))],
  // what AppData's lax wildcards validate
  ['appdata-wsu-id-not-ncname', when(appData, inside('AppData', setAttrs({ 'wsu:Id': '1-AppData' })))],
  ['appdata-wsu-id-ok', when(appData, inside('AppData', setAttrs({ 'wsu:Id': 'AppData-2' })))],
  ['appdata-soap-mustunderstand-true', when(appData, inside('AppData', setAttrs({ 'S:mustUnderstand': 'true' })))],
  ['appdata-soap-mustunderstand-1', when(appData, inside('AppData', setAttrs({ 'S:mustUnderstand': '1' })))],
  ['appdata-unknown-attribute', when(appData, inside('AppData', setAttrs({ 'x:y': 'z', 'xmlns:x': 'urn:smev2-gateway:test:x' })))],
  [
    'appdata-duplicate-wsu-id',
    when(appData, inside('AppData', insertAfter([], raw(`<p:A xmlns:p="urn:p" xmlns:wsu="${NS.wsu}" wsu:Id="dup"/>`), raw(`<p:B xmlns:p="urn:p" xmlns:wsu="${NS.wsu}" wsu:Id="dup"/>`)))),
  ],
  ['appdata-signature-valid', when(appData, inside('AppData', insertAfter([], signedCharge(SIGNATURE))))],
  ['appdata-signature-no-value', when(appData, inside('AppData', insertAfter([], signedCharge(SIGNATURE.replace(/<ds:SignatureValue>.*<\/ds:SignatureValue>/, '')))))],
  ['appdata-signature-bad-digest', when(appData, inside('AppData', insertAfter([], signedCharge(SIGNATURE.replace(`<ds:DigestValue>${DIGEST_B64}`, '<ds:DigestValue>abc')))))],
  ['appdata-signature-unknown-child', when(appData, inside('AppData', insertAfter([], signedCharge(SIGNATURE.replace('</ds:SignedInfo>', '<ds:Extra/></ds:SignedInfo>')))))],
  ['appdata-bare-signature', when(appData, inside('AppData', insertAfter([], raw(SIGNATURE))))],
  ['appdata-wsu-timestamp-bad', when(appData, inside('AppData', insertAfter([], raw(`<wsu:Timestamp xmlns:wsu="${NS.wsu}"><wsu:Expires/><wsu:Created/></wsu:Timestamp>`))))],
  ['appdata-xsi-type-unresolved', when(appData, inside('AppData', insertAfter([], raw(`<T xmlns="" xmlns:xsi="${NS.xsi}" xmlns:q="urn:q" xsi:type="q:Unknown"><v>1</v></T>`))))],
  ['appdata-xsi-type-builtin', when(appData, inside('AppData', insertAfter([], raw(`<T xmlns="" xmlns:xsi="${NS.xsi}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:int">12</T>`))))],
  ['appdata-xsi-type-builtin-bad', when(appData, inside('AppData', insertAfter([], raw(`<T xmlns="" xmlns:xsi="${NS.xsi}" xmlns:xs="http://www.w3.org/2001/XMLSchema" xsi:type="xs:int">twelve</T>`))))],
  ['appdata-nested-smev-element-valid', when(appData, inside('AppData', insertAfter([], leaf('CaseNumber', 'nested'))))],
  ['appdata-nested-smev-element-invalid', when(appData, inside('AppData', insertAfter([], el('Sender', leaf('Name', 'no code')))))],
  ['appdata-nested-smev-undeclared', when(appData, inside('AppData', insertAfter([], leaf('Undeclared', 'x'))))],
  ['appdata-text', when(appData, inside('AppData', insertAfter([], 'free text in AppData')))],
  // unknown content
  ['extra-unknown-element', insertAfter([], leaf('Unknown', 'x'))],
  ['extra-foreign-element', insertAfter([], FOREIGN)],
  ['extra-attribute-wsu-Id', setAttrs({ 'wsu:Id': 'MessageData' })],
  ['text-between-children', insertAfter([], 'stray text')],
];

const headerMutations: [string, Edit][] = [
  ['none', (r) => r],
  ...['NodeId', 'MessageId', 'TimeStamp', 'MessageClass', 'PacketIds'].map((n): [string, Edit] => [`missing-${n}`, remove(n)]),
  ['nodeid-added', when((r) => !has(r, 'NodeId'), insertBefore('MessageId', leaf('NodeId', '00')))],
  ['messageclass-RESPONSE', setText('MessageClass', 'RESPONSE')],
  ['messageclass-unknown', setText('MessageClass', 'REQ')],
  ['messageclass-added-rev110801', when((r) => !has(r, 'MessageClass'), insertAfter(['TimeStamp'], leaf('MessageClass', 'REQUEST')))],
  ['timestamp-bad', setText('TimeStamp', '19.06.2013 11:49')],
  ['messageid-lowercase', setText('MessageId', 'a1b2c3d4-0000-4000-8000-00000000000f')],
  ['order-MessageId-first', moveBefore('MessageId', 'NodeId')],
  ['order-TimeStamp-first', moveBefore('TimeStamp', 'MessageId')],
  ['packetids-added', when((r) => !has(r, 'PacketIds'), insertAfter(['MessageClass', 'TimeStamp'], el('PacketIds', el('Id', leaf('MessageId', 'X'), leaf('SubRequestNumber', '1')))))],
  ['packetids-empty', when((r) => !has(r, 'PacketIds'), insertAfter(['MessageClass', 'TimeStamp'], el('PacketIds')))],
  ['packetid-no-number', inside('PacketIds', inside('Id', remove('SubRequestNumber')))],
  // attributes: the 2.5.6 Header and the rev111111 OKTMO variant take none but actor / none at all
  ['attr-wsu-Id', setAttrs({ 'wsu:Id': 'ID-0f0e0d0c-0000-4000-8000-000000000001' })],
  ['attr-wsu-Id-not-ncname', setAttrs({ 'wsu:Id': '0f0e0d0c-0000' })],
  ['attr-actor', setAttrs({ actor: 'http://smev.gosuslugi.ru/actors/recipient' })],
  ['attr-soap-actor', setAttrs({ 'S:actor': 'http://smev.gosuslugi.ru/actors/recipient' })],
  ['attr-soap-mustunderstand-1', setAttrs({ 'S:mustUnderstand': '1' })],
  ['attr-soap-mustunderstand-true', setAttrs({ 'S:mustUnderstand': 'true' })],
  ['attr-plain', setAttrs({ kind: 'x' })],
  // unknown content
  ['extra-unknown-element', insertAfter([], leaf('Unknown', 'x'))],
  ['extra-foreign-element', insertAfter([], FOREIGN)],
  ['text-instead-of-children', (r) => ({ ...clone(r), c: ['00 ' + 'A1B2C3D4'] })],
  ['whitespace-and-comment', insertAfter(['MessageId'], '\n  ', raw('<!-- c -->'), '\n  ')],
];

function envelope(rev: Revision, base: Base, parts: { message: El; messageData: El; header: El }): string {
  const ns = NS[rev];
  const p = base.prefix;
  const top = (x: El) => render(withAttrs(x, { [p ? `xmlns:${p}` : 'xmlns']: ns }), p);
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<S:Envelope xmlns:S="${NS.soap}" xmlns:wsu="${NS.wsu}" xmlns:xsi="${NS.xsi}">\n` +
    `<S:Header>${top(parts.header)}</S:Header>\n` +
    `<S:Body wsu:Id="body"><op:${base.operation} xmlns:op="urn:smev2-gateway:test:operations">` +
    `${top(parts.message)}${top(parts.messageData)}</op:${base.operation}></S:Body>\n` +
    '</S:Envelope>\n'
  );
}

/** Every generated envelope: the bases unchanged, then every mutation that applies to a base. */
export function envelopeCases(): EnvelopeCase[] {
  const out: EnvelopeCase[] = [];
  const seen = new Set<string>();
  const blocks: [Block, [string, Edit][], keyof Pick<Base, 'message' | 'messageData' | 'header'>][] = [
    ['Message', messageMutations, 'message'],
    ['MessageData', messageDataMutations, 'messageData'],
    ['Header', headerMutations, 'header'],
  ];
  for (const rev of ['rev110801', 'rev111111', 'rev120315'] as const) {
    for (const base of bases(rev)) {
      for (const [block, mutations, key] of blocks) {
        for (const [name, edit] of mutations) {
          const mutated = edit(clone(base[key]));
          if (!mutated) continue;
          const parts = { message: base.message, messageData: base.messageData, header: base.header, [key]: mutated };
          const xml = envelope(rev, base, parts);
          // the same envelope from two mutations (e.g. a no-op on this base) is one case
          const key2 = `${rev}|${block}|${xml}`;
          if (seen.has(key2)) continue;
          seen.add(key2);
          out.push({ id: `${rev}/${base.name}/${block}/${name}`, revision: rev, block, xml });
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The attachment manifest (request/rev111111): a few bases and mutations.

function manifestDoc(docs: string[], prefix = 'req'): string {
  const d = `xmlns:${prefix}="${NS.request}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${prefix}:AppliedDocuments ${d}>${docs.join('')}</${prefix}:AppliedDocuments>\n`;
}
const doc = (parts: [string, string][], attrs = '', p = 'req') =>
  `<${p}:AppliedDocument${attrs}>${parts.map(([n, v]) => `<${p}:${n}>${v}</${p}:${n}>`).join('')}</${p}:AppliedDocument>`;
const FULL: [string, string][] = [
  ['CodeDocument', '0001'],
  ['Name', 'passport.pdf'],
  ['Number', '1'],
  ['URL', 'files/passport.pdf'],
  ['Type', 'application/pdf'],
  ['DigestValue', DIGEST_B64],
];
const MINIMAL: [string, string][] = [
  ['Name', 'scan.tif'],
  ['URL', 'scan.tif'],
  ['Type', 'image/tiff'],
];

export function manifestCases(): ManifestCase[] {
  const without = (parts: [string, string][], name: string) => parts.filter(([n]) => n !== name);
  const swap = (parts: [string, string][], a: string, b: string) => {
    const r = [...parts];
    const i = r.findIndex(([n]) => n === a);
    const j = r.findIndex(([n]) => n === b);
    [r[i], r[j]] = [r[j]!, r[i]!];
    return r;
  };
  const cases: [string, string][] = [
    ['full-and-minimal', manifestDoc([doc(FULL), doc(MINIMAL)])],
    ['empty', manifestDoc([])],
    ['default-namespace', `<AppliedDocuments xmlns="${NS.request}"><AppliedDocument><Name>a</Name><URL>a</URL><Type>text/plain</Type></AppliedDocument></AppliedDocuments>`],
    ['qualified-ID', manifestDoc([doc(FULL, ' req:ID="doc-1"'), doc(MINIMAL, ' req:ID="doc-2"')])],
    ['qualified-ID-duplicate', manifestDoc([doc(FULL, ' req:ID="doc-1"'), doc(MINIMAL, ' req:ID="doc-1"')])],
    ['qualified-ID-not-ncname', manifestDoc([doc(FULL, ' req:ID="1"')])],
    ['plain-ID', manifestDoc([doc(FULL, ' ID="doc-1"')])],
    ...['Name', 'URL', 'Type', 'CodeDocument', 'Number', 'DigestValue'].map((n): [string, string] => [`missing-${n}`, manifestDoc([doc(without(FULL, n))])]),
    ['order-URL-before-Name', manifestDoc([doc(swap(FULL, 'Name', 'URL'))])],
    ['order-Number-before-CodeDocument', manifestDoc([doc(swap(FULL, 'CodeDocument', 'Number'))])],
    ['digest-bad-base64', manifestDoc([doc(FULL.map(([n, v]) => [n, n === 'DigestValue' ? '%%%' : v]))])],
    ['duplicate-Name', manifestDoc([doc([['Name', 'a'], ...MINIMAL])])],
    ['extra-element', manifestDoc([doc([...FULL, ['Size', '10']])])],
    ['text-in-list', manifestDoc(['text', doc(MINIMAL)])],
    ['foreign-root-child', manifestDoc(['<x:Other xmlns:x="urn:x"/>'])],
    ['wrong-namespace-child', `<req:AppliedDocuments xmlns:req="${NS.request}"><AppliedDocument><Name>a</Name><URL>a</URL><Type>t</Type></AppliedDocument></req:AppliedDocuments>`],
  ];
  return cases.map(([id, xml]) => ({ id: `request/${id}`, xml }));
}
