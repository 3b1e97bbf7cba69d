// Losing one chosen reply: the proxy holds everything the server sends, and a test lets it through
// one chunk at a time until the server shows the effect of the request whose reply it wants to
// lose (a node created, say). That reply is then in the held bytes, and cutting the connection
// loses it: the client sees CONNECTIONLOSS for a request the server did carry out.

import type { CuttableProxy } from './support.js';

/** Polling interval while waiting for held bytes, ms. */
const POLL_MS = 5;

/**
 * Lets the server's replies through `proxy` one held chunk at a time until `applied()` is true,
 * then returns with the proxy still holding: whatever the server answered since is held, the reply
 * of the request that made `applied()` true among it. The hold is never lifted between chunks, so
 * nothing slips through unseen. Call `proxy.cut()` to lose the held replies (then `release()` so
 * the reconnection gets through), or `proxy.release()` to deliver them.
 */
export async function holdUntilApplied(
  proxy: CuttableProxy,
  applied: () => Promise<boolean>,
  { timeoutMs = 15_000 }: { timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  proxy.hold();
  for (;;) {
    if (await applied()) return;
    if (proxy.heldBytes() > 0) {
      // Deliver what is held and go on holding, in one synchronous step.
      proxy.release();
      proxy.hold();
    }
    if (Date.now() > deadline) {
      proxy.release();
      throw new Error(`the awaited request was not applied within ${timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Loses every reply held by `proxy`: cuts its connections and lets the client reconnect. */
export function loseHeldReplies(proxy: CuttableProxy): void {
  proxy.cut();
  proxy.release();
}
