import { randomUUID } from 'node:crypto';
import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { GatewayFault } from '../faults/catalogue';
import { faultEnvelope } from '../envelope/build';

const XML = 'text/xml; charset=utf-8';

/** Turns any failure inside the pipeline into the SOAP fault the catalogue prescribes. */
export function respond(): Stage<Exchange> {
  return async (ex, next) => {
    try {
      await next();
      if (!ex.response) throw new Error('the pipeline finished without a response');
    } catch (e) {
      let fault: GatewayFault;
      if (e instanceof GatewayFault) {
        fault = e;
        ex.log.info({ fault: e.spec.code || e.kind, reason: e.message }, 'fault');
      } else {
        const ref = randomUUID();
        fault = new GatewayFault('internal', { ref });
        ex.log.error({ err: e, ref }, 'internal error');
      }
      ex.fault = fault;
      ex.response = {
        status: fault.spec.http,
        bytes: faultEnvelope({ faultcode: fault.spec.faultcode, faultstring: fault.faultstring, detail: fault.detail }),
        contentType: XML,
      };
    }
  };
}
