import { parseEnvelope, type ParsedEnvelope } from '../envelope/parse';
import { childElements, childByLocal, attrValue } from '../xml/dom';
import { xml, type XmlElement } from '../xml/libxml';
import { NS, revisionOf } from '../envelope/ns';

/**
 * A SOAP envelope read into plain objects for comparison: element namespace URIs and local names
 * (never prefixes), attributes without namespace declarations, trimmed text. The libxml2
 * document is disposed as soon as the tree is built.
 */
export interface XNode {
  ns: string;
  local: string;
  attrs: XAttr[];
  /** the element's own text (text and CDATA children), trimmed; '' when none */
  text: string;
  children: XNode[];
  /** set on the anchors volatile paths start from: Envelope, Header, Body, Message, MessageData, AppData, AppDocument */
  root?: RootName;
}

export interface XAttr {
  ns: string;
  local: string;
  value: string;
}

export const ROOT_NAMES = ['Envelope', 'Header', 'Body', 'Message', 'MessageData', 'AppData', 'AppDocument'] as const;
export type RootName = (typeof ROOT_NAMES)[number];

export interface EnvelopeTree {
  root: XNode;
  /** smev:Message/Status */
  status?: string;
  requestIdRef?: string;
  originRequestIdRef?: string;
  fault?: { faultcode?: string; faultstring?: string };
  /** the actors of the envelope's wsse:Security blocks */
  securityActors: string[];
}

/** Parse `bytes` as a SOAP envelope, run `fn` on it and dispose of the document. */
export function withEnvelope<T>(bytes: Buffer, fn: (p: ParsedEnvelope) => T): T {
  const p = parseEnvelope(bytes, { elide: false }); // the tree compares every text, BinaryData's too
  try {
    return fn(p);
  } finally {
    p.doc.dispose();
  }
}

export function toTree(p: ParsedEnvelope): EnvelopeTree {
  const doc = p.doc.root;
  const header = [...childElements(doc)].find((c) => c.namespaceUri === NS.soap && c.name === 'Header');
  const operation = p.messageElement?.parent;
  const messageData = operation ? [...childElements(operation)].find((c) => c.name === 'MessageData' && revisionOf(c.namespaceUri)) : undefined;
  const anchors: [XmlElement | undefined, RootName][] = [
    [doc, 'Envelope'], [header, 'Header'], [p.body, 'Body'], [p.messageElement, 'Message'],
    [messageData, 'MessageData'], [p.appDataElement, 'AppData'], [childByLocal(messageData, 'AppDocument'), 'AppDocument'],
  ];
  const present = anchors.filter((a): a is [XmlElement, RootName] => !!a[0]);
  const convert = (el: XmlElement): XNode => {
    const node: XNode = {
      ns: el.namespaceUri,
      local: el.name,
      attrs: el.attrs.map((a) => ({ ns: a.namespaceUri, local: a.name, value: a.value })),
      text: '',
      children: [],
    };
    const { XmlText, XmlCData } = xml();
    let text = '';
    for (let c = el.firstChild; c; c = c.next) {
      if (c instanceof XmlText || c instanceof XmlCData) text += c.content;
      else if (c instanceof xml().XmlElement) node.children.push(convert(c));
    }
    node.text = text.trim();
    const anchor = present.find(([a]) => a.isSameNode(el));
    if (anchor) node.root = anchor[1];
    return node;
  };
  const msg = p.envelope.message;
  return {
    root: convert(doc),
    status: msg?.status,
    requestIdRef: msg?.requestIdRef,
    originRequestIdRef: msg?.originRequestIdRef,
    fault: p.envelope.fault ? { faultcode: p.envelope.fault.faultcode, faultstring: p.envelope.fault.faultstring } : undefined,
    securityActors: header ? [...childElements(header)]
      .filter((b) => b.namespaceUri === NS.wsse && b.name === 'Security')
      .map((b) => attrValue(b, 'actor', NS.soap) ?? '') : [],
  };
}

/** Read an envelope into a tree (no signature checks). */
export function readTree(bytes: Buffer): EnvelopeTree {
  return withEnvelope(bytes, toTree);
}

/** Leaf values under a node, keyed by their namespace-agnostic path from it (first occurrence of each path). */
export function leafValues(node: XNode, prefix: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (n: XNode, path: string) => {
    if (!n.children.length) {
      if (!out.has(path)) out.set(path, n.text);
      return;
    }
    for (const c of n.children) walk(c, `${path}/${c.local}`);
  };
  for (const c of node.children) walk(c, `${prefix}/${c.local}`);
  return out;
}

/** The first node marked with the given root name. */
export function findRoot(tree: EnvelopeTree, name: RootName): XNode | undefined {
  const stack = [tree.root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.root === name) return n;
    stack.push(...n.children);
  }
  return undefined;
}
