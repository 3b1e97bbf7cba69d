// The znode operations of ZooKeeperClient: create, read, write, delete, ACLs, auth, sync,
// transactions, multiRead and the admin reads. Each validates its input, then hands one request to
// the session and returns the session's own promise, so results settle in reply order.

import { OpCode } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MultiReadOp, MultiResult } from '../../protocol/multi.js';
import type { ACL, ClientInfo, Stat } from '../../protocol/records.js';
import { validateAcl } from '../acl.js';
import { errorFromCode, InvalidArgumentError, NodeExistsError, NoNodeError } from '../errors.js';
import { parentOf } from '../paths.js';
import type { WatchCallback } from '../watches/watch-registry.js';
import { ClientCore } from './client-core.js';
import type { CallOptions, CreateOptions, MultiReadRequest, Value } from './options.js';
import { checkCreateOptions, createFlag, Transaction } from './transaction.js';

/** The operations on znodes; ZooKeeperClient is the class to use. */
export abstract class ClientOperations extends ClientCore {
  /**
   * Creates a node. Returns its path (with the sequence suffix for sequential nodes), or
   * [path, stat] with `includeData`. Containers use op 19 and TTL nodes op 21 (`ttl` in ms).
   */
  create(path: string, value?: Value, options?: CreateOptions & { includeData?: false }): Promise<string>;
  create(
    path: string,
    value: Value | undefined,
    options: CreateOptions & { includeData: true },
  ): Promise<[string, Stat]>;
  create(path: string, value?: Value, options: CreateOptions = {}): Promise<string | [string, Stat]> {
    return this.request(() => {
      const sequential = options.sequence === true;
      checkCreateOptions(options);
      const serverPath = this.serverPath(path, { sequential });
      const body = {
        path: serverPath,
        data: this.encodeValue(value),
        acl: this.resolveAcl(options.acl),
        flags: createFlag(options),
      };
      const send = (): Promise<string | [string, Stat]> => {
        const convert = (r: { path: string; stat?: Stat }): string | [string, Stat] =>
          options.includeData && r.stat ? [this.clientPath(r.path), r.stat] : this.clientPath(r.path);
        const common = { path, convert, signal: options.signal, timeoutMs: this.options.requestTimeout };
        const s = this.requireSession();
        if (options.ttl !== undefined)
          return s.submit(OpCode.createTTL, { ...body, ttl: BigInt(options.ttl) }, common);
        if (options.container) return s.submit(OpCode.createContainer, body, common);
        return s.submit(options.includeData ? OpCode.create2 : OpCode.create, body, common);
      };
      // Without makepath the session's own promise is returned, so it settles in reply order.
      if (!options.makepath) return send();
      return send().catch(async (err: unknown) => {
        if (!(err instanceof NoNodeError)) throw err;
        await this.ensurePath(parentOf(path), options.acl);
        return send();
      });
    });
  }

  /** Creates `path` and any missing parents as persistent nodes; does nothing if it exists. */
  async ensurePath(path: string, acl?: readonly ACL[]): Promise<void> {
    this.serverPath(path);
    // Checked before the first exists(), so a bad list is refused with nothing sent.
    if (acl !== undefined) validateAcl(acl);
    if (path === '/' || (await this.exists(path)) !== null) return;
    await this.ensurePath(parentOf(path), acl);
    try {
      await this.create(path, undefined, { acl });
    } catch (err) {
      if (!(err instanceof NodeExistsError)) throw err;
    }
  }

