// One znode of a TreeCache: what is cached of it, where it sits, and which reads it still needs.

import type { CachedNode } from './cache-events.js';

/**
 * A node of the cached tree. An object stands for one place in the tree for as long as it is
 * attached; once detached (deleted), reads still in flight for it are ignored, and a node created
 * again at that path gets a new object. That is what keeps a slow read of the old node from
 * bringing it back (kazoo #645).
 */
export class TreeNode {
  /** The node's data and stat once its first data read succeeded (the node is live); else undefined. */
  cached: CachedNode | undefined;
  /** Children by name: live ones and ones whose first read is still pending. */
  readonly children = new Map<string, TreeNode>();
  /** False once the node left the tree. */
  attached = true;
  /** Reads requested and not yet sent; the node's reads run one round at a time. */
  wantData = false;
  wantChildren = false;
  /** A round of reads is in flight. */
  busy = false;

  constructor(
    /** Client path. */
    readonly path: string,
    /** The last segment of the path ('' for the cache root '/'). */
    readonly name: string,
    /** Levels below the cache root (the root is 0). */
    readonly depth: number,
    readonly parent: TreeNode | undefined,
  ) {}
}
