// The connection loop (kazoo's zk_loop / _connect_loop / _connect_attempt) with the Java client's
// timing: it owns the socket, does the handshake, pings, enforces the read timeout, tracks
// lastZxid, reconnects and resumes the session. It talks to the client only through the channel,
// and reaches time, randomness, name resolution and sockets only through the handler.

import { isIP } from 'node:net';
import type { ChannelEnd, Handler, SpawnTask, Transport } from '../../handlers/handler.js';
import { OpCode, REPLY_HEADER_BYTES, SESSION_PASSWORD_BYTES, Xid } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { FrameAccumulator } from '../../protocol/frame-accumulator.js';
import { longAt } from '../../protocol/int64.js';
import { decodeConnectResponse, encodeConnectRequest, encodeRequest } from '../../protocol/operations.js';
import { ConnectionFailedError, type ConnectionFailure, ConnectionLossError } from '../errors.js';
import { RetryPolicy } from '../retry.js';
import type { ClientToLoop, HostAddress, LoopInit, LoopToClient } from './loop-messages.js';
import { loadTlsFiles } from './tls-files.js';

/** Never go longer than this without a ping, ms (the Java client's cap). */
const MAX_PING_INTERVAL_MS = 10_000;
/** The default reconnect jitter's ceiling, ms: the Java client's 0–1 s. */
const MAX_DEFAULT_RECONNECT_JITTER_MS = 1000;
/** Read-only mode: first and last delay between probes for a read/write server, ms. */
const RW_PROBE_FIRST_MS = 100;
const RW_PROBE_MAX_MS = 60_000;

/** Argument of the spawned loop: its settings and its end of the channel. */
export interface ConnectionLoopArg {
  init: LoopInit;
  channel: ChannelEnd<ClientToLoop, LoopToClient>;
}

/** The spawn task handlers run. */
export const connectionLoopTask: SpawnTask<ConnectionLoopArg> = {
  name: 'zookit-connection-loop',
  // This file, as it runs: the .ts source under jest and the worker's TypeScript bootstrap, or
  // the .js of dist/cjs (the ES module entries re-export that build).
  module: __filename,
  run: (arg, handler) => new ConnectionLoop(arg.init, arg.channel, handler).run(),
};

/** What a worker thread loads this module for. */
export const spawnTasks: SpawnTask<never>[] = [connectionLoopTask as SpawnTask<never>];

class SessionExpired extends Error {}

/** A connection whose handshake succeeded. */
interface Handshake {
  transport: Transport;
  /** Holds any bytes that came after the ConnectResponse. */
  frames: FrameAccumulator;
  address: HostAddress;
  /** Negotiated session timeout, ms. */
  timeout: number;
  readOnly: boolean;
}

/** A live connection's state. */
interface Live {
  epoch: number;
  transport: Transport;
  address: HostAddress;
  readTimeout: number;
  pingInterval: number;
  lastSend: number;
  lastRecv: number;
  closed: Promise<string>;
  close: (reason: string) => void;
}

class ConnectionLoop {
  private sessionId: bigint;
  private passwd: Buffer | null;
  private negotiatedTimeout = 0;
  private lastZxid = 0n;
  /** Last time the server was heard on any connection, for the client-side expiry clock. */
  private lastHeard: number;
  private epoch = 0;
  private live: Live | undefined;
  /** Index into the host list where the next cycle starts (rotates past failed hosts). */
  private nextHost = 0;
  /** A read/write server found while connected read-only: the next attempt goes there. */
  private preferred: HostAddress | undefined;
  /**
   * Whether a read/write server has accepted this session (the Java client's seenRwServerBefore).
   * Until then the session id came from a read-only server, which alone knows it, so it is not
   * resumed: a read/write server would call it expired.
   */
  private seenReadWrite: boolean;
  /** Delay before the next isro probe round, ms; kept across connections so flapping backs off. */
  private probeDelay = RW_PROBE_FIRST_MS;
  private readonly stopping = new AbortController();
  /** Set by stop: finish the current connection, if any, and never reconnect. */
  private closing = false;

