import type { Stage } from '../pipeline/compose';
import { verdictText, type Exchange } from '../pipeline/exchange';
import type { Events } from '../queue/events';
import type { Violations } from '../queue/violations';

const SIGNATURE_FAULTS = new Set(['SMEV-100003', 'SMEV-100005', 'SMEV-100008', 'GW-3001', 'GW-3002', 'GW-3003', 'GW-2005']);

/**
 * Signature and control failures (refused, or passed under policy report), of a consumer's call
 * or of a delivery attempt, go to the subscribers as events, once the exchange is finished; each
 * is counted for the operators' violations (past a rate per SID, queue/violations.ts).
 */
export function alerts(events: Events, violations?: Violations): Stage<Exchange> {
  return async (ex, next) => {
    try {
      await next();
    } finally {
      const code = ex.fault ? ex.fault.spec.code || ex.fault.kind : undefined;
      const base = { sid: ex.sid, consumer: ex.request?.envelope.message?.sender?.code, exchange: ex.id };
      const passed = ex.legs.find((l) => l.signature?.outcome === 'failed' && l.signature.passed)?.signature;
      if ((code && SIGNATURE_FAULTS.has(code)) || passed) {
        const reason = ex.fault?.message ?? (passed ? verdictText(passed) : undefined);
        void events.emit('signature-failure', { ...base, reason });
        if (ex.sid) void violations?.failure('signature', ex.sid, reason);
      }
      const control = ex.legs.find((l) => l.control?.outcome === 'failed')?.control;
      if (control) {
        void events.emit('control-failure', { ...base, reason: verdictText(control) });
        if (ex.sid) void violations?.failure('control', ex.sid, verdictText(control));
      }
    }
  };
}
