import type { z } from 'zod';

/**
 * A YAML parse error as one complete sentence: the parser's reason, the line and column, and the
 * offending line itself (and the one before, where the cause usually is), instead of the parser's
 * first line, which ends in "at line 23, column 1:" with the snippet cut off.
 */
export function yamlErrorText(e: unknown, text: string): string {
  const err = e as { message?: string; linePos?: { line: number; col: number }[] };
  const reason = String(err?.message ?? e).split('\n')[0].replace(/\s*at line \d+, column \d+:?\s*$/, '').replace(/:$/, '');
  const pos = err?.linePos?.[0];
  if (!pos) return reason;
  const lines = text.split(/\r?\n/);
  const at = lines[pos.line - 1];
  const before = pos.line > 1 ? lines[pos.line - 2] : undefined;
  return `${reason}, at line ${pos.line}, column ${pos.col}, which reads ${JSON.stringify(at ?? '')}` +
    (before !== undefined ? ` (line ${pos.line - 1}: ${JSON.stringify(before)})` : '');
}

/** zod issues as `field: reason` lines. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}