  constructor(
    private readonly init: LoopInit,
    private readonly channel: ChannelEnd<ClientToLoop, LoopToClient>,
    private readonly handler: Handler,
  ) {
    this.sessionId = init.sessionId;
    this.passwd = init.passwd;
    this.lastZxid = init.lastZxidSeen ?? 0n;
    this.seenReadWrite = init.sessionId !== 0n;
    this.lastHeard = handler.now();
    channel.onMessage((m) => this.onMessage(m));
  }

  async run(): Promise<void> {
    let reason: string | undefined;
    // Every round after the first follows a connection that ended (or a session the server had
    // expired): it starts with the reconnect jitter.
    for (let round = 0; !this.stopping.signal.aborted && !this.closing; round++) {
      if (round > 0) {
        await this.reconnectPause();
        if (this.stopping.signal.aborted || this.closing) break;
      }
      // A fresh policy run per outage: the backoff resets after every successful handshake.
      // The jitter is the handler's unless the user gave connectionRetry.random (in-thread only).
      const retry = new RetryPolicy(this.init.connectionRetry, {
        now: () => this.handler.now(),
        random: () => this.handler.random(),
        // A backoff sleep (up to maxDelay, 10 s by default) must not hide the client-side expiry
        // deadline: wake at it, so the next pass reports the session lost on time. Nor may it
        // outlast the outage by much while the session can still be resumed.
        sleep: (ms, signal) =>
          this.handler.sleep(
            Math.min(ms, this.heldSessionBackoffCap(), this.untilClientSideExpiry()),
            signal,
          ),
      });
      try {
        await retry.run(() => this.connectCycle(), this.stopping.signal);
      } catch (err) {
        if (!this.stopping.signal.aborted) reason = `gave up connecting: ${(err as Error).message}`;
        break;
      }
    }
    this.live?.transport.destroy();
    this.channel.post({ t: 'ended', reason });
  }

  private onMessage(message: ClientToLoop): void {
    const live = this.live;
    switch (message.t) {
      case 'write':
        if (live !== undefined && message.epoch === live.epoch) {
          live.transport.write(message.frames);
          live.lastSend = this.handler.now();
        }
        return;
      case 'drop':
        if (live !== undefined && message.epoch === live.epoch) live.close(message.reason);
        return;
      case 'stop':
        this.closing = true;
        if (message.graceful && live !== undefined) return; // the server closes after closeSession
        this.stopping.abort();
        if (live !== undefined) {
          live.transport.end();
          live.close('client stopped');
        }
        return;
    }
  }

  /**
   * One pass over the hosts. Returns when a connection that was up has ended (reconnect at once);
   * throws ConnectionLossError when no host could be reached, so the retry policy backs off.
   */
  private async connectCycle(): Promise<void> {
    // Each host's cause, a name that did not resolve included: the pass's report names them all.
    const failures: ConnectionFailure[] = [];
    let addresses: HostAddress[];
    try {
      addresses = await this.beforeExpiry(() => this.resolveHosts(failures));
    } catch (err) {
      if (this.stopping.signal.aborted || err instanceof SessionExpired) return;
      throw err;
    }
    for (const address of addresses) {
      if (this.stopping.signal.aborted || this.closing) return;
      this.checkClientSideExpiry();
      let connected = false;
      this.channel.post({ t: 'connecting', server: address });
      try {
        const attempt = await this.beforeExpiry((signal) => this.connect(address, signal));
        connected = true;
        await this.serve(attempt);
        return;
      } catch (err) {
        const failure = this.failureOf(address, address.host, err);
        // Every `connecting` gets one outcome (a handshake, or this), a stop and an expiry included.
        if (!connected) this.channel.post({ t: 'connectFailed', failure });
        if (this.stopping.signal.aborted) return;
        if (err instanceof SessionExpired) return; // a new session is created on the next attempt
        this.log('debug', `connect attempt failed: ${failure.host}:${failure.port}: ${failure.message}`, {
          failure,
        });
        failures.push(failure);
      }
    }
    const { message: reason } = new ConnectionFailedError(failures);
    this.checkClientSideExpiry();
    this.channel.post({ t: 'cycleFailed', reason, failures });
    throw new ConnectionLossError(undefined, undefined, reason);
  }

