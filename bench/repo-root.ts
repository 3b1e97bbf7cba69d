// The repository the benchmark belongs to, found from where its compiled code runs: .build/bench/
// for `npm run bench`, or a directory of its own under .build/ when the CI smoke compiles it
// (spec/bench/smoke.spec.ts), so no fixed number of `..` would do.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'bench', 'run.ts')) && existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no zookit repository above ${from}`);
  }
}

/** The repository root (where package.json and bench/run.ts are). */
export const REPO_ROOT: string = findRepoRoot(__dirname);
