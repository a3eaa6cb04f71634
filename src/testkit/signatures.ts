import type { ParsedEnvelope } from '../envelope/parse';
import { ACTOR } from '../envelope/ns';
import { verifyEnvelopeSignatures } from '../signature/verify';
import type { TrustStore } from '../signature/trust';

export interface TrustJudge {
  store: TrustStore;
  /** the time certificates are judged at */
  at: Date;
}

export function actorName(actor: string): string {
  if (actor === ACTOR.smev) return 'smev';
  if (actor === ACTOR.recipient) return 'recipient';
  return actor || '(no actor)';
}

/**
 * Signatures are verified, never compared: every wsse:Security block of the answer must verify
 * (each reference's digest and the signature value), if the expected answer carries the sender's
 * signature (actor smev) this one must too, and with a trust store the sender's (actor smev) certificate must
 * belong to the system in Sender and be valid at the time given. Returns the problems.
 */
export function checkSignatures(p: ParsedEnvelope, expectedActors: string[], trust?: TrustJudge): string[] {
  const problems: string[] = [];
  const blocks = verifyEnvelopeSignatures(p);
  for (const b of blocks) {
    const where = `Header/Security[actor=${actorName(b.actor)}]`;
    if (!b.ok) {
      problems.push(`${where}: the signature does not verify: ${b.reason ?? 'failed'}`);
      continue;
    }
    if (trust && b.actor === ACTOR.smev && b.certificate) {
      const t = trust.store.judge(b.certificate, p.envelope.message?.sender?.code, trust.at);
      if (!t.ok) problems.push(`${where}: certificate ${t.code}: ${t.reason}`);
    }
  }
  // the node's block (actor recipient) is the node's mark, like its smev:Header: a provider
  // answering directly has none; the sender's (actor smev) must be there if it was expected
  for (const actor of new Set(expectedActors.filter((a) => a !== ACTOR.recipient))) {
    if (!blocks.some((b) => b.actor === actor)) {
      problems.push(`Header/Security[actor=${actorName(actor)}]: missing (the expected answer is signed by this actor)`);
    }
  }
  return problems;
}
