import type { Stage } from '../pipeline/compose';
import { markLeg, routeOf, type Exchange, type LegDirection } from '../pipeline/exchange';
import { GatewayFault, renderFaultString, FAULTS } from '../faults/catalogue';
import type { CompiledSchema } from '../control/schemas';
import type { EnvelopeSchemas } from '../control/envelope-schemas';
import type { Violation } from '../control/logic';
import { requestViolations, answerViolations } from '../control/check';
import type { TrustStore } from '../signature/trust';
import type { ParsedEnvelope } from '../envelope/parse';
import { logReportOnce } from '../log';

export interface ControlDeps {
  envelopeSchemas: EnvelopeSchemas;
  payloadSchema(sid: string): CompiledSchema | undefined;
  trust: TrustStore;
  clock: () => Date;
  maxDateSkewSeconds: number;
}

/**
 * Format-logical control of the consumer's request: the envelope schema of the message's
 * revision, the SID's WSDL/XSD bundle for the operation element, and the logical rules
 * (PROTOCOL.md §1–4). Per SID: enforce refuses the first violation, report journals them all and
 * passes, off skips.
 */
export function controlRequest(d: ControlDeps): Stage<Exchange> {
  return async (ex, next) => {
    const { service, operation, request } = routeOf(ex);
    if (service.def.control === 'off') {
      markLeg(ex, 'consumer->gateway', 'control', { outcome: 'not-checked', text: 'not checked (policy off)' });
      return next();
    }
    const violations = requestViolations(request, service, operation, {
      envelopeSchemas: d.envelopeSchemas, payload: d.payloadSchema(service.sid), isRegistered: (m) => d.trust.systems.has(m), maxDateSkewSeconds: d.maxDateSkewSeconds, now: d.clock(),
    });
    settle(ex, violations, 'consumer->gateway', request);
    await next();
  };
}

/**
 * Format-logical control of the provider's answer, on the way back (of a synchronous exchange,
 * and of each delivery attempt of the outbox): its envelope schema, the bundle's output element,
 * and that its ids and parties answer this request.
 */
export function controlAnswer(d: ControlDeps): Stage<Exchange> {
  return async (ex, next) => {
    await next();
    const { service, request } = routeOf(ex);
    const a = ex.answer;
    if (service.def.control === 'off' || !a || a.envelope.fault || a.fromNode) return;
    settle(ex, answerViolations(a.parsed, request, service, { envelopeSchemas: d.envelopeSchemas, payload: d.payloadSchema(service.sid) }), 'provider->gateway', a.parsed);
  };
}

function settle(ex: Exchange, v: Violation[], direction: LegDirection, from: ParsedEnvelope): void {
  const { service } = routeOf(ex);
  const policy = service.def.control;
  if (!v.length) {
    markLeg(ex, direction, 'control', { outcome: 'ok' });
    return;
  }
  const text = v.map((x) => renderFaultString(FAULTS[x.fault], x.params)).join(' | ');
  const faults = v.map((x) => ({ check: 'control' as const, faultstring: renderFaultString(FAULTS[x.fault], x.params) }));
  markLeg(ex, direction, 'control', { outcome: 'failed', passed: policy === 'report', text, faults });
  if (policy === 'enforce') throw new GatewayFault(v[0]!.fault, v[0]!.params);
  logReportOnce(ex.log, { kind: `control ${direction}`, sender: from.envelope.message?.sender?.code, sid: service.sid }, { control: text }, 'format-logical control failed');
}
