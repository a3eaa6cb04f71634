/**
 * What replay expects from an emulated case whose files are templates (docs/fixtures.md,
 * "Templates"): the answer file rendered with the request replay sent, as the emulator renders it,
 * so an echoed value is compared exactly; a generated value (uuid, now, seq, pick, randomInt)
 * renders as ANY_VALUE, which the comparison takes as any text. A case with `fault:` and no
 * answer file expects the fault the emulator would send.
 */
import { parseEnvelope } from '../envelope/parse';
import { join } from 'node:path';
import type { FixtureCase } from './fixtures';
import { compileTemplate, renderTemplate, type RenderInput } from '../providers/emulator/template';
import { compileFault, faultAnswerBytes, faultNeeds } from '../providers/emulator/fault-answer';
import { requestDocument } from '../providers/emulator/request-document';

/** The expected envelope of `file` (its bytes as read) for the request `sent`. */
export async function expectedBytes(c: FixtureCase, file: string, bytes: Buffer | undefined, sent: Buffer): Promise<Buffer> {
  if (!bytes?.length && c.fault) {
    const f = compileFault(join(c.dir, 'case.yaml'), c.fault, c.template);
    return rendered(sent, faultNeeds(f).usesDocument, (input) => faultAnswerBytes(f, input));
  }
  const t = compileTemplate(join(c.dir, file), bytes ?? Buffer.alloc(0), c.template);
  if (!t.fn) return t.bytes;
  return rendered(sent, t.usesDocument, (input) => renderTemplate(t, input));
}

/** Render from the request sent, parsed once for the answer and disposed after it. */
async function rendered(sent: Buffer, usesDocument: boolean, render: (input: RenderInput) => Buffer): Promise<Buffer> {
  const request = parseEnvelope(sent);
  try {
    // an MTOM request is not replayed (docs/fixtures.md): an AppDocument here is inline
    return render({ request, replay: true, document: usesDocument ? await requestDocument(request, undefined) : undefined });
  } finally {
    request.doc.dispose();
  }
}
