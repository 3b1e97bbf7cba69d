// The built package in place (dist/, as the examples and `node -e` inside the repository see it):
// each entry with its types, under import and require, the connection loop's worker found from
// either, and eventemitter3 as the only runtime dependency. What the packed tarball holds, and how
// a user's project sees it, is spec/package/consumers.spec.ts.

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const entries = ['zookit', 'zookit/protocol', 'zookit/testing'];

function run(args: string[]): string {
  return execFileSync(process.execPath, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function runAsync(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, { encoding: 'utf8' }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
}

// dist/ is built (when stale) once by the jest global setup, before any worker starts
// (spec/setup/jest-global-setup.ts): a build here would delete dist/ under the examples spec.
describe('package', () => {
  it('depends on eventemitter3 alone at run time', () => {
    expect(Object.keys(pkg.dependencies)).toEqual(['eventemitter3']);
    expect(pkg.peerDependenciesMeta.testcontainers.optional).toBe(true);
  });

  it('builds the examples against the package entries, not against the sources', () => {
    // examples/tsconfig.json has no path mapping: `zookit` and `zookit/testing` resolve through
    // package.json `exports` to the dist/ built above, as in a user's project.
    run(['node_modules/typescript/bin/tsc', '-p', 'examples', '--outDir', '.build/examples-check']);
    const demo = readFileSync('.build/examples-check/demo.js', 'utf8');
    expect(demo).toContain('require("zookit")');
    expect(demo).toContain('require("zookit/testing")');
    for (const name of ['demo.ts', 'watches.ts', 'busy-main-thread.ts']) {
      expect(readFileSync(`examples/${name}`, 'utf8')).not.toMatch(/from '\.\.?\//);
    }
  });

  it('keeps the wire codec behind zookit/protocol and the names of results and errors in zookit', () => {
    const main = Object.keys(require(join(process.cwd(), 'dist/cjs/index.js')));
    const protocol = Object.keys(require(join(process.cwd(), 'dist/cjs/protocol/index.js')));
    for (const codec of [
      'encodeRequest',
      'decodeReply',
      'JuteReader',
      'JuteWriter',
      'FrameAccumulator',
      'OpCode',
      'Xid',
    ]) {
      expect([codec, main.includes(codec)]).toEqual([codec, false]);
      expect([codec, protocol.includes(codec)]).toEqual([codec, true]);
    }
    for (const name of [
      'ZooKeeperClient',
      'EventType',
      'KeeperState',
      'Perm',
      'ErrorCode',
      'NoNodeError',
      'ProtocolError',
    ]) {
      expect([name, main.includes(name)]).toEqual([name, true]);
    }
    // Type-only names (Stat, ACL, ...) are checked by the API report (api/zookit.api.md). The
    // bound catches a room exported whole by mistake; the entry holds the client, its errors and
    // enums, and kazoo's and Curator's recipes with their helpers (156 names in all).
    expect(main.length).toBeLessThan(180);
  });

  it('lists types first in every export condition', () => {
    for (const [name, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      for (const format of ['import', 'require']) {
        const conditions = (target as Record<string, Record<string, string>>)[format]!;
        expect([name, Object.keys(conditions)[0]]).toEqual([name, 'types']);
        expect(existsSync(conditions.types!)).toBe(true);
        expect(existsSync(conditions.default!)).toBe(true);
      }
    }
  });

  it.each(entries)('loads %s with require() and with import, the same names from both', (entry) => {
    const viaRequire = run([
      '-e',
      `console.log(Object.keys(require(${JSON.stringify(entry)})).sort().join(','))`,
    ]);
    const viaImport = run([
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(entry)}); console.log(Object.keys(m).sort().join(','))`,
    ]);
    expect(viaRequire.trim().length).toBeGreaterThan(0);
    expect(viaImport.trim()).toBe(viaRequire.trim());
  });

  it('gives ESM importers ES modules and require() callers CommonJS', () => {
    const esm = run([
      '--input-type=module',
      '-e',
      `import { EventType, NoNodeError } from 'zookit'; console.log(EventType.NodeDataChanged, new NoNodeError().code, import.meta.resolve('zookit'))`,
    ]);
    expect(esm).toMatch(/^3 -101 .*dist\/esm\/index\.js/);
    const cjs = run([
      '-e',
      `const z = require('zookit/protocol'); console.log(z.OpCode.multi, require.resolve('zookit'))`,
    ]);
    expect(cjs).toMatch(/^14 .*dist\/cjs\/index\.js/);
  });

  it('runs the connection loop in a worker thread from import and from require() (dist/cjs holds the worker entry)', async () => {
    // Nothing listens on port 1: the reason start() gives can only come from the loop in the worker.
    const body = `
      const zk = new ZooKeeperClient({ hosts: '127.0.0.1:1', handler: new WorkerThreadsHandler() });
      const errors = [];
      zk.on('error', (e) => errors.push(e.message));
      zk.start({ timeout: 5000 }).then(
        () => console.log('connected?'),
        (e) => console.log(JSON.stringify({ message: e.message, errors })),
      );
    `;
    // Each waits out its start() timeout: the three run side by side.
    const [esm, cjs, exposeGc] = await Promise.all([
      runAsync([
        '--input-type=module',
        '-e',
        `import { ZooKeeperClient, WorkerThreadsHandler } from 'zookit'; ${body}`,
      ]),
      runAsync(['-e', `const { ZooKeeperClient, WorkerThreadsHandler } = require('zookit'); ${body}`]),
      // A flag Node refuses in workers (the benchmark's watch figure runs with it) is left out.
      runAsync([
        '--expose-gc',
        '-e',
        `const { ZooKeeperClient, WorkerThreadsHandler } = require('zookit'); ${body}`,
      ]),
    ]);
    for (const out of [esm, cjs, exposeGc]) {
      const { message, errors } = JSON.parse(out);
      expect(message).toMatch(/could not connect to 127\.0\.0\.1:1 .*ECONNREFUSED/);
      expect(errors).toEqual([]);
    }
  });
});
