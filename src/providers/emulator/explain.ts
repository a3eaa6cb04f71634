import type { EmulatorCase } from './cases';
import { evaluate, rank, valueAt, STARTED, type Roots } from './match';

/**
 * Why the emulator chooses a case for a request, without choosing it: no counter moves, no chain
 * opens, nothing is written. "Try it" (admin API, console) shows it beside the answer. For
 * `match` dispatch it names the case the emulator answers with (the same evaluate and rank); for
 * sequence, random and script dispatch the choice depends on the state in the store at call time,
 * so it names the style and the candidates, each with its conditions.
 */
export interface ConditionCheck {
  path: string;
  expected: string;
  actual: string | null;
  ok: boolean;
}

export interface CaseCheck {
  case: string;
  priority: number;
  /** the case answers only this operation (absent: any) */
  operation?: string;
  /** the case is for another operation: its conditions are not looked at */
  otherOperation: boolean;
  conditions: ConditionCheck[];
  /** share of conditions met (1 for a case without conditions) */
  score: number;
}

export interface Explanation {
  operation: string;
  style: string;
  /** the case match dispatch answers with; null when none matches, or when the style decides at call time */
  case: string | null;
  why: string;
  /** the cases that did not match, closest first (WireMock's near misses, ranked) */
  nearMisses: CaseCheck[];
  /** every case of the operation, as checked */
  checked: CaseCheck[];
}

export function explainChoice(cases: EmulatorCase[], operation: string, roots: Roots, style = 'match', candidates?: string[], stateOf: (scenario: string) => string = () => STARTED): Explanation {
  const checked: CaseCheck[] = cases.map((c) => {
    const other = !!c.operation && c.operation !== operation;
    const conditions = other ? [] : c.conditions.map((cond) => {
      const actual = valueAt(roots, cond.steps);
      return { path: cond.path, expected: cond.expected, actual: actual ?? null, ok: cond.test(actual) };
    });
    const met = conditions.filter((x) => x.ok).length;
    return { case: c.name, priority: c.priority, ...(c.operation ? { operation: c.operation } : {}), otherOperation: other, conditions, score: conditions.length ? met / conditions.length : 1 };
  });
  const mine = checked.filter((c) => !c.otherOperation);
  const nearMisses = mine.filter((c) => c.conditions.some((x) => !x.ok)).sort((a, b) => b.score - a.score || b.priority - a.priority);
  if (style !== 'match') {
    const names = candidates?.length ? candidates : mine.map((c) => c.case);
    return { operation, style, case: null, why: `${style} dispatch (dispatch.yaml): the case is chosen at call time among ${names.join(', ') || 'no case'}`, nearMisses, checked: mine };
  }
  // the same judgement the emulator makes (match.ts), with the scenario states given
  const m = rank(evaluate(cases, operation, roots), stateOf);
  if (m.case) {
    const c = mine.find((x) => x.case === m.case!.name)!;
    const rivals = mine.filter((x) => x !== c && x.conditions.every((y) => y.ok));
    const met = c.conditions.length ? `its conditions all hold (${c.conditions.map((x) => `${x.path} = "${x.actual}"`).join(', ')})` : 'it has no conditions';
    const over = rivals.length ? `; it wins over ${rivals.map((r) => r.case).join(', ')} by priority (${c.priority}), then by its number of conditions (${c.conditions.length})` : '';
    return { operation, style, case: c.case, why: `case "${c.case}" answers: ${met}${over}`, nearMisses, checked: mine };
  }
  const near = nearMisses[0];
  const miss = near?.conditions.find((x) => !x.ok);
  const why = near && miss
    ? `no case matches; closest case "${near.case}" differs at ${miss.path}: expected "${miss.expected}", got ${miss.actual === null ? 'nothing' : `"${miss.actual}"`}`
    : `no case is defined for operation ${operation}`;
  return { operation, style, case: null, why, nearMisses, checked: mine };
}