  /** The node's Stat, or null when it does not exist. A watch is set either way (NodeCreated fires it). */
  exists(path: string, watch?: WatchCallback, options: CallOptions = {}): Promise<Stat | null> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot(path, watch, 'data', 'exist');
      return session.submit(
        OpCode.exists,
        { path: serverPath, watch: oneShot?.sent ?? false },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: statOf,
          accept: nullOnNoNode,
          watch: oneShot,
        },
      );
    });
  }

  /** [data, stat]; data is null for a node created with null data. */
  get(path: string, watch?: WatchCallback, options: CallOptions = {}): Promise<[Buffer | null, Stat]> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot(path, watch, 'data');
      return session.submit(
        OpCode.getData,
        { path: serverPath, watch: oneShot?.sent ?? false },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: dataAndStat,
          watch: oneShot,
        },
      );
    });
  }

  /** The children's names (unsorted), or [names, stat] with `includeData`. */
  getChildren(
    path: string,
    watch?: WatchCallback,
    options?: CallOptions & { includeData?: false },
  ): Promise<string[]>;
  getChildren(
    path: string,
    watch: WatchCallback | undefined,
    options: CallOptions & { includeData: true },
  ): Promise<[string[], Stat]>;
  getChildren(
    path: string,
    watch?: WatchCallback,
    options: CallOptions & { includeData?: boolean } = {},
  ): Promise<string[] | [string[], Stat]> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot(path, watch, 'child');
      const body = { path: serverPath, watch: oneShot?.sent ?? false };
      const common = {
        path: path,
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        watch: oneShot,
      };
      if (options.includeData) {
        return session.submit(OpCode.getChildren2, body, { ...common, convert: childrenAndStat });
      }
      return session.submit(OpCode.getChildren, body, { ...common, convert: childrenOf });
    });
  }

  /** Sets the data; with `version`, only if the node is at that version (BadVersionError otherwise). */
  set(path: string, value: Value, options: CallOptions & { version?: number } = {}): Promise<Stat> {
    return this.request(() => {
      const body = {
        path: this.serverPath(path),
        data: this.encodeValue(value),
        version: this.checkVersion(options.version ?? -1),
      };
      return this.requireSession().submit(OpCode.setData, body, {
        path: path,
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: statOf,
      });
    });
  }

  /** Deletes a node; `recursive` deletes its subtree first (NoNode along the way is fine). */
  delete(path: string, options: CallOptions & { version?: number; recursive?: boolean } = {}): Promise<void> {
    return this.request(() => {
      const serverPath = this.serverPath(path);
      const version = this.checkVersion(options.version ?? -1);
      if (options.recursive) return this.deleteRecursive(path, options);
      return this.requireSession().submit(
        OpCode.delete,
        { path: serverPath, version },
        { path, signal: options.signal, timeoutMs: this.options.requestTimeout, convert: toVoid },
      );
    });
  }

  /** [acl, stat]. */
  getAcls(path: string, options: CallOptions = {}): Promise<[ACL[], Stat]> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.getACL,
        { path: this.serverPath(path) },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: (r) => [r.acl, r.stat],
        },
      ),
    );
  }

  /** Replaces the ACL; `version` is the ACL version (aversion). */
  setAcls(
    path: string,
    acl: readonly ACL[],
    options: CallOptions & { version?: number } = {},
  ): Promise<Stat> {
    return this.request(() => {
      validateAcl(acl);
      const body = {
        path: this.serverPath(path),
        acl: [...acl],
        version: this.checkVersion(options.version ?? -1),
      };
      return this.requireSession().submit(OpCode.setACL, body, {
        path: path,
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: statOf,
      });
    });
  }

  /**
   * Authenticates the session (e.g. 'digest', 'user:password'). The credential is kept and replayed
   * on every reconnect. A refused credential ends the session (AUTH_FAILED), as ZooKeeper closes it.
   */
  addAuth(scheme: string, credential: string): Promise<void> {
    return this.request(() => {
      if (typeof scheme !== 'string' || scheme === '')
        throw new InvalidArgumentError('scheme', 'scheme must be a non-empty string');
      if (typeof credential !== 'string')
        throw new InvalidArgumentError('credential', 'credential must be a string');
      return this.requireSession().addAuth(scheme, credential);
    });
  }

  /** Waits until the server the client is on has caught up with the leader for `path`. */
  sync(path: string, options: CallOptions = {}): Promise<string> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.sync,
        { path: this.serverPath(path) },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: (r) => this.clientPath(r.path),
        },
      ),
    );
  }

  /** A transaction: add create/delete/setData/check, then `commit()`. */
  transaction(): Transaction {
    return new Transaction({
      serverPath: (p, o) => this.serverPath(p, o),
      clientPath: (p) => this.clientPath(p),
      encodeValue: (v) => this.encodeValue(v),
      resolveAcl: (a) => this.resolveAcl(a),
      checkVersion: (v) => this.checkVersion(v),
      commit: (ops, convert) =>
        this.request(() =>
          this.requireSession().submit(OpCode.multi, ops, {
            timeoutMs: this.options.requestTimeout,
            convert: (results) => convert(results as MultiResult[]),
          }),
        ),
    });
  }

  /** Several reads in one round trip (op 22); each result is [data, stat], names, or that read's error. */
  multiRead(
    reads: readonly MultiReadRequest[],
    options: CallOptions = {},
  ): Promise<Array<[Buffer | null, Stat] | string[] | Error>> {
    return this.request(() => {
      const ops: MultiReadOp[] = reads.map((r) =>
        r.op === 'get'
          ? { type: OpCode.getData, request: { path: this.serverPath(r.path), watch: false } }
          : { type: OpCode.getChildren, request: { path: this.serverPath(r.path), watch: false } },
      );
      // Converted inside the session, so the promise settles in reply order like any other.
      return this.requireSession().submit(OpCode.multiRead, ops, {
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: (results) =>
          (results as MultiResult[]).map((r, i) => {
            if (r.type === OpCode.getData) return [r.data, r.stat] as [Buffer | null, Stat];
            if (r.type === OpCode.getChildren) return r.children;
            if (r.type === OpCode.error) return errorFromCode(r.err, reads[i]?.path);
            return new Error(`unexpected result type ${r.type} in multiRead`);
          }),
      });
    });
  }

  /** Paths of this session's ephemeral nodes under `prefix` (client paths). */
  getEphemerals(prefix = '/', options: CallOptions = {}): Promise<string[]> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.getEphemerals,
        { prefixPath: this.serverPath(prefix) },
        {
          path: prefix,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          // The server matches the prefix as a string: under chroot '/app' it also returns the
          // session's nodes under '/application', which are outside the client's tree.
          convert: (r) => r.ephemerals.filter((p) => this.inChroot(p)).map((p) => this.clientPath(p)),
        },
      ),
    );
  }

  /** How many nodes lie below `path`, at any depth. */
  getAllChildrenNumber(path: string, options: CallOptions = {}): Promise<number> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.getAllChildrenNumber,
        { path: this.serverPath(path) },
        {
          path: path,
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: (r) => r.totalNumber,
        },
      ),
    );
  }

  /** The identities the server has for this session (ip, digest, x509, ...). */
  whoAmI(options: CallOptions = {}): Promise<ClientInfo[]> {
    return this.request(() =>
      this.requireSession().submit(
        OpCode.whoAmI,
        {},
        { signal: options.signal, timeoutMs: this.options.requestTimeout, convert: clientInfoOf },
      ),
    );
  }

  /**
   * Changes the ensemble's membership (needs reconfigEnabled and an authorised session):
   * incremental with `joining`/`leaving`, or bulk with `newMembers`. Returns the new [config, stat].
   */
  reconfig(
    change: { joining?: string; leaving?: string; newMembers?: string; fromConfig?: bigint },
    options: CallOptions = {},
  ): Promise<[Buffer | null, Stat]> {
    const body = {
      joiningServers: change.joining ?? null,
      leavingServers: change.leaving ?? null,
      newMembers: change.newMembers ?? null,
      curConfigId: change.fromConfig ?? -1n,
    };
    return this.request(() =>
      this.requireSession().submit(OpCode.reconfig, body, {
        signal: options.signal,
        timeoutMs: this.options.requestTimeout,
        convert: dataAndStat,
      }),
    );
  }

  /** The ensemble configuration node, /zookeeper/config (outside any chroot). */
  getConfig(watch?: WatchCallback, options: CallOptions = {}): Promise<[Buffer | null, Stat]> {
    return this.request(() => {
      const session = this.requireSession();
      const oneShot = watch && session.watches.oneShot('/zookeeper/config', watch, 'data');
      return session.submit(
        OpCode.getData,
        { path: '/zookeeper/config', watch: oneShot?.sent ?? false },
        {
          path: '/zookeeper/config',
          signal: options.signal,
          timeoutMs: this.options.requestTimeout,
          convert: dataAndStat,
          watch: oneShot,
        },
      );
    });
  }

  private async deleteRecursive(path: string, options: CallOptions): Promise<void> {
    let children: string[];
    try {
      children = await this.getChildren(path, undefined, options);
    } catch (err) {
      if (err instanceof NoNodeError) return;
      throw err;
    }
    await Promise.all(
      children.map((c) => this.deleteRecursive(path === '/' ? `/${c}` : `${path}/${c}`, options)),
    );
    if (path === '/') return;
    try {
      await this.delete(path, options.signal ? { signal: options.signal } : {});
    } catch (err) {
      if (!(err instanceof NoNodeError)) throw err;
    }
  }
}

// Reply converters shared by every call, so a request allocates no closures for them.
const statOf = (r: { stat: Stat }): Stat => r.stat;
const dataAndStat = (r: { data: Buffer | null; stat: Stat }): [Buffer | null, Stat] => [r.data, r.stat];
const childrenOf = (r: { children: string[] }): string[] => r.children;
const childrenAndStat = (r: { children: string[]; stat: Stat }): [string[], Stat] => [r.children, r.stat];
const clientInfoOf = (r: { clientInfo: ClientInfo[] }): ClientInfo[] => r.clientInfo;
const toVoid = (): undefined => undefined;
const NULL_VALUE = { value: null };
const nullOnNoNode = (code: number): { value: null } | undefined =>
  code === ErrorCode.NONODE ? NULL_VALUE : undefined;
