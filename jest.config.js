/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  preset: 'ts-jest',
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  // Workflow tests share one time-skipping server per file; the API tests share the dev server.
  testTimeout: 120_000,
  maxWorkers: 1,
  // The SDK's native runtime keeps a handle jest reports as open after teardown (a known false positive).
  forceExit: true,
};
