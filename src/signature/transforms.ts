import { childElements, attrValue, parseUntrusted } from '../xml/dom';
import { xml, type XmlElement, type XmlNode } from '../xml/libxml';
import { NS } from '../envelope/ns';
import { C14N, canonicalize, isC14nAlgorithm, withOriginalText, type Sink } from './c14n';

/** A Reference names a transform this verifier does not apply: the signature is refused, naming it. */
export class UnsupportedTransformError extends Error {
  constructor(readonly uri: string) {
    super(`unsupported transform ${uri || '(no Algorithm)'}`);
  }
}

/** What flows between transforms (XMLDSig 1.0 §4.3.3.2): a node-set or octets. */
type Data =
  | { kind: 'nodes'; root: XmlElement; comments: boolean; without?: XmlElement }
  | { kind: 'octets'; bytes: Buffer };

/**
 * The octets a same-document Reference (`URI="#id"`) digests, as XMLDSig 1.0 defines them: the
 * bare-name pointer selects the element's subtree *without comments* (§4.3.3.3), so a
 * `#WithComments` c14n over it still drops them; the Transforms apply in document order, octets
 * between two node-set transforms being parsed again (§4.3.3.2); the enveloped-signature
 * transform removes the Signature that holds the Reference when it lies inside the target; a
 * node-set left at the end becomes octets by inclusive c14n 1.0. Anything else (XPath, XSLT,
 * base64, c14n 1.1, ...) is refused by name: applying half of a chain would sign other bytes than
 * the signer saw.
 */
export function referenceOctets(target: XmlElement, transforms: XmlElement | undefined, signature: XmlElement, sink: Sink): void {
  let data: Data = { kind: 'nodes', root: target, comments: false };
  const temporary: { dispose(): void }[] = [];
  try {
    const list = transforms ? [...childElements(transforms)] : [];
    for (const [i, t] of list.entries()) {
      if (t.namespaceUri !== NS.ds || t.name !== 'Transform') throw new UnsupportedTransformError(`{${t.namespaceUri}}${t.name}`);
      const alg = attrValue(t, 'Algorithm') ?? '';
      if (alg === C14N.enveloped) {
        data = asNodes(data, temporary);
        if (data.root.isSameNode(signature) || isInside(signature, data.root)) data = { ...data, without: signature };
      } else if (isC14nAlgorithm(alg)) {
        const nodes = asNodes(data, temporary);
        if (i === list.length - 1) {
          // the last step: straight into the digest, no copy of a large Body
          write(nodes, { algorithm: alg, inclusivePrefixes: prefixList(t) }, sink);
          return;
        }
        const chunks: Buffer[] = [];
        write(nodes, { algorithm: alg, inclusivePrefixes: prefixList(t) }, (c) => chunks.push(Buffer.from(c)));
        data = { kind: 'octets', bytes: Buffer.concat(chunks) };
      } else {
        throw new UnsupportedTransformError(alg);
      }
    }
    if (data.kind === 'octets') sink(data.bytes);
    else write(data, { algorithm: C14N.inclusive }, sink);
  } finally {
    for (const d of temporary) d.dispose();
  }
}

const WITHOUT_COMMENTS: Record<string, string> = {
  [C14N.exclusiveWithComments]: C14N.exclusive,
  [C14N.inclusiveWithComments]: C14N.inclusive,
};

function asNodes(data: Data, temporary: { dispose(): void }[]): Extract<Data, { kind: 'nodes' }> {
  if (data.kind === 'nodes') return data;
  // octets become a node-set again by parsing them (with their comments: they are data now)
  const doc = parseUntrusted(data.bytes, 'transform');
  temporary.push(doc);
  return { kind: 'nodes', root: doc.root, comments: true };
}

function write(data: Extract<Data, { kind: 'nodes' }>, spec: { algorithm: string; inclusivePrefixes?: string[] }, sink: Sink): void {
  const algorithm = data.comments ? spec.algorithm : WITHOUT_COMMENTS[spec.algorithm] ?? spec.algorithm;
  if (!data.without) {
    canonicalize(data.root, { ...spec, algorithm }, sink);
    return;
  }
  // the enveloped Signature lies inside the target: every node of the subtree but that one's
  const { XmlC14NMode } = xml();
  const exclusive = algorithm.startsWith(C14N.exclusive);
  const root = data.root;
  const without = data.without;
  const inSubtree = (n: XmlNode, parent: XmlNode | null, top: XmlElement): boolean => {
    if (n.isSameNode(top)) return true;
    for (let p = parent; p; p = p.parent) if (p.isSameNode(top)) return true;
    return false;
  };
  withOriginalText(root.doc, sink, (handler) => root.doc.canonicalize(
    handler,
    {
      mode: exclusive ? XmlC14NMode.XML_C14N_EXCLUSIVE_1_0 : XmlC14NMode.XML_C14N_1_0,
      withComments: algorithm.endsWith('#WithComments'),
      inclusiveNamespacePrefixes: exclusive && spec.inclusivePrefixes?.length ? spec.inclusivePrefixes : undefined,
      isVisible: (n, parent) => inSubtree(n, parent, root) && !inSubtree(n, parent, without),
    },
  ));
}

function isInside(node: XmlElement, ancestor: XmlElement): boolean {
  for (let p = node.parent; p; p = p.parent) if (p.isSameNode(ancestor)) return true;
  return false;
}

export function prefixList(el: XmlElement): string[] | undefined {
  for (const c of childElements(el)) {
    if (c.name === 'InclusiveNamespaces') {
      const list = attrValue(c, 'PrefixList');
      return list ? list.trim().split(/\s+/).map((x) => (x === '#default' ? '' : x)) : undefined;
    }
  }
  return undefined;
}
