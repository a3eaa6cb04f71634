import { childElements, attrValue, firstChildElement } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import type { ParsedEnvelope } from '../envelope/parse';
import { NS, revisionOf } from '../envelope/ns';
import { canonicalize, canonicalBytes, isC14nAlgorithm, C14N } from './c14n';
import { DIGESTS, SIGNATURES } from './algorithms';
import { parseCertificate, type Certificate } from './x509';
import { publicKeyOf } from './keys';

export interface ReferenceVerdict {
  uri: string;
  /** what the reference resolved to: 'Body', 'smev:Header', or a description of a wrong target */
  target?: string;
  digestAlgorithm?: string;
  ok: boolean;
  reason?: string;
}

export interface BlockVerdict {
  /** the Security block's actor ('' when it has none) */
  actor: string;
  certificate?: Certificate;
  signatureAlgorithm?: string;
  references: ReferenceVerdict[];
  signatureOk: boolean;
  ok: boolean;
  /** the first thing wrong, for people */
  reason?: string;
}

const ID_ATTRS = ['Id', 'ID', 'id'];

/**
 * Verify every wsse:Security block of the envelope: each reference's digest over the exclusive
 * c14n of its target, and the signature over SignedInfo with the key of the block's token.
 * Wrapping is refused: a reference must resolve by a unique id to this envelope's one Body or
 * its smev:Header (PROTOCOL.md §3).
 */
export function verifyEnvelopeSignatures(p: ParsedEnvelope): BlockVerdict[] {
  const root = p.doc.root;
  const header = firstChildElement(root, NS.soap, 'Header');
  if (!header) return [];
  const ctx = structure(p, header);
  const out: BlockVerdict[] = [];
  for (const block of childElements(header)) {
    if (block.namespaceUri !== NS.wsse || block.name !== 'Security') continue;
    out.push(verifyBlock(block, ctx, p));
  }
  return out;
}

interface Structure {
  body: XmlElement;
  smevHeader?: XmlElement;
  /** problems of the envelope as a whole that void every signature */
  envelopeProblem?: string;
}

function structure(p: ParsedEnvelope, header: XmlElement): Structure {
  const bodies = p.doc.find('//s:Body', { s: NS.soap });
  let smevHeader: XmlElement | undefined;
  for (const h of childElements(header)) if (h.name === 'Header' && revisionOf(h.namespaceUri)) smevHeader = h;
  return {
    body: p.body,
    smevHeader,
    envelopeProblem: bodies.length !== 1 ? `the envelope holds ${bodies.length} soap:Body elements` : undefined,
  };
}

function fail(v: BlockVerdict, reason: string): BlockVerdict {
  v.ok = false;
  v.reason ??= reason;
  return v;
}

function verifyBlock(block: XmlElement, ctx: Structure, p: ParsedEnvelope): BlockVerdict {
  const v: BlockVerdict = { actor: attrValue(block, 'actor', NS.soap) ?? attrValue(block, 'actor') ?? '', references: [], signatureOk: false, ok: false };
  const sig = firstChildElement(block, NS.ds, 'Signature');
  if (!sig) return fail(v, 'the Security block has no ds:Signature');
  const signedInfo = firstChildElement(sig, NS.ds, 'SignedInfo');
  const sigValueEl = firstChildElement(sig, NS.ds, 'SignatureValue');
  if (!signedInfo || !sigValueEl) return fail(v, 'ds:Signature lacks SignedInfo or SignatureValue');

  // the key: the block's own BinarySecurityToken, named by KeyInfo (or an inline X509Certificate)
  try {
    v.certificate = findCertificate(block, sig);
  } catch (e) {
    fail(v, `certificate: ${(e as Error).message}`);
  }

  // references
  const c14nEl = firstChildElement(signedInfo, NS.ds, 'CanonicalizationMethod');
  const methodEl = firstChildElement(signedInfo, NS.ds, 'SignatureMethod');
  v.signatureAlgorithm = methodEl && attrValue(methodEl, 'Algorithm');
  for (const ref of childElements(signedInfo)) {
    if (ref.namespaceUri !== NS.ds || ref.name !== 'Reference') continue;
    const r = verifyReference(ref, ctx, p);
    v.references.push(r);
    if (!r.ok) fail(v, `reference ${r.uri}: ${r.reason}`);
  }
  if (!v.references.length) fail(v, 'SignedInfo has no Reference');
  if (!v.references.some((r) => r.target === 'Body')) fail(v, 'the signature does not cover the soap:Body');

  // the signature value
  const c14nAlg = c14nEl && attrValue(c14nEl, 'Algorithm');
  const alg = v.signatureAlgorithm ? SIGNATURES.get(v.signatureAlgorithm) : undefined;
  if (!c14nAlg || !isC14nAlgorithm(c14nAlg)) return fail(v, `unsupported CanonicalizationMethod ${c14nAlg ?? '(none)'}`);
  if (!alg) return fail(v, `unsupported SignatureMethod ${v.signatureAlgorithm ?? '(none)'}`);
  if (!v.certificate) return v;
  try {
    const key = publicKeyOf(v.certificate);
    const data = canonicalBytes(signedInfo, { algorithm: c14nAlg, inclusivePrefixes: prefixList(c14nEl!) });
    v.signatureOk = alg.verify(key, data, Buffer.from(sigValueEl.content.replace(/\s+/g, ''), 'base64'));
  } catch (e) {
    return fail(v, `signature: ${(e as Error).message}`);
  }
  if (!v.signatureOk) return fail(v, 'the SignatureValue does not verify with the certificate’s key');
  if (ctx.envelopeProblem) return fail(v, ctx.envelopeProblem);
  if (!v.reason) v.ok = true;
  return v;
}

