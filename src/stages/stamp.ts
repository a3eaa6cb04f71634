import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { GatewayFault } from '../faults/catalogue';
import { markAsNodeAsync } from '../signature/node-marks';
import type { Signer } from '../signature/sign';

const XML = 'text/xml; charset=utf-8';

/**
 * The node's marks on every message it sends on (signature/node-marks.ts): its smev:Header
 * (MessageClass REQUEST towards the provider, RESPONSE back to the consumer) and, when the node
 * has a key, its signature (actor recipient) over that header and the Body. An RSA signature is
 * computed on node's libuv pool (markAsNodeAsync), off the one JS thread.
 */
export function stamp(node?: Signer): Stage<Exchange> {
  return async (ex, next) => {
    const env = ex.request!.envelope;
    if (!env.smevNamespace || !env.message) {
      throw new GatewayFault('notSmev', { operation: env.operation ? `{${env.operation.ns}}${env.operation.local}` : '(none)' });
    }
    const forward = await markAsNodeAsync(ex.raw, env, 'REQUEST', node);
    ex.messageId = forward.messageId;
    ex.chainId = (env.message.originRequestIdRef ?? ex.messageId).toUpperCase();
    ex.forward = forward.bytes;
    ex.nodeSignature = node ? 'recipient:signed by the node' : 'not signed (no node key)';

    await next();

    const answer = ex.answer!;
    if (answer.envelope.fault || !answer.envelope.smevNamespace) {
      ex.response = { status: answer.status, bytes: answer.bytes, contentType: answer.contentType ?? XML };
      ex.responseEnvelope = answer.envelope;
      ex.responseSignature = 'not signed: the provider\'s fault passed on as it came';
      return;
    }
    const back = await markAsNodeAsync(answer.bytes, answer.envelope, 'RESPONSE', node);
    ex.response = { status: answer.status, bytes: back.bytes, contentType: XML };
    ex.responseSignature = ex.nodeSignature;
    ex.responseEnvelope = { ...answer.envelope, raw: back.bytes, header: { nodeId: '00', messageId: back.messageId, messageClass: 'RESPONSE', timeStamp: back.timeStamp } };
  };
}
