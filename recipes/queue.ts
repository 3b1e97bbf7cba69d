// kazoo's Queue: a priority queue of persistent sequential nodes `<path>/entry-<PPP>-<seq>`
// (`<PPP>` the priority as 3 digits, lower first; `<seq>` the server's counter). A get takes the
// first entry by deleting it: only the consumer whose delete succeeds returns it. Python services
// on kazoo share it: docs/recipes.md#queue-layout.
//
// Where this differs from kazoo, keeping its layout:
// - kazoo lists the children once and serves gets from that sorted list until it is used up, so an
//   item of higher priority put after the listing waits behind every older one; here every get
//   lists again, so it always takes the first entry the server has (docs/recipes.md#queue-order).
// - Entries of one priority are ordered by their signed 32-bit sequence, not as strings, so the
//   order survives the counter's wrap (docs/recipes.md#ordering-by-signed-sequence).

import {
  type CallOptions,
  InvalidArgumentError,
  joinPath,
  NoNodeError,
  type RecipeClient,
  validatePath,
} from '../lib/recipe-client.js';
import { compareContenders, contenderPattern, parseContender } from './contenders.js';

/** What a queue stores: bytes, or a string stored as UTF-8. */
export type QueueValue = Uint8Array | string;

/** kazoo's entry prefix, shared by Queue and LockingQueue's `entries/` children. */
export const ENTRY_PREFIX = 'entry-';

/** `entry-<PPP>-`: a queue entry's name without the counter the server appends. */
export function entryPrefix(priority: number): string {
  checkPriority(priority);
  return `${ENTRY_PREFIX}${String(priority).padStart(3, '0')}-`;
}

/** kazoo's check: an integer 0..999 (lower comes first). */
export function checkPriority(priority: number): void {
  if (!Number.isInteger(priority) || priority < 0 || priority > 999) {
    throw new InvalidArgumentError('priority', `priority must be an integer from 0 to 999, got ${priority}`);
  }
}

/** Bytes or a string, as kazoo insists on bytes. */
export function checkValue(value: unknown): asserts value is QueueValue {
  if (!(value instanceof Uint8Array) && typeof value !== 'string') {
    throw new InvalidArgumentError('value', 'value must be bytes (a Buffer or Uint8Array) or a string');
  }
}

// `entry-<3 digits>-<counter>`: the counter as contenders.ts matches it (all three server forms).
const ENTRY_PATTERN = contenderPattern([ENTRY_PREFIX]);
const PRIORITY = /^entry-(\d{3})-/;

/**
 * The entries among `children`, in queue order: by priority (lower first), then by signed
 * sequence (docs/recipes.md#queue-order). Children that are not entries are left out.
 */
export function entriesInOrder(children: readonly string[]): string[] {
  const entries: { name: string; priority: number; order: ReturnType<typeof parseContender> }[] = [];
  for (const name of children) {
    const priority = PRIORITY.exec(name);
    if (priority === null) continue;
    // The counter follows `entry-<PPP>-`: parse the tail as a contender whose marker is `-`.
    const order = parseContender(`${ENTRY_PREFIX}${name.slice(priority[0].length)}`, ENTRY_PATTERN);
    if (order === undefined) continue;
    entries.push({ name, priority: Number(priority[1]), order });
  }
  entries.sort((a, b) => a.priority - b.priority || compareContenders(a.order!, b.order!));
  return entries.map((entry) => entry.name);
}

/**
 * A distributed priority queue shared with kazoo. Not reliable: an entry is removed before it is
 * processed (use LockingQueue for that).
 */
export class Queue {
  /** The queue node; entries are its children. */
  readonly path: string;
  private readonly client: RecipeClient;
  private ensured = false;

  constructor(client: RecipeClient, path: string) {
    validatePath(path);
    this.client = client;
    this.path = path;
  }

  /**
   * Puts `value` with `priority` (0..999, default 100, lower first). Resolves with the entry's
   * name. Not retried (as in kazoo): a ConnectionLossError means the entry may have been made.
   */
  async put(value: QueueValue, priority = 100, options: CallOptions = {}): Promise<string> {
    checkValue(value);
    const prefix = entryPrefix(priority);
    await this.ensurePath(options);
    const created = await this.client.create(joinPath(this.path, prefix), value, {
      sequence: true,
      signal: options.signal,
      timeout: options.timeout,
    });
    return created.slice(created.lastIndexOf('/') + 1);
  }

  /**
   * Takes the first entry (lowest priority number, then oldest) and removes it; null when the
   * queue is empty. Every call lists the entries again (kazoo serves from a stale list).
   */
  async get(options: CallOptions = {}): Promise<Buffer | null> {
    const { client, path } = this;
    await this.ensurePath(options);
    for (;;) {
      const children = await client.retry(() => client.getChildren(path, undefined, options), options.signal);
      const first = entriesInOrder(children)[0];
      if (first === undefined) return null;
      const node = joinPath(path, first);
      try {
        const [data] = await client.retry(() => client.get(node, undefined, options), options.signal);
        // Only the consumer whose delete succeeds returns the entry. A retried delete whose first
        // attempt went through reports NoNode: the entry is then treated as taken by another
        // consumer (at most once, as kazoo's Queue: docs/recipes.md#queue-order).
        await client.retry(() => client.delete(node, options), options.signal);
        return data ?? Buffer.alloc(0);
      } catch (error) {
        if (!(error instanceof NoNodeError)) throw error;
        // Another consumer took it: list again (a higher priority may have come meanwhile).
      }
    }
  }

  /** The number of entries (kazoo's `len(queue)`: the queue node's child count). */
  async size(options: CallOptions = {}): Promise<number> {
    const { client, path } = this;
    await this.ensurePath(options);
    const [, stat] = await client.retry(() => client.get(path, undefined, options), options.signal);
    return stat.numChildren;
  }

  private async ensurePath(options: CallOptions): Promise<void> {
    if (this.ensured) return;
    await this.client.retry(() => this.client.ensurePath(this.path, options), options.signal);
    this.ensured = true;
  }
}
