import type { Stage } from '../pipeline/compose';
import { markLeg, routeOf, type Exchange } from '../pipeline/exchange';
import type { TrustStore } from '../signature/trust';
import { judgeMessageAsync } from '../signature/judge';
import { signerDigestUri, type Signer } from '../signature/sign';
import { GatewayFault } from '../faults/catalogue';
import { logReportOnce } from '../log';

/**
 * The consumer's signature on the request, before anything else acts on it, judged by
 * signature/judge.ts (as `verify` and `check` are). Per SID: enforce refuses, report journals
 * and passes, off does not look. A GOST signature value is checked on the crypto pool
 * (SMEV2_CRYPTO_THREADS) while the event loop goes on with other exchanges; a pool that could not
 * check it fails the exchange as an internal error (GW-9000), never as a bad signature.
 */
export function verifyRequest(trust: TrustStore, clock: () => Date, node?: Signer): Stage<Exchange> {
  const alsoDigest = nodeDigests(node);
  return async (ex, next) => {
    const { service, request, message } = routeOf(ex);
    const policy = service.def.signature;
    if (policy === 'off') {
      markLeg(ex, 'consumer->gateway', 'signature', { outcome: 'not-checked', text: 'not checked (policy off)' });
      return next();
    }
    const j = await judgeMessageAsync(request, trust, { at: clock(), algorithms: service.def.signatureAlgorithms, alsoDigest });
    // what the replay stage may remember: only what a verified signature covers
    if (!j.failure) ex.signedContent = j.signedContent;
    markLeg(ex, 'consumer->gateway', 'signature', j.failure
      ? { outcome: 'failed', passed: policy === 'report', text: j.summary, faults: [{ check: 'signature', faultstring: new GatewayFault(j.failure.fault, j.failure.params).faultstring }] }
      : { outcome: 'ok', text: j.summary });
    if (j.failure) {
      if (policy === 'enforce') throw new GatewayFault(j.failure.fault, j.failure.params);
      logReportOnce(ex.log, { kind: 'signature', sender: message.sender?.code, sid: service.sid }, { signature: j.summary }, 'signature check failed');
    }
    await next();
  };
}

/**
 * The provider's signature on its answer, on the way back: of a synchronous exchange, and of
 * each delivery attempt of the outbox (so a callback carries only an answer judged like a polled
 * one). The node's own answers and SOAP faults carry no provider signature.
 */
export function verifyAnswer(trust: TrustStore, clock: () => Date, node?: Signer): Stage<Exchange> {
  const alsoDigest = nodeDigests(node);
  return async (ex, next) => {
    await next();
    const { service } = routeOf(ex);
    const policy = service.def.signature;
    const a = ex.answer;
    if (!a || a.envelope.fault || a.fromNode) return;
    if (policy === 'off') {
      markLeg(ex, 'provider->gateway', 'signature', { outcome: 'not-checked', text: 'not checked (policy off)' });
      return;
    }
    const j = await judgeMessageAsync(a.parsed, trust, { at: clock(), algorithms: service.def.signatureAlgorithms, alsoDigest });
    markLeg(ex, 'provider->gateway', 'signature', j.failure ? { outcome: 'failed', passed: policy === 'report', text: j.summary } : { outcome: 'ok', text: j.summary });
    if (j.failure) {
      if (policy === 'enforce') throw new GatewayFault('providerSignatureInvalid', { reason: j.summary });
      logReportOnce(ex.log, { kind: 'provider signature', sender: a.envelope.message?.sender?.code, sid: service.sid }, { signature: j.summary }, 'provider signature check failed');
    }
  };
}

/** The digest the node signs the Body with, computed while the sender's Body digest is (stamp.ts takes it). */
function nodeDigests(node: Signer | undefined): string[] {
  const uri = node && signerDigestUri(node);
  return uri ? [uri] : [];
}
