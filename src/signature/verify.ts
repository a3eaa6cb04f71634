import { createHash } from 'node:crypto';
import { childElements, attrValue, firstChildElement } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import type { ParsedEnvelope } from '../envelope/parse';
import { NS, revisionOf } from '../envelope/ns';
import { canonicalBytes, isC14nAlgorithm, C14N } from './c14n';
import { DIGESTS, SIGNATURES, DEFAULT_SUITES, suiteFor, type SignatureAlgorithm, type SuiteName } from './algorithms';
import { parseCertificate, type Certificate } from './x509';
import { publicKeyOf, type PublicKey } from './keys';
import { CryptoThreadError } from '../crypto/gost/pool';
import { decodeStrictBase64, Base64Error } from './base64';
import { referenceOctets, prefixList, UnsupportedTransformError } from './transforms';

export interface ReferenceVerdict {
  uri: string;
  /** what the reference resolved to: 'Body', 'smev:Header', or a description of a wrong target */
  target?: string;
  digestAlgorithm?: string;
  ok: boolean;
  reason?: string;
}

export interface BlockVerdict {
  /** the Security block's SOAP actor ('' when it has none: see soapActor) */
  actor: string;
  certificate?: Certificate;
  signatureAlgorithm?: string;
  /** the allowed suite the block's algorithms form (algorithms.ts SUITES) */
  suite?: SuiteName;
  references: ReferenceVerdict[];
  signatureOk: boolean;
  ok: boolean;
  /** the first thing wrong, for people */
  reason?: string;
  /**
   * The block uses an algorithm or transform this service does not accept (or this verifier does
   * not know): the catalogue answers GW-3003 rather than "invalid signature".
   */
  unsupported?: string;
  /**
   * SHA-256 of the canonical SignedInfo and the decoded signature value, once the signature
   * verified: what the signature covers and the signature itself, whatever bytes around them were
   * rewritten (the replay guard's key). The decoded value is canonical: GOST R 34.10 signatures are
   * not malleable (s and r are range-checked, s enters one term only) and RSA PKCS#1 v1.5 is
   * deterministic; so the same content signed again by its sender (GOST signs with a fresh k) is
   * a new message, a captured one edited is not.
   */
  signedInfoDigest?: string;
}

export interface VerifyOptions {
  /** the signature/digest pairs the service accepts (default: DEFAULT_SUITES) */
  algorithms?: readonly SuiteName[];
  /**
   * Digest URIs the node will sign the Body with: when a reference's octets are the Body's
   * exclusive canonical form, they are hashed with these too, as they are written, and left in
   * `p.bodyDigests` with the reference's own digest, so the node's signature does not
   * canonicalize a large Body a second time.
   */
  alsoDigest?: readonly string[];
}

const ID_ATTRS = ['Id', 'ID', 'id'];

/**
 * The SOAP 1.1 actor of a header block: only the attribute in the envelope's namespace counts
 * (SOAP 1.1 §4.2.2). An unqualified `actor`, or one in another namespace, is an ordinary
 * attribute: the block then targets the ultimate recipient and is nobody's `smev` block. Every
 * real sender in the corpus qualifies it (S:, soap:, soapenv:, ENV:).
 */
export function soapActor(block: XmlElement): string {
  return attrValue(block, 'actor', NS.soap) ?? '';
}

/**
 * Verify every wsse:Security block of the envelope: each reference's digest over the octets its
 * transforms give (transforms.ts), and the signature over SignedInfo with the key of the block's
 * token. Wrapping is refused: a reference must resolve by a unique id to this envelope's one Body
 * or its smev:Header (PROTOCOL.md §3). Values must be strict base64; the algorithms a pair the
 * service accepts.
 */
export function verifyEnvelopeSignatures(p: ParsedEnvelope, options: VerifyOptions = {}): BlockVerdict[] {
  return prepareBlocks(p, options).map((b) => {
    if (!isPending(b)) return b;
    let ok: boolean;
    try {
      ok = b.alg.verify(b.key, b.data, b.signature);
    } catch (e) {
      return fail(b.v, `signature: ${(e as Error).message}`);
    }
    return settle(b, ok);
  });
}

