// Issue 16, item 7 (the MTOM half), scaled down from `npm run bench:mtom` (a 1 GiB part): a large
// MTOM part goes through the real gateway process spooled to disk, not held, and comes out byte for
// byte; the limits on parts are configuration with their faults; a body that breaks off leaves no
// spool file. RSS is read from the gateway's /proc/PID/status (VmRSS, and VmHWM after clear_refs).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { createCipheriv, createHash, randomBytes, randomUUID } from 'node:crypto';
import { cpSync, createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import yazl from 'yazl';
import { startGateway, type GatewayProcess } from './support/gateway';
import { makeRegistry, ECHO_BUNDLE, echoDefinition } from './support/registry';
import { readJournal } from './support/journal';
import { sql } from './support/store';
import { ROOT } from './support/paths';
import { REQUEST, codeOf } from './support/signing';
import { loadXml } from '../src/xml/libxml';
import { KeyStore } from '../src/signature/identity';
import { signEnvelope } from '../src/signature/sign';
import { ACTOR } from '../src/envelope/ns';
import { readMultipart, writeMultipart, Spool, DEFAULT_MULTIPART_LIMITS, type MimePart } from '../src/http/multipart';
import { bytesDigestValue, partDigestValue } from '../src/attachments/digest';
import { buildZip } from '../src/attachments/zip';

const MiB = 1024 * 1024;
/** the large part: bigger than the bound on RSS growth below, so holding it could not pass */
const LARGE = 96 * MiB;
/** RSS growth allowed while the large part passes (the bench measures ~40 MiB for 64 MiB to 1 GiB parts) */
const GROWTH_BOUND = 72 * MiB;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(read: () => T | Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)} after ${ms} ms`);
    await sleep(50);
  }
}

function memory(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)![1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

const spoolFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.part')) : []);

/** A provider on loopback: reads the MTOM request with its parts spooled to its own folder, keeps each part's size and SHA-256, answers the echo RESULT. */
class Provider {
  received: { parts: { contentId?: string; size: number; sha256: string }[] }[] = [];
  url = '';
  private server?: http.Server;
  constructor(private readonly spoolDir: string) {}
  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const spool = new Spool(this.spoolDir);
      readMultipart(req, String(req.headers['content-type']), DEFAULT_MULTIPART_LIMITS, spool).then(async (m) => {
        this.received.push({ parts: m.parts.map((p) => ({ contentId: p.contentId, size: p.size, sha256: p.sha256 })) });
        await spool.release();
        res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER);
      }, (e: Error) => res.writeHead(500).end(e.message));
    });
    this.server.requestTimeout = 0;
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/provider`;
  }
  stop(): Promise<void> {
    return new Promise((ok) => (this.server ? (this.server.closeAllConnections(), this.server.close(() => ok())) : ok()));
  }
}

const ANSWER = readFileSync(join(ECHO_BUNDLE, 'answer.xml'), 'utf8');

/**
 * A provider on a slow link. `read`: it waits STALL_MS at the first bytes and again after 4 MiB,
 * reading at once in between and after: longer than the SID's readTimeoutMs in all, never that long without
 * progress (the request is larger than the socket buffers hold, so the gateway sees the waits).
 * `stall`: it never reads. `answer`: its MTOM answer's part goes 64 KiB every 40 ms.
 */
