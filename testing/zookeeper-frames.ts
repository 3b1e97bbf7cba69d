/**
 * Follows the frames of one direction of a ZooKeeper connection without holding them: FaultProxy
 * forwards bytes as they come and only needs to know where each frame starts and what its header
 * says (a request's xid and opcode, a reply's xid), to drop the one reply `loseNextReply` asked
 * for. Chunks split frames anywhere (inside the length prefix, inside the header) and carry many
 * frames at once, so this is a byte-level state machine that keeps at most the 20 bytes of a
 * prefix and header, never a payload.
 *
 * Whatever the bytes, it never throws: a length that no ZooKeeper frame has (negative, too short
 * for its header, over the limit) means the stream is not what it thinks it is (a four-letter
 * word, garbage, a TLS handshake), and it stops tracking for good. The proxy then forwards the
 * rest of the connection untouched (docs/fault-proxy.md#malformed-input).
 */

/** Which side wrote the stream: a client's requests or a server's replies. */
export type FrameSource = 'client' | 'server';

/** Largest payload the tracker takes for a frame, bytes; a longer one means the stream is garbage. */
export const DEFAULT_TRACKED_FRAME_BYTES = 64 * 1024 * 1024;

/** The first frame of each direction: ConnectRequest or ConnectResponse, which carry no xid. */
export interface TrackedConnectFrame {
  readonly kind: 'connect';
  /** Stream offset of the frame's 4-byte length prefix, bytes. */
  readonly offset: number;
  /** Payload length (the prefix not counted), bytes. */
  readonly length: number;
}

/** A request frame: RequestHeader (xid, opcode) and its record. */
export interface TrackedRequestFrame {
  readonly kind: 'request';
  /** Stream offset of the frame's 4-byte length prefix, bytes. */
  readonly offset: number;
  /** Payload length (the prefix not counted), bytes. */
  readonly length: number;
  readonly xid: number;
  readonly op: number;
}

/** A reply frame: ReplyHeader (xid, zxid, err) and its record; xid -1 is a notification. */
export interface TrackedReplyFrame {
  readonly kind: 'reply';
  /** Stream offset of the frame's 4-byte length prefix, bytes. */
  readonly offset: number;
  /** Payload length (the prefix not counted), bytes. */
  readonly length: number;
  readonly xid: number;
  readonly zxid: bigint;
  readonly err: number;
}

export type TrackedFrame = TrackedConnectFrame | TrackedRequestFrame | TrackedReplyFrame;

/** Smallest ConnectRequest: protocolVersion, lastZxidSeen, timeOut, sessionId, empty passwd. */
const MIN_CONNECT_REQUEST = 4 + 8 + 4 + 8 + 4;
/** Smallest ConnectResponse: protocolVersion, timeOut, sessionId, empty passwd. */
const MIN_CONNECT_RESPONSE = 4 + 4 + 8 + 4;
/** RequestHeader: xid, type. */
const REQUEST_HEADER = 8;
/** ReplyHeader: xid, zxid, err. */
const REPLY_HEADER = 16;

/**
 * Tracks the frames of one direction. Feed it every chunk in order with {@link push}; it returns
 * the frames whose header completed in that chunk.
 */
export class FrameTracker {
  readonly source: FrameSource;
  readonly maxFrameBytes: number;
  /** Bytes fed so far. */
  #consumed = 0;
  /** Stream offset of the frame being read. */
  #frameStart = 0;
  /** Prefix and header bytes of the frame being read. */
  readonly #head = new Uint8Array(4 + REPLY_HEADER);
  #headFill = 0;
  /** Bytes of the head to gather: 4, then 4 + the header's size once the length is known. */
  #headWanted = 4;
  /** Payload length of the frame being read, bytes. */
  #pendingLength = 0;
  /** Payload bytes of the current frame after its header still to pass; -1 while gathering the head. */
  #skip = -1;
  #seenConnect = false;
  #lost = false;

  constructor(source: FrameSource, maxFrameBytes: number = DEFAULT_TRACKED_FRAME_BYTES) {
    this.source = source;
    this.maxFrameBytes = maxFrameBytes;
  }

  /** True once the stream stopped looking like ZooKeeper frames; nothing is tracked after that. */
  get lost(): boolean {
    return this.#lost;
  }

  /** Bytes fed so far. */
  get consumed(): number {
    return this.#consumed;
  }

  /**
   * The stream offset up to which every frame's header has been seen: the start of a frame whose
   * header is still incomplete, else everything fed. Bytes before it can be forwarded without
   * forwarding part of a frame not yet identified.
   */
  get identifiedOffset(): number {
    return this.#lost || this.#skip >= 0 ? this.#consumed : this.#frameStart;
  }

  /** Reads `chunk` (the next bytes of the stream); returns the frames whose header it completed. */
  push(chunk: Uint8Array): TrackedFrame[] {
    const base = this.#consumed;
    this.#consumed += chunk.length;
    const frames: TrackedFrame[] = [];
    let i = 0;
    while (i < chunk.length && !this.#lost) {
      if (this.#skip >= 0) {
        const n = Math.min(this.#skip, chunk.length - i);
        this.#skip -= n;
        i += n;
        if (this.#skip === 0) this.#nextFrame(base + i);
        continue;
      }
      const n = Math.min(this.#headWanted - this.#headFill, chunk.length - i);
      this.#head.set(chunk.subarray(i, i + n), this.#headFill);
      this.#headFill += n;
      i += n;
      if (this.#headFill < this.#headWanted) continue;
      if (this.#headWanted === 4) {
        if (!this.#startFrame()) break;
        if (this.#headWanted > 4) continue;
      }
      frames.push(this.#frame());
      if (this.#skip === 0) this.#nextFrame(base + i);
    }
    return frames;
  }

  /** The length prefix is in: checks it and sets how much header to gather. False when it is garbage. */
  #startFrame(): boolean {
    const length = new DataView(this.#head.buffer).getInt32(0);
    const header = !this.#seenConnect ? 0 : this.source === 'client' ? REQUEST_HEADER : REPLY_HEADER;
    const minimum = !this.#seenConnect
      ? this.source === 'client'
        ? MIN_CONNECT_REQUEST
        : MIN_CONNECT_RESPONSE
      : header;
    if (length < minimum || length > this.maxFrameBytes) {
      this.#lost = true;
      return false;
    }
    this.#headWanted = 4 + header;
    this.#skip = -1;
    this.#pendingLength = length;
    return true;
  }

  /** The head is complete: describes the frame and starts skipping its payload. */
  #frame(): TrackedFrame {
    const view = new DataView(this.#head.buffer);
    const length = this.#pendingLength;
    const offset = this.#frameStart;
    this.#skip = length - (this.#headWanted - 4);
    if (!this.#seenConnect) {
      this.#seenConnect = true;
      return { kind: 'connect', offset, length };
    }
    if (this.source === 'client') {
      return { kind: 'request', offset, length, xid: view.getInt32(4), op: view.getInt32(8) };
    }
    return {
      kind: 'reply',
      offset,
      length,
      xid: view.getInt32(4),
      zxid: view.getBigInt64(8),
      err: view.getInt32(16),
    };
  }

  #nextFrame(offset: number): void {
    this.#frameStart = offset;
    this.#headFill = 0;
    this.#headWanted = 4;
    this.#skip = -1;
  }
}
