export const NS = {
  soap: 'http://schemas.xmlsoap.org/soap/envelope/',
  soap12: 'http://www.w3.org/2003/05/soap-envelope',
  wsse: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd',
  wsu: 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd',
  ds: 'http://www.w3.org/2000/09/xmldsig#',
  wsdl: 'http://schemas.xmlsoap.org/wsdl/',
  wsdlSoap: 'http://schemas.xmlsoap.org/wsdl/soap/',
  xsd: 'http://www.w3.org/2001/XMLSchema',
  xop: 'http://www.w3.org/2004/08/xop/include',
} as const;

export const REVISIONS = {
  'http://smev.gosuslugi.ru/rev110801': 'rev110801',
  'http://smev.gosuslugi.ru/rev111111': 'rev111111',
  'http://smev.gosuslugi.ru/rev120315': 'rev120315',
} as const;

export type Revision = (typeof REVISIONS)[keyof typeof REVISIONS];

export function revisionOf(ns: string): Revision | undefined {
  return (REVISIONS as Record<string, Revision>)[ns];
}

export function revisionNamespace(rev: Revision): string {
  return `http://smev.gosuslugi.ru/${rev}`;
}

export const ACTOR = {
  smev: 'http://smev.gosuslugi.ru/actors/smev',
  recipient: 'http://smev.gosuslugi.ru/actors/recipient',
} as const;

export const STATUSES = [
  'REQUEST', 'RESULT', 'REJECT', 'INVALID', 'ACCEPT', 'PING', 'PROCESS', 'NOTIFY', 'FAILURE',
  'CANCEL', 'STATE', 'PACKET',
] as const;
export type Status = (typeof STATUSES)[number];
