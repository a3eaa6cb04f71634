import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openStore, runMigrations } from '../src/store';
import { AttachmentStore, partsRecord } from '../src/journal/attachments';
import { Spool, partBytes, type MimePart } from '../src/http/multipart';
import { freshStore, dbUrl } from './support/store';
import { mkdtempSync } from 'node:fs';
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
