// GOST signatures on the crypto pool (SMEV2_CRYPTO_THREADS, src/crypto/gost/pool.ts): the same
// bytes and verdicts as on the calling thread for 2001, 2012-256 and 2012-512; a thread that ends
// mid-flight fails only its own tasks (the exchange gets GW-9000) and is started again; a full
// pool has its caller do the work; and over HTTP, the real gateway with threads and without
// answers the same to GOST-signed and tampered requests at a demo SID.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { ROOT } from './support/paths';
import { startGateway, post, type GatewayProcess } from './support/gateway';
import { loadXml } from '../src/xml/libxml';
import * as gost from '../src/crypto/gost';
import { GostPool, CryptoThreadError } from '../src/crypto/gost/pool';
import { SIGNATURES, useGostPool } from '../src/signature/algorithms';
import { newKey, KeyStore, type KeyAlgorithm } from '../src/signature/identity';
import type { PrivateKey, PublicKey } from '../src/signature/keys';
import { signEnvelope } from '../src/signature/sign';
import { verifyEnvelopeSignatures, verifyEnvelopeSignaturesAsync } from '../src/signature/verify';
import { bootstrapTrust } from '../src/signature/bootstrap';
import { ACTOR } from '../src/envelope/ns';
import { parseEnvelope } from '../src/envelope/parse';
import { Registry } from '../src/registry/registry';
import { createAdapter } from '../src/providers';
import { compose } from '../src/pipeline/compose';
import type { Exchange } from '../src/pipeline/exchange';
import { respond } from '../src/stages/respond';
import { parse } from '../src/stages/parse';
import { route } from '../src/stages/route';
import { verifyRequest } from '../src/stages/verify';

/** The worker script as built (npm run build), as the gateway runs it. */
const SCRIPT = join(ROOT, 'dist', 'crypto', 'gost', 'pool-worker.js');
const FOUND = readFileSync(join(ROOT, 'fixtures', 'SID0003623', 'found', 'request.xml'), 'utf8');
const FAMILIES: [KeyAlgorithm, gost.KeyFamily][] = [['gost2001', '2001'], ['gost2012-256', '2012-256'], ['gost2012-512', '2012-512']];
const log = pino({ level: 'silent' });

function keyPair(alg: KeyAlgorithm): { priv: Extract<PrivateKey, { kind: 'gost' }>; pub: PublicKey } {
  const priv = newKey(alg).key as Extract<PrivateKey, { kind: 'gost' }>;
  return { priv, pub: { kind: 'gost', family: priv.family, curve: priv.curve, paramSet: priv.paramSet, octets: gost.publicKeyFromPrivate(priv.curve, priv.d) } };
}
const signatureUri = (family: gost.KeyFamily) => gost.PREFERRED_URIS[family].signature;
const digestOf = (family: gost.KeyFamily) => gost.signatureAlgorithmOf(signatureUri(family))!.digest;
const tamper = (b: Buffer) => { const c = Buffer.from(b); c[c.length >> 1] ^= 1; return c; };

