import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startGateway, runCli, post } from './support/gateway';
import { readJournal, type Row } from './support/journal';
import { ROOT } from './support/paths';
import { copyStore, dbUrl, freshStore, sql, sqlAll } from './support/store';

const FOUND = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'));
const NOT_FOUND = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'not-found', 'request.xml'));
const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const GENESIS = '0'.repeat(64);

/** The documented hash of an entry, computed here independently from the stored row. */
function expectedHash(r: Row): string {
  const at = new Date(`${r.at.replace(' ', 'T')}Z`).toISOString();
  return sha256(JSON.stringify(['smev2-journal-v1', r.exchange_id, at, r.sid, r.operation, r.direction, r.revision, r.sender, r.recipient, r.originator,
    r.status, r.message_id, r.request_id_ref, r.origin_request_id_ref, r.case_number, r.http_status, r.fault_code, r.duration_ms, r.size,
    r.signature, r.control, r.chain_id, r.sha256, r.prev_hash]));
}

/** The journal the gateway wrote (SQLite file or PostgreSQL database), never opened again by a gateway. */
let pristine: string;
/** A fresh copy of that journal, to tamper with (a file copy, or a database made from it as a template). */
const copy = () => copyStore(pristine);
const tamper = sqlAll;
const verify = (db: string) => runCli(['journal', 'verify', '--db', dbUrl(db)]);

