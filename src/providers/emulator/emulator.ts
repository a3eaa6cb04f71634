import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnvelope } from '../../envelope/parse';
import type { SmevMessage } from '../../envelope/model';
import type { Service } from '../../registry/load';
import type { ProviderAdapter, ProviderAnswer, ProviderCall } from '../../registry/adapter';
import { loadCases, type EmulatorCase } from './cases';
import type { Roots } from './match';
import { Dispatcher, loadDispatch, type Prepared } from './dispatch';
import { Misses, missText } from './misses';
import type { Logger } from 'pino';
import { answerAddress, fillAnswer, skeleton, ticketAppData, errorAppData, type Fill } from '../../envelope/answer';
import { signEnvelope, type Signer } from '../../signature/sign';
import { ACTOR } from '../../envelope/ns';
import { GatewayFault } from '../../faults/catalogue';
import type { EmulatorState } from './state';
import { isPoll } from '../../registry/modes';
import { setAppDocument } from '../../envelope/app-document';
import { rootContentType, type MimeParts } from '../../http/multipart';
import { emulatedDocument, type EmulatedDocument } from './attachments';
import { renderTemplate, type AnswerTemplate, type RenderInput } from './template';
import { requestDocument } from './request-document';
import { faultAnswerBytes, faultNeeds } from './fault-answer';
import { SampleAnswers } from './sample-answer';

const XML = 'text/xml; charset=utf-8';
/** The text real providers answer a PING for an unknown chain with (PROTOCOL.md §4). */
export const UNKNOWN_CHAIN = 'Запрос с таким origRequestIdRef не найден!';
/** The case name an asynchronous chain is opened under when no case answered it, but the XSD's sample. */
const SAMPLE_CASE = '(sample from the XSD)';
/**
 * An emulated provider answering from case folders. Asynchronous chains, their PROCESS counters
 * and the counters of scripted failures are kept in the store (./state.ts), keyed by the
 * MessageId the node stamped on the REQUEST (and by the tickets of a case's accept.xml), so that
 * any process or instance on the store answers any leg. Synchronous answers never touch it.
 */
export class EmulatorAdapter implements ProviderAdapter {
  readonly cases: EmulatorCase[];
  /** tickets written in a case's accept.xml: a PING quoting one finds the latest chain of that case */
  private readonly acceptTickets = new Map<EmulatorCase, string[]>();
  /** the AppDocument of each case with attachments, made once */
  private readonly documents = new Map<EmulatorCase, Promise<EmulatedDocument>>();
  /** how each operation chooses its case (dispatch.yaml) */
  private readonly dispatcher: Dispatcher;
  /** the requests no case matched, for GET /admin/emulator/{sid}/misses */
  readonly misses = new Misses();
  /** answers of operations no case is written for, generated from the XSD */
  private readonly samples = new SampleAnswers();

  constructor(private readonly service: Service, casesDir: string, private readonly signer?: Signer, private readonly stateOf?: () => EmulatorState | undefined, private readonly log?: Logger) {
    // no cases folder: every operation answers the XSD's sample (registry/load.ts warns of it)
    const dir = service.casesDir ?? resolve(service.dir, casesDir); // casesDir: registry/load.ts resolveCasesDir
    this.cases = existsSync(dir) ? loadCases(dir) : [];
    this.dispatcher = new Dispatcher(service.sid, this.cases, existsSync(dir) ? loadDispatch(dir, this.cases, service.operations.map((o) => o.name)) : new Map(), () => this.state());
    for (const c of this.cases) {
      if (!c.accept || c.acceptTemplate?.fn) continue; // a templated accept.xml: its tickets are read as rendered
      const p = parseEnvelope(c.accept);
      try {
        this.acceptTickets.set(c, appDataTexts({ AppData: p.appDataElement }).filter(looksLikeTicket));
      } finally {
        p.doc.dispose();
      }
    }
  }

