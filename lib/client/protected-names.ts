// The names of Curator's protected creates (docs/protocol.md#protected-creates). A protected node
// is named `_c_<uuid>-<name>`: the prefix `_c_`, a canonical 36-character UUID and a dash, 40
// characters in all, then the name the caller asked for (and, for a sequential node, the
// server's 10-digit suffix). The UUID is the create's own, so after a lost reply the client can
// find the node it may have made by listing the parent; Curator 5.4's ProtectedUtils reads and
// writes the same form, which is what lets a zookit lock and a Curator lock share a directory.

/** What every protected name starts with. */
export const PROTECTED_PREFIX = '_c_';

/** The length of `_c_<uuid>-`. */
const PROTECTED_PREFIX_LENGTH = PROTECTED_PREFIX.length + 36 + 1;

const PROTECTED_NAME = /^_c_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}-/;

/** A fresh protection id: a canonical UUID, as Curator's `UUID.randomUUID()` writes it. */
export function newProtectionId(): string {
  return globalThis.crypto.randomUUID();
}

/** `_c_<id>-`: the start of every node a create with this protection id makes. */
export function protectedPrefix(id: string): string {
  return `${PROTECTED_PREFIX}${id}-`;
}

/** Whether `name` (a node name, not a path) carries a protected prefix. */
export function isProtectedName(name: string): boolean {
  return PROTECTED_NAME.test(name);
}

/** The name without its protected prefix (Curator's `ProtectedUtils.normalize`); other names as they are. */
export function withoutProtection(name: string): string {
  return isProtectedName(name) ? name.slice(PROTECTED_PREFIX_LENGTH) : name;
}

/** The protection id in a protected name, or undefined for another name. */
export function protectionIdOf(name: string): string | undefined {
  return isProtectedName(name) ? name.slice(PROTECTED_PREFIX.length, PROTECTED_PREFIX_LENGTH - 1) : undefined;
}
