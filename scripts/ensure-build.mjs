// Builds the package (scripts/build.mjs) only when dist/ is missing or older than a file it is built
// from, and never twice at once. build.mjs starts with rmSync('dist'), so two builds running side by
// side (two jest workers, or `npm run example` during a test run) would delete each other's output
// half-way; a lock directory (mkdir is atomic) makes the second caller wait for the first and then
// find dist/ fresh. Used by scripts/example.mjs and by jest's global setup, which builds once
// before any worker starts.
//
// As a module: `await ensureBuild()`. As a command: `node scripts/ensure-build.mjs`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** What dist/ is built from: the shipped rooms and the build's own configuration. */
const SOURCES = [
  'index.ts',
  'lib',
  'handlers',
  'protocol',
  'recipes',
  'testing',
  'cli',
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  'scripts/build.mjs',
];

/** Files every complete build leaves; the oldest of them dates the build. */
export const BUILT = [
  'dist/esm/index.js',
  'dist/cjs/index.js',
  'dist/esm/testing/index.js',
  'dist/cjs/testing/index.js',
  'dist/cjs/cli/main.js',
];

const LOCK = join(ROOT, '.build', 'build.lock');
/** A lock older than this (ms) is taken to be left by a build that died without removing it. */
const STALE_LOCK_MS = 5 * 60_000;

/** Newest modification time (ms) of a file, or of any file under a directory. */
export function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs; // a deleted file shows only as a newer directory
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** When the last complete build finished (ms), or undefined when dist/ is missing or incomplete. */
export function builtAt() {
  const paths = BUILT.map((file) => join(ROOT, file));
  if (!paths.every((path) => existsSync(path))) return undefined;
  return Math.min(...paths.map((path) => statSync(path).mtimeMs));
}

/** Why dist/ needs building, or undefined when it is current. */
export function staleReason() {
  const built = builtAt();
  if (built === undefined) return 'dist/ is missing or incomplete';
  const newer = SOURCES.find((source) => newestMtime(join(ROOT, source)) > built);
  return newer === undefined ? undefined : `${newer} changed since the last build`;
}

/** Builds dist/ unless it is current; waits for a build another process is running. */
export async function ensureBuild({ log = (line) => console.error(line) } = {}) {
  if (staleReason() === undefined) return;
  await withLock(() => {
    // Checked again under the lock: the build we waited for may have done the work.
    const reason = staleReason();
    if (reason === undefined) return;
    log(`building the package (${reason}): npm run build`);
    execFileSync(process.execPath, ['scripts/build.mjs'], {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });
}

async function withLock(fn) {
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      if (lockIsAbandoned()) rmSync(LOCK, { recursive: true, force: true });
      else await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    writeFileSync(join(LOCK, 'pid'), String(process.pid));
    return fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** True when the lock's holder has exited, or the lock is older than any build takes. */
function lockIsAbandoned() {
  try {
    if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) return true;
    const pid = Number.parseInt(readFileSync(join(LOCK, 'pid'), 'utf8'), 10);
    if (!Number.isInteger(pid)) return false; // the holder has not written its pid yet
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return error.code === 'ESRCH';
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await ensureBuild();
}
