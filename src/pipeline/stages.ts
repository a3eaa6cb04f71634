import { compose } from './compose';
import type { Exchange } from './exchange';
import type { Journal } from '../journal/journal';
import type { Registry } from '../registry/registry';
import { journal } from '../stages/journal';
import { respond } from '../stages/respond';
import { parse } from '../stages/parse';
import { route } from '../stages/route';
import { stamp } from '../stages/stamp';
import { verify } from '../stages/verify';
import { control } from '../stages/control';
import { authorize } from '../stages/authorize';
import { replay } from '../stages/replay';
import type { EnvelopeSchemas } from '../control/envelope-schemas';
import type { ReplayGuard } from '../control/replay';
import type { Limits } from '../control/limits';
import type { TrustStore } from '../signature/trust';
import type { Signer } from '../signature/sign';
import { deliver } from '../stages/deliver';
import { queue } from '../stages/queue';
import type { Outbox } from '../queue/outbox';
import type { Events } from '../queue/events';
import type { Metrics } from '../metrics/metrics';

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
  events: Events;
  /** Prometheus metrics, counted per exchange by the journal stage */
  metrics?: Metrics;
}

/**
 * The whole flow of a SOAP call, in order. Each stage acts on the request on the way in and on
 * the answer on the way out (in reverse order).
 */
export function buildPipeline(d: PipelineDeps): (ex: Exchange) => Promise<void> {
  return compose<Exchange>([
    journal(d.journal, d.events, d.metrics), // every leg durable before the reply leaves; outermost so faults are journaled (and counted) too
    respond(), //          any failure becomes the catalogue's SOAP fault
    parse(d.limits), //    limits on the bytes, then a typed envelope view (bytes kept as they are)
    route(d.registry), //  SID -> service, Body element -> WSDL operation
    control({ //           format-logical control: envelope and payload schemas, logical rules
      envelopeSchemas: d.envelopeSchemas, payloadSchema: (sid) => d.registry.payloadSchema(sid), trust: d.trust,
      clock: d.clock, maxDateSkewSeconds: d.maxDateSkewSeconds,
    }),
    verify(d.trust, d.clock), // the sender's signature: the consumer's in, the provider's out
    replay(d.replay, d.clock), // the same signed message twice is refused; remembered only once verified
    authorize(d.trust), // access rights of the (now authenticated) Sender to the SID and operation
    stamp(d.node), //      the node's smev:Header and signature: REQUEST in, RESPONSE out
    queue(d.outbox, d.events), // delivery: guaranteed: store, answer ACCEPT, answer PINGs from the store
    deliver(d.registry), // the SID's provider adapter (http or emulator)
  ]);
}
