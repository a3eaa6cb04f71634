// Runs the crypto-only line (bench/crypto-line.ts) in a process of its own, for `npm run bench`
// and `npm run bench:instances`: the signature work of one full-pipeline exchange on one thread,
// whose 1 / (time of one exchange) is one process's crypto-bound limit.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './fixtures';
import { track } from './services';
import type { CryptoLine } from './report';

/** The line of one request file and the answer file the provider sends back, with these keys and systems. */
export function runCryptoLine(o: { keys: string; systems: string; request: string; answer: string }): Promise<Omit<CryptoLine, 'alg' | 'size'>> {
  const args = [join(ROOT, '.tmp', 'bench', 'bench', 'crypto-line.js'), '--keys', o.keys, '--systems', o.systems, '--request', o.request, '--answer', o.answer];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const t = track(child);
    void t.exited.then((code) => {
      const out = t.output();
      if (code !== 0) return reject(new Error(`crypto line failed:\n${out}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as Omit<CryptoLine, 'alg' | 'size'>);
    });
  });
}
