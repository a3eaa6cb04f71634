import { randomUUID } from 'node:crypto';
import { NS } from './ns';
import { scanEnvelope } from './scan';
import { Slices } from '../slices';

/** Escape text content: & < > only (quotes are fine in text). */
export function escapeText(s: string): string {
  return s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
}

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** An upper-case GUID, as the node writes MessageId. */
export function newMessageId(): string {
  return randomUUID().toUpperCase();
}

/** xs:dateTime with the local offset and milliseconds, as real nodes write TimeStamp and Date. */
export function smevDateTime(d = new Date()): string {
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  const local = new Date(d.getTime() + off * 60000);
  return `${local.toISOString().slice(0, 23)}${sign}${pad(Math.trunc(off / 60))}:${pad(off % 60)}`;
}

export interface NodeHeaderFields {
  smevNamespace: string;
  messageId: string;
  messageClass: 'REQUEST' | 'RESPONSE';
  timeStamp?: string;
  nodeId?: string;
}

/** The smev:Header block the node stamps. rev110801's router header has MessageId and TimeStamp only. */
export function nodeHeaderXml(f: NodeHeaderFields): string {
  const ts = f.timeStamp ?? smevDateTime();
  const id = `ID-${randomUUID()}`;
  const old = f.smevNamespace.endsWith('/rev110801');
  return (
    `<smev:Header xmlns:smev="${f.smevNamespace}" xmlns:wsu="${NS.wsu}" wsu:Id="${id}">` +
    (old ? '' : `<smev:NodeId>${escapeXml(f.nodeId ?? '00')}</smev:NodeId>`) +
    `<smev:MessageId>${f.messageId}</smev:MessageId>` +
    `<smev:TimeStamp>${ts}</smev:TimeStamp>` +
    (old ? '' : `<smev:MessageClass>${f.messageClass}</smev:MessageClass>`) +
    `</smev:Header>`
  );
}

/**
 * Put a header block into the envelope's soap:Header, byte-exact everywhere else.
 * `replace(index)` picks existing header children to drop (e.g. an older smev:Header).
 */
export function withHeaderBlock(raw: Buffer, block: string, replace?: (index: number) => boolean, atStart = false): Buffer {
  return withHeaderBlocks(raw, atStart ? { first: block } : { last: block }, replace);
}

/**
 * Header blocks in one splice: `first` right after `<soap:Header …>`, `last` before
 * `</soap:Header>`, the children `remove` picks dropped, every other byte as it was. The message
 * is copied once, whatever its size (a 60 MB AppDocument is not copied per block).
 */
export function withHeaderBlocks(raw: Buffer, blocks: { first?: string; last?: string }, remove?: (index: number) => boolean): Buffer {
  return headerBlockSlices(raw, blocks, remove).join();
}

/**
 * The same splice, not copied: views of `raw` with the new blocks between them (../slices.ts).
 * What the node forwards is this: a large request is never held twice.
 */
export function headerBlockSlices(raw: Buffer, blocks: { first?: string; last?: string }, remove?: (index: number) => boolean): Slices {
  const layout = scanEnvelope(raw);
  const first = Buffer.from(blocks.first ?? '', 'utf8');
  const last = Buffer.from(blocks.last ?? '', 'utf8');
  const env = layout.envelope;
  const prefix = env.qname.includes(':') ? env.qname.slice(0, env.qname.indexOf(':') + 1) : '';
  if (!layout.header) {
    const open = Buffer.from(`<${prefix}Header>`), close = Buffer.from(`</${prefix}Header>`);
    return Slices.of(raw.subarray(0, env.startTagEnd), open, first, last, close, raw.subarray(env.startTagEnd));
  }
  const h = layout.header;
  if (h.selfClosing) {
    const tag = raw.toString('utf8', h.start, h.endTagStart).replace(/\s*$/, '');
    return Slices.of(raw.subarray(0, h.start), Buffer.from(`${tag}>`), first, last, Buffer.from(`</${h.qname}>`), raw.subarray(h.end));
  }
  const parts: Buffer[] = [raw.subarray(0, h.startTagEnd), first];
  let at = h.startTagEnd;
  layout.headerChildren.forEach((child, i) => {
    if (remove?.(i)) {
      parts.push(raw.subarray(at, child.start));
      at = child.end;
    }
  });
  parts.push(raw.subarray(at, h.endTagStart), last, raw.subarray(h.endTagStart));
  return Slices.of(...parts);
}

export interface FaultFields {
  faultcode: 'Client' | 'Server';
  faultstring: string;
  detail?: string;
}

export function faultEnvelope(f: FaultFields): Buffer {
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body><soap:Fault>` +
      `<faultcode>soap:${f.faultcode}</faultcode>` +
      `<faultstring>${escapeText(f.faultstring)}</faultstring>` +
      (f.detail ? `<detail><gw:reason xmlns:gw="urn:smev2-gateway:fault">${escapeText(f.detail)}</gw:reason></detail>` : '') +
      `</soap:Fault></soap:Body></soap:Envelope>`,
    'utf8',
  );
}

/**
 * Give the soap:Body a wsu:Id when it has none (an unsigned message the node is about to sign):
 * a splice into the Body's start tag, every other byte kept. Returns the bytes and the id.
 */
export function withBodyId(raw: Buffer, existing: string | undefined): { bytes: Buffer; id: string } {
  if (existing) return { bytes: raw, id: existing };
  const body = scanEnvelope(raw).body;
  if (!body) throw new Error('the envelope has no soap:Body');
  const id = `body-${randomUUID()}`;
  const at = body.selfClosing ? body.startTagEnd - 2 : body.startTagEnd - 1;
  const tag = raw.toString('utf8', body.start, body.startTagEnd);
  const declared = /\sxmlns:wsu\s*=\s*(["'])(.*?)\1/.exec(tag);
  const attr = Buffer.from(
    !declared ? ` xmlns:wsu="${NS.wsu}" wsu:Id="${id}"` : declared[2] === NS.wsu ? ` wsu:Id="${id}"` : ` xmlns:gwwsu="${NS.wsu}" gwwsu:Id="${id}"`,
  );
  return { bytes: Buffer.concat([raw.subarray(0, at), attr, raw.subarray(at)]), id };
}
