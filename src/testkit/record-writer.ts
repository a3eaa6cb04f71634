import { existsSync, mkdirSync, readdirSync, renameSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { readTree, findRoot, leafValues, type EnvelopeTree } from './tree';
import { looksLikeTicket } from './edit';
import { FINAL_STATUSES } from './run';
import { DEFAULT_VOLATILE } from './paths';
import type { RecordedAttachments } from './record-attachments';
import { escapingName } from '../attachments/guard';
import { ATTACHMENTS_DIR } from '../providers/emulator/cases';

/** One exchange the proxy saw: what the consumer sent and what the upstream answered. */
export interface Exchange {
  sid: string;
  request: Buffer;
  /** the answer's envelope (of an MTOM answer, its root part) */
  answer: Buffer;
  /** the answer's AppDocument, unpacked: written to the case's attachments/ */
  attachments?: RecordedAttachments;
  httpStatus: number;
  soapAction?: string;
  upstream: string;
  ms: number;
}

/** An ACCEPT whose PINGs have not yet brought a final status. */
interface OpenChain {
  sid: string;
  number: number;
  dir: string;
  keys: string[];
  polls: number;
  statuses: string[];
  match: Record<string, string>;
  volatile: string[];
  soapAction?: string;
  pingSoapAction?: string;
  pingWritten: boolean;
  upstream: string;
  attachments?: RecordedAttachments;
  fault?: RecordedFault;
  asWritten?: boolean;
}

const MAX_MATCH = 12;
/**
 * Where a chain waits for its final answer, inside the SID's folder: not a case folder for the
 * emulator (it reads the SID folder's own subfolders) nor for replay (it skips dot folders), so an
 * abandoned chain, whose `match` may equal a complete one's, is never answered with.
 */
export const INCOMPLETE = '.incomplete';
const SECRET = /-----BEGIN [A-Z ]*PRIVATE KEY-----|<(?:\w+:)?PrivateKey[\s>]/;

/**
 * Writes exchanges as fixture cases, `<out>/<SID>/recorded-NNN-<status>/`: request.xml and
 * answer.xml byte for byte as they crossed the proxy, and a case.yaml whose `match` picks this
 * answer in the emulator (the request's AppData leaf values). An ACCEPT opens a chain: the PINGs
 * that quote it (by OriginRequestIdRef, RequestIdRef or the ticket) go into the same case
 * (ping.xml, `async.processPolls`), and the final answer completes it. Until then the chain is
 * kept in `<SID>/.incomplete/`, not as a case: one abandoned (its PINGs never got a final answer)
 * stays there. HTTP headers are never written; an envelope holding a private key is not written at all.
 */
export class CaseWriter {
  private readonly counters = new Map<string, number>();
  private readonly chains = new Map<string, OpenChain>();
  written = 0;

  constructor(private readonly outDir: string, private readonly log: (line: string) => void, private readonly recordFaults = false) {}

  record(x: Exchange): void {
    if (SECRET.test(x.request.toString('latin1')) || SECRET.test(x.answer.toString('latin1'))) {
      this.log(`not recorded (${x.sid}): the exchange holds a private key`);
      return;
    }
    let req: EnvelopeTree;
    let ans: EnvelopeTree;
    try {
      req = readTree(x.request);
      ans = readTree(x.answer);
    } catch (e) {
      this.log(`not recorded (${x.sid}): not a SOAP exchange (HTTP ${x.httpStatus}): ${(e as Error).message}`);
      return;
    }
    const answerStatus = ans.fault ? 'FAULT' : ans.status ?? 'UNKNOWN';
    if (ans.fault && !this.recordFaults) {
      this.log(`not recorded (${x.sid}): SOAP fault ${ans.fault.faultstring ?? ''} (pass --record-faults to keep faults)`);
      return;
    }
    const chain = this.chainOf(req);
    if (chain) return this.step(chain, x, answerStatus);
    const number = this.next(x.sid);
    const match = matchOf(req);
    if (answerStatus === 'ACCEPT') {
      const c: OpenChain = {
        sid: x.sid, number, dir: '', keys: [], polls: 0, statuses: ['ACCEPT'], match, volatile: ticketPaths(ans),
        soapAction: x.soapAction, pingWritten: false, upstream: x.upstream,
      };
      c.dir = this.caseDir(x.sid, number, 'accept', true);
      c.asWritten = hasMustache(x.answer);
      writeFileSync(join(c.dir, 'request.xml'), x.request);
      writeFileSync(join(c.dir, 'accept.xml'), x.answer);
      this.writeYaml(c, 'accept.xml');
      c.keys = [ans.requestIdRef, ans.originRequestIdRef, ...ticketValues(ans)].filter((k): k is string => !!k).map((k) => k.toUpperCase());
      for (const k of c.keys) this.chains.set(k, c);
      this.written++;
      this.log(`recorded ${x.sid}/${INCOMPLETE}/${name(number, 'accept')}: ${req.status ?? '?'} → ACCEPT (HTTP ${x.httpStatus}, ${Math.round(x.ms)} ms); its PINGs go into the same case, a case once a final answer completes it`);
      return;
    }
    const dir = this.caseDir(x.sid, number, answerStatus.toLowerCase());
    writeFileSync(join(dir, 'request.xml'), x.request);
    writeFileSync(join(dir, 'answer.xml'), x.answer);
    writeAttachments(dir, x.attachments);
    writeFileSync(join(dir, 'case.yaml'), caseYaml({
      number, upstream: x.upstream, statuses: [answerStatus], match, volatile: [], soapAction: x.soapAction, attachments: x.attachments,
      fault: faultOf(ans, x.httpStatus), asWritten: hasMustache(x.answer),
    }));
    this.written++;
    this.log(`recorded ${x.sid}/${name(number, answerStatus.toLowerCase())}: ${req.status ?? '?'} → ${answerStatus} (HTTP ${x.httpStatus}, ${Math.round(x.ms)} ms)`);
  }

  /** Chains still waiting for a final status. */
  openChains(): string[] {
    return [...new Set(this.chains.values())].map((c) => `${c.sid}/${INCOMPLETE}/${name(c.number, 'accept')}`);
  }

  private chainOf(req: EnvelopeTree): OpenChain | undefined {
    const appData = findRoot(req, 'AppData');
    const keys = [req.originRequestIdRef, req.requestIdRef, ...(appData ? [...leafValues(appData, 'AppData').values()].filter(looksLikeTicket) : [])];
    for (const k of keys) {
      const c = k ? this.chains.get(k.toUpperCase()) : undefined;
      if (c) return c;
    }
    return undefined;
  }

  private step(c: OpenChain, x: Exchange, status: string): void {
    if (!c.pingWritten) {
      writeFileSync(join(c.dir, 'ping.xml'), x.request);
      c.pingSoapAction = x.soapAction;
      c.pingWritten = true;
    }
    c.statuses.push(status);
    if (!FINAL_STATUSES.includes(status) && status !== 'FAULT') {
      c.polls++;
      this.log(`  ${c.sid}/${INCOMPLETE}/${name(c.number, 'accept')}: PING → ${status} (poll ${c.polls})`);
      return;
    }
    writeFileSync(join(c.dir, 'answer.xml'), x.answer);
    writeAttachments(c.dir, x.attachments);
    c.attachments = x.attachments;
    if (status === 'FAULT') c.fault = faultOf(readTree(x.answer), x.httpStatus);
    if (hasMustache(x.answer)) c.asWritten = true;
    const final = join(this.outDir, c.sid, name(c.number, status.toLowerCase()));
    renameSync(c.dir, final);
    c.dir = final;
    const waiting = join(this.outDir, c.sid, INCOMPLETE);
    if (!readdirSync(waiting).length) rmdirSync(waiting);
    this.writeYaml(c, 'answer.xml');
    for (const k of c.keys) if (this.chains.get(k) === c) this.chains.delete(k);
    this.log(`recorded ${c.sid}/${name(c.number, status.toLowerCase())}: chain ${c.statuses.join(' → ')} complete`);
  }

  private writeYaml(c: OpenChain, answer: string): void {
    writeFileSync(join(c.dir, 'case.yaml'), caseYaml({
      number: c.number, upstream: c.upstream, statuses: c.statuses, match: c.match, volatile: c.volatile,
      soapAction: c.soapAction, pingSoapAction: c.pingSoapAction, answer, async: { processPolls: c.polls, accept: 'accept.xml' }, attachments: c.attachments,
      fault: c.fault, asWritten: c.asWritten,
    }));
  }

  private next(sid: string): number {
    if (!this.counters.has(sid)) {
      const dir = join(this.outDir, sid);
      const names = (d: string) => (existsSync(d) ? readdirSync(d) : []);
      const used = [...names(dir), ...names(join(dir, INCOMPLETE))].map((n) => Number(/^recorded-(\d+)-/.exec(n)?.[1] ?? 0));
      this.counters.set(sid, Math.max(0, ...used));
    }
    const n = this.counters.get(sid)! + 1;
    this.counters.set(sid, n);
    return n;
  }

  private caseDir(sid: string, number: number, status: string, incomplete = false): string {
    const dir = join(this.outDir, sid, ...(incomplete ? [INCOMPLETE] : []), name(number, status));
    mkdirSync(dir, { recursive: true });
    return dir;
  }
}

function name(number: number, status: string): string {
  return `recorded-${String(number).padStart(3, '0')}-${status}`;
}

const escRx = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** The request's AppData leaf values, as emulator conditions (literal values, even `*` or /x/). */
function matchOf(req: EnvelopeTree): Record<string, string> {
  const appData = findRoot(req, 'AppData');
  const out: Record<string, string> = {};
  if (!appData) return out;
  for (const [path, value] of leafValues(appData, 'AppData')) {
    if (Object.keys(out).length >= MAX_MATCH) break;
    if (value.length > 200) continue;
    out[path] = value === '*' || /^\/.*\/[imsu]*$/.test(value) ? `/^${escRx(value)}$/` : value;
  }
  return out;
}

function ticketValues(ans: EnvelopeTree): string[] {
  const appData = findRoot(ans, 'AppData');
  return appData ? [...leafValues(appData, 'AppData').values()].filter(looksLikeTicket) : [];
}

/** AppData paths of an ACCEPT's tickets: new on every call, so volatile. */
function ticketPaths(ans: EnvelopeTree): string[] {
  const appData = findRoot(ans, 'AppData');
  if (!appData) return [];
  return [...leafValues(appData, 'AppData')].filter(([, v]) => looksLikeTicket(v)).map(([p]) => p);
}

interface YamlInfo {
  number: number;
  upstream: string;
  statuses: string[];
  match: Record<string, string>;
  volatile: string[];
  soapAction?: string;
  pingSoapAction?: string;
  answer?: string;
  async?: { processPolls: number; accept: string };
  attachments?: RecordedAttachments;
  /** the recorded SOAP fault: the emulator answers it (case.yaml `fault:`), replay compares answer.xml */
  fault?: RecordedFault;
  /** an envelope holds `{{`: case.yaml says `template: false`, so the emulator sends it as it came */
  asWritten?: boolean;
}

interface RecordedFault {
  faultcode: 'Client' | 'Server';
  faultstring: string;
  httpStatus: number;
}

/**
 * A recorded fault as case.yaml's `fault:`. Its detail stays in answer.xml only: it may lean on
 * namespace prefixes declared outside it, and replay compares answer.xml whole anyway.
 */
function faultOf(ans: EnvelopeTree, httpStatus: number): RecordedFault | undefined {
  if (!ans.fault) return undefined;
  const code = (ans.fault.faultcode ?? '').replace(/^.*:/, '');
  return { faultcode: /^client/i.test(code) ? 'Client' : 'Server', faultstring: ans.fault.faultstring || '(no faultstring)', httpStatus: httpStatus >= 200 && httpStatus <= 599 ? httpStatus : 500 };
}

const hasMustache = (b: Buffer) => b.includes('{{');

/**
 * The answer's AppDocument as the case's attachments/ files, its `.sig` files among them: the
 * emulator sends them back as they are (case.yaml `sign: false`), signatures the upstream made.
 */
function writeAttachments(dir: string, a: RecordedAttachments | undefined): void {
  if (!a) return;
  for (const f of a.files) {
    if (escapingName(f.name)) throw new Error(`the AppDocument's file "${f.name}" ${escapingName(f.name)}`);
    const path = join(dir, ATTACHMENTS_DIR, ...f.name.split('/'));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, f.bytes);
  }
}

