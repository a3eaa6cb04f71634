import type { Stage } from '../pipeline/compose';
import { onTheWire, routeOf, type Exchange } from '../pipeline/exchange';
import { markAsNodeAsync } from '../signature/node-marks';
import type { Signer } from '../signature/sign';
import { rootContentType } from '../http/multipart';

const XML = 'text/xml; charset=utf-8';

/**
 * The node's marks on the request it sends on (signature/node-marks.ts): its smev:Header
 * (MessageClass REQUEST) and, when the node has a key, its signature (actor recipient) over that
 * header and the Body, computed off the JS thread where the algorithm allows (RSA). Only bytes
 * are marked here: what to do with them is the queue's and deliver's job.
 */
export function stampRequest(node?: Signer): Stage<Exchange> {
  return async (ex, next) => {
    const { request, message } = routeOf(ex);
    // the request's own bytes: the consumer's, or what convert made of them for the provider
    const forward = await markAsNodeAsync(request.envelope.raw, request.envelope, 'REQUEST', node, undefined, request);
    ex.messageId = forward.messageId;
    ex.chainId = (message.originRequestIdRef ?? ex.messageId).toUpperCase();
    // a text spooled as the request was taken goes on from its file, byte for byte
    ex.forward = onTheWire(request.envelope.raw, forward.message);
    ex.nodeSignature = node ? 'recipient:signed by the node' : 'not signed (no node key)';
    await next();
  };
}

/**
 * The node's marks on the answer going back (MessageClass RESPONSE), whichever stage produced it:
 * the provider (deliver), the store (poll), or the node itself (queue). A SOAP fault, or an answer
 * that is no SMEV message, passes as it came.
 */
export function stampAnswer(node?: Signer): Stage<Exchange> {
  return async (ex, next) => {
    await next();
    const a = ex.answer;
    if (!a) return;
    if (a.envelope.fault || !a.envelope.smevNamespace) {
      ex.responseSignature = 'not signed: the provider\'s fault passed on as it came';
      return;
    }
    const back = await markAsNodeAsync(a.bytes, a.envelope, 'RESPONSE', node, undefined, a.parsed);
    const bytes = back.message.join();
    ex.answer = {
      // MTOM: the root part keeps the type its sender gave it (the framing goes on unchanged)
      ...a, bytes, contentType: a.parts ? a.contentType ?? rootContentType(a.parts.framing) : XML, marked: true,
      envelope: { ...a.envelope, raw: bytes, header: { nodeId: '00', messageId: back.messageId, messageClass: 'RESPONSE', timeStamp: back.timeStamp } },
    };
    ex.responseSignature = node ? 'recipient:signed by the node' : 'not signed (no node key)';
  };
}
