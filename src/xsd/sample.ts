import type { FormNode } from './form';
import { ecmaPattern } from './json-schema';

/**
 * Placeholder values valid for a field's type where that can be worked out: an enumeration's
 * first value, a string the pattern matches (the XSD regular expression is read and its shortest
 * match built, longer if the length facets ask), a number within the bounds, a date.
 */
export function sampleValue(n: FormNode, seq = 0): string {
  if (n.fixed !== undefined) return n.fixed;
  if (n.enumeration?.length) return n.enumeration[0]!;
  if (n.pattern) {
    // a string of one pattern that the others (of the types restricted) match too, where one is found
    const patterns = [n.pattern, ...(n.basePatterns ?? [])];
    let first: string | undefined;
    for (let extra = 0; extra <= (patterns.length > 1 ? 8 : 0); extra++) {
      for (const p of patterns) {
        const x = fromPattern(p, (n.minLength ?? 0) + extra, n.maxLength);
        first ??= x;
        if (x !== undefined && patterns.every((q) => matches(q, x))) return x;
      }
    }
    if (first !== undefined) return first;
  }
  if (n.default !== undefined) return n.default;
  const t = n.type ?? 'string';
  switch (t) {
    case 'boolean': return 'true';
    case 'date': return '2024-01-01';
    case 'dateTime': return '2024-01-01T12:00:00';
    case 'time': return '12:00:00';
    case 'gYear': return '2024';
    case 'gYearMonth': return '2024-01';
    case 'gMonth': return '--01';
    case 'gMonthDay': return '--01-01';
    case 'gDay': return '---01';
    case 'duration': return 'P1D';
    // their length facets count octets
    case 'base64Binary': return Buffer.alloc(n.minLength ?? Math.min(3, n.maxLength ?? 3)).toString('base64');
    case 'hexBinary': return '00'.repeat(n.minLength ?? Math.min(1, n.maxLength ?? 1));
    case 'anyURI': return 'http://example.org/';
    case 'language': return 'ru';
    case 'float': case 'double': return number(n, '1.0');
    case 'decimal': return number(n, '1');
    case 'integer': case 'long': case 'int': case 'short': case 'byte':
    case 'unsignedLong': case 'unsignedInt': case 'unsignedShort': case 'unsignedByte':
    case 'positiveInteger': return number(n, '1');
    case 'nonNegativeInteger': return number(n, '0');
    case 'nonPositiveInteger': return number(n, '0');
    case 'negativeInteger': return number(n, '-1');
    case 'xml': return '';
    default: {
      // strings and their kin (token, Name, NCName, ID, …): the field's own name fits them all
      let s = /^[\p{L}_][\p{L}\p{N}._-]*$/u.test(n.name) ? n.name : 'x';
      if (t === 'ID' || t === 'NCName' || t === 'Name') s = `${s}${seq ? `-${seq}` : ''}`;
      return fitLength(s, n.minLength, n.maxLength);
    }
  }
}

/** Whether an XSD pattern matches the whole of `s` (true when it cannot be judged here: XSD-only syntax). */
function matches(pattern: string, s: string): boolean {
  const e = ecmaPattern(pattern);
  return e === undefined || new RegExp(e, 'u').test(s);
}

function fitLength(s: string, min?: number, max?: number): string {
  let out = [...s];
  if (max !== undefined && out.length > max) out = out.slice(0, max);
  while (min !== undefined && out.length < min) out.push('x');
  return out.join('');
}

function number(n: FormNode, dflt: string): string {
  const lo = n.minInclusive ?? (n.minExclusive !== undefined ? bump(n.minExclusive, 1) : undefined);
  const hi = n.maxInclusive ?? (n.maxExclusive !== undefined ? bump(n.maxExclusive, -1) : undefined);
  let v = lo ?? dflt;
  if (hi !== undefined && Number(v) > Number(hi)) v = hi;
  if (n.totalDigits !== undefined && v.replace(/[^0-9]/g, '').length > n.totalDigits) v = '0';
  return v;
}

