import {
  CREATOR_ALL_ACL,
  makeAcl,
  makeDigestAcl,
  makeDigestCredential,
  OPEN_ACL_UNSAFE,
  READ_ACL_UNSAFE,
  validateAcl,
} from '../../lib/acl.js';
import { InvalidAclError, InvalidArgumentError } from '../../lib/errors.js';
import type { ACL } from '../../protocol/records.js';

function aclError(acl: unknown): InvalidAclError {
  try {
    validateAcl(acl as ACL[]);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAclError);
    return error as InvalidAclError;
  }
  throw new Error('validateAcl accepted it');
}

describe('well-known ACLs', () => {
  it('match the ZooDefs.Ids lists', () => {
    expect(OPEN_ACL_UNSAFE).toEqual([{ perms: 31, id: { scheme: 'world', id: 'anyone' } }]);
    expect(CREATOR_ALL_ACL).toEqual([{ perms: 31, id: { scheme: 'auth', id: '' } }]);
    expect(READ_ACL_UNSAFE).toEqual([{ perms: 1, id: { scheme: 'world', id: 'anyone' } }]);
  });

  it('are frozen down to the id, so no caller can widen them for everyone', () => {
    expect(Object.isFrozen(OPEN_ACL_UNSAFE)).toBe(true);
    expect(Object.isFrozen(OPEN_ACL_UNSAFE[0])).toBe(true);
    expect(Object.isFrozen(READ_ACL_UNSAFE[0]!.id)).toBe(true);
    expect(() => {
      (READ_ACL_UNSAFE[0] as { perms: number }).perms = 31;
    }).toThrow(TypeError);
  });

  it('pass validation', () => {
    for (const acl of [OPEN_ACL_UNSAFE, CREATOR_ALL_ACL, READ_ACL_UNSAFE])
      expect(() => validateAcl(acl)).not.toThrow();
  });
});

describe('makeAcl', () => {
  it('combines permission flags into bits', () => {
    expect(makeAcl('ip', '10.0.0.0/8', { read: true, write: true })).toEqual({
      perms: 3,
      id: { scheme: 'ip', id: '10.0.0.0/8' },
    });
    expect(makeAcl('world', 'anyone', { create: true, delete: true, admin: true }).perms).toBe(4 | 8 | 16);
  });

  it('lets all override the other flags and defaults to no permission, as kazoo does', () => {
    expect(makeAcl('world', 'anyone', { all: true, read: false }).perms).toBe(31);
    expect(makeAcl('world', 'anyone').perms).toBe(0);
  });

  it('accepts a bitmask and refuses bits beyond ALL', () => {
    expect(makeAcl('world', 'anyone', 5).perms).toBe(5);
    expect(() => makeAcl('world', 'anyone', 32)).toThrow(InvalidAclError);
    expect(() => makeAcl('', 'anyone', 1)).toThrow(/scheme/);
  });
});

describe('digest credentials', () => {
  it('hash the way the server does (the digest a 3.8 server stored for alice:secret)', () => {
    expect(makeDigestCredential('alice', 'secret')).toBe('alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=');
  });

  it('hash non-ASCII text as UTF-8', () => {
    expect(makeDigestCredential('zoë', 'pä55')).toBe('zoë:zQPn3BBlZZHrEjLojwu+HT3VWQ8=');
  });

  it('build a digest ACL that never contains the password', () => {
    const acl = makeDigestAcl('alice', 'secret', { all: true });
    expect(acl).toEqual({ perms: 31, id: { scheme: 'digest', id: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=' } });
    expect(JSON.stringify(acl)).not.toContain('secret');
  });

  it('refuse a user name with a colon, without echoing the password', () => {
    let thrown: unknown;
    try {
      makeDigestCredential('al:ice', 'hunter2');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidArgumentError);
    expect((thrown as InvalidArgumentError).argument).toBe('user');
    expect((thrown as Error).message).not.toContain('hunter2');
  });
});

describe('validateAcl', () => {
  it('refuses something that is not an array, and an empty list (the server answers -114)', () => {
    expect(aclError(undefined).message).toContain('expected an array');
    expect(aclError(OPEN_ACL_UNSAFE[0]).message).toContain('got object');
    expect(aclError([]).message).toContain('empty');
  });

  it.each([-1, 32, 1.5, Number.NaN, '31', null])('refuses perms %p', (perms) => {
    const error = aclError([...OPEN_ACL_UNSAFE, { perms, id: { scheme: 'world', id: 'anyone' } }]);
    expect(error.argument).toBe('acl');
    expect(error.message).toContain('entry 1: perms must be an integer in 0..31');
  });

  it('accepts every permission mask from 0 to 31', () => {
    for (let perms = 0; perms <= 31; perms++) {
      expect(() => validateAcl([{ perms, id: { scheme: 'world', id: 'anyone' } }])).not.toThrow();
    }
  });

  it('refuses an empty or missing scheme, a missing id and a non-object entry', () => {
    expect(aclError([{ perms: 1, id: { scheme: '', id: 'anyone' } }]).message).toContain('scheme must be');
    expect(aclError([{ perms: 1, id: { id: 'anyone' } }]).message).toContain('scheme must be');
    expect(aclError([{ perms: 1, id: { scheme: 'world', id: 7 } }]).message).toContain('id must be a string');
    expect(aclError([{ perms: 1 }]).message).toContain('id must be an object');
    expect(aclError([null]).message).toContain('entry 0 is not an object');
  });

  it('never puts an id into the message', () => {
    const error = aclError([{ perms: 99, id: { scheme: 'digest', id: 'bob:plain-password' } }]);
    expect(error.message).not.toContain('plain-password');
  });
});
