import { parseUntrusted, childElements, childByLocal, text, attrValue, firstChildElement } from '../xml/dom';
import type { XmlDocument, XmlElement } from '../xml/libxml';
import { parseWithoutLargeText, elidedTextOf } from '../xml/elide';
import { FileRange } from '../slices';
import type { ParsePurpose } from '../xml/parse-count';
import { NS, revisionOf } from './ns';
import type { Envelope, Party, SmevMessage, NodeHeader, SecurityBlock, AppDocumentInfo, SoapFaultInfo } from './model';

export class NotSoapError extends Error {}

export interface ParsedEnvelope {
  envelope: Envelope;
  /** The libxml2 document; the owner must dispose() it. */
  doc: XmlDocument;
  body: XmlElement;
  operationElement?: XmlElement;
  messageElement?: XmlElement;
  appDataElement?: XmlElement;
  /**
   * The Body's exclusive canonical form's digests already computed, by digest name: the verify
   * stage leaves them (signature/verify.ts alsoDigest), the node's signature takes them.
   */
  bodyDigests?: Map<string, Buffer>;
}

/**
 * Parse SOAP 1.1 bytes into a typed view (`elide: false`: with a large BinaryData's text in the
 * DOM too, for readers of that text; the pipeline reads it from `raw`, envelope.appDocument.binaryRange). Throws XmlSyntaxError for malformed XML and
 * NotSoapError for well-formed XML that is not a SOAP 1.1 envelope with a Body. `purpose`: what
 * the parse is for, counted (xml/parse-count.ts): the pipeline's parses say, so a leg's count is known.
 */
export function parseEnvelope(raw: Buffer, o: { elide?: boolean; purpose?: ParsePurpose } = {}): ParsedEnvelope {
  // a large inline AppDocument's base64 stays out of the DOM (xml/elide.ts): c14n writes it from `raw`
  const doc = o.elide === false ? parseUntrusted(raw, o.purpose) : parseWithoutLargeText(raw, o.purpose);
  try {
    return readEnvelope(raw, doc);
  } catch (e) {
    doc.dispose();
    throw e;
  }
}

/** Parse, read, dispose: for callers that only need the typed view. */
export function readEnvelopeView(raw: Buffer, purpose?: ParsePurpose): Envelope {
  const p = parseEnvelope(raw, { purpose });
  p.doc.dispose();
  return p.envelope;
}

function readEnvelope(raw: Buffer, doc: XmlDocument): ParsedEnvelope {
  const root = doc.root;
  if (root.namespaceUri === NS.soap12 && root.name === 'Envelope') {
    throw new NotSoapError('a SOAP 1.2 envelope: SMEV 2 speaks SOAP 1.1 only (namespace http://schemas.xmlsoap.org/soap/envelope/)');
  }
  if (root.namespaceUri !== NS.soap || root.name !== 'Envelope') {
    throw new NotSoapError(`the document element is {${root.namespaceUri}}${root.name}, not a SOAP 1.1 Envelope`);
  }
  const headerEl = firstChildElement(root, NS.soap, 'Header');
  const body = firstChildElement(root, NS.soap, 'Body');
  if (!body) throw new NotSoapError('the SOAP Envelope has no Body');

  const envelope: Envelope = { raw, headerBlocks: [], security: [], hasAppData: false };
  envelope.bodyId = attrValue(body, 'Id', NS.wsu) ?? attrValue(body, 'Id') ?? attrValue(body, 'id');

  if (headerEl) {
    for (const h of childElements(headerEl)) {
      envelope.headerBlocks.push({ ns: h.namespaceUri, local: h.name });
      if (h.namespaceUri === NS.wsse && h.name === 'Security') envelope.security.push(readSecurity(h));
      else if (h.name === 'Header' && revisionOf(h.namespaceUri)) {
        envelope.header = readNodeHeader(h);
        envelope.smevNamespace ??= h.namespaceUri;
      }
    }
  }

  const result: ParsedEnvelope = { envelope, doc, body };
  const op = firstChildElement(body);
  if (!op) return result;
  envelope.operation = { ns: op.namespaceUri, local: op.name };
  result.operationElement = op;

  if (op.namespaceUri === NS.soap && op.name === 'Fault') {
    envelope.fault = readFault(op);
    return result;
  }

  const msg = findSmevElement(op, 'Message', 3);
  if (msg) {
    result.messageElement = msg;
    envelope.smevNamespace = msg.namespaceUri;
    envelope.message = readMessage(msg);
    const data = msg.parent ? findSmevChild(msg.parent, 'MessageData') : undefined;
    if (data) {
      const appData = childByLocal(data, 'AppData');
      if (appData) {
        envelope.hasAppData = true;
        result.appDataElement = appData;
      }
      const doc = childByLocal(data, 'AppDocument');
      if (doc) envelope.appDocument = readAppDocument(doc);
    }
  }
  envelope.revision = envelope.smevNamespace ? revisionOf(envelope.smevNamespace) : undefined;
  return result;
}

