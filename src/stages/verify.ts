import type { Stage } from '../pipeline/compose';
import { markLeg, type Exchange, type LegDirection } from '../pipeline/exchange';
import type { TrustStore } from '../signature/trust';
import { judgeMessage } from '../signature/judge';
import { GatewayFault } from '../faults/catalogue';
import { logReportOnce } from '../log';

/**
 * The sender's signature, both ways: the consumer's on the request (before anything else acts on
 * it) and the provider's on the answer, judged by signature/judge.ts (as `verify` and `check` are). Per SID: enforce refuses, report journals and passes, off
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
    const algorithms = ex.service!.def.signatureAlgorithms;
    const j = judgeMessage(ex.request!, trust, { at: clock(), algorithms });
    // what the replay stage may remember: only what a verified signature covers
    if (!j.failure) ex.signedContent = j.signedContent;
    mark('consumer->gateway', policy === 'report' && j.failure ? `report: ${j.summary}` : j.summary);
    if (j.failure) {
      if (policy === 'enforce') throw new GatewayFault(j.failure.fault, j.failure.params);
      logReportOnce(ex.log, { kind: 'signature', sender: ex.request!.envelope.message?.sender?.code, sid: ex.service!.sid }, { signature: j.summary }, 'signature check failed');
    }

    await next();

    const answer = ex.answer?.parsed;
    if (!answer || answer.envelope.fault || ex.answer?.fromNode) return;
    const a = judgeMessage(answer, trust, { at: clock(), algorithms });
    mark('provider->gateway', policy === 'report' && a.failure ? `report: ${a.summary}` : a.summary);
    if (a.failure) {
      if (policy === 'enforce') throw new GatewayFault('providerSignatureInvalid', { reason: a.summary });
      logReportOnce(ex.log, { kind: 'provider signature', sender: answer.envelope.message?.sender?.code, sid: ex.service!.sid }, { signature: a.summary }, 'provider signature check failed');
    }
  };
}
