// Runs in every test file (jest.config.js setupFilesAfterEnv): whatever servers a file started are
// stopped when the file ends, even if its tests failed before their own cleanup ran. Jest runs
// root-level afterAll hooks in declaration order and this file comes first, so a test file's own
// top-level afterAll finds the servers already stopped: cleanup that still needs a live server
// (closing a client politely) belongs in afterEach or in a describe block's afterAll.
import { stopAllServers } from '../../testing/process-registry.js';

afterAll(async () => {
  await stopAllServers();
});
