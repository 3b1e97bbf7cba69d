// Wire numbers of ZooKeeper 3.8 (ZooDefs, Watcher.Event, CreateMode), each under its Java name.
// Every enum is an `as const` object with a union type of its values.

/** Request and result types (`ZooDefs.OpCode`). */
export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  /** multi-only: sent alone it breaks 3.8.0 servers (ZOOKEEPER-2623); the codec refuses it. */
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  /** server-internal (ContainerManager); clients get BADARGUMENTS for it. */
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  /** The result type of a failed op inside multi. */
  error: -1,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

/** Reserved xids: notifications, pings, auth and SetWatches replies carry these. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;
export type Xid = (typeof Xid)[keyof typeof Xid];

/** Watch event types. The server sends 1–4; None and 5–7 are made by the client. */
export const EventType = {
  None: -1,
  NodeCreated: 1,
  NodeDeleted: 2,
  NodeDataChanged: 3,
  NodeChildrenChanged: 4,
  DataWatchRemoved: 5,
  ChildWatchRemoved: 6,
  PersistentWatchRemoved: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/** Session states as ZooKeeper's Watcher.Event.KeeperState numbers them. */
export const KeeperState = {
  Unknown: -1,
  Disconnected: 0,
  NoSyncConnected: 1,
  SyncConnected: 3,
  AuthFailed: 4,
  ConnectedReadOnly: 5,
  SaslAuthenticated: 6,
  Expired: -112,
  Closed: 7,
} as const;
export type KeeperState = (typeof KeeperState)[keyof typeof KeeperState];

/** The `flags` of a create request (CreateMode). Containers and TTL nodes use their own opcodes. */
export const CreateFlag = {
  PERSISTENT: 0,
  EPHEMERAL: 1,
  PERSISTENT_SEQUENTIAL: 2,
  EPHEMERAL_SEQUENTIAL: 3,
  CONTAINER: 4,
  PERSISTENT_WITH_TTL: 5,
  PERSISTENT_SEQUENTIAL_WITH_TTL: 6,
} as const;
export type CreateFlag = (typeof CreateFlag)[keyof typeof CreateFlag];

/** ACL permission bits. */
export const Perm = {
  READ: 1,
  WRITE: 2,
  CREATE: 4,
  DELETE: 8,
  ADMIN: 16,
  ALL: 31,
} as const;
export type Perm = (typeof Perm)[keyof typeof Perm];

/** The `type` of checkWatches/removeWatches. Persistent (4, 5) needs a 3.9 server: 3.8 answers -5. */
export const WatcherType = {
  Children: 1,
  Data: 2,
  Any: 3,
  Persistent: 4,
  PersistentRecursive: 5,
} as const;
export type WatcherType = (typeof WatcherType)[keyof typeof WatcherType];

/** The `mode` of addWatch (op 106). */
export const AddWatchMode = {
  PERSISTENT: 0,
  PERSISTENT_RECURSIVE: 1,
} as const;
export type AddWatchMode = (typeof AddWatchMode)[keyof typeof AddWatchMode];

/**
 * Largest frame payload (bytes, after the 4-byte length) a 3.8 server accepts by default: its
 * jute.maxbuffer. Over it, the server drops the connection without an error code.
 */
export const DEFAULT_MAX_BUFFER_BYTES = 0xfffff;

/** Bytes of a ReplyHeader (xid int, zxid long, err int). */
export const REPLY_HEADER_BYTES = 16;

/** Default inbound frame limit (bytes): the server's packet limit plus a reply header. */
export const DEFAULT_MAX_INBOUND_FRAME_BYTES = DEFAULT_MAX_BUFFER_BYTES + REPLY_HEADER_BYTES;

/** Bytes in a session password. */
export const SESSION_PASSWORD_BYTES = 16;

/** Largest TTL (ms) a createTTL accepts: the server keeps it in 40 bits of ephemeralOwner. */
export const MAX_TTL_MS = 2 ** 40 - 1;
