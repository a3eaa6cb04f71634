import type { Envelope } from '../envelope/model';
import type { Service, Operation } from '../registry/load';
import type { FaultName } from '../faults/catalogue';

/** A broken rule, as a catalogue entry and its parameters. */
export interface Violation {
  fault: FaultName;
  params: Record<string, string | number>;
}

/** Statuses a consumer may send on an operation of each mode; a provider may answer with the rest. */
const CONSUMER_STATUSES: Record<Operation['mode'], string[]> = {
  sync: ['REQUEST'],
  'async-send': ['REQUEST'],
  // some services poll with REQUEST on the get operation (PROTOCOL.md §4)
  'async-get': ['PING', 'REQUEST'],
  async: ['REQUEST', 'PING'],
};
export const PROVIDER_STATUSES = ['RESULT', 'REJECT', 'INVALID', 'ACCEPT', 'PROCESS', 'FAILURE', 'NOTIFY', 'STATE', 'CANCEL', 'PACKET'];

export interface LogicOptions {
  /** the consumer's systems registry: is this mnemonic a registered system? */
  isRegistered(mnemonic: string): boolean;
  /** how far the message's Date may be from the node's clock, in seconds (0: not checked) */
  maxDateSkewSeconds: number;
  now: Date;
}

/**
 * Logical control of a consumer's message (PROTOCOL.md §1–4): who sends it, to whom, with which
 * Status, when, and whether test traffic may pass on this contour.
 */
export function checkRequestLogic(env: Envelope, service: Service, op: Operation, o: LogicOptions): Violation[] {
  const m = env.message;
  if (!m) return [];
  const out: Violation[] = [];
  const sender = m.sender?.code;
  if (!sender || !o.isRegistered(sender)) out.push({ fault: 'senderUnknown', params: { sender: sender ?? '(none)' } });
  const recipient = m.recipient?.code;
  if (recipient !== service.def.provider.mnemonic) {
    out.push({ fault: 'wrongRecipient', params: { recipient: recipient ?? '(none)', sid: service.sid, provider: service.def.provider.mnemonic } });
  }
  const allowed = CONSUMER_STATUSES[op.mode];
  // rev110801 has no Status at all
  if (env.revision !== 'rev110801' && (!m.status || !allowed.includes(m.status))) {
    out.push({ fault: 'statusNotAllowed', params: { status: m.status ?? '(none)', operation: op.name, allowed: allowed.join(', ') } });
  }
  if (m.date !== undefined && o.maxDateSkewSeconds > 0) {
    const t = Date.parse(m.date);
    if (Number.isNaN(t)) out.push({ fault: 'dateSkew', params: { date: m.date, skew: 'unreadable', max: o.maxDateSkewSeconds } });
    else {
      const skew = Math.round(Math.abs(t - o.now.getTime()) / 1000);
      if (skew > o.maxDateSkewSeconds) out.push({ fault: 'dateSkew', params: { date: m.date, skew: `${skew} s`, max: o.maxDateSkewSeconds } });
    }
  }
  if (m.testMsg !== undefined && service.def.contour === 'productive') out.push({ fault: 'testMsgOnProductive', params: { sid: service.sid } });
  return out;
}

/** A provider's answer: a provider Status, from the provider, to the consumer who asked. */
export function checkAnswerLogic(answer: Envelope, request: Envelope, service: Service): Violation[] {
  const m = answer.message;
  if (!m) return [];
  const out: Violation[] = [];
  if (answer.revision !== 'rev110801' && (!m.status || !PROVIDER_STATUSES.includes(m.status))) {
    out.push({ fault: 'providerAnswerInvalid', params: { status: 200, reason: `Status ${m.status ?? '(none)'} is not an answer status (${PROVIDER_STATUSES.join(', ')})` } });
  }
  const consumer = request.message?.sender?.code;
  if (consumer && m.recipient?.code && m.recipient.code !== consumer) {
    out.push({ fault: 'providerAnswerInvalid', params: { status: 200, reason: `the answer's Recipient ${m.recipient.code} is not the consumer ${consumer}` } });
  }
  if (m.sender?.code && m.sender.code !== service.def.provider.mnemonic) {
    out.push({ fault: 'providerAnswerInvalid', params: { status: 200, reason: `the answer's Sender ${m.sender.code} is not the provider ${service.def.provider.mnemonic}` } });
  }
  return out;
}
