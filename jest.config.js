/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  // Most suites start the real gateway process; two workers fit this 2-core machine.
  maxWorkers: 2,
  testTimeout: 60000,
  reporters: ['default', ['<rootDir>/test/support/summary-reporter.js', {}]],
};
