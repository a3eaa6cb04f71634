import { relative } from 'node:path';
import type { CaseResult } from './run';

const MARK: Record<CaseResult['outcome'], string> = { passed: 'PASS', failed: 'FAIL', error: 'ERROR', skipped: 'SKIP' };

export function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function where(dir: string): string {
  const r = relative(process.cwd(), dir);
  return r && !r.startsWith('..') ? r : dir;
}

/** The readable account of one case that did not pass: each file's differences, indented. */
export function describeResult(r: CaseResult): string {
  const head = `${MARK[r.outcome]} ${r.fixture.id}  (${where(r.fixture.dir)}, ${seconds(r.ms)})`;
  const body: string[] = [];
  if (r.message) body.push(`  ${r.message}`);
  if (r.chain.length > 1) body.push(`  chain: ${r.chain.join(' → ')}`);
  for (const f of r.findings) {
    if (!f.lines.length) continue;
    body.push(`  ${f.file}: ${f.lines.length} difference${f.lines.length === 1 ? '' : 's'}`);
    for (const l of f.lines) body.push(`    ${l}`);
  }
  return `${head}\n${body.join('\n')}\n`;
}

export function differenceCount(r: CaseResult): number {
  return r.findings.reduce((n, f) => n + f.lines.length, 0);
}

export interface Totals {
  passed: number;
  failed: number;
  error: number;
  skipped: number;
}

export function totals(results: CaseResult[]): Totals {
  const t: Totals = { passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const r of results) t[r.outcome]++;
  return t;
}

/** One row per case (SID, case, result, chain, differences, time), then the totals. */
export function summaryTable(results: CaseResult[], totalMs: number): string {
  const head = ['SID', 'CASE', 'RESULT', 'CHAIN', 'DIFFS', 'TIME'];
  const rows = results.map((r) => [
    r.fixture.sid ?? '-', r.fixture.name, MARK[r.outcome], r.chain.join(' ') || '-',
    r.outcome === 'failed' ? String(differenceCount(r)) : '-', seconds(r.ms),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  const t = totals(results);
  const parts = [`${t.passed} passed`, `${t.failed} failed`];
  if (t.error) parts.push(`${t.error} error${t.error === 1 ? '' : 's'}`);
  if (t.skipped) parts.push(`${t.skipped} skipped`);
  return `${[line(head), ...rows.map(line)].join('\n')}\n\n${results.length} case${results.length === 1 ? '' : 's'}: ${parts.join(', ')} in ${seconds(totalMs)}\n`;
}