describe('the crypto pool computes what the calling thread computes', () => {
  let pool: GostPool;
  beforeAll(() => { pool = new GostPool({ threads: 2, script: SCRIPT }); });
  afterAll(async () => { useGostPool(undefined); await pool?.close(); });

  test.each(FAMILIES)('%s: the same nonce gives the same bytes; each verifies the other’s; tampered data fail on both', async (alg, family) => {
    const { priv, pub } = keyPair(alg);
    const data = Buffer.from(`<ds:SignedInfo>${randomUUID()}</ds:SignedInfo>`);
    const digestAlg = digestOf(family);
    const k = gost.generatePrivateKey(priv.curve);
    const inThread = gost.sign(priv.curve, priv.d, gost.digest(digestAlg, data), { k });
    expect(Buffer.from(await pool.sign(priv.curve.name, priv.d, digestAlg, data, { k })).equals(Buffer.from(inThread))).toBe(true);

    // through the algorithm table, as the gateway signs and verifies: pool against thread both ways
    const a = SIGNATURES.get(signatureUri(family))!;
    useGostPool(pool);
    const pooled = await a.signAsync!(priv, data);
    const threaded = a.sign(priv, data);
    expect(a.verify(pub, data, pooled)).toBe(true);
    expect(await a.verifyAsync!(pub, data, threaded)).toBe(true);
    expect(await a.verifyAsync!(pub, tamper(data), threaded)).toBe(false);
    expect(await a.verifyAsync!(pub, data, tamper(pooled))).toBe(false);
    expect(a.verify(pub, tamper(data), pooled)).toBe(false);
    // a key of another family is refused alike
    const other = keyPair(family === '2012-512' ? 'gost2012-256' : 'gost2012-512');
    expect(await a.verifyAsync!(other.pub, data, pooled)).toBe(a.verify(other.pub, data, pooled));
    await expect(a.signAsync!(other.priv, data)).rejects.toThrow(/needs a GOST R 34\.10-/);
    // no pool: signAsync and verifyAsync compute on this thread
    useGostPool(undefined);
    expect(a.verify(pub, data, await a.signAsync!(priv, data))).toBe(true);
    expect(await a.verifyAsync!(pub, data, pooled)).toBe(true);
  });

  test('a signed envelope and a tampered one: the asynchronous verdicts are the synchronous ones', async () => {
    await loadXml();
    const dir = mkdtempSync(join(tmpdir(), 'smev2-pool-'));
    const keys = new KeyStore(dir);
    keys.ensureCa('ca', 'gost2012-256', { CN: 'pool test CA' });
    const envelopes: Buffer[] = [];
    for (const [alg] of FAMILIES) {
      keys.ensureIssued(alg, 'ca', alg, { CN: alg });
      const signed = signEnvelope(Buffer.from(FOUND), ACTOR.smev, keys.signer(alg)!, { header: false });
      envelopes.push(signed, Buffer.from(signed.toString().replace('ИВАНОВА', 'ПЕТРОВА')),
        Buffer.from(signed.toString().replace(/<ds:SignatureValue>(.)/, (_m, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`)));
    }
    useGostPool(pool);
    for (const e of envelopes) {
      const p = parseEnvelope(e);
      try {
        const sync = verifyEnvelopeSignatures(p);
        const async = await verifyEnvelopeSignaturesAsync(p);
        expect(async).toEqual(sync);
      } finally {
        p.doc.dispose();
      }
    }
    useGostPool(undefined);
    const verdicts = envelopes.map((e) => { const p = parseEnvelope(e); try { return verifyEnvelopeSignatures(p)[0]!; } finally { p.doc.dispose(); } });
    expect(verdicts.map((v) => v.ok)).toEqual([true, false, false, true, false, false, true, false, false]);
    expect(verdicts[2]!.reason).toMatch(/SignatureValue does not verify/);
  });
});

describe('a thread that ends, a pool that is full', () => {
  test('a thread ended mid-flight fails its tasks with CryptoThreadError, is started again, and the next tasks are done', async () => {
    const pool = new GostPool({ threads: 1, maxInFlight: 10_000, script: SCRIPT }); // all on the thread, none on the caller
    try {
      const { priv } = keyPair('gost2012-512');
      const data = Buffer.from('<SignedInfo/>');
      const tasks = Array.from({ length: 200 }, () => pool.sign(priv.curve.name, priv.d, 'streebog512', data).then((s) => s, (e: unknown) => e));
      await tasks[0]; // the thread runs
      const [worker] = pool.workers;
      await worker!.terminate();
      const outcomes = await Promise.all(tasks);
      const lost = outcomes.filter((o) => o instanceof CryptoThreadError) as CryptoThreadError[];
      expect(lost.length).toBeGreaterThan(0);
      expect(outcomes.every((o) => o instanceof CryptoThreadError || o instanceof Uint8Array)).toBe(true);
      expect(lost[0]!.message).toMatch(/the GOST crypto thread \d+ ended \(exit code 1\) before it answered: this signature was not made; the thread is started again/);
      expect(pool.counts.lost).toBe(lost.length);
      const sig = await pool.sign(priv.curve.name, priv.d, 'streebog512', data);
      expect(gost.verify(priv.curve, gost.publicKeyFromPrivate(priv.curve, priv.d), gost.digest('streebog512', data), sig)).toBe(true);
      expect(pool.counts.started).toBe(2);
      expect(pool.workers).toHaveLength(1);
      expect(pool.workers[0]).not.toBe(worker);
    } finally {
      await pool.close();
    }
  });

  test('a thread whose script does not load fails the task and is not started again in a loop', async () => {
    const pool = new GostPool({ threads: 1, script: join(ROOT, 'dist', 'no-such-worker.js') });
    try {
      const { priv } = keyPair('gost2012-256');
      await expect(pool.sign(priv.curve.name, priv.d, 'streebog256', Buffer.from('x'))).rejects.toThrow(CryptoThreadError);
      expect(pool.counts).toMatchObject({ started: 1, lost: 1 });
      await expect(pool.sign(priv.curve.name, priv.d, 'streebog256', Buffer.from('x'))).rejects.toThrow(/ended \(exit code 1: Cannot find module .*no-such-worker\.js/);
      expect(pool.counts).toMatchObject({ started: 2, lost: 2 });
    } finally {
      await pool.close();
    }
  });

  test('past its bound the caller computes the task itself, with the same result', async () => {
    const pool = new GostPool({ threads: 1, maxInFlight: 2, script: SCRIPT });
    try {
      const { priv, pub } = keyPair('gost2012-256');
      const data = Buffer.from('<SignedInfo/>');
      const sigs = await Promise.all(Array.from({ length: 6 }, () => pool.sign(priv.curve.name, priv.d, 'streebog256', data)));
      expect(pool.counts).toMatchObject({ done: 2, onCaller: 4, lost: 0 });
      const oks = await Promise.all(sigs.map((s) => pool.verify(priv.curve.name, (pub as { octets: Uint8Array }).octets, 'streebog256', data, s)));
      expect(oks).toEqual([true, true, true, true, true, true]);
    } finally {
      await pool.close();
    }
  });

  test('an exchange whose signature was in work on a thread that ended gets GW-9000; the next one is judged', async () => {
    await loadXml();
    const dir = mkdtempSync(join(tmpdir(), 'smev2-pool-stage-'));
    const { keys, trust } = bootstrapTrust(join(dir, 'keys'), join(ROOT, 'systems'), log);
    const registry = new Registry(join(ROOT, 'wsdl'), (s) => createAdapter(s, { signerFor: (m) => keys.signer(m) }));
    registry.load({ skipBroken: false });
    const pool = new GostPool({ threads: 1, maxInFlight: 10_000, script: SCRIPT }); // all on the thread, none on the caller
    useGostPool(pool);
    try {
      const signed = signEnvelope(Buffer.from(FOUND), ACTOR.smev, keys.signer('MINZ01001')!, { header: false });
      const clock = () => new Date();
      const exchange = (): Exchange => ({
        id: randomUUID(), origin: 'consumer', started: process.hrtime.bigint(), receivedAt: new Date(), sid: 'SID0003623', log, raw: signed,
        http: { method: 'POST', path: '/gateway/services/SID0003623', contentType: 'text/xml; charset=utf-8' },
        legs: [{ direction: 'consumer->gateway', at: new Date(), bytes: signed }],
      });
      const run = (ex: Exchange) => compose<Exchange>([respond(), parse(), route(registry), verifyRequest(trust, clock), async (e) => { e.answer = { status: 200, bytes: Buffer.from('<a/>'), envelope: e.request!.envelope, parsed: e.request! }; }])(ex);
      // one exchange judged through the thread (and the stages warm)
      const first = exchange();
      await run(first);
      expect(first.legs[0]!.signature).toEqual({ outcome: 'ok', text: expect.stringMatching(/^smev:ok MINZ01001 /) });
      // the thread busy with seconds of other work, in order: the exchange's verification waits behind it
      const { priv } = keyPair('gost2012-512');
      const before = pool.counts.done;
      const filler = Array.from({ length: 3000 }, () => pool.sign(priv.curve.name, priv.d, 'streebog512', Buffer.from('x')).catch((e: unknown) => e));
      await filler[0];
      const ex = exchange();
      const done = run(ex);
      // until the exchange's task is handed over (the 3001st), behind what is left of the filler
      let finished = false;
      void done.then(() => { finished = true; });
      while (!finished && pool.inWork + pool.counts.done - before + pool.counts.lost < 3001) await new Promise((r) => setImmediate(r));
      expect(ex.fault?.message).toBeUndefined();
      expect(pool.inWork).toBeGreaterThan(1);
      await pool.workers[0]!.terminate();
      await done;
      expect(ex.response?.status).toBe(500);
      expect(ex.response?.bytes.toString()).toMatch(/GW-9000: Internal gateway error \([0-9a-f-]{36}\)/);
      expect(ex.legs[0]!.signature).toBeUndefined(); // not judged: no verdict was journaled for it
      await Promise.all(filler);
      // the thread is started again: the same message is judged and passes
      const again = exchange();
      await run(again);
      expect(again.fault).toBeUndefined();
      expect(again.legs[0]!.signature).toEqual({ outcome: 'ok', text: expect.stringMatching(/^smev:ok MINZ01001 /) });
      expect(pool.counts.started).toBe(2);
    } finally {
      useGostPool(undefined);
      await pool.close();
      await registry.close();
    }
  });
});

describe('over HTTP: the gateway with crypto threads and without answers alike', () => {
  let pooled: GatewayProcess;
  let inline: GatewayProcess;
  const work = mkdtempSync(join(tmpdir(), 'smev2-crypto-threads-'));
  const systems = join(work, 'systems');
  /** the demo SID0003623 with its signature enforced */
  const registry = join(work, 'registry');
  const SENDERS: Record<KeyAlgorithm, string> = { gost2001: 'GOST01001', 'gost2012-256': 'MINZ01001', 'gost2012-512': 'GOSX01001', rsa: '' };

  beforeAll(async () => {
    await loadXml();
    cpSync(join(ROOT, 'systems'), systems, { recursive: true });
    for (const m of [SENDERS.gost2001, SENDERS['gost2012-512']]) writeFileSync(join(systems, `${m}.yaml`), `mnemonic: ${m}\nname: Тест ${m}\nissuers: ["@keys/demo-ca.pem"]\ngrants: "*"\n`);
    mkdirSync(registry);
    cpSync(join(ROOT, 'wsdl', 'SID0003623'), join(registry, 'SID0003623'), { recursive: true });
    const def = join(registry, 'SID0003623', 'service.yaml');
    writeFileSync(def, readFileSync(def, 'utf8').replace(/^signature: report$/m, 'signature: enforce').replace('cases: ../../fixtures/SID0003623', `cases: ${join(ROOT, 'fixtures', 'SID0003623')}`));
    pooled = await startGateway({ services: registry, args: ['--systems', systems], env: { SMEV2_CRYPTO_THREADS: '2' } });
    inline = await startGateway({ services: registry, args: ['--systems', systems], keys: pooled.keys, env: { SMEV2_CRYPTO_THREADS: '0' } });
    const keys = new KeyStore(pooled.keys);
    keys.ensureIssued(SENDERS.gost2001, 'demo-ca', 'gost2001', { CN: SENDERS.gost2001 });
    keys.ensureIssued(SENDERS['gost2012-512'], 'demo-ca', 'gost2012-512', { CN: SENDERS['gost2012-512'] });
  }, 90000);
  afterAll(async () => {
    await pooled?.stop();
    await inline?.stop();
  });

  const send = (g: GatewayProcess, body: string) => post(`${g.url}/gateway/services/SID0003623`, body);
  const outcome = (r: { status: number; text: string }) => ({ status: r.status, fault: /<faultstring>([\s\S]*?)<\/faultstring>/.exec(r.text)?.[1] ?? null });
  const metric = async (g: GatewayProcess, where: string) => Number(new RegExp(`^smev2_crypto_thread_tasks\\{where="${where}"\\} (\\d+)`, 'm').exec(await (await fetch(`${g.url}/metrics`)).text())?.[1] ?? NaN);

  test('each start line says how many threads', () => {
    expect(pooled.logs()).toMatch(/"cryptoThreads":2\b/);
    expect(inline.logs()).toMatch(/"cryptoThreads":0\b/);
  });

  test.each(FAMILIES)('%s: a signed request passes both, the answers carry signatures that verify; tampered ones get the same fault from both', async (alg) => {
    const sender = SENDERS[alg];
    const signer = new KeyStore(pooled.keys).signer(sender)!;
    const request = () => FOUND.replace(/MINZ01001/g, sender).replace(/ИдЗапроса="[^"]*"/, `ИдЗапроса="${randomUUID()}"`);
    const signed = signEnvelope(Buffer.from(request()), ACTOR.smev, signer, { header: false }).toString();
    const before = await metric(pooled, 'thread');
    for (const g of [pooled, inline]) {
      const r = await send(g, signed);
      expect(outcome(r)).toEqual({ status: 200, fault: null });
      expect(r.text).toMatch(/<(\w+:)?Status>RESULT</);
      // the provider's and the node's blocks, the node's made on the pool by the first gateway
      const p = parseEnvelope(Buffer.from(r.text));
      try {
        expect(verifyEnvelopeSignatures(p).map((b) => [b.actor, b.ok, b.reason]).sort()).toEqual([[ACTOR.recipient, true, undefined], [ACTOR.smev, true, undefined]]);
      } finally {
        p.doc.dispose();
      }
    }
    // the consumer's check, the node's two signatures and the provider's check went through the threads
    expect(await metric(pooled, 'thread')).toBeGreaterThanOrEqual(before + 4);
    const body = signEnvelope(Buffer.from(request()), ACTOR.smev, signer, { header: false }).toString().replace('ИВАНОВА', 'ПЕТРОВА');
    const value = signEnvelope(Buffer.from(request()), ACTOR.smev, signer, { header: false }).toString()
      .replace(/<ds:SignatureValue>(.)/, (_m, c: string) => `<ds:SignatureValue>${c === 'A' ? 'B' : 'A'}`);
    for (const bad of [body, value]) {
      const [a, b] = [outcome(await send(pooled, bad)), outcome(await send(inline, bad))];
      expect(a).toEqual(b);
      expect(a.fault).toMatch(/^SMEV-100003: /);
    }
  });

  test('the inline gateway counts no thread work; the pooled one lost none', async () => {
    expect(await metric(inline, 'thread')).toBeNaN();
    expect(await metric(pooled, 'lost')).toBe(0);
    expect(await metric(pooled, 'caller')).toBe(0);
  });
});
