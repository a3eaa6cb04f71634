import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parse as parseYaml, parseDocument, stringify } from 'yaml';
import { yamlErrorText } from '../../yaml-error';
import { ATTACHMENTS_DIR, CaseError, loadCases } from './cases';
import { dispatchSchema, loadDispatch, DISPATCH_FILE } from './dispatch';

/**
 * Changes to an emulated SID's cases folder made through the admin API (issue 17 item 5), as files
 * a person would commit: case.yaml, the answer files, dispatch.yaml. Every change is made on a
 * temporary copy of the folder first and loaded there with the emulator's own loader (loadCases)
 * and the dispatch check below: a broken change is refused with its reasons and nothing is written.
 * A good one is written atomically (a case as a whole folder renamed into place, a file through a
 * temporary file renamed over it), so a reload, the watcher's or anyone's, never sees half of it.
 */

/**
 * A case's or a file's name: letters of any script (`import soapui` names cases after their
 * responses, often in Russian), digits, `_ . -`; no path separators, no leading dot (staging
 * folders are dot-named), no `..`.
 */
export const NAME = /^[\p{L}\p{N}_][\p{L}\p{N}_.-]{0,99}$/u;
export { DISPATCH_FILE };
const CASE_FILE = 'case.yaml';
/** Staging and trash folders of this module in a cases folder: dot-named, so loadCases skips them. */
export const STAGING_PREFIX = '.smev2-';

/** A change refused before anything was written: the reasons, one a line (HTTP 422). */
export class CaseChangeError extends Error {
  constructor(readonly reasons: string[]) {
    super(reasons.join('\n'));
  }
}

/** dispatch.yaml, as the emulator reads it (./dispatch.ts): one schema, one loader. */
export { dispatchSchema };
export type Dispatch = z.infer<typeof dispatchSchema>;

export function checkName(name: string, what: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new CaseChangeError([`${what} "${name}" is not allowed: use letters, digits, _ . - (up to 100, not starting with a dot, no "..")`]);
  }
}

export interface CaseView {
  name: string;
  /** case.yaml as written (not with the loader's defaults), as JSON */
  case: Record<string, unknown>;
  /** the case folder's top-level text files but case.yaml (answer.xml, accept.xml, request.xml, …) */
  files: Record<string, string>;
  /** the files of attachments/, by name (not editable here) */
  attachments: string[];
}

/** One case as its files say. undefined when the folder or its case.yaml does not exist. */
export function readCase(casesDir: string, name: string): CaseView | undefined {
  checkName(name, 'case');
  const dir = join(casesDir, name);
  if (!existsSync(join(dir, CASE_FILE))) return undefined;
  const text = readFileSync(join(dir, CASE_FILE), 'utf8');
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (e) {
    parsed = { error: `${join(dir, CASE_FILE)} is not valid YAML: ${yamlErrorText(e, text)}` };
  }
  const files: Record<string, string> = {};
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name !== CASE_FILE && !e.name.startsWith('.')) files[e.name] = readFileSync(join(dir, e.name), 'utf8');
  }
  const att = join(dir, ATTACHMENTS_DIR);
  const attachments = existsSync(att) && statSync(att).isDirectory() ? readdirSync(att).sort() : [];
  return { name, case: parsed as Record<string, unknown>, files, attachments };
}

/** The names of the cases of a cases folder (folders holding case.yaml), sorted. */
export function caseNames(casesDir: string): string[] {
  if (!existsSync(casesDir)) return [];
  return readdirSync(casesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && existsSync(join(casesDir, d.name, CASE_FILE)))
    .map((d) => d.name).sort((a, b) => a.localeCompare(b));
}

/** dispatch.yaml as written, or undefined when the folder has none. */
export function readDispatch(casesDir: string): unknown {
  const f = join(casesDir, DISPATCH_FILE);
  if (!existsSync(f)) return undefined;
  const text = readFileSync(f, 'utf8');
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    return { error: `${f} is not valid YAML: ${yamlErrorText(e, text)}` };
  }
}

