// What a user gets from the published package: a tarball npm packs from a tree with no dist/
// (prepack builds it), with nothing dev-only in it; types that check in a project of each module
// resolution TypeScript offers (the README's examples and the public API, strict, with the
// package's declarations checked too); no problem @arethetypeswrong/cli knows of; and one copy of
// each class for an application that both imports and requires zookit. The tarball is packed and
// installed once for the whole file (spec/package/published.ts).

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { type Published, publish, repo, runAsync } from './published.js';

const tsc = join(repo, 'node_modules/typescript/bin/tsc');
const attw = join(repo, 'node_modules/@arethetypeswrong/cli/dist/index.js');

/**
 * The module resolutions a user's tsconfig may use: each a project of its own (its package.json
 * `type` decides the format of its .ts files), checking every README example and api.ts below.
 */
const projects = {
  'ESM, nodenext': { type: 'module', module: 'nodenext', moduleResolution: 'nodenext', topLevelAwait: true },
  'CommonJS, nodenext': {
    type: 'commonjs',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    topLevelAwait: false,
  },
  bundler: { type: 'module', module: 'esnext', moduleResolution: 'bundler', topLevelAwait: true },
  node10: { type: 'commonjs', module: 'commonjs', moduleResolution: 'node10', topLevelAwait: false },
} as const;
type Project = keyof typeof projects;

/**
 * What the README's examples leave to the reader (a client made earlier, the reader's own
 * functions, a socket): declared for the examples that use them without defining them. A name of
 * zookit's is never declared here; an example that uses one imports it, as a reader's file must.
 */
const readerContext: Record<string, string> = {
  zk: "declare const zk: import('zookit').ZooKeeperClient;",
  apply: 'declare function apply(config: unknown): void;',
  schedule: 'declare function schedule(path: string): void;',
  socket: "declare const socket: import('node:net').Socket;",
  fakeServer:
    "declare const fakeServer: { connect(options: import('zookit').ConnectOptions): Promise<import('zookit').Transport> };",
  sessionId: 'declare const sessionId: bigint;',
  passwd: 'declare const passwd: Uint8Array;',
};

/** Every ```ts block of the README. */
const readmeExamples = [
  ...readFileSync(join(repo, 'README.md'), 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm),
].map((m) => m[1]!);

/**
 * One README example as a module of a project: the reader's context it needs, then the example;
 * where top-level await is not allowed (CommonJS), its body goes in an async function and its
 * imports stay in front.
 */
function exampleModule(example: string, topLevelAwait: boolean): string {
  const context = Object.entries(readerContext)
    .filter(([name]) => new RegExp(`\\b${name}\\b`).test(example))
    .filter(([name]) => !new RegExp(`\\b(const|let|function|using) ${name}\\b`).test(example))
    .map(([, declaration]) => declaration);
  if (topLevelAwait) return [...context, example, 'export {};', ''].join('\n');
  const imports = example.match(/^import [^;]+;\n/gm) ?? [];
  const body = example.replace(/^import [^;]+;\n/gm, '');
  return [...imports, ...context, 'export async function example(): Promise<void> {', body, '}', ''].join(
    '\n',
  );
}

/** The public API as a user's code touches it, in every project; compiled, never run. */
const apiUse = `
import {
  type ClientState,
  type ConnectionState,
  NoNodeError,
  type Stat,
  ZooKeeperClient,
  ZooKeeperError,
} from 'zookit';
import { decodeReply, encodeRequest, OpCode, ProtocolError } from 'zookit/protocol';
import { startTestingServer, type TestingServer } from 'zookit/testing';

export function events(zk: ZooKeeperClient): void {
  const onState = (state: ClientState): void => console.log(state);
  zk.on('state', onState);
  zk.off('state', onState);
  zk.once('connectionState', (state: ConnectionState, detail: string | undefined) => console.log(state, detail));
  zk.on('error', (error: unknown) => console.error(error));
  zk.addListener((state) => state === 'LOST');
  zk.addListener('state', onState);
  zk.removeListener('state', onState);
  zk.removeAllListeners();
  // @ts-expect-error: the client's events have names and argument types.
  zk.on('no-such-event', () => {});
  const cache = zk.CuratorCache('/services');
  cache.on('nodeAdded', (node) => console.log(node.path, node.data?.length, node.stat.mzxid));
}

export async function errors(zk: ZooKeeperClient): Promise<Stat | null> {
  try {
    const [data, stat] = await zk.get('/config', undefined, { timeout: 1_000 });
    console.log(data?.toString(), stat.version);
    return stat;
  } catch (error) {
    if (error instanceof NoNodeError) return null;
    if (error instanceof ZooKeeperError) console.error(error.code, error.codeName, error.path);
    throw error;
  }
}

export function protocol(frame: Buffer): Uint8Array {
  try {
    decodeReply(frame, () => OpCode.getData);
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
  }
  return encodeRequest(1, OpCode.exists, { path: '/a', watch: false });
}

export async function testing(): Promise<string> {
  const server: TestingServer = await startTestingServer();
  const hosts = server.connectString;
  await server.close();
  return hosts;
}
`;

