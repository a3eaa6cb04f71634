import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { parse as parseYaml, stringify } from 'yaml';
import { yamlErrorText } from '../yaml-error';
import type { Logger } from 'pino';
import type { NewItem, Outbox } from './outbox';
import type { MailRoutes } from './mail';

/**
 * What the gateway tells subscribers (webhooks) and, through the mail routes, people
 * (docs/cabinet.md): the first six follow messages and tickets; `request-arrived`,
 * `request-due-soon` and `request-overdue` follow a manual provider's inbox (data: the SID, the
 * ticket, the `department`, the `due` time); `answer-arrived` tells a requester (data: `requester`,
 * the user who sent it) that the answer to their request is in; `violation` tells operators of a
 * rate of failures, a dead letter or a provider down (data: `what`, `detail`).
 */
export const EVENT_TYPES = [
  'accepted', 'delivered', 'answer-ready', 'delivery-failed', 'signature-failure', 'control-failure',
  'request-arrived', 'request-due-soon', 'request-overdue', 'answer-arrived', 'violation',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const subscriptionSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  events: z.array(z.union([z.enum(EVENT_TYPES), z.literal('*')])).min(1),
  /** only events of these SIDs (default: all) */
  sids: z.array(z.string()).optional(),
  /** only events about messages of this consumer system (set for a system's own subscriptions) */
  consumer: z.string().optional(),
});
export type Subscription = z.infer<typeof subscriptionSchema>;

export interface EventData {
  sid: string;
  ticket?: string;
  consumer?: string;
  [k: string]: unknown;
}

/** Read the operators' subscriptions file (a YAML list); absent means none. */
export function readSubscriptions(file: string): Subscription[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    throw new Error(`${file}: not valid YAML: ${yamlErrorText(e, text)}`);
  }
  const parsed = z.array(subscriptionSchema).safeParse(raw ?? []);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function addSubscription(file: string, s: Subscription): void {
  const all = [...readSubscriptions(file), subscriptionSchema.parse(s)];
  writeFileSync(file, `# Subscriptions to gateway events (webhooks): see README, "Guaranteed delivery".\n${stringify(all)}`);
}

/**
 * A name-based id (the layout of a UUID version 5, SHA-1 of the name): the same event for the
 * same subscriber always gets the same id.
 */
export function eventId(type: EventType, occasion: string, url: string): string {
  const h = createHash('sha1').update(`smev2-gateway event\n${type}\n${occasion}\n${url}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Events to subscribers: each becomes an outbox item (kind `event`) per matching subscription, so
 * webhooks get the same durable delivery and retries as messages. Also the alert channel for
 * signature and control failures.
 *
 * An event's id names what happened (its type and occasion: the ticket, or the exchange) and the
 * subscriber, so the gateway queues it once however often the step that causes it runs: by
 * several instances, or again after an instance died midway. The ticket's events are queued with
 * the outbox change that causes them (`items`, passed to Outbox.add/done/polling/failed); the
 * receiver sees a repeat only as the same id again (at least once, like every outbox item).
 */
export class Events {
  /** the mail routes (queue/mail.ts): an event to people, one `mail` item per recipient; none without SMTP */
  mail: MailRoutes | undefined;

  constructor(private readonly outbox: Outbox, private readonly subscriptions: () => Subscription[], private readonly log: Logger, mail?: MailRoutes) {
    this.mail = mail;
  }

  /**
   * The outbox items for an event, one per matching subscription, and its mails (one per
   * recipient, queue/mail.ts). `occasion` tells one event of a type from another (default: the
   * ticket, else the exchange); with neither, each call is a new event. A subscriptions file that
   * cannot be read gives no webhook items (logged), not an error.
   */
  items(type: EventType, data: EventData, occasion = data.ticket ?? (typeof data.exchange === 'string' ? data.exchange : undefined)): NewItem[] {
    return [...this.hooks(type, data, occasion), ...(this.mail?.items(type, data, occasion) ?? [])];
  }

  private hooks(type: EventType, data: EventData, occasion: string | undefined): NewItem[] {
    let targets: Subscription[];
    try {
      targets = this.subscriptions().filter((s) =>
        (s.events.includes('*') || s.events.includes(type)) && (!s.sids || s.sids.includes(data.sid)) && (!s.consumer || s.consumer === data.consumer));
    } catch (e) {
      this.log.error({ err: e, type }, 'could not read the subscriptions: event not queued');
      return [];
    }
    const at = new Date().toISOString();
    return targets.map((s) => {
      const id = occasion === undefined ? randomUUID() : eventId(type, occasion, s.url);
      const payload = Buffer.from(JSON.stringify({ id, type, at, ...data }));
      return { id, kind: 'event', sid: data.sid, consumer: data.consumer, target: s.url, maxAttempts: 10, maxAgeMs: 24 * 3600 * 1000, payload };
    });
  }

  /** Queue an event on its own (not tied to an outbox change); a failure is logged, not thrown. */
  async emit(type: EventType, data: EventData, occasion?: string): Promise<void> {
    const items = this.items(type, data, occasion);
    try {
      await this.outbox.add(items, { ifAbsent: true });
    } catch (e) {
      this.log.error({ err: e, type, urls: items.map((i) => i.target) }, 'could not queue an event');
    }
  }
}
