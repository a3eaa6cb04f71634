import type { ParsedEnvelope } from '../envelope/parse';
import { ACTOR } from '../envelope/ns';
import { verifyEnvelopeSignatures, type BlockVerdict } from './verify';
import type { TrustStore } from './trust';
import { nameToString } from './x509';
import type { FaultName } from '../faults/catalogue';

export interface Judgement {
  /** one line for the journal: `smev:ok CN=…`, `absent`, `smev:fail (reason)` */
  summary: string;
  blocks: BlockVerdict[];
  /** what is wrong with the sender's signature, as a catalogue entry */
  failure?: { fault: Extract<FaultName, 'noSignature' | 'badSignature' | 'certificateExpired' | 'untrustedCertificate' | 'senderMismatch'>; params: Record<string, string> };
}

/**
 * The sender's (actor smev) signature of a message: does it verify, is its certificate trusted,
 * valid at `at`, and the certificate of the system named in Sender?
 */
export function judgeSender(p: ParsedEnvelope, trust: TrustStore, at: Date): Judgement {
  const blocks = verifyEnvelopeSignatures(p);
  const others = blocks.filter((b) => b.actor !== ACTOR.smev).map((b) => `${actorName(b.actor)}:${b.ok ? 'ok' : `fail (${b.reason})`}`);
  const tail = others.length ? `; ${others.join('; ')}` : '';
  const smev = blocks.find((b) => b.actor === ACTOR.smev);
  if (!smev) return { summary: `absent${tail}`, blocks, failure: { fault: 'noSignature', params: {} } };
  if (!smev.ok) {
    return { summary: `smev:fail (${smev.reason})${tail}`, blocks, failure: { fault: 'badSignature', params: { actor: ACTOR.smev, reason: smev.reason ?? 'does not verify' } } };
  }
  const cert = smev.certificate!;
  const who = `${nameToString(cert.subject)} #${cert.serial}`;
  const t = trust.judge(cert, p.envelope.message?.sender?.code, at);
  if (!t.ok) {
    const fault = t.code === 'expired' ? 'certificateExpired' : t.code === 'senderMismatch' ? 'senderMismatch' : 'untrustedCertificate';
    return { summary: `smev:signature ok, certificate ${t.code} (${t.reason})${tail}`, blocks, failure: { fault, params: { reason: t.reason } } };
  }
  return { summary: `smev:ok ${t.system.mnemonic} (${who})${tail}`, blocks };
}

function actorName(actor: string): string {
  return actor === ACTOR.recipient ? 'recipient' : actor || '(no actor)';
}
