import { createServer, type Server } from 'node:net';
import { InvalidArgumentError } from '../index.js';

/** The loopback address every harness server listens on; never 0.0.0.0, so tests stay on this host. */
export const LOOPBACK = '127.0.0.1';

/**
 * Reserves `count` distinct free TCP ports on 127.0.0.1 and returns them. All listeners are open at
 * the same time, so the ports differ; they are closed before returning, so a port can still be
 * taken by someone else before the caller binds it (the server start retries for that reason).
 */
export async function freePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0) {
    throw new RangeError(`freePorts(count): count must be a non-negative integer, got ${count}`);
  }
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, LOOPBACK, () => {
          server.off('error', reject);
          resolve();
        });
      });
    }
    return servers.map((server) => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        throw new Error('freePorts: a listener on 127.0.0.1 reported no TCP address');
      }
      return address.port;
    });
  } finally {
    await Promise.all(
      servers.map(
        (server) =>
          new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
      ),
    );
  }
}

/** Reserves one free TCP port on 127.0.0.1; see `freePorts`. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port!;
}

/**
 * A port the harness was asked for is not usable: the fixed port is taken, or a range holds too
 * few free ports. (A port number outside 1–65535 is an InvalidArgumentError instead.)
 */
export class PortUnavailableError extends Error {
  override readonly name = 'PortUnavailableError';
  /** Stable code (docs/errors.md#codes). */
  readonly code = 'ERR_ZOOKIT_PORT_UNAVAILABLE';
  constructor(
    message: string,
    /** The fixed port that is taken, when one was asked for. */
    readonly port?: number,
  ) {
    super(message);
  }
}

/** Where a server's ports come from (docs/testing.md#ports). */
export interface PortChoice {
  /** Exactly these ports, in order; each must be free. */
  fixed?: readonly number[];
  /** Free ports from this inclusive range, lowest first. */
  range?: readonly [low: number, high: number];
}

/** Throws InvalidArgumentError unless `port` is an integer from 1 to 65535. */
export function checkPort(port: unknown, argument: string): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidArgumentError(
      argument,
      `${argument} must be an integer from 1 to 65535, got ${String(port)}`,
    );
  }
  return port;
}

/** Throws InvalidArgumentError unless `range` is [low, high] with 1 ≤ low ≤ high ≤ 65535. */
export function checkPortRange(range: unknown, argument: string): readonly [number, number] {
  if (!Array.isArray(range) || range.length !== 2) {
    throw new InvalidArgumentError(argument, `${argument} must be [low, high], got ${JSON.stringify(range)}`);
  }
  const [low, high] = [checkPort(range[0], `${argument}[0]`), checkPort(range[1], `${argument}[1]`)];
  if (low > high)
    throw new InvalidArgumentError(argument, `${argument} [${low}, ${high}] is empty: low > high`);
  return [low, high];
}

/**
 * `count` ports for a server or ensemble: `choice.fixed` if each is free, else the lowest free
 * ones of `choice.range`, else any free ports (freePorts). As with freePorts, the ports are free
 * when checked, not held: the server start retries if one is taken before it binds.
 */
export async function choosePorts(count: number, choice: PortChoice = {}): Promise<number[]> {
  if (choice.fixed !== undefined) {
    for (const port of choice.fixed) {
      if (!(await canListen(port))) {
        throw new PortUnavailableError(`port ${port} on ${LOOPBACK} is in use (or may not be bound)`, port);
      }
    }
    return [...choice.fixed];
  }
  if (choice.range === undefined) return freePorts(count);
  const [low, high] = choice.range;
  const found: number[] = [];
  for (let port = low; port <= high && found.length < count; port++) {
    if (await canListen(port)) found.push(port);
  }
  if (found.length < count) {
    throw new PortUnavailableError(
      `only ${found.length} of the ${count} port(s) needed are free on ${LOOPBACK} in ${low}–${high}`,
    );
  }
  return found;
}

/** Where a standalone server's client port comes from; throws InvalidArgumentError for a bad option. */
export function standalonePortChoice(options: { port?: number; portRange?: unknown }): PortChoice {
  if (options.port !== undefined && options.portRange !== undefined) {
    throw new InvalidArgumentError('port', 'give port or portRange, not both');
  }
  if (options.port !== undefined) return { fixed: [checkPort(options.port, 'port')] };
  if (options.portRange !== undefined) return { range: checkPortRange(options.portRange, 'portRange') };
  return {};
}

/** Where an ensemble's `count` ports come from (basePort: consecutive); throws InvalidArgumentError for a bad option. */
export function ensemblePortChoice(
  options: { basePort?: number; portRange?: unknown },
  count: number,
): PortChoice {
  if (options.basePort !== undefined && options.portRange !== undefined) {
    throw new InvalidArgumentError('basePort', 'give basePort or portRange, not both');
  }
  if (options.basePort !== undefined) {
    const base = checkPort(options.basePort, 'basePort');
    checkPort(base + count - 1, `basePort + ${count - 1} (the last port the ensemble takes)`);
    return { fixed: Array.from({ length: count }, (_, i) => base + i) };
  }
  if (options.portRange !== undefined) return { range: checkPortRange(options.portRange, 'portRange') };
  return {};
}

/** Whether a listener can bind `port` on 127.0.0.1 right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
