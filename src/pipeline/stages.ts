import { compose } from './compose';
import { requestLength, type Exchange } from './exchange';
import type { Journal } from '../journal/journal';
import type { Registry } from '../registry/registry';
import { metrics } from '../stages/metrics';
import { alerts } from '../stages/alerts';
import { journal } from '../stages/journal';
import { respond } from '../stages/respond';
import { parse } from '../stages/parse';
import { route } from '../stages/route';
import { stampRequest, stampAnswer } from '../stages/stamp';
import { verifyRequest, verifyAnswer } from '../stages/verify';
import { controlRequest, controlAnswer, type ControlDeps } from '../stages/control';
import { authorize } from '../stages/authorize';
import { replay } from '../stages/replay';
import { poll } from '../stages/poll';
import { queue } from '../stages/queue';
import { deliver } from '../stages/deliver';
import { attachmentsRequest, attachmentsAnswer } from '../stages/attachments';
import { convertRequest, convertAnswer } from '../stages/convert';
import type { EnvelopeSchemas } from '../control/envelope-schemas';
import type { ReplayGuard } from '../control/replay';
import type { Limits } from '../control/limits';
import type { TrustStore } from '../signature/trust';
import type { Signer } from '../signature/sign';
import type { Outbox } from '../queue/outbox';
import type { IntakeGate } from '../queue/intake';
import type { Events } from '../queue/events';
import type { Violations } from '../queue/violations';
import type { Metrics } from '../metrics/metrics';
import type { Config } from '../config';
import type { GarbageBudget } from './memory';

export interface PipelineDeps {
  journal: Journal;
  registry: Registry;
  trust: TrustStore;
  /** the time certificates are judged at */
  clock: () => Date;
  /** the node's signing key; without one the node does not sign */
  node?: Signer;
  envelopeSchemas: EnvelopeSchemas;
  replay: ReplayGuard;
  limits: Limits;
  maxDateSkewSeconds: number;
  outbox: Outbox;
  /** guaranteed delivery's intake, held back while the delivery workers are behind (queue/intake.ts) */
  intake?: IntakeGate;
  events: Events;
  /** signature and control failures counted for the operators' violations (queue/violations.ts) */
  violations?: Violations;
  /** Prometheus metrics, counted per finished exchange */
  metrics?: Metrics;
  /** the largest AppDocument made inline by a conversion (the request size limit) */
  maxInlineBytes: number;
  /** limits on MTOM parts and ZIPs, and where parts are spooled (config.attachments) */
  attachments: Config['attachments'];
  /** a large exchange's garbage given back between stages (pipeline/memory.ts) */
  garbage?: GarbageBudget;
}

/** compose's options for a pipeline: the garbage budget's check between stages, by the size of the message. */
function composeOptions(d: PipelineDeps): { between?: (ex: Exchange) => void } {
  const g = d.garbage;
  if (!g) return {};
  // the body the server read, let go once the parse stage has spooled its inline text
  const spooled = new WeakSet<Exchange>();
  return {
    between: (ex) => {
      const length = requestLength(ex);
      if (!spooled.has(ex) && length !== ex.raw.length) {
        spooled.add(ex);
        g.letGo(length);
      } else {
        g.between(Math.max(length, ex.request?.envelope.raw.length ?? 0));
      }
    },
  };
}

function controlDeps(d: PipelineDeps): ControlDeps {
  return { envelopeSchemas: d.envelopeSchemas, payloadSchema: (sid) => d.registry.payloadSchema(sid), trust: d.trust, clock: d.clock, maxDateSkewSeconds: d.maxDateSkewSeconds };
}

function attachmentDeps(d: PipelineDeps) {
  return { trust: d.trust, clock: d.clock, limits: d.attachments.zip, memoryThreshold: d.attachments.partMemoryBytes };
}

/**
 * The whole flow of a consumer's SOAP call, in order. Each stage acts on the request on the way
 * in and on the answer on the way out (in reverse order): docs/architecture.md draws it.
 */
export function buildPipeline(d: PipelineDeps): (ex: Exchange) => Promise<void> {
  const c = controlDeps(d);
  const a = attachmentDeps(d);
  return compose<Exchange>([
    ...(d.metrics ? [metrics(d.metrics)] : []), // counts the finished exchange
    alerts(d.events, d.violations), //     signature and control failures to the subscribers
    journal(d.journal), //   every leg durable before the reply leaves
    respond(), //            the answer, or the catalogue's SOAP fault for any failure inside
    parse(d.limits, { dir: d.attachments.spoolDir, fromBytes: d.attachments.partMemoryBytes }), //      HTTP-layer refusals, encoding, limits on the bytes, then a typed view
    route(d.registry), //    SID -> service, Body element -> operation, a smev:Message
    controlRequest(c), //    format-logical control of the request
    verifyRequest(d.trust, d.clock, d.node), // the consumer's signature (and the Body's digest the node signs with)
    replay(d.replay, d.clock), // the same signed message twice; remembered only once verified
    authorize(d.trust), //   access rights of the (now authenticated) Sender
    attachmentsRequest(a), // the AppDocument: MTOM part and DigestValue, the ZIP's files and signatures
    stampAnswer(d.node), //  on the way out: the node's marks on whatever answer comes back
    convertAnswer(d.maxInlineBytes), // on the way out: the AppDocument in the consumer's form (inline or MTOM)
    poll(d.outbox, d.journal.attachments, { spoolDir: d.attachments.spoolDir, memoryThreshold: d.attachments.partMemoryBytes }), //       guaranteed delivery: polls answered from the store
    convertRequest(d.maxInlineBytes), // the AppDocument in the provider's form (inline or MTOM)
    stampRequest(d.node), // the node's header and signature on the request it sends on
    queue(d.outbox, d.events, d.journal.attachments, d.intake), // guaranteed delivery: store, answer ACCEPT
    controlAnswer(c), //     on the way out: format-logical control of the provider's answer
    attachmentsAnswer(a), // on the way out: the provider's AppDocument
    verifyAnswer(d.trust, d.clock, d.node), // on the way out: the provider's signature
    deliver(d.registry, d.attachments), // the SID's provider adapter (http or emulator)
  ], composeOptions(d));
}

/**
 * One delivery attempt of the outbox (queue/worker.ts): the provider leg of a guaranteed
 * delivery through the same stages as a synchronous exchange's, so what is stored, polled and
 * called back has been judged alike. The worker builds the exchange (the stored request, parsed
 * once) and decides retries; stampAnswer leaves the answer marked for a callback.
 */
export function buildDeliveryPipeline(d: PipelineDeps): (ex: Exchange) => Promise<void> {
  const c = controlDeps(d);
  const a = attachmentDeps(d);
  return compose<Exchange>([
    alerts(d.events, d.violations),
    journal(d.journal),
    stampAnswer(d.node),
    convertAnswer(d.maxInlineBytes),
    controlAnswer(c),
    attachmentsAnswer(a),
    verifyAnswer(d.trust, d.clock, d.node),
    deliver(d.registry, d.attachments),
  ], composeOptions(d));
}
