import { parseConnectString, RawSession } from './raw-session.js';

/** The id and password of a session to expire. */
export interface SessionCredentials {
  sessionId: bigint;
  passwd: Uint8Array;
}

/**
 * Expires a session on the server, as a real expiry would end it: a second connection resumes
 * the session with its id and password (the server then closes every other connection of that
 * session), and closes it with closeSession. The owner learns "expired" when it reconnects.
 * Tries each server of the connect string until one completes it. Resolves when the session is
 * gone, including when it was already gone.
 */
export async function expireSession(connectString: string, session: SessionCredentials): Promise<void> {
  const errors: string[] = [];
  for (const { host, port } of parseConnectString(connectString)) {
    try {
      const raw = await RawSession.connect({
        host,
        port,
        sessionId: session.sessionId,
        passwd: Buffer.from(session.passwd),
      });
      if (raw.expired) {
        await raw.closed;
        return;
      }
      await raw.close();
      return;
    } catch (err) {
      errors.push(`${host}:${port}: ${(err as Error).message}`);
    }
  }
  throw new Error(`could not expire session 0x${session.sessionId.toString(16)}: ${errors.join('; ')}`);
}
