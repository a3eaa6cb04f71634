// `npm run bench:mtom`: issue 16, item 7 (the MTOM half): a 1 GiB MTOM attachment passes through
// the real gateway with its RSS growing by less than 64 MiB. A fresh gateway (`bin/smev2-gateway.js
// start` with npm start's MALLOC_MMAP_THRESHOLD_=32768, a fresh store, its spool in the work
// folder) serves the echo SID with an http adapter to a loopback provider in this process, under
// `signature: enforce` (RSA keys made for the run) and `attachments: { policy: enforce }`. The
// client sends one signed request whose AppDocument references a 1 GiB ZIP part (one stored entry
// of AES-CTR bytes, written once into the work folder; its DigestValue computed with the gateway's
// own partDigestValue), streamed from the file as multipart/related; the provider hashes the part as
// it comes (nothing of it held) and answers a small signed MTOM RESULT with a ZIP part of its own.
// The gateway's RSS is read from /proc/PID/status every 50 ms (VmRSS, and VmHWM reset before the
// send), per phase of the exchange; then for --settle seconds after. Printed, and appended to
// bench/RESULTS.md.
import http from 'node:http';
import { spawnSync } from 'node:child_process';
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync, statSync, writeSync, writeFileSync, cpSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { once } from 'node:events';
import { crc32 } from 'node:zlib';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { ROOT, oneProcess, ECHO_BUNDLE, SID, PROVIDER, makeKeySet, makeSystems, requestXml, answerXml, type KeySet } from './support/fixtures';
import { launchGateway, killAll, publish, cleanUp, runBench } from './support/launch';
import { cpuModel, memory, resetPeak, SAMPLE_MS, wholeOption } from './support/proc';
import { signEnvelope } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';
import { partDigestValue, bytesDigestValue } from '../src/attachments/digest';
import { inspectZip } from '../src/attachments/inspect';
import { buildZip } from '../src/attachments/zip';
import { DEFAULT_ATTACHMENTS } from '../src/config';
import { parseContentType, readMultipart, writeMultipart, Spool, DEFAULT_MULTIPART_LIMITS, type MimePart } from '../src/http/multipart';

const HELP = `npm run bench:mtom -- [options]

  --mib N              size of the MTOM part (the ZIP) in MiB (default 1024)
  --read-timeout-ms N  the http adapter's readTimeoutMs in service.yaml (default: not set, the gateway's 30000)
  --env K=V,...        more environment for the gateway (e.g. SMEV2_REQUEST_TIMEOUT_MS=60000)
  --db URL             the gateway's store (default: a fresh SQLite file in the work folder); for
                       PostgreSQL give an empty database
  --settle S           seconds RSS is followed after the answer (default 10)
  --no-append          print the report only; do not append it to bench/RESULTS.md
  --keep               keep the work folder (store, spool, the ZIP, the gateway's log)
`;

