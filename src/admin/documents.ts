import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import type { Registry } from '../registry/registry';
import type { ComposerModels } from '../xsd/model';
import { searchJournal, chainLegs, type JournalRow } from '../journal/search';
import { answerDocument, type LegFacts } from '../documents/answer';
import { renderHtml } from '../documents/render-html';
import { renderPdf } from '../documents/render-pdf';

/**
 * Answers as documents to download (issue 19 item 3): PDF, HTML, or the XML as journaled. One
 * place for the three routes that give them: the journal's `GET /admin/journal/{id}/document`,
 * a requester's `GET /admin/requests/{id}/answer?format=`, and the REST façade's answers under
 * `Accept: application/pdf` / `text/html` (docs/rest.md). Each is a download (Content-Disposition)
 * with a sandbox CSP, as the journal's raw bytes are: the values are what a provider wrote.
 */
export type DocFormat = 'pdf' | 'html' | 'xml';
export const DOC_FORMATS: readonly DocFormat[] = ['pdf', 'html', 'xml'];

export const ANSWER_DIRECTIONS = ['gateway->consumer', 'provider->gateway'];

/** The `format` query parameter: one of pdf, html, xml (`dflt` when absent); a message saying so otherwise. */
export function formatParam(v: unknown, dflt: DocFormat): DocFormat | { error: string } {
  if (v === undefined) return dflt;
  if (typeof v === 'string' && (DOC_FORMATS as readonly string[]).includes(v.trim().toLowerCase())) return v.trim().toLowerCase() as DocFormat;
  return { error: `format must be one of ${DOC_FORMATS.join(', ')}, not ${JSON.stringify(Array.isArray(v) ? v : String(v).slice(0, 40))}` };
}

export interface AnswerDocDeps {
  store: DataSource;
  registry: Registry;
  models: ComposerModels;
}

/** The legs of an exchange, in order (at most 500: an exchange has four, a delivery's retries a few more). */
export async function legsOfExchange(store: DataSource, exchangeId: string): Promise<JournalRow[]> {
  const page = await searchJournal(store, { exchange: exchangeId }, { limit: 500 });
  return page.entries.sort((a, b) => a.id - b.id);
}

/**
 * An answer's bytes as a document: `leg` is the journal's answer leg (its SID, operation, ids),
 * `legs` those the foot names. The bytes are the answer as the reader got it (the journaled leg's,
 * the composer's or REST client's answer, the outbox's stored answer).
 */
export async function answerBytes(d: AnswerDocDeps, format: DocFormat, raw: Buffer, leg: LegFacts & { exchangeId: string; sid: string; operation: string | null; at: string }, legs: LegFacts[], now = new Date()): Promise<{ type: string; body: Buffer }> {
  if (format === 'xml') return { type: 'text/xml; charset=utf-8', body: raw };
  const doc = answerDocument({ raw, leg, legs, service: d.registry.get(leg.sid), models: d.models, now });
  if (format === 'html') return { type: 'text/html; charset=utf-8', body: Buffer.from(renderHtml(doc), 'utf8') };
  return { type: 'application/pdf', body: await renderPdf(doc) };
}

/** Send a document as a download named `<name>.<format>`, never a page of this origin. */
export function sendDownload(res: Response, format: DocFormat, out: { type: string; body: Buffer }, name: string): void {
  res.setHeader('content-type', out.type);
  res.setHeader('content-disposition', `attachment; filename="${name.replace(/[^\w.-]/g, '_')}.${format}"`);
  res.setHeader('content-security-policy', "sandbox; default-src 'none'; style-src 'unsafe-inline'");
  res.setHeader('x-content-type-options', 'nosniff');
  res.send(out.body);
}

/**
 * The journal's legs behind an answer a reader got over an exchange (the composer's or REST
 * client's call): the exchange's legs, and its answer leg (the last gateway → consumer one).
 * For a guaranteed delivery's ticket, the chain's legs instead, the answer leg the last one that
 * came back from the provider. Undefined when the journal has none (yet).
 */
export async function answerLegs(store: DataSource, o: { exchangeId?: string | null; chain?: string | null }): Promise<{ leg: JournalRow; legs: JournalRow[] } | undefined> {
  const legs = o.chain ? await chainLegs(store, o.chain) : o.exchangeId ? await legsOfExchange(store, o.exchangeId) : [];
  const back = (dir: string) => [...legs].reverse().find((l) => l.direction === dir);
  const leg = o.chain ? back('provider->gateway') ?? back('gateway->consumer') : back('gateway->consumer') ?? back('provider->gateway');
  if (!leg) return undefined;
  // a long chain of polls: the foot names the answer's exchange's legs and the chain's first ones
  const shown = legs.length > 40 ? [...legs.slice(0, 20), ...legs.filter((l) => l.exchangeId === leg.exchangeId && !legs.slice(0, 20).includes(l))] : legs;
  return { leg, legs: shown };
}
