// A ChannelEnd over a worker_threads MessagePort: the socket pair of WorkerThreadsHandler. Every
// message crosses by structured clone, so two things are done by hand:
// - a `frames` array (the loop's reads, the client's writes) never crosses as the views it holds:
//   a frame is usually a view into a larger buffer (a socket read, a Buffer pool slab), and
//   cloning a view copies its whole backing store. One small frame (the request and the reply at
//   window 1) crosses as a copy of just its bytes; several are packed into one fresh buffer, cloned
//   when small and transferred when not. A large frame that is a whole ArrayBuffer of its own (one
//   the accumulator assembled from several reads, a big request) is transferred as it is, with no
//   copy at all; the sender never touches a frame again once posted. Which shape costs least at
//   which size was measured: docs/worker-channel.md#codec;
// - Buffers arrive as plain Uint8Arrays, so top-level Uint8Array fields become Buffers again.

import type { MessagePort } from 'node:worker_threads';
import type { ChannelEnd } from './handler.js';

/** How a `frames` array of more than one small frame travels: packed in one buffer, the large ones as they are. */
interface PackedFrames {
  /** The small frames' bytes, back to back: cloned when small, else a transferred ArrayBuffer. */
  readonly packed: Uint8Array | ArrayBuffer;
  /** Each frame's length, in order; -1 for a frame that travels in `own`. */
  readonly lengths: number[];
  /** The frames that travel as their own transferred buffer, in order. */
  readonly own: ArrayBuffer[];
}

/** Frames this large that own their ArrayBuffer are transferred without being packed. */
const OWN_TRANSFER_MIN_BYTES = 64 * 1024;

/**
 * Packed bytes up to this many are cloned rather than transferred: a transfer costs a fixed
 * detach-and-adopt that a copy of a few KB undercuts (docs/worker-channel.md#codec).
 */
const CLONE_MAX_BYTES = 4 * 1024;

/** Whether `frame` is a large, whole (non-shared) ArrayBuffer of its own, so it can be transferred. */
function travelsAlone(frame: Uint8Array): boolean {
  return (
    frame.byteLength >= OWN_TRANSFER_MIN_BYTES &&
    frame.byteOffset === 0 &&
    frame.buffer instanceof ArrayBuffer &&
    frame.byteLength === frame.buffer.byteLength
  );
}

/**
 * Small frames written into one new buffer that nothing else references: cloned when it is small,
 * else transferred (listed in `transfer`, with the frames that travel alone).
 */
function pack(frames: readonly Uint8Array[], transfer: ArrayBuffer[]): PackedFrames {
  let total = 0;
  const lengths = new Array<number>(frames.length);
  const own: ArrayBuffer[] = [];
  for (let i = 0; i < frames.length; i++) {
    const frame = frames[i]!;
    if (travelsAlone(frame)) {
      lengths[i] = -1;
      own.push(frame.buffer as ArrayBuffer);
      continue;
    }
    lengths[i] = frame.byteLength;
    total += frame.byteLength;
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (let i = 0; i < frames.length; i++) {
    if (lengths[i] === -1) continue;
    bytes.set(frames[i]!, offset);
    offset += lengths[i]!;
  }
  const cloned = total <= CLONE_MAX_BYTES;
  if (!cloned) transfer.push(bytes.buffer);
  transfer.push(...own);
  return { packed: cloned ? bytes : bytes.buffer, lengths, own };
}

/** The frames of a PackedFrames, as Buffers sharing its memory. */
function unpack({ packed, lengths, own }: PackedFrames): Buffer[] {
  const frames = new Array<Buffer>(lengths.length);
  const bytes = packed instanceof ArrayBuffer ? new Uint8Array(packed) : packed;
  let offset = bytes.byteOffset;
  let next = 0;
  for (let i = 0; i < lengths.length; i++) {
    const length = lengths[i]!;
    if (length === -1) {
      frames[i] = Buffer.from(own[next++]!);
      continue;
    }
    frames[i] = Buffer.from(bytes.buffer, offset, length);
    offset += length;
  }
  return frames;
}

/**
 * One frame as a Uint8Array that can be cloned for what it holds: a view into a larger buffer (a
 * socket read, a Buffer pool slab) would clone the whole backing store, so it is copied out.
 */
function exactCopy(frame: Uint8Array): Uint8Array {
  if (
    frame.byteOffset === 0 &&
    frame.byteLength === frame.buffer.byteLength &&
    frame.buffer instanceof ArrayBuffer
  )
    return frame;
  return new Uint8Array(frame);
}

function isFrameArray(value: unknown): value is Uint8Array[] {
  return Array.isArray(value) && (value.length === 0 || value[0] instanceof Uint8Array);
}

/**
 * The message as it goes on the port, and the buffers to transfer with it. The common case, one
 * small frame (a request at window 1, its reply), travels as a one-element array holding a copy
 * of just its bytes: the cheapest shape to clone and to revive. Anything else is packed.
 */
export function encodePortMessage(message: unknown): { wire: unknown; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  if (message === null || typeof message !== 'object') return { wire: message, transfer };
  const frames = (message as { frames?: unknown }).frames;
  if (!isFrameArray(frames)) return { wire: message, transfer };
  if (frames.length === 1 && frames[0]!.byteLength <= CLONE_MAX_BYTES) {
    return { wire: { ...message, frames: [exactCopy(frames[0]!)] }, transfer };
  }
  return { wire: { ...message, frames: pack(frames, transfer) }, transfer };
}

/**
 * `value` with every byte array in it (at any depth of arrays and plain objects) as a Buffer:
 * structured clone turns Buffers into plain Uint8Arrays. Anything else (a SharedArrayBuffer, a
 * Map) is left as it arrived.
 */
export function reviveBuffers(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  if (Array.isArray(value)) return value.map(reviveBuffers);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) out[key] = reviveBuffers(field);
    return out;
  }
  return value;
}

/** The message as the receiving side expects it: Buffers where Buffers were sent. */
export function decodePortMessage<T>(wire: unknown): T {
  if (wire === null || typeof wire !== 'object') return wire as T;
  const message = wire as Record<string, unknown>;
  for (const key of Object.keys(message)) {
    const value = message[key];
    if (key === 'frames' && value !== null && typeof value === 'object' && 'lengths' in value) {
      message[key] = unpack(value as PackedFrames);
    } else if (value !== null && typeof value === 'object') {
      message[key] = reviveBuffers(value);
    }
  }
  return message as T;
}

/**
 * One end of the channel. Delivery starts when the receiver is set; until then the port holds
 * what arrives. The port keeps its thread alive while open, as a socket would, and `close()`
 * closes it (the other end sees the close and stops delivering too).
 */
export class PortChannelEnd<In, Out> implements ChannelEnd<In, Out> {
  private closed = false;

  constructor(readonly port: MessagePort) {
    port.on('close', () => {
      this.closed = true;
    });
  }

  post(message: Out): void {
    if (this.closed) return;
    const { wire, transfer } = encodePortMessage(message);
    this.port.postMessage(wire, transfer);
  }

  onMessage(receive: (message: In) => void): void {
    this.port.removeAllListeners('message');
    this.port.on('message', (wire: unknown) => {
      if (!this.closed) receive(decodePortMessage<In>(wire));
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
  }
}
