// The package as npm publishes it, for the tests of what a user gets. The working tree is copied
// without dist/ or anything git ignores (what a fresh clone holds, plus edits not yet committed),
// packed with `npm pack` (which must build it: prepack), and the tarball is installed once into a
// throw-away directory under the system temp directory, as a user's project installs it from the
// registry. Projects in its subdirectories (one per module format or resolution) find it in the
// node_modules above them.

import { execFile, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The repository this test runs in. */
export const repo = join(__dirname, '..', '..');

/** The packed package and where it is installed. */
export interface Published {
  /** The temp directory holding everything below; removed by remove(). */
  work: string;
  /** The .tgz `npm pack` wrote. */
  tarball: string;
  /** The tarball's files, as npm pack lists them (`dist/cjs/index.js`, `LICENSE`, ...). */
  files: string[];
  /** The directory whose node_modules holds zookit installed from the tarball (and eventemitter3). */
  consumers: string;
}

/** Runs a command; resolves with its exit code and output, whatever the code. */
export function runAsync(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr }),
    );
  });
}

/** The working tree as a clone would have it (tracked and new files, nothing ignored), copied. */
function copyTree(to: string): void {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
  });
  for (const file of listed.split('\0')) {
    // A tracked file deleted in the working tree is still listed.
    if (file === '' || !existsSync(join(repo, file))) continue;
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(repo, file), join(to, file));
  }
  // The build needs the compiler, as `npm ci` would have installed it.
  symlinkSync(realpathSync(join(repo, 'node_modules')), join(to, 'node_modules'));
}

/** Packs a fresh copy of the working tree and installs the tarball. Takes about 15 s. */
export function publish(): Published {
  const work = mkdtempSync(join(tmpdir(), 'zookit-published-'));
  const tree = join(work, 'zookit');
  copyTree(tree);
  // The build's own output (lifecycle scripts share stdout with --json) comes before the JSON.
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: tree,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [packed] = JSON.parse(out.slice(out.indexOf('[\n'))) as [
    { filename: string; files: Array<{ path: string }> },
  ];
  const tarball = join(work, packed.filename);
  const consumers = join(work, 'consumers');
  mkdirSync(consumers);
  writeFileSync(join(consumers, 'package.json'), JSON.stringify({ name: 'consumers', private: true }));
  // eventemitter3 comes from the registry, or npm's cache when it has it.
  execFileSync('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: consumers,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { work, tarball, files: packed.files.map((f) => f.path), consumers };
}