/**
 * verifyEnvelopeSignatures with each signature value checked off the JS thread where the
 * algorithm can (GOST on the pool of algorithms.ts useGostPool): the same verdicts. Everything
 * that reads the document (references, digests of Body and header, c14n of SignedInfo) is done
 * before the first await, so the document may be disposed once this returns. Rejects with
 * CryptoThreadError when the pool could not check a signature: the message was not judged.
 */
export async function verifyEnvelopeSignaturesAsync(p: ParsedEnvelope, options: VerifyOptions = {}): Promise<BlockVerdict[]> {
  return Promise.all(prepareBlocks(p, options).map(async (b) => {
    if (!isPending(b)) return b;
    let ok: boolean;
    try {
      ok = b.alg.verifyAsync ? await b.alg.verifyAsync(b.key, b.data, b.signature) : b.alg.verify(b.key, b.data, b.signature);
    } catch (e) {
      if (e instanceof CryptoThreadError) throw e;
      return fail(b.v, `signature: ${(e as Error).message}`);
    }
    return settle(b, ok);
  }));
}

/** Every block judged up to its signature value, or judged already (a verdict). */
function prepareBlocks(p: ParsedEnvelope, options: VerifyOptions): (BlockVerdict | PendingSignature)[] {
  const root = p.doc.root;
  const header = firstChildElement(root, NS.soap, 'Header');
  if (!header) return [];
  const ctx = structure(p, header);
  const out: (BlockVerdict | PendingSignature)[] = [];
  for (const block of childElements(header)) {
    if (block.namespaceUri !== NS.wsse || block.name !== 'Security') continue;
    out.push(verifyBlock(block, ctx, p, options.algorithms ?? DEFAULT_SUITES, options.alsoDigest ?? []));
  }
  return out;
}

/** A block whose references verified (or failed) and whose signature value is left to check over `data`. */
interface PendingSignature {
  pending: true;
  v: BlockVerdict;
  alg: SignatureAlgorithm;
  key: PublicKey;
  /** the canonical SignedInfo */
  data: Buffer;
  signature: Buffer;
  envelopeProblem?: string;
}

function isPending(b: BlockVerdict | PendingSignature): b is PendingSignature {
  return 'pending' in b;
}

