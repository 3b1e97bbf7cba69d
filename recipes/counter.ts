// kazoo's Counter: one persistent node whose data is the value, changed by compare-and-set (read
// value and version, write the sum with that version, again on BadVersion). The data is what kazoo
// writes, so kazoo and zookit processes count on one node (docs/recipes.md#counter-layout): the
// ASCII of Python's `repr` (`7`, `1.5`, `1e+16`; empty data means the default), or with
// `supportCurator` the 4-byte big-endian signed int of Curator's SharedCount.
//
// kazoo runs the whole read-and-write under its retry policy, so a connection lost after the server
// applied the write but before its reply arrived makes kazoo add the same amount again: the count
// drifts under connection loss. Here each write goes in a transaction with an ephemeral marker
// child named after the attempt; when the reply is lost the marker tells whether it was applied, so
// an increment is counted once, never lost and never twice (docs/recipes.md#counter-exactly-once).

import {
  BadVersionError,
  ConnectionClosedError,
  ConnectionState,
  InvalidArgumentError,
  joinPath,
  type RecipeClient,
} from '../lib/recipe-client.js';
import { deleteForCertain } from './certain-delete.js';
import { decodeCuratorInt, encodeCuratorInt } from './curator/curator-numbers.js';
import { isConnectionProblem } from './faults.js';

/** How a Counter stores its value; the defaults are kazoo's. */
export interface CounterOptions {
  /** The value of a node with no data, kazoo's `default` (default 0). */
  default?: number;
  /**
   * Whether the value is a Python float (written `3.0`, read with `float()`), else an int (written
   * `3`, read with `int()`): kazoo takes the type of its default. Default: true when `default` is
   * not an integer. A JavaScript number cannot say `1.0` from `1`, so pass `float: true` to share a
   * node with a kazoo `Counter(path, default=1.0)`.
   */
  float?: boolean;
  /** Store a 4-byte big-endian signed int, as Curator's SharedCount (ints only); kazoo's `support_curator`. */
  supportCurator?: boolean;
}

/** The write of one change could not be confirmed either way: the session ended before it was known. */
export class CounterOutcomeUnknownError extends Error {
  override readonly name = 'CounterOutcomeUnknownError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_COUNTER_OUTCOME_UNKNOWN';
  constructor(
    /** The counter's path. */
    readonly path: string,
    /** The change whose outcome is unknown. */
    readonly change: number,
  ) {
    super(
      `the session ended before the change ${change} of counter ${path} was confirmed; it may or may not be applied`,
    );
  }

  /** `{ name, message, code, path, change }` for JSON.stringify. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, code: this.code, path: this.path, change: this.change };
  }
}

/** The marker child's name prefix (docs/recipes.md#counter-exactly-once). */
export const COUNTER_MARKER_PREFIX = 'zookit-counter-';

/**
 * Python's `repr(float(x))`: the shortest digits that read back as `x` (JavaScript finds the same
 * ones), in positional form when the decimal exponent is from -4 to 15 and with a `.0` on a whole
 * number, else as `d.ddde±XX` (at least two exponent digits). docs/recipes.md#counter-layout
 */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Number.POSITIVE_INFINITY) return 'inf';
  if (x === Number.NEGATIVE_INFINITY) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, exponentText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    const magnitude = String(Math.abs(exponent)).padStart(2, '0');
    return `${sign}${digits[0]}${fraction}e${exponent < 0 ? '-' : '+'}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === '' ? '0' : fraction}`;
}

/** Python's `int(text)` or `float(text)` for what kazoo writes (and what those accept of it). */
function parsePython(text: string, float: boolean, path: string): number {
  const trimmed = text.trim().replace(/(?<=\d)_(?=\d)/g, '');
  if (!float) {
    if (/^[+-]?\d+$/.test(trimmed)) {
      const value = Number(trimmed);
      if (Number.isSafeInteger(value)) return value;
    }
    throw new InvalidArgumentError(
      'data',
      `counter ${path} holds ${JSON.stringify(text)}, not an int zookit can count`,
    );
  }
  const special = /^([+-]?)(inf|infinity|nan)$/i.exec(trimmed);
  if (special !== null) {
    if (special[2]!.toLowerCase() === 'nan') return Number.NaN;
    return special[1] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed)) return Number(trimmed);
  throw new InvalidArgumentError('data', `counter ${path} holds ${JSON.stringify(text)}, not a float`);
}

/** A counter shared with kazoo's Counter (and, with `supportCurator`, Curator's SharedCount). */
export class Counter {
  /** The counter's node. */
  readonly path: string;
  /** The value before the last change this counter made (undefined before one). */
  preValue: number | undefined;
  /** The value the last change wrote (undefined before one, or after a failed one). */
  postValue: number | undefined;
  /** Compare-and-set attempts of this instance that lost to another writer (BadVersion) and were tried again. */
  retries = 0;
  private readonly client: RecipeClient;
  private readonly defaultValue: number;
  private readonly float: boolean;
  private readonly supportCurator: boolean;
  private ensured = false;