/** Breadth-first search for a SMEV-namespaced element by local name, at most `depth` levels down. */
function findSmevElement(from: XmlElement, local: string, depth: number): XmlElement | undefined {
  let level: XmlElement[] = [from];
  for (let d = 0; d < depth && level.length; d++) {
    const next: XmlElement[] = [];
    for (const el of level) {
      for (const c of childElements(el)) {
        if (c.name === local && revisionOf(c.namespaceUri)) return c;
        next.push(c);
      }
    }
    level = next;
  }
  return undefined;
}

function findSmevChild(parent: XmlElement, local: string): XmlElement | undefined {
  for (const c of childElements(parent)) if (c.name === local && revisionOf(c.namespaceUri)) return c;
  return undefined;
}

function readParty(el: XmlElement | undefined): Party | undefined {
  if (!el) return undefined;
  return { code: text(childByLocal(el, 'Code')), name: text(childByLocal(el, 'Name')) };
}

function readMessage(m: XmlElement): SmevMessage {
  const msg: SmevMessage = {};
  for (const c of childElements(m)) {
    switch (c.name) {
      case 'Sender': msg.sender = readParty(c); break;
      case 'Recipient': msg.recipient = readParty(c); break;
      case 'Originator': msg.originator = readParty(c); break;
      case 'ServiceName': msg.serviceName = text(c); break;
      case 'Service': msg.service = { mnemonic: text(childByLocal(c, 'Mnemonic')), version: text(childByLocal(c, 'Version')) }; break;
      case 'TypeCode': msg.typeCode = text(c); break;
      case 'Status': msg.status = text(c); break;
      case 'Date': msg.date = text(c); break;
      case 'ExchangeType': msg.exchangeType = text(c); break;
      case 'RequestIdRef': msg.requestIdRef = text(c); break;
      case 'OriginRequestIdRef': msg.originRequestIdRef = text(c); break;
      case 'ServiceCode': msg.serviceCode = text(c); break;
      case 'CaseNumber': msg.caseNumber = text(c); break;
      case 'TestMsg': msg.testMsg = text(c) ?? ''; break;
      case 'OKTMO': msg.oktmo = text(c); break;
      default: break;
    }
  }
  return msg;
}

function readNodeHeader(h: XmlElement): NodeHeader {
  return {
    nodeId: text(childByLocal(h, 'NodeId')),
    messageId: text(childByLocal(h, 'MessageId')),
    timeStamp: text(childByLocal(h, 'TimeStamp')),
    messageClass: text(childByLocal(h, 'MessageClass')),
    wsuId: attrValue(h, 'Id', NS.wsu),
  };
}

function readSecurity(s: XmlElement): SecurityBlock {
  return {
    actor: attrValue(s, 'actor', NS.soap),
    hasSignature: !!firstChildElement(s, NS.ds, 'Signature'),
    hasToken: !!firstChildElement(s, NS.wsse, 'BinarySecurityToken'),
  };
}

function readAppDocument(d: XmlElement): AppDocumentInfo {
  const bin = childByLocal(d, 'BinaryData');
  const ref = childByLocal(d, 'Reference');
  // XOP may replace BinaryData's base64 text by an xop:Include as well (XOP 1.0 §3: any
  // base64Binary element); either Include names the MTOM part that holds the ZIP
  const refInclude = ref ? firstChildElement(ref, NS.xop, 'Include') : undefined;
  const binInclude = bin ? firstChildElement(bin, NS.xop, 'Include') : undefined;
  const include = refInclude ?? binInclude;
  // a large inline document's base64 is not in the DOM (xml/elide.ts): its place in `raw` is
  const elided = bin && elidedTextOf(bin);
  return {
    requestCode: text(childByLocal(d, 'RequestCode')),
    binaryLength: elided ? elided.chars : bin && !binInclude ? bin.content.replace(/\s+/g, '').length : undefined,
    binaryRange: elided ? { start: elided.start, end: elided.end, file: elided.file } : undefined,
    reference: ref ? text(ref) : undefined,
    include: include ? attrValue(include, 'href') : undefined,
    includeIn: refInclude ? 'Reference' : binInclude ? 'BinaryData' : undefined,
    digestValue: text(childByLocal(d, 'DigestValue'))?.replace(/\s+/g, ''),
  };
}