const { values: opt } = parseArgs({
  options: {
    mib: { type: 'string', default: '1024' },
    'read-timeout-ms': { type: 'string' },
    env: { type: 'string', default: '' },
    db: { type: 'string' },
    settle: { type: 'string', default: '10' },
    'no-append': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const whole = wholeOption(HELP, 1);
const MiB = 1024 * 1024;
const PART_BYTES = whole('mib', opt.mib) * MiB;
const READ_TIMEOUT_MS = opt['read-timeout-ms'] === undefined ? undefined : whole('read-timeout-ms', opt['read-timeout-ms']);
const SETTLE_MS = whole('settle', opt.settle) * 1000;
const EXTRA_ENV = Object.fromEntries(opt.env.split(',').filter(Boolean).map((kv) => {
  const at = kv.indexOf('=');
  if (at <= 0) {
    process.stderr.write(`--env takes K=V pairs separated by commas, got "${kv}"\n`);
    process.exit(2);
  }
  return [kv.slice(0, at), kv.slice(at + 1)];
}));
const GROWTH_TARGET = 64 * MiB; // issue 16, item 7
const ENTRY = 'document.bin';

const mib = (b: number) => (b / MiB).toFixed(1);
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
const LOAD_AT_START = loadAverage();
const log = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// The ZIP: one stored entry, written once; CRC-32, SHA-256 and the AppDocument's DigestValue of it

interface Zip { path: string; size: number; sha256: string; digestValue: string; writeS: number; digestS: number; inspectS: number; inspect: string }

/** A ZIP of exactly `size` bytes: one stored (uncompressed) entry of AES-CTR keystream, so nothing in it compresses or repeats. */
async function makeZip(path: string, size: number): Promise<Omit<Zip, 'digestValue' | 'digestS' | 'inspectS' | 'inspect'>> {
  const name = Buffer.from(ENTRY);
  const dataSize = size - (30 + name.length) - (46 + name.length) - 22;
  if (dataSize < 0) throw new Error(`--mib ${size / MiB} is too small for a ZIP`);
  const t0 = performance.now();
  const local = Buffer.alloc(30 + name.length);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4); // version needed
  local.writeUInt16LE(0, 8); // stored
  local.writeUInt16LE(0x5a21, 12); // a DOS date (2025-01-01)
  local.writeUInt32LE(dataSize, 18);
  local.writeUInt32LE(dataSize, 22);
  local.writeUInt16LE(name.length, 26);
  name.copy(local, 30);
  const out = createWriteStream(path);
  let failed: Error | undefined;
  out.on('error', (e) => { failed = e; });
  const write = async (b: Buffer) => {
    if (failed) throw failed;
    if (!out.write(b)) await once(out, 'drain');
  };
  await write(local);
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const zeros = Buffer.alloc(MiB);
  let crc = 0;
  for (let left = dataSize; left > 0;) {
    const b = cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
    crc = crc32(b, crc);
    left -= b.length;
    await write(b);
  }
  const central = Buffer.alloc(46 + name.length);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0x5a21, 14);
  central.writeUInt32LE(crc >>> 0, 16);
  central.writeUInt32LE(dataSize, 20);
  central.writeUInt32LE(dataSize, 24);
  central.writeUInt16LE(name.length, 28);
  central.writeUInt32LE(0, 42); // the local header's offset
  name.copy(central, 46);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(1, 8);
  eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length, 12);
  eocd.writeUInt32LE(local.length + dataSize, 16);
  // the local header's CRC is known only now: written in place below
  local.writeUInt32LE(crc >>> 0, 14);
  await write(central);
  await write(eocd);
  await new Promise<void>((ok, fail) => out.end(() => ok()).once('error', fail));
  const fd = openSync(path, 'r+');
  writeSync(fd, local, 0, local.length, 0);
  closeSync(fd);
  // the SHA-256 of the file as it is on disk
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: MiB })) h.update(c as Buffer);
  if (statSync(path).size !== size) throw new Error(`the ZIP is ${statSync(path).size} bytes, not ${size}`);
  return { path, size, sha256: h.digest('hex'), writeS: (performance.now() - t0) / 1000 };
}

// ---------------------------------------------------------------------------------------------
// The provider: reads the MTOM request as it streams, hashing each part, and answers small MTOM

interface Received { parts: { contentId?: string; size: number; sha256: string }[]; firstByteAt: number; doneAt: number; bytes: number }

/** A multipart/related body read as it comes: each part's size and SHA-256, nothing of a part held but the root (the envelope). */
class StreamingParts {
  private buf: Buffer = Buffer.from("\r\n"); // the first delimiter opens the body: a line of its own
  private readonly delim: Buffer;
  private state: 'preamble' | 'after' | 'headers' | 'body' | 'end' = 'preamble';
  private headers = '';
  private current?: { contentId?: string; size: number; hash: ReturnType<typeof createHash> };
  readonly parts: Received['parts'] = [];

  constructor(boundary: string) {
    this.delim = Buffer.from(`\r\n--${boundary}`);
  }

