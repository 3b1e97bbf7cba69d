// ZooKeeper frames built by hand for the frame tracker's and FaultProxy's byte-level specs: only
// the length prefix and the header are real, the payload is filler.

/** A request frame: length, xid, op, then `body`. */
export function request(xid: number, op: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.alloc(12 + body.length);
  frame.writeInt32BE(8 + body.length, 0);
  frame.writeInt32BE(xid, 4);
  frame.writeInt32BE(op, 8);
  body.copy(frame, 12);
  return frame;
}

/** A reply frame: length, xid, zxid, err, then `body`. */
export function reply(xid: number, zxid: bigint, err: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.alloc(20 + body.length);
  frame.writeInt32BE(16 + body.length, 0);
  frame.writeInt32BE(xid, 4);
  frame.writeBigInt64BE(zxid, 8);
  frame.writeInt32BE(err, 16);
  body.copy(frame, 20);
  return frame;
}

/** A handshake frame (ConnectRequest or ConnectResponse) with a payload of `length` bytes. */
export function handshake(length: number): Buffer {
  const frame = Buffer.alloc(4 + length, 7);
  frame.writeInt32BE(length, 0);
  return frame;
}
