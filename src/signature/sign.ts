import { randomUUID } from 'node:crypto';
import { NotSoapError, type ParsedEnvelope } from '../envelope/parse';
import { headerBlockSlices, withBodyId, escapeXml } from '../envelope/build';
import type { Slices } from '../slices';
import { scanEnvelope } from '../envelope/scan';
import { NS, ACTOR, revisionOf } from '../envelope/ns';
import { attrValue, childElements, firstChildElement, parseUntrusted } from '../xml/dom';
import type { XmlDocument, XmlElement } from '../xml/libxml';
import { carrySpooled, parseWithoutLargeText } from '../xml/elide';
import { canonicalDigest, C14N } from './c14n';
import { DIGESTS, SIGNATURES, type SignatureAlgorithm } from './algorithms';
import type { PrivateKey } from './keys';

export interface Signer {
  key: PrivateKey;
  /** DER of the signer's certificate */
  certificate: Buffer;
  signatureUri: string;
  digestUri?: string;
}

const TOKEN_ENCODING = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';
const TOKEN_TYPE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3';

/**
 * Add a wsse:Security block for `actor` signing the Body (and, for the node, the smev:Header)
 * with exclusive c14n. Every other byte stays as it is; an existing block of the same actor is
 * replaced. A Body without an id (an unsigned message) is given a wsu:Id first.
 */
export function signEnvelope(input: Buffer, actor: string, signer: Signer, opts: { header: boolean }): Buffer {
  const p = prepareSignature(input, actor, signer, opts);
  return p.finish(p.alg.sign(signer.key, p.signedInfo)).join();
}

/**
 * signEnvelope, with the private-key operation off the JS thread where the algorithm can do that
 * (RSA: node's crypto.sign with a callback, on the libuv pool). The same bytes as signEnvelope.
 * The parse, c14n and digests stay on the calling thread.
 */
export async function signEnvelopeAsync(input: Buffer, actor: string, signer: Signer, opts: { header: boolean }): Promise<Buffer> {
  const p = prepareSignature(input, actor, signer, opts);
  return p.finish(p.alg.signAsync ? await p.alg.signAsync(signer.key, p.signedInfo) : p.alg.sign(signer.key, p.signedInfo)).join();
}

/** The digest URI a signer's signature uses for its references. */
export function signerDigestUri(signer: Signer): string | undefined {
  return signer.digestUri ?? SIGNATURES.get(signer.signatureUri)?.digestUri;
}

interface Prepared {
  alg: SignatureAlgorithm;
  /** the SignedInfo to sign, in canonical form */
  signedInfo: Buffer;
  /** the envelope with the Security block that carries this signature value: views of the input and the new blocks */
  finish(signatureValue: Buffer): Slices;
}

function prepareSignature(input: Buffer, actor: string, signer: Signer, opts: { header: boolean }): Prepared {
  const alg = SIGNATURES.get(signer.signatureUri);
  if (!alg) throw new Error(`unsupported signature algorithm ${signer.signatureUri}`);
  const digestUri = signer.digestUri ?? alg.digestUri;
  const digest = DIGESTS.get(digestUri);
  if (!digest) throw new Error(`unsupported digest algorithm ${digestUri}`);

  let raw = input;
  let p = parseForSigning(raw);
  const id = attrValue(p.body, 'Id', NS.wsu) ?? attrValue(p.body, 'Id');
  if (!id) {
    // an unsigned message: give its Body an id to sign by (nothing signed it before)
    p.doc.dispose();
    raw = carrySpooled(raw, withBodyId(raw, undefined).bytes);
    p = parseForSigning(raw);
  }
  let replaceIndexes: Set<number>;
  const refs: { id: string; value: string }[] = [];
  try {
    const header = firstChildElement(p.doc.root, NS.soap, 'Header');
    const blocks = header ? [...childElements(header)] : [];
    replaceIndexes = new Set(blocks.flatMap((b, i) =>
      b.namespaceUri === NS.wsse && b.name === 'Security' && (attrValue(b, 'actor', NS.soap) ?? '') === actor ? [i] : []));
    const bodyId = attrValue(p.body, 'Id', NS.wsu) ?? attrValue(p.body, 'Id');
    if (!bodyId) throw new Error('the soap:Body has no wsu:Id to sign by');
    const spec = { algorithm: C14N.exclusive };
    if (opts.header) {
      const smevHeader = blocks.find((b) => b.name === 'Header' && revisionOf(b.namespaceUri));
      const headerId = smevHeader && attrValue(smevHeader, 'Id', NS.wsu);
      if (!smevHeader || !headerId) throw new Error('no smev:Header with a wsu:Id to sign');
      refs.push({ id: headerId, value: canonicalDigest(smevHeader, spec, digest).toString('base64') });
    }
    refs.push({ id: bodyId, value: canonicalDigest(p.body, spec, digest).toString('base64') });
  } finally {
    p.doc.dispose();
  }

  return assemble(raw, actor, signer, alg, digestUri, refs, (i) => replaceIndexes.has(i));
}

