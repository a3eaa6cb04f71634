import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openStore, query, runMigrations } from '../src/store';
import fc from 'fast-check';
import { AttachmentStore, filledChunks, partsRecord, recipeOf } from '../src/journal/attachments';
import { FileRange, Slices } from '../src/slices';
import { Spool, partBytes, type MimePart } from '../src/http/multipart';
import { freshStore, dbUrl } from './support/store';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Attachment bytes stored by hash beside the journal (issue 16 item 5), on the pass's store:
 * chunked, once per content, read back as a stream, brought back into a spool, purged by
 * retention once unused and kept again when the same content travels anew.
 */
let ds: DataSource;
let store: AttachmentStore;

beforeAll(async () => {
  ds = await openStore(dbUrl(await freshStore()), { migrate: false });
  await runMigrations(ds);
  store = new AttachmentStore(ds);
});
afterAll(async () => ds?.destroy());

const part = (bytes: Buffer): MimePart => ({ contentId: 'doc@test', contentType: 'application/zip', headers: {}, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), bytes });

async function readAll(sha: string): Promise<Buffer | undefined> {
  const s = await store.open(sha);
  if (!s) return undefined;
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

test('a part of several chunks is kept once and read back whole; a second put only notes its use', async () => {
  const bytes = randomBytes(2.5 * 1024 * 1024);
  const p = part(bytes);
  await store.put(p, 1000);
  await store.put(p, 2000);
  expect(await store.info(p.sha256)).toEqual({ size: bytes.length, chunks: 3, purgedAt: null });
  expect((await readAll(p.sha256))!.equals(bytes)).toBe(true);
  // brought back for sending again: past the threshold into a spool file, under it into memory
  const spool = new Spool(mkdtempSync(join(tmpdir(), 'smev2-store-spool-')));
  const record = partsRecord({ parts: [p], framing: { lineEnd: '\r\n' } })!;
  const big = await store.materialize(record, spool, 1024);
  expect(big.parts[0]!.path).toBeDefined();
  expect((await partBytes(big.parts[0]!)).equals(bytes)).toBe(true);
  const small = await store.materialize(record, spool, bytes.length);
  expect(small.parts[0]!.bytes!.equals(bytes)).toBe(true);
  await spool.release();
});

test('retention purges the bytes of parts unused since the cutoff, keeps their row, and a new put keeps them again', async () => {
  const used = part(randomBytes(1000));
  const unused = part(randomBytes(1000));
  await store.put(unused, 10_000);
  await store.put(used, 30_000);
  expect(await store.purgeUnusedSince(20_000, 40_000)).toBeGreaterThanOrEqual(1);
  expect((await store.info(unused.sha256))!.purgedAt).toBe(40_000);
  expect(await readAll(unused.sha256)).toBeUndefined();
  expect((await readAll(used.sha256))!.equals(used.bytes!)).toBe(true);
  await store.put(unused, 50_000);
  expect((await store.info(unused.sha256))!.purgedAt).toBeNull();
  expect((await readAll(unused.sha256))!.equals(unused.bytes!)).toBe(true);
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/**
 * The forwarded request kept as a recipe (issue 16 item 7): generated bodies cut anywhere, with
 * bytes of their own spliced in, are read back byte for byte while only views of the kept body
 * are named by reference (a copy of its bytes is its own, not a reference).
 */
test('a body of views of a kept body and bytes of its own is kept as a recipe and read back whole', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 3 * 1024 * 1024 + 17 }),
    fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 3000 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
    fc.integer(),
    async (size, cuts, seed) => {
      const base = randomBytes(size);
      const baseSha = sha(base);
      expect(await store.putBytes(baseSha, base, 1000)).toBe('whole');
      // the body: the base cut at sorted places, own bytes (fresh, or a copy of the base's) between
      const at = [...new Set(cuts.map(([f]) => Math.floor(f * size)))].sort((a, b) => a - b);
      const pieces: Buffer[] = [];
      let from = 0;
      at.forEach((cut, n) => {
        pieces.push(base.subarray(from, cut));
        const [, len, copy] = cuts[n]!;
        pieces.push(copy ? Buffer.from(base.subarray(0, Math.max(1, Math.min(len, size)))) : Buffer.from(`<own n="${seed}-${n}">${'x'.repeat(len)}</own>`));
        from = cut;
      });
      pieces.push(base.subarray(from));
      const body = Slices.of(...pieces);
      const bodySha = body.sha256();
      const recipe = recipeOf(body, [{ sha256: baseSha, bytes: base }])!;
      expect(recipe).toBeDefined();
      // every byte of the base's memory is named by reference, every other byte is its own
      const own = recipe.reduce((n, g) => n + ('bytes' in g ? Buffer.from(g.bytes, 'base64').length : 0), 0);
      expect(own).toBe(body.length - size);
      expect(await store.putBytes(bodySha, body, 2000, [{ sha256: baseSha, bytes: base }])).toBe('recipe');
      const [row] = await query<{ chunks: number | string; recipe: string | null }>(ds, 'SELECT chunks, recipe FROM attachment_blobs WHERE sha256 = ?', [bodySha]);
      expect(Number(row!.chunks)).toBe(0);
      expect(row!.recipe).not.toBeNull();
      const back = await readAll(bodySha);
      expect(back!.length).toBe(body.length);
      expect(sha(back!)).toBe(bodySha);
    }), { numRuns: 12 });
});

