/**
 * Raised by every decoder in protocol/ for bytes that do not form the expected record: a length
 * past the end of the frame, a negative length other than -1, an unknown result type. The
 * connection that produced them is dropped and re-established; the process never sees another
 * exception type from decoding, whatever the server sends.
 */
export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  /** Stable code (docs/errors.md#codes). */
  readonly code: string = 'ERR_ZOOKIT_PROTOCOL';
}

/** An inbound frame announced a length over the configured limit (bytes), or a negative one. */
export class InboundFrameTooLargeError extends ProtocolError {
  override readonly name = 'InboundFrameTooLargeError';
  override readonly code = 'ERR_ZOOKIT_INBOUND_FRAME_TOO_LARGE';
  constructor(
    /** The announced payload length, in bytes. */
    readonly length: number,
    /** The configured limit, in bytes. */
    readonly limit: number,
  ) {
    super(`inbound frame of ${length} bytes is outside the limit of ${limit} bytes`);
  }
}

/**
 * A request refused before it is sent because the server would drop the connection for it:
 * ZooKeeper closes the socket without an error code on a frame over its jute.maxbuffer.
 */
export class OutboundFrameTooLargeError extends Error {
  override readonly name = 'OutboundFrameTooLargeError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_OUTBOUND_FRAME_TOO_LARGE';
  constructor(
    /** The frame's payload length (header and record, without the 4-byte prefix), in bytes. */
    readonly length: number,
    /** The configured maxBufferBytes, in bytes. */
    readonly limit: number,
  ) {
    super(
      `request of ${length} bytes exceeds maxBufferBytes (${limit} bytes); ` +
        'the server would drop the connection without an answer',
    );
  }
}

/**
 * A request the codec will not emit because it harms the server. The one case today: `check`
 * (op 13) outside `multi`, which a 3.8.0 server never answers and which poisons its transaction
 * log so that it cannot restart (ZOOKEEPER-2623).
 */
export class UnsafeRequestError extends Error {
  override readonly name = 'UnsafeRequestError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_UNSAFE_REQUEST';
}
