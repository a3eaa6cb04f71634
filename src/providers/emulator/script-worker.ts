// The process that runs dispatch scripts (./script.ts), a child of the gateway's. Each call runs in a fresh node:vm context
// holding only the language's builtins and the request's plain values: no require, process,
// import, fetch, timers or file system, and no code generation from strings (eval, Function),
// so no way back to this thread's Node. Each step runs under the time limit, the promises it
// makes included (microtaskMode afterEvaluate). The process is not the gateway's: a script that
// leaves a rejected promise, or runs out of this process's small heap, ends at most this process
// (a worker thread's heap limit did not: a large allocation in one aborted the whole gateway).
import { createHash } from 'node:crypto';
import vm from 'node:vm';

export interface ScriptJob {
  id: number;
  filename: string;
  source: string;
  /** JSON of { request, states } (script.ts ScriptInput) */
  input: string;
  timeoutMs: number;
}

/** What the script returned, checked in its own context: a case name, or JSON of { case, state }. */
export type ScriptReply = { id: number; result: string } | { id: number; error: string; timedOut?: boolean };

// a rejected promise nobody handled: in this process only, and the call already answered
process.on('unhandledRejection', () => undefined);

/** Builds `request` and `context` inside the context from the input's JSON (a string crosses in, nothing else). */
const PRELUDE = new vm.Script(`(function (g) {
  'use strict';
  var input = JSON.parse(g.__input);
  delete g.__input;
  // builtins that wait, or hand out promises from outside the call: not for a dispatch script
  delete g.Atomics; delete g.SharedArrayBuffer; delete g.WebAssembly;
  function freeze(o) { if (o && typeof o === 'object') { Object.values(o).forEach(freeze); Object.freeze(o); } return o; }
  var view = freeze(input.request);
  var states = input.states;
  function xpath(path) {
    var steps = String(path).split('/');
    var v = view[steps[0]];
    for (var i = 1; v !== undefined && i < steps.length; i++) {
      if (Array.isArray(v)) v = v[0];
      if (v === null || typeof v !== 'object') return undefined;
      v = Object.prototype.hasOwnProperty.call(v, steps[i]) ? v[steps[i]] : undefined;
    }
    if (Array.isArray(v)) v = v[0];
    if (v !== null && typeof v === 'object') return typeof v['#text'] === 'string' ? v['#text'] : '';
    return v;
  }
  Object.defineProperty(g, '__request', { value: Object.freeze({ operation: view.operation, Message: view.Message, AppData: view.AppData, xpath: xpath }) });
  Object.defineProperty(g, '__context', { value: Object.freeze({ state: function (name) { return Object.prototype.hasOwnProperty.call(states, name) ? states[name] : 'Started'; } }) });
})(globalThis)`, { filename: 'dispatch-prelude.js' });

/** Calls the script's dispatch() and checks what it gave, inside the context; only a string comes out. */
const CALL = new vm.Script(`(function () {
  'use strict';
  if (typeof dispatch !== 'function') return JSON.stringify({ error: 'the script defines no function dispatch(request, context)' });
  var r = dispatch(__request, __context);
  if (typeof r === 'string') return JSON.stringify({ case: r });
  if (r && typeof r.then === 'function') return JSON.stringify({ error: 'dispatch() returned a promise: it must return a case name (or { case, state }) at once; async code is not run' });
  if (!r || typeof r !== 'object' || typeof r.case !== 'string') return JSON.stringify({ error: 'dispatch() returned ' + (r === null ? 'null' : typeof r) + ', not a case name or { case, state }' });
  var state = {};
  if (r.state !== undefined) {
    if (!r.state || typeof r.state !== 'object') return JSON.stringify({ error: 'dispatch() returned a state that is not an object of { scenario: state }' });
    for (var k of Object.keys(r.state)) {
      if (typeof r.state[k] !== 'string' || !r.state[k]) return JSON.stringify({ error: 'dispatch() returned state.' + k + ' that is not a non-empty string' });
      state[k] = r.state[k];
    }
  }
  return JSON.stringify({ case: r.case, state: state });
})()`, { filename: 'dispatch-call.js' });

/** The scripts compiled once each, by their text. */
const compiled = new Map<string, vm.Script>();

function run(job: ScriptJob): string {
  const key = createHash('sha256').update(job.filename).update('\0').update(job.source).digest('hex');
  let script = compiled.get(key);
  if (!script) {
    script = new vm.Script(job.source, { filename: job.filename });
    compiled.set(key, script);
  }
  const sandbox = Object.create(null) as Record<string, unknown>;
  sandbox.__input = job.input;
  const ctx = vm.createContext(sandbox, { name: job.filename, codeGeneration: { strings: false, wasm: false }, microtaskMode: 'afterEvaluate' });
  const deadline = Date.now() + job.timeoutMs;
  const left = () => Math.max(1, deadline - Date.now());
  PRELUDE.runInContext(ctx, { timeout: left() });
  script.runInContext(ctx, { timeout: left() });
  return CALL.runInContext(ctx, { timeout: left() }) as string;
}

// the gateway gone (its IPC channel closed): nothing more to do
process.on('disconnect', () => process.exit(0));

process.on('message', (job: ScriptJob) => {
  let reply: ScriptReply;
  try {
    reply = { id: job.id, result: run(job) };
  } catch (e) {
    const err = e as { code?: string; message?: string; stack?: string };
    const where = typeof err.stack === 'string' ? /\((?:[^()]*\/)?([^()/]+\.js:\d+:\d+)\)|at ([^\s()]+\.js:\d+:\d+)/.exec(err.stack) : null;
    const text = err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT'
      ? `ran past its time limit of ${job.timeoutMs} ms`
      : `threw ${String(err.message ?? e)}${where ? ` (at ${where[1] ?? where[2]})` : ''}`;
    reply = { id: job.id, error: text, timedOut: err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT' };
  }
  process.send!(reply);
});
