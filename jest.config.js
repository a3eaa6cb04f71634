/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // npm test (scripts/test.js) leaves out of each pass the files test/support/passes.js names
  testPathIgnorePatterns: ['/node_modules/', ...JSON.parse(process.env.SMEV2_TEST_IGNORE || '[]')],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Most suites start the real gateway process; two workers fit this 2-core machine.
  maxWorkers: 2,
  testTimeout: 60000,
  // SMEV2_TEST_STORE=postgres: the databases a test file made are dropped when it ends
  setupFilesAfterEnv: ['<rootDir>/test/support/setup-store.ts'],
  reporters: ['default', ['<rootDir>/test/support/summary-reporter.js', {}]],
};
