// Helpers for the gost-*.test.ts suites: the crypto-gost-js reference (typed narrowly) and
// OpenSSL's gost engine (Debian package libengine-gost-openssl).
import { spawnSync } from 'node:child_process';
import type { GostCurve } from '../src/crypto/gost/curves';
import { bigIntToBytesLE } from '../src/crypto/gost/encoding';

// ---------------------------------------------------------------- crypto-gost-js
interface RefDigest {
  digest(data: ArrayBuffer | Uint8Array): ArrayBuffer;
}
interface RefSign {
  sign(privateKey: ArrayBuffer | Uint8Array, data: ArrayBuffer | Uint8Array): ArrayBuffer;
  verify(publicKey: ArrayBuffer | Uint8Array, signature: ArrayBuffer | Uint8Array, data: ArrayBuffer | Uint8Array): boolean;
}
interface RefEngine {
  getGostDigest(alg: Record<string, unknown>): RefDigest;
  getGostSign(alg: Record<string, unknown>): RefSign;
}
const { GostEngine } = require('@wavesenterprise/crypto-gost-js') as { GostEngine: RefEngine };

export type RefDigestName = 'gost94' | 'gost94-test' | 'streebog256' | 'streebog512';

const refDigests = new Map<RefDigestName, RefDigest>();
/** crypto-gost-js's synchronous digest. */
export function refDigest(alg: RefDigestName, data: Uint8Array): Uint8Array {
  let d = refDigests.get(alg);
  if (!d) {
    const spec =
      alg === 'gost94'
        ? { name: 'GOST R 34.11', version: 1994, sBox: 'D-A' }
        : alg === 'gost94-test'
          ? { name: 'GOST R 34.11', version: 1994, sBox: 'D-TEST' }
          : { name: 'GOST R 34.11', version: 2012, length: alg === 'streebog256' ? 256 : 512 };
    d = GostEngine.getGostDigest(spec);
    refDigests.set(alg, d);
  }
  return new Uint8Array(d.digest(new Uint8Array(data)));
}

const hx = (n: bigint): string => '0x' + n.toString(16);

/**
 * crypto-gost-js's synchronous signer for one of our curves: the curve's parameters are
 * passed explicitly (its own names do not cover TC26 256-A / 512-C), the hash is explicit
 * (without one it signs the raw data as a digest) and the procreator is 'CP' (s || r
 * big-endian, keys little-endian) as NOTES.md says.
 */
export function refSigner(curve: GostCurve, family: '2001' | '2012-256' | '2012-512', ukm?: bigint): RefSign {
  const alg: Record<string, unknown> = {
    name: 'GOST R 34.10',
    version: family === '2001' ? 2001 : 2012,
    length: curve.bits,
    procreator: 'CP',
    curve: { p: hx(curve.p), a: hx(curve.a), b: hx(curve.b), q: hx(curve.q), x: hx(curve.gx), y: hx(curve.gy) },
    hash: family === '2001' ? { name: 'GOST R 34.11', sBox: 'D-A' } : { name: 'GOST R 34.11' },
  };
  if (family === '2001') alg.sBox = 'D-A';
  if (ukm !== undefined) alg.ukm = bigIntToBytesLE(ukm, curve.size);
  return GostEngine.getGostSign(alg);
}

/** crypto-gost-js without a hash: the data IS the digest (used for the standards' examples). */
export function refRawSigner(curve: GostCurve, ukm?: bigint): RefSign {
  const alg: Record<string, unknown> = {
    name: 'GOST R 34.10',
    version: 2012,
    length: curve.bits,
    procreator: 'CP',
    curve: { p: hx(curve.p), a: hx(curve.a), b: hx(curve.b), q: hx(curve.q), x: hx(curve.gx), y: hx(curve.gy) },
  };
  if (ukm !== undefined) alg.ukm = bigIntToBytesLE(ukm, curve.size);
  return GostEngine.getGostSign(alg);
}

// ---------------------------------------------------------------- OpenSSL gost engine
export const GOST_ENGINE_PACKAGE = 'libengine-gost-openssl';

export interface RunResult {
  status: number | null;
  stdout: Buffer;
  stderr: string;
}

export function openssl(args: string[], input?: Uint8Array): RunResult {
  const r = spawnSync('openssl', args, { input, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? String(r.error ?? '') };
}

let engine: boolean | undefined;
/**
 * Whether `openssl -engine gost` works. Under CI=true a missing engine throws, naming the
 * Debian package; elsewhere it writes one stderr line and the caller skips its block.
 */
export function gostEngineAvailable(): boolean {
  if (engine !== undefined) return engine;
  const r = openssl(['dgst', '-engine', 'gost', '-md_gost94'], new Uint8Array(0));
  engine = r.status === 0 && /= ?[0-9a-f]{64}/.test(r.stdout.toString());
  if (!engine) {
    const msg = `OpenSSL's gost engine is not usable (openssl dgst -engine gost failed: ${r.stderr.trim().split('\n')[0] ?? ''}); install the Debian package ${GOST_ENGINE_PACKAGE}`;
    if (process.env.CI === 'true') throw new Error(`${msg}: CI must have it`);
    process.stderr.write(`${msg}: OpenSSL cross-checks not run\n`);
  }
  return engine;
}
