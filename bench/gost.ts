// GOST primitives: ours (src/crypto/gost) against the pure-JS reference
// @wavesenterprise/crypto-gost-js, side by side in one run. How to run: bench/README.md.
//
//   BENCH_SECONDS=1   time per measurement (default 1)
//   BENCH_JSON=path   also write the figures as JSON
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import {
  decodePublicKey,
  decodeSubjectPublicKeyInfo,
  digest,
  encodeSubjectPublicKeyInfo,
  generatePrivateKey,
  publicKeyFromPrivate,
  sign,
  verify,
  type DigestAlgorithm,
  type GostCurve,
} from '../src/crypto/gost';
import { CRYPTOPRO_A, TC26_256_A, TC26_512_A, TC26_512_C } from '../src/crypto/gost/curves';
import { bigIntToBytesLE } from '../src/crypto/gost/encoding';

interface RefEngine {
  getGostDigest(alg: Record<string, unknown>): { digest(d: Uint8Array): ArrayBuffer };
  getGostSign(alg: Record<string, unknown>): {
    sign(k: Uint8Array, d: Uint8Array): ArrayBuffer;
    verify(p: Uint8Array, s: Uint8Array, d: Uint8Array): boolean;
  };
}
const { GostEngine } = require('@wavesenterprise/crypto-gost-js') as { GostEngine: RefEngine };

const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

/** ops/s of fn, run for about SECONDS after a short warm-up. */
function opsPerSec(fn: () => unknown): number {
  const warm = performance.now() + 150;
  while (performance.now() < warm) fn();
  let n = 0;
  const start = performance.now();
  const end = start + SECONDS * 1000;
  let now = start;
  while (now < end) {
    fn();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

interface Row {
  what: string;
  ours: number;
  ref?: number;
  target?: number;
}
const rows: Row[] = [];

function record(what: string, ours: number, ref?: number, target?: number): void {
  const row: Row = { what, ours };
  if (ref !== undefined) row.ref = ref;
  if (target !== undefined) row.target = target;
  rows.push(row);
  const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1)).padStart(9);
  const ratio = ref ? `${(ours / ref).toFixed(1)}x`.padStart(9) : ''.padStart(9);
  const tgt = target ? `${ours >= target ? 'meets' : 'MISSES'} >= ${target}` : '';
  process.stdout.write(`${what.padEnd(58)}${fmt(ours)}${ref ? fmt(ref) : ''.padStart(9)}${ratio}  ${tgt}\n`);
}

const refDigest = (alg: DigestAlgorithm) =>
  GostEngine.getGostDigest(
    alg === 'gost94' ? { name: 'GOST R 34.11', version: 1994, sBox: 'D-A' } : { name: 'GOST R 34.11', version: 2012, length: alg === 'streebog256' ? 256 : 512 },
  );

const hx = (n: bigint) => '0x' + n.toString(16);
/** crypto-gost-js over a digest (no hash: the data is the digest), CryptoPro layout. */
const refSigner = (c: GostCurve) =>
  GostEngine.getGostSign({
    name: 'GOST R 34.10',
    version: 2012,
    length: c.bits,
    procreator: 'CP',
    curve: { p: hx(c.p), a: hx(c.a), b: hx(c.b), q: hx(c.q), x: hx(c.gx), y: hx(c.gy) },
  });

process.stdout.write(
  `GOST bench: node ${process.version}, ${SECONDS}s per figure, ops/s (ours, crypto-gost-js, ratio)\n\n` +
    `${'operation'.padEnd(58)}${'ours'.padStart(9)}${'ref'.padStart(9)}${'ratio'.padStart(9)}\n`,
);

// ---- digests
for (const alg of ['streebog256', 'gost94', 'streebog512'] as DigestAlgorithm[]) {
  for (const size of alg === 'streebog512' ? [5120] : [1024, 5120]) {
    const data = new Uint8Array(randomBytes(size));
    const ref = refDigest(alg);
    record(`${alg} ${size / 1024} KB`, opsPerSec(() => digest(alg, data)), opsPerSec(() => ref.digest(data)));
  }
}