class SlowProvider {
  mode: 'read' | 'stall' | 'answer' = 'read';
  /** how long the last request took to read, ms */
  readMs = 0;
  url = '';
  private server?: http.Server;
  async start(): Promise<void> {
    this.server = http.createServer(async (req, res) => {
      const t0 = Date.now();
      if (this.mode === 'stall') return req.pause();
      try {
        let got = 0;
        let stalls = 0;
        for await (const c of req) {
          // a wait at the first bytes, and another once 4 MiB are in (what a reader frees by
          // reading a little is not offered back to the sender: read a lot in between)
          if (this.mode === 'read' && stalls < 2 && got >= stalls * 4 * MiB) {
            stalls++;
            await sleep(STALL_MS);
          }
          got += (c as Buffer).length;
        }
      } catch {
        return; // the gateway gave up on this request (the stall case)
      }
      this.readMs = Date.now() - t0;
      if (this.mode === 'read') return void res.writeHead(200, { 'content-type': 'text/xml' }).end(ANSWER);
      const part: MimePart = { contentId: 'slow@provider', contentType: 'application/octet-stream', headers: {}, size: SLOW_ANSWER_PART, sha256: '', path: '' };
      const w = writeMultipart({ bytes: Buffer.from(ANSWER) }, [{ ...part, bytes: Buffer.alloc(SLOW_ANSWER_PART, 0x61) }]);
      res.writeHead(200, { 'content-type': w.contentType, 'content-length': w.length });
      try {
        for await (const c of w.stream()) {
          for (let o = 0; o < (c as Buffer).length; o += 64 * 1024) {
            if (!res.write((c as Buffer).subarray(o, o + 64 * 1024))) await once(res, 'drain');
            await sleep(40);
          }
        }
        res.end();
      } catch {
        res.destroy();
      }
    });
    this.server.requestTimeout = 0;
    await new Promise<void>((ok) => this.server!.listen(0, '127.0.0.1', ok));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/provider`;
  }
  stop(): Promise<void> {
    return new Promise((ok) => (this.server ? (this.server.closeAllConnections(), this.server.close(() => ok())) : ok()));
  }
}
/** the slow SID's readTimeoutMs; the slow reader's waits; parts that take longer than the first to cross */
const SLOW_TIMEOUT_MS = 2000;
const STALL_MS = 1200;
const SLOW_REQUEST_PART = 24 * MiB;
const SLOW_ANSWER_PART = 4 * MiB;
const slow = new SlowProvider();
const work = mkdtempSync(join(tmpdir(), 'smev2-mtom-bounds-'));
const spoolDir = join(work, 'spool');
const limitsSpool = join(work, 'spool-limits');
const provider = new Provider(join(work, 'provider-spool'));
let gw: GatewayProcess;
let limited: GatewayProcess;
let keys: KeyStore;

beforeAll(async () => {
  await loadXml();
  await provider.start();
  await slow.start();
  const systems = join(work, 'systems');
  mkdirSync(systems);
  cpSync(join(ROOT, 'systems', 'MINZ01001.yaml'), join(systems, 'MINZ01001.yaml'));
  const def = (sid: string) => ({ bundle: ECHO_BUNDLE, def: { ...echoDefinition(sid, { type: 'http', url: provider.url }), signature: 'report', attachments: { policy: 'enforce' } } });
  // npm start's allocator setting, as the bench runs it
  const env = { MALLOC_MMAP_THRESHOLD_: '32768' };
  const slowSid = { bundle: ECHO_BUNDLE, def: { ...echoDefinition('SID0716003', { type: 'http', url: slow.url, readTimeoutMs: SLOW_TIMEOUT_MS }), signature: 'report', attachments: { policy: 'enforce' } } };
  gw = await startGateway({ services: makeRegistry([def('SID0716001'), slowSid]), args: ['--systems', systems], env: { ...env, SMEV2_SPOOL_DIR: spoolDir } });
  keys = new KeyStore(gw.keys);
  limited = await startGateway({
    services: makeRegistry([def('SID0716002')]), args: ['--systems', systems], keys: gw.keys,
    env: { ...env, SMEV2_SPOOL_DIR: limitsSpool, SMEV2_MAX_PART_BYTES: String(256 * 1024), SMEV2_MAX_PARTS: '3', SMEV2_PART_MEMORY_BYTES: '4096' },
  });
}, 120_000);

afterAll(async () => {
  await gw?.stop();
  await limited?.stop();
  await provider.stop();
  await slow.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The echo request with an AppDocument that references `cid`, signed by MINZ01001. */
function mtomRequest(cid: string, digestValue: string): Buffer {
  const xml = REQUEST
    .replace(/<smev:Date>[^<]*<\/smev:Date>/, `<smev:Date>${new Date().toISOString()}</smev:Date>`)
    .replace(/<e:Text>[^<]*<\/e:Text>/, `<e:Text>${randomUUID()}</e:Text>`)
    .replace('</smev:AppData>', `</smev:AppData><smev:AppDocument><smev:RequestCode>req_${randomUUID()}</smev:RequestCode>` +
      `<smev:Reference><xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:${encodeURIComponent(cid)}"/></smev:Reference>` +
      `<smev:DigestValue>${digestValue}</smev:DigestValue></smev:AppDocument>`);
  return signEnvelope(Buffer.from(xml), ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
}

/** A ZIP file of one stored entry of `size` pseudo-random bytes, written as a stream (never whole in memory). */
async function zipFile(path: string, size: number): Promise<MimePart> {
  const zip = new yazl.ZipFile();
  const cipher = createCipheriv('aes-128-ctr', randomBytes(16), randomBytes(16));
  const data = Readable.from((function* () {
    const zeros = Buffer.alloc(MiB);
    for (let left = size; left > 0; left -= MiB) yield cipher.update(left >= MiB ? zeros : zeros.subarray(0, left));
  })());
  zip.addReadStream(data, 'document.bin', { compress: false, size });
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await once(out, 'finish');
  const h = createHash('sha256');
  for await (const c of createReadStream(path)) h.update(c as Buffer);
  return { contentId: `doc-${randomUUID()}@test`, contentType: 'application/zip', headers: {}, size: statSync(path).size, sha256: h.digest('hex'), path };
}

interface Answer { status: number; text: string }

/** POST a multipart/related message (its parts streamed from memory or files); the answer. */
function post(port: number, sid: string, w: ReturnType<typeof writeMultipart>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: `/gateway/services/${sid}`, agent: false,
      headers: { 'content-type': w.contentType, 'content-length': w.length } }, (res) => {
      const c: Buffer[] = [];
      res.on('data', (d: Buffer) => c.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(c).toString('utf8') }));
    });
    // a refusal may close the connection before the whole body is written: the answer came first
    req.on('error', (e) => reject(e));
    const s = w.stream();
    s.pipe(req);
    req.on('close', () => s.destroy());
  });
}