function findCertificate(block: XmlElement, sig: XmlElement): Certificate {
  const keyInfo = firstChildElement(sig, NS.ds, 'KeyInfo');
  const str = keyInfo && firstChildElement(keyInfo, NS.wsse, 'SecurityTokenReference');
  const ref = str && firstChildElement(str, NS.wsse, 'Reference');
  const uri = ref && attrValue(ref, 'URI');
  if (uri) {
    if (!uri.startsWith('#')) throw new Error(`token reference ${uri} is not a local #id`);
    const id = uri.slice(1);
    const tokens = [...childElements(block)].filter((t) => t.namespaceUri === NS.wsse && t.name === 'BinarySecurityToken' && attrValue(t, 'Id', NS.wsu) === id);
    if (tokens.length !== 1) throw new Error(`KeyInfo names token #${id}, which the Security block ${tokens.length ? 'holds more than once' : 'does not hold'}`);
    return parseCertificate(tokens[0].content);
  }
  const x509 = keyInfo && firstChildElement(keyInfo, NS.ds, 'X509Data');
  const certEl = x509 && firstChildElement(x509, NS.ds, 'X509Certificate');
  if (certEl) return parseCertificate(certEl.content);
  const tokens = [...childElements(block)].filter((t) => t.namespaceUri === NS.wsse && t.name === 'BinarySecurityToken');
  if (tokens.length === 1) return parseCertificate(tokens[0].content);
  throw new Error('KeyInfo names no certificate');
}

function verifyReference(ref: XmlElement, ctx: Structure, p: ParsedEnvelope): ReferenceVerdict {
  const uri = attrValue(ref, 'URI') ?? '';
  const r: ReferenceVerdict = { uri, ok: false };
  const dm = firstChildElement(ref, NS.ds, 'DigestMethod');
  const dv = firstChildElement(ref, NS.ds, 'DigestValue');
  r.digestAlgorithm = dm && attrValue(dm, 'Algorithm');
  if (!uri.startsWith('#') || uri.length < 2) return { ...r, reason: `URI "${uri}" is not a same-document #id reference` };
  const id = uri.slice(1);
  if (/['"]/.test(id)) return { ...r, reason: 'the id holds a quote' };
  const hits = p.doc.find(`//*[${[...ID_ATTRS.map((a) => `@${a}='${id}'`), `@wsu:Id='${id}'`].join(' or ')}]`, { wsu: NS.wsu }) as XmlElement[];
  if (hits.length !== 1) return { ...r, reason: hits.length ? `the id ${id} is carried by ${hits.length} elements` : `no element has the id ${id}` };
  const target = hits[0];
  if (target.isSameNode(ctx.body)) r.target = 'Body';
  else if (ctx.smevHeader && target.isSameNode(ctx.smevHeader)) r.target = 'smev:Header';
  else return { ...r, target: `{${target.namespaceUri}}${target.name}`, reason: `resolves to {${target.namespaceUri}}${target.name}, not the envelope's soap:Body or smev:Header` };

  let c14n: { algorithm: string; inclusivePrefixes?: string[] } = { algorithm: C14N.inclusive };
  const transforms = firstChildElement(ref, NS.ds, 'Transforms');
  for (const t of transforms ? childElements(transforms) : []) {
    const alg = attrValue(t, 'Algorithm') ?? '';
    if (alg === C14N.enveloped) continue; // the Signature is never inside the Body or smev:Header
    if (!isC14nAlgorithm(alg)) return { ...r, reason: `unsupported transform ${alg}` };
    c14n = { algorithm: alg, inclusivePrefixes: prefixList(t) };
  }
  const digest = r.digestAlgorithm ? DIGESTS.get(r.digestAlgorithm) : undefined;
  if (!digest) return { ...r, reason: `unsupported DigestMethod ${r.digestAlgorithm ?? '(none)'}` };
  if (!dv) return { ...r, reason: 'no DigestValue' };
  const chunks: Uint8Array[] = [];
  canonicalize(target, c14n, (c) => chunks.push(Buffer.from(c)));
  const actual = digest.digest(Buffer.concat(chunks));
  const expected = Buffer.from(dv.content.replace(/\s+/g, ''), 'base64');
  if (!actual.equals(expected)) return { ...r, reason: `the DigestValue does not match the ${r.target} (it was altered after signing)` };
  return { ...r, ok: true };
}

function prefixList(el: XmlElement): string[] | undefined {
  for (const c of childElements(el)) {
    if (c.name === 'InclusiveNamespaces') {
      const list = attrValue(c, 'PrefixList');
      return list ? list.trim().split(/\s+/).map((x) => (x === '#default' ? '' : x)) : undefined;
    }
  }
  return undefined;
}
