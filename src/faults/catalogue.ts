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
  providerSignatureInvalid: {
    code: 'GW-2005', faultcode: 'Server', http: 500,
    text: "The provider's answer failed signature verification: {reason}",
    when: "signature policy enforce: the provider's answer is unsigned, or its signature or certificate does not verify",
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
  internal: {
    code: 'GW-9000', faultcode: 'Server', http: 500,
    text: 'Internal gateway error ({ref}); the message was journaled',
    when: 'a bug: anything the other entries do not cover',
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