async function smallMtom(n = 1, size = 20_000): Promise<{ w: ReturnType<typeof writeMultipart>; parts: MimePart[] }> {
  const parts: MimePart[] = [];
  for (let i = 0; i < n; i++) {
    const zip = await buildZip([{ name: 'doc.bin', bytes: randomBytes(size) }]); // random: the ZIP is about `size` bytes
    parts.push({ contentId: `doc-${randomUUID()}@test`, contentType: 'application/zip', headers: {}, size: zip.length, sha256: sha(zip), bytes: zip });
  }
  return { w: writeMultipart({ bytes: mtomRequest(parts[0]!.contentId!, await bytesDigestValue(parts[0]!.bytes!)) }, parts), parts };
}

describe(`a ${LARGE / MiB} MiB MTOM part through the gateway`, () => {
  test('is spooled to disk while it passes (the file gone after), reaches the provider byte for byte, and the gateway\'s RSS grows by less than the part', async () => {
    // warm-up: what loads once (libxml2-wasm, the ZIP reader, keys) belongs in the baseline
    const warm = await smallMtom(1, 600_000);
    expect(codeOf((await post(gw.port, 'SID0716001', warm.w)).text)).toBe('ok');
    provider.received = [];
    const part = await zipFile(join(work, 'large.zip'), LARGE);
    const w = writeMultipart({ bytes: mtomRequest(part.contentId!, await partDigestValue(part)) }, [part]);
    await until(() => spoolFiles(spoolDir), (f) => f.length === 0, 30_000, 'spool files of the warm-up');
    const pid = gw.child.pid!;
    await sleep(1000);
    const before = memory(pid).rss;
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // VmHWM from here
    let peak = before;
    let spooled = 0;
    let done = false;
    const watch = (async () => {
      while (!done) {
        const m = memory(pid);
        peak = Math.max(peak, m.rss, m.hwm);
        for (const f of spoolFiles(spoolDir)) {
          try { spooled = Math.max(spooled, statSync(join(spoolDir, f)).size); } catch { /* released meanwhile */ }
        }
        await sleep(50);
      }
    })();
    let answer: Answer;
    try {
      answer = await post(gw.port, 'SID0716001', w);
    } finally {
      done = true;
      await watch;
    }
    peak = Math.max(peak, memory(pid).hwm);
    expect(codeOf(answer.text)).toBe('ok');
    // the gateway held the part in a spool file, not in memory …
    expect(spooled).toBe(part.size);
    expect(peak - before).toBeLessThan(GROWTH_BOUND);
    // … and let it go when the exchange ended
    await until(() => spoolFiles(spoolDir), (f) => f.length === 0, 30_000, 'spool files after the exchange');
    // the provider got it byte for byte
    expect(provider.received).toHaveLength(1);
    expect(provider.received[0]!.parts).toEqual([{ contentId: part.contentId, size: part.size, sha256: part.sha256 }]);
    // journaled by hash, its bytes kept once beside the journal, and judged
    const rows = await readJournal(gw.db, 'sid = ? AND direction = ?', ['SID0716001', 'consumer->gateway']);
    const att = JSON.parse(String((rows[rows.length - 1] as unknown as { attachments: string }).attachments));
    expect(att.parts).toEqual([{ contentId: part.contentId, contentType: 'application/zip', size: part.size, sha256: part.sha256 }]);
    expect(att.documents[0]).toMatchObject({ digest: { ok: true }, zip: { files: [{ name: 'document.bin', size: LARGE }] } });
    const blobs = await sql<{ size: number | string }>(gw.db, 'SELECT size FROM attachment_blobs WHERE sha256 = ?', [part.sha256]);
    expect(blobs.map((b) => Number(b.size))).toEqual([part.size]);
  }, 600_000);
});

