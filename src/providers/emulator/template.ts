/**
 * Answer files as Handlebars templates (docs/emulator.md, "Answers from the request"): values
 * taken from the request by path, as `match` reads them, and generated values (UUIDs, dates,
 * sequence numbers, random picks). Every `{{…}}` is XML-escaped, `{{{…}}}` inserted as written.
 *
 * A private Handlebars instance holds our helpers, so nothing else registered on the global one
 * (a library's, a test's) can reach an answer. A file is parsed, checked and compiled once (at
 * the registry's load), keyed by its path and content; an unknown helper, a bad date format or
 * a `seq` whose name is not a literal is a load error naming the file and line. A file without
 * `{{` is sent byte for byte, as before templates existed.
 *
 * Helpers are synchronous, so what needs the store or the ZIP is fetched before rendering: the
 * `seq` names a template uses are read from its syntax tree at compile time, and each is counted
 * once per answer (every `{{seq "x"}}` in one answer shows the same number: the answer's).
 */
import { createHash, randomInt as cryptoRandomInt, randomUUID } from 'node:crypto';
import Handlebars from 'handlebars';
import { add, format as formatDate, type Duration } from 'date-fns';
import type { ParsedEnvelope } from '../../envelope/parse';
import { childElements, attrValue } from '../../xml/dom';
import type { XmlElement } from '../../xml/libxml';
import { valueAt, type Roots } from './match';
import type { RequestDocument } from './request-document';

/**
 * What a generated value renders as when replay renders an expected answer (src/testkit/run.ts):
 * a character of Unicode's private use area that no answer carries, read by the comparison as
 * "any text here" (src/testkit/compare.ts).
 */
export const ANY_VALUE = '\uE000';

/** The SMEV date-time form, used when `{{now}}` has no format. */
const DEFAULT_DATE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSXXX";
const PATH = /^(Message|AppData)(\/[^/]+)*$/;
/** How much of the request becomes `request.Message` / `request.AppData` (a huge AppData is cut, xpath still reads it all). */
const MAX_TREE_NODES = 10_000;

export class TemplateError extends Error {}

export interface AnswerTemplate {
  file: string;
  bytes: Buffer;
  /** undefined: sent as written (no `{{`, or `template: false`) */
  fn?: Handlebars.TemplateDelegate;
  /** the `seq` counter names the template uses ('' for the unnamed one) */
  seqNames: string[];
  /** the template reads `request.attachments` / `request.RequestCode`: the request's ZIP is opened */
  usesDocument: boolean;
}

/** What an answer is rendered from: the request as the emulated provider got it. */
export interface RenderInput {
  /** the request as parsed (its Message and AppData are read; the caller owns and disposes its document) */
  request: ParsedEnvelope;
  /** the request's AppDocument, when the template uses it */
  document?: RequestDocument;
  /** the number of each `seq` name for this answer */
  seq?: Map<string, number>;
  /** replay: generated values render as ANY_VALUE, compared as any text */
  replay?: boolean;
}

/** What the helpers read, handed to them in Handlebars' `data`. */
interface RenderData {
  roots: Roots;
  seq?: Map<string, number>;
  replay: boolean;
}

const hb = Handlebars.create();
const BUILTIN = new Set(['if', 'unless', 'each', 'with', 'lookup', 'log']);
const OWN = new Set(['xpath', 'xpathAll', 'uuid', 'now', 'seq', 'pick', 'randomInt']);
const KNOWN_HELPERS = Object.fromEntries([...BUILTIN, ...OWN].map((h) => [h, true])) as Record<string, boolean>;
const COMPILE_OPTIONS = { knownHelpers: KNOWN_HELPERS, knownHelpersOnly: true, strict: false } as const;

const render = (o: Handlebars.HelperOptions): RenderData => o.data.render as RenderData;
const generated = (o: Handlebars.HelperOptions, make: () => string | number): string | number => (render(o).replay ? ANY_VALUE : make());
const helperOptions = (args: unknown[]) => args[args.length - 1] as Handlebars.HelperOptions;

