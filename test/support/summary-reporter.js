// Prints the plain closing line CI reads ("N passed, N failed, N skipped") after jest's own
// summary: jest writes its summary once every reporter's onRunComplete has returned, so the
// line is written on a timer that keeps the process alive just long enough.
'use strict';
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests: p, numFailedTests: f, numPendingTests: s, numRuntimeErrorTestSuites: e } = results;
    setTimeout(() => process.stderr.write(`\n${p} passed, ${f + e} failed, ${s} skipped\n`), 100);
  }
}
module.exports = SummaryReporter;