// ---- sign / verify over a digest
const CASES: [string, GostCurve, number?, number?][] = [
  ['2001 CryptoPro A (SMEV)', CRYPTOPRO_A],
  ['2012-256 CryptoPro A = TC26 256 paramSetB', CRYPTOPRO_A, 500, 300],
  ['2012-256 TC26 256 paramSetA (cofactor 4)', TC26_256_A, 500, 300],
  ['2012-512 TC26 512 paramSetA', TC26_512_A],
  ['2012-512 TC26 512 paramSetC (cofactor 4)', TC26_512_C],
];
const seen = new Set<GostCurve>();
for (const [name, c, signTarget, verifyTarget] of CASES) {
  if (seen.has(c) && !signTarget) continue;
  seen.add(c);
  const d = generatePrivateKey(c);
  const dLE = bigIntToBytesLE(d, c.size);
  const pub = publicKeyFromPrivate(c, d);
  const dig = new Uint8Array(randomBytes(c.size));
  const sig = sign(c, d, dig);
  const ref = refSigner(c);
  if (!ref.verify(pub, sig, dig) || !verify(c, pub, dig, new Uint8Array(ref.sign(dLE, dig)))) throw new Error(`${name}: cross-check failed`);
  record(`${name}: sign`, opsPerSec(() => sign(c, d, dig)), opsPerSec(() => ref.sign(dLE, dig)), signTarget);
  // A key seen for the first time: decode + validate + verify, no window table.
  record(`${name}: verify, new key`, opsPerSec(() => verify(c, decodePublicKey(pub, c), dig, sig)), opsPerSec(() => ref.verify(pub, sig, dig)), verifyTarget);
  // The same certificate again (the steady state): cached point with its window table.
  record(`${name}: verify, known key`, opsPerSec(() => verify(c, pub, dig, sig)), undefined, verifyTarget);
}

// ---- a complete verify of a 5 KB envelope: the key out of the token's SubjectPublicKeyInfo,
// digest of the Body (~5 KB) and of SignedInfo (~1 KB), one signature verify; GOST 2001 over
// gost94 as SMEV 2 traffic does. "New key" validates the point afresh every time (the first
// message of a sender); "known key" is every later message (cached point, window table).
{
  const c = CRYPTOPRO_A;
  const body = new Uint8Array(randomBytes(5 * 1024));
  const signedInfo = new Uint8Array(randomBytes(1024));
  const d = generatePrivateKey(c);
  const dLE = bigIntToBytesLE(d, c.size);
  const pub = publicKeyFromPrivate(c, d);
  const spki = encodeSubjectPublicKeyInfo(c, pub, { family: '2001', paramSet: '1.2.643.2.2.36.0' });
  const sig = sign(c, d, digest('gost94', signedInfo));
  const refH = refDigest('gost94');
  const ref = refSigner(c);
  const newKey = () => {
    digest('gost94', body);
    const key = decodePublicKey(decodePublicKeyXYOnly(spki), c);
    if (!verify(c, key, digest('gost94', signedInfo), sig)) throw new Error('envelope does not verify');
  };
  const knownKey = () => {
    digest('gost94', body);
    const info = decodeSubjectPublicKeyInfo(spki);
    if (!verify(info.curve, info.publicKey, digest('gost94', signedInfo), sig)) throw new Error('envelope does not verify');
  };
  const refEnv = () => {
    refH.digest(body);
    if (!ref.verify(pub, sig, new Uint8Array(refH.digest(signedInfo)))) throw new Error('ref: envelope does not verify');
  };
  if (!ref.verify(pub, new Uint8Array(ref.sign(dLE, digest('gost94', signedInfo))), digest('gost94', signedInfo))) throw new Error('ref cross-check');
  record('5 KB envelope verify (2001/gost94), new key', opsPerSec(newKey), opsPerSec(refEnv), 200);
  record('5 KB envelope verify (2001/gost94), known key', opsPerSec(knownKey), undefined, 200);
}

/** The key octets of a SubjectPublicKeyInfo without touching the cache (for the "new key" case). */
function decodePublicKeyXYOnly(spkiDer: Uint8Array): Uint8Array {
  return spkiDer.subarray(spkiDer.length - 2 * CRYPTOPRO_A.size);
}

if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify({ node: process.version, seconds: SECONDS, rows }, null, 2));
