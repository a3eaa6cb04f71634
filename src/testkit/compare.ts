import { NS, revisionOf } from '../envelope/ns';
import type { XNode } from './tree';
import { ANY_VALUE } from '../providers/emulator/template';
import { parsePattern, childAnchors, elementIsVolatile, attributeIsVolatile, DEFAULT_VOLATILE, type Anchor, type PathPattern } from './paths';

export interface CompareOptions {
  /** volatile paths besides DEFAULT_VOLATILE */
  volatile?: string[];
  /** how many differences to list (default 20); the rest are counted */
  maxDifferences?: number;
}

/**
 * Compare an expected envelope with an actual one, structurally: elements by namespace URI and
 * local name (prefixes never matter), attributes by namespace and name (namespace declarations
 * are not attributes), trimmed text; element order matters. The node's smev:Header and every
 * wsse:Security block are left out (signatures are verified, not compared); volatile paths are
 * present on both sides but their content is not compared. Returns readable lines such as
 * `Body/ProcessResponse/Message/Status: expected "RESULT", got "REJECT"`; empty when equal.
 */
export function compareTrees(expected: XNode, actual: XNode, opts: CompareOptions = {}): string[] {
  const patterns: PathPattern[] = [...DEFAULT_VOLATILE, ...(opts.volatile ?? [])].map(parsePattern);
  const max = opts.maxDifferences ?? 20;
  const out: string[] = [];
  let more = 0;
  const report = (line: string) => {
    if (out.length < max) out.push(line);
    else more++;
  };
  const rootAnchors: Anchor[] = expected.root ? [{ root: expected.root, steps: [] }] : [];
  if (expected.ns !== actual.ns || expected.local !== actual.local) {
    report(`${expected.local}: expected the document element ${qname(expected)}, got ${qname(actual)}`);
  } else {
    compareNode(expected, actual, '', rootAnchors, patterns, report);
  }
  if (more) out.push(`… and ${more} more difference${more === 1 ? '' : 's'}`);
  return out;
}

type Report = (line: string) => void;

function compareNode(e: XNode, a: XNode, path: string, anchors: Anchor[], patterns: PathPattern[], report: Report): void {
  if (elementIsVolatile(patterns, anchors)) return;
  const at = path || e.local;
  compareAttributes(e, a, at, anchors, patterns, report);
  if (!sameText(e.text, a.text)) report(`${at}: ${describeTexts(e.text, a.text)}`);
  const ec = visibleChildren(e);
  const ac = visibleChildren(a);
  const stepOf = (list: XNode[], i: number) => {
    const n = list[i];
    const same = list.filter((x) => x.local === n.local);
    return same.length > 1 ? `${n.local}[${same.indexOf(n) + 1}]` : n.local;
  };
  const childPath = (step: string) => (path ? `${path}/${step}` : step);
  let gapE: number[] = [];
  let gapA: number[] = [];
  const flush = () => {
    // same local name, another namespace
    for (const i of [...gapE]) {
      const j = gapA.find((x) => ac[x].local === ec[i].local);
      if (j === undefined) continue;
      report(`${childPath(stepOf(ec, i))}: expected namespace "${ec[i].ns}", got "${ac[j].ns}"`);
      gapE = gapE.filter((x) => x !== i);
      gapA = gapA.filter((x) => x !== j);
    }
    if (gapE.length && gapE.length === gapA.length) {
      gapE.forEach((i, k) => report(`${childPath(stepOf(ec, i))}: expected element ${qname(ec[i])}, got ${qname(ac[gapA[k]], ec[i])}${hint(ac[gapA[k]])}`));
    } else {
      for (const i of gapE) report(`${childPath(stepOf(ec, i))}: missing${hint(ec[i], 'expected ')}`);
      for (const j of gapA) report(`${childPath(stepOf(ac, j))}: unexpected element${hint(ac[j])}`);
    }
    gapE = [];
    gapA = [];
  };
  for (const [i, j] of align(ec, ac)) {
    if (i !== undefined && j !== undefined) {
      flush();
      compareNode(ec[i], ac[j], childPath(stepOf(ec, i)), childAnchors(anchors, ec[i].local, ec[i].root), patterns, report);
    } else if (i !== undefined) gapE.push(i);
    else if (j !== undefined) gapA.push(j);
  }
  flush();
}