  /** A failed attempt (or lookup) as plain data, with Node's error code; ETIMEDOUT for our own timeouts. */
  private failureOf(address: HostAddress, host: string, err: unknown): ConnectionFailure {
    const code = (err as { code?: unknown } | undefined)?.code;
    return {
      host,
      port: address.port,
      ...(address.hostname !== undefined && address.hostname !== host ? { hostname: address.hostname } : {}),
      // Our own timeouts first: they carry zookit's code (ERR_ZOOKIT_TIMEOUT), not a socket's.
      code:
        err instanceof this.handler.TimeoutError
          ? 'ETIMEDOUT'
          : typeof code === 'string'
            ? code
            : err instanceof SessionExpired
              ? 'SESSIONEXPIRED'
              : undefined,
      message:
        err instanceof SessionExpired ? 'the session expired' : ((err as Error)?.message ?? String(err)),
    };
  }

  /**
   * Every address of every host, resolved now, starting after the last one used. A name that does
   * not resolve is reported (connectFailed) and its cause kept in `failures`.
   */
  private async resolveHosts(failures: ConnectionFailure[]): Promise<HostAddress[]> {
    const hosts = [...this.init.hosts];
    if (this.init.randomizeHosts) shuffle(hosts, () => this.handler.random());
    const rotated = hosts
      .slice(this.nextHost % hosts.length)
      .concat(hosts.slice(0, this.nextHost % hosts.length));
    this.nextHost = (this.nextHost + 1) % hosts.length;
    const resolved: HostAddress[] = [];
    if (this.preferred !== undefined) resolved.push(this.preferred);
    this.preferred = undefined;
    for (const h of rotated) {
      if (isIP(h.host) !== 0) {
        resolved.push(h);
        continue;
      }
      try {
        for (const a of await this.handler.lookup(h.host)) {
          resolved.push({ host: a.address, port: h.port, hostname: h.host });
        }
      } catch (err) {
        const failure = this.failureOf(h, h.host, err);
        this.channel.post({ t: 'connectFailed', failure });
        failures.push(failure);
      }
    }
    return resolved;
  }

  /**
   * Runs one step of connecting (resolving the hosts; a TCP connect and handshake) against the
   * client-side expiry deadline. `step` gets a signal that aborts when the loop stops or the
   * deadline passes, and the step is abandoned then even if it never looks at it (a name lookup
   * cannot be cancelled). At the deadline the session is expired and SessionExpired thrown: a
   * black-holed server (no bytes, no FIN, no RST) must not hold LOST back until the connect or
   * handshake timeout, up to a whole session timeout later (ZOOKEEPER-4508).
   */
  private async beforeExpiry<T>(step: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const attempt = new AbortController();
    const onStop = (): void => attempt.abort(this.stopping.signal.reason);
    this.stopping.signal.addEventListener('abort', onStop, { once: true });
    if (this.stopping.signal.aborted) onStop();
    const abandoned = new Promise<never>((_resolve, reject) => {
      const onAbort = (): void => reject(attempt.signal.reason);
      if (attempt.signal.aborted) onAbort();
      else attempt.signal.addEventListener('abort', onAbort, { once: true });
    });
    const wait = this.untilClientSideExpiry();
    if (wait !== Number.POSITIVE_INFINITY) {
      this.handler.sleep(wait, attempt.signal).then(
        () => {
          if (this.expiryDeadline() === Number.POSITIVE_INFINITY) return; // already expired meanwhile
          this.expireSilentSession();
          attempt.abort(new SessionExpired());
        },
        () => {}, // the step ended first, or the loop stopped
      );
    }
    try {
      return await Promise.race([step(attempt.signal), abandoned]);
    } finally {
      this.stopping.signal.removeEventListener('abort', onStop);
      attempt.abort(); // ends the deadline's sleep; a step that succeeded no longer listens
    }
  }