  constructor(client: RecipeClient, path: string, options: CounterOptions = {}) {
    const { default: defaultValue = 0, supportCurator = false } = options;
    const float = options.float ?? !Number.isInteger(defaultValue);
    if (typeof defaultValue !== 'number')
      throw new InvalidArgumentError('default', 'default must be a number');
    if (supportCurator && (float || !Number.isInteger(defaultValue)))
      throw new InvalidArgumentError('default', 'with supportCurator the default must be an int');
    if (!float && !Number.isSafeInteger(defaultValue))
      throw new InvalidArgumentError('default', 'an int default must be a safe integer');
    this.client = client;
    this.path = path;
    this.defaultValue = defaultValue;
    this.float = float;
    this.supportCurator = supportCurator;
  }

  /** The value now (the node is created, empty, when missing). */
  async get(): Promise<number> {
    return (await this.read())[0];
  }

  /** Adds `amount` once, exactly; resolves to the value it wrote. */
  add(amount: number): Promise<number> {
    return this.change(amount);
  }

  /** Subtracts `amount` once, exactly; resolves to the value it wrote. */
  subtract(amount: number): Promise<number> {
    return this.change(-amount);
  }

  /** The stored bytes of `value`, as kazoo writes them. */
  encode(value: number): Buffer {
    if (this.supportCurator) return encodeCuratorInt(value, `counter ${this.path}`);
    if (this.float) return Buffer.from(pythonFloatRepr(value), 'ascii');
    if (!Number.isSafeInteger(value))
      throw new RangeError(`${value} is not a safe integer (counter ${this.path})`);
    return Buffer.from(String(value), 'ascii');
  }

  /** The value of stored bytes (empty or missing data: the default). */
  decode(data: Buffer | null): number {
    if (data === null || data.length === 0) return this.defaultValue;
    if (this.supportCurator) {
      if (data.length !== 4)
        throw new InvalidArgumentError(
          'data',
          `counter ${this.path} holds ${data.length} bytes, not Curator's 4`,
        );
      return decodeCuratorInt(data, `counter ${this.path}`);
    }
    return parsePython(data.toString('latin1'), this.float, this.path);
  }

  private async read(): Promise<[number, number]> {
    const { client } = this;
    if (!this.ensured) {
      await client.retry(() => client.ensurePath(this.path));
      this.ensured = true;
    }
    const [data, stat] = await client.retry(() => client.get(this.path));
    return [this.decode(data), stat.version];
  }

  private async change(amount: number): Promise<number> {
    if (typeof amount !== 'number' || Number.isNaN(amount))
      throw new InvalidArgumentError('amount', 'the change must be a number');
    if (!this.float && !Number.isSafeInteger(amount))
      throw new InvalidArgumentError('amount', `counter ${this.path} counts ints; ${amount} is not one`);
    const { client } = this;
    for (;;) {
      const [pre, version] = await this.read();
      const post = pre + amount;
      const data = this.encode(post);
      const marker = joinPath(
        this.path,
        COUNTER_MARKER_PREFIX + globalThis.crypto.randomUUID().replace(/-/g, ''),
      );
      const session = client.clientId?.sessionId;
      let applied: boolean;
      try {
        const results = await client
          .transaction()
          .setData(this.path, data, version)
          .create(marker, undefined, { ephemeral: true })
          .commit();
        if (results[0] instanceof BadVersionError) {
          this.retries++;
          continue;
        }
        const failed = results.find((result) => result instanceof Error);
        if (failed !== undefined) throw failed;
        applied = true;
      } catch (error) {
        if (client.connectionState === ConnectionState.CLOSED || error instanceof ConnectionClosedError)
          throw error;
        if (!isConnectionProblem(client, error)) throw error;
        applied = await this.wasApplied(marker, session, amount);
      }
      if (!applied) continue;
      // The marker has served: the change is known to be applied. Its delete is sent now, so any
      // later request of this session sees it gone (one session's requests are applied in order),
      // but the change does not wait for it: that would add a write's round trip to every change.
      // docs/recipes.md#counter-exactly-once
      void deleteForCertain(client, {
        parent: this.path,
        prefix: '',
        name: marker.slice(this.path.length + 1),
      });
      this.preValue = pre;
      this.postValue = post;
      return post;
    }
  }

  /**
   * Whether a transaction whose reply was lost was applied: its marker exists. The session orders
   * the read after the write, so a write the server got is seen; a marker of an ended session is
   * gone either way, so then the outcome is unknown.
   */
  private async wasApplied(marker: string, session: bigint | undefined, amount: number): Promise<boolean> {
    const { client } = this;
    const stat = await client.retry(() => client.exists(marker));
    if (client.clientId?.sessionId !== session) {
      this.postValue = undefined;
      if (stat === null) throw new CounterOutcomeUnknownError(this.path, amount);
    }
    return stat !== null;
  }
}
