import { headerBlockSlices, newMessageId, nodeHeaderXml, smevDateTime } from '../envelope/build';
import { Slices } from '../slices';
import { revisionOf, ACTOR } from '../envelope/ns';
import type { Envelope } from '../envelope/model';
import { signEnvelopeAsync, signAsNodeParsed, type Signer } from './sign';
import type { ParsedEnvelope } from '../envelope/parse';
import { carrySpooled } from '../xml/elide';

export interface Marked {
  /** the marked message: views of the bytes given with the node's blocks between them (join() for one buffer) */
  message: Slices;
  messageId: string;
  timeStamp: string;
}

/**
 * The node's marks on a message it sends: its smev:Header (a fresh upper-case MessageId) and,
 * when it has a key, its signature (actor recipient) over that header and the Body; any
 * smev:Header or recipient block already there is replaced, every other byte kept. An RSA
 * signature is computed on node's libuv pool (signEnvelopeAsync), so the JS thread, which is what
 * limits the gateway, goes on with other exchanges meanwhile.
 */
export async function markAsNodeAsync(bytes: Buffer, env: Pick<Envelope, 'smevNamespace' | 'headerBlocks'>, messageClass: 'REQUEST' | 'RESPONSE', node?: Signer, messageId = newMessageId(), parsed?: Pick<ParsedEnvelope, 'body' | 'bodyDigests'>): Promise<Marked> {
  if (node && parsed) {
    // `parsed`: the document already parsed from `bytes` (its Body, and the Body's digests the
    // verify stage computed): marked and signed in one splice, without parsing them again
    const timeStamp = smevDateTime();
    const headerXml = nodeHeaderXml({ smevNamespace: env.smevNamespace!, messageId, messageClass, timeStamp });
    const signed = await signAsNodeParsed(bytes, (i) => isSmevHeader(env, i), headerXml, parsed, node);
    if (signed) return { message: signed, messageId, timeStamp };
  }
  const { stamped, timeStamp } = withNodeHeader(bytes, env, messageClass, messageId);
  // signed from one buffer: this path parses the stamped message (a Body without an id, or no parsed Body given)
  return { message: node ? Slices.of(await signEnvelopeAsync(carrySpooled(bytes, stamped.join()), ACTOR.recipient, node, { header: true })) : stamped, messageId, timeStamp };
}

function withNodeHeader(bytes: Buffer, env: Pick<Envelope, 'smevNamespace' | 'headerBlocks'>, messageClass: 'REQUEST' | 'RESPONSE', messageId: string): { stamped: Slices; timeStamp: string } {
  const timeStamp = smevDateTime();
  const headerXml = nodeHeaderXml({ smevNamespace: env.smevNamespace!, messageId, messageClass, timeStamp });
  return { stamped: headerBlockSlices(bytes, { last: headerXml }, (i) => isSmevHeader(env, i)), timeStamp };
}

/** Is header child `i` a smev:Header (the node's, replaced by a new one)? */
function isSmevHeader(env: Pick<Envelope, 'headerBlocks'>, i: number): boolean {
  const b = env.headerBlocks[i];
  return !!b && b.local === 'Header' && !!revisionOf(b.ns);
}
