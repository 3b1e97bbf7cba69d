// The layer check (`npm run lint:layers`, .dependency-cruiser.cjs) is only worth having if it
// fails on the faults it is meant to catch. This spec lays a tiny tree shaped like the repository
// in a temporary directory, first clean and then with one planted fault per rule, and runs
// dependency-cruiser over it exactly as `npm run lint:layers` does (the same config and
// arguments). Nothing is written inside the repository: other specs run beside this one.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const repo = join(__dirname, '..', '..');
const depcruise = join(repo, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** The arguments of `npm run lint:layers`, so the spec checks what lint runs. */
function lintLayersArgs(): string[] {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const [command, ...args] = (pkg.scripts['lint:layers'] as string).split(/\s+/);
  expect(command).toBe('depcruise');
  return args.map((arg) => (arg === '.dependency-cruiser.cjs' ? join(repo, arg) : arg));
}

/** A clean tree: every room used the way the rules allow. */
const clean: Record<string, string> = {
  'package.json': JSON.stringify({
    name: 'zookit',
    dependencies: { eventemitter3: '*', typescript: '*' },
    devDependencies: { 'fast-check': '*', kerberos: '*', testcontainers: '*' },
    peerDependencies: { kerberos: '*', testcontainers: '*' },
    peerDependenciesMeta: { kerberos: { optional: true }, testcontainers: { optional: true } },
  }),
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      paths: {
        zookit: ['./index.ts'],
        'zookit/protocol': ['./protocol/index.ts'],
        'zookit/testing': ['./testing/index.ts'],
      },
    },
  }),
  'index.ts': [
    "export * from './lib/client/client.js';",
    "export * from './lib/errors.js';",
    "export * from './protocol/index.js';",
    "export * from './recipes/data-watch.js';",
  ].join('\n'),
  'protocol/index.ts': "export * from './codec.js';",
  'protocol/codec.ts': "import { Buffer } from 'node:buffer';\nexport const empty = Buffer.alloc(0);",
  'handlers/handler.ts': [
    "import { setTimeout } from 'node:timers';",
    "import type { empty } from '../protocol/codec.js';",
    'export type Frame = typeof empty;',
    'export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));',
  ].join('\n'),
  'lib/errors.ts':
    "import { empty } from '../protocol/codec.js';\nexport class ZooKeeperError extends Error {}\nexport { empty };",
  'lib/session/loop.ts': "import { sleep } from '../../handlers/handler.js';\nexport const loop = sleep;",
  'lib/client/client.ts': [
    "import EventEmitter from 'eventemitter3';",
    "import { loop } from '../session/loop.js';",
    "import { bindRecipes } from './recipe-factories.js';",
    'export class ZooKeeperClient extends EventEmitter { recipes = bindRecipes(); run = loop; }',
  ].join('\n'),
  'lib/client/recipe-factories.ts':
    "import { DataWatch } from '../../recipes/data-watch.js';\nexport const bindRecipes = () => ({ DataWatch });",
  'lib/sasl/gssapi.ts':
    "import type { KerberosClient } from 'kerberos';\nexport type Client = KerberosClient;",
  'lib/recipe-client.ts': [
    "export { ZooKeeperError } from './errors.js';",
    'export interface RecipeClient { getData(path: string): Promise<Uint8Array>; }',
  ].join('\n'),
  'recipes/data-watch.ts': [
    "import type { RecipeClient } from '../lib/recipe-client.js';",
    "import { empty } from '../protocol/index.js';",
    'export class DataWatch { constructor(readonly client: RecipeClient, readonly initial = empty) {} }',
  ].join('\n'),
  'testing/index.ts': [
    "import type { StartedTestContainer } from 'testcontainers';",
    "import { ZooKeeperClient } from '../index.js';",
    "import { empty } from '../protocol/index.js';",
    "export { startServer } from './server.js';",
    'export type Container = StartedTestContainer;',
    'export const harness = { ZooKeeperClient, empty };',
  ].join('\n'),
  'testing/server.ts':
    "import { createServer } from 'node:net';\nexport const startServer = () => createServer();",
  'examples/demo.ts': [
    "import { ZooKeeperClient } from 'zookit';",
    "import { empty } from 'zookit/protocol';",
    "import { startServer } from 'zookit/testing';",
    "import { helper } from './helper.js';",
    'export const demo = [ZooKeeperClient, empty, startServer, helper];',
  ].join('\n'),
  'examples/helper.ts': 'export const helper = 1;',
  'cli/main.ts': [
    "import { ZooKeeperClient } from '../index.js';",
    "import { startServer } from '../testing/index.js';",
    "import { ls } from './ls.js';",
    'export const main = [ZooKeeperClient, startServer, ls];',
  ].join('\n'),
  'cli/ls.ts': 'export const ls = 1;',
  'spec/support.ts': 'export const fixture = 1;',
};

