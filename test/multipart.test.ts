import { mkdtempSync, readFileSync, existsSync, rmSync, writeFileSync, utimesSync } from 'node:fs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { readMultipart, writeMultipart, partBytes, Spool, MultipartError, DEFAULT_MULTIPART_LIMITS, sweepSpool, SPOOL_ORPHAN_AGE_MS, type MultipartLimits } from '../src/http/multipart';
import { CORPUS, corpusAvailable } from './support/paths';

/** Feed `body` in the given chunk sizes (cycled), as a socket would. */
async function* chunked(body: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let off = 0;
  let i = 0;
  while (off < body.length) {
    const n = Math.max(1, sizes[i++ % sizes.length]!);
    yield body.subarray(off, off + n);
    off += n;
  }
}

const spoolDir = mkdtempSync(join(tmpdir(), 'smev2-multipart-'));
afterAll(() => rmSync(spoolDir, { recursive: true, force: true }));
const limits: MultipartLimits = { ...DEFAULT_MULTIPART_LIMITS, memoryThreshold: 1024 };
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const available = corpusAvailable();
const mtomDir = join(CORPUS, 'attachments', 'rosreestr-mtom');

(available ? describe : describe.skip)(`the corpus's MTOM answer (${mtomDir})`, () => {
  test('LF framing with type="text/xml" and no start: the first part is the root, the ZIP part intact', async () => {
    expect(existsSync(join(mtomDir, 'message.body'))).toBe(true);
    const body = readFileSync(join(mtomDir, 'message.body'));
    const ct = readFileSync(join(mtomDir, 'content-type.txt'), 'utf8').trim();
    const zip = readFileSync(join(mtomDir, 'CHANGES_EGRUL_2011-06-09.ZIP'));
    const envelope = readFileSync(join(CORPUS, 'envelopes', 'gws-core-test__rr2-response-mtom.xml'));
    for (const sizes of [[body.length], [1], [7, 300, 2], [4096]]) {
      const spool = new Spool(spoolDir);
      const m = await readMultipart(chunked(body, sizes), ct, limits, spool);
      expect(m.framing).toEqual({ type: 'text/xml', startInfo: undefined, lineEnd: '\n' });
      expect(m.root.bytes.toString('utf8').trim()).toBe(envelope.toString('utf8').trim());
      expect(m.parts).toHaveLength(1);
      const part = m.parts[0]!;
      expect(part.contentId).toBe('CHANGES_EGRUL_2011-06-09.ZIP');
      expect(part.size).toBe(zip.length);
      expect(part.sha256).toBe(sha(zip));
      expect(part.path).toBeDefined(); // past the threshold: spooled
      expect((await partBytes(part)).equals(zip)).toBe(true);
      await spool.release();
      expect(existsSync(part.path!)).toBe(false);
    }
  });
});

