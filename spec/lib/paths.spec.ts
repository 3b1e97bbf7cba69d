import { InvalidArgumentError, InvalidPathError } from '../../lib/errors.js';
import {
  basename,
  joinPath,
  parentOf,
  parseHosts,
  prefixChroot,
  sequenceOf,
  stripChroot,
  validatePath,
} from '../../lib/paths.js';

function pathError(path: unknown, options?: { sequential?: boolean }): InvalidPathError {
  try {
    validatePath(path as string, options);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidPathError);
    return error as InvalidPathError;
  }
  throw new Error(`validatePath accepted ${JSON.stringify(path)}`);
}

describe('validatePath', () => {
  it.each([
    '/',
    '/a',
    '/a/b',
    '/a.b',
    '/...',
    '/.a/..b',
    '/zookeeper/config',
    '/é',
    '/\u00a0',
    '/\uf900',
    '/\uffef',
  ])('accepts %j', (path) => {
    expect(() => validatePath(path)).not.toThrow();
  });

  it.each([
    ['', 'must not be empty'],
    ['a/b', "must start with '/'"],
    ['/a/', "must not end with '/'"],
    ['/a//b', "empty segment ('//') at index 3"],
    ['//', "must not end with '/'"],
    ['/a/./b', "relative segment '.' at index 3"],
    ['/a/..', "relative segment '..' at index 3"],
    ['/.', "relative segment '.' at index 1"],
    ['/a\0b', 'NUL character (U+0000) at index 2'],
  ])('refuses %j because it %s', (path, reason) => {
    const error = pathError(path);
    expect(error.path).toBe(path);
    expect(error.argument).toBe('path');
    expect(error.message).toContain(reason);
  });

  it.each([
    ['\u0001', 'U+0001'],
    ['\u001f', 'U+001F'],
    ['\u007f', 'U+007F'],
    ['\u009f', 'U+009F'],
    ['\ud800', 'U+D800'],
    ['\udfff', 'U+DFFF'],
    ['\uf8ff', 'U+F8FF'],
    ['\ufff0', 'U+FFF0'],
    ['\uffff', 'U+FFFF'],
  ])('names the disallowed character %j as %s and its index', (char, name) => {
    expect(pathError(`/ab${char}`).message).toContain(`disallowed character ${name} at index 3`);
  });

  it('refuses characters outside the BMP, whose surrogates Java refuses', () => {
    expect(pathError('/lock-😀').message).toContain('U+D83D at index 6');
  });

  it('reports a non-string path by its type instead of crashing', () => {
    expect(pathError(undefined).message).toContain('must be a string, got undefined');
    expect(pathError(42).path).toBe('42');
  });

  it('allows a trailing slash only on the prefix of a sequential create', () => {
    expect(() => validatePath('/queue/', { sequential: true })).not.toThrow();
    expect(() => validatePath('/', { sequential: true })).not.toThrow();
    expect(pathError('/queue/').message).toContain("must not end with '/'");
    expect(pathError('/a//', { sequential: true }).message).toContain('empty segment');
  });
});

