// Where the worker thread's entry module is: next to this file, with this file's extension
// (`.ts` when running from source under ts-jest or a TypeScript loader, `.js` when built). This is
// the CommonJS form; scripts/build.mjs writes the ES-module form (import.meta.url) into dist/esm.

import { extname, join } from 'node:path';

export function workerEntryPath(): string {
  return join(__dirname, `worker-entry${extname(__filename)}`);
}