test('a body that is not views of a kept one, or has too many bytes of its own, is kept whole', async () => {
  const base = randomBytes(100_000);
  const kept = [{ sha256: sha(base), bytes: base }];
  expect(recipeOf(Slices.of(Buffer.from(base)), kept)).toBeUndefined();
  expect(recipeOf(Slices.of(base.subarray(0, 10), randomBytes(64 * 1024 + 1)), kept)).toBeUndefined();
  expect(recipeOf(Slices.of(base.subarray(0, 10), randomBytes(64 * 1024), base.subarray(10)), kept)).toHaveLength(3);
});

test('retention keeps the blob a recipe reads from while the recipe is kept; a missing one is named when read', async () => {
  const base = randomBytes(1_500_000);
  const baseSha = sha(base);
  await store.putBytes(baseSha, base, 100_000);
  const body = Slices.of(Buffer.from('<head/>'), base.subarray(5), Buffer.from('<tail/>'));
  await store.putBytes(body.sha256(), body, 300_000, [{ sha256: baseSha, bytes: base }]);
  // the recipe's use is the base's use: neither is unused since 200_000
  await store.purgeUnusedSince(200_000, 400_000);
  expect((await store.info(baseSha))!.purgedAt).toBeNull();
  expect(sha((await readAll(body.sha256()))!)).toBe(body.sha256());
  // both unused since: both purged together
  await store.purgeUnusedSince(350_000, 500_000);
  expect((await store.info(baseSha))!.purgedAt).toBe(500_000);
  expect(await readAll(body.sha256())).toBeUndefined();
  // the base deleted outside the gateway under a kept recipe: reading says which blob is missing
  await store.putBytes(baseSha, base, 600_000);
  await store.putBytes(body.sha256(), body, 600_000, [{ sha256: baseSha, bytes: base }]);
  await query(ds, 'DELETE FROM attachment_chunks WHERE sha256 = ? AND seq = 1', [baseSha]);
  await expect(readAll(body.sha256())).rejects.toThrow(`attachment ${baseSha}: chunk 1 of 2 is missing from the store`);
});

describe('a body partly in a spool file (a large inline text kept out of memory, xml/elide.ts)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-store-ranges-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let files = 0;
  /** `bytes` cut into pieces at `cuts`, every other one a range of a file holding it after some other bytes. */
  const mixed = (bytes: Buffer, cuts: number[], lead: number): Slices => {
    const file = join(dir, `${files++}.part`);
    writeFileSync(file, Buffer.concat([randomBytes(lead), bytes]));
    const at = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
    return Slices.of(...at.slice(1).map((end, i) => (i % 2 ? new FileRange(file, lead + at[i]!, end - at[i]!) : bytes.subarray(at[i], end))));
  };

  test('its chunks, filled in a few buffers used in turn, are the body cut at the chunk size', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 5000 }), fc.array(fc.nat(), { maxLength: 8 }), fc.nat({ max: 100 }), fc.integer({ min: 1, max: 700 }), fc.integer({ min: 1, max: 4 }),
      async (data, cuts, lead, size, ring) => {
        const bytes = Buffer.from(data);
        const body = mixed(bytes, cuts, lead);
        const got: Buffer[] = [];
        const made = new Set<ArrayBufferLike>();
        for await (const c of filledChunks(body, size, ring)) {
          got.push(Buffer.from(c)); // taken before the next is asked for, as the store does
          made.add(c.buffer);
        }
        expect(Buffer.concat(got).equals(bytes)).toBe(true);
        expect(got.slice(0, -1).every((c) => c.length === size)).toBe(true);
        expect(made.size).toBeLessThanOrEqual(ring);
      }), { numRuns: 150 });
  });

  test('kept by hash from its file, read back whole; a later body of ranges of the same file is a recipe of it', async () => {
    const bytes = randomBytes(2.5 * 1024 * 1024 + 333);
    const body = mixed(bytes, [1000, 1_500_000, 2_000_000], 77);
    expect(body.inMemory).toBe(false);
    expect(body.sha256()).toBe(sha(bytes));
    expect(body.join().equals(bytes)).toBe(true);
    expect(await store.putBytes(sha(bytes), body, 1000)).toBe('whole');
    expect((await readAll(sha(bytes)))!.equals(bytes)).toBe(true);
    // the forwarded copy: the same ranges, the node's bytes spliced in
    const own = Buffer.from('<node-header/>');
    const forward = Slices.of(body.pieces[0] as Buffer, own, ...body.pieces.slice(1));
    const recipe = recipeOf(forward, [{ sha256: sha(bytes), bytes: body }])!;
    expect(recipe.filter((g) => 'bytes' in g)).toEqual([{ bytes: own.toString('base64') }]);
    expect(await store.putBytes(forward.sha256(), forward, 2000, [{ sha256: sha(bytes), bytes: body }])).toBe('recipe');
    expect(sha((await readAll(forward.sha256()))!)).toBe(forward.sha256());
    // a range of another file with the same bytes is not the kept one's: kept whole
    const copy = join(dir, 'copy.part');
    writeFileSync(copy, bytes);
    expect(recipeOf(Slices.of(new FileRange(copy, 0, bytes.length)), [{ sha256: sha(bytes), bytes: body }])).toBeUndefined();
  });
});