describe('parseHosts', () => {
  it('reads hosts, ports and the chroot from a connect string', () => {
    expect(parseHosts('h1:2181,h2:2182/app/sub')).toEqual({
      hosts: [
        { host: 'h1', port: 2181 },
        { host: 'h2', port: 2182 },
      ],
      chroot: '/app/sub',
    });
  });

  it('gives hosts without a port the default 2181 and skips blank entries', () => {
    expect(parseHosts(' h1 ,, h2:3000 ').hosts).toEqual([
      { host: 'h1', port: 2181 },
      { host: 'h2', port: 3000 },
    ]);
  });

  it('reads bracketed IPv6 addresses with and without a port', () => {
    expect(parseHosts('[::1]:2182,[fe80::1%eth0]').hosts).toEqual([
      { host: '::1', port: 2182 },
      { host: 'fe80::1%eth0', port: 2181 },
    ]);
  });

  it('accepts host names, FQDNs with the root dot, underscores and IPv4 addresses', () => {
    expect(parseHosts('zk-1.example.com.,zk_2,10.0.0.1:2182,localhost').hosts).toEqual([
      { host: 'zk-1.example.com.', port: 2181 },
      { host: 'zk_2', port: 2181 },
      { host: '10.0.0.1', port: 2182 },
      { host: 'localhost', port: 2181 },
    ]);
  });

  it('treats no chroot and a bare "/" chroot alike and drops one trailing slash', () => {
    expect(parseHosts('h1').chroot).toBe('');
    expect(parseHosts('h1/').chroot).toBe('');
    expect(parseHosts('h1/app/').chroot).toBe('/app');
  });

  it('takes an array, whose last entry may carry the chroot', () => {
    expect(parseHosts(['h1:2181', 'h2'])).toEqual({
      hosts: [
        { host: 'h1', port: 2181 },
        { host: 'h2', port: 2181 },
      ],
      chroot: '',
    });
    expect(parseHosts(['h1', '/app']).chroot).toBe('/app');
    expect(parseHosts(['h1', 'h2:2182/app']).hosts[1]).toEqual({ host: 'h2', port: 2182 });
  });

  it('validates the chroot as a path', () => {
    expect(() => parseHosts('h1/app//x')).toThrow(InvalidPathError);
    expect(() => parseHosts('h1/app/./x')).toThrow(/relative segment/);
  });

  it.each([
    ['', /no hosts given/],
    [' , ', /no hosts given/],
    ['/app', /no hosts given/],
    [[], /no hosts given/],
    ['h1:0', /1\.\.65535/],
    ['h1:65536', /1\.\.65535/],
    ['h1:21x', /1\.\.65535/],
    ['h1:', /1\.\.65535/],
    ['h1:-1', /1\.\.65535/],
    ['h1:2181.5', /1\.\.65535/],
    [':2181', /no host name/],
    ['::1', /IPv6 addresses in brackets/],
    ['[::1', /unclosed/],
    ['[::1]2181', /after '\]'/],
    [['h1/app', 'h2'], /only the last entry/],
    ['not a host:2181', /"not a host" .* is not a host name/],
    [['h1', 'not a host'], /not a host name/],
    ['h1;h2', /not a host name/],
    ['-h1', /not a host name/],
    ['h1..example', /not a host name/],
    [`${'a'.repeat(64)}.example`, /not a host name/],
    [`${'abc.'.repeat(64)}com`, /not a host name/],
    ['[h1]:2181', /brackets are for IPv6/],
    ['[127.0.0.1]', /brackets are for IPv6/],
  ])('refuses %j', (hosts, message) => {
    let thrown: unknown;
    try {
      parseHosts(hosts as string | string[]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe('hosts');
    expect((thrown as Error).message).toMatch(message);
  });
});

describe('chroot', () => {
  it('prefixes client paths with the chroot, the root becoming the chroot itself', () => {
    expect(prefixChroot('/app', '/x/y')).toBe('/app/x/y');
    expect(prefixChroot('/app', '/')).toBe('/app');
    expect(prefixChroot('', '/x')).toBe('/x');
  });

  it('strips the chroot only at a segment boundary', () => {
    expect(stripChroot('/app', '/app')).toBe('/');
    expect(stripChroot('/app', '/app/x')).toBe('/x');
    expect(stripChroot('/app', '/application')).toBe('/application');
    expect(stripChroot('/app', '/zookeeper/config')).toBe('/zookeeper/config');
    expect(stripChroot('', '/app/x')).toBe('/app/x');
  });

  it('round-trips every client path through prefix and strip', () => {
    for (const path of ['/', '/a', '/a/b', '/app', '/application']) {
      expect(stripChroot('/app', prefixChroot('/app', path))).toBe(path);
    }
  });
});

describe('path helpers', () => {
  it('joins without doubling the slash under the root', () => {
    expect(joinPath('/', 'a')).toBe('/a');
    expect(joinPath('/a', 'b')).toBe('/a/b');
    expect(joinPath('/queue', '')).toBe('/queue/');
  });

  it('finds the parent of nested and top-level paths', () => {
    expect(parentOf('/a/b/c')).toBe('/a/b');
    expect(parentOf('/a')).toBe('/');
  });

  it('refuses the parent of the root and of relative paths', () => {
    expect(() => parentOf('/')).toThrow(/root has no parent/);
    expect(() => parentOf('a/b')).toThrow(InvalidPathError);
  });

  it('takes the last segment as the basename', () => {
    expect(basename('/a/b')).toBe('b');
    expect(basename('/a')).toBe('a');
    expect(basename('/')).toBe('');
  });
});

describe('sequenceOf', () => {
  // The server formats the counter with Java's "%010d", where the sign counts toward the width.
  it.each([
    ['x__lock__0000000000', 0],
    ['x__lock__0000000042', 42],
    ['x__lock__2147483647', 2147483647],
    ['x__lock__-000000001', -1],
    ['x__lock__-999999999', -999999999],
    ['x__lock__-1000000000', -1000000000],
    ['x__lock__-2147483648', -2147483648],
    ['entry-100-0000000007', 7],
    ['0000000003', 3],
  ])('reads %s as %i', (name, value) => {
    expect(sequenceOf(name)).toBe(value);
  });

  it.each([
    'lock',
    'x__lock__123456789',
    'x__lock__9999999999',
    'x__lock__-2147483649',
    'x__lock__00000000a1',
  ])('finds no counter in %s', (name) => {
    expect(sequenceOf(name)).toBeUndefined();
  });

  it('uses the marker to read a large counter after a dash as positive', () => {
    expect(sequenceOf('entry-100-1500000000')).toBe(-1500000000);
    expect(sequenceOf('entry-100-1500000000', 'entry-100-')).toBe(1500000000);
    expect(sequenceOf('uuid__lock__-1500000000', '__lock__')).toBe(-1500000000);
    expect(sequenceOf('uuid__lock__-000000001', '__lock__')).toBe(-1);
    expect(sequenceOf('uuid__rlock__0000000001', '__lock__')).toBeUndefined();
  });

  it('sorts contenders across the wrap numerically where strings would not', () => {
    const names = [
      'n__lock__0000000002',
      'n__lock__-000000001',
      'n__lock__-2147483648',
      'n__lock__2147483647',
    ];
    const sorted = [...names].sort((a, b) => sequenceOf(a)! - sequenceOf(b)!);
    expect(sorted).toEqual([
      'n__lock__-2147483648',
      'n__lock__-000000001',
      'n__lock__0000000002',
      'n__lock__2147483647',
    ]);
    expect([...names].sort()).not.toEqual(sorted);
  });
});
