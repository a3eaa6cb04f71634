import type { FixtureCase } from './fixtures';
import { runCase, type CaseResult, type RunOptions } from './run';

/**
 * Run every case, `concurrency` at a time; `onResult` hears of each as it completes. The results
 * come back in the order of `cases`.
 */
export async function replayCases(cases: FixtureCase[], o: RunOptions, concurrency: number, onResult?: (r: CaseResult) => void): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const i = next++;
      results[i] = await runCase(cases[i], o);
      onResult?.(results[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, cases.length)) }, worker));
  return results;
}
