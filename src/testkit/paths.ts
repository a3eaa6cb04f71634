import { ROOT_NAMES, type RootName } from './tree';

/**
 * Namespace-agnostic paths naming volatile parts of an answer (case.yaml `volatile:`):
 * `Message/Date`, `AppData/Acknowledgement/RegNumber`, `AppData/Ticket/*`, `Body/@Id`.
 * The first step is an anchor (Envelope, Header, Body, Message, MessageData, AppData,
 * AppDocument); `*` matches any one element (or, after @, any attribute).
 */
export interface PathPattern {
  source: string;
  root: RootName;
  steps: string[];
  /** set when the path ends in @name: the pattern names an attribute */
  attr?: string;
}

/** What is never compared: the node's and the sender's marks, fresh on every message. */
export const DEFAULT_VOLATILE = [
  'Message/Date',
  'Message/RequestIdRef',
  'Message/OriginRequestIdRef',
  'Body/@Id',
  'AppData/Ticket',
];

export function parsePattern(source: string): PathPattern {
  const parts = source.split('/').filter((s) => s !== '');
  const root = parts.shift() as RootName;
  if (!ROOT_NAMES.includes(root)) throw new Error(`volatile path ${source}: it must start with one of ${ROOT_NAMES.join(', ')}`);
  const last = parts[parts.length - 1];
  if (last?.startsWith('@')) {
    parts.pop();
    return { source, root, steps: parts, attr: last.slice(1) };
  }
  if (parts.some((p) => p.startsWith('@'))) throw new Error(`volatile path ${source}: @attribute may only be the last step`);
  return { source, root, steps: parts };
}

/** Where an element is, relative to every anchor above it (or itself). */
export interface Anchor {
  root: RootName;
  steps: string[];
}

export function childAnchors(parent: Anchor[], local: string, root?: RootName): Anchor[] {
  const out = parent.map((a) => ({ root: a.root, steps: [...a.steps, local] }));
  if (root) out.push({ root, steps: [] });
  return out;
}

function stepsMatch(pattern: string[], steps: string[]): boolean {
  return pattern.length === steps.length && pattern.every((p, i) => p === '*' || p === steps[i]);
}

export function elementIsVolatile(patterns: PathPattern[], anchors: Anchor[]): boolean {
  return patterns.some((p) => p.attr === undefined && anchors.some((a) => a.root === p.root && stepsMatch(p.steps, a.steps)));
}

export function attributeIsVolatile(patterns: PathPattern[], anchors: Anchor[], attr: string): boolean {
  return patterns.some((p) => p.attr !== undefined && (p.attr === '*' || p.attr === attr) &&
    anchors.some((a) => a.root === p.root && stepsMatch(p.steps, a.steps)));
}