/** One planted fault per rule: the file, its text, and the violation it must produce. */
const faults: Array<{ rule: string; file: string; text: string; to: string }> = [
  {
    rule: 'protocol-imports-no-room',
    file: 'protocol/a.ts',
    text: "export { ZooKeeperError } from '../lib/b.js';",
    to: 'lib/b.ts',
  },
  {
    rule: 'handlers-import-only-protocol',
    file: 'handlers/x.ts',
    text: "export { loop } from '../lib/session/loop.js';",
    to: 'lib/session/loop.ts',
  },
  {
    rule: 'lib-imports-only-lower-rooms',
    file: 'lib/uses-harness.ts',
    text: "export { startServer } from '../testing/index.js';",
    to: 'testing/index.ts',
  },
  {
    rule: 'lib-imports-recipes-only-in-binding',
    file: 'lib/client/helper.ts',
    text: "export { DataWatch } from '../../recipes/data-watch.js';",
    to: 'recipes/data-watch.ts',
  },
  {
    // Type-only: the rules count `import type` too.
    rule: 'recipes-use-public-api',
    file: 'recipes/lock.ts',
    text: "import type { ZooKeeperClient } from '../lib/client/client.js';\nexport type L = ZooKeeperClient;",
    to: 'lib/client/client.ts',
  },
  {
    rule: 'testing-uses-entry-points',
    file: 'testing/raw.ts',
    text: "export { empty } from '../protocol/codec.js';",
    to: 'protocol/codec.ts',
  },
  {
    rule: 'cli-uses-entry-points',
    file: 'cli/rm.ts',
    text: "export { loop } from '../lib/session/loop.js';",
    to: 'lib/session/loop.ts',
  },
  {
    rule: 'shipped-code-no-tests',
    file: 'lib/debug.ts',
    text: "export { fixture } from '../spec/support.js';",
    to: 'spec/support.ts',
  },
  {
    rule: 'shipped-code-no-dev-deps',
    file: 'lib/random.ts',
    text: "import fc from 'fast-check';\nexport const arb = fc.integer();",
    to: 'node_modules/fast-check/',
  },
  {
    rule: 'shipped-code-runtime-deps-only',
    file: 'lib/compile.ts',
    text: "import ts from 'typescript';\nexport const version = ts.version;",
    to: 'node_modules/typescript/',
  },
  {
    rule: 'testcontainers-only-in-testing',
    file: 'lib/docker.ts',
    text: "import type { GenericContainer } from 'testcontainers';\nexport type C = GenericContainer;",
    to: 'node_modules/testcontainers/',
  },
  {
    rule: 'kerberos-only-in-gssapi',
    file: 'lib/sasl/digest.ts',
    text: "import type { KerberosClient } from 'kerberos';\nexport type C = KerberosClient;",
    to: 'node_modules/kerberos/',
  },
  {
    rule: 'examples-use-package-names',
    file: 'examples/peek.ts',
    text: "export { ZooKeeperError } from '../lib/errors.js';",
    to: 'lib/errors.ts',
  },
  {
    // A two-file cycle, found from either end. Its b → a half is type-only: without counting
    // type-only imports there would be no cycle.
    rule: 'no-cycles',
    file: 'lib/watches/a.ts',
    text: "import { b } from './b.js';\nexport const a = () => b;",
    to: 'lib/watches/b.ts',
  },
  {
    rule: 'no-unresolvable',
    file: 'lib/typo.ts',
    text: "export { x } from './no-such-file.js';",
    to: './no-such-file.js',
  },
];

