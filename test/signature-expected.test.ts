import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures, type BlockVerdict } from '../src/signature/verify';
import { CORPUS, corpusAvailable } from './support/paths';

/**
 * The gateway's verifier against the independently computed verdicts of real SMEV 2 traffic:
 * every digest (by target id), every signature (by actor) and every message of EXPECTED.tsv.
 * The verifier is given the bytes only, never the file name.
 */
const available = corpusAvailable();
const dir = join(CORPUS, 'envelopes');
const rows = available
  ? readFileSync(join(dir, 'EXPECTED.tsv'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).map((l) => {
    const [file, check, target, expected] = l.split('\t');
    return { file: file!, check: check!, target: target!, expected: expected! };
  })
  : [];

const verdicts = new Map<string, BlockVerdict[]>();
function verdictsOf(file: string): BlockVerdict[] {
  if (!verdicts.has(file)) {
    const p = parseEnvelope(readFileSync(join(dir, file)));
    try {
      verdicts.set(file, verifyEnvelopeSignatures(p));
    } finally {
      p.doc.dispose();
    }
  }
  return verdicts.get(file)!;
}

beforeAll(async () => {
  await loadXml();
});

(available ? describe : describe.skip)(`EXPECTED.tsv verdicts (${dir})`, () => {
  test('the table covers digests, signatures and messages, ok and fail', () => {
    expect(rows.length).toBeGreaterThan(60);
    for (const check of ['digest', 'signature', 'message']) {
      expect(rows.some((r) => r.check === check && r.expected === 'ok')).toBe(true);
      expect(rows.some((r) => r.check === check && r.expected === 'fail')).toBe(true);
    }
  });

  test.each(rows.map((r) => [`${r.file} ${r.check} ${r.target}`, r]))('%s', (_name, r) => {
    const blocks = verdictsOf(r.file);
    let actual: string;
    if (r.check === 'digest') {
      const refs = blocks.flatMap((b) => b.references).filter((x) => x.uri === r.target);
      expect(refs.length).toBeGreaterThan(0);
      actual = refs.every((x) => x.ok) ? 'ok' : 'fail';
    } else if (r.check === 'signature') {
      const b = blocks.find((x) => x.actor === r.target);
      expect(b).toBeDefined();
      actual = b!.signatureOk ? 'ok' : 'fail';
    } else {
      actual = blocks.length > 0 && blocks.every((b) => b.ok) ? 'ok' : 'fail';
    }
    expect(actual).toBe(r.expected);
  });
});
