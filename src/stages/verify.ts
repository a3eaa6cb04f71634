import type { Stage } from '../pipeline/compose';
import { markLeg, type Exchange, type LegDirection } from '../pipeline/exchange';
import type { TrustStore } from '../signature/trust';
import { judgeSender } from '../signature/judge';
import { GatewayFault } from '../faults/catalogue';
import { logReportOnce } from '../log';

/**
 * The sender's signature, both ways: the consumer's on the request (before anything else acts on
 * it) and the provider's on the answer. Per SID: enforce refuses, report journals and passes, off
 * does not look.
 */
export function verify(trust: TrustStore, clock: () => Date): Stage<Exchange> {
  return async (ex, next) => {
    const policy = ex.service!.def.signature;
    const mark = (direction: LegDirection, verdict: string) => markLeg(ex, direction, 'signature', verdict);
    if (policy === 'off') {
      mark('consumer->gateway', 'not checked (policy off)');
      await next();
      mark('provider->gateway', 'not checked (policy off)');
      return;
    }
    const j = judgeSender(ex.request!, trust, clock());
    mark('consumer->gateway', policy === 'report' && j.failure ? `report: ${j.summary}` : j.summary);
    if (j.failure) {
      if (policy === 'enforce') throw new GatewayFault(j.failure.fault, j.failure.params);
      logReportOnce(ex.log, { kind: 'signature', sender: ex.request!.envelope.message?.sender?.code, sid: ex.service!.sid }, { signature: j.summary }, 'signature check failed');
    }

    await next();

    const answer = ex.answer?.parsed;
    if (!answer || answer.envelope.fault || ex.answer?.fromNode) return;
    const a = judgeSender(answer, trust, clock());
    mark('provider->gateway', policy === 'report' && a.failure ? `report: ${a.summary}` : a.summary);
    if (a.failure) {
      if (policy === 'enforce') throw new GatewayFault('providerSignatureInvalid', { reason: a.summary });
      logReportOnce(ex.log, { kind: 'provider signature', sender: answer.envelope.message?.sender?.code, sid: ex.service!.sid }, { signature: a.summary }, 'provider signature check failed');
    }
  };
}
