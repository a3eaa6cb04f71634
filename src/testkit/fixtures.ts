import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { yamlErrorText } from '../yaml-error';
import { caseSchema, ATTACHMENTS_DIR } from '../providers/emulator/cases';
import type { ExpectedAttachments } from './attachments';
import { describeIssues } from '../registry/definition';
import { parsePattern } from './paths';

/** A fixture case folder (docs/fixtures.md): the emulator's case folder, read for replay. */
export interface FixtureCase {
  /** the SID the case belongs to: --sid, or the name of the folder above the case */
  sid?: string;
  name: string;
  dir: string;
  /** SID/case, for people */
  id: string;
  description?: string;
  request?: Buffer;
  /** the expected final answer and its file name */
  answer?: Buffer;
  answerFile: string;
  accept?: Buffer;
  acceptFile?: string;
  /** asynchronous cases: the PING sent until a final status */
  ping?: Buffer;
  volatile: string[];
  /** the expected chain of statuses (async), e.g. [ACCEPT, PROCESS*, RESULT] */
  expect?: string[];
  soapAction?: string;
  pingSoapAction?: string;
  /** the answer files are templates (case.yaml `template`, default true): rendered with the request sent before comparing (./expected.ts) */
  template: boolean;
  /** case.yaml's `fault:`: the SOAP fault expected, when there is no answer file */
  fault?: NonNullable<ReturnType<typeof caseSchema.parse>['fault']>;
  /** the answer's AppDocument, when the case has an attachments/ folder: compared file by file */
  attachments?: ExpectedAttachments;
  /** why the case cannot be run (a broken case.yaml, a missing file) */
  problem?: string;
  /** why the case is not run (no request.xml: an emulator-only case) */
  skip?: string;
}

const SID = /^SID\d{7}$/;

/** Every case folder under the given paths (a case folder, a SID folder or a folder of SIDs), sorted. */
export function findCases(paths: string[], sidOverride?: string): FixtureCase[] {
  const dirs = new Set<string>();
  const visit = (dir: string, depth: number) => {
    if (isCaseDir(dir)) {
      dirs.add(dir);
      return;
    }
    if (depth >= 4) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !e.name.startsWith('.')) visit(join(dir, e.name), depth + 1);
    }
  };
  for (const p of paths) {
    const dir = resolve(p);
    if (!existsSync(dir)) throw new Error(`${p} does not exist`);
    if (!statSync(dir).isDirectory()) throw new Error(`${p} is not a folder: give a case folder, a SID folder or a folder of SIDs`);
    visit(dir, 0);
  }
  return [...dirs].sort().map((d) => readCase(d, sidOverride));
}

function isCaseDir(dir: string): boolean {
  return existsSync(join(dir, 'case.yaml')) || existsSync(join(dir, 'request.xml'));
}

export function readCase(dir: string, sidOverride?: string): FixtureCase {
  const name = basename(dir);
  const parent = basename(dirname(dir));
  const sid = sidOverride ?? (SID.test(parent) ? parent : undefined);
  const c: FixtureCase = { sid, name, dir, id: `${sid ?? parent}/${name}`, answerFile: 'answer.xml', volatile: [], template: true };
  const file = join(dir, 'case.yaml');
  let def: ReturnType<typeof caseSchema.parse> | undefined;
  if (existsSync(file)) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
      const parsed = caseSchema.safeParse(parseYaml(text) ?? {});
      if (!parsed.success) return { ...c, problem: `${rel(file)}: ${describeIssues(parsed.error).join('; ')}` };
      def = parsed.data;
    } catch (e) {
      return { ...c, problem: `${rel(file)}: not valid YAML: ${yamlErrorText(e, text)}` };
    }
  }
  c.description = def?.description;
  c.answerFile = def?.answer ?? 'answer.xml';
  c.volatile = def?.volatile ?? [];
  c.expect = def?.expect;
  c.soapAction = def?.soapAction;
  c.pingSoapAction = def?.pingSoapAction;
  c.template = def?.template ?? true;
  c.fault = def?.fault;
  try {
    c.volatile.forEach(parsePattern);
  } catch (e) {
    return { ...c, problem: `${rel(file)}: ${(e as Error).message}` };
  }
  const read = (n: string) => (existsSync(join(dir, n)) ? readFileSync(join(dir, n)) : undefined);
  c.request = read('request.xml');
  if (!c.request) return { ...c, skip: 'no request.xml (a case only the emulator uses)' };
  c.answer = read(c.answerFile);
  if (!c.answer && !c.fault) return { ...c, problem: `${rel(join(dir, c.answerFile))} does not exist: nothing to compare the answer with` };
  c.acceptFile = def?.async.accept ?? (existsSync(join(dir, 'accept.xml')) ? 'accept.xml' : undefined);
  if (c.acceptFile) {
    c.accept = read(c.acceptFile);
    if (!c.accept) return { ...c, problem: `${rel(join(dir, c.acceptFile))} does not exist` };
  }
  c.ping = read('ping.xml');
  const attachments = join(dir, ATTACHMENTS_DIR);
  if (existsSync(attachments) && statSync(attachments).isDirectory()) {
    c.attachments = { dir: attachments, form: def?.attachments?.form ?? 'inline', requestCode: def?.attachments?.requestCode, sign: def?.attachments?.sign ?? true };
  } else if (def?.attachments) {
    return { ...c, problem: `${rel(file)}: attachments: is set, but ${rel(attachments)} is not a folder` };
  }
  return c;
}

function rel(p: string): string {
  const r = relative(process.cwd(), p);
  return r.startsWith('..') ? p : r;
}
