import { NS } from '../../envelope/ns';
import { escapeText } from '../../envelope/build';
import { walkForm, type FormNode } from '../../xsd/form';
import { renderValues } from '../../xsd/render';
import type { OperationModel } from '../../xsd/model';

/** The smev:Message of a composed request (PROTOCOL.md §2). */
export interface MessageFields {
  sender: { code: string; name: string };
  recipient: { code: string; name: string };
  originator?: { code: string; name: string };
  serviceMnemonic: string;
  serviceVersion: string;
  typeCode: string;
  status: string;
  date: string;
  exchangeType: string;
  requestIdRef?: string;
  originRequestIdRef?: string;
  caseNumber?: string;
  testMsg?: boolean;
}

/**
 * A consumer's request envelope for an operation, unsigned: the operation element written from
 * the bundle's own declaration of it (smev:Message's fields and smev:MessageData in the order and
 * namespaces the bundle gives them: ServiceName or Service{Mnemonic,Version} as its revision
 * has them, no Status in rev110801), AppData's content as given. A bundle that does not define
 * the operation element gets the common shape: Message, then MessageData/AppData. An operation
 * element that is no SMEV message is sent as the form made it.
 */
export function requestEnvelope(m: OperationModel, f: MessageFields, appData: string): string {
  // body 'operation': `appData` is the operation element itself (the form's XML)
  const body = m.body === 'operation' ? appData : m.envelopeForm ? fromSchema(m, m.envelopeForm, f, appData) : undefined;
  return `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<soapenv:Envelope xmlns:soapenv="${NS.soap}">\n` +
    `<soapenv:Header/>\n` +
    `<soapenv:Body xmlns:wsu="${NS.wsu}" wsu:Id="body">\n` +
    `${body ?? commonShape(m, f, appData)}\n` +
    `</soapenv:Body>\n` +
    `</soapenv:Envelope>\n`;
}

function fromSchema(m: OperationModel, root: FormNode, f: MessageFields, appData: string): string | undefined {
  const nodes = [...walkForm(root)];
  const messages = nodes.filter((n) => n.name === 'Message' && !n.compositor && n.kind === 'group' && n.children?.length);
  const message = messages.find((n) => n.ns === m.smevNamespace) ?? messages[0];
  const app = nodes.find((n) => n.appData);
  if (!message || !app) return undefined;
  const known = new Set(nodes.map((n) => n.path));
  const values: Record<string, string> = {};
  const inject: Record<string, string> = {};
  const put = (rel: string, v: string | undefined) => {
    const p = `${message.path}/${rel}`;
    if (v !== undefined && v !== '' && known.has(p)) values[p] = v;
  };
  const party = (name: string, p: { code: string; name: string } | undefined) => {
    put(`${name}/Code`, p?.code);
    put(`${name}/Name`, p?.name);
  };
  party('Sender', f.sender);
  party('Recipient', f.recipient);
  party('Originator', f.originator);
  if (known.has(`${message.path}/ServiceName`)) put('ServiceName', f.serviceMnemonic);
  else {
    put('Service/Mnemonic', f.serviceMnemonic);
    put('Service/Version', f.serviceVersion);
  }
  put('TypeCode', f.typeCode);
  put('Status', f.status);
  put('Date', f.date);
  put('ExchangeType', f.exchangeType);
  put('RequestIdRef', f.requestIdRef);
  put('OriginRequestIdRef', f.originRequestIdRef);
  put('CaseNumber', f.caseNumber);
  if (f.testMsg && known.has(`${message.path}/TestMsg`)) inject[`${message.path}/TestMsg`] = '';
  if (appData.trim() || app.minOccurs > 0) inject[app.path] = appData;
  return renderValues(root, values, m.prefixes, { inject });
}

function commonShape(m: OperationModel, f: MessageFields, appData: string): string {
  const el = (name: string, v: string | undefined) => (v === undefined || v === '' ? '' : `<smev:${name}>${escapeText(v)}</smev:${name}>`);
  const party = (name: string, p: { code: string; name: string } | undefined) => (p ? `<smev:${name}>${el('Code', p.code)}${el('Name', p.name)}</smev:${name}>` : '');
  const rev120315 = m.revision === 'rev120315';
  const old = m.revision === 'rev110801';
  const op = m.input.ns ? `op:${m.input.local}` : m.input.local;
  return `<${op}${m.input.ns ? ` xmlns:op="${m.input.ns}"` : ''} xmlns:smev="${m.smevNamespace}">` +
    `<smev:Message>${party('Sender', f.sender)}${party('Recipient', f.recipient)}${party('Originator', f.originator)}` +
    `${rev120315 ? el('ServiceName', f.serviceMnemonic) : ''}${el('TypeCode', f.typeCode)}${old ? '' : el('Status', f.status)}${el('Date', f.date)}` +
    `${old ? '' : el('ExchangeType', f.exchangeType)}${el('RequestIdRef', f.requestIdRef)}${el('OriginRequestIdRef', f.originRequestIdRef)}${el('CaseNumber', f.caseNumber)}` +
    `${f.testMsg ? '<smev:TestMsg/>' : ''}</smev:Message>` +
    `<smev:MessageData><smev:AppData>${appData}</smev:AppData></smev:MessageData></${op}>`;
}