hb.registerHelper('xpath', (path: string, o: Handlebars.HelperOptions) => valueAt(render(o).roots, String(path).split('/')) ?? '');
hb.registerHelper('xpathAll', (path: string, o: Handlebars.HelperOptions) => valuesAt(render(o).roots, String(path).split('/')));
hb.registerHelper('uuid', (o: Handlebars.HelperOptions) => generated(o, randomUUID));
hb.registerHelper('now', (o: Handlebars.HelperOptions) => generated(o, () => nowText(o.hash.offset, o.hash.format)));
hb.registerHelper('seq', (...args: unknown[]) => {
  const o = helperOptions(args);
  const name = args.length > 1 ? String(args[0]) : '';
  return generated(o, () => {
    const n = render(o).seq?.get(name);
    if (n === undefined) throw new Error(`seq "${name}" was not counted before rendering`); // compile() lists every name
    return n;
  });
});
hb.registerHelper('pick', (...args: unknown[]) => {
  const o = helperOptions(args);
  const choices = args.slice(0, -1);
  return generated(o, () => String(choices[cryptoRandomInt(choices.length)]));
});
hb.registerHelper('randomInt', (min: unknown, max: unknown, o: Handlebars.HelperOptions) => generated(o, () => cryptoRandomInt(Number(min), Number(max) + 1)));

const cache = new Map<string, AnswerTemplate>();
const CACHE_LIMIT = 2000;

/**
 * An answer file, checked and compiled (kept by path and content, so a reload of an unchanged
 * file compiles nothing). `template: false` or a file without `{{` gives one sent as written.
 * Throws TemplateError naming the file and line.
 */
