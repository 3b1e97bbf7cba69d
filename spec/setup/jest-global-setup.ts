// jest.config.js globalSetup. Loaded by jest outside the module mapper, so it imports only Node
// built-ins; the variable name matches HARNESS_RUN_DIR_ENV in process-registry.ts.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What this setup reads of jest's global configuration (the argument jest passes it). */
interface GlobalConfig {
  rootDir: string;
  /** The test path pattern given on the command line ('' when none). */
  testPathPattern?: string;
}

/** The test files that run the built package (dist/) rather than the sources (the herd's child processes import it). */
const BUILT_PACKAGE_SPECS = ['spec/examples.spec.ts', 'spec/package.spec.ts', 'spec/herd/herd.spec.ts'];

/** The `zookit` binary's specs, every one of which runs dist/cjs/cli/main.js. */
const CLI_SPEC_DIR = 'spec/cli';

/**
 * Creates a fresh run directory and exports it as ZOOKIT_HARNESS_RUN_DIR before jest starts its
 * workers, which inherit it: each JVM they start leaves a pid file there for the global teardown.
 */
export default async function globalSetup(globalConfig: GlobalConfig): Promise<void> {
  process.env['ZOOKIT_HARNESS_RUN_DIR'] = mkdtempSync(join(tmpdir(), 'zookit-run-'));
  if (mayRunBuiltPackageSpecs(globalConfig)) buildOnce(globalConfig.rootDir);
}

/**
 * Builds dist/ (if it is stale) here, once, before any worker starts: scripts/build.mjs begins by
 * deleting dist/, so a build inside a test file could pull the package from under an example or
 * a package test running in the other worker. scripts/ensure-build.mjs also holds a lock, so a
 * build started elsewhere meanwhile (`npm run example`) waits for this one.
 */
function buildOnce(rootDir: string): void {
  execFileSync(process.execPath, ['scripts/ensure-build.mjs'], { cwd: rootDir, stdio: 'inherit' });
}

/** False only when a path pattern was given that no test file using dist/ matches. */
function mayRunBuiltPackageSpecs({ rootDir, testPathPattern }: GlobalConfig): boolean {
  if (!testPathPattern) return true;
  const pattern = new RegExp(testPathPattern, 'i');
  const cliSpecs = readdirSync(join(rootDir, CLI_SPEC_DIR))
    .filter((name) => name.endsWith('.spec.ts'))
    .map((name) => join(CLI_SPEC_DIR, name));
  return [...BUILT_PACKAGE_SPECS, ...cliSpecs].some((file) => pattern.test(join(rootDir, file)));
}
