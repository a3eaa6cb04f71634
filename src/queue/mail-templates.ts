import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

/** A mail as it is queued: rendered once, sent as it is on every attempt. */
export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

interface Compiled {
  source: string;
  subject: HandlebarsTemplateDelegate;
  text: HandlebarsTemplateDelegate;
  html: HandlebarsTemplateDelegate;
}

const hb = Handlebars.create();
/** `{{date due}}`: a time as people in Russia read it, Moscow time. */
hb.registerHelper('date', (v: unknown) => {
  if (typeof v !== 'string' && typeof v !== 'number') return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? String(v) : `${d.toLocaleString('ru-RU', { timeZone: 'Europe/Moscow', dateStyle: 'short', timeStyle: 'short' })} (МСК)`;
});

/** `{{#if (eq what "provider-down")}}`: one template tells the kinds of an event apart. */
hb.registerHelper('eq', (a: unknown, b: unknown) => a === b);

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);

/**
 * The template's body for the HTML part: its own text escaped, and every value escaped too
 * (`{{{x}}}` and `{{&x}}`, which would put a value in unescaped, become `{{x}}`).
 */
function htmlSource(body: string): string {
  return body.split(/({{[\s\S]*?}}}?)/).map((part, i) => (i % 2 ? part.replace(/^{{{([\s\S]*)}}}$/, '{{$1}}').replace(/^{{&/, '{{') : escapeHtml(part))).join('');
}

/** Escaped text as HTML: paragraphs at blank lines, line breaks kept, addresses made links. */
function toHtml(escaped: string, subject: string): string {
  const paragraphs = escaped.trim().split(/\n\s*\n/).map((p) => `<p>${p.trim().split('\n').join('<br>\n')}</p>`);
  const linked = paragraphs.join('\n').replace(/https?:\/\/[^\s<]+/g, (u) => `<a href="${u}">${u}</a>`);
  return `<!DOCTYPE html>\n<html lang="ru">\n<head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>\n<body>\n${linked}\n</body>\n</html>\n`;
}

/** The front matter (`subject:` between two `---` lines) and the body, or what is wrong. */
function split(source: string, file: string): { subject: string; body: string } {
  const m = /^\uFEFF?---\r?\n([\s\S]*?)\r?\n---\r?\n([\s\S]*)$/.exec(source);
  const subject = m ? /^subject:[ \t]*(.+)$/m.exec(m[1]!)?.[1] : undefined;
  if (!m || !subject) throw new Error(`${file}: a mail template begins with front matter naming its subject: a line "---", a line "subject: …", a line "---", then the body`);
  return { subject: subject.trim(), body: m[2]! };
}

/**
 * Mail templates, one Handlebars file per event (`<event>.hbs`): front matter with the subject,
 * then the body as plain text; the HTML part is made from the same body with everything escaped.
 * Read on every use, compiled again only when the file changed: an edited template takes effect
 * at the next mail, without a restart, in every process. A template of `dir` that is missing or
 * broken is replaced by the shipped one (`shipped`), and `render` says so in `warning`.
 */
export class MailTemplates {
  private readonly cache = new Map<string, Compiled>();

  constructor(readonly dir: string, private readonly shipped: string) {}

  /** The file an event's template is read from. */
  file(event: string, dir = this.dir): string {
    return join(dir, `${event}.hbs`);
  }

  render(event: string, context: Record<string, unknown>): RenderedMail & { warning?: string } {
    try {
      return this.renderFrom(this.file(event), context);
    } catch (e) {
      if (this.dir === this.shipped) throw e;
      return { ...this.renderFrom(this.file(event, this.shipped), context), warning: `${(e as Error).message}; the shipped template used instead` };
    }
  }

  /** Every template of the folder compiles and renders (at start, so a broken one is said at once). */
  check(events: readonly string[]): string[] {
    return events.flatMap((e) => {
      try {
        this.renderFrom(this.file(e), {});
        return [];
      } catch (err) {
        return [(err as Error).message];
      }
    });
  }

  private renderFrom(file: string, context: Record<string, unknown>): RenderedMail {
    if (!existsSync(file)) throw new Error(`${file}: no such template`);
    const source = readFileSync(file, 'utf8');
    let c = this.cache.get(file);
    if (!c || c.source !== source) {
      const { subject, body } = split(source, file);
      const compile = (text: string, noEscape: boolean) => hb.compile(text, { noEscape, strict: false });
      c = { source, subject: compile(subject, true), text: compile(body, true), html: compile(htmlSource(body), false) };
      this.cache.set(file, c);
    }
    try {
      const subject = c.subject(context).replace(/\s+/g, ' ').trim();
      return { subject, text: c.text(context).trim() + '\n', html: toHtml(c.html(context), subject) };
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }
}