  async call(c: ProviderCall): Promise<ProviderAnswer> {
    // what the request says, as the pipeline parsed it (its Body is the forwarded one's)
    const p = c.parsed;
    const roots: Roots = { Message: p.messageElement, AppData: p.appDataElement };
    const req: SmevMessage = p.envelope.message ?? {};
    let pollKeys: string[] | undefined;
    let prepared: Prepared | undefined;
    if (isPoll(c.operation, req.status)) pollKeys = [req.originRequestIdRef, req.requestIdRef, ...appDataTexts(roots)].filter((k): k is string => !!k);
    else prepared = this.dispatcher.prepare(c.operation.name, roots);
    const sid = this.service.sid;
    if (pollKeys) {
      const chain = await this.state().find(sid, pollKeys, Date.now());
      const chosen = chain && this.cases.find((x) => x.name === chain.caseName);
      const scripted = chosen && (await this.script(chosen));
      if (scripted) return scripted;
      if (!chain) return this.generated(c, req, 'INVALID', errorAppData(UNKNOWN_CHAIN));
      if (!chosen && chain.caseName === SAMPLE_CASE) return this.sample(c, req, chain.origin);
      if (!chosen) {
        return this.generated(c, req, 'INVALID', errorAppData(`the chain ${chain.origin} was accepted by case "${chain.caseName}", which ${sid}'s cases no longer have; send the REQUEST again`), chain.origin);
      }
      const outcome = await this.state().poll(sid, chain.origin, chosen.processPolls, chosen.processSeconds, Date.now());
      if (outcome === 'process') return this.generated(c, req, 'PROCESS', ticketAppData(chain.origin), chain.origin);
      if (chosen.fault) return this.fault(chosen, c);
      return this.answer(await this.render(chosen.answerTemplate, c), c, req, { originRequestIdRef: chain.origin, documentOf: chosen });
    }
    const choice = await this.dispatcher.choose(prepared!);
    if ('error' in choice) {
      // the emulated provider's own program failed: answered as a miss is (INVALID, the reason in AppData), and logged
      this.log?.warn({ sid, operation: c.operation.name, messageId: c.messageId, reason: choice.error }, 'emulator: dispatch failed');
      return this.generated(c, req, 'INVALID', errorAppData(choice.error));
    }
    if ('miss' in choice && !choice.miss.length) {
      // no case is written for the operation at all: answer the XSD's sample
      if (c.operation.mode === 'async-send' || c.operation.mode === 'async') {
        await this.state().open(sid, c.messageId, SAMPLE_CASE, [], Date.now());
        return this.generated(c, req, 'ACCEPT', ticketAppData(c.messageId));
      }
      return this.sample(c, req);
    }
    if ('miss' in choice) {
      // cases of the operation exist but none matches: the tester wrote cases, say which came closest
      const text = missText(c.operation.name, choice.miss);
      this.misses.add(c.operation.name, c.messageId, text, choice.miss);
      return this.generated(c, req, 'INVALID', errorAppData(text));
    }
    const found = choice.case;
    const scripted = await this.script(found);
    if (scripted) return scripted;
    const isAsync = c.operation.mode === 'async-send' || c.operation.mode === 'async';
    // a fault case faults the REQUEST; one with an ACCEPT of its own faults its chain's final answer instead
    if (found.fault && !(isAsync && found.accept)) return this.fault(found, c);
    if (isAsync) {
      // a templated accept.xml is rendered first: the tickets it hands out name the chain
      const accept = found.acceptTemplate && (await this.render(found.acceptTemplate, c));
      await this.state().open(sid, c.messageId, found.name, accept && found.acceptTemplate!.fn ? ticketsOf(accept) : this.acceptTickets.get(found) ?? [], Date.now());
      if (accept) return this.answer(accept, c, req, {});
      return this.generated(c, req, 'ACCEPT', ticketAppData(c.messageId));
    }
    return this.answer(await this.render(found.answerTemplate, c), c, req, { documentOf: found });
  }

  /** The store that keeps this emulator's chains and counters (the gateway's, opened at start). */
  private state(): EmulatorState {
    const s = this.stateOf?.();
    if (!s) throw new Error(`emulator of ${this.service.sid}: no store to keep its asynchronous chains and script counters in (the gateway opens one at start)`);
    return s;
  }

  /**
   * A case's scripted behaviour (docs/emulator.md): a delay, or a failure (refused connection, a
   * hang, HTTP 500, garbage) for its first N calls, for some seconds, or always. The calls are
   * counted in the store, for every process and instance together.
   */
  private async script(chosen: EmulatorCase): Promise<ProviderAnswer | undefined> {
    const b = chosen.behaviour;
    if (!b) return undefined;
    if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
    if (!b.failure) return undefined;
    let failing = true;
    if (b.failFirst !== undefined || b.failForSeconds !== undefined) {
      const now = Date.now();
      const state = await this.state().scriptCall(this.service.sid, chosen.name, b, now);
      failing = b.failFirst !== undefined ? state.calls <= b.failFirst : now - state.since < b.failForSeconds! * 1000;
    }
    if (!failing) return undefined;
    switch (b.failure) {
      case 'refuse':
        throw new GatewayFault('providerUnreachable', {}, `emulated provider of case ${chosen.name}: connection refused`);
      case 'hang':
        await new Promise((r) => setTimeout(r, b.hangMs));
        throw new GatewayFault('providerTimeout', { timeoutMs: b.hangMs });
      case 'http500':
        return { status: 500, bytes: Buffer.from('<html><body>500 Internal Server Error</body></html>'), contentType: 'text/html' };
      case 'garbage':
        return { status: 200, bytes: Buffer.from('\u0000garbage\u0001 not xml'), contentType: 'text/xml' };
    }
  }