  push(chunk: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    for (;;) {
      if (this.state === 'end') return;
      if (this.state === 'preamble' || this.state === 'body') {
        const at = this.buf.indexOf(this.delim);
        if (at < 0) {
          const keep = Math.min(this.buf.length, this.delim.length - 1);
          this.content(this.buf.subarray(0, this.buf.length - keep));
          this.buf = Buffer.from(this.buf.subarray(this.buf.length - keep));
          return;
        }
        this.content(this.buf.subarray(0, at));
        if (this.current) this.parts.push({ contentId: this.current.contentId, size: this.current.size, sha256: this.current.hash.digest('hex') });
        this.current = undefined;
        this.buf = this.buf.subarray(at + this.delim.length);
        this.state = 'after';
        continue;
      }
      if (this.state === 'after') {
        if (this.buf.length < 2) return;
        if (this.buf[0] === 0x2d && this.buf[1] === 0x2d) {
          this.state = 'end';
          return;
        }
        this.buf = this.buf.subarray(2); // CRLF
        this.state = 'headers';
        this.headers = '';
        continue;
      }
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.headers = this.buf.subarray(0, end).toString('latin1');
      const cid = /^content-id:\s*<?([^>\r\n]*)>?/im.exec(this.headers)?.[1];
      this.current = { contentId: cid, size: 0, hash: createHash('sha256') };
      this.buf = this.buf.subarray(end + 4);
      this.state = 'body';
    }
  }

  private content(b: Buffer): void {
    if (!this.current || !b.length) return;
    this.current.size += b.length;
    this.current.hash.update(b);
  }

  get complete(): boolean {
    return this.state === 'end';
  }
}

interface Provider { url: string; received: Received[]; requests: () => number; bytesNow: () => number; reset: () => void; stop: () => Promise<void> }

