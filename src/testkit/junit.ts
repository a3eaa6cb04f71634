import { escapeXml } from '../envelope/build';
import type { CaseResult } from './run';
import { describeResult, differenceCount, totals } from './report';

const secs = (ms: number) => (ms / 1000).toFixed(3);

// XML 1.0 forbids most control characters even escaped
const clean = (s: string) => escapeXml(s.replace(/[\x00-\x08\x0B\x0C\x0E-\x1F]/g, '?'));

/**
 * JUnit XML as CI servers read it: one testsuite per SID, one testcase per case
 * (classname = SID, name = case); a mismatch is a <failure> holding the readable diff, a case
 * that could not run an <error>, a case without request.xml <skipped/>.
 */
export function junitXml(results: CaseResult[], totalMs: number, at = new Date()): string {
  const bySid = new Map<string, CaseResult[]>();
  for (const r of results) {
    const sid = r.fixture.sid ?? r.fixture.id.split('/')[0];
    bySid.set(sid, [...(bySid.get(sid) ?? []), r]);
  }
  const t = totals(results);
  const suites = [...bySid].map(([sid, rs]) => {
    const s = totals(rs);
    const ms = rs.reduce((n, r) => n + r.ms, 0);
    const cases = rs.map((r) => {
      const open = `    <testcase classname="${clean(sid)}" name="${clean(r.fixture.name)}" file="${clean(r.fixture.dir)}" time="${secs(r.ms)}"`;
      if (r.outcome === 'passed') return `${open}/>`;
      let inner: string;
      if (r.outcome === 'skipped') inner = `<skipped message="${clean(r.message ?? '')}"/>`;
      else if (r.outcome === 'error') inner = `<error message="${clean(r.message ?? 'error')}" type="error">${clean(describeResult(r))}</error>`;
      else {
        const n = differenceCount(r);
        const first = r.findings.find((f) => f.lines.length);
        const message = `${n} difference${n === 1 ? '' : 's'}${first ? `; ${first.file}: ${first.lines[0]}` : ''}`;
        inner = `<failure message="${clean(message)}" type="mismatch">${clean(describeResult(r))}</failure>`;
      }
      const out = r.chain.length ? `<system-out>${clean(`chain: ${r.chain.join(' ')}`)}</system-out>` : '';
      return `${open}>\n      ${inner}${out ? `\n      ${out}` : ''}\n    </testcase>`;
    });
    return `  <testsuite name="${clean(sid)}" tests="${rs.length}" failures="${s.failed}" errors="${s.error}" skipped="${s.skipped}" time="${secs(ms)}" timestamp="${at.toISOString().slice(0, 19)}">\n${cases.join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="smev2-gateway replay" tests="${results.length}" failures="${t.failed}" errors="${t.error}" skipped="${t.skipped}" time="${secs(totalMs)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