describe('limits on parts are configuration, refused with their faults over HTTP and journaled', () => {
  test('a part past SMEV2_MAX_PART_BYTES: GW-5004 naming the part, the limit and the setting; nothing reaches the provider, no spool file stays', async () => {
    provider.received = [];
    const { w, parts } = await smallMtom(1, 512 * 1024);
    expect(parts[0]!.size).toBeGreaterThan(256 * 1024);
    const r = await post(limited.port, 'SID0716002', w);
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/<faultstring>GW-5004: Attachment part "[^"]+" \(\d+\+ bytes\) is larger than the limit of 262144 bytes \(SMEV2_MAX_PART_BYTES\)<\/faultstring>/);
    expect(r.text).toContain(String(256 * 1024));
    expect(r.text).toContain('SMEV2_MAX_PART_BYTES');
    expect(r.text).toContain(parts[0]!.contentId!);
    expect(provider.received).toHaveLength(0);
    const rows = await readJournal(limited.db, 'sid = ? AND direction = ?', ['SID0716002', 'gateway->consumer']);
    expect(rows[rows.length - 1]!.fault_code).toBe('GW-5004');
    await until(() => spoolFiles(limitsSpool), (f) => f.length === 0, 30_000, 'spool files after GW-5004');
  }, 120_000);

  test('more parts than SMEV2_MAX_PARTS (the root counts): GW-5010, journaled', async () => {
    provider.received = [];
    const { w } = await smallMtom(3, 2000); // root + 3 = 4 parts > 3
    const r = await post(limited.port, 'SID0716002', w);
    expect(r.status).toBe(413);
    expect(codeOf(r.text)).toBe('GW-5010');
    expect(r.text).toContain('SMEV2_MAX_PARTS');
    expect(provider.received).toHaveLength(0);
    const rows = await readJournal(limited.db, 'sid = ? AND direction = ?', ['SID0716002', 'gateway->consumer']);
    expect(rows[rows.length - 1]!.fault_code).toBe('GW-5010');
    // two parts and the root are within the limit
    const ok = await smallMtom(2, 2000);
    expect(codeOf((await post(limited.port, 'SID0716002', ok.w)).text)).toBe('ok');
  }, 120_000);

  test('a body that stops mid-part (the client closes its socket) leaves no spool file, and the gateway keeps answering', async () => {
    const { w } = await smallMtom(1, 200_000); // spooled past SMEV2_PART_MEMORY_BYTES (4 KiB)
    const body: Buffer[] = [];
    for await (const c of w.stream()) body.push(c as Buffer);
    const whole = Buffer.concat(body);
    const req = http.request({ host: '127.0.0.1', port: limited.port, method: 'POST', path: '/gateway/services/SID0716002', agent: false,
      headers: { 'content-type': w.contentType, 'content-length': whole.length } });
    req.on('error', () => undefined); // the socket is destroyed below
    req.write(whole.subarray(0, whole.length - 50_000));
    // the part is being spooled: its file exists while the body is incomplete
    await until(() => spoolFiles(limitsSpool), (f) => f.length === 1, 30_000, 'a spool file while the part arrives');
    req.destroy();
    await until(() => spoolFiles(limitsSpool), (f) => f.length === 0, 30_000, 'spool files after the client went');
    const again = await smallMtom(1, 2000);
    expect(codeOf((await post(limited.port, 'SID0716002', again.w)).text)).toBe('ok');
    expect(limited.alive()).toBe(true);
  }, 120_000);
});

