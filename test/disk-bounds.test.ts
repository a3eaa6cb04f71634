// Issue 13, item 6 (resource bounds: disk): a refused message's body is journaled up to a cap,
// with its full length and SHA-256; a flood of large refused requests grows the store by at most
// cap × count; accepted messages are kept whole; the hash chain covers what is kept; the store's
// size is a metric; /readyz warns when the disk under the store is nearly full. On the pass's
// store (SQLite or PostgreSQL), the real gateway over HTTP.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startGateway, post, runCli, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { ROOT } from './support/paths';
import { isPgUrl, sql, STORE_NAME } from './support/store';

const USERS = join(ROOT, 'test', 'data', 'admin-users.yaml');
const OPERATOR = { authorization: `Basic ${Buffer.from('operator:operator-test').toString('base64')}` };
const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ECHO_REQUEST = readFileSync(join(ECHO_BUNDLE, 'request.xml'), 'utf8');

/** ~`bytes` of incompressible text (PostgreSQL would compress a repeated character away) */
const noise = (bytes: number) => randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);

/** A large body that is not SOAP at all (GW fault), fresh random content each time. */
const notSoap = (bytes: number) => Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><junk>${noise(bytes)}</junk>`);

/** A large SOAP request, unsigned, to a SID whose signature policy is enforce (SMEV-100008). */
const unsigned = (bytes: number) => Buffer.from(ECHO_REQUEST.replace(/<\/(\w+:)?Body>/, (m) => `<pad xmlns="urn:pad">${noise(bytes)}</pad>${m}`));

/** The store's size as it persists: SQLite, the file after its WAL is folded in; PostgreSQL, the journal table with its TOAST and indexes. */
async function storeSize(db: string): Promise<number> {
  if (isPgUrl(db)) {
    const [r] = await sql<{ n: string | number }>(db, "SELECT pg_total_relation_size('journal') AS n");
    return Number(r!.n);
  }
  const d = new Database(db);
  try {
    d.pragma('busy_timeout = 5000');
    const [ck] = d.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
    if (ck?.busy) throw new Error('the WAL could not be folded into the file: a reader held it');
  } finally {
    d.close();
  }
  return statSync(db).size;
}

const metric = (text: string, name: string) => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe(`disk bounded: refused bodies journaled up to a cap (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  const sent: Buffer[] = [];
  const N = 6;
  const BODY = 3 * MiB;
  const CAP = MiB; // the default

  beforeAll(async () => {
    const services = makeRegistry([
      { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0913001', { type: 'http', url: 'http://127.0.0.1:9/' }), signature: 'enforce' } },
    ]);
    gw = await startGateway({ services, args: ['--admin-users', USERS] });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test(`${N} refused 3 MiB requests grow the store by at most cap × ${N} plus a little; each row keeps the first MiB, the full length and SHA-256`, async () => {
    // a first refusal, so that the tables and indexes exist before the measure
    expect((await post(`${gw.url}/gateway/services/SID0913001`, notSoap(1000))).status).toBe(500);
    const before = await storeSize(gw.db);
    for (let i = 0; i < N; i++) {
      const body = i % 2 ? unsigned(BODY) : notSoap(BODY);
      sent.push(body);
      const r = await post(`${gw.url}/gateway/services/SID0913001`, body);
      expect(r.status).toBe(500);
      expect(r.text).toMatch(i % 2 ? /SMEV-100008/ : /GW-\d{4}/);
    }
    const after = await storeSize(gw.db);
    const overhead = N * 64 * 1024 + 512 * 1024;
    process.stderr.write(`disk bounds (${STORE_NAME}): ${N} × ${BODY} bytes refused grew the store by ${after - before} bytes (bound ${CAP * N + overhead})\n`);
    expect(after - before).toBeLessThanOrEqual(CAP * N + overhead);
    expect(after - before).toBeGreaterThanOrEqual(CAP * N); // the kept megabyte of each is there

    const rows = await sql<{ id: number; size: number; sha256: string; raw: Buffer; raw_kept: number | null; raw_kept_sha256: string | null }>(gw.db,
      "SELECT id, size, sha256, raw, raw_kept, raw_kept_sha256 FROM journal WHERE direction = 'consumer->gateway' ORDER BY id");
    const flood = rows.slice(-N);
    flood.forEach((r, i) => {
      const body = sent[i]!;
      const raw = Buffer.from(r.raw);
      expect(Number(r.size)).toBe(body.length);
      expect(r.sha256).toBe(sha256(body));
      expect(Number(r.raw_kept)).toBe(CAP);
      expect(raw.equals(body.subarray(0, CAP))).toBe(true);
      expect(r.raw_kept_sha256).toBe(sha256(raw));
    });
    // the small first refusal was under the cap: kept whole
    expect(rows[rows.length - N - 1]!.raw_kept).toBeNull();
  }, 120_000);

  test('the admin API says the body is truncated, with the full length and hash; the download is the kept bytes', async () => {
    const [row] = await sql<{ id: number }>(gw.db, "SELECT id FROM journal WHERE direction = 'consumer->gateway' AND raw_kept IS NOT NULL ORDER BY id DESC LIMIT 1");
    const body = sent[N - 1]!;
    const entry = (await (await fetch(`${gw.url}/admin/journal/${row!.id}`, { headers: OPERATOR })).json()) as { size: number; sha256: string; rawKept: number; truncated: string };
    expect(entry.size).toBe(body.length);
    expect(entry.sha256).toBe(sha256(body));
    expect(entry.rawKept).toBe(CAP);
    expect(entry.truncated).toContain(`only its first ${CAP} of ${body.length} bytes are kept`);
    expect(entry.truncated).toContain(sha256(body));
    const raw = await fetch(`${gw.url}/admin/journal/${row!.id}/raw`, { headers: OPERATOR });
    expect(raw.status).toBe(200);
    expect(raw.headers.get('content-disposition')).toContain(`journal-${row!.id}-first-${CAP}-of-${body.length}-bytes.xml`);
    expect(raw.headers.get('x-smev2-truncated')).toMatch(/^truncated: a refused message/);
    expect(raw.headers.get('x-smev2-full-size')).toBe(String(body.length));
    expect(raw.headers.get('x-smev2-full-sha256')).toBe(sha256(body));
    expect(Buffer.from(await raw.arrayBuffer()).equals(body.subarray(0, CAP))).toBe(true);
  });

  test("the store's size is a metric", async () => {
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const bytes = metric(text, 'smev2_store_bytes');
    expect(bytes).toBeDefined();
    // at least the kept bodies; on SQLite the file with its WAL, on PostgreSQL the whole database
    expect(bytes!).toBeGreaterThanOrEqual(CAP * N);
    if (!isPgUrl(gw.db)) expect(bytes!).toBeGreaterThanOrEqual(statSync(gw.db).size);
  });

  test('journal verify holds after truncated entries; altering kept bytes, or passing them off as the whole body, is found', async () => {
    const ok = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(ok.stderr + ok.stdout).not.toMatch(/altered/);
    expect(ok.code).toBe(0);
    const [row] = await sql<{ id: number; raw: Buffer }>(gw.db, "SELECT id, raw FROM journal WHERE raw_kept IS NOT NULL ORDER BY id DESC LIMIT 1");
    const id = Number(row!.id);
    const flipped = Buffer.from(row!.raw);
    flipped[flipped.length - 1] ^= 1;
    await sql(gw.db, 'UPDATE journal SET raw = ? WHERE id = ?', [flipped, id]);
    const altered = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(altered.code).toBe(1);
    expect(altered.stdout + altered.stderr).toContain(`entry ${id} altered: its raw bytes`);
    // restore the bytes, then claim they are the whole body: the chain says otherwise
    await sql(gw.db, 'UPDATE journal SET raw = ?, raw_kept = NULL, raw_kept_sha256 = NULL WHERE id = ?', [Buffer.from(row!.raw), id]);
    const hidden = await runCli(['journal', 'verify', '--db', gw.dbUrl]);
    expect(hidden.code).toBe(1);
    expect(hidden.stdout + hidden.stderr).toContain(`entry ${id} altered`);
  }, 60_000);
});

describe(`disk bounded: accepted messages whole, refused ones cut at a configured cap (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  const CAP = 512;
  beforeAll(async () => {
    gw = await startGateway({ env: { SMEV2_JOURNAL_REFUSED_BYTES: String(CAP), SMEV2_DISK_WARN_FREE_PERCENT: '0', SMEV2_DISK_WARN_FREE_BYTES: '0' } });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test('an accepted request longer than the cap is journaled whole; a refused one of that length is cut', async () => {
    const good = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'));
    expect(good.length).toBeGreaterThan(CAP);
    const ok = await post(`${gw.url}/gateway/services/SID0003623`, good);
    expect(ok.status).toBe(200);
    const bad = notSoap(good.length);
    expect((await post(`${gw.url}/gateway/services/SID0003623`, bad)).status).toBe(500);
    const rows = await sql<{ raw: Buffer; size: number; raw_kept: number | null; fault_code: string | null }>(gw.db,
      "SELECT raw, size, raw_kept FROM journal WHERE direction = 'consumer->gateway' ORDER BY id");
    expect(rows).toHaveLength(2);
    expect(Buffer.from(rows[0]!.raw).equals(good)).toBe(true);
    expect(rows[0]!.raw_kept).toBeNull();
    expect(Number(rows[1]!.size)).toBe(bad.length);
    expect(Number(rows[1]!.raw_kept)).toBe(CAP);
    expect(Buffer.from(rows[1]!.raw).equals(bad.subarray(0, CAP))).toBe(true);
    expect((await runCli(['journal', 'verify', '--db', gw.dbUrl])).code).toBe(0);
  });

  test('/readyz: no warnings while the disk has room above the levels', async () => {
    const r = await fetch(`${gw.url}/readyz`);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { warnings: string[] }).warnings).toEqual([]);
  });
});

describe(`disk bounded: /readyz warns when the disk under the store is nearly full (${STORE_NAME})`, () => {
  let gw: GatewayProcess;
  beforeAll(async () => {
    // every disk has less than 100 % free: the level is breached, as a nearly full disk would breach 5 %
    gw = await startGateway({ env: { SMEV2_DISK_WARN_FREE_PERCENT: '100' } });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  test('200, ready, with a warning naming the folder, the free space and what to do', async () => {
    const r = await fetch(`${gw.url}/readyz`);
    expect(r.status).toBe(200);
    const body = (await r.json()) as { status: string; warnings: string[] };
    expect(body.status).toBe('ready');
    expect(body.warnings.length).toBeGreaterThan(0);
    const all = body.warnings.join('\n');
    expect(all).toContain('disk nearly full: the data folder');
    expect(all).toContain(gw.keys);
    if (!isPgUrl(gw.db)) expect(all).toContain(`the SQLite store (${join(gw.db, '..')})`);
    expect(all).toMatch(/GiB free of [\d.]+ GiB/);
    expect(all).toContain('SMEV2_DISK_WARN_FREE_PERCENT=100');
    expect(all).toContain('journal purge');
  });
});
