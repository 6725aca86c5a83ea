/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  snapshotSerializers: ['<rootDir>/test/support/hash-serializer.js'],
  testTimeout: 120000,
  // Two workers on any machine (JEST_MAX_WORKERS overrides, as does --maxWorkers): jest's default on
  // two cores is one, which leaves a core idle whenever a file waits on moto, cfn-lint, Python or a browser.
  maxWorkers: Number(process.env.JEST_MAX_WORKERS) || 2,
  setupFilesAfterEnv: ['<rootDir>/test/support/count-assertions.js', '<rootDir>/test/support/profile-run.js'],
  globalSetup: '<rootDir>/test/support/global-setup.js',
  globalTeardown: '<rootDir>/test/support/global-teardown.js',
  // The wall time of each whole-suite run, for `npm run bench` (.bench/test-suite.json).
  reporters: ['default', '<rootDir>/test/support/suite-timing-reporter.js'],
};
