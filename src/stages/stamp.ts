import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { GatewayFault } from '../faults/catalogue';
import { newMessageId, nodeHeaderXml, smevDateTime, withHeaderBlock } from '../envelope/build';
import { revisionOf } from '../envelope/ns';

const XML = 'text/xml; charset=utf-8';

/**
 * The node's smev:Header: on the request (MessageClass REQUEST, a fresh upper-case MessageId)
 * and on the answer (MessageClass RESPONSE). Any smev:Header already there is replaced; every
 * other byte of the envelope is kept.
 */
export function stamp(): Stage<Exchange> {
  return async (ex, next) => {
    const env = ex.request!.envelope;
    if (!env.smevNamespace || !env.message) {
      throw new GatewayFault('notSmev', { operation: env.operation ? `{${env.operation.ns}}${env.operation.local}` : '(none)' });
    }
    ex.messageId = newMessageId();
    ex.forward = withHeaderBlock(
      ex.raw,
      nodeHeaderXml({ smevNamespace: env.smevNamespace, messageId: ex.messageId, messageClass: 'REQUEST' }),
      (i) => isSmevHeader(env.headerBlocks[i]),
    );

    await next();

    const answer = ex.answer!;
    if (answer.envelope.fault || !answer.envelope.smevNamespace) {
      ex.response = { status: answer.status, bytes: answer.bytes, contentType: answer.contentType ?? XML };
      ex.responseEnvelope = answer.envelope;
      return;
    }
    const header = { messageId: newMessageId(), messageClass: 'RESPONSE' as const, timeStamp: smevDateTime() };
    const bytes = withHeaderBlock(
      answer.bytes,
      nodeHeaderXml({ smevNamespace: answer.envelope.smevNamespace, ...header }),
      (i) => isSmevHeader(answer.envelope.headerBlocks[i]),
    );
    ex.response = { status: answer.status, bytes, contentType: XML };
    ex.responseEnvelope = { ...answer.envelope, raw: bytes, header: { nodeId: '00', ...header } };
  };
}

function isSmevHeader(b: { ns: string; local: string } | undefined): boolean {
  return !!b && b.local === 'Header' && !!revisionOf(b.ns);
}
