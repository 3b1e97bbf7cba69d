// Safety facts of docs/protocol.md#refusals encoded as refusals, before any byte could reach a server.

import { OpCode } from '../../protocol/constants.js';
import { JuteWriter } from '../../protocol/jute.js';
import { MultiRequest } from '../../protocol/multi.js';
import { encodeConnectRequest, encodeRequest } from '../../protocol/operations.js';
import { OutboundFrameTooLargeError, UnsafeRequestError } from '../../protocol/protocol-error.js';

describe('outbound guards', () => {
  it('refuses to encode a standalone check (op 13), which breaks 3.8.0 servers', () => {
    expect(() => encodeRequest(1, OpCode.check, { path: '/a', version: 0 })).toThrow(UnsafeRequestError);
    expect(() => encodeRequest(1, OpCode.check, { path: '/a', version: 0 })).toThrow(/ZOOKEEPER-2623/);
  });

  it('still encodes check inside a multi', () => {
    const frame = encodeRequest(1, OpCode.multi, [
      { type: OpCode.check, request: { path: '/a', version: 0 } },
    ]);
    expect(frame.readInt32BE(12)).toBe(OpCode.check); // first MultiHeader's type, after length+header
  });

  it('refuses a frame over maxBufferBytes (default 0xfffff) with the sizes in the error', () => {
    // Payload = 8 (header) + 4+2 (path "/a") + 4+n (data) + 4 (version) = n + 22 bytes.
    const fits = Buffer.alloc(0xfffff - 22);
    expect(encodeRequest(1, OpCode.setData, { path: '/a', data: fits, version: -1 }).length).toBe(
      0xfffff + 4,
    );
    const tooBig = Buffer.alloc(0xfffff - 21);
    let caught: unknown;
    try {
      encodeRequest(1, OpCode.setData, { path: '/a', data: tooBig, version: -1 });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(OutboundFrameTooLargeError);
    expect(caught).toMatchObject({ length: 0xfffff + 1, limit: 0xfffff });
  });

  it('applies a configured maxBufferBytes to requests and the connect frame alike', () => {
    const data = Buffer.alloc(100);
    expect(() =>
      encodeRequest(1, OpCode.setData, { path: '/a', data, version: -1 }, { maxBufferBytes: 100 }),
    ).toThrow(OutboundFrameTooLargeError);
    const connect = {
      protocolVersion: 0,
      lastZxidSeen: 0n,
      timeOut: 1,
      sessionId: 0n,
      passwd: Buffer.alloc(16),
    };
    expect(() => encodeConnectRequest(connect, { maxBufferBytes: 40 })).toThrow(OutboundFrameTooLargeError);
    // 44-byte payload (no readOnly byte given) plus the 4-byte prefix.
    expect(encodeConnectRequest(connect).length).toBe(48);
  });

  it('refuses op types a server rejects inside multi', () => {
    const w = new JuteWriter();
    expect(() =>
      MultiRequest.write(w, [{ type: OpCode.getData, request: { path: '/', watch: false } } as never]),
    ).toThrow(TypeError);
  });
});
