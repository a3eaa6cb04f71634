import type { Stage } from '../pipeline/compose';
import { addControlFailure, routeOf, type Exchange } from '../pipeline/exchange';
import type { ReplayGuard } from '../control/replay';
import { GatewayFault, renderFaultString, FAULTS } from '../faults/catalogue';
import { logReportOnce } from '../log';

/**
 * The replay guard, after verify: a consumer's message is remembered by what its verified
 * signature covers and the signature's value (the digest of its canonical SignedInfo, which holds
 * the Body's digest, and of the decoded SignatureValue), so no
 * edit outside the signed content (the Security block's attributes, white space or junk in
 * SignatureValue, prefixes, an extra unsigned header) makes a replay new, and an unsigned or
 * forged copy sent first cannot block the real message: an unverified message is remembered only
 * by its MessageId, in another key space. Runs under the SID's control policy.
 */
export function replay(guard: ReplayGuard, clock: () => Date): Stage<Exchange> {
  return async (ex, next) => {
    const { service, request, message } = routeOf(ex);
    const policy = service.def.control;
    if (policy === 'off') return next();
    const keys: string[] = [];
    if (ex.signedContent) keys.push(`the signed request (signature SHA-256 ${ex.signedContent.slice(0, 16)}…)`);
    else {
      const id = request.envelope.header?.messageId;
      if (id) keys.push(`MessageId ${id}`);
    }
    const seen = await guard.check(keys, clock().getTime());
    if (seen) {
      const params = { what: seen.key, at: seen.at.toISOString() };
      const text = renderFaultString(FAULTS.replayed, params);
      addControlFailure(ex, 'consumer->gateway', { outcome: 'failed', passed: policy === 'report', text, faults: [{ check: 'replay', faultstring: text }] });
      if (policy === 'enforce') throw new GatewayFault('replayed', params);
      logReportOnce(ex.log, { kind: 'replay', sender: message.sender?.code, sid: ex.sid }, { control: text }, 'replayed message');
    }
    await next();
  };
}