function bump(v: string, by: number): string {
  const x = Number(v);
  if (!Number.isFinite(x)) return v;
  return Number.isInteger(x) ? String(x + by) : String(x + by * 0.01);
}

// --- XSD regular expressions (XML Schema Part 2, appendix F): the shortest string they match ---

type Pred = (c: string) => boolean;
type Atom = { t: 'char'; c: string } | { t: 'set'; pred: Pred; hint: string[] } | { t: 'group'; alts: Piece[][] };
interface Piece { atom: Atom; min: number; max: number }

const NICE = [...'aA0xX1 -.'].concat([...'абвгдАБВГДbcdefgBCDEFG23456789', '_', ':', '/', ',', '(', ')']);

class Parser {
  i = 0;
  constructor(readonly s: string) {}

  regex(): Piece[][] {
    const alts: Piece[][] = [this.branch()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.branch());
    }
    return alts;
  }

  private branch(): Piece[] {
    const out: Piece[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') out.push(this.piece());
    return out;
  }

  private piece(): Piece {
    const atom = this.atom();
    let min = 1;
    let max = 1;
    const q = this.s[this.i];
    if (q === '?') { min = 0; max = 1; this.i++; }
    else if (q === '*') { min = 0; max = Infinity; this.i++; }
    else if (q === '+') { min = 1; max = Infinity; this.i++; }
    else if (q === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i));
      if (m) {
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
        this.i += m[0].length;
      }
    }
    return { atom, min, max };
  }

  private atom(): Atom {
    const c = this.s[this.i++]!;
    if (c === '(') {
      const alts = this.regex();
      if (this.s[this.i] !== ')') throw new Error('unbalanced (');
      this.i++;
      return { t: 'group', alts };
    }
    if (c === '[') return this.charClass();
    if (c === '.') return { t: 'set', pred: (x) => x !== '\n' && x !== '\r', hint: [] };
    if (c === '\\') return this.escape();
    return { t: 'char', c };
  }

  private escape(): Atom {
    const c = this.s[this.i++]!;
    const single: Record<string, string> = { n: '\n', r: '\r', t: '\t' };
    if (c in single) return { t: 'char', c: single[c]! };
    const multi = MULTI[c];
    if (multi) return { t: 'set', pred: multi, hint: [] };
    if (c === 'p' || c === 'P') {
      const m = /^\{([^}]+)\}/.exec(this.s.slice(this.i));
      if (!m) throw new Error('bad \\p');
      this.i += m[0].length;
      const p = property(m[1]!);
      return { t: 'set', pred: c === 'p' ? p : (x) => !p(x), hint: [] };
    }
    return { t: 'char', c };
  }

  /** [...], [^...], and subtraction [...-[...]] */
  private charClass(): Atom {
    let negate = false;
    if (this.s[this.i] === '^') { negate = true; this.i++; }
    const preds: Pred[] = [];
    const hint: string[] = [];
    let subtract: Pred | undefined;
    let first = true;
    while (this.i < this.s.length) {
      const c = this.s[this.i]!;
      if (c === ']' && !first) { this.i++; break; }
      if (c === '-' && this.s[this.i + 1] === '[') {
        this.i += 2;
        const sub = this.charClass() as { pred: Pred };
        subtract = sub.pred;
        continue;
      }
      first = false;
      let lo: string;
      if (c === '\\') {
        this.i++;
        const e = this.escape();
        if (e.t === 'set') { preds.push(e.pred); continue; }
        lo = (e as { c: string }).c;
      } else { lo = c; this.i++; }
      if (this.s[this.i] === '-' && this.s[this.i + 1] !== ']' && this.s[this.i + 1] !== '[') {
        this.i++;
        let hi = this.s[this.i++]!;
        if (hi === '\\') {
          const e = this.escape();
          hi = e.t === 'char' ? e.c : hi;
        }
        const a = lo.codePointAt(0)!, b = hi.codePointAt(0)!;
        preds.push((x) => { const k = x.codePointAt(0)!; return k >= a && k <= b; });
        hint.push(lo);
      } else {
        const ch = lo;
        preds.push((x) => x === ch);
        hint.push(ch);
      }
    }
    const any = (x: string) => preds.some((p) => p(x));
    const base = negate ? (x: string) => !any(x) : any;
    const pred = subtract ? (x: string) => base(x) && !subtract!(x) : base;
    return { t: 'set', pred, hint: negate ? [] : hint };
  }
}

