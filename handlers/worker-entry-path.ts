// Where the worker thread's entry module is: next to this file, with this file's extension
// (`.ts` when running from source under ts-jest or a TypeScript loader, `.js` when built). In
// dist/esm, scripts/build.mjs defines __filename and __dirname from import.meta.url.

import { extname, join } from 'node:path';

export function workerEntryPath(): string {
  return join(__dirname, `worker-entry${extname(__filename)}`);
}