async function startProvider(answer: { contentType: string; body: Buffer }): Promise<Provider> {
  const received: Received[] = [];
  let bytesNow = 0;
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    const firstByteAt = performance.now();
    const boundary = parseContentType(req.headers['content-type']).params.boundary;
    const parser = boundary ? new StreamingParts(boundary) : undefined;
    let bytes = 0;
    bytesNow = 0;
    req.on('data', (c: Buffer) => {
      bytes += c.length;
      bytesNow = bytes;
      parser?.push(c);
    });
    req.on('end', () => {
      received.push({ parts: parser?.complete ? parser.parts : [], firstByteAt, doneAt: performance.now(), bytes });
      res.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.body.length }).end(answer.body);
    });
  });
  server.requestTimeout = 0; // the provider waits as long as the gateway sends
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/provider`, received, bytesNow: () => bytesNow, requests: () => requests,
    reset: () => { received.length = 0; bytesNow = 0; requests = 0; },
    stop: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

// ---------------------------------------------------------------------------------------------
// The gateway, the real process

interface Gateway { pid: number; port: number; output: () => string; alive: () => boolean; stop: () => Promise<void> }

function startGateway(dir: string, services: string, systems: string, keys: string, db: string, env: Record<string, string>): Promise<Gateway> {
  const args = ['bin/smev2-gateway.js', 'start', '--port', '0', '--host', '127.0.0.1', '--db', db, '--keys', keys, '--services', services, '--systems', systems, ...oneProcess()];
  return launchGateway({ cwd: ROOT, args, env: { MALLOC_MMAP_THRESHOLD_: '32768', ...env }, logFile: join(dir, 'gateway.log'), stopMs: 30_000 }).then((g) => ({ ...g, output: g.logs }));
}

function makeRegistry(dir: string, providerUrl: string): string {
  const sidDir = join(dir, SID);
  cpSync(ECHO_BUNDLE, sidDir, { recursive: true });
  const adapter: Record<string, unknown> = { type: 'http', url: providerUrl };
  if (READ_TIMEOUT_MS !== undefined) adapter.readTimeoutMs = READ_TIMEOUT_MS;
  writeFileSync(join(sidDir, 'service.yaml'), stringify({
    sid: SID, service: { mnemonic: 'ECHO', version: '1.00' }, provider: { mnemonic: PROVIDER, name: 'Эхо' }, wsdl: 'Echo.wsdl',
    signature: 'enforce', control: 'off', attachments: { policy: 'enforce' }, adapter,
  }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// The messages

const XOP = 'http://www.w3.org/2004/08/xop/include';
const appDocument = (cid: string, digestValue: string) => `<smev:AppDocument><smev:RequestCode>req_${randomUUID()}</smev:RequestCode>` +
  `<smev:Reference><xop:Include xmlns:xop="${XOP}" href="cid:${encodeURIComponent(cid)}"/></smev:Reference><smev:DigestValue>${digestValue}</smev:DigestValue></smev:AppDocument>`;

function signedRequest(keys: KeySet, cid: string, digestValue: string): Buffer {
  const xml = requestXml({ bodyId: `body-${randomUUID()}`, fill: 0, date: new Date().toISOString() }).replace('</smev:AppData>', `</smev:AppData>${appDocument(cid, digestValue)}`);
  return signEnvelope(Buffer.from(xml), ACTOR.smev, keys.consumer, { header: false });
}

async function providerAnswer(keys: KeySet): Promise<{ contentType: string; body: Buffer; zipSha256: string }> {
  const zip = await buildZip([{ name: 'result.xml', bytes: Buffer.from(`<result>${randomBytes(2048).toString('hex')}</result>`) }]);
  const cid = `result-${randomUUID()}@provider`;
  const xml = answerXml(0, new Date().toISOString()).replace('</smev:AppData>', `</smev:AppData>${appDocument(cid, await bytesDigestValue(zip))}`);
  const root = signEnvelope(Buffer.from(xml), ACTOR.smev, keys.provider, { header: false });
  const part: MimePart = { contentId: cid, contentType: 'application/zip', headers: {}, size: zip.length, sha256: createHash('sha256').update(zip).digest('hex'), bytes: zip };
  const w = writeMultipart({ bytes: root }, [part]);
  const chunks: Buffer[] = [];
  for await (const c of w.stream()) chunks.push(c as Buffer);
  return { contentType: w.contentType, body: Buffer.concat(chunks), zipSha256: part.sha256 };
}

// ---------------------------------------------------------------------------------------------
// One exchange, with the gateway's memory followed

type Phase = 'upload' | 'gateway, before the provider' | 'to the provider' | 'after the provider' | 'settle';

class Sampler {
  peak = 0;
  peakPhase: Phase = 'upload';
  readonly byPhase = new Map<Phase, number>();
  last = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pid: number, private phase: () => Phase) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
  }
  sample(): void {
    const m = memory(this.pid);
    if (!m) return;
    this.last = m.rss;
    const v = Math.max(m.rss, m.hwm);
    const p = this.phase();
    // by phase: the samples of VmRSS alone (VmHWM keeps the peak of the phases before)
    if (m.rss > (this.byPhase.get(p) ?? 0)) this.byPhase.set(p, m.rss);
    if (v > this.peak) {
      this.peak = v;
      this.peakPhase = p;
    }
  }
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

interface Outcome {
  status: number;
  answerOk: string;
  t: { uploaded: number; providerFirst?: number; providerDone?: number; answered: number };
  sent: number;
}

/** POST the MTOM request, streamed from the ZIP's file; what came back and when. */
function send(port: number, w: ReturnType<typeof writeMultipart>, spoolDir: string, answerZipSha: string, t0: number, onProgress: (sent: number) => void): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let uploaded = 0;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/gateway/services/${SID}`, agent: false,
      headers: { 'content-type': w.contentType, 'content-length': w.length, soapaction: '""' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const answered = performance.now() - t0;
        const body = Buffer.concat(chunks);
        void judgeAnswer(String(res.headers['content-type']), body, spoolDir, answerZipSha).then((answerOk) => {
          resolve({ status: res.statusCode ?? 0, answerOk, t: { uploaded, answered }, sent });
        }, reject);
      });
    });
    req.on('error', reject);
    req.on('finish', () => { uploaded = performance.now() - t0; });
    const s = w.stream();
    s.on('data', (c: Buffer) => { sent += c.length; onProgress(sent); });
    s.on('error', reject);
    s.pipe(req);
  });
}