const isLetter = (x: string) => /\p{L}/u.test(x);
const MULTI: Record<string, Pred> = {
  d: (x) => /\p{Nd}/u.test(x),
  D: (x) => !/\p{Nd}/u.test(x),
  s: (x) => x === ' ' || x === '\t' || x === '\n' || x === '\r',
  S: (x) => !(x === ' ' || x === '\t' || x === '\n' || x === '\r'),
  w: (x) => !/[\p{P}\p{Z}\p{C}]/u.test(x),
  W: (x) => /[\p{P}\p{Z}\p{C}]/u.test(x),
  i: (x) => isLetter(x) || x === '_' || x === ':',
  I: (x) => !(isLetter(x) || x === '_' || x === ':'),
  c: (x) => /[\p{L}\p{N}._:-]/u.test(x),
  C: (x) => !/[\p{L}\p{N}._:-]/u.test(x),
};

const BLOCKS: Record<string, [number, number]> = {
  BasicLatin: [0x0000, 0x007f], 'Latin-1Supplement': [0x0080, 0x00ff], Cyrillic: [0x0400, 0x04ff], CyrillicSupplement: [0x0500, 0x052f],
  GeneralPunctuation: [0x2000, 0x206f], Greek: [0x0370, 0x03ff], LatinExtended_A: [0x0100, 0x017f],
};

function property(name: string): Pred {
  if (name.startsWith('Is')) {
    const b = BLOCKS[name.slice(2)] ?? BLOCKS[name.slice(2).replace(/-/g, '_')];
    if (!b) return () => true;
    return (x) => { const k = x.codePointAt(0)!; return k >= b[0] && k <= b[1]; };
  }
  try {
    const re = new RegExp(`^\\p{${name}}$`, 'u');
    return (x) => re.test(x);
  } catch {
    return () => true;
  }
}

function pick(a: Atom): string | undefined {
  if (a.t === 'char') return a.c;
  if (a.t === 'set') {
    for (const c of [...a.hint, ...NICE]) if (a.pred(c)) return c;
    for (let k = 0x21; k < 0x2000; k++) {
      const c = String.fromCodePoint(k);
      if (a.pred(c)) return c;
    }
    return undefined;
  }
  return undefined;
}

function build(alts: Piece[][], extra: number, alt: number | undefined): string | undefined {
  const branch = alts[alt ?? 0] ?? alts[0]!;
  let out = '';
  for (const p of branch) {
    const n = Math.min(p.max, p.min + extra);
    for (let k = 0; k < n; k++) {
      const s = p.atom.t === 'group' ? build(p.atom.alts, extra, undefined) : pick(p.atom);
      if (s === undefined) return undefined;
      out += s;
    }
  }
  return out;
}

/** A string the XSD pattern matches, within the length bounds when they can be met; undefined when the pattern is not understood. */
export function fromPattern(pattern: string, minLength?: number, maxLength?: number): string | undefined {
  let alts: Piece[][];
  try {
    const p = new Parser(pattern);
    alts = p.regex();
    if (p.i !== pattern.length) return undefined;
  } catch {
    return undefined;
  }
  let fallback: string | undefined;
  for (let a = 0; a < alts.length; a++) {
    for (let extra = 0; extra <= 40; extra++) {
      const s = build(alts, extra, a);
      if (s === undefined) break;
      fallback ??= s;
      const len = [...s].length;
      if (maxLength !== undefined && len > maxLength) break;
      if (minLength === undefined || len >= minLength) return s;
    }
  }
  return fallback;
}
