// The request and response record of every op a client sends, and the functions that turn a
// request into a frame and a frame into a reply. Nothing here knows about sockets or sessions.

import { type Codec, empty, expect, type Infer } from './codec.js';
import { DEFAULT_MAX_BUFFER_BYTES, OpCode, Xid } from './constants.js';
import { JuteReader, JuteWriter } from './jute.js';
import { MultiReadRequest, MultiRequest, MultiResponse } from './multi.js';
import { OutboundFrameTooLargeError, UnsafeRequestError } from './protocol-error.js';
import {
  AddWatchRequest,
  AuthPacket,
  CheckVersionRequest,
  CheckWatchesRequest,
  ConnectRequest,
  ConnectResponse,
  Create2Response,
  CreateRequest,
  CreateResponse,
  CreateTTLRequest,
  DeleteRequest,
  ErrorResponse,
  ExistsRequest,
  ExistsResponse,
  GetACLRequest,
  GetACLResponse,
  GetAllChildrenNumberRequest,
  GetAllChildrenNumberResponse,
  GetChildren2Request,
  GetChildren2Response,
  GetChildrenRequest,
  GetChildrenResponse,
  GetDataRequest,
  GetDataResponse,
  GetEphemeralsRequest,
  GetEphemeralsResponse,
  GetSASLRequest,
  ReconfigRequest,
  RemoveWatchesRequest,
  ReplyHeader,
  RequestHeader,
  SetACLRequest,
  SetACLResponse,
  SetDataRequest,
  SetDataResponse,
  SetSASLResponse,
  SetWatches,
  SetWatches2,
  SyncRequest,
  SyncResponse,
  WatcherEvent,
  WhoAmIResponse,
} from './records.js';

/** Each client op: the record after its RequestHeader and the record after its ReplyHeader. */
export const Operations = {
  [OpCode.create]: { request: CreateRequest, response: CreateResponse },
  [OpCode.delete]: { request: DeleteRequest, response: empty },
  [OpCode.exists]: { request: ExistsRequest, response: ExistsResponse },
  [OpCode.getData]: { request: GetDataRequest, response: GetDataResponse },
  [OpCode.setData]: { request: SetDataRequest, response: SetDataResponse },
  [OpCode.getACL]: { request: GetACLRequest, response: GetACLResponse },
  [OpCode.setACL]: { request: SetACLRequest, response: SetACLResponse },
  [OpCode.getChildren]: { request: GetChildrenRequest, response: GetChildrenResponse },
  [OpCode.sync]: { request: SyncRequest, response: SyncResponse },
  [OpCode.ping]: { request: empty, response: empty },
  [OpCode.getChildren2]: { request: GetChildren2Request, response: GetChildren2Response },
  [OpCode.check]: { request: CheckVersionRequest, response: empty },
  [OpCode.multi]: { request: MultiRequest, response: MultiResponse },
  [OpCode.create2]: { request: CreateRequest, response: Create2Response },
  [OpCode.reconfig]: { request: ReconfigRequest, response: GetDataResponse },
  [OpCode.checkWatches]: { request: CheckWatchesRequest, response: empty },
  [OpCode.removeWatches]: { request: RemoveWatchesRequest, response: empty },
  [OpCode.createContainer]: { request: CreateRequest, response: Create2Response },
  [OpCode.createTTL]: { request: CreateTTLRequest, response: Create2Response },
  [OpCode.multiRead]: { request: MultiReadRequest, response: MultiResponse },
  [OpCode.auth]: { request: AuthPacket, response: empty },
  [OpCode.setWatches]: { request: SetWatches, response: empty },
  [OpCode.sasl]: { request: GetSASLRequest, response: SetSASLResponse },
  [OpCode.getEphemerals]: { request: GetEphemeralsRequest, response: GetEphemeralsResponse },
  [OpCode.getAllChildrenNumber]: {
    request: GetAllChildrenNumberRequest,
    response: GetAllChildrenNumberResponse,
  },
  [OpCode.setWatches2]: { request: SetWatches2, response: empty },
  [OpCode.addWatch]: { request: AddWatchRequest, response: ErrorResponse },
  [OpCode.whoAmI]: { request: empty, response: WhoAmIResponse },
  [OpCode.closeSession]: { request: empty, response: empty },
  // biome-ignore lint/suspicious/noExplicitAny: each op pairs codecs of its own record types
} as const satisfies Record<number, { request: Codec<any>; response: Codec<any> }>;

/** An op code a client may send. */
export type ClientOp = keyof typeof Operations;
/** The request record of op `O`. */
export type RequestOf<O extends ClientOp> = Infer<(typeof Operations)[O]['request']>;
/** The response record of op `O`. */
export type ResponseOf<O extends ClientOp> = Infer<(typeof Operations)[O]['response']>;

/** Limits applied while encoding. */
export interface EncodeOptions {
  /**
   * Largest frame payload to emit (bytes, header and record, without the 4-byte prefix). Default
   * 0xfffff, a 3.8 server's jute.maxbuffer: over it the server drops the connection silently.
   */
  maxBufferBytes?: number;
}

function finish(w: JuteWriter, options: EncodeOptions | undefined): Buffer {
  const limit = options?.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  const payload = w.length - 4;
  if (payload > limit) throw new OutboundFrameTooLargeError(payload, limit);
  return w.frame();
}

