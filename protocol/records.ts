// Every record a ZooKeeper 3.8 client sends or receives, declared once in wire order, named and
// laid out as in zookeeper.jute. Each declaration is both a codec and, by the same name, a type.

import {
  bool,
  buffer,
  type Infer,
  int,
  long,
  optionalTrailing,
  record,
  string,
  ustring,
  vector,
} from './codec.js';

/** An identity: `world:anyone`, `digest:user:hash`, `ip:10.0.0.0/8`, `x509:<dn>`, ... */
export const Id = record('Id', { scheme: string, id: string });
export type Id = Infer<typeof Id>;

/** One ACL entry: permission bits (Perm) granted to an identity. */
export const ACL = record('ACL', { perms: int, id: Id });
export type ACL = Infer<typeof ACL>;

/**
 * A znode's metadata, 68 bytes. Times are ms since the epoch; versions count changes of data
 * (version), children (cversion) and ACL (aversion); ephemeralOwner is the owning session id, 0
 * for persistent, container and TTL nodes alike.
 */
export const Stat = record('Stat', {
  czxid: long,
  mzxid: long,
  ctime: long,
  mtime: long,
  version: int,
  cversion: int,
  aversion: int,
  ephemeralOwner: long,
  dataLength: int,
  numChildren: int,
  pzxid: long,
});
export type Stat = Infer<typeof Stat>;

/** The first frame of a connection (no header); readOnly is the optional trailing byte. */
export const ConnectRequest = record('ConnectRequest', {
  protocolVersion: int,
  lastZxidSeen: long,
  timeOut: int,
  sessionId: long,
  passwd: buffer,
  readOnly: optionalTrailing(bool),
});
export type ConnectRequest = Infer<typeof ConnectRequest>;

/** The server's answer to ConnectRequest: 37 bytes with readOnly, 36 without; timeOut 0 = expired. */
export const ConnectResponse = record('ConnectResponse', {
  protocolVersion: int,
  timeOut: int,
  sessionId: long,
  passwd: buffer,
  readOnly: optionalTrailing(bool),
});
export type ConnectResponse = Infer<typeof ConnectResponse>;

/** Precedes every request after the handshake. */
export const RequestHeader = record('RequestHeader', { xid: int, type: int });
export type RequestHeader = Infer<typeof RequestHeader>;

/** Precedes every reply; on err ≠ 0 no body follows (multi excepted). */
export const ReplyHeader = record('ReplyHeader', { xid: int, zxid: long, err: int });
export type ReplyHeader = Infer<typeof ReplyHeader>;

/** Precedes each op and each result inside multi / multiRead, and ends the list (done). */
export const MultiHeader = record('MultiHeader', { type: int, done: bool, err: int });
export type MultiHeader = Infer<typeof MultiHeader>;

/** A watch notification (xid -1). The path is the server's, chroot included. */
export const WatcherEvent = record('WatcherEvent', { type: int, state: int, path: string });
export type WatcherEvent = Infer<typeof WatcherEvent>;

/** A failed op's result inside multi, and the body of addWatch's reply. */
export const ErrorResponse = record('ErrorResponse', { err: int });
export type ErrorResponse = Infer<typeof ErrorResponse>;

// --- create, delete, check ---------------------------------------------------------------------

export const CreateRequest = record('CreateRequest', {
  path: string,
  data: buffer,
  acl: vector(ACL),
  flags: int,
});
export type CreateRequest = Infer<typeof CreateRequest>;

/** createTTL (21): `ttl` in ms, 1 … 2^40-1. */
export const CreateTTLRequest = record('CreateTTLRequest', {
  path: string,
  data: buffer,
  acl: vector(ACL),
  flags: int,
  ttl: long,
});
export type CreateTTLRequest = Infer<typeof CreateTTLRequest>;

export const CreateResponse = record('CreateResponse', { path: string });
export type CreateResponse = Infer<typeof CreateResponse>;

export const Create2Response = record('Create2Response', { path: string, stat: Stat });
export type Create2Response = Infer<typeof Create2Response>;

/** `version` -1 deletes any version. */
export const DeleteRequest = record('DeleteRequest', { path: string, version: int });
export type DeleteRequest = Infer<typeof DeleteRequest>;

/** The `check` op: valid only inside multi. */
export const CheckVersionRequest = record('CheckVersionRequest', { path: string, version: int });
export type CheckVersionRequest = Infer<typeof CheckVersionRequest>;

// --- reads ---------------------------------------------------------------------------------------

export const ExistsRequest = record('ExistsRequest', { path: string, watch: bool });
export type ExistsRequest = Infer<typeof ExistsRequest>;

export const ExistsResponse = record('ExistsResponse', { stat: Stat });
export type ExistsResponse = Infer<typeof ExistsResponse>;

export const GetDataRequest = record('GetDataRequest', { path: string, watch: bool });
export type GetDataRequest = Infer<typeof GetDataRequest>;

export const GetDataResponse = record('GetDataResponse', { data: buffer, stat: Stat });
export type GetDataResponse = Infer<typeof GetDataResponse>;

export const GetChildrenRequest = record('GetChildrenRequest', { path: string, watch: bool });
export type GetChildrenRequest = Infer<typeof GetChildrenRequest>;

export const GetChildrenResponse = record('GetChildrenResponse', { children: vector(string) });
export type GetChildrenResponse = Infer<typeof GetChildrenResponse>;

