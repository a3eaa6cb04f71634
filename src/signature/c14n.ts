import { xml, type XmlDocument, type XmlElement } from '../xml/libxml';
import { elisionOf } from '../xml/elide';

export const C14N = {
  exclusive: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  exclusiveWithComments: 'http://www.w3.org/2001/10/xml-exc-c14n#WithComments',
  inclusive: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315',
  inclusiveWithComments: 'http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments',
  enveloped: 'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
} as const;

export interface C14nSpec {
  algorithm: string;
  inclusivePrefixes?: string[];
}

/** Collects canonical bytes; hashing callers pass their own sink. */
export type Sink = (chunk: Uint8Array) => void;

export function isC14nAlgorithm(uri: string): boolean {
  return uri === C14N.exclusive || uri === C14N.exclusiveWithComments || uri === C14N.inclusive || uri === C14N.inclusiveWithComments;
}

/**
 * Canonicalize an element (a signed Body, smev:Header or SignedInfo) in its document's context.
 * The enveloped-signature transform needs nothing here: a SMEV Signature sits in a Security
 * header, never inside the Body or smev:Header it signs (the verifier refuses one that does).
 */
export function canonicalize(el: XmlElement, spec: C14nSpec, sink: Sink): void {
  const { XmlC14NMode } = xml();
  const exclusive = spec.algorithm === C14N.exclusive || spec.algorithm === C14N.exclusiveWithComments;
  const withComments = spec.algorithm.endsWith('#WithComments');
  const mode = exclusive ? XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 : XmlC14NMode.XML_C14N_1_0;
  const inclusiveNamespacePrefixes = exclusive && spec.inclusivePrefixes?.length ? spec.inclusivePrefixes : undefined;
  // The document's nodeSet mode selects the same nodes as el.canonicalize() (the element and what
  // lies below it) by comparing pointers, where el.canonicalize() builds two JS node objects for
  // every node of the whole document: 2-3x slower (bench/README.md, "where the time goes").
  withOriginalText(el.doc, sink, (handler) => el.doc.canonicalize(handler, { mode, withComments, inclusiveNamespacePrefixes, nodeSet: new Set([el]) }));
}

/**
 * Run a canonicalization of `doc` into `sink`, with the text kept out of its DOM (xml/elide.ts)
 * written back where its placeholders are: the bytes the whole document would give.
 */
export function withOriginalText(doc: XmlDocument, sink: Sink, run: (handler: { write(b: Uint8Array): number; close(): boolean }) => void): void {
  const elision = elisionOf(doc);
  if (!elision) {
    run({ write: (b: Uint8Array) => { sink(b); return b.length; }, close: () => true });
    return;
  }
  const out = elision.restoring(sink);
  run({ write: (b: Uint8Array) => { out.write(b); return b.length; }, close: () => true });
  out.end();
}

export function canonicalBytes(el: XmlElement, spec: C14nSpec): Buffer {
  const chunks: Buffer[] = [];
  canonicalize(el, spec, (c) => chunks.push(Buffer.from(c)));
  return Buffer.concat(chunks);
}

/**
 * The digest of an element's canonical form, hashed as libxml2 writes it: a large Body's
 * canonical bytes are never held whole (they were, once as chunks and once concatenated).
 */
export function canonicalDigest(el: XmlElement, spec: C14nSpec, digest: { hasher(): { update(d: Uint8Array): unknown; digest(): Uint8Array } }): Buffer {
  const h = digest.hasher();
  canonicalize(el, spec, (c) => h.update(c));
  return Buffer.from(h.digest());
}
