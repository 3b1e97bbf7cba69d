// Unit tests run from TypeScript through ts-jest (transpile only: `npm run typecheck` checks
// types). Integration tests start real ZooKeeper servers through testing/ (zookit/testing), so they get long
// timeouts; every server a test file starts is stopped after it (spec/setup/jest-cleanup.ts) and
// anything a crashed worker left is killed by the global teardown.
//
// Two projects: `sequential` runs every test; `worker` runs the client integration suites again
// with WorkerThreadsHandler as every client's default handler (spec/setup/use-worker-handler.ts).

/** What both projects share. */
const base = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/spec'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

/** @type {import('jest').Config} */
module.exports = {
  globalSetup: '<rootDir>/spec/setup/jest-global-setup.ts',
  globalTeardown: '<rootDir>/spec/setup/jest-global-teardown.ts',
  testTimeout: 120000,
  maxWorkers: 2,
  projects: [
    {
      ...base,
      displayName: 'sequential',
      testMatch: ['**/*.spec.ts'],
      setupFilesAfterEnv: ['<rootDir>/spec/setup/jest-cleanup.ts'],
    },
    {
      ...base,
      displayName: 'worker',
      testMatch: ['<rootDir>/spec/client/**/*.spec.ts', '<rootDir>/spec/recipes/**/*.spec.ts'],
      // Child processes of the compiled package, not clients of this process: once is enough. The
      // kazoo interop specs check znode layouts shared with kazoo, which no handler changes, and
      // starts python processes: once too. The chaos runs (spec/recipes/chaos/) choose each
      // contender's handler themselves (two sequential, two worker, two kazoo), so a second pass
      // would test nothing new and cost another 3 JVMs and 6 contenders: sequential project only.
      testPathIgnorePatterns: [
        '/node_modules/',
        '/spec/client/process-exit\\.spec\\.ts$',
        '/spec/recipes/interop-kazoo[^/]*\\.spec\\.ts$',
        // The Curator interop specs start a JVM each, and check layouts no handler changes: once.
        '/spec/recipes/curator/[^/]*-interop\\.spec\\.ts$',
        '/spec/recipes/chaos/',
        // The chaos runner's scenarios, the soak and the herd choose each client's handler
        // themselves and run for minutes: sequential project only.
        '/spec/chaos/',
        '/spec/soak/',
        '/spec/herd/',
        // The Kerberos library keeps process-wide state (keytab, KDC): a second run in the same jest
        // worker against a new KDC would find it stale. The spec covers both handlers itself.
        '/spec/client/gssapi\\.spec\\.ts$',
      ],
      setupFilesAfterEnv: [
        '<rootDir>/spec/setup/jest-cleanup.ts',
        '<rootDir>/spec/setup/use-worker-handler.ts',
      ],
    },
  ],
};
