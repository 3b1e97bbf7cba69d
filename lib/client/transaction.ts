// kazoo's TransactionRequest: collect create / delete / setData / check, commit them atomically
// with one multi (op 14), and get one result per op — a value, or the error that op stands for.

import { CreateFlag, MAX_TTL_MS, OpCode } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MultiOp, MultiResult } from '../../protocol/multi.js';
import type { ACL, Stat } from '../../protocol/records.js';
import {
  errorFromCode,
  type FailedOp,
  InvalidArgumentError,
  RolledBackError,
  RuntimeInconsistencyError,
  TransactionFailedError,
} from '../errors.js';
import { checkVersion, toBytes } from './arguments.js';

/** One op's outcome: created path, Stat of a setData, true for delete/check, or the op's error. */
export type TransactionResult = string | Stat | true | Error;

/** What a transaction needs from its client: validation, chroot handling and sending. */
export interface TransactionHost {
  /** Validates and prefixes a client path (throws InvalidPathError). */
  serverPath(path: string, options?: { sequential?: boolean }): string;
  /** Removes the chroot from a server path. */
  clientPath(serverPath: string): string;
  /** Checks an ACL list and fills in the default. */
  resolveAcl(acl: readonly ACL[] | undefined): ACL[];
  /** Sends the multi; `convert` turns the results into the caller's value as the reply is read. */
  commit<T>(ops: MultiOp[], convert: (results: MultiResult[]) => T, options: CommitOptions): Promise<T>;
}

/** Options of a create inside a transaction. */
export interface TransactionCreateOptions {
  acl?: readonly ACL[];
  ephemeral?: boolean;
  sequence?: boolean;
  container?: boolean;
  ttl?: number;
}

/** How long `commit()` waits, and what a failure does. */
export interface CommitOptions {
  signal?: AbortSignal;
  /** Give up after this many ms (default: the client's `requestTimeout`). */
  timeout?: number;
  /**
   * Reject with TransactionFailedError when an op fails (as the Java client's multi throws),
   * instead of resolving with the results list (kazoo's way, the default).
   */
  throwOnFailure?: boolean;
}

/** The name of each op a transaction may hold, for messages. */
const OP_NAMES: Readonly<Record<number, string>> = {
  [OpCode.create]: 'create',
  [OpCode.create2]: 'create',
  [OpCode.createContainer]: 'create',
  [OpCode.createTTL]: 'create',
  [OpCode.delete]: 'delete',
  [OpCode.setData]: 'setData',
  [OpCode.check]: 'check',
};

/** A transaction: add ops, then `commit()` once. Every op is validated when it is added. */
export class Transaction {
  private readonly ops: MultiOp[] = [];
  private committed = false;

  constructor(private readonly host: TransactionHost) {}

  create(path: string, value?: Uint8Array | string, options: TransactionCreateOptions = {}): this {
    checkCreateOptions(options);
    const sequential = options.sequence === true;
    const request = {
      path: this.host.serverPath(path, { sequential }),
      data: toBytes(value),
      acl: this.host.resolveAcl(options.acl),
      flags: createFlag(options),
    };
    if (options.ttl !== undefined) {
      this.ops.push({ type: OpCode.createTTL, request: { ...request, ttl: BigInt(options.ttl) } });
    } else if (options.container) {
      this.ops.push({ type: OpCode.createContainer, request });
    } else {
      this.ops.push({ type: OpCode.create, request });
    }
    return this;
  }

  delete(path: string, version = -1): this {
    this.ops.push({
      type: OpCode.delete,
      request: { path: this.host.serverPath(path), version: checkVersion(version) },
    });
    return this;
  }

  setData(path: string, value: Uint8Array | string, version = -1): this {
    this.ops.push({
      type: OpCode.setData,
      request: {
        path: this.host.serverPath(path),
        data: toBytes(value),
        version: checkVersion(version),
      },
    });
    return this;
  }

  /** Fails the whole transaction unless the node is at `version` (sent only inside multi). */
  check(path: string, version: number): this {
    this.ops.push({
      type: OpCode.check,
      request: { path: this.host.serverPath(path), version: checkVersion(version) },
    });
    return this;
  }