function compareAttributes(e: XNode, a: XNode, at: string, anchors: Anchor[], patterns: PathPattern[], report: Report): void {
  const key = (x: { ns: string; local: string }) => `${x.ns}|${x.local}`;
  const actual = new Map(a.attrs.map((x) => [key(x), x]));
  const expectedKeys = new Set(e.attrs.map(key));
  for (const x of e.attrs) {
    if (attributeIsVolatile(patterns, anchors, x.local)) continue;
    const got = actual.get(key(x));
    if (!got) report(`${at}/@${x.local}: missing (expected "${clip(x.value)}")`);
    else if (!sameText(x.value, got.value)) report(`${at}/@${x.local}: ${describeTexts(x.value, got.value)}`);
  }
  for (const x of a.attrs) {
    if (expectedKeys.has(key(x)) || attributeIsVolatile(patterns, anchors, x.local)) continue;
    report(`${at}/@${x.local}: unexpected attribute ("${clip(x.value)}")`);
  }
}

/**
 * Equal texts; an expected text rendered from a template (./expected.ts) holds ANY_VALUE where a
 * generated value (uuid, now, seq, pick, randomInt) stood: any text matches there.
 */
function sameText(expected: string, actual: string): boolean {
  if (!expected.includes(ANY_VALUE)) return expected === actual;
  const rx = expected.split(ANY_VALUE).map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[\\s\\S]*');
  return new RegExp(`^${rx}$`).test(actual);
}

/** Children compared: under soap:Header, not the node's smev:Header nor wsse:Security blocks. */
function visibleChildren(n: XNode): XNode[] {
  // no soap:Header is an empty one
  if (n.root === 'Envelope') return n.children.some((c) => c.root === 'Header') ? n.children : [EMPTY_HEADER, ...n.children];
  if (n.root !== 'Header') return n.children;
  return n.children.filter((c) => !(c.ns === NS.wsse && c.local === 'Security') && !(c.local === 'Header' && revisionOf(c.ns)));
}

const EMPTY_HEADER: XNode = { ns: NS.soap, local: 'Header', attrs: [], text: '', children: [], root: 'Header' };

/** Pairs of (expected index, actual index) along a longest common subsequence of element names. */
function align(e: XNode[], a: XNode[]): [number | undefined, number | undefined][] {
  const ke = e.map((x) => `${x.ns}|${x.local}`);
  const ka = a.map((x) => `${x.ns}|${x.local}`);
  const n = ke.length;
  const m = ka.length;
  const out: [number | undefined, number | undefined][] = [];
  if (n * m > 4_000_000) {
    // too long for a table: pair by position
    for (let i = 0; i < Math.max(n, m); i++) {
      if (i < n && i < m && ke[i] === ka[i]) out.push([i, i]);
      else {
        if (i < n) out.push([i, undefined]);
        if (i < m) out.push([undefined, i]);
      }
    }
    return out;
  }
  const w = m + 1;
  const t = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i * w + j] = ke[i] === ka[j] ? t[(i + 1) * w + j + 1] + 1 : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ke[i] === ka[j]) out.push([i++, j++]);
    else if (j >= m || (i < n && t[(i + 1) * w + j] >= t[i * w + j + 1])) out.push([i++, undefined]);
    else out.push([undefined, j++]);
  }
  return out;
}

function qname(n: XNode, other?: XNode): string {
  return other && other.local === n.local ? `{${n.ns}}${n.local}` : n.local;
}

function hint(n: XNode, lead = ''): string {
  if (n.children.length) return ` (${lead}<${n.local}> with ${n.children.length} child element${n.children.length === 1 ? '' : 's'})`;
  return n.text ? ` (${lead}"${clip(n.text)}")` : '';
}

const LIMIT = 80;

function show(s: string): string {
  return s.replace(/\r?\n/g, '\\n').replace(/\t/g, '\\t').replaceAll(ANY_VALUE, '{{any}}');
}

function clip(s: string): string {
  const v = show(s);
  return v.length > LIMIT ? `${v.slice(0, LIMIT - 1)}…` : v;
}

/** `expected "x", got "y"`; for long texts, a window around the first difference. */
export function describeTexts(expected: string, actual: string): string {
  const e = show(expected);
  const a = show(actual);
  if (e.length <= LIMIT && a.length <= LIMIT) return `expected "${e}", got "${a}"`;
  let d = 0;
  while (d < e.length && d < a.length && e[d] === a[d]) d++;
  const start = Math.max(0, d - 30);
  const win = (s: string) => `${start > 0 ? '…' : ''}${s.slice(start, start + 60)}${s.length > start + 60 ? '…' : ''}`;
  return `expected "${win(e)}" (${expected.length} chars), got "${win(a)}" (${actual.length} chars); first difference at character ${d + 1}`;
}
