// The sent-request FIFO and how a reply or a failure settles a request, without a server.

import { ConnectionLossError, NoNodeError } from '../../../lib/errors.js';
import {
  failRequest,
  type PendingRequest,
  SentRequests,
  settleRequest,
} from '../../../lib/session/pending-request.js';
import { OpCode } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/error-codes.js';

interface Outcome {
  value?: unknown;
  error?: Error;
}

function request(xid: number, extra: Partial<PendingRequest> = {}): PendingRequest & { outcome: Outcome } {
  const outcome: Outcome = {};
  return {
    op: OpCode.getData,
    frame: undefined,
    path: '/p',
    xid,
    epoch: 0,
    abandoned: false,
    convert: (body) => body,
    resolve: (value) => {
      outcome.value = value;
    },
    reject: (error) => {
      outcome.error = error;
    },
    outcome,
    ...extra,
  };
}

describe('SentRequests', () => {
  it('matches a reply only to the oldest request, by xid', () => {
    const sent = new SentRequests();
    sent.push(request(1));
    sent.push(request(2, { op: OpCode.setData }));
    expect(sent.opFor(2)).toBeUndefined();
    expect(sent.opFor(1)).toBe(OpCode.getData);
    expect(sent.shift().xid).toBe(1);
    expect(sent.opFor(2)).toBe(OpCode.setData);
  });

  it('keeps the order across compactions of its array', () => {
    const sent = new SentRequests();
    let next = 1;
    let expected = 1;
    // Pushes 3 and shifts 2 per step, so the head passes the compaction point many times.
    for (let step = 0; step < 2000; step++) {
      for (let i = 0; i < 3; i++) sent.push(request(next++));
      for (let i = 0; i < 2; i++) {
        expect(sent.opFor(expected)).toBe(OpCode.getData);
        expect(sent.shift().xid).toBe(expected++);
      }
    }
    const rest = sent.takeAll().map((r) => r.xid);
    expect(rest).toEqual(Array.from({ length: next - expected }, (_, i) => expected + i));
    expect(sent.takeAll()).toEqual([]);
    expect(sent.opFor(expected)).toBeUndefined();
  });
});

describe('settleRequest', () => {
  it('resolves with the converted body on success', () => {
    const r = request(1, { convert: (body) => (body as { n: number }).n * 2 });
    settleRequest(r, 0, { n: 21 });
    expect(r.outcome).toEqual({ value: 42 });
  });

  it('rejects with the typed error, naming the path', () => {
    const r = request(1);
    settleRequest(r, ErrorCode.NONODE, undefined);
    expect(r.outcome.error).toBeInstanceOf(NoNodeError);
    expect(r.outcome.error?.message).toContain('/p');
  });

  it('turns an accepted error code into a value (exists → null)', () => {
    const r = request(1, { accept: (code) => (code === ErrorCode.NONODE ? { value: null } : undefined) });
    settleRequest(r, ErrorCode.NONODE, undefined);
    expect(r.outcome).toEqual({ value: null });
  });

  it('rejects when the conversion throws, instead of throwing into the reader', () => {
    const r = request(1, {
      convert: () => {
        throw new Error('bad body');
      },
    });
    expect(() => settleRequest(r, 0, {})).not.toThrow();
    expect(r.outcome.error?.message).toBe('bad body');
  });

  it('drops the outcome of an abandoned request but still tells its watch action', () => {
    const seen: Array<[number, boolean]> = [];
    const r = request(1, {
      abandoned: true,
      watch: {
        settle: (code: number, abandoned: boolean) => {
          seen.push([code, abandoned]);
          return code;
        },
      } as PendingRequest['watch'],
    });
    settleRequest(r, 0, 'body');
    expect(r.outcome).toEqual({});
    expect(seen).toEqual([[0, true]]);
  });
});

describe('failRequest', () => {
  it('rejects with the error given', () => {
    const r = request(1);
    const error = new ConnectionLossError();
    failRequest(r, error);
    expect(r.outcome.error).toBe(error);
  });

  it('resolves when the watch action succeeds without the server (a local removal)', () => {
    const r = request(1, {
      convert: () => 'removed',
      watch: { settle: () => 0 } as unknown as PendingRequest['watch'],
    });
    failRequest(r, new ConnectionLossError());
    expect(r.outcome).toEqual({ value: 'removed' });
  });
});
