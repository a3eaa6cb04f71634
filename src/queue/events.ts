import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { parse as parseYaml, stringify } from 'yaml';
import type { Logger } from 'pino';
import type { Outbox } from './outbox';

export const EVENT_TYPES = ['accepted', 'delivered', 'answer-ready', 'delivery-failed', 'signature-failure', 'control-failure'] as const;
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
  const parsed = z.array(subscriptionSchema).safeParse(parseYaml(readFileSync(file, 'utf8')) ?? []);
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

export function addSubscription(file: string, s: Subscription): void {
  const all = [...readSubscriptions(file), subscriptionSchema.parse(s)];
  writeFileSync(file, `# Subscriptions to gateway events (webhooks): see README, "Guaranteed delivery".\n${stringify(all)}`);
}

/**
 * Events to subscribers: each becomes an outbox item (kind `event`) per matching subscription, so
 * webhooks get the same durable delivery and retries as messages. Also the alert channel for
 * signature and control failures.
 */
export class Events {
  constructor(private readonly outbox: Outbox, private readonly subscriptions: () => Subscription[], private readonly log: Logger) {}

  async emit(type: EventType, data: EventData): Promise<void> {
    const targets = this.subscriptions().filter((s) =>
      (s.events.includes('*') || s.events.includes(type)) && (!s.sids || s.sids.includes(data.sid)) && (!s.consumer || s.consumer === data.consumer));
    for (const s of targets) {
      const id = randomUUID();
      const payload = Buffer.from(JSON.stringify({ id, type, at: new Date().toISOString(), ...data }));
      try {
        await this.outbox.add({ id, kind: 'event', sid: data.sid, consumer: data.consumer, target: s.url, maxAttempts: 10, maxAgeMs: 24 * 3600 * 1000, payload });
      } catch (e) {
        this.log.error({ err: e, type, url: s.url }, 'could not queue an event');
      }
    }
  }
}
