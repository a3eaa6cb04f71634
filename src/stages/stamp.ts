import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { GatewayFault } from '../faults/catalogue';
import { newMessageId, nodeHeaderXml, smevDateTime, withHeaderBlock } from '../envelope/build';
import { revisionOf, ACTOR } from '../envelope/ns';
import { signEnvelope, type Signer } from '../signature/sign';

const XML = 'text/xml; charset=utf-8';

/**
 * The node's marks on every message it sends on: its smev:Header (MessageClass REQUEST towards
 * the provider, RESPONSE back to the consumer, a fresh upper-case MessageId each) and, when the
 * node has a key, its signature (actor recipient) over that header and the Body. Any smev:Header
 * or recipient-actor block already there is replaced; every other byte is kept.
 */
export function stamp(node?: Signer): Stage<Exchange> {
  const sign = (bytes: Buffer) => (node ? signEnvelope(bytes, ACTOR.recipient, node, { header: true }) : bytes);
  return async (ex, next) => {
    const env = ex.request!.envelope;
    if (!env.smevNamespace || !env.message) {
      throw new GatewayFault('notSmev', { operation: env.operation ? `{${env.operation.ns}}${env.operation.local}` : '(none)' });
    }
    ex.messageId = newMessageId();
    const stamped = withHeaderBlock(
      ex.raw,
      nodeHeaderXml({ smevNamespace: env.smevNamespace, messageId: ex.messageId, messageClass: 'REQUEST' }),
      (i) => isSmevHeader(env.headerBlocks[i]),
    );
    ex.forward = sign(stamped);
    ex.nodeSignature = node ? 'recipient:signed by the node' : 'not signed (no node key)';

    await next();

    const answer = ex.answer!;
    if (answer.envelope.fault || !answer.envelope.smevNamespace) {
      ex.response = { status: answer.status, bytes: answer.bytes, contentType: answer.contentType ?? XML };
      ex.responseEnvelope = answer.envelope;
      ex.responseSignature = 'not signed: the provider\'s fault passed on as it came';
      return;
    }
    const header = { messageId: newMessageId(), messageClass: 'RESPONSE' as const, timeStamp: smevDateTime() };
    const bytes = sign(withHeaderBlock(
      answer.bytes,
      nodeHeaderXml({ smevNamespace: answer.envelope.smevNamespace, ...header }),
      (i) => isSmevHeader(answer.envelope.headerBlocks[i]),
    ));
    ex.response = { status: answer.status, bytes, contentType: XML };
    ex.responseSignature = ex.nodeSignature;
    ex.responseEnvelope = { ...answer.envelope, raw: bytes, header: { nodeId: '00', ...header } };
  };
}

function isSmevHeader(b: { ns: string; local: string } | undefined): boolean {
  return !!b && b.local === 'Header' && !!revisionOf(b.ns);
}