/** SignedInfo over `refs`, and how to put the finished block into `raw` (replacing `replace`d header blocks). */
function assemble(raw: Buffer, actor: string, signer: Signer, alg: SignatureAlgorithm, digestUri: string, refs: { id: string; value: string }[], replace: (i: number) => boolean, last?: string): Prepared {
  const signedInfo =
    `<ds:SignedInfo xmlns:ds="${NS.ds}">` +
    `<ds:CanonicalizationMethod Algorithm="${C14N.exclusive}"></ds:CanonicalizationMethod>` +
    `<ds:SignatureMethod Algorithm="${escapeXml(signer.signatureUri)}"></ds:SignatureMethod>` +
    refs.map((r) =>
      `<ds:Reference URI="#${escapeXml(r.id)}"><ds:Transforms><ds:Transform Algorithm="${C14N.exclusive}"></ds:Transform></ds:Transforms>` +
      `<ds:DigestMethod Algorithm="${escapeXml(digestUri)}"></ds:DigestMethod><ds:DigestValue>${r.value}</ds:DigestValue></ds:Reference>`).join('') +
    `</ds:SignedInfo>`;
  // Written in canonical form: exclusive c14n of it in the final document gives these very bytes
  // (it uses only the ds prefix, which it declares itself).
  const finish = (value: Buffer): Slices => {
    const signatureValue = value.toString('base64');
    const tokenId = `${actor === ACTOR.recipient ? 'NodeCertificate' : 'SenderCertificate'}-${randomUUID()}`;
    const block =
      `<wsse:Security xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}" xmlns:soapenv="${NS.soap}" soapenv:actor="${escapeXml(actor)}">` +
      `<wsse:BinarySecurityToken EncodingType="${TOKEN_ENCODING}" ValueType="${TOKEN_TYPE}" wsu:Id="${tokenId}">${signer.certificate.toString('base64')}</wsse:BinarySecurityToken>` +
      `<ds:Signature xmlns:ds="${NS.ds}">${signedInfo.replace(` xmlns:ds="${NS.ds}"`, '')}` +
      `<ds:SignatureValue>${signatureValue}</ds:SignatureValue>` +
      `<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI="#${tokenId}" ValueType="${TOKEN_TYPE}"/></wsse:SecurityTokenReference></ds:KeyInfo>` +
      `</ds:Signature></wsse:Security>`;
    return headerBlockSlices(raw, { first: block, last }, replace);
  };
  return { alg, signedInfo: Buffer.from(signedInfo, 'utf8'), finish };
}

/**
 * The node's marks on `original` in one splice, without parsing it again: its smev:Header
 * (`headerXml`, in place of the header blocks `oldHeader` picks) and its signature (actor
 * recipient, over that header and the Body, in place of any recipient block). The Body's digest
 * is taken from `body`, the element of the document already parsed from `original` (its subtree
 * and the namespaces in scope are unchanged by header blocks), the header's from `headerXml` alone
 * (exclusive c14n renders only the namespaces it declares itself). For a large document that
 * saves a parse (a second DOM) and every copy of the message: what comes back is views of
 * `original` with the node's blocks between them. Undefined when the Body has no id:
 * then signEnvelope's path applies.
 */
