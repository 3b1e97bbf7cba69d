// The contender nodes of kazoo's lock layout, as plain functions of names: how a contender is named
// (`<32-hex uuid><marker><seq>`), which children of a lock node count as contenders, their order,
// and whose deletion a contender waits for. Lock, ReadLock and WriteLock use them, and so do the
// recipes built on the same layout (Semaphore's sibling lock, Election). docs/recipes.md#layout
//
// Two faults of kazoo are fixed here, keeping its names:
// - kazoo sorts the sequence suffixes as strings, so after the parent's signed 32-bit counter
//   wraps the order breaks (#730); here they compare by their signed 32-bit difference
//   (docs/recipes.md#ordering-by-signed-sequence);
// - a reader in kazoo 2.8 waits for writers that came after it (#649); here a contender only ever
//   waits for one that sorts before it (docs/recipes.md#reader-and-writer-rules).

/** kazoo's `_NODE_NAME` of Lock and WriteLock. */
export const LOCK_MARKER = '__lock__';
/** kazoo's `_NODE_NAME` of ReadLock. */
export const READ_LOCK_MARKER = '__rlock__';

/** A child of the lock node that is a contender: its name, the marker it carries, its sequence. */
export interface Contender {
  readonly name: string;
  readonly marker: string;
  /** The parent's counter at its creation, a signed 32-bit number. */
  readonly sequence: number;
}

// The counter as the server writes it, String.format("%010d", n): 10 digits, or '-' and 9 digits
// (-999999999..-1: the sign counts toward the width), or '-' and 10 digits. kazoo's `-?\d{10}`
// misses the middle form; this matches everything kazoo matches plus it.
const COUNTER = String.raw`(\d{10}|-\d{9}|-\d{10})`;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The matcher of contenders carrying one of `markers` (each taken as literal text), kazoo's
 * `(?:markers)(-?\d{10})$`: the marker, then the counter at the end of the name.
 */
export function contenderPattern(markers: Iterable<string>): RegExp {
  const alternatives = [...new Set(markers)].map(escapeRegExp).join('|');
  return new RegExp(`(${alternatives})${COUNTER}$`);
}

/** `name` as a contender, if `pattern` (from contenderPattern) matches it. */
export function parseContender(name: string, pattern: RegExp): Contender | undefined {
  const match = pattern.exec(name);
  if (match === null) return undefined;
  const sequence = Number(match[2]);
  if (sequence < -(2 ** 31) || sequence > 2 ** 31 - 1) return undefined;
  return { name, marker: match[1]!, sequence };
}

/**
 * Lock order: by the signed 32-bit difference of the sequences (serial-number arithmetic), so
 * 2147483647 comes before -2147483648, the value the counter wraps to; the names break a tie.
 * It is a total order over any set of contenders created within 2^31 creations of each other.
 */
export function compareContenders(a: Contender, b: Contender): number {
  const difference = (a.sequence - b.sequence) | 0;
  if (difference !== 0) return difference;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The children that match `pattern`, in lock order. */
export function contendersOf(children: readonly string[], pattern: RegExp): Contender[] {
  const contenders: Contender[] = [];
  for (const child of children) {
    const contender = parseContender(child, pattern);
    if (contender !== undefined) contenders.push(contender);
  }
  return contenders.sort(compareContenders);
}

/**
 * The contender `own` waits for: among the children matching `blockers`, the last one that sorts
 * before `own` (the immediate predecessor, so a release wakes one waiter, not the herd).
 * Undefined when none does: `own` holds the lock. `own` is parsed with `ownPattern` (its own
 * marker need not be a blocker: a reader is not blocked by readers).
 */
export function predecessorOf(
  children: readonly string[],
  own: string,
  ownPattern: RegExp,
  blockers: RegExp,
): string | undefined {
  const self = parseContender(own, ownPattern);
  if (self === undefined) throw new Error(`${own} is not a contender name`);
  let predecessor: Contender | undefined;
  for (const child of children) {
    if (child === own) continue;
    const contender = parseContender(child, blockers);
    if (contender === undefined || compareContenders(contender, self) >= 0) continue;
    if (predecessor === undefined || compareContenders(contender, predecessor) > 0) predecessor = contender;
  }
  return predecessor?.name;
}

/**
 * A new contender name without its counter: 32 random lowercase hex digits (kazoo's
 * `uuid4().hex`) and the marker. The server appends the counter; the prefix alone finds the node
 * again when the create's reply was lost (docs/recipes.md#lost-create-recovery).
 */
export function newContenderPrefix(marker: string): string {
  return globalThis.crypto.randomUUID().replace(/-/g, '') + marker;
}
