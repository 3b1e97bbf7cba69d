// The repository's command-line tools (tsconfig.dev.json: the benchmark, the chaos and soak CLIs)
// compiled for a spec that runs them as processes of their own.

import { execFile } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..');

/**
 * Compiles tsconfig.dev.json into `outDir`, so no other run's .build is touched; without type
 * checking (`npm run typecheck` does that), which halves the time it takes.
 */
export function compileTools(outDir: string): Promise<void> {
  const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [tsc, '-p', join(REPO_ROOT, 'tsconfig.dev.json'), '--outDir', outDir, '--noCheck'],
      { cwd: REPO_ROOT },
      (error, stdout, stderr) => (error ? reject(new Error(`tsc failed: ${stdout}${stderr}`)) : resolve()),
    );
  });
}
