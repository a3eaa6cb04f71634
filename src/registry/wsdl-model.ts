import { parseLocal, childElements, attrValue, resolveQName } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import { NS } from '../envelope/ns';
import type { Bundle } from './bundle';

export interface QName {
  ns: string;
  local: string;
}

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

/**
 * Operations of the SOAP 1.1 binding that the WSDL's service exposes (document/literal: each
 * operation is recognised by its input element). Reads the main WSDL and the WSDLs it imports.
 */
export function readWsdlModel(bundle: Bundle): WsdlModel {
  const messages = new Map<string, QName | undefined>();
  const portTypes = new Map<string, { name: string; input?: string; output?: string }[]>();
  const bindings = new Map<string, { type: string; soap11: boolean; ops: Map<string, string | undefined> }>();
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
          const part = [...childElements(el)].find((p) => p.name === 'part');
          const element = part && attrValue(part, 'element');
          messages.set(key, element ? resolveQName(part!, element) : undefined);
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
          const ops = new Map<string, string | undefined>();
          for (const o of children.filter((c) => c.namespaceUri === NS.wsdl && c.name === 'operation')) {
            const soapOp = [...childElements(o)].find((c) => c.namespaceUri === NS.wsdlSoap && c.name === 'operation');
            ops.set(attrValue(o, 'name') ?? '', soapOp ? attrValue(soapOp, 'soapAction') : undefined);
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

  const operations = pt.map((o) => ({
    name: o.name,
    soapAction: binding.ops.get(o.name) || undefined,
    input: o.input ? messages.get(o.input) : undefined,
    output: o.output ? messages.get(o.output) : undefined,
  }));
  return { targetNamespace, operations, address: chosenPort?.address };

  function msgRef(op: XmlElement, which: 'input' | 'output'): string | undefined {
    const el = [...childElements(op)].find((c) => c.name === which);
    const m = el && attrValue(el, 'message');
    return m ? qkey(resolveQName(el!, m)) : undefined;
  }
}
