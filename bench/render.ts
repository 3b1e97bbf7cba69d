// Writes bench/RESULTS.md again from a run's raw data, without measuring anything:
// `npx tsc -p tsconfig.dev.json && node .build/bench/render.js [RESULTS.json] [RESULTS.md]`
// (defaults: .build/bench/RESULTS.json, bench/RESULTS.md).

import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderFullReport } from './full-report.js';
import { REPO_ROOT } from './repo-root.js';
import type { RunReport } from './report.js';

const data = process.argv[2] ?? join(REPO_ROOT, '.build', 'bench', 'RESULTS.json');
const out = process.argv[3] ?? join(REPO_ROOT, 'bench', 'RESULTS.md');
const report = JSON.parse(readFileSync(data, 'utf8')) as RunReport;
writeFileSync(out, renderFullReport(report));
spawnSync(join(REPO_ROOT, 'node_modules', '.bin', 'biome'), ['format', '--write', out], { stdio: 'ignore' });
console.log(`bench: wrote ${out} from ${data}`);