/** The block's verdict once its signature value is checked. */
function settle(b: PendingSignature, ok: boolean): BlockVerdict {
  const v = b.v;
  v.signatureOk = ok;
  if (!ok) return fail(v, 'the SignatureValue does not verify with the certificate’s key');
  v.signedInfoDigest = createHash('sha256').update(b.data).update(b.signature).digest('hex');
  if (b.envelopeProblem) return fail(v, b.envelopeProblem);
  if (!v.reason) v.ok = true;
  return v;
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

function unsupported(v: BlockVerdict, what: string): BlockVerdict {
  v.unsupported ??= what;
  return fail(v, what);
}

/** The text of a value element: text only (no child elements), strictly base64. */
function valueOf(el: XmlElement, what: string): Buffer {
  if (firstChildElement(el)) throw new Base64Error(`${what} holds an element; it must hold base64 text only`);
  return decodeStrictBase64(el.content, what);
}

function verifyBlock(block: XmlElement, ctx: Structure, p: ParsedEnvelope, allowed: readonly SuiteName[], alsoDigest: readonly string[]): BlockVerdict | PendingSignature {
  const v: BlockVerdict = { actor: soapActor(block), references: [], signatureOk: false, ok: false };
  const sigs = [...childElements(block)].filter((c) => c.namespaceUri === NS.ds && c.name === 'Signature');
  if (sigs.length !== 1) return fail(v, sigs.length ? `the Security block holds ${sigs.length} ds:Signature elements` : 'the Security block has no ds:Signature');
  const sig = sigs[0]!;
  const signedInfo = firstChildElement(sig, NS.ds, 'SignedInfo');
  const sigValueEl = firstChildElement(sig, NS.ds, 'SignatureValue');
  if (!signedInfo || !sigValueEl) return fail(v, 'ds:Signature lacks SignedInfo or SignatureValue');

  // the key: the block's own BinarySecurityToken, named by KeyInfo (or an inline X509Certificate)
  try {
    v.certificate = findCertificate(block, sig);
  } catch (e) {
    fail(v, `certificate: ${(e as Error).message}`);
  }

  // algorithms: a pair the service accepts, before any digest is computed
  const c14nEl = firstChildElement(signedInfo, NS.ds, 'CanonicalizationMethod');
  const methodEl = firstChildElement(signedInfo, NS.ds, 'SignatureMethod');
  v.signatureAlgorithm = methodEl && attrValue(methodEl, 'Algorithm');
  const refs = [...childElements(signedInfo)].filter((r) => r.namespaceUri === NS.ds && r.name === 'Reference');
  const c14nAlg = c14nEl && attrValue(c14nEl, 'Algorithm');
  if (!c14nAlg || !isC14nAlgorithm(c14nAlg)) return unsupported(v, `unsupported CanonicalizationMethod ${c14nAlg ?? '(none)'}`);
  const alg = v.signatureAlgorithm ? SIGNATURES.get(v.signatureAlgorithm) : undefined;
  if (!alg) return unsupported(v, `unsupported SignatureMethod ${v.signatureAlgorithm ?? '(none)'}`);
  const digestUris = refs.map((r) => { const dm = firstChildElement(r, NS.ds, 'DigestMethod'); return (dm && attrValue(dm, 'Algorithm')) ?? ''; });
  const unknownDigest = digestUris.find((d) => !DIGESTS.has(d));
  if (unknownDigest !== undefined) return unsupported(v, `unsupported DigestMethod ${unknownDigest || '(none)'}`);
  v.suite = suiteFor(v.signatureAlgorithm!, digestUris, allowed);
  if (!v.suite) {
    const digests = [...new Set(digestUris.map((d) => DIGESTS.get(d)!.name))].join(', ');
    return unsupported(v, `${alg.name} over ${digests || 'no digest'} is not an accepted pair (accepted: ${allowed.join(', ')})`);
  }

  // references
  for (const ref of refs) {
    const r = verifyReference(ref, ctx, p, sig, alsoDigest);
    v.references.push(r);
    if (!r.ok) {
      if (r.reason?.startsWith('unsupported transform')) unsupported(v, `reference ${r.uri}: ${r.reason}`);
      else fail(v, `reference ${r.uri}: ${r.reason}`);
    }
  }
  if (!v.references.length) fail(v, 'SignedInfo has no Reference');
  if (!v.references.some((r) => r.target === 'Body')) fail(v, 'the signature does not cover the soap:Body');

  // the signature value
  let signature: Buffer;
  try {
    signature = valueOf(sigValueEl, 'SignatureValue');
  } catch (e) {
    return fail(v, (e as Error).message);
  }
  if (!v.certificate) return v;
  try {
    const key = publicKeyOf(v.certificate);
    const data = canonicalBytes(signedInfo, { algorithm: c14nAlg, inclusivePrefixes: prefixList(c14nEl!) });
    return { pending: true, v, alg, key, data, signature, envelopeProblem: ctx.envelopeProblem };
  } catch (e) {
    return fail(v, `signature: ${(e as Error).message}`);
  }
}

function findCertificate(block: XmlElement, sig: XmlElement): Certificate {
  const keyInfo = firstChildElement(sig, NS.ds, 'KeyInfo');
  const str = keyInfo && firstChildElement(keyInfo, NS.wsse, 'SecurityTokenReference');
  const ref = str && firstChildElement(str, NS.wsse, 'Reference');
  const uri = ref && attrValue(ref, 'URI');
  const tokens = [...childElements(block)].filter((t) => t.namespaceUri === NS.wsse && t.name === 'BinarySecurityToken');
  if (uri) {
    if (!uri.startsWith('#')) throw new Error(`token reference ${uri} is not a local #id`);
    const id = uri.slice(1);
    const named = tokens.filter((t) => attrValue(t, 'Id', NS.wsu) === id);
    if (named.length !== 1) throw new Error(`KeyInfo names token #${id}, which the Security block ${named.length ? 'holds more than once' : 'does not hold'}`);
    return parseCertificate(valueOf(named[0]!, 'BinarySecurityToken'));
  }
  const x509 = keyInfo && firstChildElement(keyInfo, NS.ds, 'X509Data');
  const certEl = x509 && firstChildElement(x509, NS.ds, 'X509Certificate');
  if (certEl) return parseCertificate(valueOf(certEl, 'X509Certificate'));
  if (tokens.length === 1) return parseCertificate(valueOf(tokens[0]!, 'BinarySecurityToken'));
  throw new Error('KeyInfo names no certificate');
}

function verifyReference(ref: XmlElement, ctx: Structure, p: ParsedEnvelope, signature: XmlElement, alsoDigest: readonly string[]): ReferenceVerdict {
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
  const target = hits[0]!;
  if (target.isSameNode(ctx.body)) r.target = 'Body';
  else if (ctx.smevHeader && target.isSameNode(ctx.smevHeader)) r.target = 'smev:Header';
  else return { ...r, target: `{${target.namespaceUri}}${target.name}`, reason: `resolves to {${target.namespaceUri}}${target.name}, not the envelope's soap:Body or smev:Header` };

  const digest = r.digestAlgorithm ? DIGESTS.get(r.digestAlgorithm) : undefined;
  if (!digest) return { ...r, reason: `unsupported DigestMethod ${r.digestAlgorithm ?? '(none)'}` };
  if (!dv) return { ...r, reason: 'no DigestValue' };
  let expected: Buffer;
  try {
    expected = valueOf(dv, 'DigestValue');
  } catch (e) {
    return { ...r, reason: (e as Error).message };
  }
  // the octets hashed as they are written: a large Body's canonical form is never held whole
  const transforms = firstChildElement(ref, NS.ds, 'Transforms');
  const hashers = [{ alg: digest, h: digest.hasher() }];
  // the Body's exclusive canonical form is what the node's signature digests too: hashed once for both
  const shared = r.target === 'Body' && isExclusiveC14nOnly(transforms);
  if (shared) {
    for (const uri of alsoDigest) {
      const alg = DIGESTS.get(uri);
      if (alg && !hashers.some((x) => x.alg.name === alg.name)) hashers.push({ alg, h: alg.hasher() });
    }
  }
  try {
    referenceOctets(target, transforms, signature, (c) => { for (const x of hashers) x.h.update(c); });
  } catch (e) {
    if (e instanceof UnsupportedTransformError) return { ...r, reason: e.message };
    throw e;
  }
  const [actual, ...others] = hashers.map((x) => Buffer.from(x.h.digest()));
  if (shared) {
    const memo = (p.bodyDigests ??= new Map());
    hashers.forEach((x, i) => memo.set(x.alg.name, i === 0 ? actual! : others[i - 1]!));
  }
  if (!actual!.equals(expected)) return { ...r, reason: `the DigestValue does not match the ${r.target} (it was altered after signing)` };
  return { ...r, ok: true };
}

/**
 * Do these transforms give the element's exclusive canonical form as the node's signature takes
 * it: one exclusive c14n step, no InclusiveNamespaces prefix list (#WithComments is the same octets
 * for a same-document reference, whose comments are dropped).
 */
function isExclusiveC14nOnly(transforms: XmlElement | undefined): boolean {
  const list = transforms ? [...childElements(transforms)] : [];
  if (list.length !== 1) return false;
  const t = list[0]!;
  const alg = attrValue(t, 'Algorithm');
  return t.namespaceUri === NS.ds && t.name === 'Transform' && (alg === C14N.exclusive || alg === C14N.exclusiveWithComments) && !prefixList(t)?.length;
}
