// The API reports in api/: one per public entry, so that widening (or narrowing) the published
// surface is a visible, reviewed diff rather than an accident.
//
//   node scripts/api-report.mjs check    (npm run api:check, part of npm run lint)
//   node scripts/api-report.mjs update   (npm run api:update: rewrite the reports, then commit them)
//
// tsc emits the shipped rooms' declarations to .build/api-types (not dist/, so no build is
// needed first); then API Extractor reads each entry's declarations with the one shared config,
// api/api-extractor.jsonc, given that entry's file and report name here.
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor';

/**
 * The package's public entries (package.json `exports`): zookit, zookit/protocol, zookit/testing.
 * Every report's title says "zookit" (API Extractor takes it from package.json and refuses a
 * name with a slash); the file name says which entry it is.
 */
const entries = [
  { report: 'zookit', declarations: 'index.d.ts' },
  { report: 'zookit-protocol', declarations: 'protocol/index.d.ts' },
  { report: 'zookit-testing', declarations: 'testing/index.d.ts' },
];

const mode = process.argv[2];
if (mode !== 'check' && mode !== 'update') {
  console.error('usage: node scripts/api-report.mjs check|update');
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const typesDir = join(root, '.build/api-types');
const configFile = join(root, 'api/api-extractor.jsonc');

rmSync(typesDir, { recursive: true, force: true });
try {
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      ...['-p', join(root, 'tsconfig.build.json'), '--emitDeclarationOnly'],
      ...['--declarationMap', 'false', '--sourceMap', 'false', '--outDir', typesDir],
    ],
    { stdio: 'inherit' },
  );
} catch {
  console.error('api: tsc could not emit the declarations (see above)');
  process.exit(1);
}

const packageJsonFullPath = join(root, 'package.json');
const changed = [];
let failed = false;
// One TypeScript program for the three entries (the config includes all of .build/api-types).
let compilerState;
for (const entry of entries) {
  const configObject = ExtractorConfig.loadFile(configFile);
  configObject.mainEntryPointFilePath = `<projectFolder>/.build/api-types/${entry.declarations}`;
  configObject.apiReport.reportFileName = entry.report;
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: configFile,
    packageJsonFullPath,
  });
  compilerState ??= CompilerState.create(config);
  const result = Extractor.invoke(config, {
    compilerState,
    localBuild: mode === 'update',
    printApiReportDiff: mode === 'check',
    messageCallback(message) {
      // The first is replaced by the one instruction printed at the end; the second is chatter.
      if (message.messageId === 'console-api-report-not-copied') message.handled = true;
      if (message.messageId === 'console-preamble') message.handled = true;
    },
  });
  if (result.apiReportChanged) changed.push(`api/${entry.report}.api.md`);
  // Check mode fails on any warning (a changed report is one); update mode only on errors.
  if (!result.succeeded) failed = true;
}

if (mode === 'check' && changed.length > 0) {
  console.error(
    `\napi:check: the public API differs from ${changed.join(', ')} (diff above).\n` +
      'If the change is intended, run `npm run api:update` and commit the updated report with it.',
  );
  process.exit(1);
}
if (mode === 'update' && changed.length > 0) console.log(`api:update: updated ${changed.join(', ')}`);
if (failed) console.error(`api:${mode}: API Extractor reported the problems above`);
process.exit(failed ? 1 : 0);
