import type { Stage } from '../pipeline/compose';
import type { Exchange } from '../pipeline/exchange';
import type { Registry } from '../registry/registry';
import { GatewayFault } from '../faults/catalogue';
import { parseEnvelope, NotSoapError } from '../envelope/parse';
import { XmlSyntaxError } from '../xml/dom';
import { foreignEncoding } from '../envelope/encoding';

/**
 * The innermost stage: hands the forwarded envelope to the SID's provider adapter and records
 * both provider legs, whatever the outcome.
 */
export function deliver(registry: Registry): Stage<Exchange> {
  return async (ex) => {
    const adapter = registry.adapter(ex.sid)!;
    const sentAt = new Date();
    const t0 = process.hrtime.bigint();
    ex.legs.push({ direction: 'gateway->provider', at: sentAt, bytes: ex.forward!, envelope: { ...ex.request!.envelope, raw: ex.forward! }, messageId: ex.messageId, signature: ex.nodeSignature });
    let answer;
    try {
      answer = await adapter.call({
        service: ex.service!,
        operation: ex.operation!,
        bytes: ex.forward!,
        soapAction: ex.http.soapAction,
        messageId: ex.messageId!,
        request: ex.request!.envelope,
      });
    } catch (e) {
      if (e instanceof GatewayFault) {
        ex.legs.push({ direction: 'provider->gateway', at: new Date(), bytes: Buffer.alloc(0), durationMs: ms(t0), faultCode: e.spec.code || e.kind });
      }
      throw e;
    }
    const leg = { direction: 'provider->gateway' as const, at: new Date(), bytes: answer.bytes, httpStatus: answer.status, durationMs: ms(t0) };
    ex.legs.push(leg);
    const foreign = foreignEncoding(answer.bytes, answer.contentType);
    if (foreign) throw new GatewayFault('providerAnswerInvalid', { status: answer.status, reason: `the answer is in ${foreign.encoding} (${foreign.where}), not UTF-8` });
    try {
      // kept parsed for the stages on the way back; the parse stage disposes it
      const parsed = parseEnvelope(answer.bytes);
      Object.assign(leg, { envelope: parsed.envelope });
      ex.answer = { status: answer.status, bytes: answer.bytes, envelope: parsed.envelope, contentType: answer.contentType, parsed };
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
