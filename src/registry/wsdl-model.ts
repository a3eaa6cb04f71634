import { parseLocal, childElements, attrValue, resolveQName } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import { NS } from '../envelope/ns';
import type { Bundle } from './bundle';

export type { QName } from '../envelope/model';
import type { QName } from '../envelope/model';

export interface WsdlOperation {
  name: string;
  soapAction?: string;
  input?: QName;
  output?: QName;
}

export interface WsdlModel {
  targetNamespace: string;
  operations: WsdlOperation[];
  /** original soap:address of the port the gateway serves */
  address?: string;
}

export const qkey = (q: QName): string => `{${q.ns}}${q.local}`;

interface BodyParts {
  /** soap:body parts="…": the parts that go in the Body (absent: all but the header parts) */
  body?: string[];
  /** parts that soap:header puts in the Header (a smev:Header part, say) */
  headerParts: string[];
}
interface BindingOperation {
  soapAction?: string;
  input: BodyParts;
  output: BodyParts;
}

/**
 * The element a message carries in the SOAP Body: the part soap:body names, or else the first
 * part that no soap:header takes (some agencies' messages list a smev:Header part first).
 */
function bodyElement(parts: { name: string; element?: QName }[] | undefined, b: BodyParts | undefined): QName | undefined {
  if (!parts?.length) return undefined;
  const named = b?.body?.length ? parts.find((p) => b.body!.includes(p.name)) : undefined;
  const notHeader = parts.find((p) => !b?.headerParts.includes(p.name));
  return (named ?? notHeader ?? parts[0])!.element;
}

/**
 * Operations of the SOAP 1.1 binding that the WSDL's service exposes (document/literal: each
 * operation is recognised by its input element). Reads the main WSDL and the WSDLs it imports.
 */
export function readWsdlModel(bundle: Bundle): WsdlModel {
  const messages = new Map<string, { name: string; element?: QName }[]>();
  const portTypes = new Map<string, { name: string; input?: string; output?: string }[]>();
  const bindings = new Map<string, { type: string; soap11: boolean; ops: Map<string, BindingOperation> }>();
  const ports: { binding: string; address?: string }[] = [];
  let targetNamespace = '';

  const wsdlFiles = [...bundle.files.values()].filter((f) => f.kind === 'wsdl');
  for (const file of wsdlFiles) {
    const doc = parseLocal(file.bytes, undefined, () => undefined);
    try {
      const defs = doc.root;
      const tns = attrValue(defs, 'targetNamespace') ?? '';
      if (file.rel === bundle.main) targetNamespace = tns;
      for (const el of childElements(defs)) {
        if (el.namespaceUri !== NS.wsdl) continue;
        const name = attrValue(el, 'name') ?? '';
        const key = qkey({ ns: tns, local: name });
        if (el.name === 'message') {
          messages.set(key, [...childElements(el)].filter((p) => p.name === 'part').map((p) => {
            const element = attrValue(p, 'element');
            return { name: attrValue(p, 'name') ?? '', element: element ? resolveQName(p, element) : undefined };
          }));
        } else if (el.name === 'portType') {
          portTypes.set(key, [...childElements(el)].filter((o) => o.name === 'operation').map((o) => ({
            name: attrValue(o, 'name') ?? '',
            input: msgRef(o, 'input'),
            output: msgRef(o, 'output'),
          })));
        } else if (el.name === 'binding') {
          const type = attrValue(el, 'type');
          const children = [...childElements(el)];
          const soap11 = children.some((c) => c.namespaceUri === NS.wsdlSoap && c.name === 'binding');
          const ops = new Map<string, BindingOperation>();
          for (const o of children.filter((c) => c.namespaceUri === NS.wsdl && c.name === 'operation')) {
            const soapOp = [...childElements(o)].find((c) => c.namespaceUri === NS.wsdlSoap && c.name === 'operation');
            ops.set(attrValue(o, 'name') ?? '', { soapAction: soapOp ? attrValue(soapOp, 'soapAction') : undefined, input: bodyParts(o, 'input'), output: bodyParts(o, 'output') });
          }
          if (type) bindings.set(key, { type: qkey(resolveQName(el, type)), soap11, ops });
        } else if (el.name === 'service') {
          for (const port of childElements(el)) {
            const b = attrValue(port, 'binding');
            if (!b) continue;
            const addr = [...childElements(port)].find((c) => c.name === 'address');
            ports.push({ binding: qkey(resolveQName(port, b)), address: addr && attrValue(addr, 'location') });
          }
        }
      }
    } finally {
      doc.dispose();
    }
  }

  const soapBindings = [...bindings.entries()].filter(([, b]) => b.soap11);
  const chosenPort = ports.find((p) => bindings.get(p.binding)?.soap11);
  const [, binding] = (chosenPort && soapBindings.find(([k]) => k === chosenPort.binding)) ?? soapBindings[0] ?? [];
  if (!binding) throw new Error('the WSDL has no SOAP 1.1 binding');
  const pt = portTypes.get(binding.type);
  if (!pt) throw new Error(`the binding's portType ${binding.type} is not defined in the bundle`);

  const operations = pt.map((o) => {
    const b = binding.ops.get(o.name);
    return {
      name: o.name,
      soapAction: b?.soapAction || undefined,
      input: o.input ? bodyElement(messages.get(o.input), b?.input) : undefined,
      output: o.output ? bodyElement(messages.get(o.output), b?.output) : undefined,
    };
  });
  return { targetNamespace, operations, address: chosenPort?.address };

  /** The soap:body `parts` of an operation's input or output, and the parts its soap:header blocks take. */
  function bodyParts(op: XmlElement, which: 'input' | 'output'): BodyParts {
    const io = [...childElements(op)].find((c) => c.namespaceUri === NS.wsdl && c.name === which);
    const out: BodyParts = { headerParts: [] };
    for (const c of io ? childElements(io) : []) {
      if (c.namespaceUri !== NS.wsdlSoap) continue;
      if (c.name === 'body') out.body = attrValue(c, 'parts')?.split(/\s+/).filter(Boolean);
      if (c.name === 'header') out.headerParts.push(attrValue(c, 'part') ?? '');
    }
    return out;
  }

  function msgRef(op: XmlElement, which: 'input' | 'output'): string | undefined {
    const el = [...childElements(op)].find((c) => c.name === which);
    const m = el && attrValue(el, 'message');
    return m ? qkey(resolveQName(el!, m)) : undefined;
  }
}
