// The zookit side of the recipe benchmark: one process running `contenders` sessions (8 clients in
// one Node process is how a Node service would hold them), each driving the workload's recipe
// through the public API, speaking the runner's contract (contract.ts). Started by the runner as
// `node zookit-driver.js '<DriverConfig JSON>'`, or `node zookit-driver.js clock` for the clock check.

import { createInterface } from 'node:readline';
import { ZooKeeperClient } from '../../lib/client/client.js';
import { BadVersionError } from '../../lib/errors.js';
import { type DriverConfig, type DriverResult, GO_PREFIX, READY_LINE, RESULT_PREFIX } from './contract.js';

const SESSION_TIMEOUT_MS = 10_000;

let base = 0n;
const now = (): number => Number(process.hrtime.bigint() - base);

async function connect(connectString: string): Promise<ZooKeeperClient> {
  const zk = new ZooKeeperClient({ hosts: connectString, sessionTimeout: SESSION_TIMEOUT_MS });
  await zk.start({ timeout: 20_000 });
  return zk;
}

async function roundTrips(zk: ZooKeeperClient, path: string, samples: number): Promise<number[]> {
  await zk.ensurePath(path);
  const rtt: number[] = [];
  for (let i = 0; i < samples; i++) {
    const start = now();
    await zk.get(path);
    rtt.push(now() - start);
  }
  return rtt;
}

/** Resolves with `GO`'s end time once the runner says go. */
function waitForGo(): Promise<number> {
  return new Promise((resolve) => {
    const lines = createInterface({ input: process.stdin });
    lines.on('line', (line) => {
      if (!line.startsWith(GO_PREFIX)) return;
      lines.close();
      resolve(Number(BigInt(line.slice(GO_PREFIX.length)) - base));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function lockLoop(
  zk: ZooKeeperClient,
  config: DriverConfig,
  index: number,
  end: number,
  out: DriverResult,
) {
  const lock = zk.Lock(config.path, `contender-${index}`);
  while (now() < end) {
    await lock.acquire();
    const grant = now();
    const [data, stat] = await zk.get(config.counterPath);
    try {
      await zk.set(config.counterPath, String(Number(String(data)) + 1), { version: stat.version });
    } catch (error) {
      if (!(error instanceof BadVersionError)) throw error;
      out.overlaps!++;
    }
    const release = now();
    await lock.release();
    out.grants!.push([grant, release]);
  }
}

async function electionLoop(
  first: ZooKeeperClient,
  config: DriverConfig,
  index: number,
  end: number,
  out: DriverResult,
) {
  let zk = first;
  const closing = config.workload === 'election-close';
  let election: ReturnType<ZooKeeperClient['Election']> | undefined;
  // At the end a waiting candidate stops waiting (cancel before run() makes run() return at once).
  const stop = setTimeout(() => election?.cancel(), Math.max(0, (end - now()) / 1e6));
  while (now() < end) {
    election = zk.Election(config.path, `candidate-${index}`);
    const led = await election
      .run(async () => {
        out.elected!.push(now());
        await sleep(config.holdMs);
        out.resigned!.push(now());
        if (closing) await zk.close();
        return true;
      })
      .catch((error) => {
        if (closing) return true; // the release after close fails: the session (and node) went with it
        throw error;
      });
    if (led === undefined) break;
    if (closing) zk = await connect(config.connectString);
  }
  clearTimeout(stop);
  return zk;
}

async function counterLoop(
  zk: ZooKeeperClient,
  config: DriverConfig,
  slot: number,
  end: number,
  out: DriverResult,
) {
  const counter = zk.Counter(config.path);
  while (now() < end) {
    await counter.add(1);
    out.increments![slot]!++;
  }
  out.retries![slot] = counter.retries;
}

async function queueLoop(
  zk: ZooKeeperClient,
  config: DriverConfig,
  index: number,
  end: number,
  out: DriverResult,
) {
  const queue = zk.LockingQueue(config.path);
  if (index < config.total / 2) {
    let n = 0;
    while (now() < end) {
      await queue.put(`${index}-${n}`);
      n++;
      out.produced![String(index)] = n;
    }
    return;
  }
  for (;;) {
    const left = (end - now()) / 1e6;
    if (left <= 0) return;
    const value = await queue.get({ timeout: left });
    if (value === null) return;
    if (!(await queue.consume())) throw new Error(`consumer ${index} lost its entry`);
    out.consumed!.push(value.toString());
  }
}

async function main(): Promise<void> {
  const argument = process.argv[2] ?? '';
  if (argument === 'clock') {
    process.stdout.write(`${process.hrtime.bigint()}\n`);
    return;
  }
  const config = JSON.parse(argument) as DriverConfig;
  base = BigInt(config.baseNs);
  const clients: ZooKeeperClient[] = [];
  for (let i = 0; i < config.contenders; i++) clients.push(await connect(config.connectString));
  const out: DriverResult = {
    cpuNs: 0,
    rttNs: await roundTrips(clients[0]!, config.counterPath, config.rttSamples),
  };
  const slots = clients.map(() => 0);
  if (config.workload === 'lock') Object.assign(out, { grants: [], overlaps: 0 });
  if (config.workload.startsWith('election')) Object.assign(out, { elected: [], resigned: [] });
  if (config.workload === 'counter') Object.assign(out, { increments: [...slots], retries: [...slots] });
  if (config.workload === 'queue') Object.assign(out, { produced: {}, consumed: [] });
  process.stdout.write(`${READY_LINE}\n`);
  const end = await waitForGo();
  const cpuBefore = process.cpuUsage();
  await Promise.all(
    clients.map((zk, slot) => {
      const index = config.firstIndex + slot;
      switch (config.workload) {
        case 'lock':
          return lockLoop(zk, config, index, end, out);
        case 'election-resign':
        case 'election-close':
          return electionLoop(zk, config, index, end, out).then((last) => {
            clients[slot] = last;
          });
        case 'counter':
          return counterLoop(zk, config, slot, end, out);
        default:
          return queueLoop(zk, config, index, end, out);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  out.cpuNs = (cpu.user + cpu.system) * 1000;
  await Promise.all(clients.map((zk) => zk.close().catch(() => {})));
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(out)}\n`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`zookit driver: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