export async function signAsNodeParsed(original: Buffer, oldHeader: (i: number) => boolean, headerXml: string, parsed: Pick<ParsedEnvelope, 'body' | 'bodyDigests'>, signer: Signer): Promise<Slices | undefined> {
  const { body } = parsed;
  const bodyId = attrValue(body, 'Id', NS.wsu) ?? attrValue(body, 'Id');
  const headerId = /\bwsu:Id="([^"]+)"/.exec(headerXml)?.[1];
  if (!bodyId || !headerId) return undefined;
  const alg = SIGNATURES.get(signer.signatureUri);
  if (!alg) throw new Error(`unsupported signature algorithm ${signer.signatureUri}`);
  const digestUri = signer.digestUri ?? alg.digestUri;
  const digest = DIGESTS.get(digestUri);
  if (!digest) throw new Error(`unsupported digest algorithm ${digestUri}`);
  const spec = { algorithm: C14N.exclusive };
  const header = parseUntrusted(Buffer.from(headerXml, 'utf8'));
  let headerDigest: string;
  try {
    headerDigest = canonicalDigest(header.root, spec, digest).toString('base64');
  } finally {
    header.dispose();
  }
  // the Body's digest as the verify stage computed it when it checked the sender's signature
  const bodyDigest = parsed.bodyDigests?.get(digest.name) ?? canonicalDigest(body, spec, digest);
  const refs = [{ id: headerId, value: headerDigest }, { id: bodyId, value: bodyDigest.toString('base64') }];
  const recipient = recipientBlocks(original);
  const p = assemble(original, ACTOR.recipient, signer, alg, digestUri, refs, (i) => recipient(i) || oldHeader(i), headerXml);
  return p.finish(p.alg.signAsync ? await p.alg.signAsync(signer.key, p.signedInfo) : p.alg.sign(signer.key, p.signedInfo));
}

/**
 * Which header blocks of `raw` are wsse:Security blocks of actor recipient (the node's, to be
 * replaced), read from the start tags: the actor attribute's prefix must map to the SOAP 1.1
 * namespace on the block, the Header or the Envelope.
 */
function recipientBlocks(raw: Buffer): (i: number) => boolean {
  const layout = scanEnvelope(raw);
  const tag = (s: { start: number; startTagEnd: number }) => raw.toString('utf8', s.start, s.startTagEnd);
  const declared = (t: string) => new Map([...t.matchAll(/\bxmlns:([\w.-]+)\s*=\s*(["'])(.*?)\2/g)].map((m) => [m[1]!, m[3]!] as const));
  const outer = new Map([...declared(tag(layout.envelope)), ...(layout.header ? declared(tag(layout.header)) : [])]);
  const hits = new Set<number>();
  layout.headerChildren.forEach((c, i) => {
    if (c.qname.slice(c.qname.indexOf(':') + 1) !== 'Security') return;
    const t = tag(c);
    const own = declared(t);
    for (const m of t.matchAll(/\s([\w.-]+):actor\s*=\s*(["'])(.*?)\2/g)) {
      if ((own.get(m[1]!) ?? outer.get(m[1]!)) === NS.soap && m[3] === ACTOR.recipient) hits.add(i);
    }
  });
  return (i) => hits.has(i);
}

/**
 * The document and its Body, without parseEnvelope's typed view of the message: signing needs
 * neither, and reading it through libxml2-wasm's node objects cost about a fifth of a signature.
 */
function parseForSigning(raw: Buffer): { doc: XmlDocument; body: XmlElement } {
  const doc = parseWithoutLargeText(raw);
  const root = doc.root;
  const body = root.namespaceUri === NS.soap && root.name === 'Envelope' ? firstChildElement(root, NS.soap, 'Body') : undefined;
  if (!body) {
    doc.dispose();
    throw new NotSoapError(root.namespaceUri === NS.soap && root.name === 'Envelope' ? 'the SOAP Envelope has no Body' : `the document element is {${root.namespaceUri}}${root.name}, not a SOAP 1.1 Envelope`);
  }
  return { doc, body };
}
