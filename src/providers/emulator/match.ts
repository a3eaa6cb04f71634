import { childElements, attrValue } from '../../xml/dom';
import type { XmlElement } from '../../xml/libxml';
import type { EmulatorCase } from './cases';

export interface Roots {
  Message?: XmlElement;
  AppData?: XmlElement;
}

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

export interface MatchResult {
  case?: EmulatorCase;
  /** when nothing matched: the closest case and its first differing condition */
  nearMiss?: { case: EmulatorCase; path: string; expected: string; actual?: string };
}

/** The matching case with the highest priority (then the most conditions), or the nearest miss. */
export function matchCase(cases: EmulatorCase[], operation: string, roots: Roots): MatchResult {
  let best: EmulatorCase | undefined;
  let near: { c: EmulatorCase; score: number; path: string; expected: string; actual?: string } | undefined;
  for (const c of cases) {
    if (c.operation && c.operation !== operation) continue;
    let ok = 0;
    let miss: { path: string; expected: string; actual?: string } | undefined;
    for (const cond of c.conditions) {
      const actual = valueAt(roots, cond.steps);
      if (cond.test(actual)) ok++;
      else miss ??= { path: cond.path, expected: cond.expected, actual };
    }
    if (!miss) {
      if (!best || c.priority > best.priority || (c.priority === best.priority && c.conditions.length > best.conditions.length)) best = c;
    } else {
      const score = ok / c.conditions.length;
      if (!near || score > near.score) near = { c, score, ...miss };
    }
  }
  if (best) return { case: best };
  return near ? { nearMiss: { case: near.c, path: near.path, expected: near.expected, actual: near.actual } } : {};
}
