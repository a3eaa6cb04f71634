import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { XmlElement } from '../xml/libxml';
import { isElement } from '../xml/dom';
import type { OperationModel } from '../xsd/model';
import { jsonToXml, xmlToJson } from '../xsd/json-xml';

/**
 * Tickets of asynchronous REST calls (docs/rest.md, "Asynchronous operations"). A ticket is no
 * row: it is what the poll needs (SID, operations, the node's MessageId of the request, the
 * system, the poll's AppData), deflated, base64url, with an HMAC of the gateway's secret. So it
 * works the same on SQLite and PostgreSQL and with every process of --workers, survives restarts,
 * and a system cannot forge one or read another's (its mnemonic is inside, checked on each poll).
 * The state is the gateway's own: each GET sends a PING on the poll operation and reads the answer.
 */
export interface Ticket {
  sid: string;
  /** the operation the request went to */
  operation: string;
  /** the operation that is polled (the get operation of a send/get pair, or the same one) */
  poll: string;
  /** the node's MessageId of the request: the PING's OriginRequestIdRef */
  messageId: string;
  system: string;
  /** the poll's AppData content */
  pollAppData: string;
  createdAt: string;
}

export class Tickets {
  private readonly key: Buffer;
  constructor(secret: Buffer) {
    this.key = createHmac('sha256', secret).update('smev2-gateway REST tickets').digest();
  }

  issue(t: Ticket): string {
    const body = deflateRawSync(Buffer.from(JSON.stringify(t), 'utf8')).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The ticket an id stands for, or undefined when it is not one this gateway issued. */
  read(id: string): Ticket | undefined {
    const m = /^([A-Za-z0-9_-]{8,16384})\.([A-Za-z0-9_-]{43})$/.exec(id);
    if (!m) return undefined;
    const want = Buffer.from(this.mac(m[1]!));
    if (!timingSafeEqual(want, Buffer.from(m[2]!))) return undefined;
    try {
      return JSON.parse(inflateRawSync(Buffer.from(m[1]!, 'base64url'), { maxOutputLength: 1 << 20 }).toString('utf8')) as Ticket;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/**
 * The AppData of the poll: the poll operation's sample, its values taken from the ACCEPT's AppData
 * where an element of the same local name holds one (the provider's registration number, the
 * request number: `RegNumber` of the Acknowledgement into `RequestID/RegNumber`).
 */
export function pollAppData(poll: OperationModel, accepted: XmlElement | undefined): string {
  const found = new Map<string, string>();
  const walk = (el: XmlElement) => {
    let kids = 0;
    for (let c = el.firstChild; c; c = c.next) if (isElement(c)) { kids++; walk(c); }
    if (!kids && !found.has(el.name)) found.set(el.name, el.content.trim());
  };
  if (accepted) for (let c = accepted.firstChild; c; c = c.next) if (isElement(c)) walk(c);
  if (!found.size) return poll.sample;
  let json;
  try {
    json = xmlToJson(poll.form, poll.sample);
  } catch {
    return poll.sample;
  }
  const fill = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => {
        const got = found.get(k);
        const put = (was: unknown) => (typeof was === 'number' && Number.isSafeInteger(Number(got)) ? Number(got) : got);
        if (got !== undefined && (typeof x === 'string' || typeof x === 'number')) return [k, put(x)];
        // an element with attributes: its text is #text
        if (got !== undefined && x && typeof x === 'object' && !Array.isArray(x) && '#text' in x) return [k, { ...x, '#text': put((x as Record<string, unknown>)['#text']) }];
        return [k, fill(x)];
      }));
    }
    return v;
  };
  try {
    return jsonToXml(poll.form, poll.form.appData || (json && typeof json === 'object') ? fill(json) : json, poll.prefixes);
  } catch {
    return poll.sample;
  }
}