  /**
   * TCP connect and session handshake with one server, given up when `signal` aborts (the loop
   * stops, or the client-side expiry deadline passes).
   */
  private async connect(address: HostAddress, signal: AbortSignal): Promise<Handshake> {
    const timeoutMs = Math.max(
      1,
      Math.floor((this.negotiatedTimeout || this.init.sessionTimeout) / this.init.hosts.length),
    );
    // TLS files are read for every attempt: a certificate renewed on disk is presented at the next one.
    const tls = this.init.tls && (await loadTlsFiles(tlsFor(this.init.tls, address)!));
    if (signal.aborted) throw signal.reason;
    const transport = await this.handler.createConnection({
      host: address.host,
      port: address.port,
      timeoutMs,
      tls,
      signal,
    });
    if (signal.aborted) {
      transport.destroy(); // a handler that connected anyway: nobody will serve this connection
      throw signal.reason;
    }
    const frames = new FrameAccumulator(this.init.maxInboundFrameBytes);
    const answered = new Promise<Buffer>((resolve, reject) => {
      transport.onData((chunk) => {
        try {
          frames.push(chunk);
          const frame = frames.next();
          if (frame !== undefined) resolve(frame);
        } catch (err) {
          reject(err);
        }
      });
      // A server that refuses us (our lastZxid is ahead of it, or it is read-only) just closes.
      transport.onClose((err) => reject(err ?? new Error('closed during the handshake')));
    });
    transport.write([
      encodeConnectRequest({
        protocolVersion: 0,
        lastZxidSeen: this.lastZxid,
        timeOut: this.init.sessionTimeout,
        sessionId: this.seenReadWrite ? this.sessionId : 0n,
        passwd: (this.seenReadWrite ? this.passwd : null) ?? Buffer.alloc(SESSION_PASSWORD_BYTES),
        readOnly: this.init.readOnly,
      }),
    ]);
    let response: ReturnType<typeof decodeConnectResponse>;
    const timer = new AbortController();
    // A stop or the expiry deadline must not wait out the handshake (up to the connect timeout),
    // nor leave a late answer to start a connection that nobody will ever close.
    const onAbort = (): void => timer.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
    try {
      const frame = await Promise.race([
        answered,
        this.handler.sleep(timeoutMs, timer.signal).then(() => {
          throw new this.handler.TimeoutError(`no handshake answer within ${timeoutMs} ms`);
        }),
      ]);
      // A 3.8 read-only server without local sessions answers a new session with a bare reply
      // header carrying NOTREADONLY instead of a ConnectResponse.
      if (frame.length === REPLY_HEADER_BYTES && frame.readInt32BE(12) === ErrorCode.NOTREADONLY) {
        throw new Error('the server is read-only and refuses new sessions (NOTREADONLY)');
      }
      response = decodeConnectResponse(frame);
    } catch (err) {
      transport.destroy();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      timer.abort();
    }
    if (signal.aborted) {
      transport.destroy();
      throw signal.reason;
    }
    if (response.timeOut <= 0) {
      transport.destroy();
      this.expire('the server reports the session expired');
      throw new SessionExpired();
    }
    this.sessionId = response.sessionId;
    this.passwd = response.passwd;
    this.negotiatedTimeout = response.timeOut;
    if (response.readOnly !== true) {
      this.seenReadWrite = true;
      this.probeDelay = RW_PROBE_FIRST_MS;
    }
    // The accumulator goes on to serve(): bytes after the ConnectResponse stay in it.
    return { transport, frames, address, timeout: response.timeOut, readOnly: response.readOnly === true };
  }

  /** Runs one established connection until it ends: reads, pings, read timeout, read-only probing. */
  private async serve({ transport, frames, address, timeout, readOnly }: Handshake): Promise<void> {
    const epoch = ++this.epoch;
    const readTimeout = Math.floor((timeout * 2) / 3);
    const now = this.handler.now();
    let close!: (reason: string) => void;
    const closed = new Promise<string>((resolve) => {
      close = resolve;
    });
    const live: Live = {
      epoch,
      transport,
      address,
      readTimeout,
      pingInterval: Math.min(readTimeout / 2, MAX_PING_INTERVAL_MS),
      lastSend: now,
      lastRecv: now,
      closed,
      close: (reason) => close(reason),
    };
    this.live = live;
    this.lastHeard = now;
    transport.onData((chunk) => this.onData(live, frames, chunk));
    transport.onClose((err) =>
      live.close(err ? `connection error: ${err.message}` : 'connection closed by the server'),
    );
    this.channel.post({
      t: 'handshake',
      epoch,
      sessionId: this.sessionId,
      passwd: this.passwd!,
      timeout,
      readOnly,
      server: address,
    });

    const stopTimers = new AbortController();
    void this.keepAlive(live, stopTimers.signal);
    if (readOnly) void this.probeForReadWrite(live, stopTimers.signal);
    const reason = await closed;
    stopTimers.abort();
    transport.destroy();
    this.live = undefined;
    frames.reset();
    this.channel.post({ t: 'disconnected', epoch, reason });
  }

