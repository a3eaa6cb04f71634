import type { Stage } from '../pipeline/compose';
import { markLeg, type Exchange, type LegDirection } from '../pipeline/exchange';
import { GatewayFault, renderFaultString, FAULTS } from '../faults/catalogue';
import type { CompiledSchema } from '../control/schemas';
import type { EnvelopeSchemas } from '../control/envelope-schemas';
import type { Violation } from '../control/logic';
import { requestViolations, answerViolations } from '../control/check';
import type { TrustStore } from '../signature/trust';
import { logReportOnce } from '../log';

export interface ControlDeps {
  envelopeSchemas: EnvelopeSchemas;
  payloadSchema(sid: string): CompiledSchema | undefined;
  trust: TrustStore;
  clock: () => Date;
  maxDateSkewSeconds: number;
}

/**
 * Format-logical control, both ways: the envelope schema of the message's revision, the SID's
 * WSDL/XSD bundle for the operation element, and the logical rules (PROTOCOL.md §1–4). Per SID:
 * enforce refuses the first violation, report journals them all and passes, off skips.
 */
export function control(d: ControlDeps): Stage<Exchange> {
  return async (ex, next) => {
    const service = ex.service!;
    const policy = service.def.control;
    const mark = (direction: LegDirection, verdict: string) => markLeg(ex, direction, 'control', verdict);
    if (policy === 'off') {
      mark('consumer->gateway', 'not checked (policy off)');
      await next();
      return;
    }
    const request = ex.request!;
    const payload = d.payloadSchema(service.sid);
    const violations = requestViolations(request, service, ex.operation!, {
      envelopeSchemas: d.envelopeSchemas, payload, isRegistered: (m) => d.trust.systems.has(m), maxDateSkewSeconds: d.maxDateSkewSeconds, now: d.clock(),
    });
    settle(violations, 'consumer->gateway');

    await next();

    const answer = ex.answer?.parsed;
    if (!answer || answer.envelope.fault || ex.answer?.fromNode) return;
    settle(answerViolations(answer, request, service, { envelopeSchemas: d.envelopeSchemas, payload }), 'provider->gateway');

    function settle(v: Violation[], direction: LegDirection): void {
      if (!v.length) {
        mark(direction, 'ok');
        return;
      }
      const text = v.map((x) => renderFaultString(FAULTS[x.fault], x.params)).join(' | ');
      if (policy === 'enforce') {
        mark(direction, text);
        throw new GatewayFault(v[0]!.fault, v[0]!.params);
      }
      mark(direction, `report: ${text}`);
      const from = direction === 'consumer->gateway' ? request : ex.answer?.parsed ?? request;
      logReportOnce(ex.log, { kind: `control ${direction}`, sender: from.envelope.message?.sender?.code, sid: service.sid }, { control: text }, 'format-logical control failed');
    }
  };
}
