import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { parseEnvelope } from '../envelope/parse';
import type { Outbox } from '../queue/outbox';
import { nodeAnswer } from '../queue/answers';
import type { Events } from '../queue/events';

const XML = 'text/xml; charset=utf-8';
const UNKNOWN_CHAIN = 'Запрос с таким origRequestIdRef не найден!';

/**
 * Store-and-forward for SIDs with `delivery: guaranteed`: a REQUEST is stored durably and answered
 * ACCEPT with the gateway's ticket (the node MessageId); the delivery worker takes it from there.
 * A PING naming the ticket gets PROCESS until the provider's answer is stored, then that answer,
 * or FAILURE once the retry budget is spent. Other SIDs go straight on to the provider.
 */
export function queue(outbox: Outbox, events: Events): Stage<Exchange> {
  return async (ex, next) => {
    const service = ex.service!;
    const d = service.def.delivery;
    if (d.mode !== 'guaranteed') return next();
    const env = ex.request!.envelope;
    const msg = env.message!;
    const op = ex.operation!;
    const isPoll = op.mode === 'async-get' || msg.status === 'PING';
    const answer = (bytes: Buffer, fromNode: boolean) => {
      const parsed = parseEnvelope(bytes);
      ex.answer = { status: parsed.envelope.fault ? 500 : 200, bytes, envelope: parsed.envelope, contentType: XML, parsed, fromNode };
    };
    const own = (status: 'ACCEPT' | 'PROCESS' | 'FAILURE' | 'INVALID', origin: string, text?: string) =>
      answer(nodeAnswer({ service, operation: op, smevNamespace: env.smevNamespace!, request: msg, status, requestIdRef: ex.messageId!, originRequestIdRef: origin, text }), true);

    if (!isPoll) {
      // the message and its `accepted` events in one statement: an instance that dies here
      // stores both or neither
      await outbox.add([{
        id: ex.messageId!, kind: 'deliver', sid: service.sid, operation: op.name, consumer: msg.sender?.code,
        maxAttempts: d.maxAttempts, maxAgeMs: d.maxAgeSeconds * 1000, payload: ex.forward!,
      }, ...events.items('accepted', { sid: service.sid, ticket: ex.messageId!, consumer: msg.sender?.code })]);
      ex.log.info({ ticket: ex.messageId }, 'accepted for guaranteed delivery');
      own('ACCEPT', ex.messageId!);
      return;
    }
    const ticket = (msg.originRequestIdRef ?? msg.requestIdRef ?? '').toUpperCase();
    const item = ticket ? await outbox.get(ticket) : undefined;
    if (!item || item.kind !== 'deliver' || item.sid !== service.sid) return own('INVALID', ticket || ex.messageId!, UNKNOWN_CHAIN);
    if (item.status === 'done' && item.answer) return answer(item.answer, false);
    if (item.status === 'dead') return own('FAILURE', ticket, `delivery failed after ${item.attempts} attempt(s): ${item.last_error ?? 'no reason recorded'}`);
    return own('PROCESS', ticket);
  };
}
