import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { yamlErrorText } from '../../yaml-error';
import { describeIssues } from '../../registry/definition';
import { CaseError, type EmulatorCase } from './cases';
import { evaluate, rank, STARTED, type Evaluation, type NearMiss, type Roots } from './match';
import { requestView, runScript, ScriptError, type RequestView } from './script';
import type { EmulatorState } from './state';

/** The optional file of a SID's cases folder that says how each operation picks its case. */
export const DISPATCH_FILE = 'dispatch.yaml';

/** One operation's (or `*`, every other operation's) way of choosing a case (docs/emulator.md, "Dispatch"). */
const ruleSchema = z.strictObject({
  style: z.enum(['match', 'sequence', 'random', 'script']).default('match'),
  cases: z.array(z.string().min(1)).min(1).optional(),
  loop: z.boolean().optional(),
  script: z.string().regex(/^[^/\\]+\.js$/, 'a .js file in the cases folder (a name, without a folder)').optional(),
}).superRefine((r, ctx) => {
  const say = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if ((r.style === 'sequence' || r.style === 'random') && !r.cases) say('cases', `style ${r.style} needs the list of its cases`);
  if (r.style !== 'sequence' && r.style !== 'random' && r.cases) say('cases', `is for style sequence or random, not ${r.style}`);
  if (r.style === 'script' && !r.script) say('script', 'style script needs its file (script: choose.js)');
  if (r.style !== 'script' && r.script) say('script', `is for style script, not ${r.style}`);
  if (r.style !== 'sequence' && r.loop !== undefined) say('loop', `is for style sequence, not ${r.style}`);
});
export const dispatchSchema = z.record(z.string().min(1), ruleSchema);

export type Rule =
  | { style: 'match' }
  | { style: 'sequence'; cases: EmulatorCase[]; loop: boolean }
  | { style: 'random'; cases: EmulatorCase[] }
  | { style: 'script'; file: string; source: string };

const MATCH: Rule = { style: 'match' };

/**
 * The rules of a cases folder's dispatch.yaml, by operation (`*`: any other); none without the
 * file. Throws CaseError naming the file and key of every problem: a case the folder does not
 * have (or of another operation), an operation the service does not have, a script that is
 * missing or does not compile, random candidates all of weight 0.
 */
export function loadDispatch(dir: string, cases: EmulatorCase[], operations: string[]): Map<string, Rule> {
  const file = join(dir, DISPATCH_FILE);
  const rules = new Map<string, Rule>();
  if (!existsSync(file)) return rules;
  let text = '';
  let parsed;
  try {
    text = readFileSync(file, 'utf8');
    parsed = dispatchSchema.safeParse(parseYaml(text) ?? {});
  } catch (e) {
    throw new CaseError(`${file}: not valid YAML: ${yamlErrorText(e, text)}`);
  }
  if (!parsed.success) throw new CaseError(describeIssues(parsed.error).map((l) => `${file}: ${l}`).join('\n'));
  const problems: string[] = [];
  const byName = new Map(cases.map((c) => [c.name, c]));
  for (const [op, r] of Object.entries(parsed.data)) {
    const at = `${file}: ${op}`;
    if (op !== '*' && !operations.includes(op)) {
      problems.push(`${at}: the service has no operation ${op} (it has: ${operations.join(', ')}; * is any other)`);
      continue;
    }
    if (r.style === 'match') rules.set(op, MATCH);
    else if (r.style === 'sequence' || r.style === 'random') {
      const listed: EmulatorCase[] = [];
      r.cases!.forEach((name, i) => {
        const c = byName.get(name);
        if (!c) problems.push(`${at}.cases.${i}: no case "${name}" in ${dir} (it has: ${[...byName.keys()].join(', ') || 'none'})`);
        else if (op !== '*' && c.operation && c.operation !== op) problems.push(`${at}.cases.${i}: case "${name}" answers operation ${c.operation}, not ${op}`);
        else listed.push(c);
      });
      if (r.style === 'random' && listed.length === r.cases!.length && !listed.some((c) => c.weight > 0)) {
        problems.push(`${at}.cases: every case has weight 0: give one a weight above 0 in its case.yaml`);
      }
      rules.set(op, r.style === 'sequence' ? { style: 'sequence', cases: listed, loop: r.loop ?? false } : { style: 'random', cases: listed });
    } else {
      const path = join(dir, r.script!);
      if (!existsSync(path)) {
        problems.push(`${at}.script: ${path} does not exist`);
        continue;
      }
      const source = readFileSync(path, 'utf8');
      try {
        new vm.Script(source, { filename: path }); // compiled only, to refuse a syntax error at load
      } catch (e) {
        problems.push(`${at}.script: ${path} does not compile: ${(e as Error).message}`);
        continue;
      }
      rules.set(op, { style: 'script', file: path, source });
    }
  }
  if (problems.length) throw new CaseError(problems.join('\n'));
  return rules;
}

