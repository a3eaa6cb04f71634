import type { Stage } from '../pipeline/compose';
import { forwardOf, routeOf, setAnswer, type Exchange, type Leg } from '../pipeline/exchange';
import type { Registry } from '../registry/registry';
import type { Config } from '../config';
import { Spool } from '../http/multipart';
import { GatewayFault } from '../faults/catalogue';
import { NotSoapError } from '../envelope/parse';
import { XmlSyntaxError } from '../xml/dom';
import { foreignEncoding } from '../envelope/encoding';
import { InjectedFault } from '../providers/inject';

/**
 * The innermost stage: hands the forwarded envelope to the SID's provider adapter and records
 * both provider legs, whatever the outcome. The answer is parsed once, here, for the stages on
 * the way back.
 */
export function deliver(registry: Registry, attachments: Config['attachments']): Stage<Exchange> {
  const limits = { maxPartBytes: attachments.maxPartBytes, maxTotalBytes: attachments.maxPartsBytes, maxParts: attachments.maxParts, memoryThreshold: attachments.partMemoryBytes };
  return async (ex) => {
    const { service, operation, request } = routeOf(ex);
    const { messageId, forward } = forwardOf(ex);
    const adapter = registry.adapter(ex.sid);
    if (!adapter) throw new GatewayFault('unknownService', { sid: ex.sid });
    const t0 = process.hrtime.bigint();
    ex.legs.push({
      direction: 'gateway->provider', at: new Date(), bytes: forward, envelope: request.envelope, messageId, parts: ex.requestParts?.parts,
      signature: ex.nodeSignature ? { outcome: ex.nodeSignature.startsWith('recipient:') ? 'ok' : 'not-checked', text: ex.nodeSignature } : undefined,
    });
    let answer;
    try {
      ex.spool ??= new Spool(attachments.spoolDir);
      answer = await adapter.call({
        service, operation, bytes: forward, soapAction: ex.http?.soapAction, messageId, parsed: request,
        parts: ex.requestParts, answerParts: { spool: ex.spool, limits },
      });
    } catch (e) {
      if (e instanceof GatewayFault) {
        // an injected fault says so on the provider leg (the consumer's leg carries the fault it got)
        const faultCode = e instanceof InjectedFault ? `injected:${e.injected}` : e.spec.code || e.kind;
        ex.legs.push({ direction: 'provider->gateway', at: new Date(), bytes: Buffer.alloc(0), durationMs: ms(t0), faultCode });
      }
      throw e;
    }
    const leg: Leg = {
      direction: 'provider->gateway', at: new Date(), bytes: answer.bytes, httpStatus: answer.status, durationMs: ms(t0), parts: answer.parts?.parts,
      faultCode: answer.injected ? `injected:${answer.injected}` : undefined,
    };
    ex.legs.push(leg);
    const foreign = foreignEncoding(answer.bytes, answer.contentType);
    if (foreign) throw new GatewayFault('providerAnswerInvalid', { status: answer.status, reason: `the answer is in ${foreign.encoding} (${foreign.where}), not UTF-8` });
    try {
      leg.envelope = setAnswer(ex, answer.bytes, { status: answer.status, contentType: answer.contentType, parts: answer.parts }).envelope;
    } catch (e) {
      if (e instanceof XmlSyntaxError || e instanceof NotSoapError) {
        throw new GatewayFault('providerAnswerInvalid', { status: answer.status, reason: e.message.slice(0, 300) });
      }
      throw e;
    }
  };
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
