// npm test: the whole suite twice, on each store the gateway runs on: first on SQLite, then on
// PostgreSQL (SMEV2_TEST_STORE=postgres: every gateway gets a fresh database on the server of
// SMEV2_TEST_PG_URL). test/support/passes.js names the few files that run in one pass only.
// Arguments go to jest in both passes (npm test -- test/health.test.ts). SMEV2_TEST_STORE=sqlite
// or =postgres runs that pass alone. Without SMEV2_TEST_PG_URL the PostgreSQL pass is not run,
// said so at the end; under CI=true that is a failure. The last line adds up both passes:
// "N passed, N failed, N skipped".
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { sqliteOnly, postgresOnly } = require('../test/support/passes');

const root = join(__dirname, '..');
const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
const args = process.argv.slice(2);
const only = process.env.SMEV2_TEST_STORE;
if (only && only !== 'sqlite' && only !== 'postgres') {
  process.stderr.write(`SMEV2_TEST_STORE must be sqlite or postgres, got "${only}"\n`);
  process.exit(2);
}
const pgUrl = process.env.SMEV2_TEST_PG_URL;
if (pgUrl && pgUrl.startsWith('export ')) {
  process.stderr.write(`SMEV2_TEST_PG_URL holds a shell line, "${pgUrl}", not a URL: set it with \`source <(scripts/pg-test-cluster.sh start)\` (or SMEV2_TEST_PG_URL=$(scripts/pg-test-cluster.sh url))\n`);
  process.exit(2);
}
const ci = process.env.CI === 'true';

const passes = [
  { name: 'SQLite', store: 'sqlite', ignore: Object.keys(postgresOnly) },
  { name: 'PostgreSQL', store: 'postgres', ignore: Object.keys(sqliteOnly) },
].filter((p) => !only || p.store === only);

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const tmp = mkdtempSync(join(tmpdir(), 'smev2-test-'));
const total = { passed: 0, failed: 0, skipped: 0 };
const lines = [];
let status = 0;

for (const pass of passes) {
  if (pass.store === 'postgres' && !pgUrl) {
    const why = 'SMEV2_TEST_PG_URL is not set (a PostgreSQL server where the tests may CREATE DATABASE; `source <(scripts/pg-test-cluster.sh start)` starts a throw-away one and sets it)';
    if (ci) {
      lines.push(`PostgreSQL pass: FAILED, not run: ${why}; CI must run it (.ci/run sets it)`);
      total.failed++;
      status = 1;
    } else {
      lines.push(`PostgreSQL pass: not run: ${why}`);
    }
    continue;
  }
  const summary = join(tmp, `${pass.store}.json`);
  process.stderr.write(`\n==== ${pass.name} pass: the suite on ${pass.name}${pass.ignore.length ? ` (not in this pass: ${pass.ignore.join(', ')})` : ''}\n\n`);
  // jest.config.js reads the pass's exclusions from SMEV2_TEST_IGNORE
  const ignore = JSON.stringify(pass.ignore.map((f) => `/${escape(f)}$`));
  const r = spawnSync(process.execPath, ['--experimental-vm-modules', jest, '--passWithNoTests', ...args], {
    cwd: root, stdio: 'inherit',
    env: { ...process.env, SMEV2_TEST_STORE: pass.store, SMEV2_TEST_PASS: pass.name, SMEV2_TEST_SUMMARY_FILE: summary, SMEV2_TEST_IGNORE: ignore },
  });
  let counts;
  try {
    counts = JSON.parse(readFileSync(summary, 'utf8'));
  } catch {
    counts = { passed: 0, failed: 1, skipped: 0 }; // jest ended before its reporters ran
  }
  if (r.status !== 0 && counts.failed === 0) counts.failed = 1; // e.g. a suite that failed to run at all
  if (r.status !== 0) status = 1;
  for (const k of Object.keys(total)) total[k] += counts[k];
  lines.push(`${pass.name} pass: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
}
rmSync(tmp, { recursive: true, force: true });
process.stderr.write(`\n${lines.join('\n')}\n${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped\n`);
process.exit(status);
