// Disarms a lost reply that never happened. FaultProxy.loseNextReply stays armed until a request
// of its opcode passes (pass() does not disarm it: docs/chaos.md#lost-replies), but a chaos run's
// faults must end when the run says so: a reply lost during the check would be a fault the
// schedule never had. So the runner spends the armed loss itself: a raw session through the same
// proxy sends one request of that opcode on a path that does not exist — the server applies
// nothing, answers an error — and the proxy drops that answer and resets the raw connection.

import { OPEN_ACL_UNSAFE } from '../../index.js';
import { OpCode } from '../../protocol/index.js';
import type { FaultProxy } from '../fault-proxy.js';
import { RawSession } from '../raw-session.js';

/** A path no run creates: every request on it is refused with NoNode and changes nothing. */
const NO_SUCH_NODE = '/zookit-chaos-no-such-node/disarm';

/**
 * Sends one harmless request with opcode `op` through `proxy`, so an armed lost reply of that
 * opcode is spent on it. Resolves true once sent and answered or reset; false for an opcode it
 * has no harmless request for, or when no session could be opened (the member is down).
 */
export async function spendLostReply(proxy: FaultProxy, op: number): Promise<boolean> {
  let session: RawSession;
  try {
    session = await RawSession.connect({ host: '127.0.0.1', port: proxy.port, sessionTimeout: 2000 });
  } catch {
    return false;
  }
  try {
    const reply = harmlessRequest(session, op);
    if (reply === undefined) return false;
    await reply.catch(() => undefined);
    return true;
  } finally {
    session.destroy();
  }
}

function harmlessRequest(session: RawSession, op: number): Promise<unknown> | undefined {
  switch (op) {
    case OpCode.create:
    case OpCode.create2:
      return session.request(op, {
        path: `${NO_SUCH_NODE}/child`,
        data: null,
        acl: [...OPEN_ACL_UNSAFE],
        flags: 0,
      });
    case OpCode.delete:
      return session.request(OpCode.delete, { path: NO_SUCH_NODE, version: -1 });
    case OpCode.setData:
      return session.request(OpCode.setData, { path: NO_SUCH_NODE, data: null, version: -1 });
    case OpCode.multi:
      return session.request(OpCode.multi, [
        { type: OpCode.check, request: { path: NO_SUCH_NODE, version: -1 } },
      ]);
    default:
      return undefined;
  }
}
