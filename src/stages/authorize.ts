import type { Stage } from '../pipeline/compose';
import { addControlFailure, routeOf, type Exchange } from '../pipeline/exchange';
import type { TrustStore } from '../signature/trust';
import { GatewayFault } from '../faults/catalogue';

/**
 * Access rights: may the consumer (its Sender, whose signature the verify stage checked) use this
 * SID and this operation? A SID it may not use gets the node's own answer, "No policies found".
 * Runs under the SID's control policy; its verdict joins the request's control verdict.
 */
export function authorize(trust: TrustStore): Stage<Exchange> {
  return async (ex, next) => {
    const { service, operation, message } = routeOf(ex);
    const policy = service.def.control;
    if (policy !== 'off') {
      const sender = message.sender?.code;
      const access = trust.access(sender, ex.sid, operation.name);
      if (access !== 'granted') {
        const fault = access === 'noService'
          ? new GatewayFault('unknownService', { sid: ex.sid }, `${sender ?? 'the sender'} has no grant for ${ex.sid}`)
          : new GatewayFault('operationNotGranted', { sender: sender ?? '', operation: operation.name, sid: ex.sid });
        addControlFailure(ex, 'consumer->gateway', { outcome: 'failed', passed: policy === 'report', text: `access: ${fault.detail ?? fault.message}`, faults: [{ check: 'access', faultstring: fault.faultstring }] });
        if (policy === 'enforce') throw fault;
      }
    }
    await next();
  };
}