export const GetChildren2Request = record('GetChildren2Request', { path: string, watch: bool });
export type GetChildren2Request = Infer<typeof GetChildren2Request>;

export const GetChildren2Response = record('GetChildren2Response', {
  children: vector(string),
  stat: Stat,
});
export type GetChildren2Response = Infer<typeof GetChildren2Response>;

export const GetAllChildrenNumberRequest = record('GetAllChildrenNumberRequest', { path: string });
export type GetAllChildrenNumberRequest = Infer<typeof GetAllChildrenNumberRequest>;

export const GetAllChildrenNumberResponse = record('GetAllChildrenNumberResponse', { totalNumber: int });
export type GetAllChildrenNumberResponse = Infer<typeof GetAllChildrenNumberResponse>;

/** getEphemerals (103): the session's own ephemerals under `prefixPath`, as server paths. */
export const GetEphemeralsRequest = record('GetEphemeralsRequest', { prefixPath: string });
export type GetEphemeralsRequest = Infer<typeof GetEphemeralsRequest>;

export const GetEphemeralsResponse = record('GetEphemeralsResponse', { ephemerals: vector(string) });
export type GetEphemeralsResponse = Infer<typeof GetEphemeralsResponse>;

// --- writes --------------------------------------------------------------------------------------

export const SetDataRequest = record('SetDataRequest', { path: string, data: buffer, version: int });
export type SetDataRequest = Infer<typeof SetDataRequest>;

export const SetDataResponse = record('SetDataResponse', { stat: Stat });
export type SetDataResponse = Infer<typeof SetDataResponse>;

export const GetACLRequest = record('GetACLRequest', { path: string });
export type GetACLRequest = Infer<typeof GetACLRequest>;

export const GetACLResponse = record('GetACLResponse', { acl: vector(ACL), stat: Stat });
export type GetACLResponse = Infer<typeof GetACLResponse>;

/** setACL (7): `version` is the ACL version (aversion), not the data version. */
export const SetACLRequest = record('SetACLRequest', { path: string, acl: vector(ACL), version: int });
export type SetACLRequest = Infer<typeof SetACLRequest>;

export const SetACLResponse = record('SetACLResponse', { stat: Stat });
export type SetACLResponse = Infer<typeof SetACLResponse>;

export const SyncRequest = record('SyncRequest', { path: string });
export type SyncRequest = Infer<typeof SyncRequest>;

export const SyncResponse = record('SyncResponse', { path: string });
export type SyncResponse = Infer<typeof SyncResponse>;

/** reconfig (16): incremental (joining/leaving) or bulk (newMembers); unused fields are null. */
export const ReconfigRequest = record('ReconfigRequest', {
  joiningServers: ustring,
  leavingServers: ustring,
  newMembers: ustring,
  curConfigId: long,
});
export type ReconfigRequest = Infer<typeof ReconfigRequest>;

// --- watches -------------------------------------------------------------------------------------

/** checkWatches (17) and removeWatches (18): `type` is a WatcherType. */
export const CheckWatchesRequest = record('CheckWatchesRequest', { path: string, type: int });
export type CheckWatchesRequest = Infer<typeof CheckWatchesRequest>;

export const RemoveWatchesRequest = record('RemoveWatchesRequest', { path: string, type: int });
export type RemoveWatchesRequest = Infer<typeof RemoveWatchesRequest>;

/** addWatch (106): `mode` is an AddWatchMode. */
export const AddWatchRequest = record('AddWatchRequest', { path: string, mode: int });
export type AddWatchRequest = Infer<typeof AddWatchRequest>;

/** setWatches (101): re-registers standard watches after a reconnect, relative to a zxid. */
export const SetWatches = record('SetWatches', {
  relativeZxid: long,
  dataWatches: vector(string),
  existWatches: vector(string),
  childWatches: vector(string),
});
export type SetWatches = Infer<typeof SetWatches>;

/** setWatches2 (105): SetWatches plus persistent and persistent-recursive watches (3.6+). */
export const SetWatches2 = record('SetWatches2', {
  relativeZxid: long,
  dataWatches: vector(string),
  existWatches: vector(string),
  childWatches: vector(string),
  persistentWatches: vector(string),
  persistentRecursiveWatches: vector(string),
});
export type SetWatches2 = Infer<typeof SetWatches2>;

// --- authentication ------------------------------------------------------------------------------

/** auth (100, xid -4): `type` is always 0; `auth` holds the credential (e.g. "user:password"). */
export const AuthPacket = record('AuthPacket', { type: int, scheme: string, auth: buffer });
export type AuthPacket = Infer<typeof AuthPacket>;

/** sasl (102): the client's SASL token. */
export const GetSASLRequest = record('GetSASLRequest', { token: buffer });
export type GetSASLRequest = Infer<typeof GetSASLRequest>;

/** sasl (102): the server's SASL challenge. */
export const SetSASLResponse = record('SetSASLResponse', { token: buffer });
export type SetSASLResponse = Infer<typeof SetSASLResponse>;

/** One authenticated identity of the session, as whoAmI reports it. */
export const ClientInfo = record('ClientInfo', { authScheme: string, user: string });
export type ClientInfo = Infer<typeof ClientInfo>;

export const WhoAmIResponse = record('WhoAmIResponse', { clientInfo: vector(ClientInfo) });
export type WhoAmIResponse = Infer<typeof WhoAmIResponse>;
