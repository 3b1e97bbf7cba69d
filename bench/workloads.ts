// What the benchmark measures: the znodes it sets up once, and each workload's request stream.
// Request i of a workload is the same for every client, so the raw ceiling's pre-encoded ring and
// the adapters' calls put the same bytes on the wire in the same order.

/** The znodes the run creates once; every path lies under `/bench`. */
export const PATHS = {
  root: '/bench',
  /** Read by the getData workload: 100 bytes. */
  value100: '/bench/value-100',
  /** Overwritten by the setData workload with 100 bytes. */
  set100: '/bench/set-100',
  /** Parent of the 1,000 children the getChildren workload lists. */
  children: '/bench/children-1000',
  /** Read by the large getData workload: 1,000,000 bytes. */
  value1m: '/bench/value-1m',
  /** Parent of the nodes the create+delete workload creates and deletes again. */
  pairs: '/bench/pairs',
  /** Parent of the (never created) nodes the watch figure sets exists-watches on. */
  watches: '/bench/watches',
} as const;

/** The 100-byte value of the getData, setData and create workloads. */
export const VALUE_100: Buffer = Buffer.alloc(100, 'zookit-bench/');

/**
 * Size of the large value, bytes. A 3.8 server's jute.maxbuffer is 0xfffff (1,048,575 bytes) per
 * frame, header included, so a full MiB would not fit; 1,000,000 bytes leaves room for it.
 */
export const VALUE_1M_BYTES = 1_000_000;

/** Children of `PATHS.children`. */
export const CHILD_COUNT = 1000;

/**
 * Distinct node names a create+delete run cycles through. Each name is deleted right after it is
 * created, in order on one connection, so reusing names is safe; 4,096 pairs exceed the largest
 * window, so a name is never created while its previous delete is still in flight.
 */
export const PAIR_SLOTS = 4096;

/** The workloads, in report order. */
export type WorkloadName = 'get100' | 'set100' | 'createDelete' | 'children1000' | 'get1m';

/** Outstanding requests (the window) of every workload but the 1 MB one. */
export const WINDOWS: readonly number[] = [1, 10, 100, 1000];

/**
 * Windows of the 1 MB getData workload: 1,000 outstanding replies of 1 MB would be 1 GB in
 * flight, so it stops at 100 (100 MB).
 */
export const WINDOWS_1M: readonly number[] = [1, 10, 100];

/** One workload as the report names it. */
export interface Workload {
  readonly name: WorkloadName;
  /** Heading in RESULTS.md. */
  readonly title: string;
  /** Windows (outstanding requests) it runs at. */
  readonly windows: readonly number[];
  /** What an "op" is, and anything else a reader needs to read its table. */
  readonly note: string;
}

export const WORKLOADS: readonly Workload[] = [
  {
    name: 'get100',
    title: 'getData, 100-byte value',
    windows: WINDOWS,
    note: 'One op = one getData of the same 100-byte node.',
  },
  {
    name: 'set100',
    title: 'setData, 100-byte value',
    windows: WINDOWS,
    note: 'One op = one setData (version -1) of 100 bytes on the same node; every op is a write (fsync).',
  },
  {
    name: 'createDelete',
    title: 'create + delete pairs',
    windows: WINDOWS,
    note:
      'A stream of create (100-byte value, persistent, open ACL) and delete of the same node, pipelined in ' +
      'that order. **Each request counts as one op, so a pair is 2 ops**; latency is per request.',
  },
  {
    name: 'children1000',
    title: 'getChildren of a node with 1,000 children',
    windows: WINDOWS,
    note:
      'One op = one getChildren (names only, op 8) returning 1,000 names. node-zookeeper-client always ' +
      'sends getChildren2 (op 12), which adds the parent Stat to each reply.',
  },
  {
    name: 'get1m',
    title: 'getData, 1,000,000-byte value',
    windows: WINDOWS_1M,
    note:
      'One op = one getData of a 1,000,000-byte node (jute.maxbuffer is 0xfffff, so not a full MiB). ' +
      'The window stops at 100: 1,000 outstanding would put 1 GB in flight.',
  },
];

/** The workload named `name`; throws for an unknown name. */
export function workload(name: string): Workload {
  const found = WORKLOADS.find((w) => w.name === name);
  if (found === undefined) throw new Error(`unknown workload ${JSON.stringify(name)}`);
  return found;
}

/** Node names one create+delete run cycles through; `tag` keeps processes apart. */
export function pairPaths(tag: string): string[] {
  return Array.from({ length: PAIR_SLOTS }, (_, k) => `${PATHS.pairs}/${tag}-${k}`);
}

/** Path of the i-th (missing) node the watch figure sets an exists-watch on. */
export function watchPath(i: number): string {
  return `${PATHS.watches}/w${i}`;
}
