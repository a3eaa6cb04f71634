import type { Logger } from 'pino';
import type { Envelope } from '../envelope/model';
import type { ParsedEnvelope } from '../envelope/parse';
import type { Service, Operation } from '../registry/load';
import type { GatewayFault, FaultName } from '../faults/catalogue';

/** The four legs of one synchronous exchange, as the journal records them. */
export type LegDirection = 'consumer->gateway' | 'gateway->provider' | 'provider->gateway' | 'gateway->consumer';

export interface Leg {
  direction: LegDirection;
  at: Date;
  bytes: Buffer;
  /** the typed view of `bytes`, when they parsed */
  envelope?: Envelope;
  /** the node's MessageId stamped on this leg (forwarded request / answer) */
  messageId?: string;
  httpStatus?: number;
  durationMs?: number;
  faultCode?: string;
  /** the signature verdict of this leg (see journal) */
  signature?: string;
  /** the format-logical control verdict of this leg: 'ok', or the violations */
  control?: string;
}

export interface HttpRequestInfo {
  method: string;
  path: string;
  soapAction?: string;
  remoteAddress?: string;
  contentType?: string;
  /** the body went past the size limit: `raw` holds only its start */
  tooLarge?: { size: number; limit: number };
  /** the body did not arrive within the request timeout */
  slow?: { timeoutMs: number };
  /** refused before reading: too many exchanges in work */
  overloaded?: { inFlight: number };
  /**
   * refused by the HTTP layer before a SOAP body could be read (bad framing, headers too large or
   * too slow, no service address, a method other than POST): the parse stage raises this fault,
   * so the refusal is answered, journaled and counted like any other
   */
  refused?: { fault: FaultName; params: Record<string, string | number> };
}

/** Everything one SOAP call carries through the pipeline. */
export interface Exchange {
  id: string;
  started: bigint;
  receivedAt: Date;
  http: HttpRequestInfo;
  sid: string;
  version?: string;
  log: Logger;
  /** the consumer's bytes, never altered */
  raw: Buffer;
  service?: Service;
  operation?: Operation;
  request?: ParsedEnvelope;
  /** the node MessageId of the forwarded request */
  messageId?: string;
  /** the chain the exchange belongs to: the request's OriginRequestIdRef, or the node MessageId that starts one */
  chainId?: string;
  /**
   * What the consumer's verified signature covers, with its value (SHA-256 of the canonical
   * SignedInfo and the decoded SignatureValue); absent
   * when the signature was not verified or failed. The replay guard remembers this.
   */
  signedContent?: string;
  /** how the node signed what it sent on (journaled with the outgoing legs) */
  nodeSignature?: string;
  responseSignature?: string;
  /** bytes to send to the provider (the consumer's envelope plus the node's header blocks) */
  forward?: Buffer;
  /** the provider's answer */
  answer?: { status: number; bytes: Buffer; envelope: Envelope; contentType?: string; parsed?: ParsedEnvelope; fromNode?: boolean };
  /** what goes back to the consumer */
  response?: { status: number; bytes: Buffer; contentType: string };
  /** the typed view of the response, for the journal */
  responseEnvelope?: Envelope;
  fault?: GatewayFault;
  legs: Leg[];
}

/** Record a verdict (signature or control) on the exchange's leg of that direction, if it exists yet. */
export function markLeg(ex: Exchange, direction: LegDirection, field: 'signature' | 'control', verdict: string): void {
  const leg = ex.legs.find((l) => l.direction === direction);
  if (leg) leg[field] = verdict;
}
