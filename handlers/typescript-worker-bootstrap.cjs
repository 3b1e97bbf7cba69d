// How a worker thread runs TypeScript sources, for tests and development. WorkerThreadsHandler
// starts its worker in this file when its worker entry is a `.ts` file (the sources under ts-jest);
// a built package's entry is JavaScript, so the package needs none of this and does not ship it:
// tsc compiles only .ts files, and this one is plain CommonJS. It teaches `require` to load `.ts`
// files through the `typescript` package (a development dependency), resolves `./x.js` imports to
// `./x.ts`, and caches each transpiled file on disk by content hash, so a worker that finds
// everything cached never loads the compiler. Then it requires `workerData.entry`.
const fs = require('node:fs');
const path = require('node:path');
const os = require('node:os');
const crypto = require('node:crypto');
const Module = require('node:module');
const { threadId, workerData } = require('node:worker_threads');
const cacheDir = path.join(os.tmpdir(), `zookit-ts-cache-${process.getuid ? process.getuid() : 'user'}`);
fs.mkdirSync(cacheDir, { recursive: true });
let ts;
function transpile(source, filename) {
  const key = crypto.createHash('sha1').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {}
  ts ??= require(require.resolve('typescript', { paths: [path.dirname(filename), process.cwd()] }));
  const out = ts.transpileModule(source, {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
      inlineSourceMap: true,
    },
  }).outputText;
  const temp = `${cached}.${process.pid}.${threadId}`;
  fs.writeFileSync(temp, out);
  fs.renameSync(temp, cached);
  return out;
}
Module._extensions['.ts'] = (module, filename) => {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  try {
    return resolve.call(this, request, parent, ...rest);
  } catch (error) {
    if (request.startsWith('.') && request.endsWith('.js')) {
      return resolve.call(this, `${request.slice(0, -3)}.ts`, parent, ...rest);
    }
    throw error;
  }
};
require(workerData.entry);