/** "ok", or what was wrong with the gateway's answer: a RESULT with the provider's ZIP part, byte for byte. */
async function judgeAnswer(contentType: string, body: Buffer, spoolDir: string, zipSha: string): Promise<string> {
  if (!/^multipart\/related/i.test(contentType)) {
    const text = body.toString('utf8');
    return `not MTOM (${contentType}): ${/<faultstring>([\s\S]*?)<\/faultstring>/.exec(text)?.[1] ?? text.slice(0, 300)}`;
  }
  const spool = new Spool(spoolDir);
  try {
    const m = await readMultipart((async function* () { yield body; })(), contentType, DEFAULT_MULTIPART_LIMITS, spool);
    const root = m.root.bytes.toString('utf8');
    if (!root.includes('<smev:Status>RESULT</smev:Status>')) return `the root part is no RESULT: ${root.slice(0, 300)}`;
    if (m.parts.length !== 1 || m.parts[0]!.sha256 !== zipSha) return `the answer's parts are not the provider's ZIP: ${JSON.stringify(m.parts.map((p) => [p.contentId, p.size, p.sha256]))}`;
    return 'ok';
  } finally {
    await spool.release();
  }
}

const spoolFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.part')) : []);

interface Run {
  zip: Zip;
  before: number;
  peak: number;
  peakPhase: Phase;
  byPhase: Map<Phase, number>;
  after: number;
  settled: number;
  outcome?: Outcome;
  error?: string;
  received?: Received;
  spoolMax: number;
  spoolAfter: number;
  stored?: { size: number; chunks: number };
  journal?: string;
  storeNote: string;
  gatewayLog: string;
}

