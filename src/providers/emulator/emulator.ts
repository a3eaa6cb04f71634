import { resolve } from 'node:path';
import { parseEnvelope } from '../../envelope/parse';
import type { SmevMessage } from '../../envelope/model';
import type { Service } from '../../registry/load';
import type { ProviderAdapter, ProviderAnswer, ProviderCall } from '../adapter';
import { loadCases, type EmulatorCase } from './cases';
import { matchCase, type Roots } from './match';
import { fillAnswer, skeleton, ticketAppData, errorAppData, type Fill } from '../../envelope/answer';
import { signEnvelope, type Signer } from '../../signature/sign';
import { ACTOR } from '../../envelope/ns';
import { GatewayFault } from '../../faults/catalogue';

const XML = 'text/xml; charset=utf-8';
/** The text real providers answer a PING for an unknown chain with (PROTOCOL.md §4). */
export const UNKNOWN_CHAIN = 'Запрос с таким origRequestIdRef не найден!';
const CHAIN_TTL_MS = 24 * 3600 * 1000;
const MAX_CHAINS = 100_000;

interface Chain {
  case: EmulatorCase;
  /** the node MessageId of the REQUEST that opened the chain */
  origin: string;
  created: number;
  polls: number;
}

/**
 * An emulated provider answering from case folders. Asynchronous chains are kept in memory,
 * keyed by the MessageId the node stamped on the REQUEST (and by the ticket handed out in ACCEPT).
 */
export class EmulatorAdapter implements ProviderAdapter {
  readonly cases: EmulatorCase[];
  private readonly chains = new Map<string, Chain>();
  private readonly scriptState = new Map<EmulatorCase, { calls: number; since: number }>();
  /** tickets written in a case's accept.xml: a PING quoting one finds the latest chain of that case */
  private readonly acceptTickets = new Map<EmulatorCase, string[]>();

  constructor(private readonly service: Service, casesDir: string, private readonly signer?: Signer) {
    this.cases = loadCases(service.casesDir ?? resolve(service.dir, casesDir)); // casesDir: registry/load.ts resolveCasesDir
    for (const c of this.cases) {
      if (!c.accept) continue;
      const p = parseEnvelope(c.accept);
      try {
        this.acceptTickets.set(c, appDataTexts({ AppData: p.appDataElement }).filter(looksLikeTicket));
      } finally {
        p.doc.dispose();
      }
    }
  }

  async call(c: ProviderCall): Promise<ProviderAnswer> {
    const scripted = await this.script(c);
    if (scripted) return scripted;
    const p = parseEnvelope(c.bytes);
    try {
      const roots: Roots = { Message: p.messageElement, AppData: p.appDataElement };
      const req = p.envelope.message ?? {};
      const mode = c.operation.mode;
      const isPoll = mode === 'async-get' || (mode === 'async' && req.status === 'PING');
      if (isPoll) return this.poll(c, req, roots);
      const m = matchCase(this.cases, c.operation.name, roots);
      if (!m.case) {
        const text = m.nearMiss
          ? `no emulated answer matches; closest case "${m.nearMiss.case.name}" differs at ${m.nearMiss.path}: expected "${m.nearMiss.expected}", got ${m.nearMiss.actual === undefined ? 'nothing' : `"${m.nearMiss.actual}"`}`
          : `no emulated answer is defined for operation ${c.operation.name}`;
        return this.generated(c, req, 'INVALID', errorAppData(text));
      }
      if (mode === 'async-send' || mode === 'async') {
        const chain = { case: m.case, origin: c.messageId, created: Date.now(), polls: 0 };
        for (const id of [c.messageId, ...(this.acceptTickets.get(m.case) ?? [])]) this.remember(id, chain);
        if (m.case.accept) return this.answer(m.case.accept, c, req, {});
        return this.generated(c, req, 'ACCEPT', ticketAppData(c.messageId));
      }
      return this.answer(m.case.answer, c, req, {});
    } finally {
      p.doc.dispose();
    }
  }

