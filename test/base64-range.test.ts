import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { base64RangeInto, decodeBase64Range, DECODED_PIECE } from '../src/envelope/parse';

const dir = mkdtempSync(join(tmpdir(), 'b64-range-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** base64 of `bytes` with XML white space put in at the given places, inside `<BinaryData>` of a larger text. */
function framed(bytes: Uint8Array, spaces: { at: number; ws: string }[]): { raw: Buffer; start: number; end: number } {
  let text = Buffer.from(bytes).toString('base64');
  for (const { at, ws } of [...spaces].sort((a, b) => b.at - a.at)) {
    const i = text.length ? at % (text.length + 1) : 0;
    text = text.slice(0, i) + ws + text.slice(i);
  }
  const head = '<x:BinaryData>';
  return { raw: Buffer.from(`${head}${text}</x:BinaryData>`, 'latin1'), start: head.length, end: head.length + text.length };
}

describe('inline base64 decoded from the envelope\'s bytes, piece by piece', () => {
  const doc = fc.record({
    bytes: fc.uint8Array({ maxLength: 300_000 }),
    spaces: fc.array(fc.record({ at: fc.nat(), ws: fc.constantFrom(' ', '\n', '\r\n', '\t', '\n      ') }), { maxLength: 40 }),
    extra: fc.nat({ max: 3 * DECODED_PIECE }),
  });

  test('through one reused buffer: the pieces it yields, taken in turn, are the document', () => {
    fc.assert(fc.property(doc, ({ bytes, spaces, extra }) => {
      const { raw, start, end } = framed(bytes, spaces);
      // the same text in memory, and spooled to a file after some other bytes (xml/elide.ts spoolLargeTexts)
      const file = join(dir, `${files++}.part`);
      writeFileSync(file, Buffer.concat([Buffer.from('x'.repeat(extra % 100)), raw.subarray(start, end)]));
      for (const range of [{ start, end }, { start: extra % 100, end: extra % 100 + end - start, file }]) {
        const into = Buffer.alloc(DECODED_PIECE + extra);
        const taken: Buffer[] = [];
        for (const filled of base64RangeInto(raw, range, into)) {
          expect(filled).toBeGreaterThan(0);
          expect(filled).toBeLessThanOrEqual(into.length);
          taken.push(Buffer.from(into.subarray(0, filled)));
          into.fill(0xee); // whatever the caller does with it, the next piece starts afresh
        }
        expect(Buffer.concat(taken).equals(Buffer.from(bytes))).toBe(true);
        expect(decodeBase64Range(raw, range).equals(Buffer.from(bytes))).toBe(true);
      }
    }), { numRuns: 60 });
  });

  test('a buffer smaller than one piece decodes to is refused, saying how large it must be', () => {
    const { raw, start, end } = framed(new Uint8Array(10), []);
    expect(() => [...base64RangeInto(raw, { start, end }, Buffer.alloc(1024))]).toThrow(`at least ${DECODED_PIECE} bytes, got 1024`);
  });
});
