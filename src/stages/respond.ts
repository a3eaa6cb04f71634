import { randomUUID } from 'node:crypto';
import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import { GatewayFault } from '../faults/catalogue';
import { faultEnvelope } from '../envelope/build';

const XML = 'text/xml; charset=utf-8';

export interface Response {
  status: number;
  bytes: Buffer;
  contentType: string;
}

/** The catalogue's SOAP fault as an HTTP response: the one way the gateway writes a fault. */
export function faultResponse(fault: GatewayFault): Response {
  return {
    status: fault.spec.http,
    bytes: faultEnvelope({ faultcode: fault.spec.faultcode, faultstring: fault.faultstring, detail: fault.detail }),
    contentType: XML,
  };
}

/**
 * Builds what goes back to the consumer: the answer the inner stages settled on (the provider's,
 * the store's or the node's own, marked by stamp), or, for any failure inside, the SOAP fault the
 * catalogue prescribes.
 */
export function respond(): Stage<Exchange> {
  return async (ex, next) => {
    try {
      await next();
      const a = ex.answer;
      if (!a) throw new Error('the pipeline finished without an answer');
      ex.response = { status: a.status, bytes: a.bytes, contentType: a.contentType ?? XML, parts: a.parts };
      ex.responseEnvelope = a.envelope;
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
      ex.response = faultResponse(fault);
      ex.responseEnvelope = undefined;
    }
  };
}
