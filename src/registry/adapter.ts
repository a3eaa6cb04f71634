import type { Envelope } from '../envelope/model';
import type { Service, Operation } from './load';

/** What the route stage hands to a provider adapter. */
export interface ProviderCall {
  service: Service;
  operation: Operation;
  /** the envelope as forwarded: the consumer's bytes plus the node's header */
  bytes: Buffer;
  soapAction?: string;
  /** the MessageId the node stamped on this request */
  messageId: string;
  /** typed view of the consumer's message */
  request: Envelope;
}

export interface ProviderAnswer {
  status: number;
  bytes: Buffer;
  contentType?: string;
}

/** A provider: a real upstream service (http) or an emulated one (emulator). Failures throw GatewayFault. */
export interface ProviderAdapter {
  call(c: ProviderCall): Promise<ProviderAnswer>;
  close?(): Promise<void>;
}
