/**
 * Replay's comparison of an AppDocument (docs/fixtures.md, "Attachments"): a case's
 * `attachments/` files are the expected ZIP; the answer's AppDocument, inline or an MTOM part, is
 * judged as the gateway judges it (judgeAttachments: the part found, its DigestValue, the ZIP
 * opened, each `.sig` verified) and compared file by file: names, sizes, SHA-256 and the verdict
 * of each file's signature. `.sig` files are compared by their verdicts, not their bytes: a
 * signature carries its signing time, so each signing makes other bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnvelope } from '../envelope/parse';
import { judgeAttachments } from '../attachments/judge';
import { inspectZip } from '../attachments/inspect';
import { buildZip } from '../attachments/zip';
import { DEFAULT_ZIP_LIMITS, type SignatureVerdict, type ZipFile } from '../attachments/model';
import { FAULTS, renderFaultString } from '../faults/catalogue';
import { attachmentFiles } from '../providers/emulator/attachments';
import type { MimePart } from '../http/multipart';
import type { XNode } from './tree';

/** What a case says its answer's AppDocument holds (case.yaml `attachments`, the attachments/ folder). */
export interface ExpectedAttachments {
  dir: string;
  form: 'inline' | 'mtom';
  /** case.yaml's; else the RequestCode of the expected answer's AppDocument */
  requestCode?: string;
  /** the emulator signs every file without a `.sig`: each such file is expected signed */
  sign: boolean;
}

const AT = 'AppDocument';
/** Faults that speak of one file's signature: replay reports them per file, from the verdicts. */
const PER_FILE = new Set(['attachmentSignatureInvalid', 'attachmentUnsigned']);

/** The differences between a case's attachments and an answer's AppDocument; empty when equal. */
export async function compareAttachments(x: ExpectedAttachments, expectedAppDocument: XNode | undefined, answer: { bytes: Buffer; parts?: MimePart[] }): Promise<string[]> {
  const out: string[] = [];
  const p = parseEnvelope(answer.bytes);
  let actual: Awaited<ReturnType<typeof judgeAttachments>>;
  try {
    const info = p.envelope.appDocument;
    const names = attachmentFiles(x.dir);
    if (!info) return [`${AT}: missing (expected the ZIP of ${names.length} file${names.length === 1 ? '' : 's'} of attachments/, ${x.form === 'mtom' ? 'as an MTOM part' : 'inline'})`];
    const form = info.include !== undefined ? 'mtom' : info.binaryLength !== undefined ? 'inline' : undefined;
    if (form !== x.form) out.push(`${AT}: expected the ZIP ${FORM[x.form]}, got ${form ? FORM[form] : 'neither BinaryData nor a Reference'}`);
    const requestCode = x.requestCode ?? expectedAppDocument?.children.find((c) => c.local === 'RequestCode')?.text;
    if (requestCode !== undefined && requestCode !== info.requestCode) out.push(`${AT}/RequestCode: expected "${requestCode}", got ${info.requestCode === undefined ? 'none' : `"${info.requestCode}"`}`);
    if (!form) return out;
    actual = await judgeAttachments(p, answer.parts, { settings: { requireSignatures: false }, limits: DEFAULT_ZIP_LIMITS, at: new Date(), where: 'the answer' });
  } finally {
    p.doc.dispose();
  }
  for (const problem of actual.problems) {
    if (!PER_FILE.has(problem.fault)) out.push(`${AT}: ${renderFaultString(FAULTS[problem.fault], problem.params)}`);
  }
  const zip = actual.documents[0]?.zip;
  if (!zip || zip.problems.some((q) => q.fault === 'attachmentZipBroken' || q.fault === 'attachmentZipBomb')) return out;
  out.push(...compareFiles(await expectedFiles(x), zip.files, x.sign));
  return out;
}

const FORM = { inline: 'inline (BinaryData)', mtom: 'as an MTOM part (Reference, xop:Include)' } as const;

/** The case's files as a ZIP, opened as the answer's is: sizes, hashes and the verdicts of the `.sig` files it holds. */
async function expectedFiles(x: ExpectedAttachments): Promise<ZipFile[]> {
  const files = attachmentFiles(x.dir).map((name) => ({ name, bytes: readFileSync(join(x.dir, name)) }));
  const report = await inspectZip({ bytes: await buildZip(files) }, { limits: DEFAULT_ZIP_LIMITS, at: new Date(), where: `${x.dir}` });
  return report.files;
}

function compareFiles(expected: ZipFile[], actual: ZipFile[], sign: boolean): string[] {
  const out: string[] = [];
  const exp = new Map(expected.map((f) => [f.name, f]));
  const act = new Map(actual.map((f) => [f.name, f]));
  // a `.sig` whose file is on either side is judged through that file's verdict
  const signatureOf = (name: string) => /\.sig$/i.test(name) && (exp.has(name.slice(0, -4)) || act.has(name.slice(0, -4)));
  for (const name of [...new Set([...exp.keys(), ...act.keys()])].sort()) {
    if (signatureOf(name)) continue;
    const e = exp.get(name);
    const a = act.get(name);
    const at = `${AT}/ZIP/${name}`;
    if (!a) {
      out.push(`${at}: missing (expected ${bytes(e!.size)})`);
      continue;
    }
    if (!e) {
      out.push(`${at}: unexpected file (${bytes(a.size)}, SHA-256 ${a.sha256.slice(0, 16)}…)`);
      continue;
    }
    if (e.size !== a.size || e.sha256 !== a.sha256) {
      out.push(`${at}: expected ${bytes(e.size)} (SHA-256 ${e.sha256.slice(0, 16)}…), got ${bytes(a.size)} (SHA-256 ${a.sha256.slice(0, 16)}…)`);
    }
    if (e.kind === 'signature') continue;
    // a file the case leaves unsigned is signed by the emulated provider
    const ev: SignatureVerdict | undefined = e.signature ?? (sign && !exp.has(`${name}.sig`) ? { outcome: 'ok' } : undefined);
    const line = compareVerdicts(ev, a.signature);
    if (line) out.push(`${at}.sig: ${line}`);
  }
  return out;
}

function compareVerdicts(e: SignatureVerdict | undefined, a: SignatureVerdict | undefined): string | undefined {
  if (!e && !a) return undefined;
  if (!a) return `missing (expected a signature that ${e!.outcome === 'ok' ? 'verifies' : 'fails'})`;
  if (!e) return `unexpected signature (${describe(a)})`;
  if (e.outcome !== a.outcome) return `expected a signature that ${e.outcome === 'ok' ? 'verifies' : `fails (${e.reason ?? ''})`}, got one that ${describe(a)}`;
  if (e.algorithm && a.algorithm && e.algorithm !== a.algorithm) return `expected the algorithm ${e.algorithm}, got ${a.algorithm}`;
  return undefined;
}

function describe(v: SignatureVerdict): string {
  return v.outcome === 'ok' ? `verifies${v.algorithm ? `, ${v.algorithm}` : ''}` : `does not verify: ${v.reason ?? 'no reason given'}`;
}

function bytes(n: number): string {
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}

/** A tree without its AppDocument: replay compares that as attachments, not as text. */
export function withoutAppDocument(n: XNode): XNode {
  if (!n.children.length) return n;
  return { ...n, children: n.children.filter((c) => c.root !== 'AppDocument').map(withoutAppDocument) };
}
