// The rooms and the rules between them (shared STYLE.md, "The house, room by room"), checked by
// dependency-cruiser in `npm run lint` so that a layer rule is a failing check, not a memory.
//
// Data flows one way: protocol/ (bytes) ← handlers/ (concurrency) ← lib/ (the client) ← recipes/
// (on the public API) ← index.ts (the `zookit` entry); testing/ (`zookit/testing`) stands beside
// them and sees only the published entries. Each rule is named after what it protects, and that
// name is what `npm run lint` prints for a violation.
//
// Type-only imports count (tsPreCompilationDeps): `import type` from a room you may not import
// still couples you to its shape, and the public API report would leak it.

/** The shipped rooms: what package.json `files` ships, through dist/ (cli/ is the `zookit` binary). */
const SHIPPED = '^(index\\.ts$|lib/|handlers/|protocol/|recipes/|testing/|cli/)';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'protocol-imports-no-room',
      comment:
        'protocol/ knows bytes and records only: every function in it is testable by feeding it a ' +
        'Uint8Array. It imports nothing but itself and Node built-ins: no other room, no package.',
      severity: 'error',
      from: { path: '^protocol/' },
      to: { pathNot: '^protocol/', dependencyTypesNot: ['core'], couldNotResolve: false },
    },
    {
      name: 'handlers-import-only-protocol',
      comment:
        'handlers/ knows concurrency (sockets, sleep, spawn, callbacks) and sits under the client: ' +
        'it imports protocol/ and Node built-ins only. A handler that reaches into lib/ turns the ' +
        'one-way flow into a knot: the client hands the handler what it runs.',
      severity: 'error',
      from: { path: '^handlers/' },
      to: { pathNot: '^(handlers|protocol)/', dependencyTypesNot: ['core'], couldNotResolve: false },
    },
    {
      name: 'lib-imports-only-lower-rooms',
      comment:
        'lib/ is the client: it builds on protocol/ and handlers/, never on the harness (testing/) ' +
        'or on the package entry (index.ts) that re-exports it.',
      severity: 'error',
      from: { path: '^lib/' },
      to: { path: SHIPPED, pathNot: '^(lib|protocol|handlers|recipes)/' },
    },
    {
      name: 'lib-imports-recipes-only-in-binding',
      comment:
        'Add-ons depend on the core, never the reverse. The one exception is the binding module ' +
        'that hangs the recipe factories on the client (kazoo style: client.DataWatch(...)); ' +
        'keeping it to one file keeps the rest of lib/ free of recipes.',
      severity: 'error',
      from: { path: '^lib/', pathNot: '^lib/client/recipe-factories\\.ts$' },
      to: { path: '^recipes/' },
    },
    {
      name: 'recipes-use-public-api',
      comment:
        'Recipes are built on the public client API only, through the narrow RecipeClient ' +
        'interface (lib/recipe-client.ts) and the published protocol entry (protocol/index.ts). ' +
        'If a recipe needs a private hook, the public API is missing something: add it there.',
      severity: 'error',
      from: { path: '^recipes/' },
      to: {
        path: SHIPPED,
        pathNot: ['^recipes/', '^lib/recipe-client\\.ts$', '^protocol/index\\.ts$'],
      },
    },
    {
      name: 'testing-uses-entry-points',
      comment:
        'testing/ is the published zookit/testing entry: it sees the library as its users do, ' +
        'through `zookit` (index.ts) and `zookit/protocol` (protocol/index.ts) only, so the ' +
        'harness never depends on an internal a user could not reach.',
      severity: 'error',
      from: { path: '^testing/' },
      to: { path: SHIPPED, pathNot: ['^testing/', '^index\\.ts$', '^protocol/index\\.ts$'] },
    },
    {
      name: 'cli-uses-entry-points',
      comment:
        'cli/ is the `zookit` binary, built like any user program on the published entries ' +
        'only: `zookit` (index.ts) and `zookit/testing` (testing/index.ts, for --embedded and ' +
        '`zookit server`). A command that needs an internal means the public API lacks something.',
      severity: 'error',
      from: { path: '^cli/' },
      to: { path: SHIPPED, pathNot: ['^cli/', '^index\\.ts$', '^testing/index\\.ts$'] },
    },
    {
      name: 'shipped-code-no-tests',
      comment:
        'Only the shipped rooms are in the tarball (dist/ is built from them): an import of ' +
        'spec/, examples/, bench/, scripts/ or any other file outside them breaks the package ' +
        '(or drags test code into it).',
      severity: 'error',
      from: { path: SHIPPED },
      to: {
        pathNot: [SHIPPED, '(^|/)node_modules/'],
        dependencyTypesNot: ['core'],
        couldNotResolve: false,
      },
    },
    {
      name: 'shipped-code-no-dev-deps',
      comment:
        'A devDependency is not installed for our users: shipped code that imports one (even ' +
        'type-only, which leaks into the published .d.ts) breaks for them. testcontainers, a ' +
        'devDependency for our own tests, is also the optional peer of testing/ (next rules); ' +
        'kerberos likewise, the optional peer of the GSSAPI mechanism (lib/sasl/gssapi.ts).',
      severity: 'error',
      from: { path: SHIPPED },
      to: { dependencyTypes: ['npm-dev'], pathNot: '(^|/)node_modules/(testcontainers|kerberos)/' },
    },
    {
      name: 'shipped-code-runtime-deps-only',
      comment:
        'The only runtime dependency is eventemitter3 (a whole wire protocol in a few files, ' +
        'postgres.js style), plus the optional peers testcontainers and kerberos. A new one, or a package ' +
        'imported without being declared in package.json, is a deliberate decision: change this ' +
        'rule in the same commit.',
      severity: 'error',
      from: { path: SHIPPED },
      to: {
        dependencyTypes: ['npm', 'npm-peer', 'npm-optional', 'npm-bundled', 'npm-no-pkg', 'npm-unknown'],
        dependencyTypesNot: ['npm-dev'],
        pathNot: '(^|/)node_modules/(eventemitter3|testcontainers|kerberos)/',
      },
    },
    {
      name: 'kerberos-only-in-gssapi',
      comment:
        'kerberos (a native addon) is an optional peer loaded only when GSSAPI is asked for: ' +
        'one module loads it, lazily, so a client without Kerberos never needs it.',
      severity: 'error',
      from: { path: SHIPPED, pathNot: '^lib/sasl/gssapi\\.ts$' },
      to: { path: '(^|/)node_modules/kerberos/' },
    },
    {
      name: 'testcontainers-only-in-testing',
      comment:
        'testcontainers is an optional peer for the Docker backend of zookit/testing: a user of ' +
        'the client alone never installs it, so nothing outside testing/ may import it.',
      severity: 'error',
      from: { path: SHIPPED, pathNot: '^testing/' },
      to: { path: '(^|/)node_modules/testcontainers/' },
    },
    {
      name: 'examples-use-package-names',
      comment:
        'Examples are written as a user writes them, against `zookit`, `zookit/testing` and ' +
        '`zookit/protocol` (examples/tsconfig.json builds them against the package); a relative ' +
        'import outside examples/ would compile here and fail for the reader who copies it. ' +
        'The package names reach the sources here through tsconfig.json `paths`; Node built-ins ' +
        'are fine, anything else is not.',
      severity: 'error',
      from: { path: '^examples/' },
      to: {
        pathNot: '^examples/',
        dependencyTypesNot: ['core', 'aliased-tsconfig-paths'],
        couldNotResolve: false,
      },
    },
    {
      name: 'no-cycles',
      comment:
        'No cycles in the shipped rooms, type-only ones included: a cycle makes load order matter ' +
        '(a class undefined at import time), and even a type-only one means two files are one ' +
        'idea, or that a narrow interface named after its consumer is missing.',
      severity: 'error',
      from: { path: SHIPPED },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      comment:
        'Every import resolves. Besides catching a typo, this guards the check itself: if the ' +
        '.js-to-.ts resolution or the tsconfig paths stopped working, every import would be ' +
        'unresolvable and the rules above would pass on nothing.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Type-only imports count (see the top of this file).
    tsPreCompilationDeps: true,
    // The package names (zookit, zookit/protocol, zookit/testing) resolve to the sources through
    // tsconfig.json `paths`; `.js` specifiers resolve to their `.ts` files.
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: '(^|/)node_modules/' },
    // Built output is never source (node_modules is not followed, but its imports are checked).
    exclude: { path: '^(dist|\\.build|coverage)/' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
