import type { Stage } from '../pipeline/compose';
import { requestOf, type Exchange } from '../pipeline/exchange';
import type { Registry } from '../registry/registry';
import { GatewayFault } from '../faults/catalogue';
import { qkey } from '../registry/wsdl-model';

/**
 * Finds the SID's service and the operation: the Body's first element must be the input of one
 * of the WSDL's operations; a SOAPAction, when sent, must not name another operation; and the
 * operation element must carry a smev:Message of a known revision.
 */
export function route(registry: Registry): Stage<Exchange> {
  return async (ex, next) => {
    const service = registry.get(ex.sid);
    if (!service || (ex.version !== undefined && ex.version !== service.def.service.version)) {
      throw new GatewayFault('unknownService', { sid: ex.version ? `${ex.sid}/${ex.version}` : ex.sid });
    }
    ex.service = service;
    const env = requestOf(ex).envelope;
    const op = env.operation;
    if (!op) throw new GatewayFault('noOperation', { sid: ex.sid });
    const operation = service.byInput.get(qkey(op));
    if (!operation) {
      throw new GatewayFault('unknownOperation', {
        sid: ex.sid,
        element: qkey(op),
        operations: service.operations.map((o) => `${o.name} (${o.input ? qkey(o.input) : 'no input'})`).join(', '),
      });
    }
    const action = ex.http?.soapAction;
    if (action) {
      const named = service.operations.find((o) => o.soapAction === action || o.name === action);
      if (named && named !== operation) {
        throw new GatewayFault('soapActionMismatch', { action, actionOperation: named.name, operation: operation.name });
      }
    }
    if (!env.smevNamespace || !env.message) throw new GatewayFault('notSmev', { operation: qkey(op) });
    ex.operation = operation;
    await next();
  };
}
