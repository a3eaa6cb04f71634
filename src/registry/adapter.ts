import type { ParsedEnvelope } from '../envelope/parse';
import type { Slices } from '../slices';
import type { MimeParts, MultipartLimits, Spool } from '../http/multipart';
import type { Service, Operation } from './load';

/** What the route stage hands to a provider adapter. */
export interface ProviderCall {
  service: Service;
  operation: Operation;
  /** the envelope as forwarded: the consumer's bytes plus the node's header, as slices (join() for one buffer) */
  bytes: Slices;
  soapAction?: string;
  /** the MessageId the node stamped on this request */
  messageId: string;
  /**
   * The request as the pipeline parsed it, with its typed view (the Body is the forwarded one's; the header lacks
   * the node's blocks), for an adapter that reads it in process: its document is the pipeline's,
   * never disposed by the adapter.
   */
  parsed: ParsedEnvelope;
  /** MTOM: the parts that go with `bytes` (the root part) */
  parts?: MimeParts;
  /** where an MTOM answer's large parts are spooled, and its limits */
  answerParts?: { spool: Spool; limits: Omit<MultipartLimits, 'maxRootBytes' | 'idleTimeoutMs'> };
}

export interface ProviderAnswer {
  status: number;
  /** the answer's envelope (MTOM: the root part) */
  bytes: Buffer;
  contentType?: string;
  /** MTOM: the answer's other parts */
  parts?: MimeParts;
  /** the kind of fault injected into this answer (providers/inject.ts): journaled on the provider leg */
  injected?: string;
}

/** A provider: a real upstream service (http) or an emulated one (emulator). Failures throw GatewayFault. */
export interface ProviderAdapter {
  call(c: ProviderCall): Promise<ProviderAnswer>;
  close?(): Promise<void>;
}