describe('the http adapter\'s readTimeoutMs bounds waits, not the time large parts take to cross', () => {
  test(`a ${SLOW_REQUEST_PART / MiB} MiB part the provider reads with pauses, in all longer than readTimeoutMs (${SLOW_TIMEOUT_MS} ms) but never idle that long: answered`, async () => {
    slow.mode = 'read';
    const { w } = await smallMtom(1, SLOW_REQUEST_PART);
    const r = await post(gw.port, 'SID0716003', w);
    expect(codeOf(r.text)).toBe('ok'); // before the idle bound: GW-2001, 2000 ms after the request started
    expect(slow.readMs).toBeGreaterThan(SLOW_TIMEOUT_MS); // the case is what it says
  }, 120_000);

  test('a provider that stops reading the part: GW-2001 once readTimeoutMs passes without progress, and no spool file stays', async () => {
    slow.mode = 'stall';
    const { w } = await smallMtom(1, SLOW_REQUEST_PART);
    const r = await post(gw.port, 'SID0716003', w);
    expect(codeOf(r.text)).toBe('GW-2001');
    expect(r.text).toContain(String(SLOW_TIMEOUT_MS));
    await until(() => spoolFiles(spoolDir), (f) => f.length === 0, 30_000, 'spool files after GW-2001');
  }, 120_000);

  test(`an MTOM answer whose ${SLOW_ANSWER_PART / MiB} MiB part streams longer than readTimeoutMs, never idle that long: sent back whole`, async () => {
    slow.mode = 'answer';
    const { w } = await smallMtom(1, 2000);
    const got = await new Promise<{ contentType: string; body: Buffer }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: gw.port, method: 'POST', path: '/gateway/services/SID0716003', agent: false,
        headers: { 'content-type': w.contentType, 'content-length': w.length } }, (res) => {
        const c: Buffer[] = [];
        res.on('data', (d: Buffer) => c.push(d));
        res.on('end', () => resolve({ contentType: String(res.headers['content-type']), body: Buffer.concat(c) }));
      });
      req.on('error', reject);
      w.stream().pipe(req);
    });
    expect(got.contentType).toMatch(/^multipart\/related;/);
    const spool = new Spool(join(work, 'client-spool'));
    const m = await readMultipart((async function* () { yield got.body; })(), got.contentType, DEFAULT_MULTIPART_LIMITS, spool);
    expect(m.parts.map((p) => [p.contentId, p.size, p.sha256])).toEqual([['slow@provider', SLOW_ANSWER_PART, sha(Buffer.alloc(SLOW_ANSWER_PART, 0x61))]]);
    await spool.release();
  }, 120_000);
});
