// Input ZooKeeper would refuse (or that would cost the connection) is refused by the client before
// anything is sent: a typed error naming the input, nothing written to the socket, and the session
// untouched — the next request succeeds.

import { makeAcl, OPEN_ACL_UNSAFE } from '../../lib/acl.js';
import type { ZooKeeperClient } from '../../lib/client/client.js';
import {
  InvalidAclError,
  InvalidArgumentError,
  InvalidPathError,
  ValueTooLargeError,
} from '../../lib/errors.js';
import { DEFAULT_MAX_BUFFER_BYTES, MAX_TTL_MS, OpCode } from '../../protocol/constants.js';
import { startTestingServer, type TestingServer } from '../../testing/testing-server.js';
import { ClientPool, RecordingHandler, rejectionOf, uniqueName } from './support.js';

let server: TestingServer;
const pool = new ClientPool();
let handler: RecordingHandler;
let zk: ZooKeeperClient;
/** This test's own subtree; its data is 'base-data'. */
let base: string;

beforeAll(async () => {
  server = await startTestingServer();
});
afterAll(async () => {
  await server?.close();
});
beforeEach(async () => {
  handler = new RecordingHandler();
  zk = await pool.open({ hosts: server.connectString, handler });
  base = `/${uniqueName('validation')}`;
  await zk.create(base, 'base-data');
});
afterEach(() => pool.stopAll());

type ErrorClass = new (...args: never[]) => InvalidArgumentError;

/** The opcode of a request frame (length, xid, type). */
function opOf(frame: Buffer): number {
  return frame.readInt32BE(8);
}

/**
 * Checks that the session is still usable and that `call` sent nothing: the only frame written
 * since `mark` is the getData this function sends. Returns what is wrong, or undefined.
 */
async function stillUsable(mark: number): Promise<string | undefined> {
  const [data] = await zk.get(base);
  if (data?.toString() !== 'base-data') return `the session answered ${String(data)} afterwards`;
  const sent = handler.written.slice(mark).map(opOf);
  if (sent.length !== 1 || sent[0] !== OpCode.getData) return `frames with opcodes [${sent}] were sent`;
  return undefined;
}

/**
 * What is wrong with how `call` refused its input, or undefined when it rejected with
 * `ErrorClass` naming `argument`, sent nothing and left the session usable.
 */
async function refusalProblem(
  call: () => Promise<unknown>,
  ErrorClass: ErrorClass,
  argument: string,
): Promise<string | undefined> {
  const mark = handler.written.length;
  let error: unknown;
  try {
    error = await rejectionOf(call);
  } catch (problem) {
    return (problem as Error).message;
  }
  if (!(error instanceof ErrorClass)) return `rejected with ${String(error)}, not ${ErrorClass.name}`;
  if (!(error instanceof InvalidArgumentError)) return `${String(error)} is not an InvalidArgumentError`;
  if (error.argument !== argument) return `names argument '${error.argument}', not '${argument}'`;
  return stillUsable(mark);
}

/** Asserts a refusal as `refusalProblem` describes it. */
async function expectRefused(call: () => Promise<unknown>, ErrorClass: ErrorClass, argument: string) {
  expect(await refusalProblem(call, ErrorClass, argument)).toBeUndefined();
}

/** Asserts that a transaction builder step throws at once (ops are validated when added). */
async function expectRefusedOnAdd(add: () => unknown, ErrorClass: ErrorClass, argument: string) {
  const mark = handler.written.length;
  let thrown: unknown;
  try {
    add();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ErrorClass);
  expect((thrown as InvalidArgumentError).argument).toBe(argument);
  expect(await stillUsable(mark)).toBeUndefined();
}

