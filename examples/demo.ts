// The story in a minute (`make demo`): three workers elect a leader on a 3-node ensemble; the leader's server dies and nothing else happens; its session is lost and leadership moves.
// It starts a throw-away 3-member ensemble on loopback ports, prints each event as it happens,
// asserts the story's two claims (a dead server costs no leadership; a lost session does), and
// stops everything it started. Run: make demo (or npm run example -- demo)

import assert from 'node:assert/strict';
import { type Election, LeadershipLostError, ZooKeeperClient } from 'zookit';
import { expireSession, startTestingCluster } from 'zookit/testing';

const ELECTION = '/demo/leader';
const started = Date.now();
/** Aborted at the end: the leader in office steps down, so every session closes with nothing pending. */
const shutdown = new AbortController();

/** One line of the story, with the seconds since the start. */
function say(line: string): void {
  console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s] ${line}`);
}

interface Worker {
  name: string;
  zk: ZooKeeperClient;
  election: Election;
  /** Resolves when this worker's term as leader ends, with why. */
  term: Promise<string>;
}

/** Who leads now: resolves with the worker whose leader function started. */
let onLeader: (worker: Worker) => void = () => {};
const nextLeader = (): Promise<Worker> => new Promise((resolve) => (onLeader = resolve));

function hire(name: string, hosts: string): Worker {
  const zk = new ZooKeeperClient({ hosts, sessionTimeout: 10_000 });
  const election = zk.Election(ELECTION, name);
  const worker: Worker = { name, zk, election, term: Promise.resolve('') };
  zk.on('connectionState', (state) => {
    const where = zk.connectedTo ? ` on ${zk.connectedTo}` : '';
    const session = zk.clientId ? ` (session 0x${zk.clientId.sessionId.toString(16)})` : '';
    say(`  ${name}: ${state}${state.startsWith('CONNECTED') ? where + session : ''}`);
  });
  return worker;
}

/** Each worker contends; as leader it "works" until its signal says leadership was lost. */
function contend(worker: Worker): void {
  worker.term = worker.election
    .run(
      (signal) =>
        new Promise<string>((resolve) => {
          say(`★ ${worker.name} is the leader (it holds the election's Lock: ${worker.election.lock.node})`);
          onLeader(worker);
          shutdown.signal.addEventListener('abort', () => resolve('stepped down'));
          signal.addEventListener('abort', () => {
            const reason =
              signal.reason instanceof LeadershipLostError ? signal.reason.reason : String(signal.reason);
            say(`✗ ${worker.name} is no longer the leader: ${reason}`);
            resolve(reason);
          });
        }),
    )
    .then(
      (reason) => reason ?? 'cancelled',
      (error: unknown) => `ended: ${String(error)}`,
    );
}

async function main(): Promise<void> {
  say('starting a 3-member ZooKeeper ensemble on 127.0.0.1 ...');
  const cluster = await startTestingCluster({ size: 3 });
  const workers: Worker[] = [];
  try {
    say(`ensemble serving at ${cluster.connectString}`);
    for (const name of ['alpha', 'bravo', 'charlie']) workers.push(hire(name, cluster.connectString));
    await Promise.all(workers.map((w) => w.zk.start()));
    await workers[0]!.zk.ensurePath(ELECTION);

    let elected = nextLeader();
    for (const worker of workers) contend(worker);
    const leader = await elected;
    const others = workers.filter((w) => w !== leader);
    let line = await leader.election.contenders();
    while (line.length < workers.length) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      line = await leader.election.contenders();
    }
    say(`contenders in line: ${line.join(', ')}`);

    // 1. The server the leader is connected to dies. Its session lives on the ensemble, not on
    //    that server: the client moves to a survivor within the session timeout, and nobody else
    //    takes over, because nothing was lost.
    const address = leader.zk.connectedTo!;
    const sessionBefore = leader.zk.clientId!.sessionId;
    say(`killing ${leader.name}'s server, ${address} (kill -9) ...`);
    await cluster.serverFor(address).kill();
    await new Promise<void>((resolve) => {
      const check = (): void => {
        if (leader.zk.connectedTo && leader.zk.connectedTo !== address && leader.zk.isConnected) resolve();
        else setTimeout(check, 100);
      };
      check();
    });
    assert.equal(leader.zk.clientId!.sessionId, sessionBefore, 'the same session, resumed on a survivor');
    say(`${leader.name} resumed the same session on ${leader.zk.connectedTo}: it is still the leader`);
    const contenders = await leader.election.contenders();
    assert.equal(contenders[0], leader.name);
    say(`contenders in line: ${contenders.join(', ')} (unchanged: a dead server is no lost session)`);

    // 2. Now the leader's session itself is lost (as when a process stalls past its timeout):
    //    its ephemeral lock node goes, and only now does leadership pass.
    elected = nextLeader();
    say(`expiring ${leader.name}'s session 0x${sessionBefore.toString(16)} on the ensemble ...`);
    await expireSession(cluster.connectStringWithout(cluster.serverFor(address).id), {
      sessionId: sessionBefore,
      passwd: leader.zk.clientId!.password,
    });
    // The server deletes the expired session's lock node: the leader hears it either from its
    // watch on the node ('node deleted') or as its own expiry ('session lost'), whichever comes first.
    const reason = await leader.term;
    assert.ok(reason === 'session lost' || reason === 'node deleted', reason);
    const successor = await elected;
    assert.ok(others.includes(successor));
    say(`leadership passed to ${successor.name} only when ${leader.name}'s session was really lost`);
  } finally {
    shutdown.abort();
    for (const worker of workers) worker.election.cancel();
    await Promise.all(workers.map((w) => w.term));
    await Promise.all(workers.map((w) => w.zk.close()));
    await cluster.close();
  }
  say('stopped');
  console.log('ok: demo');
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
