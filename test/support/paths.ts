import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared', 'smev2');
export const CORPUS = join(SHARED, 'corpus');

/**
 * The shared corpus lives beside the project (../shared/smev2), never inside it. CI always has
 * it; a clone elsewhere may not. Under CI=true a missing corpus fails the suite; elsewhere the
 * corpus tests are reported as not run, saying where they looked.
 */
export function corpusAvailable(): boolean {
  const ok = existsSync(join(CORPUS, 'envelopes', 'EXPECTED.tsv'));
  if (!ok) {
    const msg = `SMEV 2 corpus not found at ${CORPUS} (expected ../shared/smev2/corpus beside the project)`;
    if (process.env.CI === 'true') throw new Error(`${msg}: CI must have it`);
    process.stderr.write(`${msg}: corpus tests not run\n`);
  }
  return ok;
}

/** Every .wsdl file below `dir` (a corpus bundle folder), at any depth. */
export function wsdlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? wsdlFiles(p) : n.endsWith('.wsdl') ? [p] : [];
  });
}
