import type { ParsedEnvelope } from '../envelope/parse';
import { ACTOR } from '../envelope/ns';
import { verifyEnvelopeSignatures, verifyEnvelopeSignaturesAsync, type BlockVerdict } from './verify';
import type { TrustStore } from './trust';
import { nameToString } from './x509';
import type { FaultName } from '../faults/catalogue';
import type { SuiteName } from './algorithms';

export type SignatureFault = Extract<FaultName, 'noSignature' | 'badSignature' | 'algorithmNotAccepted' | 'certificateExpired' | 'untrustedCertificate' | 'senderMismatch'>;

export interface Judgement {
  /** one line for the journal: `smev:ok CN=…`, `absent`, `smev:fail (reason)` */
  summary: string;
  blocks: BlockVerdict[];
  /** what is wrong with the message's signatures, as a catalogue entry */
  failure?: { fault: SignatureFault; params: Record<string, string> };
  /**
   * What the sender's signature covers, with the signature itself (SHA-256 of its canonical
   * SignedInfo and decoded value), present only when that signature verified: the replay guard
   * remembers this, never the bytes around it.
   */
  signedContent?: string;
}

export interface JudgeOptions {
  /** the time certificates are judged at */
  at: Date;
  /** the signature/digest pairs the service accepts (service.yaml signatureAlgorithms) */
  algorithms?: readonly SuiteName[];
  /** the digests the node signs with: computed with the Body's (verify.ts VerifyOptions.alsoDigest) */
  alsoDigest?: readonly string[];
}

/**
 * The one judge of a message's signatures: the gateway's verify stage, `smev2-gateway verify`
 * and `smev2-gateway check` all ask it, so they cannot disagree. A message passes when
 * - each SOAP actor has at most one wsse:Security block (a second block for the same actor is
 *   refused, whatever it holds: two judges could otherwise each read a different one);
 * - every block verifies (references, digests, strict base64, accepted algorithms, transforms);
 * - the sender's block (actor smev) exists, and its certificate is trusted, valid at `at`, and
 *   belongs to the system named in Sender.
 */
export function judgeMessage(p: ParsedEnvelope, trust: TrustStore, options: JudgeOptions): Judgement {
  return judgeBlocks(p, verifyEnvelopeSignatures(p, { algorithms: options.algorithms, alsoDigest: options.alsoDigest }), trust, options);
}

/**
 * judgeMessage with the signature values checked off the JS thread (verifyEnvelopeSignaturesAsync:
 * GOST on the crypto pool), for the gateway's verify stages: the same judgement. The message's
 * document is read before the first await. Rejects with CryptoThreadError when the pool could
 * not check a signature (the exchange fails as an internal error, not as a bad signature).
 */
export async function judgeMessageAsync(p: ParsedEnvelope, trust: TrustStore, options: JudgeOptions): Promise<Judgement> {
  const sender = p.envelope.message?.sender?.code;
  return judgeBlocks(p, await verifyEnvelopeSignaturesAsync(p, { algorithms: options.algorithms, alsoDigest: options.alsoDigest }), trust, options, sender);
}

/**
 * The judgement of blocks verified. The certificate's chain (trust.judge) stays on this thread:
 * its CA signature is checked once per certificate and issuer and then remembered (certs.ts), so
 * it is not on the path of a sender's every message.
 */
function judgeBlocks(p: ParsedEnvelope, blocks: BlockVerdict[], trust: TrustStore, options: JudgeOptions, sender = p.envelope.message?.sender?.code): Judgement {
  const others = blocks.filter((b) => b.actor !== ACTOR.smev).map((b) => `${shortName(b.actor)}:${b.ok ? 'ok' : `fail (${b.reason})`}`);
  const tail = others.length ? `; ${others.join('; ')}` : '';
  const judged = (j: Omit<Judgement, 'blocks'>): Judgement => ({ ...j, blocks });

  const perActor = new Map<string, number>();
  for (const b of blocks) perActor.set(b.actor, (perActor.get(b.actor) ?? 0) + 1);
  for (const [actor, n] of perActor) {
    if (n > 1) {
      const reason = `the envelope holds ${n} wsse:Security blocks for actor ${actorName(actor)}; one per actor is allowed`;
      return judged({ summary: `fail (${reason})`, failure: { fault: 'badSignature', params: { actor: actorName(actor), reason } } });
    }
  }
  const broken = blocks.find((b) => !b.ok && b.actor !== ACTOR.smev);
  if (broken) {
    return judged({ summary: `${shortName(broken.actor)}:fail (${broken.reason})`, failure: blockFailure(broken) });
  }
  const smev = blocks.find((b) => b.actor === ACTOR.smev);
  if (!smev) return judged({ summary: `absent${tail}`, failure: { fault: 'noSignature', params: {} } });
  if (!smev.ok) return judged({ summary: `smev:fail (${smev.reason})${tail}`, failure: blockFailure(smev) });

  const cert = smev.certificate!;
  const who = `${nameToString(cert.subject)} #${cert.serial}`;
  const t = trust.judge(cert, sender, options.at);
  if (!t.ok) {
    const fault = t.code === 'expired' ? 'certificateExpired' : t.code === 'senderMismatch' ? 'senderMismatch' : 'untrustedCertificate';
    return judged({ summary: `smev:signature ok, certificate ${t.code} (${t.reason})${tail}`, failure: { fault, params: { reason: t.reason } }, signedContent: smev.signedInfoDigest });
  }
  return judged({ summary: `smev:ok ${t.system.mnemonic} (${who})${tail}`, signedContent: smev.signedInfoDigest });
}

function blockFailure(b: BlockVerdict): NonNullable<Judgement['failure']> {
  const actor = actorName(b.actor);
  if (b.unsupported) return { fault: 'algorithmNotAccepted', params: { actor, reason: b.unsupported } };
  return { fault: 'badSignature', params: { actor, reason: b.reason ?? 'does not verify' } };
}

export function actorName(actor: string): string {
  return actor === ACTOR.smev ? ACTOR.smev : actor === ACTOR.recipient ? ACTOR.recipient : actor || '(no SOAP actor)';
}

/** The actor as the journal's one-line summary names it. */
function shortName(actor: string): string {
  return actor === ACTOR.smev ? 'smev' : actor === ACTOR.recipient ? 'recipient' : actor || '(no actor)';
}