describe('journal: hash chain, verify, retention', () => {
  let rows: Row[];

  beforeAll(async () => {
    pristine = await freshStore();
    // two runs of the gateway on one journal: the second continues the chain from the store
    for (const bodies of [[FOUND, NOT_FOUND], [FOUND]]) {
      const gw = await startGateway({ db: pristine });
      for (const b of bodies) expect((await post(`${gw.url}/gateway/services/SID0003623`, b)).status).toBe(200);
      expect(await gw.stop()).toBe(0);
    }
    rows = await readJournal(pristine);
  }, 90000);

  test('every entry is chained to the one before, with the documented hash, across restarts', async () => {
    expect(rows.length).toBeGreaterThanOrEqual(9); // 3 exchanges of at least 3 legs
    rows.forEach((r, i) => {
      expect(r.prev_hash).toBe(i === 0 ? GENESIS : rows[i - 1]!.hash);
      expect(r.hash).toBe(expectedHash(r));
      expect(r.sha256).toBe(sha256(r.raw));
    });
    const v = await verify(await copy());
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`journal intact: ${rows.length} entries verified (0 purged of raw bytes), last hash ${rows.at(-1)!.hash}`);
  });

  test('an altered status is found and named', async () => {
    const f = await copy();
    await tamper(f, ['UPDATE journal SET status = ? WHERE id = 5', 'REJECT']);
    const v = await verify(f);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('journal NOT intact: 1 problem(s)');
    expect(v.stdout).toContain('entry 5 altered: its fields do not give its hash');
  });

  test('altered raw bytes are found and named', async () => {
    const f = await copy();
    const raw = Buffer.from(rows[2]!.raw.toString('utf8').replace(/<\//, ' </'));
    await tamper(f, ['UPDATE journal SET raw = ? WHERE id = 3', raw]);
    const v = await verify(f);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('entry 3 altered: its raw bytes do not give its sha256');
    expect(v.stdout).not.toContain('entry 3 altered: its fields');
  });

  test('a deleted entry is found and named', async () => {
    const f = await copy();
    await tamper(f, ['DELETE FROM journal WHERE id = 6']);
    const v = await verify(f);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('entries deleted: 6..6 are missing before entry 7');
  });

  test('two swapped entries are found and both named', async () => {
    const f = await copy();
    const cols = Object.keys(rows[0]!).filter((c) => c !== 'id');
    const set = cols.map((c) => `${c} = ?`).join(', ');
    const values = (r: Row) => cols.map((c) => (r as unknown as Record<string, unknown>)[c]);
    await tamper(f, [`UPDATE journal SET ${set} WHERE id = 2`, ...values(rows[7]!)], [`UPDATE journal SET ${set} WHERE id = 8`, ...values(rows[1]!)]);
    const v = await verify(f);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('entries reordered: entry 2 follows entry 7 in the chain, but is stored after entry 1');
    expect(v.stdout).toContain('entries reordered: entry 8 follows entry 1 in the chain, but is stored after entry 7');
    expect(v.stdout).not.toMatch(/altered/);
  });

  test('anchors noted outside the gateway show a cut-off tail and a chain rewritten from scratch, which the chain alone cannot', async () => {
    const last = rows.at(-1)!;
    const lastHash = last.hash!;
    const anchor = `${last.id}:${lastHash}`;
    const ok = await runCli(['journal', 'verify', '--db', dbUrl(await copy()), '--anchor', anchor]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain(`anchors hold: ${last.id}`);
    expect(ok.stdout).toContain(`anchor for next time (keep it outside the gateway): --anchor ${anchor}`);

    // the newest two entries deleted: the chain alone is still whole
    const cut = await copy();
    await tamper(cut, ['DELETE FROM journal WHERE id > ?', last.id - 2]);
    expect((await verify(cut)).code).toBe(0);
    const t = await runCli(['journal', 'verify', '--db', dbUrl(cut), '--anchor', anchor]);
    expect(t.code).toBe(1);
    expect(t.stdout).toMatch(new RegExp(`truncated +entry ${last.id}, noted with hash ${lastHash.slice(0, 16)}…, is gone: the journal ends at entry ${last.id - 2}`));

    // an entry altered and every hash after it recomputed, as someone with the store and this code could: the chain is whole again
    const rewritten = await copy();
    const changed = rows.map((r) => ({ ...r }));
    changed[4]!.status = 'REJECT';
    for (let i = 4; i < changed.length; i++) {
      changed[i]!.prev_hash = changed[i - 1]!.hash;
      changed[i]!.hash = expectedHash(changed[i]!);
      await tamper(rewritten, ['UPDATE journal SET status = ?, prev_hash = ?, hash = ? WHERE id = ?', changed[i]!.status, changed[i]!.prev_hash, changed[i]!.hash, changed[i]!.id]);
    }
    expect((await verify(rewritten)).code).toBe(0);
    const a = await runCli(['journal', 'verify', '--db', dbUrl(rewritten), '--anchor', anchor]);
    expect(a.code).toBe(1);
    expect(a.stdout).toContain(`entry ${last.id} has hash ${changed.at(-1)!.hash}, the anchor noted ${last.hash}: the journal up to it was rewritten`);

    const bad = await runCli(['journal', 'verify', '--db', dbUrl(await copy()), '--anchor', 'yesterday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/an anchor is ID:HASH/);
  });

  test('a journal written before the chain existed is chained by the migration', async () => {
    const f = await copy();
    await tamper(f, ['DROP INDEX journal_hash'], ['ALTER TABLE journal DROP COLUMN prev_hash'], ['ALTER TABLE journal DROP COLUMN hash'],
      ['ALTER TABLE journal DROP COLUMN purged_at'], ["DELETE FROM migrations WHERE name = 'HashChainRetention1700000000005'"]);
    const v = await verify(f);
    expect(v.code).toBe(0);
    expect((await readJournal(f)).map((r) => r.hash)).toEqual(rows.map((r) => r.hash));
  });

  test('journal purge empties old raw bodies, keeps metadata and hashes, and verify still passes', async () => {
    const f = await copy();
    const db = ['--db', dbUrl(f)];
    const recent = await runCli(['journal', 'purge', '--older-than', '1', ...db]);
    expect(recent.stdout).toContain('purged the raw bodies of 0 entries older than 1 day(s)');
    const all = await runCli(['journal', 'purge', '--older-than', '0', ...db]);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`purged the raw bodies of ${rows.length} entries older than 0 day(s)`);
    const after = await readJournal(f);
    for (const [i, r] of after.entries()) {
      expect(r.raw.length).toBe(0);
      expect(r.purged_at).toBeGreaterThan(Date.now() - 60000);
      expect({ ...r, raw: undefined, purged_at: undefined, search_text: undefined }).toEqual({ ...rows[i], raw: undefined, purged_at: undefined, search_text: undefined });
    }
    const v = await verify(f);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`journal intact: ${rows.length} entries verified (${rows.length} purged of raw bytes)`);
    // the rest is still checked on purged entries
    await tamper(f, ['UPDATE journal SET sender = ? WHERE id = 4', 'EVIL01001']);
    const bad = await verify(f);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('entry 4 altered: its fields do not give its hash');
  });

  test('the gateway purges on its schedule (SMEV2_RETENTION_DAYS), and the chain stays intact', async () => {
    const f = await copy();
    const gw = await startGateway({ db: f, env: { SMEV2_RETENTION_DAYS: '0' } });
    try {
      const end = Date.now() + 15000;
      while (!/journal retention: raw bodies purged/.test(gw.logs()) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
      expect(gw.logs()).toMatch(new RegExp(`"purged":${rows.length},"attachmentsPurged":\\d+,"inboxPurged":\\d+,"retentionDays":0,"msg":"journal retention: raw bodies purged"`));
      // a new exchange after the purge is kept, and chained after the purged ones
      expect((await post(`${gw.url}/gateway/services/SID0003623`, FOUND)).status).toBe(200);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
    const after = await readJournal(f);
    expect(after.slice(0, rows.length).every((r) => r.raw.length === 0 && r.purged_at)).toBe(true);
    expect(after.slice(rows.length).every((r) => r.raw.length > 0 && r.purged_at === null)).toBe(true);
    expect(after[rows.length]!.prev_hash).toBe(rows.at(-1)!.hash);
    const v = await verify(f);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`(${rows.length} purged of raw bytes)`);
  });
});

describe('journal: large bodies kept by hash (SMEV2_JOURNAL_BODY_BLOB_BYTES)', () => {
  let db: string;
  let rows: Row[];
  let body: Buffer;

  beforeAll(async () => {
    db = await freshStore();
    // a low threshold puts the demo's bodies where a 10 MiB document goes by default
    const gw = await startGateway({ db, env: { SMEV2_JOURNAL_BODY_BLOB_BYTES: '1000' } });
    try {
      body = FOUND;
      expect((await post(`${gw.url}/gateway/services/SID0003623`, body)).status).toBe(200);
      const [consumer] = await readJournal(db, "direction = 'consumer->gateway'");
      // the body read back through the admin API is the one the consumer sent, byte for byte
      const res = await fetch(`${gw.url}/admin/journal/${consumer!.id}/raw`, { headers: { authorization: `Basic ${Buffer.from('operator:operator-demo').toString('base64')}` } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(body)).toBe(true);
      const one = await (await fetch(`${gw.url}/admin/journal/${consumer!.id}`, { headers: { authorization: `Basic ${Buffer.from('operator:operator-demo').toString('base64')}` } })).json() as { raw: string };
      expect(one.raw).toBe(body.toString('utf8'));
    } finally {
      expect(await gw.stop()).toBe(0);
    }
    rows = await readJournal(db);
  }, 90000);

  test('each body over the threshold is in attachment_blobs under the entry\'s chained sha256, its row empty, and verify reads it back', async () => {
    const big = rows.filter((r) => r.size >= 1000);
    expect(big.length).toBeGreaterThanOrEqual(3); // the request, the forwarded request, the answer
    for (const r of big) {
      expect(r.raw.length).toBe(0);
      expect(Number((r as unknown as { raw_by_hash: number }).raw_by_hash)).toBe(1);
      const [blob] = await sql<{ size: number | string }>(db, 'SELECT size FROM attachment_blobs WHERE sha256 = ?', [r.sha256]);
      expect(Number(blob!.size)).toBe(r.size);
    }
    const v = await verify(await copyStore(db));
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`journal intact: ${rows.length} entries verified (0 purged of raw bytes)`);
  });

  test('the forwarded request is kept as a recipe of the consumer\'s bytes and the node\'s own, and reads back as it was sent', async () => {
    const consumer = rows.find((x) => x.direction === 'consumer->gateway')!;
    const forward = rows.find((x) => x.direction === 'gateway->provider')!;
    expect(forward.sha256).not.toBe(consumer.sha256);
    const [blob] = await sql<{ chunks: number | string; recipe: string | null }>(db, 'SELECT chunks, recipe FROM attachment_blobs WHERE sha256 = ?', [forward.sha256]);
    expect(Number(blob!.chunks)).toBe(0);
    const recipe = JSON.parse(blob!.recipe!) as ({ of: string; at: number; length: number } | { bytes: string })[];
    // every byte of the consumer's request that went on is a range of its blob; the node's header
    // and signature are the recipe's own bytes
    const viewed = recipe.filter((g): g is { of: string; at: number; length: number } => 'of' in g);
    expect(new Set(viewed.map((g) => g.of))).toEqual(new Set([consumer.sha256]));
    const own = recipe.flatMap((g) => ('bytes' in g ? [Buffer.from(g.bytes, 'base64').toString('utf8')] : [])).join('');
    expect(own).toMatch(/SMEV|smev:Header|Signature/);
    expect(own.length).toBeLessThan(20_000);
    // read back through the admin API: the bytes whose sha256 the chained entry holds
    const gw = await startGateway({ db: await copyStore(db) });
    try {
      const res = await fetch(`${gw.url}/admin/journal/${forward.id}/raw`, { headers: { authorization: `Basic ${Buffer.from('operator:operator-demo').toString('base64')}` } });
      expect(res.status).toBe(200);
      const got = Buffer.from(await res.arrayBuffer());
      expect(got.length).toBe(forward.size);
      expect(createHash('sha256').update(got).digest('hex')).toBe(forward.sha256);
    } finally {
      expect(await gw.stop()).toBe(0);
    }
  });

  test('an edit of the consumer\'s stored bytes shows in both entries made of them; an edited recipe in its own', async () => {
    const consumer = rows.find((x) => x.direction === 'consumer->gateway')!;
    const forward = rows.find((x) => x.direction === 'gateway->provider')!;
    const edited = await copyStore(db);
    const [chunk] = await sql<{ bytes: Uint8Array }>(edited, 'SELECT bytes FROM attachment_chunks WHERE sha256 = ? AND seq = 0', [consumer.sha256]);
    const changed = Buffer.from(chunk!.bytes);
    changed[Math.floor(changed.length / 2)] ^= 4;
    await tamper(edited, ['UPDATE attachment_chunks SET bytes = ? WHERE sha256 = ? AND seq = 0', changed, consumer.sha256]);
    const v = await verify(edited);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`entry ${consumer.id} altered: the stored bytes of its body do not give its sha256`);
    expect(v.stdout).toContain(`entry ${forward.id} altered: the stored bytes of its body do not give its sha256`);

    const recipeEdited = await copyStore(db);
    const [blob] = await sql<{ recipe: string }>(recipeEdited, 'SELECT recipe FROM attachment_blobs WHERE sha256 = ?', [forward.sha256]);
    const recipe = JSON.parse(blob!.recipe) as ({ of: string; at: number; length: number } | { bytes: string })[];
    const ownAt = recipe.findIndex((g) => 'bytes' in g);
    const own = Buffer.from((recipe[ownAt] as { bytes: string }).bytes, 'base64');
    own[0] ^= 1;
    recipe[ownAt] = { bytes: own.toString('base64') };
    await tamper(recipeEdited, ['UPDATE attachment_blobs SET recipe = ? WHERE sha256 = ?', JSON.stringify(recipe), forward.sha256]);
    const r = await verify(recipeEdited);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`entry ${forward.id} altered: the stored bytes of its body do not give its sha256`);
    expect(r.stdout).not.toContain(`entry ${consumer.id} altered`);
  });

  test('an edited chunk and a deleted body are found and named by their entry', async () => {
    const r = rows.find((x) => x.direction === 'consumer->gateway')!;
    const edited = await copyStore(db);
    const [chunk] = await sql<{ bytes: Uint8Array }>(edited, 'SELECT bytes FROM attachment_chunks WHERE sha256 = ? AND seq = 0', [r.sha256]);
    const changed = Buffer.from(chunk!.bytes);
    changed[changed.length - 20] ^= 1;
    await tamper(edited, ['UPDATE attachment_chunks SET bytes = ? WHERE sha256 = ? AND seq = 0', changed, r.sha256]);
    const v = await verify(edited);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(`entry ${r.id} altered: the stored bytes of its body do not give its sha256 ${r.sha256.slice(0, 16)}`);

    const deleted = await copyStore(db);
    await tamper(deleted, ['DELETE FROM attachment_chunks WHERE sha256 = ?', r.sha256], ['DELETE FROM attachment_blobs WHERE sha256 = ?', r.sha256]);
    const d = await verify(deleted);
    expect(d.code).toBe(1);
    expect(d.stdout).toContain(`entry ${r.id}: its body (sha256 ${r.sha256.slice(0, 16)}…, kept by hash) is not in the store: deleted outside the gateway`);
  });

  test('journal purge takes the bodies kept by hash with the rest, and verify counts them purged', async () => {
    const f = await copyStore(db);
    const all = await runCli(['journal', 'purge', '--older-than', '0', '--db', dbUrl(f)]);
    expect(all.code).toBe(0);
    const left = await sql<{ n: number | string }>(f, 'SELECT count(*) AS n FROM attachment_chunks');
    expect(Number(left[0]!.n)).toBe(0);
    const v = await verify(f);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`journal intact: ${rows.length} entries verified (${rows.length} purged of raw bytes)`);
  });
});
