// Unit tests run from TypeScript through ts-jest (transpile only: `npm run typecheck` checks
// types). Integration tests start real ZooKeeper servers through spec/harness, so they get long
// timeouts; every server a test file starts is stopped after it (spec/harness/jest-cleanup.ts) and
// anything a crashed worker left is killed by the global teardown.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/spec'],
  testMatch: ['**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  setupFilesAfterEnv: ['<rootDir>/spec/harness/jest-cleanup.ts'],
  globalSetup: '<rootDir>/spec/harness/jest-global-setup.ts',
  globalTeardown: '<rootDir>/spec/harness/jest-global-teardown.ts',
  testTimeout: 120000,
  maxWorkers: 2,
};
