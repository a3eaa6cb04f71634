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
import type { TrustStore } from '../signature/trust';
import type { Signer } from '../signature/sign';
import { deliver } from '../stages/deliver';

export interface PipelineDeps {
  journal: Journal;
  registry: Registry;
  trust: TrustStore;
  /** the time certificates are judged at */
  clock: () => Date;
  /** the node's signing key; without one the node does not sign */
  node?: Signer;
}

/**
 * The whole flow of a SOAP call, in order. Each stage acts on the request on the way in and on
 * the answer on the way out (in reverse order). Control and access stages slot in between
 * verify and stamp.
 */
export function buildPipeline(d: PipelineDeps): (ex: Exchange) => Promise<void> {
  return compose<Exchange>([
    journal(d.journal), // every leg durable before the reply leaves; outermost so faults are journaled too
    respond(), //          any failure becomes the catalogue's SOAP fault
    parse(), //            bytes -> typed envelope view (bytes kept as they are)
    route(d.registry), //  SID -> service, Body element -> WSDL operation
    verify(d.trust, d.clock), // the sender's signature: the consumer's in, the provider's out
    stamp(d.node), //      the node's smev:Header and signature: REQUEST in, RESPONSE out
    deliver(d.registry), // the SID's provider adapter (http or emulator)
  ]);
}