async function measure(work: string, zip: Zip, keys: KeySet): Promise<Run> {
  const answer = await providerAnswer(keys);
  const provider = await startProvider(answer);
  const spoolDir = join(work, 'spool');
  const sqlite = join(work, 'journal.sqlite');
  const db = opt.db ?? `sqlite:${sqlite}`;
  const services = makeRegistry(join(work, 'services'), provider.url);
  const gwDir = join(work, 'gateway');
  mkdirSync(gwDir, { recursive: true });
  const gw = await startGateway(gwDir, services, makeSystems(join(work, 'systems')), keys.dir, db, { SMEV2_SPOOL_DIR: spoolDir, ...EXTRA_ENV });
  try {
    // warm-up: two small MTOM exchanges, so that what loads once (libxml2-wasm, the ZIP reader, the keys) is in the baseline
    for (let i = 0; i < 2; i++) {
      const small = await buildZip([{ name: 'warm.xml', bytes: Buffer.from(`<w>${randomBytes(600 * 1024).toString('hex')}</w>`) }]);
      const cid = `warm-${randomUUID()}@bench`;
      const w = writeMultipart({ bytes: signedRequest(keys, cid, await bytesDigestValue(small)) }, [{ contentId: cid, contentType: 'application/zip', headers: {}, size: small.length, sha256: '', bytes: small }]);
      const o = await send(gw.port, w, spoolDir, answer.zipSha256, performance.now(), () => undefined);
      if (o.answerOk !== 'ok') throw new Error(`the warm-up exchange failed (HTTP ${o.status}): ${o.answerOk}\n${gw.output().slice(-3000)}`);
    }
    provider.reset();
    await sleep(2000);
    const before = memory(gw.pid)?.rss ?? 0;
    log(`gateway pid ${gw.pid}: RSS ${mib(before)} MiB after the warm-up; sending the ${mib(zip.size)} MiB part`);

    const cid = `zip-${randomUUID()}@bench`;
    const part: MimePart = { contentId: cid, contentType: 'application/zip', headers: {}, size: zip.size, sha256: zip.sha256, path: zip.path };
    const w = writeMultipart({ bytes: signedRequest(keys, cid, zip.digestValue) }, [part]);
    let phase: Phase = 'upload';
    let sent = 0;
    let spoolMax = 0;
    resetPeak(gw.pid);
    const t0 = performance.now();
    const phaseNow = (): Phase => {
      if (phase === 'upload' && sent >= w.length) phase = 'gateway, before the provider';
      if (phase === 'gateway, before the provider' && provider.requests() > 0) phase = 'to the provider';
      if (phase === 'to the provider' && provider.received.length) phase = 'after the provider';
      return phase;
    };
    const sampler = new Sampler(gw.pid, phaseNow);
    const progress = setInterval(() => {
      const at = provider.bytesNow();
      phaseNow();
      const spool = spoolFiles(spoolDir).reduce((n, f) => n + statSize(join(spoolDir, f)), 0);
      spoolMax = Math.max(spoolMax, spool);
      log(`  [${((performance.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${phase.padEnd(28)} sent ${mib(sent).padStart(7)} MiB, spool ${mib(spool).padStart(7)} MiB, ` +
        `provider got ${mib(at).padStart(7)} MiB; gateway RSS ${mib(sampler.last)} MiB (peak ${mib(sampler.peak)}, +${mib(sampler.peak - before)})`);
    }, 2000);
    let outcome: Outcome | undefined;
    let error: string | undefined;
    try {
      outcome = await send(gw.port, w, spoolDir, answer.zipSha256, t0, (n) => { sent = n; });
      const r = provider.received[0];
      if (r) {
        outcome.t.providerFirst = r.firstByteAt - t0;
        outcome.t.providerDone = r.doneAt - t0;
      }
    } catch (e) {
      error = (e as Error).message;
    } finally {
      clearInterval(progress);
    }
    phase = 'settle';
    const after = memory(gw.pid)?.rss ?? 0;
    log(`  answered after ${((performance.now() - t0) / 1000).toFixed(1)} s: ${outcome ? `HTTP ${outcome.status}, ${outcome.answerOk}` : error}; RSS ${mib(after)} MiB; following it for ${SETTLE_MS / 1000} s`);
    const end = Date.now() + SETTLE_MS;
    while (Date.now() < end) {
      spoolMax = Math.max(spoolMax, spoolFiles(spoolDir).reduce((n, f) => n + statSize(join(spoolDir, f)), 0));
      await sleep(500);
    }
    sampler.stop();
    const settled = memory(gw.pid)?.rss ?? 0;
    let stored: Run['stored'];
    let journal: string | undefined;
    let storeNote = opt.db ? `store ${opt.db.replace(/\/\/[^@]*@/, '//')}` : 'SQLite';
    if (!opt.db) {
      const d = new Database(sqlite, { readonly: true });
      const b = d.prepare('SELECT size, chunks FROM attachment_blobs WHERE sha256 = ?').get(zip.sha256) as { size: number; chunks: number } | undefined;
      stored = b;
      const legs = d.prepare("SELECT direction, attachments FROM journal WHERE attachments LIKE ? ORDER BY id").all(`%${zip.sha256}%`) as { direction: string; attachments: string }[];
      journal = legs.map((l) => `${l.direction}: ${JSON.parse(l.attachments).verdict ?? 'parts only'}`).join('; ');
      d.close();
      storeNote = `SQLite, ${mib(statSize(sqlite))} MiB + WAL ${mib(statSize(`${sqlite}-wal`))} MiB after`;
    }
    return {
      zip, before, peak: sampler.peak, peakPhase: sampler.peakPhase, byPhase: sampler.byPhase, after, settled, outcome, error,
      received: provider.received[0], spoolMax, spoolAfter: spoolFiles(spoolDir).length, stored, journal, storeNote, gatewayLog: gw.output(),
    };
  } finally {
    await gw.stop();
    await provider.stop();
  }
}

function statSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

function report(r: Run, described: string, started: Date): string {
  const s = (ms?: number) => (ms === undefined ? '—' : (ms / 1000).toFixed(1));
  const o = r.outcome;
  const growth = r.peak - r.before;
  const got = r.received?.parts.find((p) => p.size === r.zip.size);
  const intact = got?.sha256 === r.zip.sha256;
  const rate = (bytes: number, ms?: number) => (ms ? `${(bytes / MiB / (ms / 1000)).toFixed(0)} MiB/s` : '—');
  const b64 = Math.ceil(r.zip.size / 3) * 4;
  const lines = [
    `## MTOM: a ${mib(r.zip.size)} MiB attachment through the gateway (issue 16, item 7), ${started.toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    `${described}; ${cpus().length} × ${cpuModel()} (nproc ${spawnSync('nproc', { encoding: 'utf8' }).stdout.trim()}), ${Math.round(totalmem() / 2 ** 30)} GiB; node ${process.version}. ` +
    `\`npm run bench:mtom -- ${process.argv.slice(2).join(' ')}\`. One fresh gateway (\`bin/smev2-gateway.js start\`, MALLOC_MMAP_THRESHOLD_=32768, ${r.storeNote}), ` +
    `the echo SID with \`signature: enforce\` (RSA), \`attachments: { policy: enforce }\` and an http adapter ` +
    `(readTimeoutMs ${READ_TIMEOUT_MS ?? 'default'}${Object.keys(EXTRA_ENV).length ? `; ${Object.entries(EXTRA_ENV).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}) to a loopback provider that hashes the parts as they stream; ` +
    `warmed up with two 1.2 MB MTOM exchanges, then one signed request with a ${r.zip.size.toLocaleString('en')}-byte ZIP part (one stored entry), streamed from a file. ` +
    `RSS of the gateway from /proc/PID/status every ${SAMPLE_MS} ms (VmRSS, and VmHWM reset before the send). Target: RSS grows by less than 64 MiB. ` +
    `Load average (1 min) at the start ${LOAD_AT_START}, at the end ${loadAverage()}: others' builds and tests share the cores, and every time below stretches with them.`,
    '',
    '| RSS before MiB | peak RSS MiB (Δ) | peak in phase | RSS at the answer MiB | RSS after MiB | answer | provider got the part intact | spool at most MiB | spool files after | target: growth < 64 MiB |',
    '|---:|---:|---|---:|---:|---|---|---:|---:|---|',
    `| ${mib(r.before)} | ${mib(r.peak)} (+${mib(growth)}) | ${r.peakPhase} | ${mib(r.after)} | ${mib(r.settled)} (${SETTLE_MS / 1000} s after) | ` +
    `${o ? `HTTP ${o.status}, ${o.answerOk}` : `failed: ${r.error}`} | ${got ? (intact ? `yes (SHA-256 ${r.zip.sha256.slice(0, 12)}…)` : `**no**: ${got.sha256}`) : '**not received**'} | ` +
    `${mib(r.spoolMax)} | ${r.spoolAfter} | ${o?.answerOk === 'ok' && intact ? (growth < GROWTH_TARGET ? 'met' : '**missed**') : '**not measured** (the exchange failed)'} |`,
    '',
    `Highest VmRSS sample by phase: ${[...r.byPhase].map(([p, v]) => `${p} ${mib(v)} MiB`).join(', ')}.`,
    '',
    '| time from the first byte sent, s | uploaded (consumer → gateway) | provider\'s first byte | provider\'s last byte | answer at the consumer |',
    '|---|---:|---:|---:|---:|',
    `| when | ${s(o?.t.uploaded)} | ${s(o?.t.providerFirst)} | ${s(o?.t.providerDone)} | ${s(o?.t.answered)} |`,
    `| throughput of the leg | ${rate(r.zip.size, o?.t.uploaded)} | | ${rate(r.zip.size, o?.t.providerDone && o.t.providerFirst ? o.t.providerDone - o.t.providerFirst : undefined)} | ${rate(r.zip.size, o?.t.answered)} end to end |`,
    '',
    `The same work in this process, timed alone on the same file: the AppDocument's DigestValue (partDigestValue: GOST R 34.11-94 of the part's ${b64.toLocaleString('en')} bytes of base64) ` +
    `${r.zip.digestS.toFixed(1)} s (${(b64 / MiB / r.zip.digestS).toFixed(1)} MiB/s of base64 text); inspectZip (the ZIP's SHA-256, then its entry inflated and hashed) ${r.zip.inspectS.toFixed(1)} s (${r.zip.inspect}); ` +
    `writing the ZIP ${r.zip.writeS.toFixed(1)} s.` +
    (r.stored ? ` Stored beside the journal: ${r.stored.size.toLocaleString('en')} bytes in ${r.stored.chunks} chunks.` : '') +
    (r.journal ? ` Journal: ${r.journal}.` : ''),
    '',
  ];
  return lines.join('\n');
}

