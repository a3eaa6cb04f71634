import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import type { Journal } from '../journal/journal';
import type { Events } from '../queue/events';
import type { Metrics } from '../metrics/metrics';

const SIGNATURE_FAULTS = new Set(['SMEV-100003', 'SMEV-100005', 'SMEV-100008', 'GW-3001', 'GW-3002', 'GW-2005']);

/** Signature and control failures (refused, or passed under policy report) go to the subscribers. */
function alert(ex: Exchange, events: Events): void {
  const code = ex.fault ? ex.fault.spec.code || ex.fault.kind : undefined;
  const base = { sid: ex.sid, consumer: ex.request?.envelope.message?.sender?.code, exchange: ex.id };
  const reported = (f: 'signature' | 'control') => ex.legs.find((l) => l[f]?.startsWith('report:'))?.[f];
  if ((code && SIGNATURE_FAULTS.has(code)) || reported('signature')) void events.emit('signature-failure', { ...base, reason: ex.fault?.message ?? reported('signature') });
  const control = ex.legs.find((l) => l.control && l.control !== 'ok' && !l.control.startsWith('not checked'))?.control;
  if (control) void events.emit('control-failure', { ...base, reason: control });
}

/**
 * Outermost stage: whatever happens inside, every leg of the exchange (the consumer's message,
 * the legs to and from the provider, and the reply or fault) is durably journaled before the
 * reply leaves. Being the one place that sees every exchange finished, it also counts it.
 */
export function journal(store: Journal, events?: Events, metrics?: Metrics): Stage<Exchange> {
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
      metrics?.observe(ex);
      if (events) alert(ex, events);
    }
  };
}