let published: Published;
/** Each project's tsc run, started at once in beforeAll and awaited by its own test. */
const typeChecks = new Map<Project, Promise<{ code: number; stdout: string }>>();
let attwRun: Promise<{ code: number; stdout: string; stderr: string }>;

beforeAll(() => {
  published = publish();
  attwRun = runAsync(process.execPath, [attw, published.tarball, '--format', 'json'], published.work);
  for (const [name, settings] of Object.entries(projects) as [Project, (typeof projects)[Project]][]) {
    const dir = join(published.consumers, name.replace(/\W+/g, '-'));
    mkdirSync(dir);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: settings.type }));
    const files = readmeExamples.map((example, i) => {
      writeFileSync(join(dir, `readme-${i + 1}.ts`), exampleModule(example, settings.topLevelAwait));
      return `readme-${i + 1}.ts`;
    });
    writeFileSync(join(dir, 'api.ts'), apiUse);
    const compilerOptions = {
      module: settings.module,
      moduleResolution: settings.moduleResolution,
      target: 'ES2022',
      lib: ['ES2022'],
      strict: true,
      skipLibCheck: false,
      noEmit: true,
      // @types/node as the repository has it: one the user installs, not part of this package.
      types: ['node'],
      typeRoots: [join(repo, 'node_modules/@types')],
    };
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions, files: [...files, 'api.ts'] }),
    );
    typeChecks.set(name, runAsync(process.execPath, [tsc, '-p', dir], dir));
  }
}, 120_000);

afterAll(async () => {
  // The runs a failed test left behind end before their directory goes.
  await Promise.allSettled([attwRun, ...typeChecks.values()]);
  if (published) rmSync(published.work, { recursive: true, force: true });
});

describe('the tarball npm packs from a fresh clone (no dist/)', () => {
  it('holds both entries of every export, their declarations, the licence, the README and the changelog', () => {
    for (const entry of ['index', 'protocol/index', 'testing/index']) {
      for (const file of [
        `dist/cjs/${entry}.js`,
        `dist/cjs/${entry}.d.ts`,
        `dist/esm/${entry}.js`,
        `dist/esm/${entry}.d.ts`,
      ])
        expect(published.files).toContain(file);
    }
    for (const file of [
      'package.json',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'dist/cjs/handlers/worker-entry.js',
    ])
      expect(published.files).toContain(file);
    expect(readFileSync(join(published.consumers, 'node_modules/zookit/LICENSE'), 'utf8')).toContain(
      'Apache License\n                           Version 2.0, January 2004',
    );
  });

  it('ships nothing dev-only: no tests, jest wiring, TypeScript sources or the worker TypeScript loader', () => {
    const devOnly = published.files.filter((path) =>
      /(^|\/)(spec|examples|bench|scripts|api)\/|jest|\.spec\.|worker-test-tasks|typescript-worker-bootstrap|\.tsbuildinfo$|(?<!\.d)\.ts$/.test(
        path,
      ),
    );
    expect(devOnly).toEqual([]);
    // Every compiled file comes from the package entry or one of the rooms that ship.
    const outside = published.files.filter(
      (path) =>
        path.startsWith('dist/cjs/') &&
        !/^dist\/cjs\/(package\.json|index\.(js|d\.ts|js\.map)|(lib|handlers|protocol|recipes|testing|cli)\/)/.test(
          path,
        ),
    );
    expect(outside).toEqual([]);
  });

  it('installs the zookit binary (package.json bin), which runs with plain node', () => {
    const bin = join(published.consumers, 'node_modules', '.bin', 'zookit');
    const help = execFileSync(bin, ['--help'], { encoding: 'utf8' });
    expect(help).toMatch(/^zookit: a ZooKeeper shell/);
  });

  it('holds one copy of the code: dist/esm is three ES module entries over dist/cjs, with their declarations', () => {
    expect(published.files.filter((path) => path.startsWith('dist/esm/')).sort()).toEqual(
      ['package.json', 'index.js', 'index.d.ts', 'protocol/index.js', 'protocol/index.d.ts']
        .concat(['testing/index.js', 'testing/index.d.ts'])
        .map((path) => `dist/esm/${path}`)
        .sort(),
    );
  });

  it('requires nothing it does not ship: each require() names a shipped file, a built-in, eventemitter3 or an optional peer', () => {
    // The optional peers (testcontainers, kerberos) load only when asked for; package.json lists them.
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const optionalPeers = Object.keys(pkg.peerDependenciesMeta).filter(
      (name) => pkg.peerDependenciesMeta[name]!.optional,
    );
    expect(optionalPeers.sort()).toEqual(['kerberos', 'testcontainers']);
    const installed = join(published.consumers, 'node_modules/zookit');
    const unresolved: string[] = [];
    for (const file of published.files.filter((path) => path.endsWith('.js'))) {
      const code = readFileSync(join(installed, file), 'utf8');
      for (const m of code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)|\bfrom\s+["']([^"']+)["']/g)) {
        const name = (m[1] ?? m[2])!;
        if (name.startsWith('node:') || builtinModules.includes(name)) continue;
        if (name === 'eventemitter3' || optionalPeers.includes(name)) continue;
        const target = join(file, '..', name);
        const candidates = [target, `${target}.js`, join(target, 'index.js')];
        if (!candidates.some((path) => published.files.includes(path))) unresolved.push(`${file}: ${name}`);
      }
    }
    expect(unresolved).toEqual([]);
  });

  it('ships source maps that carry their sources (the .ts files do not ship), and no declaration maps', () => {
    const maps = published.files.filter((path) => path.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(50);
    const installed = join(published.consumers, 'node_modules/zookit');
    const withoutSources = maps.filter((path) => {
      const map = JSON.parse(readFileSync(join(installed, path), 'utf8')) as {
        sources: string[];
        sourcesContent?: Array<string | null>;
      };
      return map.sourcesContent?.length !== map.sources.length || map.sourcesContent.some((s) => !s);
    });
    expect(withoutSources).toEqual([]);
    expect(maps.filter((path) => path.endsWith('.d.ts.map'))).toEqual([]);
  });
});