describe('paths', () => {
  /** Every class of path ZooKeeper's PathUtils refuses, with a label. */
  const invalidPaths: Array<[string, string]> = [
    ['relative', 'a/b'],
    ['trailing "/"', '/a/'],
    ['empty segment "//"', '/a//b'],
    ['"." segment', '/a/./b'],
    ['"." alone', '/.'],
    ['".." segment', '/a/../b'],
    ['NUL', '/a\u0000b'],
    ['U+0001', '/a\u0001b'],
    ['U+007F', '/a\u007fb'],
    ['surrogates (U+D83D U+DE00, an emoji)', '/a😀'],
    ['U+FFF0', '/a\ufff0'],
    ['empty', ''],
  ];

  const operations: Array<[string, (path: string) => Promise<unknown>]> = [
    ['create', (p) => zk.create(p, 'x')],
    ['create with makepath', (p) => zk.create(p, 'x', { makepath: true })],
    ['create with includeData', (p) => zk.create(p, 'x', { includeData: true })],
    ['ensurePath', (p) => zk.ensurePath(p)],
    ['exists', (p) => zk.exists(p)],
    ['get', (p) => zk.get(p)],
    ['getChildren', (p) => zk.getChildren(p)],
    ['set', (p) => zk.set(p, 'x')],
    ['delete', (p) => zk.delete(p)],
    ['recursive delete', (p) => zk.delete(p, { recursive: true })],
    ['getAcls', (p) => zk.getAcls(p)],
    ['setAcls', (p) => zk.setAcls(p, OPEN_ACL_UNSAFE)],
    ['sync', (p) => zk.sync(p)],
    ['getEphemerals', (p) => zk.getEphemerals(p)],
    ['getAllChildrenNumber', (p) => zk.getAllChildrenNumber(p)],
    ['multiRead', (p) => zk.multiRead([{ op: 'get', path: p }])],
  ];

  it.each(operations)('%s refuses every invalid path before sending it', async (_name, call) => {
    const problems: string[] = [];
    for (const [label, path] of invalidPaths) {
      const mark = handler.written.length;
      let error: unknown;
      try {
        error = await rejectionOf(() => call(path));
      } catch (problem) {
        problems.push(`${label}: ${(problem as Error).message}`);
        continue;
      }
      if (!(error instanceof InvalidPathError)) {
        problems.push(`${label}: rejected with ${String(error)}, not InvalidPathError`);
        continue;
      }
      if (error.argument !== 'path' || error.path !== path || !error.message.includes(JSON.stringify(path))) {
        problems.push(`${label}: the error does not name the path (${error.message})`);
      }
      const unusable = await stillUsable(mark);
      if (unusable !== undefined) problems.push(`${label}: ${unusable}`);
    }
    expect(problems).toEqual([]);
  });

  it('a transaction refuses every invalid path when the op is added', async () => {
    for (const [, path] of invalidPaths) {
      await expectRefusedOnAdd(() => zk.transaction().create(path), InvalidPathError, 'path');
      await expectRefusedOnAdd(() => zk.transaction().setData(path, 'x'), InvalidPathError, 'path');
      await expectRefusedOnAdd(() => zk.transaction().delete(path), InvalidPathError, 'path');
      await expectRefusedOnAdd(() => zk.transaction().check(path, 0), InvalidPathError, 'path');
    }
  });

  it('a sequential create may end in "/": the counter becomes the whole name', async () => {
    await zk.create(`${base}/q`);
    expect(await zk.create(`${base}/q/`, 'x', { sequence: true })).toMatch(new RegExp(`^${base}/q/\\d{10}$`));
    const [txnPath] = await zk.transaction().create(`${base}/q/`, 'y', { sequence: true }).commit();
    expect(txnPath).toMatch(new RegExp(`^${base}/q/\\d{10}$`));
    expect(await zk.getChildren(`${base}/q`)).toHaveLength(2);
  });

  it('a non-sequential create ending in "/" is still refused', async () => {
    await expectRefused(() => zk.create(`${base}/q/`, 'x'), InvalidPathError, 'path');
  });
});

describe('ACLs', () => {
  it('an empty ACL list is refused with InvalidAclError', async () => {
    await expectRefused(() => zk.create(`${base}/a`, 'x', { acl: [] }), InvalidAclError, 'acl');
    await expectRefused(() => zk.setAcls(base, []), InvalidAclError, 'acl');
    await expectRefused(() => zk.ensurePath(`${base}/b/c`, []), InvalidAclError, 'acl');
    await expectRefusedOnAdd(
      () => zk.transaction().create(`${base}/d`, 'x', { acl: [] }),
      InvalidAclError,
      'acl',
    );
    expect(await zk.getChildren(base)).toEqual([]);
  });

  it('permission bits outside 0..31 are refused with InvalidAclError', async () => {
    for (const perms of [32, -1, 1.5]) {
      const acl = [{ perms, id: { scheme: 'world', id: 'anyone' } }];
      await expectRefused(() => zk.create(`${base}/a`, 'x', { acl }), InvalidAclError, 'acl');
      await expectRefused(() => zk.setAcls(base, acl), InvalidAclError, 'acl');
    }
    expect(() => makeAcl('world', 'anyone', 32)).toThrow(InvalidAclError);
    expect(await zk.exists(`${base}/a`)).toBeNull();
  });
});

