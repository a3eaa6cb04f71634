import { smevDateTime } from '../envelope/build';
import type { FixtureCase } from './fixtures';
import { postSoap, endpointFor, type HttpAnswer } from './http';
import { withEnvelope, readTree, findRoot, type EnvelopeTree } from './tree';
import { compareTrees } from './compare';
import { checkSignatures, type TrustJudge } from './signatures';
import { setMessageField, carryTickets } from './edit';
import { compareAttachments, withoutAppDocument } from './attachments';
import { expectedBytes } from './expected';

export interface RunOptions {
  /** a gateway's base URL, a URL with {SID}, or an endpoint (docs/fixtures.md) */
  target: string;
  /** budget of a whole case, chain included */
  timeoutMs: number;
  pollIntervalMs: number;
  maxDifferences: number;
  /** signs an outgoing envelope (--sign-as); without it requests go as they are */
  sign?: (bytes: Buffer) => Buffer;
  /** set Message/Date to now in every request */
  freshDates?: boolean;
  trust?: TrustJudge;
}

export type Outcome = 'passed' | 'failed' | 'error' | 'skipped';

/** Differences found in one file's comparison (answer.xml, accept.xml), or in the chain. */
export interface Finding {
  file: string;
  lines: string[];
}

export interface CaseResult {
  fixture: FixtureCase;
  outcome: Outcome;
  /** the statuses answered, in order (FAULT for a SOAP fault, HTTP nnn for no envelope) */
  chain: string[];
  findings: Finding[];
  /** for errors and skips: why */
  message?: string;
  ms: number;
}

export const FINAL_STATUSES = ['RESULT', 'REJECT', 'INVALID', 'FAILURE'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  http: HttpAnswer;
  /** the request this answers, as sent (an answer template is rendered with it) */
  sent: Buffer;
  tree?: EnvelopeTree;
  /** status as written in the chain */
  status: string;
}

/** Send a case's request (and PINGs until a final status) and compare what comes back. */
export async function runCase(c: FixtureCase, o: RunOptions): Promise<CaseResult> {
  const t0 = performance.now();
  const result: CaseResult = { fixture: c, outcome: 'passed', chain: [], findings: [], ms: 0 };
  const done = (r: Partial<CaseResult>): CaseResult => {
    Object.assign(result, r);
    result.ms = performance.now() - t0;
    if (result.outcome === 'passed' && result.findings.some((f) => f.lines.length)) result.outcome = 'failed';
    return result;
  };
  if (c.skip) return done({ outcome: 'skipped', message: c.skip });
  if (c.problem) return done({ outcome: 'error', message: c.problem });
  const deadline = Date.now() + o.timeoutMs;
  const left = () => deadline - Date.now();
  try {
    const url = endpointFor(o.target, c.sid);
    const prepare = (bytes: Buffer) => {
      const dated = o.freshDates ? setMessageField(bytes, 'Date', smevDateTime()) : bytes;
      return o.sign ? o.sign(dated) : dated;
    };
    const send = async (bytes: Buffer, soapAction?: string): Promise<Answer> => {
      const sent = prepare(bytes);
      const http = await postSoap(url, sent, soapAction, left());
      let tree: EnvelopeTree | undefined;
      try {
        tree = readTree(http.bytes);
      } catch {
        // not SOAP: judged below
      }
      const status = !tree ? `HTTP ${http.status}` : tree.fault ? 'FAULT' : tree.status ?? '(no Status)';
      result.chain.push(status);
      return { http, tree, status, sent };
    };
    let last = await send(c.request!, c.soapAction);
    if (c.ping && last.status === 'ACCEPT') {
      const accept = last;
      const expectedAccept = c.accept && expectedTree(c.acceptFile!, await expectedBytes(c, c.acceptFile!, c.accept, accept.sent));
      if (expectedAccept) result.findings.push({ file: c.acceptFile!, lines: judge(expectedAccept, last, c, o) });
      const origin = accept.tree!.requestIdRef ?? accept.tree!.originRequestIdRef;
      let ping = origin ? setMessageField(c.ping, 'OriginRequestIdRef', origin) : c.ping;
      if (expectedAccept) ping = carryTickets(ping, findRoot(expectedAccept, 'AppData'), findRoot(accept.tree!, 'AppData')).bytes;
      for (;;) {
        if (left() <= o.pollIntervalMs) {
          result.findings.push({ file: 'chain', lines: [`no final status within ${o.timeoutMs / 1000} s: got ${result.chain.join(' ')}`] });
          return done({});
        }
        await sleep(o.pollIntervalMs);
        last = await send(ping, c.pingSoapAction);
        if (!last.tree || last.tree.fault || FINAL_STATUSES.includes(last.status)) break;
      }
    }
    // the final answer is rendered from the message that fetched it (the PING, in a chain), as the emulator renders it
    const expectedFinal = expectedTree(c.answerFile, await expectedBytes(c, c.answerFile, c.answer, last.sent));
    result.findings.push({ file: c.answer?.length || !c.fault ? c.answerFile : 'case.yaml fault', lines: judge(expectedFinal, last, c, o) });
    if (c.attachments && last.tree && !last.tree.fault) {
      result.findings.push({ file: 'attachments/', lines: await compareAttachments(c.attachments, findRoot(expectedFinal, 'AppDocument'), last.http) });
    }
    if (c.ping || c.expect) {
      const pattern = c.expect ?? ['ACCEPT', 'PROCESS*', expectedFinal.fault ? 'FAULT' : expectedFinal.status ?? 'RESULT'];
      if (!chainMatches(pattern, result.chain)) {
        result.findings.push({ file: 'chain', lines: [`expected ${pattern.join(' ')}, got ${result.chain.join(' ')}`] });
      }
    }
    return done({});
  } catch (e) {
    return done({ outcome: 'error', message: (e as Error).message });
  }
}

