// Prints `tests: N passed, N failed` from jest's --json output. Exits 1 when the file is missing
// (jest never ran, e.g. lint failed first) or when jest ran no test at all.
const fs = require('node:fs');

const file = process.argv[2] ?? '.jest-results.json';
let passed = 0;
let failed = 0;
let ok = false;
try {
  const result = JSON.parse(fs.readFileSync(file, 'utf8'));
  passed = result.numPassedTests;
  failed = result.numFailedTests + (result.numRuntimeErrorTestSuites ?? 0);
  ok = result.numTotalTests > 0;
} catch (err) {
  console.error(`no jest result in ${file}: ${err.message}`);
}
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
