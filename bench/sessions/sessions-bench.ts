// The many-sessions benchmark (issue 19): `clients` sessions in one Node process against a 3-member
// ensemble on 127.0.0.1, once per handler, each in a fresh child process so memory and CPU are the
// sessions' alone. Per handler: time for all to connect, memory per session after a full GC, CPU
// while idle (pings only), then the member holding the most sessions is killed and the child times
// the reconnect storm until every session is back, against the session timeout, counting expired
// sessions. Each handler gets a fresh ensemble. Last, the time to connect one more client on a
// warm shared worker against a worker of its own.

import { fork } from 'node:child_process';
import { extname, join } from 'node:path';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import { type CpuPlan, pinnedForkOptions, pinProcess, planCpus } from '../cpu-pinning.js';
import type { FromSessionsChild, SessionsChildSpec, ToSessionsChild } from './child-protocol.js';
import type { HandlerFigures, SessionFigures, SessionsHandler, WarmConnectFigures } from './figures.js';

/** Options of runSessionsBench. */
export interface SessionsBenchOptions {
  /** Sessions per handler (1,000 for the issue's figure). */
  clients: number;
  /** How long to measure idle CPU, s (20 for the figure). */
  idleSeconds: number;
  handlers: SessionsHandler[];
  /** The session timeout the clients ask for, ms (default 10,000, zookit's default); it sets the ping rate. */
  sessionTimeoutMs?: number;
  /** A tiny run for CI: fewer warm connects; every phase still runs. No figure is asserted. */
  smoke?: boolean;
  /** Progress lines (default: console.log with a `sessions:` prefix). */
  log?: (line: string) => void;
}

/** The session timeout the clients ask for by default, ms (the ensemble's tickTime is 2 s: 4–40 s allowed). */
const SESSION_TIMEOUT_MS = 10_000;
/** The servers' JVM: as bench/run.ts's server, a fixed heap so GC sizing does not vary by run. */
const SERVER_JVM_FLAGS = ['-Xms512m', '-Xmx512m', '-XX:+UseG1GC'];
const CHILD_SCRIPT = join(__dirname, `session-child${extname(__filename)}`);

/** Runs the many-sessions benchmark; starts and stops its own ensemble. */
export async function runSessionsBench(options: SessionsBenchOptions): Promise<SessionFigures> {
  const log = options.log ?? ((line: string) => console.log(`sessions: ${line}`));
  const started = Date.now();
  const figures: SessionFigures = {
    clients: options.clients,
    idleSeconds: options.idleSeconds,
    smoke: options.smoke === true,
    placement: '',
    handlers: [],
    failures: [],
    warmConnect: undefined,
    durationS: 0,
  };
  const plan = planCpus(process.env);
  figures.placement =
    'server' in plan
      ? `the 3 servers on CPU ${plan.server}, the sessions' process on CPU ${plan.client}`
      : `not pinned (${plan.unpinned})`;
  const cpus = 'server' in plan ? plan : undefined;
  const needsWarm = options.handlers.includes('worker-shared');
  // A fresh ensemble per handler: a member restarted after the last kill may still be syncing, and
  // losing it with the next kill would take the quorum (and every session) down with it.
  const rounds: Array<SessionsHandler | 'warm-connect'> = [
    ...options.handlers,
    ...(needsWarm ? ['warm-connect' as const] : []),
  ];
  for (const round of rounds) {
    log(`${round}: starting a 3-member ensemble (maxClientCnxns=0)`);
    const cluster = await startTestingCluster({
      extraConfig: { maxClientCnxns: 0 },
      jvmFlags: SERVER_JVM_FLAGS,
      logLevel: 'warn',
    });
    try {
      if (cpus !== undefined)
        for (const server of cluster.servers)
          if (server.pid !== undefined) pinProcess(server.pid, cpus.server);
      if (round === 'warm-connect') {
        figures.warmConnect = await measureWarmConnect(cluster, options.smoke ? 3 : 15, cpus, options);
        continue;
      }
      log(`${round}: ${options.clients} sessions`);
      const result = await measureHandler(cluster, round, options, cpus, log);
      figures.handlers.push(result);
      log(
        `${round}: connected in ${Math.round(result.connectAllMs)} ms, ` +
          `${Math.round(result.rssPerSessionBytes / 1024)} KB RSS per session, idle CPU ${result.idleCpuPercent.toFixed(2)}%, ` +
          `${result.disconnected} back ${Math.round(result.reconnectAllMs)} ms after the kill, ${result.expired} expired`,
      );
    } catch (error) {
      const handler = round === 'warm-connect' ? 'worker-shared' : round;
      const what = round === 'warm-connect' ? 'warm connect: ' : '';
      figures.failures.push({ handler, error: `${what}${(error as Error).message}` });
      log(`${round}: failed: ${(error as Error).message}`);
    } finally {
      await cluster.close();
    }
  }
  figures.durationS = (Date.now() - started) / 1000;
  return figures;
}