/** Files the faults need that are no fault themselves. */
const faultSupport: Record<string, string> = {
  // What protocol/a.ts imports: a lib/ file nothing else uses (so no second cycle is planted).
  'lib/b.ts': 'export class ZooKeeperError extends Error {}',
  // The other half of the no-cycles fault.
  'lib/watches/b.ts': "import type { a } from './a.js';\nexport const b = 1;\nexport type A = typeof a;",
};

interface Violation {
  rule: string;
  from: string;
  to: string;
}

let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'zookit-layers-'));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Lays out `files` in a fresh directory under the temp root, with the repository's packages. */
function layTree(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), `${text}\n`);
  }
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Runs `npm run lint:layers`'s command in `dir`, with its output type switched to `outputType`. */
function lintLayers(dir: string, outputType: 'err' | 'json') {
  const args = lintLayersArgs().map((arg) => (arg === 'err' ? outputType : arg));
  return spawnSync(process.execPath, [depcruise, ...args], { cwd: dir, encoding: 'utf8' });
}

/** The layer check's violations in `dir` (rule, from, to); fails if it did not run. */
function violationsIn(dir: string): Violation[] {
  const run = lintLayers(dir, 'json');
  if (!run.stdout.startsWith('{')) throw new Error(`dependency-cruiser failed:\n${run.stderr}`);
  const result = JSON.parse(run.stdout) as {
    summary: { violations: Array<{ rule: { name: string } } & Violation> };
  };
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

describe('layer rules (.dependency-cruiser.cjs)', () => {
  let cleanTree: string;
  let faultyTree: string;

  beforeAll(() => {
    cleanTree = layTree('clean', clean);
    const files = { ...clean, ...faultSupport };
    for (const fault of faults) files[fault.file] = fault.text;
    faultyTree = layTree('faulty', files);
  });

  it('passes a tree where every room imports only what its rules allow', () => {
    expect(violationsIn(cleanTree)).toEqual([]);
    expect(lintLayers(cleanTree, 'err').status).toBe(0);
  });

  it('names the rule each planted fault breaks, and flags nothing else', () => {
    const violations = violationsIn(faultyTree);
    // A cycle is reported once, from whichever of its files the cruise meets first.
    const matches = (v: Violation, f: (typeof faults)[number]) =>
      v.rule === f.rule &&
      ((v.from === f.file && v.to.includes(f.to)) ||
        (f.rule === 'no-cycles' && v.from === f.to && v.to === f.file));
    const missing = faults.filter((f) => !violations.some((v) => matches(v, f)));
    const unexpected = violations.filter((v) => !faults.some((f) => matches(v, f)));
    expect(missing).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('fails with each broken rule named in the output lint prints', () => {
    const run = lintLayers(faultyTree, 'err');
    expect(run.status).not.toBe(0);
    for (const fault of faults)
      expect(run.stdout).toContain(`error ${fault.rule}: ${fault.file.split('/')[0]}/`);
  });

  it('has a planted fault for every rule in the config', () => {
    const config = require(join(repo, '.dependency-cruiser.cjs')) as { forbidden: Array<{ name: string }> };
    const planted = new Set(faults.map((f) => f.rule));
    expect(config.forbidden.map((r) => r.name).filter((name) => !planted.has(name))).toEqual([]);
  });
});
