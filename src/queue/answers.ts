import { fillAnswer, skeleton } from '../envelope/answer';
import { escapeXml } from '../envelope/build';
import type { SmevMessage } from '../envelope/model';
import type { Service, Operation } from '../registry/load';

export const DELIVERY_NS = 'urn:smev2-gateway:delivery';

/** What the node answers on its own. */
export type NodeStatus = 'ACCEPT' | 'PROCESS' | 'FAILURE' | 'INVALID';

/**
 * An answer the gateway gives itself for a guaranteed-delivery SID (ACCEPT with its ticket,
 * PROCESS, FAILURE, INVALID): the operation's output element, from the provider to the consumer,
 * with the ids of PROTOCOL.md §4.
 */
export function nodeAnswer(o: {
  service: Service;
  operation: Operation;
  smevNamespace: string;
  request: SmevMessage;
  status: NodeStatus;
  requestIdRef: string;
  originRequestIdRef: string;
  ticket?: string;
  text?: string;
}): Buffer {
  const appData = o.text !== undefined
    ? `<gw:Error xmlns:gw="${DELIVERY_NS}">${escapeXml(o.text)}</gw:Error>`
    : `<gw:Ticket xmlns:gw="${DELIVERY_NS}">${escapeXml(o.ticket ?? o.originRequestIdRef)}</gw:Ticket>`;
  const bytes = skeleton({
    output: o.operation.output ?? o.operation.input!,
    smevNamespace: o.smevNamespace,
    status: o.status,
    typeCode: o.request.typeCode,
    serviceName: o.request.serviceName,
    appData,
  });
  return fillAnswer(bytes, {
    sender: { code: o.service.def.provider.mnemonic, name: o.service.def.provider.name },
    recipient: o.request.sender,
    originator: o.request.originator,
    exchangeType: o.request.exchangeType,
    requestIdRef: o.requestIdRef,
    originRequestIdRef: o.originRequestIdRef,
    testMsg: o.request.testMsg,
  });
}
