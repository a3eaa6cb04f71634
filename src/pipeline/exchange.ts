import type { Logger } from 'pino';
import type { Envelope, SmevMessage } from '../envelope/model';
import { parseEnvelope, type ParsedEnvelope } from '../envelope/parse';
import type { Service, Operation } from '../registry/load';
import type { GatewayFault, FaultName } from '../faults/catalogue';
import type { MimePart, MimeParts, Spool } from '../http/multipart';
import type { AppDocumentReport } from '../attachments/model';
import type { Bytes, Slices } from '../slices';
import { spooledOf } from '../xml/elide';

/** The four legs of one synchronous exchange, as the journal records them. */
export type LegDirection = 'consumer->gateway' | 'gateway->provider' | 'provider->gateway' | 'gateway->consumer';

export interface Leg {
  direction: LegDirection;
  at: Date;
  /** the message (the forwarded request: as slices of the consumer's bytes, stamp.ts) */
  bytes: Bytes;
  /** the typed view of `bytes`, when they parsed */
  envelope?: Envelope;
  /** the node's MessageId stamped on this leg (forwarded request / answer) */
  messageId?: string;
  httpStatus?: number;
  durationMs?: number;
  faultCode?: string;
  /** the signature verdict of this leg */
  signature?: Verdict;
  /** the format-logical control verdict of this leg (with access rights and the replay guard) */
  control?: Verdict;
  /** the MTOM parts that travelled with `bytes` (the root part): stored by hash beside the journal */
  parts?: MimePart[];
  /** what the attachments stage found in the leg's AppDocument */
  attachments?: LegAttachments;
}

/** The AppDocument of one leg, judged (src/stages/attachments.ts). */
export interface LegAttachments {
  verdict: Verdict;
  documents: AppDocumentReport[];
}

/**
 * What one check (signature, or control) concluded about one leg. `failed` with `passed` is a
 * failure the SID's `report` policy let through; the journal writes each as one line of text
 * (verdictText), as it always has: `ok`, `report: …`, `not checked (policy off)`, or the failure.
 */
export type Verdict =
  | { outcome: 'ok'; text?: string }
  | { outcome: 'failed'; passed: boolean; text: string; faults?: Finding[] }
  | { outcome: 'not-checked'; text: string };

/** One failed check behind a verdict, as the fault the gateway answers for it (`check` lists them). */
export interface Finding {
  check: 'signature' | 'control' | 'access' | 'replay' | 'attachments';
  faultstring: string;
}