/** Forks the sessions child (on the client CPUs when pinned) and hands each message to `onMessage`. */
function runChild(
  spec: SessionsChildSpec,
  cpus: CpuPlan | undefined,
  timeoutMs: number,
  onMessage: (message: FromSessionsChild, child: ReturnType<typeof fork>) => void,
): Promise<void> {
  const execArgv = ['--expose-gc'];
  const child = fork(CHILD_SCRIPT, [JSON.stringify(spec)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(cpus === undefined ? { execArgv } : pinnedForkOptions(cpus.client, execArgv)),
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the sessions child did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', (message: FromSessionsChild) => {
      if (message.t === 'failed') {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new Error(message.error));
        return;
      }
      try {
        onMessage(message, child);
      } catch (error) {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(error);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`the sessions child exited with ${signal ?? `code ${code}`}`));
    });
  });
}

async function measureHandler(
  cluster: TestingCluster,
  handler: SessionsHandler,
  options: SessionsBenchOptions,
  cpus: CpuPlan | undefined,
  log: (line: string) => void,
): Promise<HandlerFigures> {
  let idle: Extract<FromSessionsChild, { t: 'idle-measured' }>['figures'] | undefined;
  let storm: Extract<FromSessionsChild, { t: 'storm-measured' }>['figures'] | undefined;
  let killed: HandlerFigures['killed'] | undefined;
  let killing: Promise<void> = Promise.resolve();
  const spec: SessionsChildSpec = {
    mode: 'sessions',
    handler,
    connectString: cluster.connectString,
    clients: options.clients,
    idleSeconds: options.idleSeconds,
    sessionTimeoutMs: options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
  };
  const timeoutMs = 180_000 + options.idleSeconds * 1000 + options.clients * 100;
  await runChild(spec, cpus, timeoutMs, (message, child) => {
    if (message.t === 'idle-measured') {
      idle = message.figures;
      const [address, count] = Object.entries(message.onServer)
        .filter(([where]) => where !== 'none')
        .sort((a, b) => b[1] - a[1])[0]!;
      const server = cluster.serverFor(address);
      killing = (async () => {
        const wasLeader = (await server.mode()) === 'leader';
        log(
          `${handler}: killing member ${server.id}${wasLeader ? ' (the leader)' : ''}, which holds ${count} sessions`,
        );
        const killedAt = Date.now();
        await server.kill();
        killed = { id: server.id, sessionsOnIt: count, wasLeader };
        child.send({ t: 'killed', address, killedAt } satisfies ToSessionsChild);
      })();
    } else if (message.t === 'storm-measured') storm = message.figures;
  });
  await killing;
  if (idle === undefined || storm === undefined || killed === undefined)
    throw new Error('the sessions child ended before reporting every figure');
  return { ...idle, ...storm, killed };
}

async function measureWarmConnect(
  cluster: TestingCluster,
  count: number,
  cpus: CpuPlan | undefined,
  options: SessionsBenchOptions,
): Promise<WarmConnectFigures> {
  let figures: WarmConnectFigures | undefined;
  const spec: SessionsChildSpec = {
    mode: 'warm-connect',
    connectString: cluster.connectString,
    count,
    sessionTimeoutMs: options.sessionTimeoutMs ?? SESSION_TIMEOUT_MS,
  };
  await runChild(spec, cpus, 120_000, (message) => {
    if (message.t === 'warm-measured') figures = message.figures;
  });
  if (figures === undefined) throw new Error('the warm-connect child reported nothing');
  return figures;
}
