// `npm run bench:search`: the admin API's journal search on a journal of a million entries
// (issue #7: p95 under 200 ms). A journal of N synthetic legs is written straight into a fresh
// SQLite store made by the gateway's own migrations (or a PostgreSQL database with --pg URL);
// then the real gateway is started on it and typical searches go through GET /admin/journal over
// HTTP, each filter alone and in combination, words of AppData, time ranges and deep pages.
// Reported: p50 / p95 / max per kind of search and overall; appended to bench/RESULTS.md.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { execSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { Client } from 'pg';
import { openStore } from '../src/store';
import { ROOT, oneProcess } from './support/fixtures';

const { values: opt } = parseArgs({
  options: {
    entries: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '20' },
    pg: { type: 'string' },
    'no-append': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write('npm run bench:search -- [--entries 1000000] [--runs 20] [--pg postgres://…/empty_db] [--no-append] [--keep]\n');
  process.exit(0);
}
const N = Number(opt.entries);
const RUNS = Number(opt.runs);
const DAY = 86400_000;
const SPAN_DAYS = 90;
const t0 = Date.now() - SPAN_DAYS * DAY;

// a journal that looks like a busy node's: 40 SIDs (a few carry most of the traffic), 60
// departments, four legs per exchange, 3 % faults, AppData words from a vocabulary of surnames,
// names and document numbers (every exchange has a unique case number word)
const SIDS = Array.from({ length: 40 }, (_, i) => `SID${String(3400 + i * 7).padStart(7, '0')}`);
const DEPTS = Array.from({ length: 60 }, (_, i) => `DEPT${String(i).padStart(2, '0')}01001`);
const OPS = ['Process', 'getExtract', 'sendRequest', 'getResponse', 'CreateRequest', 'GetStatus'];
const SURNAMES = ['иванов', 'петров', 'сидоров', 'смирнов', 'кузнецов', 'попов', 'васильев', 'соколов', 'михайлов', 'новиков', 'федоров', 'морозов', 'волков', 'алексеев', 'лебедев', 'семенов', 'егоров', 'павлов', 'козлов', 'степанов'];
const NAMES = ['александр', 'мария', 'николай', 'елена', 'сергей', 'ольга', 'дмитрий', 'анна', 'андрей', 'татьяна'];
const FAULTS = ['SMEV-100003', 'SMEV-100005', 'GW-1001', 'GW-2001', 'GW-4001', 'GW-5002'];
const DIRS = ['consumer->gateway', 'gateway->provider', 'provider->gateway', 'gateway->consumer'];
let seed = 42;
const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
const pick = <T>(a: T[], skew = 1) => a[Math.floor(Math.pow(rnd(), skew) * a.length)]!;

interface Leg { exchange: string; at: Date; sid: string; op: string; dir: string; sender: string; recipient: string; status: string | null; mid: string; fault: string | null; dur: number | null; text: string | null; chain: string | null }

function* legs(): Generator<Leg> {
  const exchanges = Math.ceil(N / 4);
  for (let e = 0; e < exchanges; e++) {
    const at = new Date(t0 + (e / exchanges) * SPAN_DAYS * DAY);
    const sid = pick(SIDS, 2.5);
    const sender = pick(DEPTS, 2);
    const provider = `PROV${SIDS.indexOf(sid).toString().padStart(2, '0')}01001`;
    const fault = rnd() < 0.03 ? pick(FAULTS) : null;
    const op = pick(OPS);
    const exchange = randomUUID();
    const async = rnd() < 0.3;
    const status = async ? pick(['REQUEST', 'PING']) : 'REQUEST';
    const answer = fault ? 'FAULT' : async ? pick(['ACCEPT', 'PROCESS', 'RESULT']) : pick(['RESULT', 'RESULT', 'RESULT', 'REJECT']);
    const text = `${pick(SURNAMES)} ${pick(NAMES)} ${pick(SURNAMES)}а дело-${e} ${1000000 + Math.floor(rnd() * 9000000)}`;
    const dur = 5 + Math.pow(rnd(), 3) * 400;
    const chain = async ? `chain-${e % 50000}` : null;
    const base = { exchange, sid, op, chain };
    yield { ...base, at, dir: DIRS[0]!, sender, recipient: provider, status, mid: randomUUID(), fault: null, dur: null, text };
    if (fault) { yield { ...base, at: new Date(at.getTime() + 3), dir: DIRS[3]!, sender: provider, recipient: sender, status: 'FAULT', mid: randomUUID(), fault, dur, text: null }; continue; }
    yield { ...base, at: new Date(at.getTime() + 1), dir: DIRS[1]!, sender, recipient: provider, status, mid: randomUUID(), fault: null, dur: null, text };
    yield { ...base, at: new Date(at.getTime() + 2), dir: DIRS[2]!, sender: provider, recipient: sender, status: answer, mid: randomUUID(), fault: null, dur: dur - 1, text: `ответ ${text}` };
    yield { ...base, at: new Date(at.getTime() + 3), dir: DIRS[3]!, sender: provider, recipient: sender, status: answer, mid: randomUUID(), fault: null, dur, text: `ответ ${text}` };
  }
}

const COLS = 'exchange_id, at, sid, operation, direction, revision, sender, recipient, originator, status, message_id, request_id_ref, origin_request_id_ref, case_number, http_status, fault_code, duration_ms, size, sha256, signature, control, chain_id, prev_hash, hash, raw, search_text';
const RAW = Buffer.from('<soapenv:Envelope>… (synthetic: the search never reads raw) …</soapenv:Envelope>');
const HEX = createHash('sha256').update('x').digest('hex');
const values = (l: Leg, i: number) => [l.exchange, l.at, l.sid, l.op, l.dir, 'rev120315', l.sender, l.recipient, l.sender, l.status, l.mid, null, l.chain, null,
  l.fault ? 500 : 200, l.fault, l.dur, RAW.length, HEX, 'smev:ok', 'ok', l.chain, HEX, createHash('sha256').update(String(i)).digest('hex'), RAW, l.text];

const progress = (done: number, started: number) => {
  const s = (Date.now() - started) / 1000;
  process.stderr.write(`\r  writing the journal: ${done.toLocaleString('en')} of ${N.toLocaleString('en')} entries, ${Math.round(done / s).toLocaleString('en')}/s   `);
};

async function fillSqlite(file: string): Promise<void> {
  const ds = await openStore(`sqlite:${file}`);
  await ds.destroy();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const ins = db.prepare(`INSERT INTO journal (${COLS}) VALUES (${COLS.split(',').map(() => '?').join(',')})`);
  const started = Date.now();
  let i = 0;
  let batch: Leg[] = [];
  const flush = db.transaction((b: Leg[]) => { for (const l of b) ins.run(...values(l, i++).map((v) => (v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : v))); });
  for (const l of legs()) {
    if (i + batch.length >= N) break;
    batch.push(l);
    if (batch.length === 10_000) { flush(batch); batch = []; progress(i, started); }
  }
  flush(batch);
  progress(i, started);
  process.stderr.write('\n  ANALYZE …\n');
  db.exec('ANALYZE');
  db.close();
}

async function fillPg(url: string): Promise<void> {
  const ds = await openStore(url);
  await ds.destroy();
  const c = new Client({ connectionString: url });
  await c.connect();
  const started = Date.now();
  let i = 0;
  let batch: Leg[] = [];
  const cols = COLS.split(',').length;
  const flush = async (b: Leg[]) => {
    const params: unknown[] = [];
    const rows = b.map((l) => { const v = values(l, i++); params.push(...v); return `(${v.map((_, k) => `$${params.length - cols + k + 1}`).join(',')})`; });
    await c.query(`INSERT INTO journal (${COLS}) VALUES ${rows.join(',')}`, params);
  };
  for (const l of legs()) {
    if (i + batch.length >= N) break;
    batch.push(l);
    if (batch.length === 1000) { await flush(batch); batch = []; if (i % 20000 === 0) progress(i, started); }
  }
  if (batch.length) await flush(batch);
  progress(i, started);
  process.stderr.write('\n  ANALYZE …\n');
  await c.query('ANALYZE journal');
  await c.end();
}

function startGateway(db: string, keys: string): Promise<{ url: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/smev2-gateway.js', 'start', '--port', '0', '--host', '127.0.0.1', '--db', db, '--keys', keys,
      '--admin-users', join(ROOT, 'test', 'data', 'admin-users.yaml'), ...oneProcess()], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', SMEV2_RETENTION_DAYS: '100000' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (c: Buffer) => {
      out += c;
      const m = /"port":(\d+)/.exec(out);
      if (m) resolve({ url: `http://127.0.0.1:${m[1]}`, stop: () => child.kill('SIGTERM') });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`gateway exited with ${code}: ${out}`)));
    setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 120_000).unref();
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'smev2-bench-search-'));
  const db = opt.pg ?? `sqlite:${join(dir, 'journal.sqlite')}`;
  process.stderr.write(`journal search benchmark: ${N.toLocaleString('en')} entries on ${opt.pg ? 'PostgreSQL' : 'SQLite'}, ${RUNS} runs of each search\n`);
  const fillStarted = Date.now();
  if (opt.pg) await fillPg(opt.pg); else await fillSqlite(join(dir, 'journal.sqlite'));
  const fillS = (Date.now() - fillStarted) / 1000;
  const gw = await startGateway(db, join(dir, 'keys'));
  const auth = { authorization: `Basic ${Buffer.from('auditor:auditor-test').toString('base64')}` };
  const get = async (q: string) => {
    const t = performance.now();
    const res = await fetch(`${gw.url}/admin/journal?${q}`, { headers: auth });
    const body = (await res.json()) as { entries?: { id: number }[]; next?: number; error?: string };
    if (res.status !== 200) throw new Error(`${q}: ${res.status} ${body.error}`);
    return { ms: performance.now() - t, body };
  };
  await get('limit=50'); // warm the connection and the first page
  const day = (d: number) => new Date(t0 + d * DAY).toISOString();
  const kinds: [string, (r: number) => string][] = [
    ['newest page, no filter', () => 'direction='],
    ['SID (busy)', () => `sid=${SIDS[0]}`],
    ['SID (rare)', (r) => `sid=${SIDS[35 + (r % 5)]}`],
    ['sender', (r) => `sender=${DEPTS[r % 60]}`],
    ['recipient', (r) => `recipient=PROV${String(r % 40).padStart(2, '0')}01001`],
    ['status', (r) => `status=${['REJECT', 'PROCESS', 'FAULT'][r % 3]}`],
    ['fault code', (r) => `fault=${FAULTS[r % FAULTS.length]}`],
    ['operation + SID', (r) => `sid=${SIDS[r % 10]}&operation=${OPS[r % OPS.length]}`],
    ['SID + status + direction', (r) => `sid=${SIDS[r % 10]}&status=REJECT&direction=gateway->consumer`],
    ['sender + fault', (r) => `sender=${DEPTS[r % 20]}&fault=${FAULTS[r % FAULTS.length]}`],
    ['time range (one day, 60 days ago)', (r) => `from=${day(30 + (r % 10))}&to=${day(31 + (r % 10))}`],
    ['SID + time range (a week)', (r) => `sid=${SIDS[r % 40]}&from=${day(10 + r)}&to=${day(17 + r)}`],
    ['MessageId', () => 'messageId=00000000-0000-4000-8000-000000000000'],
    ['chain', (r) => `chain=chain-${r * 977}`],
    ['text: a surname', (r) => `text=${encodeURIComponent(SURNAMES[r % 20]!)}`],
    ['text: a case number (one exchange)', (r) => `text=${encodeURIComponent(`дело-${(r * 7919) % Math.ceil(N / 4)}`)}`],
    ['text: surname + name', (r) => `text=${encodeURIComponent(`${SURNAMES[r % 20]} ${NAMES[r % 10]}`)}`],
    ['text + SID', (r) => `text=${encodeURIComponent(SURNAMES[r % 20]!)}&sid=${SIDS[r % 5]}`],
    ['text + time range', (r) => `text=${encodeURIComponent(SURNAMES[r % 20]!)}&from=${day(40 + r)}&to=${day(41 + r)}`],
    ['page 20 of a SID (keyset)', () => 'sid=' + SIDS[1]],
  ];
  const rows: { kind: string; p50: number; p95: number; max: number }[] = [];
  const all: number[] = [];
  for (const [kind, q] of kinds) {
    const ms: number[] = [];
    for (let r = 0; r < RUNS; r++) {
      if (kind.startsWith('page 20')) {
        // 19 pages are walked first; the 20th is timed
        let before: number | undefined;
        for (let p = 0; p < 19; p++) before = (await get(`${q(r)}&limit=50${before ? `&before=${before}` : ''}`)).body.next;
        ms.push((await get(`${q(r)}&limit=50&before=${before}`)).ms);
      } else ms.push((await get(`${q(r)}&limit=50`)).ms);
    }
    ms.sort((a, b) => a - b);
    const at = (p: number) => ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)]!;
    rows.push({ kind, p50: at(0.5), p95: at(0.95), max: ms[ms.length - 1]! });
    all.push(...ms);
    process.stderr.write(`  ${kind.padEnd(38)} p50 ${at(0.5).toFixed(1).padStart(7)} ms   p95 ${at(0.95).toFixed(1).padStart(7)} ms\n`);
  }
  gw.stop();
  all.sort((a, b) => a - b);
  const p95 = all[Math.ceil(0.95 * all.length) - 1]!;
  const commit = (() => { try { return execSync('git rev-parse --short HEAD', { cwd: ROOT }).toString().trim(); } catch { return 'unknown'; } })();
  const report = [
    `## Journal search, ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `Commit ${commit}; ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}. ` +
    `${N.toLocaleString('en')} synthetic entries on ${opt.pg ? 'PostgreSQL' : 'SQLite'} (written in ${fillS.toFixed(0)} s), ${RUNS} runs of each search through GET /admin/journal (HTTP on loopback, 50 entries a page, as an auditor). ` +
    `Target (issue #7): p95 under 200 ms. **All searches: p95 ${p95.toFixed(1)} ms** (${p95 < 200 ? 'met' : 'MISSED'}).`,
    '',
    '| search | p50 ms | p95 ms | max ms |',
    '|---|---:|---:|---:|',
    ...rows.map((r) => `| ${r.kind} | ${r.p50.toFixed(1)} | ${r.p95.toFixed(1)} | ${r.max.toFixed(1)} |`),
    '',
  ].join('\n');
  process.stdout.write(`\n${report}\n`);
  if (!opt['no-append']) appendFileSync(join(ROOT, 'bench', 'RESULTS.md'), `\n${report}\n`);
  if (!opt.keep) rmSync(dir, { recursive: true, force: true });
  else process.stderr.write(`kept ${dir}\n`);
}

main().catch((e) => {
  process.stderr.write(`\nbench:search failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
