import type { Revision } from './ns';

/** A typed view of a SOAP 1.1 SMEV 2 envelope. The original bytes stay in `raw`, unaltered. */
export interface Party {
  code?: string;
  name?: string;
}

export interface SmevMessage {
  sender?: Party;
  recipient?: Party;
  originator?: Party;
  serviceName?: string;
  service?: { mnemonic?: string; version?: string };
  typeCode?: string;
  status?: string;
  date?: string;
  exchangeType?: string;
  requestIdRef?: string;
  originRequestIdRef?: string;
  serviceCode?: string;
  caseNumber?: string;
  /** present (possibly empty) when the message is marked as test traffic */
  testMsg?: string;
  oktmo?: string;
}

export interface NodeHeader {
  nodeId?: string;
  messageId?: string;
  timeStamp?: string;
  messageClass?: string;
  wsuId?: string;
}

export interface SecurityBlock {
  actor?: string;
  hasSignature: boolean;
  hasToken: boolean;
}

export interface AppDocumentInfo {
  requestCode?: string;
  /** length of the base64 text of BinaryData, when inline */
  binaryLength?: number;
  /**
   * where the base64 text of BinaryData is in the envelope's `raw` (or, with `file`, in that spool
   * file: a text spooled as the request was taken), when it was kept out of the DOM (xml/elide.ts:
   * a large inline document); its element then holds a placeholder. Read it with
   * envelope/parse.ts's inlineDocumentBytes or base64RangeInto.
   */
  binaryRange?: { start: number; end: number; file?: string };
  reference?: string;
  /**
   * MTOM: the href (`cid:…`) of the xop:Include that stands for the document, in one of its two
   * places: Reference/xop:Include (SMEV 2's form, with a DigestValue) or BinaryData/xop:Include
   * (what a standard MTOM sender, e.g. JAX-WS with MTOMFeature, makes of base64Binary BinaryData)
   */
  include?: string;
  /** where `include` stood */
  includeIn?: 'Reference' | 'BinaryData';
  /** MTOM: AppDocument/DigestValue, base64 of GOST R 34.11-94 of the part's base64 text */
  digestValue?: string;
}

export interface SoapFaultInfo {
  faultcode?: string;
  faultstring?: string;
  /** the SMEV-nnnnnn code at the start of faultstring, when there is one */
  code?: string;
}

export interface Envelope {
  raw: Buffer;
  /** namespace of smev:Message (or of the first smev element met) */
  smevNamespace?: string;
  revision?: Revision;
  /** the Body's first child element */
  operation?: { ns: string; local: string };
  bodyId?: string;
  message?: SmevMessage;
  header?: NodeHeader;
  /** the soap:Header's child elements, in document order */
  headerBlocks: { ns: string; local: string }[];
  security: SecurityBlock[];
  hasAppData: boolean;
  appDocument?: AppDocumentInfo;
  fault?: SoapFaultInfo;
}

/** A qualified name: an element or type of a WSDL or schema, by namespace and local name. */
export interface QName {
  ns: string;
  local: string;
}
