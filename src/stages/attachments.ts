import type { Stage } from '../pipeline/compose';
import { requestOf, type Exchange, type LegDirection, type Verdict } from '../pipeline/exchange';
import { judgeAttachments } from '../attachments/judge';
import type { ZipLimits } from '../attachments/model';
import type { TrustStore } from '../signature/trust';
import { GatewayFault, renderFaultString, FAULTS } from '../faults/catalogue';
import type { ParsedEnvelope } from '../envelope/parse';
import type { MimePart } from '../http/multipart';
import type { AttachmentSettings } from '../registry/definition';

/**
 * The AppDocument of a message judged (src/attachments/judge.ts): the MTOM part its Reference
 * names and its DigestValue, the ZIP's files and their detached signatures. The SID's
 * `attachments.policy` decides: enforce refuses with the first problem's fault, report journals
 * the verdict and lets the message pass, off opens nothing.
 */
async function judgeLeg(ex: Exchange, direction: LegDirection, parsed: ParsedEnvelope, parts: MimePart[] | undefined, settings: AttachmentSettings, d: AttachmentDeps, where: string): Promise<void> {
  if (settings.policy === 'off' || (!parsed.envelope.appDocument && !parts?.length)) return;
  const spool = ex.spool && d.memoryThreshold !== undefined ? { file: () => ex.spool!.file(), threshold: d.memoryThreshold } : undefined;
  const j = await judgeAttachments(parsed, parts, { settings, limits: d.limits, trust: d.trust, at: d.clock(), where, spool });
  if (!j.documents.length) return;
  const texts = j.problems.map((p) => renderFaultString(FAULTS[p.fault], p.params));
  const verdict: Verdict = texts.length
    ? { outcome: 'failed', passed: settings.policy === 'report', text: texts.join(' | '), faults: texts.map((t) => ({ check: 'attachments' as const, faultstring: t })) }
    : { outcome: 'ok', text: `ok: ${j.documents.map((x) => `${x.source}${x.zip ? ` (${x.zip.files.length} files)` : ''}`).join(', ')}` };
  const leg = ex.legs.find((l) => l.direction === direction);
  if (leg) leg.attachments = { verdict, documents: j.documents };
  const first = j.problems[0];
  if (first && settings.policy === 'enforce') throw new GatewayFault(first.fault, first.params);
}

export interface AttachmentDeps {
  trust: TrustStore;
  clock: () => Date;
  limits: ZipLimits;
  /** an inline ZIP this large is opened from the exchange's spool, not memory (SMEV2_PART_MEMORY_BYTES) */
  memoryThreshold?: number;
}

/** The consumer's AppDocument, once its sender is known and allowed. */
export function attachmentsRequest(d: AttachmentDeps): Stage<Exchange> {
  return async (ex, next) => {
    if (ex.service) await judgeLeg(ex, 'consumer->gateway', requestOf(ex), ex.requestParts?.parts, ex.service.def.attachments, d, 'the request');
    await next();
  };
}

/** On the way out: the provider's AppDocument (after its signature was judged). */
export function attachmentsAnswer(d: AttachmentDeps): Stage<Exchange> {
  return async (ex, next) => {
    await next();
    const a = ex.answer;
    if (!a || a.fromNode || !ex.service) return;
    await judgeLeg(ex, 'provider->gateway', a.parsed, a.parts?.parts, ex.service.def.attachments, d, "the provider's answer");
  };
}