describe('TTL', () => {
  it('a TTL of 0, 2^40 ms, a fraction or a negative number is refused, naming "ttl"', async () => {
    for (const ttl of [0, 2 ** 40, 1.5, -5, Number.NaN]) {
      await expectRefused(() => zk.create(`${base}/t`, 'x', { ttl }), InvalidArgumentError, 'ttl');
      await expectRefusedOnAdd(
        () => zk.transaction().create(`${base}/t`, 'x', { ttl }),
        InvalidArgumentError,
        'ttl',
      );
    }
    expect(await zk.exists(`${base}/t`)).toBeNull();
  });

  it('the largest TTL, 2^40 - 1 ms, is accepted', async () => {
    expect(await zk.create(`${base}/t`, 'x', { ttl: MAX_TTL_MS })).toBe(`${base}/t`);
  });

  it('an ephemeral TTL node is refused, naming "ttl"', async () => {
    await expectRefused(
      () => zk.create(`${base}/t`, 'x', { ttl: 1000, ephemeral: true }),
      InvalidArgumentError,
      'ttl',
    );
    await expectRefusedOnAdd(
      () => zk.transaction().create(`${base}/t`, 'x', { ttl: 1000, ephemeral: true }),
      InvalidArgumentError,
      'ttl',
    );
  });
});

describe('create modes', () => {
  it('a sequential or ephemeral container is refused, naming "container"', async () => {
    for (const mode of [{ sequence: true }, { ephemeral: true }]) {
      await expectRefused(
        () => zk.create(`${base}/c`, 'x', { container: true, ...mode }),
        InvalidArgumentError,
        'container',
      );
      await expectRefusedOnAdd(
        () => zk.transaction().create(`${base}/c`, 'x', { container: true, ...mode }),
        InvalidArgumentError,
        'container',
      );
    }
    expect(await zk.getChildren(base)).toEqual([]);
  });
});

describe('values', () => {
  it('a 2 MB value is refused with ValueTooLargeError and the connection survives', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x61);
    const error = await rejectionOf(() => zk.create(`${base}/big`, big));
    expect(error).toBeInstanceOf(ValueTooLargeError);
    expect((error as ValueTooLargeError).argument).toBe('value');
    expect((error as ValueTooLargeError).limit).toBe(DEFAULT_MAX_BUFFER_BYTES);
    expect((error as ValueTooLargeError).size).toBeGreaterThan(big.length);
    await expectRefused(() => zk.set(base, big), ValueTooLargeError, 'value');
    await expectRefused(() => zk.transaction().setData(base, big).commit(), ValueTooLargeError, 'value');
    expect(zk.state).toBe('CONNECTED');
  });

  it('a value just under the limit is accepted', async () => {
    const large = Buffer.alloc(1_000_000, 0x62);
    await zk.create(`${base}/large`, large);
    const [data] = await zk.get(`${base}/large`);
    expect(data?.equals(large)).toBe(true);
  });

  it('a value that is neither a string nor bytes is refused, naming "value"', async () => {
    const value = 42 as unknown as string;
    await expectRefused(() => zk.create(`${base}/n`, value), InvalidArgumentError, 'value');
    await expectRefused(() => zk.set(base, value), InvalidArgumentError, 'value');
  });
});

describe('versions', () => {
  it('a version below -1 or not an integer is refused, naming "version"', async () => {
    for (const version of [-2, 1.5, 2 ** 31]) {
      await expectRefused(() => zk.set(base, 'x', { version }), InvalidArgumentError, 'version');
      await expectRefused(() => zk.delete(base, { version }), InvalidArgumentError, 'version');
      await expectRefused(
        () => zk.setAcls(base, OPEN_ACL_UNSAFE, { version }),
        InvalidArgumentError,
        'version',
      );
      await expectRefusedOnAdd(
        () => zk.transaction().setData(base, 'x', version),
        InvalidArgumentError,
        'version',
      );
      await expectRefusedOnAdd(() => zk.transaction().delete(base, version), InvalidArgumentError, 'version');
      await expectRefusedOnAdd(() => zk.transaction().check(base, version), InvalidArgumentError, 'version');
    }
    expect((await zk.exists(base))?.version).toBe(0);
  });

  it('version -1 matches any version', async () => {
    await zk.set(base, 'one');
    expect((await zk.set(base, 'base-data', { version: -1 })).version).toBe(2);
  });
});

describe('credentials', () => {
  it('addAuth with an empty scheme is refused, naming "scheme"', async () => {
    await expectRefused(() => zk.addAuth('', 'user:pw'), InvalidArgumentError, 'scheme');
  });
});