export interface CaseChange {
  /** case.yaml's keys (the whole case: keys left out are removed); comments of the file kept */
  case: Record<string, unknown>;
  /** files to write (text) or remove (null), by name, beside case.yaml */
  files?: Record<string, string | null>;
}

/** What a change leaves to undo until the registry in force has taken it. */
export interface Applied {
  /** make it final (remove the previous version kept aside) */
  commit(): void;
  /** put the previous version back */
  rollback(): void;
}

/**
 * Check a change on a copy of the cases folder: the emulator's loader, the operations the SID
 * has, dispatch.yaml's names. Throws CaseChangeError with every reason.
 */
function validate(casesDir: string, change: (copy: string) => void, operations: string[]): void {
  const tmp = mkdtempSync(join(tmpdir(), 'smev2-case-check-'));
  const copy = join(tmp, 'cases');
  try {
    mkdirSync(copy);
    if (existsSync(casesDir)) {
      for (const e of readdirSync(casesDir)) if (!e.startsWith('.')) cpSync(join(casesDir, e), join(copy, e), { recursive: true });
    }
    change(copy);
    const reasons: string[] = [];
    let names: string[] = [];
    try {
      const cases = loadCases(copy);
      names = cases.map((c) => c.name);
      for (const c of cases) {
        if (c.operation && !operations.includes(c.operation)) reasons.push(`${c.name}/case.yaml: operation: the SID has no operation ${c.operation} (it has: ${operations.join(', ')})`);
      }
    } catch (e) {
      if (!(e instanceof CaseError)) throw e;
      reasons.push(...e.message.split('\n').map((l) => l.split(copy + '/').join('')));
    }
    reasons.push(...dispatchProblems(copy, names, operations));
    if (reasons.length) throw new CaseChangeError(reasons);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * What is wrong with a cases folder's dispatch.yaml, as the emulator's own loader judges it
 * (./dispatch.ts loadDispatch: its form, the operations, the cases and scripts it names).
 */
export function dispatchProblems(casesDir: string, _caseNames: string[], operations: string[]): string[] {
  if (!existsSync(join(casesDir, DISPATCH_FILE))) return [];
  try {
    loadDispatch(casesDir, loadCases(casesDir), operations);
    return [];
  } catch (e) {
    // the loader names the staging copy's paths: say them as the folder the person edits
    if (e instanceof CaseError) return e.message.split('\n').map((l) => l.split(`${casesDir}/`).join('').split(casesDir).join('the cases folder'));
    throw e;
  }
}

/** Write a case's files into `dir` (a copy of the case folder, or an empty one). */
function writeCaseInto(dir: string, c: CaseChange): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, CASE_FILE);
  for (const [name, text] of Object.entries(c.files ?? {})) {
    checkName(name, 'file');
    if (name === CASE_FILE) throw new CaseChangeError([`files: give case.yaml's keys in "case", not as a file`]);
    if (text === null) rmSync(join(dir, name), { force: true });
    else writeFileSync(join(dir, name), text);
  }
  writeFileSync(file, caseYaml(existsSync(file) ? readFileSync(file, 'utf8') : undefined, c.case));
}

/**
 * case.yaml's text for new keys: the file's own comments and key order kept where the file was
 * YAML, so that a change through the API reads in a diff as a person's edit would.
 */
export function caseYaml(old: string | undefined, keys: Record<string, unknown>): string {
  if (old !== undefined) {
    const doc = parseDocument(old);
    if (!doc.errors.length && (doc.contents === null || typeof doc.toJS() === 'object')) {
      const before = (doc.toJS() ?? {}) as Record<string, unknown>;
      for (const k of Object.keys(before)) if (!(k in keys)) doc.delete(k);
      for (const [k, v] of Object.entries(keys)) if (JSON.stringify(before[k]) !== JSON.stringify(v)) doc.set(k, v);
      return doc.toString();
    }
  }
  return Object.keys(keys).length ? stringify(keys) : '{}\n';
}