describe('types in a user project (strict; the package declarations checked too, no skipLibCheck)', () => {
  it('finds the README examples to check (every ```ts block)', () => {
    expect(readmeExamples.length).toBeGreaterThanOrEqual(6);
  });

  it.each(Object.keys(projects) as Project[])(
    '%s: the README examples and the public API (zookit, zookit/protocol, zookit/testing, on/off/addListener) type-check',
    async (project) => {
      const { code, stdout } = await typeChecks.get(project)!;
      expect(stdout).toBe('');
      expect(code).toBe(0);
    },
  );
});

describe('@arethetypeswrong/cli on the tarball', () => {
  it('finds no problem for node10, node16 from CommonJS, node16 from ESM or bundler, on any entry', async () => {
    const { stdout, stderr } = await attwRun;
    const { analysis, problems } = JSON.parse(stdout) as {
      analysis: { entrypoints: Record<string, { resolutions: Record<string, unknown> }> };
      problems: unknown;
    };
    expect([stderr, problems]).toEqual(['', {}]);
    expect(Object.keys(analysis.entrypoints).sort()).toEqual([
      '.',
      './package.json',
      './protocol',
      './testing',
    ]);
    for (const { resolutions } of Object.values(analysis.entrypoints))
      expect(Object.keys(resolutions).sort()).toEqual(['bundler', 'node10', 'node16-cjs', 'node16-esm']);
  });
});

describe('an application that both imports and requires zookit', () => {
  it('gets the same classes and objects from both, so instanceof holds across (every entry)', async () => {
    const script = `
      import { createRequire } from 'node:module';
      import * as zookit from 'zookit';
      import * as protocol from 'zookit/protocol';
      import * as testing from 'zookit/testing';
      const require = createRequire(import.meta.url);
      const result = {};
      for (const [entry, imported] of Object.entries({ zookit, 'zookit/protocol': protocol, 'zookit/testing': testing })) {
        const required = require(entry);
        result[entry] = {
          names: Object.keys(imported).length,
          sameNames: Object.keys(imported).sort().join() === Object.keys(required).sort().join(),
          notSame: Object.keys(required).filter((name) => imported[name] !== required[name]),
        };
      }
      const cjs = require('zookit');
      const client = new cjs.ZooKeeperClient({ hosts: '127.0.0.1:1' });
      // Not started: the CommonJS copy's client rejects with its ConnectionClosedError.
      const refused = await client.get('/a').catch((error) => error);
      const noNode = cjs.errorFromCode(-101, '/a');
      result.instanceOf = {
        clientIsEsmClient: client instanceof zookit.ZooKeeperClient,
        cjsRejectionIsEsmClass: refused instanceof zookit.ConnectionClosedError,
        cjsNoNodeIsEsmClass: noNode instanceof zookit.NoNodeError && noNode instanceof zookit.ZooKeeperError,
        esmNoNodeIsCjsClass: new zookit.NoNodeError('/a') instanceof cjs.NoNodeError,
        protocolErrorAcross: new protocol.ProtocolError('x') instanceof require('zookit/protocol').ProtocolError,
      };
      await client.close();
      console.log(JSON.stringify(result));
    `;
    writeFileSync(join(published.consumers, 'both.mjs'), script);
    const { code, stdout, stderr } = await runAsync(process.execPath, ['both.mjs'], published.consumers);
    expect([code, stderr]).toEqual([0, '']);
    const result = JSON.parse(stdout);
    for (const entry of ['zookit', 'zookit/protocol', 'zookit/testing']) {
      expect(result[entry].names).toBeGreaterThan(10);
      expect([entry, result[entry].sameNames, result[entry].notSame]).toEqual([entry, true, []]);
    }
    expect(result.instanceOf).toEqual({
      clientIsEsmClient: true,
      cjsRejectionIsEsmClass: true,
      cjsNoNodeIsEsmClass: true,
      esmNoNodeIsCjsClass: true,
      protocolErrorAcross: true,
    });
  });
});
