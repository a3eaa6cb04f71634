/**
 * Every fault the gateway sends, in one place. Real SMEV codes and texts are kept exactly
 * (PROTOCOL.md §5): clients match them literally. Codes GW-nnnn are this gateway's own.
 * docs/faults.md lists the same entries for people; a test keeps the two in step.
 */
export interface FaultSpec {
  /** the code at the start of faultstring, or '' for the node's uncoded texts */
  code: string;
  faultcode: 'Client' | 'Server';
  http: number;
  /** the text; {name} placeholders are filled from the fault's parameters */
  text: string;
  when: string;
}

export const FAULTS = {
  unknownService: {
    code: '', faultcode: 'Client', http: 500,
    text: 'No policies found for service "{sid}". Make sure the service is registered correctly and the gateway policies are up to date.',
    when: 'the SID is not registered (or, with access control, the consumer may not use it)',
  },
  providerUnreachable: {
    code: '', faultcode: 'Server', http: 500,
    text: 'Cannot perform client request',
    when: 'the provider adapter cannot connect to the provider (refused, reset, DNS failure)',
  },
  malformedXml: {
    code: 'GW-1001', faultcode: 'Client', http: 500,
    text: 'Message is not well-formed XML: {reason}',
    when: 'the request body does not parse as XML (or carries a DOCTYPE)',
  },
  notSoap: {
    code: 'GW-1002', faultcode: 'Client', http: 500,
    text: 'Message is not a SOAP 1.1 envelope: {reason}',
    when: 'the body is XML but not a SOAP 1.1 Envelope with a Body',
  },
  noOperation: {
    code: 'GW-1003', faultcode: 'Client', http: 500,
    text: 'The SOAP Body is empty: it must carry an operation element of service {sid}',
    when: 'the Body has no child element',
  },
  unknownOperation: {
    code: 'GW-1004', faultcode: 'Client', http: 500,
    text: 'Service {sid} has no operation for element {element}; its operations are: {operations}',
    when: "the Body's first element is not the input of any operation in the SID's WSDL",
  },
  soapActionMismatch: {
    code: 'GW-1005', faultcode: 'Client', http: 500,
    text: 'SOAPAction "{action}" names operation {actionOperation} but the Body carries {operation}',
    when: 'the SOAPAction header names another operation of the WSDL than the Body element does',
  },
  notSmev: {
    code: 'GW-1006', faultcode: 'Client', http: 500,
    text: 'The operation element {operation} carries no smev:Message of a known revision (rev110801, rev111111, rev120315)',
    when: 'the operation element has no smev:Message in a SMEV namespace',
  },
  tooLarge: {
    code: 'GW-1010', faultcode: 'Client', http: 413,
    text: 'Message too large: {size} bytes, the limit is {limit}',
    when: 'the request body exceeds the configured maximum size',
  },
  tooDeep: {
    code: 'GW-1012', faultcode: 'Client', http: 500,
    text: 'Message nested too deep: depth {value}, the limit is {limit}',
    when: 'elements nest deeper than the configured limit',
  },
  tooManyElements: {
    code: 'GW-1013', faultcode: 'Client', http: 500,
    text: 'Message has too many elements: more than {limit}',
    when: 'the message holds more elements than the configured limit',
  },
  tooManyAttributes: {
    code: 'GW-1014', faultcode: 'Client', http: 500,
    text: 'An element has too many attributes: {value}, the limit is {limit}',
    when: 'one element carries more attributes than the configured limit',
  },
  headerTooLarge: {
    code: 'GW-1015', faultcode: 'Client', http: 500,
    text: 'soap:Header too large: more than {limit} bytes',
    when: 'the soap:Header is larger than the configured limit',
  },
  slowRequest: {
    code: 'GW-1016', faultcode: 'Client', http: 408,
    text: 'The request body did not arrive within {timeoutMs} ms',
    when: 'a client sends its body slower than the request timeout allows',
  },
  unsupportedEncoding: {
    code: 'GW-1017', faultcode: 'Client', http: 500,
    text: 'Message encoding {encoding} is not accepted ({where}): send the envelope in UTF-8',
    when: 'the body is not UTF-8: a UTF-16 or UTF-32 byte-order mark or layout, an XML declaration or a Content-Type charset naming another encoding (SMEV 2 traffic is UTF-8; limits and signatures are judged on UTF-8 bytes)',
  },
  badHttpRequest: {
    code: 'GW-1018', faultcode: 'Client', http: 400,
    text: 'The HTTP request could not be read: {reason}',
    when: "node's HTTP parser refused the request (bad framing: a malformed request line, header or chunk, a Content-Length and Transfer-Encoding together); answered where the connection can still take a response, counted, and journaled when a request line was read",
  },
  httpHeadersTooLarge: {
    code: 'GW-1019', faultcode: 'Client', http: 431,
    text: 'The HTTP request headers are too large: the limit is {limit} bytes',
    when: 'the request line and headers exceed the HTTP server\'s limit (--max-header-size of node, 16 KiB by default)',
  },
  badAddress: {
    code: 'GW-1020', faultcode: 'Client', http: 404,
    text: 'No service at {path}: a service is called at /gateway/services/SID<7 digits>[/version]',
    when: 'a request under /gateway/services/ names no service address (an extra path segment, `..`, an empty SID)',
  },
  wrongMethod: {
    code: 'GW-1011', faultcode: 'Client', http: 405,
    text: 'Use POST with a SOAP 1.1 envelope; GET {sid}?wsdl returns the WSDL',
    when: 'a service address is called with another HTTP method than POST (or GET for the WSDL)',
  },
  noSignature: {
    code: 'SMEV-100008', faultcode: 'Client', http: 500,
    text: 'The sender\'s signature was not found: no wsse:Security block with actor http://smev.gosuslugi.ru/actors/smev',
    when: 'signature policy enforce: the message carries no sender (actor smev) signature',
  },
  badSignature: {
    code: 'SMEV-100003', faultcode: 'Client', http: 500,
    text: 'Invalid signature ({actor}): {reason}',
    when: 'signature policy enforce: a digest or the signature value does not verify, or a reference does not resolve to this envelope\'s Body or smev:Header (XML signature wrapping)',
  },
  certificateExpired: {
    code: 'SMEV-100005', faultcode: 'Client', http: 500,
    text: 'При обработке запроса произошла ошибка: Сертификат просрочен',
    when: "signature policy enforce: the sender's certificate is not valid at the time the message is judged",
  },
  untrustedCertificate: {
    code: 'GW-3001', faultcode: 'Client', http: 500,
    text: "The sender's certificate is not trusted: {reason}",
    when: 'signature policy enforce: the certificate is neither pinned for a registered system nor issued to it by a trusted CA',
  },
  senderMismatch: {
    code: 'GW-3002', faultcode: 'Client', http: 500,
    text: 'The signature does not belong to the Sender: {reason}',
    when: "signature policy enforce: the certificate belongs to another system than the message's Sender code",
  },
  algorithmNotAccepted: {
    code: 'GW-3003', faultcode: 'Client', http: 500,
    text: 'Signature algorithm not accepted ({actor}): {reason}',
    when: "signature policy enforce: a Security block uses a signature/digest pair outside the SID's `signatureAlgorithms` (default: GOST R 34.10-2001 with GOST R 34.11-94, GOST R 34.10-2012 with Streebog, RSA-SHA256), or a canonicalization or transform this gateway does not apply",
  },
  providerSignatureInvalid: {
    code: 'GW-2005', faultcode: 'Server', http: 500,
    text: "The provider's answer failed signature verification: {reason}",
    when: "signature policy enforce: the provider's answer is unsigned, or its signature or certificate does not verify",
  },
  schemaInvalid: {
    code: 'SMEV-102000', faultcode: 'Client', http: 500,
    text: 'Message does not conform to the schema ({schema}): {errors}',
    when: 'control policy enforce: smev:Message, smev:MessageData or smev:Header fail the envelope schema of their revision, or the operation element fails the SID\'s WSDL/XSD bundle',
  },
  senderUnknown: {
    code: 'GW-4001', faultcode: 'Client', http: 500,
    text: 'Sender {sender} is not a registered information system',
    when: 'control policy enforce: smev:Sender/Code names no system of the systems registry',
  },
  wrongRecipient: {
    code: 'GW-4002', faultcode: 'Client', http: 500,
    text: 'Recipient {recipient} is not the provider of {sid} ({provider})',
    when: "control policy enforce: smev:Recipient/Code is not the SID's provider mnemonic",
  },
  statusNotAllowed: {
    code: 'GW-4003', faultcode: 'Client', http: 500,
    text: 'Status {status} is not allowed from a consumer on operation {operation} (allowed: {allowed})',
    when: 'control policy enforce: a consumer sends a Status its operation does not take (REQUEST, or PING on a polling operation)',
  },
  dateSkew: {
    code: 'GW-4004', faultcode: 'Client', http: 500,
    text: 'Date {date} is {skew} away from the node\'s clock (allowed: {max} s)',
    when: "control policy enforce: smev:Date is unreadable or further from the node's clock than the allowed skew",
  },
  testMsgOnProductive: {
    code: 'GW-4005', faultcode: 'Client', http: 500,
    text: 'TestMsg is not allowed on the productive contour ({sid})',
    when: 'control policy enforce: a message marked TestMsg is sent to a SID of the productive contour',
  },
  replayed: {
    code: 'GW-4006', faultcode: 'Client', http: 500,
    text: 'Replayed message: {what} was already received at {at}',
    when: 'control policy enforce: the same MessageId, or the same signed request, comes again within the replay window',
  },
  operationNotGranted: {
    code: 'GW-4007', faultcode: 'Client', http: 500,
    text: 'System {sender} may not call operation {operation} of {sid}',
    when: 'control policy enforce: the consumer has access to the SID but not to this operation',
  },
  providerAnswerSchemaInvalid: {
    code: 'GW-2006', faultcode: 'Server', http: 500,
    text: "The provider's answer does not conform to the schema ({schema}): {errors}",
    when: "control policy enforce: the provider's answer fails its envelope schema or the SID's WSDL/XSD bundle",
  },
  providerTimeout: {
    code: 'GW-2001', faultcode: 'Server', http: 500,
    text: 'The provider did not answer within {timeoutMs} ms',
    when: 'the provider accepts the connection but the whole answer does not arrive in time',
  },
  providerAnswerTooLarge: {
    code: 'GW-2002', faultcode: 'Server', http: 500,
    text: 'The provider answer exceeds {limit} bytes',
    when: "the provider's answer is larger than the adapter's maxAnswerBytes",
  },
  providerAnswerInvalid: {
    code: 'GW-2003', faultcode: 'Server', http: 500,
    text: 'The provider answer is not a SOAP envelope (HTTP {status}): {reason}',
    when: 'the provider answers something that is not a SOAP 1.1 envelope',
  },
  providerConnectTimeout: {
    code: 'GW-2004', faultcode: 'Server', http: 500,
    text: 'Cannot perform client request: no connection to the provider within {timeoutMs} ms',
    when: 'the TCP connection to the provider is not established within connectTimeoutMs',
  },
  badMultipart: {
    code: 'GW-5001', faultcode: 'Client', http: 400,
    text: 'The multipart/related message cannot be read: {reason}',
    when: 'an MTOM/XOP body (Content-Type multipart/related) has no boundary, no root part, a part without an end, or headers that do not parse',
  },
  attachmentMissing: {
    code: 'GW-5002', faultcode: 'Client', http: 500,
    text: 'AppDocument references the part "{cid}", which the message does not carry (its parts: {parts})',
    when: "AppDocument's xop:Include (in Reference, or in BinaryData as JAX-WS and other MTOM senders write it) names a Content-Id that no MIME part of the message has (or the message is not MTOM at all)",
  },
  attachmentDigestMismatch: {
    code: 'GW-5003', faultcode: 'Client', http: 500,
    text: 'AppDocument/DigestValue is {declared}, but GOST R 34.11-94 of the base64 text of part "{cid}" is {actual}',
    when: 'the MTOM part an AppDocument references is not the one its DigestValue was computed over (PROTOCOL.md §7: the hash of the base64 text of the part)',
  },
  attachmentTooLarge: {
    code: 'GW-5004', faultcode: 'Client', http: 413,
    text: 'Attachment {what} is larger than the limit of {limit} bytes ({setting})',
    when: 'an MTOM part, all parts together, or an inline AppDocument goes past its configured size (SMEV2_MAX_PART_BYTES, SMEV2_MAX_INLINE_DOCUMENT_BYTES)',
  },
  attachmentZipBroken: {
    code: 'GW-5005', faultcode: 'Client', http: 500,
    text: 'The AppDocument of {where} is not a readable ZIP: {reason}',
    when: 'the attachment (inline BinaryData or MTOM part) does not open as a ZIP, or one of its entries does not inflate to what its header says',
  },
  attachmentZipBomb: {
    code: 'GW-5006', faultcode: 'Client', http: 500,
    text: 'The AppDocument of {where} goes past a limit on ZIPs: {reason}',
    when: 'the ZIP has more entries, a higher compression ratio or more uncompressed bytes than configured (SMEV2_ZIP_MAX_ENTRIES, SMEV2_ZIP_MAX_RATIO, SMEV2_ZIP_MAX_BYTES), or nests paths outside itself',
  },
  attachmentSignatureInvalid: {
    code: 'GW-5007', faultcode: 'Client', http: 500,
    text: 'The signature {sig} over {file} in the AppDocument does not verify: {reason}',
    when: "a detached PKCS#7 (CMS SignedData) `<file>.sig` in the ZIP is not a CMS structure, does not verify over its file, or its signer's certificate is not trusted at the message's time",
  },
  attachmentUnsigned: {
    code: 'GW-5008', faultcode: 'Client', http: 500,
    text: 'The file {file} in the AppDocument has no signature ({file}.sig), and this service requires every file signed',
    when: 'the SID sets attachments.requireSignatures and a file of the ZIP has no .sig beside it',
  },
  attachmentManifestInvalid: {
    code: 'GW-5009', faultcode: 'Client', http: 500,
    text: 'The request document {file} in the AppDocument is not valid against the schema of {namespace}: {reason}',
    when: 'a req_<RequestCode>.xml in the namespace http://smev.gosuslugi.ru/request/rev111111 does not validate against the official schema',
  },
  tooManyParts: {
    code: 'GW-5010', faultcode: 'Client', http: 413,
    text: 'The message has more than {limit} MIME parts (SMEV2_MAX_PARTS)',
    when: 'a multipart/related body carries more parts than configured',
  },
  internal: {
    code: 'GW-9000', faultcode: 'Server', http: 500,
    text: 'Internal gateway error ({ref}); the message was journaled',
    when: 'a bug: anything the other entries do not cover',
  },
  overloaded: {
    code: 'GW-9001', faultcode: 'Server', http: 503,
    text: 'The gateway is busy: {inFlight} messages in work, try again later',
    when: 'more exchanges are in work than the configured bound (--max-in-flight)',
  },
  memoryBudget: {
    code: 'GW-9002', faultcode: 'Server', http: 503,
    text: 'The gateway is busy: {held} bytes of requests are in work and this one brings {size} more, past the budget of {limit} bytes (--max-bytes-in-flight); send it again after {retryAfter} s (the Retry-After header)',
    when: 'the request bytes being read, parsed or held by exchanges in work would go past the configured budget (--max-bytes-in-flight); judged on Content-Length before reading, and while reading a chunked body',
  },
  deliveryBehind: {
    code: 'GW-9003', faultcode: 'Server', http: 503,
    text: 'The gateway is busy: {due} messages are waiting for guaranteed delivery, the bound (SMEV2_OUTBOX_MAX_DUE), and none was taken within {waitedMs} ms; send it again after {retryAfter} s (the Retry-After header)',
    when: 'a request for guaranteed delivery waited SMEV2_OUTBOX_ADMIT_WAIT_MS while the outbox held SMEV2_OUTBOX_MAX_DUE due items that no delivery worker had taken yet (the intake waits for the workers, so that they keep up and the backlog stays bounded)',
  },
  restNoKey: {
    code: 'GW-6001', faultcode: 'Client', http: 401,
    text: 'No API key: send a system\'s key in the X-API-Key header (smev2-gateway systems api-key MNEMONIC issues one)',
    when: 'REST façade (/api/v1): a call without the X-API-Key header; answered as application/problem+json, not as a SOAP fault',
  },
  restBadKey: {
    code: 'GW-6002', faultcode: 'Client', http: 401,
    text: 'The API key is not one of any registered system (a key is shown once when issued; issue another with smev2-gateway systems api-key MNEMONIC)',
    when: 'REST façade: the X-API-Key matches no key hash in systems/*.yaml',
  },
  restNotGranted: {
    code: 'GW-6003', faultcode: 'Client', http: 403,
    text: 'System {system} may not call operation {operation} of {sid} (its grants in {file})',
    when: 'REST façade: the key\'s system has no grant for the SID or operation',
  },
  restNoSigningKey: {
    code: 'GW-6004', faultcode: 'Client', http: 409,
    text: 'The gateway holds no private key for system {system}, so it cannot sign as it: put {system}.key in the keys folder',
    when: 'REST façade: the key\'s system is registered but the gateway cannot sign for it',
  },
  restBadBody: {
    code: 'GW-6005', faultcode: 'Client', http: 400,
    text: 'The body does not fit {sid} {operation}: {reason}',
    when: 'REST façade: the JSON or XML is malformed, or its JSON does not follow the operation\'s schema (a wrong type, an unknown key)',
  },
  restNotFound: {
    code: 'GW-6006', faultcode: 'Client', http: 404,
    text: '{what}',
    when: 'REST façade: no such SID, operation or ticket (a ticket of another system is not found either)',
  },
  restMediaType: {
    code: 'GW-6007', faultcode: 'Client', http: 415,
    text: '{reason}',
    when: 'REST façade: the body is neither application/json nor application/xml (415), or Accept takes none of JSON, XML, PDF, HTML (406)',
  },
  restAnswerUnreadable: {
    code: 'GW-6008', faultcode: 'Server', http: 502,
    text: 'The answer of {sid} {operation} cannot be given as JSON: {reason}; ask for Accept: application/xml to have it as it came',
    when: 'REST façade: the provider\'s answer does not follow the answer schema the JSON is built from',
  },
  restLengthRequired: {
    code: 'GW-6009', faultcode: 'Client', http: 411,
    text: 'Send the body with a Content-Length: the gateway takes a body\'s bytes from its in-flight budget (--max-bytes-in-flight) before reading it',
    when: 'REST façade: a POST without Content-Length (chunked); the SOAP endpoint meters those while reading, the façade refuses them',
  },
} as const satisfies Record<string, FaultSpec>;

export type FaultName = keyof typeof FAULTS;

/** A failure on the way through the pipeline, turned into a SOAP fault by the respond stage. */
export class GatewayFault extends Error {
  readonly spec: FaultSpec;
  constructor(readonly kind: FaultName, readonly params: Record<string, string | number> = {}, readonly detail?: string) {
    const spec: FaultSpec = FAULTS[kind];
    super(renderFaultString(spec, params));
    this.spec = spec;
  }
  get faultstring(): string {
    return this.message;
  }
}

export function renderFaultString(spec: FaultSpec, params: Record<string, string | number>): string {
  const text = spec.text.replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
  return spec.code ? `${spec.code}: ${text}` : text;
}
