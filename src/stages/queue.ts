import type { Stage } from '../pipeline/compose';
import { forwardOf, routeOf, setAnswer, type Exchange } from '../pipeline/exchange';
import type { Outbox } from '../queue/outbox';
import { nodeAnswer, type NodeStatus } from '../queue/answers';
import { isPoll } from '../registry/modes';
import type { Events } from '../queue/events';
import { partsRecord, type AttachmentStore } from '../journal/attachments';
import type { IntakeGate } from '../queue/intake';
import { GatewayFault } from '../faults/catalogue';
import { BUDGET_RETRY_AFTER_S } from '../http/budget';

const XML = 'text/xml; charset=utf-8';

/** The node's own answer (ACCEPT, PROCESS, FAILURE, INVALID) as the exchange's answer. */
export function answerAsNode(ex: Exchange, status: NodeStatus, requestIdRef: string, origin: string, text?: string): void {
  const { service, operation, message, smevNamespace } = routeOf(ex);
  setAnswer(ex, nodeAnswer({ service, operation, smevNamespace, request: message, status, requestIdRef, originRequestIdRef: origin, text }), { status: 200, contentType: XML, fromNode: true });
}

/**
 * Store-and-forward for SIDs with `delivery: guaranteed`: a REQUEST (already marked by the node)
 * is stored durably and answered ACCEPT with the gateway's ticket (the node MessageId); the
 * delivery worker takes it from there. Polls are answered before, by the poll stage. Other SIDs
 * go straight on to the provider. With `intake`, a request is taken only while the workers keep
 * up (queue/intake.ts): it waits for room, or is refused with GW-9003.
 */
export function queue(outbox: Outbox, events: Events, attachments: AttachmentStore, intake?: IntakeGate): Stage<Exchange> {
  return async (ex, next) => {
    const { service, operation, message } = routeOf(ex);
    const d = service.def.delivery;
    if (d.mode !== 'guaranteed' || isPoll(operation, message.status)) return next();
    const { messageId, forward } = forwardOf(ex);
    if (intake) {
      const room = await intake.admit((due) => ex.log.info({ due }, 'waiting for the delivery workers: the outbox holds its bound of due items'));
      if (!room.admitted) throw new GatewayFault('deliveryBehind', { due: room.due, waitedMs: room.waitedMs, retryAfter: BUDGET_RETRY_AFTER_S });
    }
    // MTOM: the parts by hash first, so the stored message never names a part the store lacks
    await attachments.putAll(ex.requestParts);
    // the message and its `accepted` events in one statement: an instance that dies here
    // stores both or neither
    await outbox.add([{
      id: messageId, kind: 'deliver', sid: service.sid, operation: operation.name, consumer: message.sender?.code,
      maxAttempts: d.maxAttempts, maxAgeMs: d.maxAgeSeconds * 1000, payload: forward.join(), payloadParts: partsRecord(ex.requestParts),
    }, ...events.items('accepted', { sid: service.sid, ticket: messageId, consumer: message.sender?.code })]);
    ex.log.info({ ticket: messageId }, 'accepted for guaranteed delivery');
    answerAsNode(ex, 'ACCEPT', messageId, messageId);
  };
}
