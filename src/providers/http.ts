import { GatewayFault } from '../faults/catalogue';
import { post, PostError } from '../http/client';
import { writeMultipart } from '../http/multipart';
import type { ProviderAdapter, ProviderAnswer, ProviderCall } from '../registry/adapter';

export interface HttpAdapterSettings {
  url: string;
  connectTimeoutMs: number;
  readTimeoutMs: number;
  maxAnswerBytes: number;
}

/** Forwards the envelope to the provider's URL (the one outbound client) and returns its answer. */
export class HttpAdapter implements ProviderAdapter {
  private readonly url: URL;

  constructor(private readonly s: HttpAdapterSettings) {
    this.url = new URL(s.url);
  }

  async call(c: ProviderCall): Promise<ProviderAnswer> {
    const { s } = this;
    // MTOM goes on as MTOM: the root part (the envelope with the node's marks) and the parts as they came
    const mtom = c.parts ? writeMultipart({ bytes: c.bytes }, c.parts.parts, c.parts.framing) : undefined;
    try {
      return await post(this.url, mtom ?? c.bytes, {
        contentType: mtom?.contentType ?? 'text/xml; charset=utf-8',
        soapAction: c.soapAction ?? c.operation.soapAction ?? '',
        connectTimeoutMs: s.connectTimeoutMs,
        readTimeoutMs: s.readTimeoutMs,
        maxAnswerBytes: s.maxAnswerBytes,
        parts: c.answerParts,
      });
    } catch (e) {
      throw e instanceof PostError ? toFault(e, s) : e;
    }
  }
}

function toFault(e: PostError, s: HttpAdapterSettings): GatewayFault {
  switch (e.kind) {
    case 'timeout': return new GatewayFault('providerTimeout', { timeoutMs: s.readTimeoutMs });
    case 'connectTimeout': return new GatewayFault('providerConnectTimeout', { timeoutMs: s.connectTimeoutMs });
    case 'tooLarge': return new GatewayFault('providerAnswerTooLarge', { limit: s.maxAnswerBytes });
    case 'interrupted': return new GatewayFault('providerUnreachable', {}, e.message);
    case 'badMultipart': return new GatewayFault('providerAnswerInvalid', { status: 200, reason: e.message.slice(0, 300) });
    default: return new GatewayFault('providerUnreachable', {}, e.detail ?? e.message);
  }
}