function caseYaml(i: YamlInfo): string {
  const doc: Record<string, unknown> = {
    description: `recorded exchange ${i.number}: ${i.statuses.join(' → ')}`,
    ...(Object.keys(i.match).length ? { match: i.match } : { priority: -1 }),
  };
  if (i.answer && i.answer !== 'answer.xml') doc.answer = i.answer;
  if (i.async) doc.async = i.async;
  if (i.fault) doc.fault = i.fault;
  if (i.asWritten) doc.template = false;
  doc.volatile = [...DEFAULT_VOLATILE.filter((p) => p.startsWith('Message/')), ...i.volatile];
  if (i.attachments) {
    const a = i.attachments;
    doc.attachments = { form: a.form, ...(a.requestCode ? { requestCode: a.requestCode } : {}), ...(a.contentId ? { contentId: a.contentId } : {}), sign: false };
  }
  if (i.soapAction) doc.soapAction = i.soapAction;
  if (i.pingSoapAction) doc.pingSoapAction = i.pingSoapAction;
  return `# Recorded by smev2-gateway record on ${new Date().toISOString()} from ${i.upstream}.\n` +
    '# request.xml and answer.xml are the envelopes as they crossed the proxy; HTTP headers\n' +
    '# (credentials, cookies) are not kept. `match` picks this answer in the emulator; replay\n' +
    `# never compares ${DEFAULT_VOLATILE.join(', ')}, nor the smev:Header and signatures.\n` +
    stringify(doc);
}