  /**
   * A case's scripted behaviour (docs/emulator.md): a delay, or a failure (refused connection, a
   * hang, HTTP 500, garbage) for its first N calls, for some seconds, or always.
   */
  private async script(c: ProviderCall): Promise<ProviderAnswer | undefined> {
    const p = parseEnvelope(c.bytes);
    let chosen: EmulatorCase | undefined;
    try {
      const req = p.envelope.message ?? {};
      const roots: Roots = { Message: p.messageElement, AppData: p.appDataElement };
      const isPoll = c.operation.mode === 'async-get' || (c.operation.mode === 'async' && req.status === 'PING');
      if (isPoll) {
        const keys = [req.originRequestIdRef, req.requestIdRef, ...appDataTexts(roots)].filter((k): k is string => !!k);
        const key = keys.find((k) => this.chains.has(k.toUpperCase()));
        chosen = key ? this.chains.get(key.toUpperCase())!.case : undefined;
      } else chosen = matchCase(this.cases, c.operation.name, roots).case;
    } finally {
      p.doc.dispose();
    }
    const b = chosen?.behaviour;
    if (!b) return undefined;
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    if (!b.failure) return undefined;
    const state = this.scriptState.get(chosen!) ?? { calls: 0, since: Date.now() };
    this.scriptState.set(chosen!, state);
    state.calls++;
    const failing = b.failFirst !== undefined ? state.calls <= b.failFirst
      : b.failForSeconds !== undefined ? Date.now() - state.since < b.failForSeconds * 1000
      : true;
    if (!failing) return undefined;
    switch (b.failure) {
      case 'refuse':
        throw new GatewayFault('providerUnreachable', {}, `emulated provider of case ${chosen!.name}: connection refused`);
      case 'hang':
        await new Promise((r) => setTimeout(r, b.hangMs));
        throw new GatewayFault('providerTimeout', { timeoutMs: b.hangMs });
      case 'http500':
        return { status: 500, bytes: Buffer.from('<html><body>500 Internal Server Error</body></html>'), contentType: 'text/html' };
      case 'garbage':
        return { status: 200, bytes: Buffer.from('\u0000garbage\u0001 not xml'), contentType: 'text/xml' };
    }
  }

  private poll(c: ProviderCall, req: SmevMessage, roots: Roots): ProviderAnswer {
    const keys = [req.originRequestIdRef, req.requestIdRef, ...appDataTexts(roots)].filter((k): k is string => !!k);
    const key = keys.find((k) => this.chains.has(k.toUpperCase()));
    const chain = key ? this.chains.get(key.toUpperCase()) : undefined;
    if (!chain) return this.generated(c, req, 'INVALID', errorAppData(UNKNOWN_CHAIN));
    const origin = chain.origin;
    const waitMs = chain.case.processSeconds * 1000 - (Date.now() - chain.created);
    if (chain.polls < chain.case.processPolls || waitMs > 0) {
      chain.polls++;
      return this.generated(c, req, 'PROCESS', ticketAppData(origin), origin);
    }
    return this.answer(chain.case.answer, c, req, { originRequestIdRef: origin });
  }

  private remember(id: string, chain: Chain): void {
    if (this.chains.size >= MAX_CHAINS) {
      const now = Date.now();
      for (const [k, v] of this.chains) if (now - v.created > CHAIN_TTL_MS) this.chains.delete(k);
      if (this.chains.size >= MAX_CHAINS) this.chains.delete(this.chains.keys().next().value!);
    }
    this.chains.set(id.toUpperCase(), chain);
  }

  private fill(c: ProviderCall, req: SmevMessage, origin?: string): Fill {
    return {
      sender: req.recipient ?? { code: this.service.def.provider.mnemonic, name: this.service.def.provider.name },
      recipient: req.sender,
      originator: req.originator,
      exchangeType: req.exchangeType,
      requestIdRef: c.messageId,
      originRequestIdRef: origin ?? req.originRequestIdRef ?? c.messageId,
      testMsg: req.testMsg,
    };
  }

  private answer(template: Buffer, c: ProviderCall, req: SmevMessage, o: { originRequestIdRef?: string }): ProviderAnswer {
    return this.reply(fillAnswer(template, this.fill(c, req, o.originRequestIdRef)));
  }

  /** An answer as the provider sends it: signed with the provider system's key when it has one. */
  private reply(bytes: Buffer): ProviderAnswer {
    return { status: 200, bytes: this.signer ? signEnvelope(bytes, ACTOR.smev, this.signer, { header: false }) : bytes, contentType: XML };
  }

  private generated(c: ProviderCall, req: SmevMessage, status: string, appData: string, origin?: string): ProviderAnswer {
    const output = c.operation.output ?? c.operation.input!;
    const bytes = skeleton({
      output,
      smevNamespace: c.request.smevNamespace!,
      status,
      typeCode: req.typeCode,
      serviceName: req.serviceName,
      appData,
    });
    return this.reply(fillAnswer(bytes, this.fill(c, req, origin)));
  }
}

/** A registration number or id rather than a code or a word: six or more characters, a digit among them. */
function looksLikeTicket(s: string): boolean {
  return s.length >= 6 && /\d/.test(s);
}

/** Short text values in AppData (a ticket a consumer quotes back), at most a few levels deep. */
function appDataTexts(roots: Roots): string[] {
  const out: string[] = [];
  const walk = (el: NonNullable<Roots['AppData']>, depth: number) => {
    let hasChild = false;
    for (let n = el.firstChild; n; n = n.next) {
      if ('attrs' in n) {
        hasChild = true;
        if (depth < 4 && out.length < 50) walk(n as typeof el, depth + 1);
      }
    }
    if (!hasChild) {
      const t = el.content.trim();
      if (t && t.length <= 64) out.push(t);
    }
  };
  if (roots.AppData) walk(roots.AppData, 0);
  return out;
}