  /** Splits incoming bytes into frames, consumes ping replies, forwards the rest in one batch. */
  private onData(live: Live, frames: FrameAccumulator, chunk: Buffer): void {
    const now = this.handler.now();
    live.lastRecv = now;
    this.lastHeard = now;
    const batch: Buffer[] = [];
    try {
      frames.push(chunk);
      for (let f = frames.next(); f !== undefined; f = frames.next()) {
        if (f.length < REPLY_HEADER_BYTES) throw new Error(`frame of ${f.length} bytes has no reply header`);
        const xid = f.readInt32BE(0);
        if (xid === Xid.ping) continue;
        const err = f.readInt32BE(12);
        // The server refused a credential, or closed the session for want of SASL: it will
        // refuse again, so this connection is the last (the client also says stop, but a
        // reconnect could start before that message comes).
        if (err === ErrorCode.AUTHFAILED || err === ErrorCode.SESSIONCLOSEDREQUIRESASLAUTH)
          this.closing = true;
        if (xid !== Xid.notification) {
          const zxid = longAt(f, 4);
          if (zxid > this.lastZxid) this.lastZxid = zxid;
        }
        batch.push(f);
      }
    } catch (err) {
      live.close(`malformed data from the server: ${(err as Error).message}`);
    }
    if (batch.length > 0) this.channel.post({ t: 'frames', epoch: live.epoch, frames: batch });
  }

  /**
   * Pings when nothing was sent for about readTimeout/2 (with 10–400 ms of jitter, so a fleet does
   * not ping in step), and drops the connection when nothing was received for readTimeout.
   */
  private async keepAlive(live: Live, signal: AbortSignal): Promise<void> {
    const ping = encodeRequest(Xid.ping, OpCode.ping, {});
    while (!signal.aborted) {
      const jitter = 10 + Math.floor(this.handler.random() * 390);
      const now = this.handler.now();
      const pingDue = live.lastSend + Math.max(0, live.pingInterval - jitter);
      const readDeadline = live.lastRecv + live.readTimeout;
      try {
        await this.handler.sleep(Math.max(1, Math.min(pingDue, readDeadline) - now), signal);
      } catch {
        return;
      }
      const t = this.handler.now();
      if (t - live.lastRecv >= live.readTimeout) {
        live.close(`nothing heard from the server for ${Math.round(t - live.lastRecv)} ms (read timeout)`);
        return;
      }
      if (t - live.lastSend >= live.pingInterval - jitter) {
        live.transport.write([ping]);
        live.lastSend = t;
      }
    }
  }