function git(args: string[]): string | undefined {
  const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

async function main(): Promise<void> {
  const started = new Date();
  const work = mkdtempSync(join(tmpdir(), 'smev2-bench-mtom-'));
  process.once('SIGINT', () => { killAll(); if (!opt.keep) rmSync(work, { recursive: true, force: true }); process.exit(130); });
  process.once('SIGTERM', () => { killAll(); if (!opt.keep) rmSync(work, { recursive: true, force: true }); process.exit(143); });
  try {
    const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-if-needed.js')], { cwd: ROOT, stdio: 'inherit' });
    if (b.status !== 0) throw new Error('the build failed: fix the TypeScript errors above');
    const dirty = git(['status', '--porcelain', '--untracked-files=no']);
    const described = `commit ${git(['rev-parse', '--short', 'HEAD']) ?? 'unknown'}${dirty ? ' + uncommitted changes' : ''}`;
    log(`work folder ${work}`);
    const keys = makeKeySet(join(work, 'keys'), 'rsa');
    log(`writing a ${mib(PART_BYTES)} MiB ZIP …`);
    const made = await makeZip(join(work, 'document.zip'), PART_BYTES);
    log(`  ${made.writeS.toFixed(1)} s; SHA-256 ${made.sha256}`);
    log('its DigestValue (GOST R 34.11-94 of its base64, the gateway\'s own code) …');
    let t = performance.now();
    const digestValue = await partDigestValue({ contentType: 'application/zip', headers: {}, size: made.size, sha256: made.sha256, path: made.path });
    const digestS = (performance.now() - t) / 1000;
    log(`  ${digestS.toFixed(1)} s: ${digestValue}`);
    log('inspectZip on it (the gateway\'s own code) …');
    t = performance.now();
    const z = await inspectZip({ path: made.path }, { limits: DEFAULT_ATTACHMENTS.zip, at: new Date(), where: 'the bench' });
    const inspectS = (performance.now() - t) / 1000;
    const inspect = z.problems.length ? `problems: ${z.problems.map((p) => `${p.fault} ${JSON.stringify(p.params)}`).join('; ')}` : `${z.files.length} file, no problems`;
    log(`  ${inspectS.toFixed(1)} s: ${inspect}`);
    const zip: Zip = { ...made, digestValue, digestS, inspectS, inspect };
    const run = await measure(work, zip, keys);
    const text = report(run, described, started);
    if (!run.outcome || run.outcome.answerOk !== 'ok') log(`the gateway's log ends:\n${run.gatewayLog.slice(-4000)}`);
    publish(text, join(ROOT, 'bench', 'RESULTS.md'), !opt['no-append']);
  } finally {
    cleanUp(work, opt.keep);
  }
}

runBench('bench:mtom', main);
