import type { Stage } from '../pipeline/compose';
import { routeOf, setAnswer, type Exchange } from '../pipeline/exchange';
import type { Outbox } from '../queue/outbox';
import { isPoll } from '../registry/modes';
import { newMessageId } from '../envelope/build';
import { answerAsNode } from './queue';
import { Spool, rootContentType } from '../http/multipart';
import type { AttachmentStore } from '../journal/attachments';

const XML = 'text/xml; charset=utf-8';
const UNKNOWN_CHAIN = 'Запрос с таким origRequestIdRef не найден!';

/**
 * A poll (PING, or a message on the get operation) of a SID with `delivery: guaranteed` is
 * answered from the store, never sent on: PROCESS until the provider's answer is stored (judged
 * by the delivery worker through verify and control of the answer), then that answer, or FAILURE
 * once the retry budget is spent; INVALID for a ticket the store does not know. It stands before
 * the request is marked, so nothing is signed for a message that goes nowhere.
 */
export function poll(outbox: Outbox, attachments: AttachmentStore, o: { spoolDir: string; memoryThreshold: number }): Stage<Exchange> {
  return async (ex, next) => {
    const { service, operation, message } = routeOf(ex);
    if (service.def.delivery.mode !== 'guaranteed' || !isPoll(operation, message.status)) return next();
    // the node's id for this poll, answered here
    const own = newMessageId();
    ex.messageId = own;
    ex.chainId = (message.originRequestIdRef ?? own).toUpperCase();
    const ticket = (message.originRequestIdRef ?? message.requestIdRef ?? '').toUpperCase();
    const item = ticket ? await outbox.get(ticket) : undefined;
    if (!item || item.kind !== 'deliver' || item.sid !== service.sid) return answerAsNode(ex, 'INVALID', own, ticket || own, UNKNOWN_CHAIN);
    if (item.status === 'done' && item.answer) {
      // an MTOM answer goes back as MTOM: its parts from the store, spooled for this exchange
      ex.spool ??= new Spool(o.spoolDir);
      const parts = item.answer_parts ? await attachments.materialize(item.answer_parts, ex.spool, o.memoryThreshold) : undefined;
      setAnswer(ex, item.answer, { status: 200, contentType: parts ? rootContentType(parts.framing) : XML, parts });
      if (ex.answer?.envelope.fault) ex.answer.status = 500;
      return;
    }
    if (item.status === 'dead') return answerAsNode(ex, 'FAILURE', own, ticket, `delivery failed after ${item.attempts} attempt(s): ${item.last_error ?? 'no reason recorded'}`);
    return answerAsNode(ex, 'PROCESS', own, ticket);
  };
}