/**
 * The base64 text of a message's inline BinaryData, or undefined when it has none. A large one is
 * not in the DOM (xml/elide.ts): it is read from the envelope's bytes where the parser found it.
 */
export function inlineDocumentBase64(p: ParsedEnvelope): string | undefined {
  const range = p.envelope.appDocument?.binaryRange;
  if (range) return range.file ? new FileRange(range.file, range.start, range.end - range.start).read().toString('latin1') : p.envelope.raw.subarray(range.start, range.end).toString('latin1');
  const el = appDocumentElement(p);
  const bin = el ? childByLocal(el, 'BinaryData') : undefined;
  return bin && !firstChildElement(bin, NS.xop, 'Include') ? bin.content : undefined;
}

/**
 * The bytes of a message's inline BinaryData (the ZIP), or undefined when it has none. A large
 * one is decoded from the envelope's bytes a piece at a time, without a string of its base64 (a
 * 10 MiB document would otherwise cost two 13 MB strings before its 10 MB of bytes).
 */
export function inlineDocumentBytes(p: ParsedEnvelope): Buffer | undefined {
  const range = p.envelope.appDocument?.binaryRange;
  if (!range) {
    const text = inlineDocumentBase64(p);
    return text === undefined ? undefined : Buffer.from(text, 'base64');
  }
  return decodeBase64Range(p.envelope.raw, range);
}

const PIECE = 64 * 1024;

/**
 * Where a text is: offsets of `raw`, or of a spool file when `file` is set (a large inline text
 * kept out of memory, xml/elide.ts spoolLargeTexts).
 */
export interface TextRange {
  start: number;
  end: number;
  file?: string;
}

/** Base64 text (XML white space allowed anywhere) between two offsets of `raw` (or of its file), decoded piece by piece. */
export function decodeBase64Range(raw: Buffer, range: TextRange): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil(((range.end - range.start) * 3) / 4));
  let written = 0;
  for (const text of base64Texts(raw, range)) written += out.write(text, written, 'base64');
  return out.subarray(0, written);
}

/**
 * The same, decoded into `into` (at least DECODED_PIECE bytes): yields how much of it is filled
 * whenever less than a piece's room is left, and at the end. The caller takes those bytes before
 * asking for more; `into` is then filled again from its start. A 10 MiB document goes to a file
 * through one reused buffer, not as 10 MiB of pieces left for the collector.
 */
export function* base64RangeInto(raw: Buffer, range: TextRange, into: Buffer): Generator<number> {
  if (into.length < DECODED_PIECE) throw new RangeError(`base64RangeInto needs a buffer of at least ${DECODED_PIECE} bytes, got ${into.length}`);
  let filled = 0;
  for (const text of base64Texts(raw, range)) {
    if (into.length - filled < DECODED_PIECE) {
      yield filled;
      filled = 0;
    }
    filled += into.write(text, filled, 'base64');
  }
  if (filled) yield filled;
}

/** The base64 text of a range, white space left out, in pieces of whole quanta (the last one as it ends). */
function* base64Texts(raw: Buffer, range: TextRange): Generator<string> {
  const { start, end } = range;
  const pieces = range.file ? new FileRange(range.file, start, end - start).chunks(PIECE) : (function* () {
    for (let at = start; at < end; at += PIECE) yield raw.subarray(at, Math.min(end, at + PIECE));
  })();
  let carry = '';
  for (const piece of pieces) {
    const text = carry + piece.toString('latin1').replace(/[\s]+/g, '');
    const whole = text.length - (text.length % 4);
    if (whole) yield text.slice(0, whole);
    carry = text.slice(whole);
  }
  if (carry) yield carry;
}

/** The most bytes one piece of base64 text (with the carry of the one before) decodes to. */
export const DECODED_PIECE = ((PIECE + 4) / 4) * 3;

/** The AppDocument element of a parsed message (for the attachments stage, which reads BinaryData). */
export function appDocumentElement(p: ParsedEnvelope): XmlElement | undefined {
  const data = p.messageElement?.parent ? findSmevChild(p.messageElement.parent, 'MessageData') : undefined;
  return data ? childByLocal(data, 'AppDocument') : undefined;
}

function readFault(f: XmlElement): SoapFaultInfo {
  const faultstring = text(childByLocal(f, 'faultstring'));
  const m = faultstring ? /^(SMEV-\d+)/.exec(faultstring) : null;
  return { faultcode: text(childByLocal(f, 'faultcode')), faultstring, code: m?.[1] };
}
