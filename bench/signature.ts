// Whole-envelope signature work on the hot path, as the pipeline does it: parse, exclusive c14n
// with libxml2, digests, and the signature; for a 5 KB envelope, RSA-SHA256 and GOST 2012-256.
// Each figure beside the bare primitive it contains (same run, one core), so the ratio shows
// what the XML work costs. How to run: bench/README.md.
import { createSign, createVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadXml } from '../src/xml/libxml';
import { parseEnvelope } from '../src/envelope/parse';
import { verifyEnvelopeSignatures } from '../src/signature/verify';
import { signEnvelope } from '../src/signature/sign';
import { newKey, signatureUriFor } from '../src/signature/identity';
import { issueCertificate } from '../src/signature/certs';
import * as gost from '../src/crypto/gost';

const SECONDS = Number(process.env.BENCH_SECONDS ?? '1');

function opsPerSec(fn: () => unknown): number {
  const warm = performance.now() + 200;
  while (performance.now() < warm) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now < start + SECONDS * 1000) {
    fn();
    n++;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

async function main(): Promise<void> {
  await loadXml();

  const base = readFileSync(join(__dirname, '..', '..', '..', 'test', 'data', 'echo', 'request.xml'), 'utf8');
  const filler = Array.from({ length: 40 }, (_, i) => `<e:Line n="${i}">Запись ${i}: Иванов Иван Иванович, 1985-07-14, СНИЛС 158-301-447 53</e:Line>`).join('');
  const envelope = Buffer.from(base.replace('</smev:AppData>', `${filler}</smev:AppData>`));

  const rows: [string, number, number | undefined, string][] = [];
  const target = (v: number, min: number) => `≥ ${min}: ${v >= min ? 'met' : 'MISSED'}`;
  for (const alg of ['rsa', 'gost2012-256'] as const) {
    const k = newKey(alg);
    const cert = issueCertificate({ subject: { CN: 'MINZ01001' }, spki: k.spki, issuerKey: k.key, ca: true });
    const signer = { key: k.key, certificate: cert.der, signatureUri: signatureUriFor(k.key) };
    const signed = signEnvelope(envelope, 'http://smev.gosuslugi.ru/actors/smev', signer, { header: false });
    const check = () => {
      const p = parseEnvelope(signed);
      try {
        const v = verifyEnvelopeSignatures(p);
        if (!v[0]!.ok) throw new Error(`bench envelope does not verify: ${v[0]!.reason}`);
      } finally {
        p.doc.dispose();
      }
    };
    check();
    // the primitive inside: one signature verify over ~1 KB of SignedInfo
    const data = Buffer.alloc(1024, 7);
    let primitiveVerify: () => unknown;
    let primitiveSign: () => unknown;
    if (k.key.kind === 'rsa') {
      const key = k.key.key;
      const sig = createSign('sha256').update(data).sign(key);
      primitiveVerify = () => createVerify('sha256').update(data).verify(key, sig);
      primitiveSign = () => createSign('sha256').update(data).sign(key);
    } else {
      const g = k.key;
      const pub = gost.publicKeyFromPrivate(g.curve, g.d);
      const d = gost.digest('streebog256', data);
      const sig = gost.sign(g.curve, g.d, d);
      primitiveVerify = () => gost.verify(g.curve, pub, gost.digest('streebog256', data), sig);
      primitiveSign = () => gost.sign(g.curve, g.d, gost.digest('streebog256', data));
    }
    const name = alg === 'rsa' ? 'RSA-SHA256' : 'GOST 2012-256';
    const v = opsPerSec(check);
    const pv = opsPerSec(primitiveVerify);
    rows.push([`${name}: verify a 5 KB envelope (parse, c14n, digest, signature)`, v, pv, target(v, alg === 'rsa' ? 400 : 200)]);
    const s = opsPerSec(() => signEnvelope(envelope, 'http://smev.gosuslugi.ru/actors/smev', signer, { header: false }));
    const ps = opsPerSec(primitiveSign);
    rows.push([`${name}: sign a 5 KB envelope (parse, c14n, digest, signature, splice)`, s, ps, alg === 'rsa' ? '' : target(s, 500)]);
  }
  const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: n < 100 ? 1 : 0 });
  process.stdout.write(`envelope ${envelope.length} bytes, ${SECONDS} s per figure, node ${process.version}\n\n`);
  process.stdout.write('| operation | envelope ops/s | primitive alone ops/s | envelope / primitive | target |\n|---|---:|---:|---:|---|\n');
  for (const [n, v, p, t] of rows) process.stdout.write(`| ${n} | ${fmt(v)} | ${p ? fmt(p) : ''} | ${p ? `${((100 * v) / p).toFixed(0)} %` : ''} | ${t} |\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exit(1);
});
