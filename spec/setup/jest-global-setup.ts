// jest.config.js globalSetup. Loaded by jest outside the module mapper, so it imports only Node
// built-ins; the variable name matches HARNESS_RUN_DIR_ENV in process-registry.ts.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Creates a fresh run directory and exports it as ZOOKIT_HARNESS_RUN_DIR before jest starts its
 * workers, which inherit it: each JVM they start leaves a pid file there for the global teardown.
 */
export default async function globalSetup(): Promise<void> {
  process.env['ZOOKIT_HARNESS_RUN_DIR'] = mkdtempSync(join(tmpdir(), 'zookit-run-'));
}
