// Curator's PersistentTtlNode: a node with a TTL that lives as long as this process does, without
// writing to the node itself. The node is a PersistentNode of mode PERSISTENT_WITH_TTL; every
// `ttl / touchScheduleFactor` ms a child (`touch` by default) is set, or created with the same TTL
// if missing. The server deletes a TTL node only once it has no children and was not changed for
// its TTL, so while the child is fresh the node stays, and watchers of the node see no data churn.
// When the process dies the child expires first, then the node. close() stops touching and leaves
// the node to its TTL. The server needs `extendedTypesEnabled`. docs/curator-leaders.md#persistentttlnode

import {
  InvalidArgumentError,
  joinPath,
  NodeExistsError,
  NoNodeError,
  type RecipeClient,
  type Value,
} from '../../lib/recipe-client.js';
import { PersistentNode } from './persistent-node.js';
import { whileConnected } from './while-connected.js';

/** Options of a PersistentTtlNode. */
export interface PersistentTtlNodeOptions {
  /** The node's data (default empty). */
  data?: Value;
  /** The child that is touched (default 'touch'). */
  childName?: string;
  /** Touch every `ttl / touchScheduleFactor` ms (default 2). */
  touchScheduleFactor?: number;
  /** Make missing parents as containers (default true). */
  createParents?: boolean;
}

/** Curator's PersistentTtlNode at `path` with a TTL of `ttl` ms. `await using` closes it. */
export class PersistentTtlNode implements AsyncDisposable {
  /** The node's path. */
  readonly path: string;
  /** The child that is touched. */
  readonly childPath: string;
  /** The node's TTL, ms. */
  readonly ttl: number;
  private readonly client: RecipeClient;
  private readonly node: PersistentNode;
  private readonly interval: number;
  private readonly stopTouching = new AbortController();
  private touching: Promise<void> | undefined;

  constructor(client: RecipeClient, path: string, ttl: number, options: PersistentTtlNodeOptions = {}) {
    const { childName = 'touch', touchScheduleFactor = 2, createParents = true, data } = options;
    if (!(Number.isInteger(ttl) && ttl > 0))
      throw new InvalidArgumentError('ttl', 'ttl must be a positive integer of ms');
    if (!(touchScheduleFactor > 0))
      throw new InvalidArgumentError('touchScheduleFactor', 'touchScheduleFactor must be more than 0');
    this.client = client;
    this.path = path;
    this.ttl = ttl;
    this.interval = ttl / touchScheduleFactor;
    this.childPath = joinPath(path, childName);
    this.node = new PersistentNode(client, path, {
      mode: 'persistentWithTtl',
      ttl,
      data,
      createParents,
      deleteOnClose: false,
    });
  }

  /** Settles once the node was first created (PersistentNode.initialized). */
  get initialized(): Promise<void> {
    return this.node.initialized;
  }

  /** Starts keeping the node and touching its child every `ttl / touchScheduleFactor` ms. */
  start(): void {
    this.node.start();
    this.touching = this.touchLoop();
  }

  /** Resolves true once the node was first created, false if `timeout` ms pass first. */
  waitForInitialCreate(options: { timeout?: number } = {}): Promise<boolean> {
    return this.node.waitForInitialCreate(options);
  }

  /** The data the node is kept with. */
  getData(): Buffer {
    return this.node.getData();
  }

  /** Changes the node's data (PersistentNode.setData). */
  setData(data: Value): Promise<void> {
    return this.node.setData(data);
  }

  /** Stops touching and keeping the node; the node is left for its TTL to remove. Idempotent. */
  async close(): Promise<void> {
    this.stopTouching.abort(new Error('closed'));
    if (this.touching !== undefined) await whileConnected(this.client, this.touching);
    await this.node.close();
  }

  /** `await using node = zk.PersistentTtlNode(path, ttl)` closes it (as `close()`) when the scope exits. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async touchLoop(): Promise<void> {
    const { handler } = this.client;
    for (;;) {
      try {
        await handler.sleep(this.interval, this.stopTouching.signal);
      } catch {
        return;
      }
      await this.touch();
    }
  }

  /** Sets the child, or creates it with the node's TTL; every failure waits for the next touch (Curator logs it at debug). */
  private async touch(): Promise<void> {
    const { client } = this;
    try {
      try {
        await client.set(this.childPath, '');
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        try {
          await client.create(this.childPath, '', { ttl: this.ttl });
        } catch (createError) {
          if (!(createError instanceof NodeExistsError)) throw createError;
          await client.set(this.childPath, '');
        }
      }
    } catch {
      // The node itself may be missing for a moment (the PersistentNode makes it again), or the
      // connection is down: the next touch tries again, well within the TTL.
    }
  }
}