/** What a request needs read while its document is open: the conditions judged, or its plain values for a script. */
export interface Prepared {
  operation: string;
  rule: Rule;
  evaluated?: Evaluation[];
  view?: RequestView;
}

/** The case chosen, and why (for logs and people); or the near misses; or why the dispatch failed. */
export type Choice =
  | { case: EmulatorCase; why: string }
  | { miss: NearMiss[] }
  | { error: string };

/**
 * Chooses the case that answers a request, as the SID's dispatch.yaml says for its operation:
 * `match` (conditions, then priority, then the most conditions), `sequence`, `random` (by
 * weight) or `script`. Then moves the scenarios the chosen case (or the script) moves. The
 * store is asked only for what needs it: a sequence's position, scenario states when a case or
 * a script reads them, a scenario moved; a plain `match` never touches it.
 */
export class Dispatcher {
  constructor(
    private readonly sid: string,
    private readonly cases: EmulatorCase[],
    private readonly rules: Map<string, Rule>,
    private readonly state: () => EmulatorState,
    private readonly random: () => number = Math.random,
  ) {}

  ruleFor(operation: string): Rule {
    return this.rules.get(operation) ?? this.rules.get('*') ?? MATCH;
  }

  prepare(operation: string, roots: Roots): Prepared {
    const rule = this.ruleFor(operation);
    if (rule.style === 'match') return { operation, rule, evaluated: evaluate(this.cases, operation, roots) };
    if (rule.style === 'script') return { operation, rule, view: requestView(operation, roots) };
    return { operation, rule };
  }

  async choose(p: Prepared): Promise<Choice> {
    const chosen = await this.pick(p);
    if ('case' in chosen) await this.move(chosen.case, chosen.states ?? {});
    return chosen;
  }

  private async pick(p: Prepared): Promise<Choice & { states?: Record<string, string> }> {
    const r = p.rule;
    switch (r.style) {
      case 'match': {
        const needsStates = p.evaluated!.some((e) => e.case.scenario?.requiredState !== undefined);
        const states = needsStates ? await this.state().scenarioStates(this.sid) : new Map<string, string>();
        const m = rank(p.evaluated!, (name) => states.get(name) ?? STARTED);
        return m.case ? { case: m.case, why: 'matched' } : { miss: m.nearMisses };
      }
      case 'sequence': {
        const n = await this.state().nextCount(this.sid, `dispatch:${p.operation}`, Date.now());
        const i = r.loop ? (n - 1) % r.cases.length : Math.min(n, r.cases.length) - 1;
        return { case: r.cases[i]!, why: `sequence: call ${n}, case ${i + 1} of ${r.cases.length}${r.loop ? ' (looping)' : ''}` };
      }
      case 'random': {
        const total = r.cases.reduce((s, c) => s + c.weight, 0);
        let x = this.random() * total;
        const c = r.cases.find((k) => k.weight > 0 && (x -= k.weight) < 0) ?? r.cases.filter((k) => k.weight > 0).at(-1)!;
        return { case: c, why: `random: weight ${c.weight} of ${total}` };
      }
      case 'script': {
        const states = Object.fromEntries(await this.state().scenarioStates(this.sid));
        let out;
        try {
          out = await runScript(r.file, r.source, p.view!, states);
        } catch (e) {
          if (e instanceof ScriptError) return { error: `the dispatch script ${r.file} ${e.message}` };
          throw e;
        }
        const c = this.cases.find((k) => k.name === out.case);
        if (!c) return { error: `the dispatch script ${r.file} chose case "${out.case}", which ${this.sid} does not have (it has: ${this.cases.map((k) => k.name).join(', ')})` };
        if (c.operation && c.operation !== p.operation) return { error: `the dispatch script ${r.file} chose case "${c.name}", which answers operation ${c.operation}, not ${p.operation}` };
        return { case: c, why: `script chose "${c.name}"`, states: out.state };
      }
    }
  }

  /** The scenario moves of an answer: the case's newState, then those the script returned. */
  private async move(c: EmulatorCase, states: Record<string, string>): Promise<void> {
    const moves = { ...(c.scenario?.newState ? { [c.scenario.name]: c.scenario.newState } : {}), ...states };
    const now = Date.now();
    for (const [name, state] of Object.entries(moves)) await this.state().setScenario(this.sid, name, state, now);
  }
}
