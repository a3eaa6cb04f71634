import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { childElements } from '../../xml/dom';
import type { XmlElement } from '../../xml/libxml';
import type { Roots } from './match';
import type { ScriptJob, ScriptReply } from './script-worker';

/**
 * How long a dispatch script may run per call (its top level and its dispatch() together), in wall
 * time: generous, because a busy machine slows every script and one cut short wrongly answers
 * INVALID; a loop is still ended within a second.
 */
export const SCRIPT_TIMEOUT_MS = 1000;
/** When the script's process has not answered this long past the limit, it is ended and started afresh. */
const STUCK_MS = 5000;
/** The most elements of a request a script sees (a larger AppData is cut, said in `truncated`). */
const MAX_NODES = 5000;

/** A request's plain values as a script sees them: a leaf element is its text, any other an object (docs/emulator.md). */
export type PlainValue = string | { [name: string]: PlainValue | PlainValue[] };

export interface RequestView {
  operation: string;
  Message?: PlainValue;
  AppData?: PlainValue;
  truncated?: boolean;
}

/** What a script chose: a case, and the scenarios it moves. */
export interface ScriptChoice {
  case: string;
  state: Record<string, string>;
}

export class ScriptError extends Error {}

/**
 * The request's smev:Message and AppData as plain values, made while its document is open: an
 * element with neither attributes nor child elements is its text; any other is an object of its
 * attributes (`@name`), its child elements by local name (an array when repeated) and its own
 * text (`#text`, when it has some).
 */
export function requestView(operation: string, roots: Roots): RequestView {
  let budget = MAX_NODES;
  const plain = (el: XmlElement): PlainValue => {
    budget--;
    const attrs = el.attrs;
    const kids = [...childElements(el)];
    if (!attrs.length && !kids.length) return el.content.trim();
    const o: Record<string, PlainValue | PlainValue[]> = {};
    for (const a of attrs) o[`@${a.name}`] = a.value;
    const repeated = new Set(kids.filter((k, i) => kids.findIndex((x) => x.name === k.name) !== i).map((k) => k.name));
    for (const k of kids) {
      if (budget <= 0) break;
      const v = plain(k);
      if (repeated.has(k.name)) ((o[k.name] ??= []) as PlainValue[]).push(v);
      else o[k.name] = v;
    }
    let own = '';
    for (let n = el.firstChild; n; n = n.next) if (!('attrs' in n)) own += n.content;
    if (own.trim()) o['#text'] = own.trim();
    return o;
  };
  const view: RequestView = { operation };
  if (roots.Message) view.Message = plain(roots.Message);
  if (roots.AppData) view.AppData = plain(roots.AppData);
  if (budget <= 0) view.truncated = true;
  return view;
}

interface Pending {
  job: ScriptJob;
  resolve: (r: ScriptChoice) => void;
  reject: (e: Error) => void;
}

/**
 * Runs dispatch scripts in a child process of their own (./script-worker.ts), one call at a
 * time: a script that loops is stopped by its time limit there, one that escapes the limit (a
 * getter on a thrown object, say) or exhausts its 64 MB heap gets the process ended and a fresh
 * one started for the next call, and a script's promises and memory never reach the gateway.
 * One runner per gateway process, its child started at the first script.
 */
class ScriptRunner {
  private worker?: ChildProcess;
  private queue: Pending[] = [];
  private current?: Pending;
  private timer?: NodeJS.Timeout;
  private nextId = 1;

  run(filename: string, source: string, view: RequestView, states: Record<string, string>, timeoutMs = SCRIPT_TIMEOUT_MS): Promise<ScriptChoice> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, filename, source, input: JSON.stringify({ request: view, states }), timeoutMs }, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.current || !this.queue.length) return;
    const p = this.queue.shift()!;
    this.current = p;
    this.thread().send(p.job);
    this.timer = setTimeout(() => this.stuck(), p.job.timeoutMs + STUCK_MS);
  }

  private settle(reply: ScriptReply | { error: string }): void {
    const p = this.current;
    if (!p) return;
    clearTimeout(this.timer);
    this.current = undefined;
    if ('error' in reply) p.reject(new ScriptError(reply.error));
    else {
      const r = JSON.parse(reply.result) as { case?: string; state?: Record<string, string>; error?: string };
      if (r.error !== undefined) p.reject(new ScriptError(r.error));
      else p.resolve({ case: r.case!, state: r.state ?? {} });
    }
    this.pump();
  }

  /** End a script process; the next script starts a fresh one. */
  private retire(w: ChildProcess | undefined): void {
    if (this.worker === w) this.worker = undefined;
    w?.kill('SIGKILL');
  }

  private stuck(): void {
    this.retire(this.worker);
    this.settle({ error: `did not finish, and its process stopped answering for ${STUCK_MS} ms past the time limit: the process was ended` });
  }

  private thread(): ChildProcess {
    if (this.worker) return this.worker;
    const w = fork(join(__dirname, 'script-worker.js'), [], { execArgv: ['--max-old-space-size=64'], serialization: 'json', stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    // never what keeps the gateway running; it ends with the gateway (its IPC channel closes)
    w.unref();
    w.channel?.unref();
    w.on('message', (m: ScriptReply) => {
      if (this.current?.job.id !== m.id) return;
      // a process whose script was stopped by its time limit is not used again: V8 stops a
      // script from a watchdog, and a late stop must not land in the next request's script
      if ('timedOut' in m && m.timedOut) this.retire(w);
      this.settle(m);
    });
    w.on('error', (e) => {
      if (this.worker !== w) return; // a retired process's end is nobody's answer
      this.worker = undefined;
      this.settle({ error: `ended its process: ${e.message}` });
    });
    w.on('exit', (code, signal) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.settle({ error: `ended its process (${signal ?? `exit code ${code}`}; out of memory, if it built something large: it has 64 MB)` });
    });
    this.worker = w;
    return w;
  }
}

let runner: ScriptRunner | undefined;

/** Run a dispatch script's dispatch(request, context) on a request; ScriptError says what went wrong. */
export function runScript(filename: string, source: string, view: RequestView, states: Record<string, string>, timeoutMs?: number): Promise<ScriptChoice> {
  runner ??= new ScriptRunner();
  return runner.run(filename, source, view, states, timeoutMs);
}
