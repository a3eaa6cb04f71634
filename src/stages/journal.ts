import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import type { Journal } from '../journal/journal';

/**
 * Outermost stage: whatever happens inside, every leg of the exchange (the consumer's message,
 * the legs to and from the provider, and the reply or fault) is durably journaled before the
 * reply leaves.
 */
export function journal(store: Journal): Stage<Exchange> {
  return async (ex, next) => {
    const inbound = { direction: 'consumer->gateway' as const, at: ex.receivedAt, bytes: ex.raw };
    ex.legs.unshift(inbound);
    try {
      await next();
    } finally {
      Object.assign(inbound, { envelope: ex.request?.envelope });
      if (ex.response) {
        ex.legs.push({
          direction: 'gateway->consumer',
          at: new Date(),
          bytes: ex.response.bytes,
          envelope: ex.responseEnvelope,
          httpStatus: ex.response.status,
          faultCode: ex.fault ? ex.fault.spec.code || ex.fault.kind : undefined,
          durationMs: Number(process.hrtime.bigint() - ex.started) / 1e6,
          signature: ex.fault ? undefined : ex.responseSignature,
        });
      }
      await store.recordExchange(ex);
    }
  };
}