export function compileTemplate(file: string, bytes: Buffer, enabled = true): AnswerTemplate {
  const source = bytes.toString('utf8');
  if (!enabled || !source.includes('{{')) return { file, bytes, seqNames: [], usesDocument: false };
  const key = `${file}\u0000${createHash('sha256').update(bytes).digest('hex')}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const t = compileText(file, source, false);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, t);
  return t;
}

/** A text (a fault's faultstring) as a template; `plain`: nothing escaped (the caller escapes the whole). */
export function compileText(file: string, source: string, plain: boolean): AnswerTemplate {
  let ast: hbs.AST.Program;
  try {
    ast = hb.parse(source);
  } catch (e) {
    // Handlebars says "Parse error on line N:" itself, with the text around it; at the end of the
    // file it means a block left open, which its line does not show
    const m = (e as Error).message;
    const open = /got 'EOF'/.test(m) ? unclosedBlock(source) : undefined;
    throw new TemplateError(`${file}: not a valid template: ${open ? `line ${open.line}: a block opened by {{#${open.name}}} is not closed ({{/${open.name}}}): ` : ''}${m}`);
  }
  const facts = { seqNames: new Set<string>(), usesDocument: false };
  check(ast, file, 0, facts);
  let fn: Handlebars.TemplateDelegate;
  try {
    hb.precompile(ast, { ...COMPILE_OPTIONS, noEscape: plain }); // compile now: its errors belong to the load
    fn = hb.compile(ast, { ...COMPILE_OPTIONS, noEscape: plain });
  } catch (e) {
    throw new TemplateError(`${file}: ${(e as Error).message}`);
  }
  return { file, bytes: Buffer.from(source, 'utf8'), fn, seqNames: [...facts.seqNames], usesDocument: facts.usesDocument };
}

/** The answer: the template rendered with the request (an answer sent as written is returned as is). */
export function renderTemplate(t: AnswerTemplate, input: RenderInput): Buffer {
  if (!t.fn) return t.bytes;
  const p = input.request;
  {
    const roots: Roots = { Message: p.messageElement, AppData: p.appDataElement };
    const budget = { left: MAX_TREE_NODES };
    const request = {
      Message: roots.Message ? tree(roots.Message, budget) : {},
      AppData: roots.AppData ? tree(roots.AppData, budget) : {},
      attachments: input.document?.files ?? [],
      RequestCode: input.document?.requestCode ?? '',
    };
    const data: RenderData = { roots, seq: input.seq, replay: !!input.replay };
    try {
      return Buffer.from(t.fn({ request }, { data: { render: data } }), 'utf8');
    } catch (e) {
      throw new TemplateError(`${t.file}: the template fails on this request: ${(e as Error).message}`);
    }
  }
}

/** The innermost block left open at the end of a template, and the line it opens on. */
function unclosedBlock(source: string): { name: string; line: number } | undefined {
  const stack: { name: string; line: number }[] = [];
  for (const m of source.matchAll(/\{\{~?\s*([#/])\s*([^\s}~()]+)/g)) {
    if (m[1] === '#') stack.push({ name: m[2]!, line: source.slice(0, m.index).split('\n').length });
    else stack.pop();
  }
  return stack.pop();
}

/** Every element (or attribute) at a namespace-agnostic path, all repetitions followed: for `{{#each (xpathAll …)}}`. */
function valuesAt(roots: Roots, steps: string[]): unknown[] {
  const root = roots[steps[0] as keyof Roots];
  let level: XmlElement[] = root ? [root] : [];
  for (let i = 1; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.startsWith('@')) return level.map((el) => attrValue(el, s.slice(1))).filter((v) => v !== undefined);
    level = level.flatMap((el) => [...childElements(el)].filter((c) => c.name === s));
  }
  const budget = { left: MAX_TREE_NODES };
  return level.map((el) => tree(el, budget));
}

/** An element as plain values: a leaf is its trimmed text; a parent an object by local name, a repeated child an array. */
function tree(el: XmlElement, budget: { left: number }): unknown {
  const kids = [...childElements(el)];
  if (!kids.length) return el.content.trim();
  const out: Record<string, unknown> = {};
  for (const k of kids) {
    if (--budget.left < 0) break;
    const v = tree(k, budget);
    const had = out[k.name];
    if (had === undefined) out[k.name] = v;
    else if (Array.isArray(had)) had.push(v); // only a repetition makes an array: values are texts or objects
    else out[k.name] = [had, v];
  }
  return out;
}

/** `{{now}}`: now, moved by `offset` ("+3 days", "-2 hours 30 minutes"), in `format` (date-fns / Unicode tokens; "epoch": milliseconds). */
function nowText(offset: unknown, fmt: unknown): string {
  const at = offset === undefined ? new Date() : add(new Date(), parseOffset(String(offset)));
  if (fmt === 'epoch') return String(at.getTime());
  return formatDate(at, fmt === undefined ? DEFAULT_DATE_FORMAT : String(fmt));
}

const UNITS: Record<string, keyof Duration> = {
  second: 'seconds', minute: 'minutes', hour: 'hours', day: 'days', week: 'weeks', month: 'months', year: 'years',
};

/** "+3 days", "-1 hour", "1 day -3 hours": each term a signed whole number and a unit. */
export function parseOffset(text: string): Duration {
  const d: Duration = {};
  const terms = text.trim().split(/\s+(?=[+-]?\d)/);
  for (const term of terms) {
    const m = /^([+-]?\d+)\s*(second|minute|hour|day|week|month|year)s?$/i.exec(term.trim());
    if (!m) throw new Error(`offset "${text}": "${term}" is not a signed number and a unit (seconds, minutes, hours, days, weeks, months, years), e.g. "+3 days"`);
    const unit = UNITS[m[2]!.toLowerCase()]!;
    d[unit] = (d[unit] ?? 0) + Number(m[1]);
  }
  return d;
}

type Node = hbs.AST.Node & { loc?: hbs.AST.SourceLocation };
type Call = hbs.AST.MustacheStatement | hbs.AST.SubExpression | hbs.AST.BlockStatement;

/**
 * What Handlebars would let pass and an answer should not: an unknown helper (a typo renders
 * nothing in Handlebars), a name at the top that is neither a helper nor `request`, a `seq`
 * name or a `now` offset/format that is not a literal or not valid, a path for xpath that does
 * not start at Message/ or AppData/. `depth` counts the blocks that change the context (each, with).
 */
function check(node: Node, file: string, depth: number, facts: { seqNames: Set<string>; usesDocument: boolean }): void {
  const fail = (n: Node, why: string): never => {
    throw new TemplateError(`${file}: line ${n.loc?.start.line ?? '?'}: ${why}`);
  };
  const visit = (n: Node | undefined | null, d: number): void => {
    if (!n) return;
    switch (n.type) {
      case 'Program':
        for (const s of (n as hbs.AST.Program).body) visit(s, d);
        return;
      case 'MustacheStatement':
      case 'SubExpression':
      case 'BlockStatement': {
        const c = n as Call;
        callOf(c, d);
        for (const p of c.params) visit(p, d);
        for (const p of c.hash?.pairs ?? []) visit(p.value, d);
        if (c.type === 'BlockStatement') {
          const head = c.path.type === 'PathExpression' ? (c.path as hbs.AST.PathExpression).original : '';
          const inner = head === 'each' || head === 'with' || !BUILTIN.has(head) ? d + 1 : d;
          visit(c.program, inner);
          visit(c.inverse, d);
        }
        return;
      }
      case 'PathExpression':
        pathOf(n as hbs.AST.PathExpression, d, false);
        return;
      case 'PartialStatement':
      case 'PartialBlockStatement':
      case 'DecoratorBlock':
      case 'Decorator':
        return fail(n, 'partials and decorators are not available in answer templates');
      default:
        return; // text, comments, literals
    }
  };
  const pathOf = (p: hbs.AST.PathExpression, d: number, called: boolean) => {
    if (p.parts.includes('attachments') || p.parts.includes('RequestCode')) facts.usesDocument = true;
    if (called || p.data || d > 0 || (p as { this_?: boolean }).this_ || p.parts.length === 0) return;
    if (p.parts[0] !== 'request') {
      fail(p, `"${p.original}" is neither a helper (${[...OWN].join(', ')}, and Handlebars' ${[...BUILTIN].join(', ')}) nor a value of the request (request.AppData.…, request.Message.…, request.attachments, request.RequestCode)`);
    }
  };
  const literal = (c: Call, i: number, what: string): string => {
    const p = c.params[i];
    if (!p || p.type !== 'StringLiteral') return fail(c, `${what} must be a quoted text`);
    return (p as hbs.AST.StringLiteral).value;
  };
  const hashLiteral = (c: Call, key: string): string | undefined => {
    const pair = c.hash?.pairs.find((x) => x.key === key);
    if (!pair) return undefined;
    if (pair.value.type !== 'StringLiteral') return fail(c, `${key}= must be a quoted text`);
    return (pair.value as hbs.AST.StringLiteral).value;
  };
  const callOf = (c: Call, d: number) => {
    if (c.path.type !== 'PathExpression') return fail(c, 'a literal cannot be called as a helper');
    const path = c.path as hbs.AST.PathExpression;
    const name = path.original;
    const hasArgs = c.params.length > 0 || (c.hash?.pairs.length ?? 0) > 0;
    if (!OWN.has(name) && !BUILTIN.has(name)) {
      if (hasArgs) fail(c, `unknown helper "${name}" (the helpers are ${[...OWN].join(', ')}, and Handlebars' ${[...BUILTIN].join(', ')})`);
      pathOf(path, d, false);
      return;
    }
    switch (name) {
      case 'xpath':
      case 'xpathAll':
        if (c.params.length !== 1) fail(c, `${name} takes one path, e.g. {{${name} "AppData/Request/Name"}}`);
        if (c.params[0]!.type === 'StringLiteral' && !PATH.test((c.params[0] as hbs.AST.StringLiteral).value)) {
          fail(c, `${name} "${(c.params[0] as hbs.AST.StringLiteral).value}": a path starts with Message/ or AppData/ (local names, @name for an attribute)`);
        }
        return;
      case 'seq':
        if (c.params.length > 1) fail(c, 'seq takes at most one name, e.g. {{seq "regnumber"}}');
        facts.seqNames.add(c.params.length ? literal(c, 0, 'the name of a seq') : '');
        return;
      case 'now': {
        if (c.params.length) fail(c, 'now takes no arguments, only offset="…" and format="…"');
        const offset = hashLiteral(c, 'offset');
        const fmt = hashLiteral(c, 'format');
        const unknown = c.hash?.pairs.find((x) => x.key !== 'offset' && x.key !== 'format');
        if (unknown) fail(c, `now has no option ${unknown.key}= (offset=, format=)`);
        try {
          if (offset !== undefined) parseOffset(offset);
          if (fmt !== undefined && fmt !== 'epoch') formatDate(new Date(), fmt);
        } catch (e) {
          fail(c, `now: ${(e as Error).message}`);
        }
        return;
      }
      case 'pick':
        if (!c.params.length) fail(c, 'pick needs the values to choose from, e.g. {{pick "a" "b" "c"}}');
        return;
      case 'randomInt': {
        const [lo, hi] = c.params;
        const num = (p?: hbs.AST.Expression) => (p && p.type === 'NumberLiteral' ? (p as hbs.AST.NumberLiteral).value : undefined);
        const a = num(lo);
        const b = num(hi);
        if (c.params.length !== 2 || a === undefined || b === undefined || !Number.isInteger(a) || !Number.isInteger(b) || a > b) {
          fail(c, 'randomInt takes two whole numbers, the least and the greatest, e.g. {{randomInt 1 100}}');
        }
        return;
      }
      case 'uuid':
        if (hasArgs) fail(c, 'uuid takes no arguments');
        return;
      default:
        return; // Handlebars' own
    }
  };
  visit(node, depth);
}
