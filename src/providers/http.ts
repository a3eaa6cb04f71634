import { GatewayFault } from '../faults/catalogue';
import { post, PostError } from '../http/client';
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
    try {
      return await post(this.url, c.bytes, {
        contentType: 'text/xml; charset=utf-8',
        soapAction: c.soapAction ?? c.operation.soapAction ?? '',
        connectTimeoutMs: s.connectTimeoutMs,
        readTimeoutMs: s.readTimeoutMs,
        maxAnswerBytes: s.maxAnswerBytes,
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
    default: return new GatewayFault('providerUnreachable', {}, e.detail ?? e.message);
  }
}