describe('standard MTOM framing and its variants', () => {
  const envelope = Buffer.from('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><x/></s:Body></s:Envelope>');

  test('what writeMultipart writes reads back the same, for any parts, framing and chunking', async () => {
    await fc.assert(fc.asyncProperty(
      // contents ending in a line end or CR too: the LF framing's empty line must not eat them
      fc.array(fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 3000 }), fc.uint8Array({ maxLength: 50 }).map((a) => Uint8Array.from([...a, 13, 10])), fc.uint8Array({ maxLength: 50 }).map((a) => Uint8Array.from([...a, 10]))), { minLength: 0, maxLength: 4 }),
      fc.constantFrom<'\r\n' | '\n'>('\r\n', '\n'),
      fc.constantFrom('application/xop+xml', 'text/xml'),
      fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 5 }),
      async (contents, lineEnd, type, sizes) => {
        const parts = contents.map((c, i) => ({ contentId: `part${i}@${randomUUID()}`, contentType: 'application/octet-stream', headers: {}, size: c.length, sha256: sha(Buffer.from(c)), bytes: Buffer.from(c) }));
        const w = writeMultipart({ bytes: envelope }, parts, { type, lineEnd });
        const chunks: Buffer[] = [];
        for await (const c of w.stream()) chunks.push(c as Buffer);
        const body = Buffer.concat(chunks);
        expect(body.length).toBe(w.length);
        const spool = new Spool(spoolDir);
        const m = await readMultipart(chunked(body, sizes), w.contentType, limits, spool);
        expect(m.root.bytes.equals(envelope)).toBe(true);
        expect(m.framing.lineEnd).toBe(lineEnd);
        expect(m.parts.map((p) => [p.contentId, p.sha256, p.size])).toEqual(parts.map((p) => [p.contentId, p.sha256, p.size]));
        for (const [i, p] of m.parts.entries()) expect((await partBytes(p)).equals(parts[i]!.bytes)).toBe(true);
        await spool.release();
      }), { numRuns: 150 });
  });

  test('the root is the part `start` names, wherever it stands; base64 parts are decoded; bodies that hold the boundary text are not cut', async () => {
    const zip = randomBytes(5000);
    const tricky = Buffer.concat([Buffer.from('x--b1 \n-b1\r\n--b'), zip]);
    const body = Buffer.from([
      'preamble text', '--b1', 'Content-Type: application/zip', 'Content-Transfer-Encoding: base64', 'Content-ID: <doc@x>', '',
      zip.toString('base64').replace(/(.{76})/g, '$1\r\n'),
      '--b1', 'content-type: application/octet-stream', 'content-id: <tricky>', '', '',
    ].join('\r\n'));
    const rest = Buffer.from(['', '--b1', 'Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"', 'Content-ID: <root@x>', '', envelope.toString(), '--b1--', 'epilogue'].join('\r\n'));
    const full = Buffer.concat([body, tricky, rest]);
    const m = await readMultipart(chunked(full, [13]), 'multipart/related; boundary=b1; start="<root@x>"; type="application/xop+xml"', limits, new Spool(spoolDir));
    expect(m.root.bytes.equals(envelope)).toBe(true);
    expect(m.parts.map((p) => p.contentId)).toEqual(['doc@x', 'tricky']);
    expect((await partBytes(m.parts[0]!)).equals(zip)).toBe(true);
    expect((await partBytes(m.parts[1]!)).equals(tricky)).toBe(true);
  });

  const cases: [string, string, Buffer, MultipartError['kind'], RegExp][] = [
    ['no boundary parameter', 'multipart/related', Buffer.from('x'), 'malformed', /no boundary/],
    ['no closing boundary', 'multipart/related; boundary=b', Buffer.from('--b\r\nContent-Type: text/xml\r\n\r\n<a/>'), 'malformed', /closing boundary/],
    ['no boundary at all', 'multipart/related; boundary=b', Buffer.from('<a/>'), 'malformed', /no part starts/],
    ['a start that names no part', 'multipart/related; boundary=b; start="<r>"', Buffer.from('--b\r\nContent-ID: <x>\r\n\r\n<a/>\r\n--b--'), 'malformed', /Content-ID "r"/],
    ['a header line without a colon', 'multipart/related; boundary=b', Buffer.from('--b\r\nnonsense\r\n\r\n<a/>\r\n--b--'), 'malformed', /Name: value/],
    ['quoted-printable', 'multipart/related; boundary=b', Buffer.from('--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n<a/>\r\n--b--'), 'malformed', /quoted-printable/],
  ];
  test.each(cases)('refused with a reason: %s', async (_name, ct, body, kind, reason) => {
    const e = await readMultipart(chunked(body, [3]), ct, limits, new Spool(spoolDir)).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MultipartError);
    expect((e as MultipartError).kind).toBe(kind);
    expect((e as MultipartError).message).toMatch(reason);
  });

  test('limits: parts, a part, all parts, the root', async () => {
    const parts = Array.from({ length: 5 }, (_, i) => ({ contentId: `p${i}`, contentType: 'application/octet-stream', headers: {}, size: 2000, sha256: '', bytes: randomBytes(2000) }));
    const w = writeMultipart({ bytes: envelope }, parts);
    const chunks: Buffer[] = [];
    for await (const c of w.stream()) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const read = (l: Partial<MultipartLimits>) => readMultipart(chunked(body, [512]), w.contentType, { ...limits, ...l }, new Spool(spoolDir)).catch((e: MultipartError) => e.kind);
    expect(await read({ maxParts: 3 })).toBe('tooManyParts');
    expect(await read({ maxPartBytes: 1999 })).toBe('partTooLarge');
    expect(await read({ maxTotalBytes: 5000 })).toBe('totalTooLarge');
    expect(await read({ maxRootBytes: 10 })).toBe('rootTooLarge');
    expect(typeof (await read({}))).toBe('object');
  });
});

describe('the spool', () => {
  test('files older than the orphan age are swept, files of exchanges in work are not', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smev2-sweep-'));
    const spool = new Spool(dir);
    const young = spool.file();
    const old = spool.file();
    writeFileSync(young, 'x');
    writeFileSync(old, 'y');
    const t = new Date(Date.now() - SPOOL_ORPHAN_AGE_MS - 60_000);
    utimesSync(old, t, t);
    expect(sweepSpool(dir, SPOOL_ORPHAN_AGE_MS)).toBe(1);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(young)).toBe(true);
  });
});
