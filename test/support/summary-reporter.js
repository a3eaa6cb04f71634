// Prints the plain closing line CI reads ("N passed, N failed, N skipped") after jest's own
// summary: jest writes its summary once every reporter's onRunComplete has returned, so the
// line is written on a timer that keeps the process alive just long enough.
// Under scripts/test.js (npm test) the line names its pass (SMEV2_TEST_PASS) and the counts are
// also written to SMEV2_TEST_SUMMARY_FILE, from which scripts/test.js prints the total of both passes.
'use strict';
const { writeFileSync } = require('node:fs');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests: p, numFailedTests: f, numPendingTests: s, numRuntimeErrorTestSuites: e } = results;
    const file = process.env.SMEV2_TEST_SUMMARY_FILE;
    if (file) writeFileSync(file, JSON.stringify({ passed: p, failed: f + e, skipped: s }));
    const pass = process.env.SMEV2_TEST_PASS ? `${process.env.SMEV2_TEST_PASS} pass: ` : '';
    setTimeout(() => process.stderr.write(`\n${pass}${p} passed, ${f + e} failed, ${s} skipped\n`), 100);
  }
}
module.exports = SummaryReporter;