  private fill(c: ProviderCall, req: SmevMessage, origin?: string): Fill {
    return answerAddress(this.service.def.provider, req, c.messageId, origin);
  }

  /**
   * An answer file rendered from this request (./template.ts), before it is filled and signed:
   * its `seq` numbers counted in the store, the request's ZIP opened only when the file reads it.
   */
  private async render(t: AnswerTemplate, c: ProviderCall, needs: { seqNames: string[]; usesDocument: boolean } = t): Promise<Buffer> {
    if (!t.fn && !needs.seqNames.length) return t.bytes;
    return renderTemplate(t, await this.renderInput(c, needs));
  }

  private async renderInput(c: ProviderCall, needs: { seqNames: string[]; usesDocument: boolean }): Promise<RenderInput> {
    const seq = new Map<string, number>();
    for (const name of needs.seqNames) seq.set(name, await this.state().nextCount(this.service.sid, `seq:${name}`, Date.now()));
    const document = needs.usesDocument ? await requestDocument(c.parsed, c.parts?.parts) : undefined;
    return { request: c.parsed, seq, document };
  }

  /** A case's `fault:`: a SOAP fault with its HTTP status, neither filled nor signed (providers' faults are not). */
  private async fault(found: EmulatorCase, c: ProviderCall): Promise<ProviderAnswer> {
    const f = found.fault!;
    return { status: f.httpStatus, bytes: faultAnswerBytes(f, await this.renderInput(c, faultNeeds(f))), contentType: XML };
  }

  /** A case's answer file (rendered), filled; a final answer carries the case's AppDocument when it has attachments. */
  private async answer(template: Buffer, c: ProviderCall, req: SmevMessage, o: { originRequestIdRef?: string; documentOf?: EmulatorCase }): Promise<ProviderAnswer> {
    const filled = fillAnswer(template, this.fill(c, req, o.originRequestIdRef));
    const doc = o.documentOf?.attachments && (await this.document(o.documentOf));
    if (!doc) return this.reply(filled);
    // the AppDocument goes in before the envelope is signed: the signature covers it
    return this.reply(setAppDocument(filled, doc.content), doc.parts);
  }

  /**
   * A case's AppDocument, made at its first answer and kept: its files signed once, as a provider
   * signs a document once and sends it as often as it is asked for.
   */
  private document(found: EmulatorCase): Promise<EmulatedDocument> {
    let d = this.documents.get(found);
    if (!d) {
      d = emulatedDocument(found.attachments!, this.signer).catch((e: Error) => {
        this.documents.delete(found);
        throw new Error(`emulator of ${this.service.sid}, case ${found.name}: the AppDocument of ${found.attachments!.dir} cannot be made: ${e.message}`);
      });
      this.documents.set(found, d);
    }
    return d;
  }

  /** An answer as the provider sends it: signed with the provider system's key when it has one; MTOM when it has parts. */
  private reply(bytes: Buffer, parts?: MimeParts): ProviderAnswer {
    const signed = this.signer ? signEnvelope(bytes, ACTOR.smev, this.signer, { header: false }) : bytes;
    return parts ? { status: 200, bytes: signed, contentType: rootContentType(parts.framing), parts } : { status: 200, bytes: signed, contentType: XML };
  }

  /** The operation's answer generated from the XSD (./sample-answer.ts), filled and signed as any emulated answer. */
  private sample(c: ProviderCall, req: SmevMessage, origin?: string): ProviderAnswer {
    let s;
    try {
      s = this.samples.of(this.service, c.operation.name);
    } catch (e) {
      return this.generated(c, req, 'INVALID', errorAppData(`no emulated answer is defined for operation ${c.operation.name}, and none can be generated from the XSD: ${(e as Error).message}`), origin);
    }
    if (s.kind === 'envelope') return this.reply(s.bytes);
    return this.generated(c, req, 'RESULT', s.appData, origin);
  }

  private generated(c: ProviderCall, req: SmevMessage, status: string, appData: string, origin?: string): ProviderAnswer {
    const output = c.operation.output ?? c.operation.input!;
    const bytes = skeleton({
      output,
      smevNamespace: c.parsed.envelope.smevNamespace!,
      status,
      typeCode: req.typeCode,
      serviceName: req.serviceName,
      appData,
    });
    return this.reply(fillAnswer(bytes, this.fill(c, req, origin)));
  }
}

/** The id-like texts of an ACCEPT's AppData: the tickets a PING may quote. */
function ticketsOf(accept: Buffer): string[] {
  const p = parseEnvelope(accept);
  try {
    return appDataTexts({ AppData: p.appDataElement }).filter(looksLikeTicket);
  } finally {
    p.doc.dispose();
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
