import { childElements, attrValue } from '../../xml/dom';
import type { XmlElement } from '../../xml/libxml';
import type { EmulatorCase } from './cases';

export interface Roots {
  Message?: XmlElement;
  AppData?: XmlElement;
}

/** The state a scenario is in before any case moved it (WireMock's). */
export const STARTED = 'Started';

/** Value at a namespace-agnostic path (`AppData/Request/@kind`), or undefined when absent. */
export function valueAt(roots: Roots, steps: string[]): string | undefined {
  let el = roots[steps[0] as keyof Roots];
  for (let i = 1; el && i < steps.length; i++) {
    const s = steps[i];
    if (s.startsWith('@')) return i === steps.length - 1 ? attrValue(el, s.slice(1)) : undefined;
    let found: XmlElement | undefined;
    for (const c of childElements(el)) if (c.name === s) { found = c; break; }
    el = found;
  }
  return el ? el.content.trim() : undefined;
}

/** Where a case's condition failed: the path (or `scenario <name>`), what it wanted, what the request had. */
export interface Difference {
  path: string;
  expected: string;
  actual?: string;
}

/** A case's `match:` judged against one request, before scenario states are known. */
export interface Evaluation {
  case: EmulatorCase;
  met: number;
  /** the first condition that failed, if any */
  miss?: Difference;
}

/** A case that did not match, with how close it came: conditions met of all (its scenario's required state counts as one). */
export interface NearMiss extends Difference {
  case: EmulatorCase;
  met: number;
  of: number;
}

export interface MatchResult {
  case?: EmulatorCase;
  /** when nothing matched: the cases of the operation, closest first */
  nearMisses: NearMiss[];
}

/**
 * The conditions of every case of the operation, judged while the request's document is open
 * (the store is asked for scenario states only afterwards, and only when a case needs one).
 */
export function evaluate(cases: EmulatorCase[], operation: string, roots: Roots): Evaluation[] {
  const out: Evaluation[] = [];
  for (const c of cases) {
    if (c.operation && c.operation !== operation) continue;
    let met = 0;
    let miss: Difference | undefined;
    for (const cond of c.conditions) {
      const actual = valueAt(roots, cond.steps);
      if (cond.test(actual)) met++;
      else miss ??= { path: cond.path, expected: cond.expected, actual };
    }
    out.push({ case: c, met, miss });
  }
  return out;
}

/**
 * The matching case with the highest priority (then the most conditions); a case whose scenario
 * requires a state matches only in it. When none matches: every evaluated case as a near miss,
 * ranked by the share of conditions met, then by priority (WireMock ranks its near misses too).
 */
export function rank(evaluated: Evaluation[], stateOf: (scenario: string) => string): MatchResult {
  let best: EmulatorCase | undefined;
  const near: NearMiss[] = [];
  for (const e of evaluated) {
    const c = e.case;
    const required = c.scenario?.requiredState;
    const current = c.scenario && required !== undefined ? stateOf(c.scenario.name) : undefined;
    const inState = required === undefined || current === required;
    const of = c.conditions.length + (required === undefined ? 0 : 1);
    const met = e.met + (required !== undefined && inState ? 1 : 0);
    if (!e.miss && inState) {
      if (!best || c.priority > best.priority || (c.priority === best.priority && c.conditions.length > best.conditions.length)) best = c;
      continue;
    }
    const diff = e.miss ?? { path: `scenario ${c.scenario!.name}`, expected: required!, actual: current };
    near.push({ case: c, met, of, ...diff });
  }
  if (best) return { case: best, nearMisses: [] };
  const share = (n: NearMiss) => (n.of ? n.met / n.of : 0);
  near.sort((a, b) => share(b) - share(a) || b.case.priority - a.case.priority || a.case.name.localeCompare(b.case.name));
  return { nearMisses: near };
}