/**
 * Encodes one request as a whole frame (length, RequestHeader, record). Refuses `check` (13)
 * outside multi, which a 3.8.0 server never answers and which corrupts its log, and any frame
 * over `maxBufferBytes`.
 */
export function encodeRequest<O extends ClientOp>(
  xid: number,
  op: O,
  request: RequestOf<O>,
  options?: EncodeOptions,
): Buffer {
  const w = new JuteWriter();
  appendRequest(w, xid, op, request, options);
  return w.bytes();
}

/**
 * Appends one request frame to `w`, after whatever it already holds (a batch of frames written
 * together). On a refusal nothing is left behind in `w`. Returns the frame's length in bytes.
 */
export function appendRequest<O extends ClientOp>(
  w: JuteWriter,
  xid: number,
  op: O,
  request: RequestOf<O>,
  options?: EncodeOptions,
): number {
  if (op === OpCode.check) {
    throw new UnsafeRequestError(
      'check (op 13) is only valid inside a transaction: a 3.8.0 server never answers a ' +
        'standalone check and cannot restart afterwards (ZOOKEEPER-2623)',
    );
  }
  const codec = Operations[op]?.request as Codec<RequestOf<O>> | undefined;
  if (codec === undefined) throw new TypeError(`op ${op} is not a client request`);
  const start = w.length;
  try {
    w.int(0); // the length, filled in below
    w.int(xid);
    w.int(op);
    codec.write(w, request);
  } catch (err) {
    w.truncate(start);
    throw err;
  }
  const payload = w.length - start - 4;
  const limit = options?.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  if (payload > limit) {
    w.truncate(start);
    throw new OutboundFrameTooLargeError(payload, limit);
  }
  w.patchInt(start, payload);
  return payload + 4;
}

/** Encodes the ConnectRequest frame (no header). `readOnly` is always sent; see ConnectRequest. */
export function encodeConnectRequest(request: ConnectRequest, options?: EncodeOptions): Buffer {
  const w = new JuteWriter(64);
  w.reserveFramePrefix();
  ConnectRequest.write(w, request);
  return finish(w, options);
}

/** Decodes a ConnectResponse payload (frame without its length), 36 or 37 bytes. */
export function decodeConnectResponse(payload: Buffer): ConnectResponse {
  const r = new JuteReader(payload);
  const res = ConnectResponse.read(r);
  expect(res.passwd !== null, 'ConnectResponse without a session password');
  return res;
}

/** A server frame after the handshake: a watch notification or the reply to one request. */
export type Reply =
  | { kind: 'notification'; header: ReplyHeader; event: WatcherEvent }
  | { kind: 'response'; header: ReplyHeader; op: ClientOp; body: unknown };

/**
 * Decodes one server frame. `opForXid` names the op a reply answers (the head of the pending
 * queue, normally); pings (-2) and auth (-4) are known by their xid. On a non-zero error code no
 * body follows, and `body` is undefined. Throws only ProtocolError. `payloadIsDropped`: the
 * caller never touches `payload` again, so a large value may be a view of it (JuteReader).
 */
export function decodeReply(
  payload: Buffer,
  opForXid: (xid: number) => ClientOp | undefined,
  options: { payloadIsDropped?: boolean } = {},
): Reply {
  const r = new JuteReader(payload, 0, payload.length, options.payloadIsDropped === true);
  const header = ReplyHeader.read(r);
  if (header.xid === Xid.notification) {
    return { kind: 'notification', header, event: WatcherEvent.read(r) };
  }
  const op =
    header.xid === Xid.ping ? OpCode.ping : header.xid === Xid.auth ? OpCode.auth : opForXid(header.xid);
  expect(op !== undefined, `reply for xid ${header.xid}, which no request is waiting for`);
  const codec = (Operations[op] as (typeof Operations)[ClientOp] | undefined)?.response as Codec<unknown>;
  expect(codec !== undefined, `reply for op ${op}, which is not a client request`);
  const body = header.err === 0 ? codec.read(r) : undefined;
  return { kind: 'response', header, op, body };
}

/** Encodes the bytes a server would send for a reply (tests, and servers written for tests). */
export function encodeReply<O extends ClientOp>(
  header: ReplyHeader,
  op: O,
  body: ResponseOf<O> | undefined,
): Buffer {
  const w = new JuteWriter();
  w.reserveFramePrefix();
  ReplyHeader.write(w, header);
  if (body !== undefined) (Operations[op].response as Codec<ResponseOf<O>>).write(w, body);
  return w.frame();
}

/** Encodes a watch notification frame as a server sends it (xid -1, zxid -1 on 3.8). */
export function encodeNotification(event: WatcherEvent, zxid = -1n): Buffer {
  const w = new JuteWriter();
  w.reserveFramePrefix();
  ReplyHeader.write(w, { xid: Xid.notification, zxid, err: 0 });
  WatcherEvent.write(w, event);
  return w.frame();
}

/** Reads a RequestHeader and its record from a client frame payload (servers written for tests). */
export function decodeRequest(payload: Buffer): { header: RequestHeader; request: unknown } {
  const r = new JuteReader(payload);
  const header = RequestHeader.read(r);
  const codec = (Operations as Record<number, { request: Codec<unknown> }>)[header.type]?.request;
  expect(codec !== undefined, `request for unknown op ${header.type}`);
  return { header, request: codec.read(r) };
}
