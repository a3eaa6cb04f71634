// Which test files run in which pass of `npm test` (scripts/test.js). Every other file runs in
// both passes: once on SQLite, once on PostgreSQL (SMEV2_TEST_STORE, test/support/store.ts).
// A file is listed here only when running it on the other store would test nothing it does not
// already test, and the reason says why. docs/testing.md describes the passes.
'use strict';

module.exports = {
  /** files run only in the SQLite pass; every SQLite-specific test has its PostgreSQL equivalent in the same file */
  sqliteOnly: {
    'test/pipeline-stages.test.ts': 'unit tests of the onion and the stages on a SQLite file of their own; the same stages on PostgreSQL are driven end to end by every other file',
    'test/quick-start.test.ts': "README's quick start on a fresh clone runs on the store the quick start uses, its default SQLite file, whatever the pass; it would run the same in both passes",
  },
  /** files run only in the PostgreSQL pass */
  postgresOnly: {
    'test/postgres.test.ts': 'PostgreSQL by design (its migrations and types, read through pg); it would run the same in both passes',
    'test/deploy-nginx.test.ts': 'three gateway processes behind nginx share one database, which is PostgreSQL (docs/deploy.md); it would run the same in both passes',
  },
};
