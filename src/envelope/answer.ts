import { parseEnvelope } from './parse';
import { childElements } from '../xml/dom';
import type { XmlElement } from '../xml/libxml';
import type { Party, SmevMessage } from './model';
import { NS } from './ns';
import { escapeXml, smevDateTime } from './build';
import type { QName } from './model';

/** smev:Message children in schema order, across the three revisions and both 2.5.x variants. */
const ORDER = [
  'Sender', 'Recipient', 'Originator', 'ServiceName', 'Service', 'TypeCode', 'Status', 'Date', 'ExchangeType',
  'RequestIdRef', 'OriginRequestIdRef', 'ServiceCode', 'CaseNumber', 'SubMessages', 'TestMsg', 'OKTMO',
];

export interface Fill {
  sender?: Party;
  recipient?: Party;
  originator?: Party;
  status?: string;
  date?: string;
  exchangeType?: string;
  requestIdRef?: string;
  originRequestIdRef?: string;
  /** undefined: remove TestMsg; a string (possibly empty): set it */
  testMsg?: string;
}

/**
 * How a provider addresses its answer to a request (the emulator's and a clerk's alike): from the
 * request's recipient (or the provider itself), to its sender, for its originator, referring to the
 * node's MessageId of the request and to the chain's origin, test traffic kept as test traffic.
 */
export function answerAddress(provider: { mnemonic: string; name: string }, req: SmevMessage, messageId: string, origin?: string): Fill {
  return {
    sender: req.recipient ?? { code: provider.mnemonic, name: provider.name },
    recipient: req.sender,
    originator: req.originator,
    exchangeType: req.exchangeType,
    requestIdRef: messageId,
    originRequestIdRef: origin ?? req.originRequestIdRef ?? messageId,
    testMsg: req.testMsg,
  };
}

/** The answer envelope with the routing fields of smev:Message set as a provider would set them. */
export function fillAnswer(template: Buffer, fill: Fill): Buffer {
  const p = parseEnvelope(template);
  try {
    const msg = p.messageElement;
    if (!msg) throw new Error('the answer file has no smev:Message');
    const prefix = msg.prefix;
    const set = (local: string, value: string | Party | undefined | null) => {
      let existing: XmlElement | undefined;
      for (const c of childElements(msg)) if (c.name === local) existing = c;
      if (value === null) {
        existing?.remove();
        return;
      }
      if (value === undefined) return;
      let el = existing;
      if (!el) {
        const rank = ORDER.indexOf(local);
        let before: XmlElement | undefined;
        for (const c of childElements(msg)) {
          const r = ORDER.indexOf(c.name);
          if (r > rank) { before = c; break; }
        }
        el = before ? before.prependElement(local, prefix) : msg.addElement(local, prefix);
      } else {
        while (el.firstChild) el.firstChild.remove();
      }
      if (typeof value === 'string') {
        if (value) el.addText(value);
      } else {
        el.addElement('Code', prefix).addText(value.code ?? '');
        el.addElement('Name', prefix).addText(value.name ?? '');
      }
    };
    set('Sender', fill.sender);
    set('Recipient', fill.recipient);
    set('Originator', fill.originator);
    set('Status', fill.status);
    set('Date', fill.date ?? smevDateTime());
    set('ExchangeType', fill.exchangeType);
    set('RequestIdRef', fill.requestIdRef);
    set('OriginRequestIdRef', fill.originRequestIdRef);
    set('TestMsg', fill.testMsg === undefined ? null : fill.testMsg);
    return Buffer.from(p.doc.toString({ format: false }), 'utf8');
  } finally {
    p.doc.dispose();
  }
}

export interface Skeleton {
  output: QName;
  smevNamespace: string;
  status: string;
  typeCode?: string;
  serviceName?: string;
  appData: string;
}

/** A generated answer (ACCEPT, PROCESS, INVALID) for the operation's output element; fill it next. */
export function skeleton(s: Skeleton): Buffer {
  const svc = s.serviceName !== undefined ? `<smev:ServiceName>${escapeXml(s.serviceName)}</smev:ServiceName>` : '';
  return Buffer.from(
    `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soap:Envelope xmlns:soap="${NS.soap}"><soap:Body>` +
      `<out:${s.output.local} xmlns:out="${s.output.ns}">` +
      `<smev:Message xmlns:smev="${s.smevNamespace}"><smev:Sender/><smev:Recipient/>${svc}` +
      `<smev:TypeCode>${escapeXml(s.typeCode ?? 'GSRV')}</smev:TypeCode><smev:Status>${s.status}</smev:Status>` +
      `<smev:Date/><smev:ExchangeType/></smev:Message>` +
      `<smev:MessageData xmlns:smev="${s.smevNamespace}"><smev:AppData>${s.appData}</smev:AppData></smev:MessageData>` +
      `</out:${s.output.local}></soap:Body></soap:Envelope>`,
    'utf8',
  );
}

export const EMULATOR_NS = 'urn:smev2-gateway:emulator';

export function ticketAppData(ticket: string): string {
  return `<emu:Ticket xmlns:emu="${EMULATOR_NS}">${escapeXml(ticket)}</emu:Ticket>`;
}

export function errorAppData(text: string): string {
  return `<emu:Error xmlns:emu="${EMULATOR_NS}">${escapeXml(text)}</emu:Error>`;
}
