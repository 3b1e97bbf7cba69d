// Where the worker thread's entry module is: next to this file, with this file's extension
// (`.ts` when running from source under ts-jest or a TypeScript loader, `.js` when built). The
// code only ever runs as CommonJS (the package's ES module entries re-export dist/cjs), so
// __filename and __dirname are always there.

import { extname, join } from 'node:path';

export function workerEntryPath(): string {
  return join(__dirname, `worker-entry${extname(__filename)}`);
}
