import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { eventId, type EventData, type EventType } from './events';
import type { NewItem } from './outbox';
import type { MailTemplates } from './mail-templates';

/** The events that are mailed, each with its template (`<event>.hbs`). */
export const MAIL_EVENTS = ['request-arrived', 'request-due-soon', 'request-overdue', 'answer-arrived', 'violation'] as const satisfies readonly EventType[];
type MailEvent = (typeof MAIL_EVENTS)[number];
const isMailEvent = (t: EventType): t is MailEvent => (MAIL_EVENTS as readonly string[]).includes(t);

/** Whom mail goes to: the users file's departments and users (src/admin/auth.ts reads it). */
export interface Directory {
  department(id: string): { id: string; name: string; email?: string } | undefined;
  usersOf(role: 'operator' | 'auditor' | 'clerk' | 'requester', department?: string): { name: string; email?: string; department?: string }[];
}

export interface Recipient {
  address: string;
  /** how the mail greets them: a user's name, a department's */
  name: string;
}

/** What a mail item's payload holds: the mail as rendered when it was queued. */
export interface QueuedMail {
  type: EventType;
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  date: string;
}

export interface MailRoutesOptions {
  directory: () => Directory;
  templates: MailTemplates;
  /** the console as people reach it, for links (templates: `{{console}}`) */
  consoleUrl?: string;
  maxAttempts: number;
  maxAgeMs: number;
  log: Logger;
}

/**
 * Mail routes: an event to the people it concerns, one outbox item (kind `mail`) per recipient.
 * request-arrived, -due-soon and -overdue go to the department's mailbox and its clerks;
 * answer-arrived to the requester who sent the request; violation to the operators. Each item's
 * id names the event's occasion and the address (as an event's names its subscriber), so a mail
 * is queued once however often the step that causes it runs.
 *
 * The mail is rendered here, when it is queued, not when it is sent: what a person gets says what
 * was so when the event happened (the department's name, the clerks then), every retry sends the
 * same bytes under the same Message-ID (a receiver that got it twice can tell), and the queued item
 * can be read as it will go out. An edited template applies to the mails queued after the edit.
 */
export class MailRoutes {
  private readonly warned = new Set<string>();

  constructor(private readonly o: MailRoutesOptions) {}

  get templates(): MailTemplates {
    return this.o.templates;
  }

  /** Who gets mail of this event (none for events that are not mailed). */
  recipients(type: EventType, data: EventData): Recipient[] {
    if (!isMailEvent(type)) return [];
    const dir = this.o.directory();
    const out = new Map<string, Recipient>();
    const add = (address: string | undefined, name: string) => {
      if (address && !out.has(address.toLowerCase())) out.set(address.toLowerCase(), { address, name });
    };
    if (type === 'answer-arrived') {
      const who = typeof data.requester === 'string' ? dir.usersOf('requester').find((u) => u.name === data.requester) : undefined;
      add(who?.email, who?.name ?? '');
    } else if (type === 'violation') {
      for (const u of dir.usersOf('operator')) add(u.email, u.name);
    } else {
      const dep = typeof data.department === 'string' ? dir.department(data.department) : undefined;
      if (dep) {
        add(dep.email, dep.name);
        for (const u of dir.usersOf('clerk', dep.id)) add(u.email, u.name);
      }
    }
    return [...out.values()];
  }

  /** The mail items of an event, rendered; none when nobody is to be told or the users file cannot be read (logged). */
  items(type: EventType, data: EventData, occasion?: string): NewItem[] {
    if (!isMailEvent(type)) return [];
    let to: Recipient[];
    let department: { id: string; name: string } | undefined;
    try {
      to = this.recipients(type, data);
      const dep = typeof data.department === 'string' ? this.o.directory().department(data.department) : undefined;
      department = dep ? { id: dep.id, name: dep.name } : undefined;
    } catch (e) {
      this.o.log.error({ err: e, type }, 'could not read whom to write to (the users file): mail not queued');
      return [];
    }
    if (!to.length) {
      // debug: a provider down is re-emitted at every check (queued once), and would say this each time
      this.o.log.debug({ type, sid: data.sid, department: data.department, requester: data.requester }, 'an event to mail, but nobody with an address to write to');
      return [];
    }
    const date = new Date().toISOString();
    return to.flatMap((r) => {
      const id = occasion === undefined ? randomUUID() : eventId(type, occasion, `mailto:${r.address.toLowerCase()}`);
      let mail;
      try {
        mail = this.o.templates.render(type, { ...data, event: type, department: department ?? data.department, recipient: r, console: this.o.consoleUrl, at: date });
      } catch (e) {
        this.o.log.error({ err: e, type, to: r.address }, 'could not render the mail template: mail not queued');
        return [];
      }
      if (mail.warning && !this.warned.has(mail.warning)) {
        this.warned.add(mail.warning); // once per problem, not at every mail
        this.o.log.error({ type, template: this.o.templates.file(type) }, mail.warning);
      }
      const queued: QueuedMail = { type, to: r.address, subject: mail.subject, text: mail.text, html: mail.html, messageId: `<${id}@smev2-gateway>`, date };
      return [{ id, kind: 'mail' as const, sid: data.sid || undefined, target: r.address, maxAttempts: this.o.maxAttempts, maxAgeMs: this.o.maxAgeMs, payload: Buffer.from(JSON.stringify(queued)) }];
    });
  }
}
