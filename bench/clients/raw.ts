// The ceiling: what one connection to the server allows, with as little client work as Node can
// do. zookit's protocol encoders are used only before the clock starts, to encode a ring of
// requests into one buffer; during the run the client writes slices of that buffer, keeping
// `window` requests outstanding, and counts replies by reading frame lengths, never decoding them.

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { OpCode, SESSION_PASSWORD_BYTES } from '../../protocol/constants.js';
import { FrameAccumulator } from '../../protocol/frame-accumulator.js';
import {
  type ClientOp,
  decodeConnectResponse,
  decodeReply,
  encodeConnectRequest,
  encodeRequest,
} from '../../protocol/operations.js';
import type { ACL } from '../../protocol/records.js';
import { LatencyHistogram } from '../histogram.js';
import { type Measurement, summarize, type Timing } from '../measurement.js';
import { PAIR_SLOTS, PATHS, pairPaths, VALUE_100, type WorkloadName } from '../workloads.js';
import { SESSION_TIMEOUT_MS } from './client.js';

/**
 * Requests in the ring: two per create+delete name, so the ring wraps exactly where the stream
 * repeats itself, and far more than the largest window. The server echoes xids without checking
 * them, and the ceiling never matches replies to requests, so the ring is simply cycled.
 */
const RING_FRAMES = 2 * PAIR_SLOTS;

/** Requests checked one by one, with decoding, before the run: the ceiling must not count errors. */
const CHECKED_FRAMES = 2;

const OPEN_ACL: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** A connected raw session: its socket, and a frame reader for the untimed parts. */
export interface RawConnection {
  socket: net.Socket;
  frames: FrameAccumulator;
}

/** Opens a TCP connection and completes the session handshake (a new session). */
export async function rawConnect(connectString: string): Promise<RawConnection> {
  const colon = connectString.lastIndexOf(':');
  const socket = net.connect({
    host: connectString.slice(0, colon),
    port: Number(connectString.slice(colon + 1)),
  });
  socket.setNoDelay(true);
  const frames = new FrameAccumulator();
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      frames.push(chunk);
      const frame = frames.next();
      if (frame === undefined) return;
      socket.off('data', onData);
      socket.off('error', reject);
      const response = decodeConnectResponse(frame);
      if (response.timeOut <= 0) reject(new Error('raw: the server refused the session'));
      else resolve();
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(
      encodeConnectRequest({
        protocolVersion: 0,
        lastZxidSeen: 0n,
        timeOut: SESSION_TIMEOUT_MS,
        sessionId: 0n,
        passwd: Buffer.alloc(SESSION_PASSWORD_BYTES),
        readOnly: false,
      }),
    );
  });
  return { socket, frames };
}

/** Ends the session (closeSession) and closes the socket; gives up waiting after 2 s. */
export async function rawClose(connection: RawConnection): Promise<void> {
  const { socket } = connection;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(() => socket.destroy(), 2000);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('error', () => {});
    socket.removeAllListeners('data');
    socket.on('data', () => {});
    // The server answers closeSession and then closes the connection itself.
    socket.write(encodeRequest(0x7fffffff, OpCode.closeSession, {}));
  });
}

/** Request i of a workload: its op and its frame (copied, so a pooled encoder buffer cannot change it). */
function requestFrame(workload: WorkloadName, i: number, pairs: readonly string[]): [ClientOp, Buffer] {
  const xid = i + 1;
  switch (workload) {
    case 'get100':
      return [OpCode.getData, encodeRequest(xid, OpCode.getData, { path: PATHS.value100, watch: false })];
    case 'set100':
      return [
        OpCode.setData,
        encodeRequest(xid, OpCode.setData, { path: PATHS.set100, data: VALUE_100, version: -1 }),
      ];
    case 'createDelete': {
      const path = pairs[(i >> 1) % PAIR_SLOTS]!;
      if ((i & 1) === 0) {
        return [
          OpCode.create,
          encodeRequest(xid, OpCode.create, { path, data: VALUE_100, acl: OPEN_ACL, flags: 0 }),
        ];
      }
      return [OpCode.delete, encodeRequest(xid, OpCode.delete, { path, version: -1 })];
    }
    case 'children1000':
      return [
        OpCode.getChildren,
        encodeRequest(xid, OpCode.getChildren, { path: PATHS.children, watch: false }),
      ];
    case 'get1m':
      return [OpCode.getData, encodeRequest(xid, OpCode.getData, { path: PATHS.value1m, watch: false })];
  }
}

/** The pre-encoded requests: one buffer, frame i at offsets[i] … offsets[i + 1]. */
interface Ring {
  bytes: Buffer;
  offsets: Uint32Array;
  ops: ClientOp[];
}