  /**
   * Sends every op in one multi. Resolves with one result per op. When an op fails nothing is
   * applied: that op's result is its error (with its path), the ops before it get RolledBackError
   * and those after it RuntimeInconsistencyError (kazoo's list), each naming the failed op in its
   * message and `failedOp`. With `throwOnFailure` it rejects with TransactionFailedError instead.
   * docs/transactions.md#results
   */
  commit(options: CommitOptions = {}): Promise<TransactionResult[]> {
    if (this.committed) return Promise.reject(new Error('transaction already committed'));
    this.committed = true;
    const ops = this.ops;
    const { throwOnFailure, ...call } = options;
    return this.host.commit(ops, (results) => this.toResults(ops, results, throwOnFailure === true), call);
  }

  private toResults(
    ops: readonly MultiOp[],
    results: MultiResult[],
    throwOnFailure: boolean,
  ): TransactionResult[] {
    const failedAt = results.findIndex(
      (r) => r.type === OpCode.error && r.err !== 0 && r.err !== ErrorCode.RUNTIMEINCONSISTENCY,
    );
    if (failedAt < 0) return results.map((r, i) => this.toResult(r, ops[i]));
    const failedResult = results[failedAt] as { err: number };
    const failedOp: FailedOp = {
      index: failedAt,
      op: OP_NAMES[ops[failedAt]?.type ?? -1] ?? 'op',
      path: this.pathOf(ops[failedAt]),
      error: errorFromCode(failedResult.err, this.pathOf(ops[failedAt])),
    };
    const why =
      `not applied: ops[${failedAt}] (${failedOp.op} ${failedOp.path}) failed with ` +
      `${failedOp.error.codeName} (${failedOp.error.code}), so the transaction was rolled back`;
    const out = results.map((r, i): TransactionResult => {
      if (i === failedAt) return failedOp.error;
      if (r.type !== OpCode.error) return this.toResult(r, ops[i]);
      if (r.err === 0) return new RolledBackError(why, failedOp);
      if (r.err === ErrorCode.RUNTIMEINCONSISTENCY)
        return new RuntimeInconsistencyError(undefined, this.pathOf(ops[i]), why, failedOp);
      return errorFromCode(r.err, this.pathOf(ops[i]));
    });
    if (throwOnFailure) throw new TransactionFailedError(failedOp, out);
    return out;
  }

  private toResult(result: MultiResult, op: MultiOp | undefined): TransactionResult {
    switch (result.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
        return this.host.clientPath(result.path);
      case OpCode.setData:
        return result.stat;
      case OpCode.delete:
      case OpCode.check:
        return true;
      case OpCode.error:
        return result.err === 0 ? new RolledBackError() : errorFromCode(result.err, this.pathOf(op));
      default:
        return new Error(`unexpected result type ${result.type} in a transaction`);
    }
  }

  /** The client path an op named. */
  private pathOf(op: MultiOp | undefined): string {
    return op === undefined ? '' : this.host.clientPath(op.request.path);
  }
}

/**
 * Throws InvalidArgumentError for create options ZooKeeper would refuse: a TTL outside
 * 1..2^40-1 ms (the server answers BADARGUMENTS), a TTL on an ephemeral node or a container, a
 * sequential or ephemeral container.
 */
export function checkCreateOptions(options: TransactionCreateOptions): void {
  if (options.ttl !== undefined) {
    if (!Number.isInteger(options.ttl) || options.ttl < 1 || options.ttl > MAX_TTL_MS) {
      throw new InvalidArgumentError('ttl', `ttl must be an integer from 1 to 2^40-1 ms, got ${options.ttl}`);
    }
    if (options.ephemeral || options.container) {
      throw new InvalidArgumentError('ttl', 'a TTL node cannot also be ephemeral or a container');
    }
  }
  if (options.container && (options.ephemeral || options.sequence)) {
    throw new InvalidArgumentError('container', 'a container cannot be ephemeral or sequential');
  }
}

/** The create flags for a set of create options. */
export function createFlag(options: TransactionCreateOptions): CreateFlag {
  if (options.ttl !== undefined)
    return options.sequence ? CreateFlag.PERSISTENT_SEQUENTIAL_WITH_TTL : CreateFlag.PERSISTENT_WITH_TTL;
  if (options.container) return CreateFlag.CONTAINER;
  if (options.ephemeral) return options.sequence ? CreateFlag.EPHEMERAL_SEQUENTIAL : CreateFlag.EPHEMERAL;
  return options.sequence ? CreateFlag.PERSISTENT_SEQUENTIAL : CreateFlag.PERSISTENT;
}
