import { escapeText } from '../envelope/build';
import { leafValues, type XNode } from './tree';

/** smev:Message children that come after each field, in schema order (where to insert a missing one). */
const AFTER: Record<string, string[]> = {
  Date: ['Status', 'TypeCode'],
  OriginRequestIdRef: ['RequestIdRef', 'ExchangeType', 'Date'],
};

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Set a smev:Message field's text by splicing the bytes (every other byte is kept): replace the
 * element's content, or insert it after its predecessor in schema order with the same prefix.
 * Returns the bytes unchanged when the envelope has neither.
 */
export function setMessageField(bytes: Buffer, local: 'Date' | 'OriginRequestIdRef', value: string): Buffer {
  const text = bytes.toString('utf8');
  const existing = new RegExp(`<((?:[\\w.-]+:)?)${local}(\\s[^>]*)?(?:/>|>[^<]*</\\1${local}\\s*>)`).exec(text);
  if (existing) {
    const [whole, prefix, attrs] = existing;
    const el = `<${prefix}${local}${attrs ?? ''}>${escapeText(value)}</${prefix}${local}>`;
    return Buffer.from(text.slice(0, existing.index) + el + text.slice(existing.index + whole.length), 'utf8');
  }
  for (const before of AFTER[local]) {
    const m = new RegExp(`<((?:[\\w.-]+:)?)${before}(\\s[^>]*)?(?:/>|>[^<]*</\\1${before}\\s*>)`).exec(text);
    if (!m) continue;
    const at = m.index + m[0].length;
    return Buffer.from(`${text.slice(0, at)}<${m[1]}${local}>${escapeText(value)}</${m[1]}${local}>${text.slice(at)}`, 'utf8');
  }
  return bytes;
}

/** dates and times are not tickets: 2024-03-15, 15.03.2024, 2024-03-15T09:40:00+03:00 */
const DATE = /^(\d{4}-\d\d-\d\d|\d\d\.\d\d\.\d{4})([T ][\d:.]+)?(Z|[+-]\d\d:?\d\d)?$/;

/** A registration number or id rather than a code, a word or a date: six or more characters, a digit among them. */
export function looksLikeTicket(s: string): boolean {
  return s.length >= 6 && s.length <= 128 && /\d/.test(s) && !DATE.test(s);
}

/**
 * A PING often quotes the ticket the ACCEPT handed out (a registration number in AppData). When
 * the expected ACCEPT's AppData has a ticket-like value that ping.xml quotes, and the actual ACCEPT
 * has another value at the same path, the PING quotes the actual one.
 */
export function carryTickets(ping: Buffer, expectedAppData: XNode | undefined, actualAppData: XNode | undefined): { bytes: Buffer; carried: string[] } {
  if (!expectedAppData || !actualAppData) return { bytes: ping, carried: [] };
  const actual = leafValues(actualAppData, 'AppData');
  let text = ping.toString('utf8');
  const carried: string[] = [];
  for (const [path, expected] of leafValues(expectedAppData, 'AppData')) {
    const got = actual.get(path);
    if (got === undefined || got === expected || !looksLikeTicket(expected)) continue;
    const quoted = new RegExp(`>\\s*${esc(escapeText(expected))}\\s*<`, 'g');
    if (!quoted.test(text)) continue;
    text = text.replace(quoted, `>${escapeText(got)}<`);
    carried.push(`${path}: ${expected} -> ${got}`);
  }
  return { bytes: carried.length ? Buffer.from(text, 'utf8') : ping, carried };
}
