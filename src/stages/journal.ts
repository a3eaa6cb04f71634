import type { Stage } from '../pipeline/compose';
import { requestOnTheWire, type Exchange, type Leg } from '../pipeline/exchange';
import type { Journal } from '../journal/journal';

/**
 * Every leg of the exchange durably journaled before the reply leaves, whatever happens inside:
 * for a consumer's call, its message, the legs to and from the provider, and the reply or fault;
 * for a delivery attempt of the outbox, the legs to and from the provider.
 */
export function journal(store: Journal): Stage<Exchange> {
  return async (ex, next) => {
    // the consumer's bytes as they came, read when journaled: the parse stage may have spooled a
    // large inline text meanwhile, and holding the body it read from here would keep it in memory
    const inbound: Leg | undefined = ex.origin === 'consumer'
      ? { direction: 'consumer->gateway', at: ex.receivedAt, get bytes() { return requestOnTheWire(ex); }, parts: ex.requestParts?.parts }
      : undefined;
    if (inbound) ex.legs.unshift(inbound);
    try {
      await next();
    } finally {
      if (inbound) Object.assign(inbound, { envelope: ex.request?.envelope });
      if (inbound && ex.response) {
        ex.legs.push({
          direction: 'gateway->consumer',
          at: new Date(),
          bytes: ex.response.bytes,
          parts: ex.response.parts?.parts,
          envelope: ex.responseEnvelope,
          httpStatus: ex.response.status,
          faultCode: ex.fault ? ex.fault.spec.code || ex.fault.kind : undefined,
          durationMs: Number(process.hrtime.bigint() - ex.started) / 1e6,
          signature: ex.fault || !ex.responseSignature ? undefined : { outcome: ex.responseSignature.startsWith('recipient:') ? 'ok' : 'not-checked', text: ex.responseSignature },
        });
      }
      await store.recordExchange(ex);
    }
  };
}