  /**
   * While on a read-only server, asks every other host `isro` with a backoff from 100 ms to 60 s,
   * and moves to the first that answers `rw` (kazoo probes only its first host, #653).
   */
  private async probeForReadWrite(live: Live, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.handler.sleep(this.probeDelay, signal);
      } catch {
        return;
      }
      for (const host of this.init.hosts) {
        if (signal.aborted) return;
        const current = live.address;
        if (host.port === current.port && (host.host === current.host || host.host === current.hostname))
          continue;
        if ((await this.isro(host).catch(() => undefined)) === 'rw') {
          this.preferred = host;
          this.probeDelay = Math.min(this.probeDelay * 2, RW_PROBE_MAX_MS);
          live.close(`read/write server ${host.host}:${host.port} available`);
          return;
        }
      }
      this.probeDelay = Math.min(this.probeDelay * 2, RW_PROBE_MAX_MS);
    }
  }

  private async isro(address: HostAddress): Promise<string> {
    const transport = await this.handler.createConnection({
      ...address,
      timeoutMs: 1000,
      tls: this.init.tls && (await loadTlsFiles(this.init.tls)),
    });
    try {
      const answer = new Promise<string>((resolve) => {
        let text = '';
        transport.onData((chunk) => {
          text += chunk.toString('latin1');
        });
        transport.onClose(() => resolve(text.trim()));
      });
      transport.write([Buffer.from('isro')]);
      const timer = new AbortController();
      return await Promise.race([
        answer,
        this.handler.sleep(1000, timer.signal).then(() => 'timeout'),
      ]).finally(() => timer.abort());
    } finally {
      transport.destroy();
    }
  }

  /**
   * When the client-side expiry fires: 4/3 of the negotiated timeout after the server was last
   * heard, in ms on the handler's clock; Infinity without a session.
   */
  private expiryDeadline(): number {
    if (this.sessionId === 0n || this.negotiatedTimeout === 0) return Number.POSITIVE_INFINITY;
    return this.lastHeard + (this.negotiatedTimeout * 4) / 3;
  }

  /**
   * The random wait before reconnecting after a connection that was up ended: every client of a
   * server that died learns it in the same instant, and without it they would all open their
   * connections to the survivors at once (docs/reliability.md#reconnect-jitter). Bounded by the
   * client-side expiry deadline; a stop ends it.
   */
  private async reconnectPause(): Promise<void> {
    const timeout = this.negotiatedTimeout || this.init.sessionTimeout;
    const bound = this.init.reconnectJitter ?? Math.min(MAX_DEFAULT_RECONNECT_JITTER_MS, timeout / 10);
    const wait = Math.min(Math.floor(this.handler.random() * bound), this.untilClientSideExpiry());
    if (wait <= 0) return;
    await this.handler.sleep(wait, this.stopping.signal).catch(() => undefined);
  }

  /**
   * The longest backoff sleep between failed passes while a session is held: a tenth of its
   * timeout (1 s for 10 s), however far the backoff has grown. An ensemble that is electing a
   * leader refuses every pass until it serves again, and a sleep grown to several seconds would
   * keep the session away for that long after it does, eating the time the session has left (its
   * timeout starts over on the new leader, but the client-side expiry does not). Without a
   * session there is nothing to lose by waiting, and the backoff grows as configured.
   * docs/protocol.md#timing
   */
  private heldSessionBackoffCap(): number {
    if (this.sessionId === 0n) return Number.POSITIVE_INFINITY;
    return Math.max(
      this.init.connectionRetry.delay ?? 0,
      (this.negotiatedTimeout || this.init.sessionTimeout) / 10,
    );
  }

  /** Ms until the client-side expiry deadline (0 once passed); Infinity without a session. */
  private untilClientSideExpiry(): number {
    return Math.max(0, this.expiryDeadline() - this.handler.now());
  }

  /**
   * ZOOKEEPER-4508: a partitioned client expires its own session once nothing was heard for 4/3 of
   * its timeout (the Java client's `expirationTimeout - idleRecv <= 0`): the server has expired it
   * by then, and only a server could tell the client so.
   */
  private checkClientSideExpiry(): void {
    if (this.handler.now() >= this.expiryDeadline()) this.expireSilentSession();
  }

  private expireSilentSession(): void {
    const silent = this.handler.now() - this.lastHeard;
    this.expire(`nothing heard from any server for ${Math.round(silent)} ms (4/3 of the session timeout)`);
  }

  private expire(reason: string): void {
    this.sessionId = 0n;
    this.seenReadWrite = false;
    this.passwd = null;
    this.negotiatedTimeout = 0;
    this.lastHeard = this.handler.now();
    this.channel.post({ t: 'expired', reason });
  }

  private log(
    level: 'debug' | 'info' | 'warn' | 'error',
    message: string,
    fields?: Record<string, unknown>,
  ): void {
    this.channel.post({ t: 'log', level, message, fields });
  }
}

/** Fisher–Yates, drawing from `random` (uniform in [0, 1)). */
function shuffle<T>(list: T[], random: () => number): void {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
}

/** The TLS options for one address: SNI and the certificate check use the name it was resolved from. */
function tlsFor(tls: LoopInit['tls'], address: HostAddress): LoopInit['tls'] {
  if (tls === undefined || address.hostname === undefined) return tls;
  return { servername: address.hostname, ...tls };
}
