import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parse as parseYaml } from 'yaml';
import { yamlErrorText } from '../../yaml-error';
import { describeIssues } from '../../registry/definition';
import { parseEnvelope } from '../../envelope/parse';
import { attachmentFiles, type CaseAttachments } from './attachments';
import { compileTemplate, TemplateError, type AnswerTemplate } from './template';
import { compileFault, type CaseFault } from './fault-answer';

/** The folder of a case whose files make the answer's AppDocument. */
export const ATTACHMENTS_DIR = 'attachments';

/** The schema of a case folder's case.yaml (docs/emulator.md; the testers' keys: docs/fixtures.md). */
export const caseSchema = z.strictObject({
  operation: z.string().optional(),
  description: z.string().optional(),
  match: z.record(z.string().regex(/^(Message|AppData)(\/[^/]+)*$/, 'a path starts with Message/ or AppData/'), z.union([z.string(), z.number(), z.boolean()])).default({}),
  priority: z.number().default(0),
  answer: z.string().default('answer.xml'),
  /** the answer files are Handlebars templates filled from the request (docs/emulator.md, "Answers from the request"); false: sent as written */
  template: z.boolean().default(true),
  /** answer with a SOAP fault instead of answer.xml: the provider's own fault, or the node's (a SMEV-nnnnnn code) */
  fault: z.strictObject({
    faultcode: z.enum(['Client', 'Server']).default('Server'),
    faultstring: z.string().min(1),
    detail: z.string().optional(),
    httpStatus: z.number().int().min(200).max(599).default(500),
  }).optional(),
  /** random dispatch (dispatch.yaml): this case's weight among the candidates */
  weight: z.number().min(0).default(1),
  /** a scenario (as WireMock's): this case answers only in `requiredState` and moves the scenario to `newState` */
  scenario: z.strictObject({
    name: z.string().min(1),
    requiredState: z.string().min(1).optional(),
    newState: z.string().min(1).optional(),
  }).optional(),
  async: z.strictObject({
    processPolls: z.number().int().min(0).default(0),
    processSeconds: z.number().min(0).default(0),
    accept: z.string().optional(),
  }).default({ processPolls: 0, processSeconds: 0 }),
  // for replay (docs/fixtures.md); the emulator ignores them
  volatile: z.array(z.string().regex(/^(Envelope|Header|Body|Message|MessageData|AppData|AppDocument)(\/[^/]+)*$/, 'a path starts with Message/, AppData/, MessageData/, AppDocument/, Body/, Header/ or Envelope/')).optional(),
  expect: z.array(z.string().regex(/^[A-Z]+[*+?]?$/, 'a Status, optionally followed by * (any number), + (one or more) or ? (optional)')).optional(),
  soapAction: z.string().optional(),
  pingSoapAction: z.string().optional(),
  /** scripted provider behaviour: slow answers, and failures for a number of calls or seconds */
  /** the AppDocument of the answer, from the case's attachments/ folder (docs/emulator.md, "Attachments") */
  attachments: z.strictObject({
    form: z.enum(['inline', 'mtom']).default('inline'),
    requestCode: z.string().min(1).optional(),
    contentId: z.string().regex(/^[^<>\s]+$/, 'a Content-ID without angle brackets or spaces').optional(),
    sign: z.boolean().default(true),
  }).optional(),
  behaviour: z.strictObject({
    delayMs: z.number().int().min(0).default(0),
    failure: z.enum(['refuse', 'hang', 'http500', 'garbage']).optional(),
    failFirst: z.number().int().min(1).optional(),
    failForSeconds: z.number().min(0).optional(),
    /** how long a hang lasts before the emulated provider gives up (its read timeout) */
    hangMs: z.number().int().min(1).default(30000),
  }).optional(),
});

export type Behaviour = NonNullable<z.infer<typeof caseSchema>['behaviour']>;

export interface Condition {
  path: string;
  steps: string[];
  expected: string;
  test: (actual: string | undefined) => boolean;
}

export interface EmulatorCase {
  name: string;
  dir: string;
  operation?: string;
  priority: number;
  conditions: Condition[];
  answer: Buffer;
  accept?: Buffer;
  /** answer and accept as templates (./template.ts): compiled at load, sent as written when not templated */
  answerTemplate: AnswerTemplate;
  acceptTemplate?: AnswerTemplate;
  /** answer with this SOAP fault instead (./fault-answer.ts) */
  fault?: CaseFault;
  processPolls: number;
  processSeconds: number;
  behaviour?: Behaviour;
  /** the final answer's AppDocument, when the case has an attachments/ folder */
  attachments?: CaseAttachments;
  /** random dispatch: its weight among the candidates (dispatch.ts) */
  weight: number;
  /** the scenario it requires a state of, or moves (dispatch.ts) */
  scenario?: { name: string; requiredState?: string; newState?: string };
}