function buildRing(workload: WorkloadName, tag: string): Ring {
  const pairs = pairPaths(tag);
  const frames: Buffer[] = [];
  const ops: ClientOp[] = [];
  const offsets = new Uint32Array(RING_FRAMES + 1);
  for (let i = 0; i < RING_FRAMES; i++) {
    const [op, frame] = requestFrame(workload, i, pairs);
    ops.push(op);
    frames.push(Buffer.from(frame));
    offsets[i + 1] = offsets[i]! + frame.length;
  }
  return { bytes: Buffer.concat(frames), offsets, ops };
}

/** Sends the ring's first requests and decodes their replies: each must succeed. */
async function checkFirstRequests(connection: RawConnection, ring: Ring): Promise<void> {
  const { socket, frames } = connection;
  await new Promise<void>((resolve, reject) => {
    let answered = 0;
    const onData = (chunk: Buffer): void => {
      try {
        frames.push(chunk);
        for (let f = frames.next(); f !== undefined; f = frames.next()) {
          const reply = decodeReply(f, (xid) => ring.ops[xid - 1]);
          if (reply.kind === 'notification') continue;
          if (reply.header.err !== 0)
            throw new Error(
              `raw: request ${answered} (op ${reply.op}) failed with error ${reply.header.err}`,
            );
          if (++answered === CHECKED_FRAMES) {
            socket.off('data', onData);
            resolve();
          }
        }
      } catch (error) {
        socket.off('data', onData);
        reject(error);
      }
    };
    socket.on('data', onData);
    socket.write(ring.bytes.subarray(0, ring.offsets[CHECKED_FRAMES]));
  });
}

/** Runs one workload at `window` outstanding requests on a fresh raw session. */
export async function runRaw(
  connectString: string,
  workload: WorkloadName,
  window: number,
  timing: Timing,
): Promise<Measurement> {
  const connection = await rawConnect(connectString);
  const ring = buildRing(workload, `raw${process.pid}`);
  await checkFirstRequests(connection, ring);
  const { socket } = connection;
  const { bytes, offsets } = ring;

  const measurement = await new Promise<Measurement>((resolve, reject) => {
    const histogram = new LatencyHistogram();
    /** Send time of request s, at s % window: at most `window` requests are ever in flight. */
    const sentAt = new Float64Array(window);
    let sent = CHECKED_FRAMES;
    let done = CHECKED_FRAMES;
    // Frame-length reader state, kept across chunks: bytes of the current frame still to skip,
    // and the bytes of a length prefix split between chunks.
    let skip = 0;
    let prefix = 0;
    let prefixBytes = 0;
    const warmupEnd = performance.now() + timing.warmupMs;
    let measuring = false;
    let draining = false;
    let start = 0;
    let end = 0;
    let counted = 0;
    let cpuAtStart = process.cpuUsage();
    let result: Measurement | undefined;

    const send = (count: number, now: number): void => {
      let from = sent % RING_FRAMES;
      let left = count;
      while (left > 0) {
        const n = Math.min(left, RING_FRAMES - from);
        socket.write(bytes.subarray(offsets[from], offsets[from + n]));
        from = (from + n) % RING_FRAMES;
        left -= n;
      }
      for (let s = sent; s < sent + count; s++) sentAt[s % window] = now;
      sent += count;
    };

    const onData = (chunk: Buffer): void => {
      const length = chunk.length;
      let pos = 0;
      let completed = 0;
      while (pos < length) {
        if (skip > 0) {
          const take = Math.min(skip, length - pos);
          pos += take;
          skip -= take;
          if (skip === 0) completed++;
        } else if (prefixBytes === 0 && length - pos >= 4) {
          skip = chunk.readInt32BE(pos);
          pos += 4;
        } else {
          prefix = (prefix << 8) | chunk[pos++]!;
          if (++prefixBytes === 4) {
            skip = prefix;
            prefix = 0;
            prefixBytes = 0;
          }
        }
      }
      if (completed === 0) return;
      const now = performance.now();
      if (measuring) {
        for (let k = 0; k < completed; k++) histogram.record((now - sentAt[(done + k) % window]!) * 1000);
        counted += completed;
      }
      done += completed;
      if (measuring && now >= end) {
        result = summarize(histogram, counted, now - start, process.cpuUsage(cpuAtStart));
        measuring = false;
        draining = true;
      } else if (!measuring && !draining && now >= warmupEnd) {
        measuring = true;
        start = now;
        end = now + timing.measureMs;
        cpuAtStart = process.cpuUsage();
      }
      if (!draining) send(completed, now);
      else if (done === sent) {
        socket.off('data', onData);
        resolve(result!);
      }
    };

    socket.on('data', onData);
    socket.once('close', () => reject(new Error('raw: the server closed the connection')));
    send(window, performance.now());
  });
  socket.removeAllListeners('close');
  await rawClose(connection);
  return measurement;
}