export function verdictText(v: Verdict): string {
  if (v.outcome === 'ok') return v.text ?? 'ok';
  if (v.outcome === 'failed') return v.passed ? `report: ${v.text}` : v.text;
  return v.text;
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

/** The provider's answer (or the node's own), parsed once; setAnswer owns its document. */
export interface Answer {
  status: number;
  bytes: Buffer;
  envelope: Envelope;
  contentType?: string;
  parsed: ParsedEnvelope;
  /** the node's own answer (ACCEPT, PROCESS, FAILURE, INVALID): no provider signature to judge */
  fromNode?: boolean;
  /** the node's header and signature are on `bytes` (stamp) */
  marked?: boolean;
  /** MTOM: the parts that came with the answer's envelope (`bytes` is the root part) */
  parts?: MimeParts;
}

/**
 * Everything one exchange carries through the pipeline: a consumer's SOAP call (origin
 * `consumer`, with its HTTP request), or one attempt of the delivery worker at an outbox item
 * (origin `outbox`: the provider leg of a guaranteed delivery, through the same stages).
 */
export interface Exchange {
  id: string;
  origin: 'consumer' | 'outbox';
  started: bigint;
  receivedAt: Date;
  /** the consumer's HTTP request (origin consumer) */
  http?: HttpRequestInfo;
  sid: string;
  version?: string;
  log: Logger;
  /**
   * the consumer's bytes, never altered (MTOM: the root part); after the parse stage, when a large
   * inline text went to the spool (xml/elide.ts spoolLargeTexts), the skeleton that stands for
   * them: requestOnTheWire gives the bytes as they came
   */
  raw: Buffer;
  /** MTOM: the consumer's other parts, and how the message was framed */
  requestParts?: MimeParts;
  /** where this exchange's large parts are spooled (released when the exchange ends) */
  spool?: Spool;
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
  /**
   * bytes to send to the provider: the consumer's envelope plus the node's header blocks, as
   * slices of `request.envelope.raw` (a large request is not held twice)
   */
  forward?: Slices;
  /** the provider's answer, or the node's own; after stamp, with the node's marks */
  answer?: Answer;
  /** what goes back to the consumer (MTOM: `bytes` is the root part, sent with `parts`) */
  response?: { status: number; bytes: Buffer; contentType: string; parts?: MimeParts };
  /** the typed view of the response, for the journal */
  responseEnvelope?: Envelope;
  fault?: GatewayFault;
  legs: Leg[];
}

/**
 * `bytes` made of the request's (its own, or the forwarded one made from them) as they travel: the
 * placeholders of texts spooled as the request was taken replaced by their files' ranges. The
 * same bytes when nothing was spooled.
 */
export function onTheWire(raw: Buffer, bytes: Slices): Slices;
export function onTheWire(raw: Buffer, bytes: Bytes): Bytes;
export function onTheWire(raw: Buffer, bytes: Bytes): Bytes {
  const spooled = spooledOf(raw);
  return spooled ? spooled.expand(bytes) : bytes;
}

/** The consumer's bytes as they came (the skeleton's texts read from the spool, when spooled). */
export function requestOnTheWire(ex: Exchange): Bytes {
  return onTheWire(ex.raw, ex.raw);
}

/** How many bytes the consumer's request is, spooled texts included. */
export function requestLength(ex: Exchange): number {
  const spooled = spooledOf(ex.raw);
  return spooled ? spooled.wireLength(ex.raw.length) : ex.raw.length;
}

/** Record a verdict (signature or control) on the exchange's leg of that direction, if it exists yet. */
export function markLeg(ex: Exchange, direction: LegDirection, field: 'signature' | 'control', verdict: Verdict): void {
  const leg = ex.legs.find((l) => l.direction === direction);
  if (leg) leg[field] = verdict;
}

/**
 * Add a failure to a leg's control verdict (access rights, the replay guard run after control):
 * an `ok` is replaced, failures are joined.
 */
export function addControlFailure(ex: Exchange, direction: LegDirection, failure: Extract<Verdict, { outcome: 'failed' }>): void {
  const leg = ex.legs.find((l) => l.direction === direction);
  if (!leg) return;
  const before = leg.control;
  leg.control = before?.outcome === 'failed'
    ? { outcome: 'failed', passed: before.passed && failure.passed, text: `${before.text} | ${failure.passed ? 'report: ' : ''}${failure.text}`, faults: [...before.faults ?? [], ...failure.faults ?? []] }
    : failure;
}

/**
 * The one place an answer's document is made: parse `bytes` (throws on what is not a SOAP
 * envelope) and hold it on the exchange, disposing any answer held before.
 */
export function setAnswer(ex: Exchange, bytes: Buffer, o: { status: number; contentType?: string; fromNode?: boolean; parts?: MimeParts }): Answer {
  const parsed = parseEnvelope(bytes, { purpose: 'answer' });
  ex.answer?.parsed.doc.dispose();
  ex.answer = { status: o.status, bytes, envelope: parsed.envelope, contentType: o.contentType, parsed, fromNode: o.fromNode, parts: o.parts };
  return ex.answer;
}

/**
 * The one place the exchange's documents are let go (the request's and the answer's); their
 * typed views (envelope) stay for the journal.
 */
export function disposeDocuments(ex: Exchange): void {
  if (ex.request) {
    ex.request.doc.dispose();
    ex.request = { ...ex.request, doc: DISPOSED };
  }
  if (ex.answer) {
    ex.answer.parsed.doc.dispose();
    ex.answer = { ...ex.answer, parsed: { ...ex.answer.parsed, doc: DISPOSED } };
  }
}

/** Stands for a document already disposed: disposing it again does nothing. */
const DISPOSED = { dispose() {} } as ParsedEnvelope['doc'];

/**
 * What a stage may take as given, by what runs before it: each accessor names the stage that
 * provides it, and a missing value is a bug in the order of stages (an internal error), never a
 * client's fault.
 */
function missing(what: string, stage: string): never {
  throw new Error(`pipeline order: ${what} is read before the ${stage} stage set it`);
}

/** parse (consumer) or the delivery worker (outbox) */
export function requestOf(ex: Exchange): ParsedEnvelope {
  return ex.request ?? missing('the request', 'parse');
}

/** route: the SID's service, the operation, and the request's smev:Message */
export function routeOf(ex: Exchange): { service: Service; operation: Operation; request: ParsedEnvelope; message: SmevMessage; smevNamespace: string } {
  const request = requestOf(ex);
  const { message, smevNamespace } = request.envelope;
  if (!ex.service || !ex.operation || !message || !smevNamespace) return missing('the service, operation and smev:Message', 'route');
  return { service: ex.service, operation: ex.operation, request, message, smevNamespace };
}

/** stamp (request): the node's MessageId and the bytes to forward */
export function forwardOf(ex: Exchange): { messageId: string; forward: Slices } {
  if (!ex.messageId || !ex.forward) return missing('the forwarded request', 'stamp');
  return { messageId: ex.messageId, forward: ex.forward };
}