export class CaseError extends Error {}

/** Load every case folder (one holding case.yaml) under `dir`. Throws CaseError listing every problem. */
export function loadCases(dir: string): EmulatorCase[] {
  const problems: string[] = [];
  const cases: EmulatorCase[] = [];
  // dot-named folders are not cases: editors' and the admin API's staging folders (edit.ts), .git
  for (const entry of readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory() && !d.name.startsWith('.')).sort((a, b) => a.name.localeCompare(b.name))) {
    const caseDir = join(dir, entry.name);
    const file = join(caseDir, 'case.yaml');
    if (!existsSync(file)) continue;
    let parsed;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
      parsed = caseSchema.safeParse(parseYaml(text) ?? {});
    } catch (e) {
      problems.push(`${file}: not valid YAML: ${yamlErrorText(e, text)}`);
      continue;
    }
    if (!parsed.success) {
      problems.push(...describeIssues(parsed.error).map((l) => `${file}: ${l}`));
      continue;
    }
    const c = parsed.data;
    const read = (name: string) => {
      const p = join(caseDir, name);
      if (!existsSync(p)) {
        problems.push(`${file}: ${name} does not exist in ${caseDir}`);
        return undefined;
      }
      return readFileSync(p);
    };
    // a fault case needs no answer file; one it has is only replay's (docs/fixtures.md)
    const answer = c.fault && !existsSync(join(caseDir, c.answer)) ? Buffer.alloc(0) : read(c.answer);
    const accept = c.async.accept ? read(c.async.accept) : undefined;
    if (!answer) continue;
    let templates;
    try {
      templates = {
        answerTemplate: compileTemplate(join(caseDir, c.answer), answer, c.template),
        acceptTemplate: accept && compileTemplate(join(caseDir, c.async.accept!), accept, c.template),
        fault: c.fault && compileFault(file, c.fault, c.template),
      };
    } catch (e) {
      if (!(e instanceof TemplateError)) throw e;
      problems.push(e.message);
      continue;
    }
    const attachments = attachmentsOf(caseDir, c.attachments, answer, (p) => problems.push(`${file}: ${p}`));
    cases.push({
      name: entry.name,
      dir: caseDir,
      operation: c.operation,
      priority: c.priority,
      conditions: Object.entries(c.match).map(([path, v]) => condition(path, String(v))),
      answer,
      accept,
      ...templates,
      processPolls: c.async.processPolls,
      processSeconds: c.async.processSeconds,
      behaviour: c.behaviour,
      attachments,
      weight: c.weight,
      scenario: c.scenario,
    });
  }
  if (problems.length) throw new CaseError(problems.join('\n'));
  return cases;
}

/**
 * A case's attachments: its attachments/ folder and how case.yaml says to send them. The
 * RequestCode is case.yaml's, or the one the answer file's AppDocument already carries.
 */
function attachmentsOf(caseDir: string, o: z.infer<typeof caseSchema>['attachments'], answer: Buffer, problem: (p: string) => void): CaseAttachments | undefined {
  const dir = join(caseDir, ATTACHMENTS_DIR);
  const present = existsSync(dir) && statSync(dir).isDirectory();
  if (!present) {
    if (o) problem(`attachments: is set, but ${dir} is not a folder (put the files of the AppDocument there)`);
    return undefined;
  }
  if (!attachmentFiles(dir).length) {
    problem(`${dir} holds no files: an AppDocument needs at least one (or remove the folder)`);
    return undefined;
  }
  let requestCode = o?.requestCode;
  if (!requestCode) {
    try {
      const p = parseEnvelope(answer);
      requestCode = p.envelope.appDocument?.requestCode;
      p.doc.dispose();
    } catch {
      // the answer is not XML: the emulator reports that when it answers
    }
  }
  if (!requestCode) {
    problem('attachments.requestCode is missing and the answer file has no AppDocument/RequestCode: give one of them');
    return undefined;
  }
  const form = o?.form ?? 'inline';
  return { dir, form, requestCode, contentId: o?.contentId ?? `${requestCode}.zip`, sign: o?.sign ?? true };
}

function condition(path: string, expected: string): Condition {
  const steps = path.split('/');
  if (expected === '*') return { path, steps, expected, test: (a) => a !== undefined };
  const re = /^\/(.*)\/([imsu]*)$/.exec(expected);
  if (re) {
    const rx = new RegExp(re[1], re[2]);
    return { path, steps, expected, test: (a) => a !== undefined && rx.test(a) };
  }
  return { path, steps, expected, test: (a) => a === expected };
}
