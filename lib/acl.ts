// ACL lists: the well-known ones, builders like kazoo's make_acl / make_digest_acl, and the checks
// the server would otherwise answer with INVALIDACL (-114) after a round trip.

import { createHash } from 'node:crypto';
import { Perm } from '../protocol/constants.js';
import type { ACL, Id } from '../protocol/records.js';
import { InvalidAclError, InvalidArgumentError } from './errors.js';

function frozenAcl(perms: number, scheme: string, id: string): readonly ACL[] {
  return Object.freeze([Object.freeze({ perms, id: Object.freeze<Id>({ scheme, id }) })]);
}

/** Every permission for everyone (world:anyone). */
export const OPEN_ACL_UNSAFE: readonly ACL[] = frozenAcl(Perm.ALL, 'world', 'anyone');

/**
 * Every permission for the creator: the server expands `auth:` to each id the session has
 * authenticated, and answers INVALIDACL when there is none.
 */
export const CREATOR_ALL_ACL: readonly ACL[] = frozenAcl(Perm.ALL, 'auth', '');

/** Read permission for everyone (world:anyone). */
export const READ_ACL_UNSAFE: readonly ACL[] = frozenAcl(Perm.READ, 'world', 'anyone');

/** Permissions as flags, as kazoo's make_acl takes them; `all` overrides the others. */
export interface AclPermissions {
  read?: boolean;
  write?: boolean;
  create?: boolean;
  delete?: boolean;
  admin?: boolean;
  all?: boolean;
}

/**
 * One ACL entry for `scheme:credential`. `perms` is flags or a Perm bitmask (0..31); omitted means
 * no permission at all, as in kazoo. Throws InvalidAclError for bad bits or an empty scheme.
 */
export function makeAcl(scheme: string, credential: string, perms?: AclPermissions | number): ACL {
  const entry: ACL = { perms: permsFrom(perms), id: { scheme, id: credential } };
  checkEntry(entry, 0);
  return entry;
}

/**
 * The digest-scheme id for a user: 'user:' + base64(SHA-1('user:password')), what the server
 * stores for `addAuth('digest', 'user:password')` under its default digest algorithm.
 */
export function makeDigestCredential(user: string, password: string): string {
  if (typeof user !== 'string' || user.includes(':')) {
    // The server splits 'user:password' at the first ':', so such a user could never authenticate.
    throw new InvalidArgumentError('user', "a digest user name must be a string without ':'");
  }
  if (typeof password !== 'string') throw new InvalidArgumentError('password', 'a password must be a string');
  const hash = createHash('sha1').update(`${user}:${password}`, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

/** A digest ACL entry for `user` with `password`; the password itself is never kept. */
export function makeDigestAcl(user: string, password: string, perms?: AclPermissions | number): ACL {
  return makeAcl('digest', makeDigestCredential(user, password), perms);
}

/**
 * Throws InvalidAclError unless `acl` is a non-empty array of entries with integer perms in 0..31,
 * a non-empty string scheme and a string id. Messages name entries by index, never by id.
 */
export function validateAcl(acl: readonly ACL[]): void {
  if (!Array.isArray(acl)) throw new InvalidAclError(`expected an array of ACL entries, got ${typeOf(acl)}`);
  // The server answers an empty (or null) list with INVALIDACL (-114).
  if (acl.length === 0) throw new InvalidAclError('the list is empty');
  acl.forEach(checkEntry);
}

function checkEntry(entry: unknown, index: number): void {
  if (typeof entry !== 'object' || entry === null) {
    throw new InvalidAclError(`entry ${index} is not an object (got ${typeOf(entry)})`);
  }
  const { perms, id } = entry as Partial<ACL>;
  if (!Number.isInteger(perms) || (perms as number) < 0 || (perms as number) > Perm.ALL) {
    throw new InvalidAclError(
      `entry ${index}: perms must be an integer in 0..${Perm.ALL}, got ${typeof perms === 'number' ? perms : typeOf(perms)}`,
    );
  }
  if (typeof id !== 'object' || id === null) {
    throw new InvalidAclError(`entry ${index}: id must be an object with scheme and id, got ${typeOf(id)}`);
  }
  if (typeof id.scheme !== 'string' || id.scheme === '') {
    throw new InvalidAclError(`entry ${index}: scheme must be a non-empty string`);
  }
  // The id may be secret-adjacent (a mistyped plain 'user:password'), so only its type is shown.
  if (typeof id.id !== 'string') {
    throw new InvalidAclError(`entry ${index}: id must be a string, got ${typeOf(id.id)}`);
  }
}

function permsFrom(perms: AclPermissions | number | undefined): number {
  if (perms === undefined) return 0;
  if (typeof perms === 'number') return perms;
  if (perms.all) return Perm.ALL;
  return (
    (perms.read ? Perm.READ : 0) |
    (perms.write ? Perm.WRITE : 0) |
    (perms.create ? Perm.CREATE : 0) |
    (perms.delete ? Perm.DELETE : 0) |
    (perms.admin ? Perm.ADMIN : 0)
  );
}

function typeOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}