const stageName = (what: string) => `${STAGING_PREFIX}${what}-${randomBytes(4).toString('hex')}`;

/**
 * Create or replace a case: checked on a copy, then the new folder built beside the old one and
 * renamed into place. The old one is kept aside until commit() (rollback() puts it back).
 */
export function putCase(casesDir: string, name: string, c: CaseChange, operations: string[]): Applied & { created: boolean } {
  checkName(name, 'case');
  if (!c.case || typeof c.case !== 'object' || Array.isArray(c.case)) throw new CaseChangeError(['case: give case.yaml\'s keys as an object (e.g. {"match": {"AppData/Text": "hi"}})']);
  validate(casesDir, (copy) => writeCaseInto(join(copy, name), c), operations);
  mkdirSync(casesDir, { recursive: true });
  const live = join(casesDir, name);
  const created = !existsSync(live);
  const staged = join(casesDir, stageName(`new-${name}`));
  if (!created) cpSync(live, staged, { recursive: true });
  writeCaseInto(staged, c);
  const aside = created ? undefined : join(casesDir, stageName(`old-${name}`));
  if (aside) renameSync(live, aside);
  renameSync(staged, live);
  return {
    created,
    commit: () => { if (aside) rmSync(aside, { recursive: true, force: true }); },
    rollback: () => {
      rmSync(live, { recursive: true, force: true });
      if (aside) renameSync(aside, live);
    },
  };
}

/** Remove a case (refused while dispatch.yaml names it). undefined when there is no such case. */
export function deleteCase(casesDir: string, name: string, operations: string[]): Applied | undefined {
  checkName(name, 'case');
  const live = join(casesDir, name);
  if (!existsSync(join(live, CASE_FILE))) return undefined;
  validate(casesDir, (copy) => rmSync(join(copy, name), { recursive: true, force: true }), operations);
  const aside = join(casesDir, stageName(`del-${name}`));
  renameSync(live, aside);
  return { commit: () => rmSync(aside, { recursive: true, force: true }), rollback: () => renameSync(aside, live) };
}

/** Write (or, for an empty object, remove) dispatch.yaml, checked first against the folder's cases. */
export function putDispatch(casesDir: string, dispatch: Record<string, unknown>, operations: string[]): Applied {
  if (!dispatch || typeof dispatch !== 'object' || Array.isArray(dispatch)) throw new CaseChangeError(['give dispatch.yaml as an object: {"<operation or *>": {"style": "sequence", "cases": ["first", "second"]}}']);
  const empty = !Object.keys(dispatch).length;
  const text = stringify(dispatch);
  validate(casesDir, (copy) => (empty ? rmSync(join(copy, DISPATCH_FILE), { force: true }) : writeFileSync(join(copy, DISPATCH_FILE), text)), operations);
  const file = join(casesDir, DISPATCH_FILE);
  const before = existsSync(file) ? readFileSync(file) : undefined;
  if (empty) rmSync(file, { force: true });
  else writeAtomic(file, text);
  return { commit: () => {}, rollback: () => (before ? writeAtomic(file, before) : rmSync(file, { force: true })) };
}

/** A file written through a temporary file beside it and renamed over it: a reader sees the old or the new, never half. */
export function writeAtomic(file: string, data: string | Buffer): void {
  const tmp = join(file, '..', `${STAGING_PREFIX}${randomBytes(4).toString('hex')}.tmp`);
  writeFileSync(tmp, data);
  renameSync(tmp, file);
}

/** Remove a folder as one step (renamed aside first), with the way back until commit. */
export function removeFolder(dir: string): Applied {
  const aside = join(dir, '..', stageName('del'));
  renameSync(dir, aside);
  return { commit: () => rmSync(aside, { recursive: true, force: true }), rollback: () => renameSync(aside, dir) };
}
