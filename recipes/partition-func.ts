// kazoo's default partition function as plain data functions, so a zookit member and a kazoo
// member of one SetPartitioner compute the same assignment (docs/recipes.md#partition-function).
// kazoo sorts the members and the items with Python's `sorted` and gives the member at index `i`
// of the sorted members the sorted items `i, i + n, i + 2n, ...`. Python orders strings by code
// point; JavaScript's `<` and `sort()` order them by UTF-16 code unit, which disagrees once a
// character outside the BMP meets one in U+E000..U+FFFF, so strings are compared by code point
// here. Python sorts integers numerically (`sorted(range(12))`), so a set of numbers is too.

/** One item of a partitioned set: a string, or a safe integer (its lock is `String(item)`, which is Python's `str` for integers). */
export type PartitionItem = string | number;

/**
 * A partition function: the items of `set` that the member `identifier` takes, given every
 * member's identifier (`members`, in the party's listing order). Every member must compute the
 * same assignment from the same inputs, each item going to exactly one member.
 */
export type PartitionFunction = (
  identifier: string,
  members: readonly string[],
  set: readonly PartitionItem[],
) => readonly PartitionItem[];

/** Python's order of two strings: by code point (not by UTF-16 code unit, as `<` compares). */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // The first difference decides. A surrogate (0xD800..0xDFFF) stands for a code point above
    // 0xFFFF, so it sorts after every other code unit, whatever its own value.
    const xHigh = x >= 0xd800 && x <= 0xdfff;
    const yHigh = y >= 0xd800 && y <= 0xdfff;
    if (xHigh !== yHigh) return xHigh ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Python's `sorted` of one set's items: numbers numerically, strings by code point. */
export function sortItems(items: readonly PartitionItem[]): PartitionItem[] {
  return [...items].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : compareCodePoints(String(a), String(b)),
  );
}

/**
 * kazoo's `SetPartitioner._partitioner`: the sorted items `i, i + n, ...` for the member at index
 * `i` of the sorted members (its first place when an identifier is there twice, as `list.index`).
 * Throws when `identifier` is not among `members` (kazoo's ValueError).
 */
export const defaultPartitionFunc: PartitionFunction = (identifier, members, set) => {
  const workers = [...members].sort(compareCodePoints);
  const index = workers.indexOf(identifier);
  if (index < 0) throw new Error(`${identifier} is not a member of the party`);
  return sortItems(set).filter((_, k) => k % workers.length === index);
};
