import { readFileSync } from 'node:fs';
import nodemailer, { type Transporter } from 'nodemailer';
import type { MailConfig } from '../config';
import type { QueuedMail } from './mail';

/** An attempt's outcome: sent (the server's reply code), or why not and whether a retry can help. */
export type SendOutcome = { ok: true; code: string } | { ok: false; permanent: boolean; reason: string };

/**
 * Sends queued mails over SMTP with nodemailer, one connection per mail (mail is rare; a pool
 * would hold a connection the server may drop, and nothing is gained). A server that cannot be
 * reached, answers 4xx, refuses the credentials or the TLS: worth another attempt (the operator
 * may fix the server or the configuration meanwhile). A 5xx to the recipient or the message: it
 * will never be taken, a dead letter at once.
 */
export class MailSender {
  private readonly transport: Transporter;

  constructor(private readonly cfg: MailConfig, timeouts: { connectMs: number; socketMs: number }) {
    this.transport = nodemailer.createTransport({
      host: cfg.host, port: cfg.port,
      secure: cfg.security === 'tls',
      requireTLS: cfg.security === 'starttls',
      ignoreTLS: cfg.security === 'none',
      ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? '' } } : {}),
      ...(cfg.caFile ? { tls: { ca: readFileSync(cfg.caFile) } } : {}),
      connectionTimeout: timeouts.connectMs, greetingTimeout: timeouts.connectMs, socketTimeout: timeouts.socketMs,
    });
  }

  /** Where mail goes, for logs: never the credentials. */
  get server(): string {
    return `${this.cfg.host}:${this.cfg.port} (${this.cfg.security})`;
  }

  async send(payload: Buffer): Promise<SendOutcome> {
    let m: QueuedMail;
    try {
      m = JSON.parse(payload.toString('utf8')) as QueuedMail;
    } catch (e) {
      return { ok: false, permanent: true, reason: `the queued mail is not JSON: ${(e as Error).message}` };
    }
    try {
      const info = await this.transport.sendMail({
        from: this.cfg.from, to: m.to, subject: m.subject, text: m.text, html: m.html, messageId: m.messageId, date: new Date(m.date),
        headers: { 'X-Smev2-Event': m.type }, disableFileAccess: true, disableUrlAccess: true,
      }) as { response?: string };
      return { ok: true, code: /^\d{3}/.exec(info.response ?? '')?.[0] ?? '250' };
    } catch (e) {
      const err = e as Error & { code?: string; responseCode?: number; response?: string };
      const said = err.responseCode ? `${this.server} answered ${err.response ?? err.responseCode}` : `${this.server}: ${err.code ? `${err.code} ` : ''}${err.message}`;
      const permanent = err.responseCode !== undefined && err.responseCode >= 500 && err.code !== 'EAUTH';
      return { ok: false, permanent, reason: said };
    }
  }

  close(): void {
    this.transport.close();
  }
}
