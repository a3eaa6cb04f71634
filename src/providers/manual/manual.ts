import type { SmevMessage } from '../../envelope/model';
import { escapeXml } from '../../envelope/build';
import { answerAddress, fillAnswer, skeleton, ticketAppData, errorAppData } from '../../envelope/answer';
import { ACTOR } from '../../envelope/ns';
import { signEnvelope, type Signer } from '../../signature/sign';
import type { Service } from '../../registry/load';
import type { ManualAdapterSettings } from '../../registry/definition';
import type { ProviderAdapter, ProviderAnswer, ProviderCall } from '../../registry/adapter';
import { isPoll } from '../../registry/modes';
import type { Events } from '../../queue/events';
import { valueAt, type Roots } from '../emulator/match';
import type { AnswerStatus, Inbox } from './inbox';

const XML = 'text/xml; charset=utf-8';
const HOUR = 3600_000;
/** The namespace of what the gateway writes into a manual provider's AppData itself (a refusal's reason). */
export const MANUAL_NS = 'urn:smev2-gateway:manual';
/** The text real providers answer a PING for an unknown chain with (PROTOCOL.md §4). */
const UNKNOWN_CHAIN = 'Запрос с таким origRequestIdRef не найден!';

/** A refusal's (REJECT) or an INVALID's reason, as the AppData a manual provider answers with. */
export function reasonAppData(reason: string): string {
  return `<manual:Reason xmlns:manual="${MANUAL_NS}">${escapeXml(reason)}</manual:Reason>`;
}

/** Where the assignment rules send a request: the first rule that matches it, else the common queue. */
export function assignmentOf(settings: Pick<ManualAdapterSettings, 'assign'>, operation: string, roots: Roots): { assignee?: string; queue?: string } {
  for (const rule of settings.assign) {
    if (rule.operation !== undefined && rule.operation !== operation) continue;
    const met = Object.entries(rule.when ?? {}).every(([path, value]) => valueAt(roots, path.split('/')) === value);
    if (met) return { ...(rule.assignee !== undefined ? { assignee: rule.assignee } : {}), ...(rule.queue !== undefined ? { queue: rule.queue } : {}) };
  }
  return {};
}

/**
 * A manual provider (docs/cabinet.md): the requests a clerk answers in the console. The delivery
 * worker delivers a request here as to any provider: it lands in the department's inbox (once,
 * by its ticket, the node's MessageId) and is answered ACCEPT; the worker then polls with PING
 * as it polls any provider that accepted, and is answered PROCESS until the clerk has answered,
 * then the clerk's RESULT, REJECT or INVALID, built and signed here with the provider system's
 * key, as an automated provider would send it. So the consumer's PING, the callback, the events
 * and the journal's legs are those of any guaranteed delivery.
 */
export class ManualAdapter implements ProviderAdapter {
  constructor(
    private readonly service: Service,
    private readonly settings: ManualAdapterSettings,
    private readonly signer: Signer | undefined,
    private readonly inboxOf: () => Inbox | undefined,
    private readonly eventsOf: () => Events | undefined,
  ) {}

  private inbox(): Inbox {
    const i = this.inboxOf();
    if (!i) throw new Error(`manual provider of ${this.service.sid}: no store to keep its inbox in (the gateway opens one at start)`);
    return i;
  }

  async call(c: ProviderCall): Promise<ProviderAnswer> {
    // the request as the pipeline parsed it (its Body is the forwarded one's)
    const p = c.parsed;
    const req: SmevMessage = p.envelope.message ?? {};
    const poll = isPoll(c.operation, req.status);
    const assigned = poll ? {} : assignmentOf(this.settings, c.operation.name, { Message: p.messageElement, AppData: p.appDataElement });
    const sid = this.service.sid;
    if (poll) {
      const ticket = (req.originRequestIdRef ?? req.requestIdRef ?? '').toUpperCase();
      const found = ticket ? await this.inbox().get(ticket) : undefined;
      if (!found || found.sid !== sid) return this.generated(c, req, 'INVALID', errorAppData(UNKNOWN_CHAIN), ticket || undefined);
      if (found.status !== 'answered' || !found.answerStatus) return this.generated(c, req, 'PROCESS', ticketAppData(found.ticket), found.ticket);
      return this.generated(c, req, found.answerStatus, found.answerData ?? '', found.ticket);
    }
    const now = Date.now();
    const due = now + this.settings.answerWithinHours * HOUR;
    const soon = (this.settings.dueSoonHours ?? this.settings.answerWithinHours / 4) * HOUR;
    const ticket = c.messageId.toUpperCase();
    await this.inbox().land({
      ticket, sid, operation: c.operation.name, department: this.settings.department, ...assigned, consumer: req.sender?.code,
      request: c.bytes.join(), arrivedAt: now, dueAt: due, dueSoonFrom: due - soon,
    });
    // queued again when the request is delivered again: the event's id is its ticket's, queued once
    const stored = await this.inbox().get(ticket);
    await this.eventsOf()?.emit('request-arrived', {
      sid, ticket, consumer: req.sender?.code, department: this.settings.department, due: new Date(stored?.dueAt ?? due).toISOString(),
      ...(stored?.assignee ? { assignee: stored.assignee } : {}), ...(stored?.queue ? { queue: stored.queue } : {}), operation: c.operation.name,
    }, ticket);
    return this.generated(c, req, 'ACCEPT', ticketAppData(ticket), ticket);
  }

  /** An answer of the operation's output element, filled as a provider fills it and signed with the provider system's key. */
  private generated(c: ProviderCall, req: SmevMessage, status: 'ACCEPT' | 'PROCESS' | 'INVALID' | AnswerStatus, appData: string, origin?: string): ProviderAnswer {
    const bytes = skeleton({
      output: c.operation.output ?? c.operation.input!,
      smevNamespace: c.parsed.envelope.smevNamespace!,
      status,
      typeCode: req.typeCode,
      serviceName: req.serviceName,
      appData,
    });
    const filled = fillAnswer(bytes, answerAddress(this.service.def.provider, req, c.messageId, origin));
    const signed = this.signer ? signEnvelope(filled, ACTOR.smev, this.signer, { header: false }) : filled;
    return { status: 200, bytes: signed, contentType: XML };
  }
}
