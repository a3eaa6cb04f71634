import type { Stage } from '../pipeline/compose';
import { markLeg, type Exchange } from '../pipeline/exchange';
import type { TrustStore } from '../signature/trust';
import { GatewayFault } from '../faults/catalogue';

/**
 * Access rights: may the consumer (its Sender, whose signature the verify stage checked) use this
 * SID and this operation? A SID it may not use gets the node's own answer, "No policies found".
 */
export function authorize(trust: TrustStore): Stage<Exchange> {
  return async (ex, next) => {
    const policy = ex.service!.def.control;
    if (policy !== 'off') {
      const sender = ex.request!.envelope.message?.sender?.code;
      const access = trust.access(sender, ex.sid, ex.operation!.name);
      if (access !== 'granted') {
        const fault = access === 'noService'
          ? new GatewayFault('unknownService', { sid: ex.sid }, `${sender ?? 'the sender'} has no grant for ${ex.sid}`)
          : new GatewayFault('operationNotGranted', { sender: sender!, operation: ex.operation!.name, sid: ex.sid });
        const before = ex.legs.find((l) => l.direction === 'consumer->gateway')?.control;
        markLeg(ex, 'consumer->gateway', 'control', [before, `${policy === 'report' ? 'report: ' : ''}access: ${fault.detail ?? fault.message}`].filter(Boolean).join(' | '));
        if (policy === 'enforce') throw fault;
      }
    }
    await next();
  };
}