function expectedTree(file: string, bytes: Buffer): EnvelopeTree {
  try {
    return readTree(bytes);
  } catch (e) {
    throw new Error(`${file} is not a SOAP envelope: ${(e as Error).message}`);
  }
}

/** The differences between an expected envelope and an answer, signatures verified. */
function judge(expected: EnvelopeTree, answer: Answer, c: FixtureCase, o: RunOptions): string[] {
  const { http } = answer;
  if (!answer.tree) {
    const text = http.bytes.toString('utf8', 0, Math.min(http.bytes.length, 300)).replace(/\s+/g, ' ').trim();
    return [`the answer is not a SOAP envelope (HTTP ${http.status}${http.contentType ? `, ${http.contentType}` : ''}): ${text || '(empty)'}`];
  }
  const lines: string[] = [];
  const actual = answer.tree;
  if (actual.fault && !expected.fault) lines.push(`the answer is a SOAP fault: ${actual.fault.faultcode ?? ''} ${actual.fault.faultstring ?? ''}`.replace(/\s+/g, ' '));
  else if (!expected.fault && http.status !== 200) lines.push(`HTTP status: expected 200, got ${http.status}`);
  else if (expected.fault && c.fault && http.status !== c.fault.httpStatus) lines.push(`HTTP status: expected ${c.fault.httpStatus} (fault.httpStatus), got ${http.status}`);
  // a case with attachments/ compares its AppDocument file by file (./attachments.ts), not as text
  const [e, a] = c.attachments ? [withoutAppDocument(expected.root), withoutAppDocument(actual.root)] : [expected.root, actual.root];
  lines.push(...compareTrees(e, a, { volatile: c.volatile, maxDifferences: o.maxDifferences }));
  lines.push(...withEnvelope(http.bytes, (p) => checkSignatures(p, expected.securityActors, o.trust)));
  return lines;
}

/** Does the chain of statuses match the pattern (a Status, with * any number, + one or more, ? optional)? */
export function chainMatches(pattern: string[], chain: string[]): boolean {
  const rx = pattern.map((p) => {
    const m = /^([A-Z]+)([*+?]?)$/.exec(p);
    if (!m) throw new Error(`expect: ${p} is not a Status with an optional * + ?`);
    return `(?:${m[1]} )${m[2]}`;
  }).join('');
  return new RegExp(`^${rx}$`).test(chain.map((s) => `${s.replace(/\s+/g, '_')} `).join(''));
}
