import { compose } from './compose';
import type { Exchange } from './exchange';
import type { Journal } from '../journal/journal';
import type { Registry } from '../registry/registry';
import { journal } from '../stages/journal';
import { respond } from '../stages/respond';
import { parse } from '../stages/parse';
import { route } from '../stages/route';
import { stamp } from '../stages/stamp';
import { deliver } from '../stages/deliver';

export interface PipelineDeps {
  journal: Journal;
  registry: Registry;
}

/**
 * The whole flow of a SOAP call, in order. Each stage acts on the request on the way in and on
 * the answer on the way out (in reverse order). Signature, control and access stages slot in
 * between route and stamp (verify, control, authorize) and between stamp and deliver (sign).
 */
export function buildPipeline(d: PipelineDeps): (ex: Exchange) => Promise<void> {
  return compose<Exchange>([
    journal(d.journal), // every leg durable before the reply leaves; outermost so faults are journaled too
    respond(), //          any failure becomes the catalogue's SOAP fault
    parse(), //            bytes -> typed envelope view (bytes kept as they are)
    route(d.registry), //  SID -> service, Body element -> WSDL operation
    stamp(), //            the node's smev:Header: REQUEST on the way in, RESPONSE on the way out
    deliver(d.registry), // the SID's provider adapter (http or emulator)
  ]);
}
