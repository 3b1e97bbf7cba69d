// The herd's ensemble and the member it kills. Which member holds most sessions is counted twice:
// by the clients (each one's `connectedTo`) and by the servers (`mntr`'s
// zk_num_alive_connections, which also counts the harness's own probe), so a client that
// misreported where it is would show as a mismatch in the report. The member is killed with
// SIGKILL through its ServerHandle: its sockets close with the process, so every client on it
// sees the connection end at once, as when a machine's ZooKeeper process dies.
//
// Settings, and why (times in ms):
// - session timeout 10,000: the client's default, so the run checks what users get; with tickTime
//   2000 the server accepts 4,000–40,000 and keeps it. The displaced sessions must be back well
//   within it, and the surviving members expire a session not heard from for that long.
// - forceSync=no spares the 2-core machine an fsync per create; a SIGKILL loses nothing by it (the
//   page cache outlives the process), so acknowledged writes stay as durable as the test needs.
// - a 512 MB heap per member: 1,200 connections and ~20,000 small nodes fit easily, and a full
//   heap would fail the run for the server's sake, not the client's.

import type { ServerHandle } from '../../testing/server-handle.js';
import { startTestingCluster, type TestingCluster } from '../../testing/testing-cluster.js';
import type { KillFacts } from './analysis.js';
import { epochMs } from './records.js';

/** The session timeout the clients ask for, ms (zookit's default). */
export const SESSION_TIMEOUT_MS = 10_000;

/** The ensemble of the herd runs: 3 members, tickTime 2000. */
export function startHerdEnsemble(): Promise<TestingCluster> {
  return startTestingCluster({
    size: 3,
    tickTimeMs: 2000,
    extraConfig: { forceSync: 'no' },
    jvmFlags: ['-Xms64m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'],
  });
}

/** Where the sessions are, as the clients and as the members say. */
export interface Placement {
  /** Sessions per member by the clients' `connectedTo`, `host:port` → count. */
  readonly byClients: Readonly<Record<string, number>>;
  /** zk_num_alive_connections of each member's `mntr` (the probe's own connection included). */
  readonly byMembers: Readonly<Record<string, number | undefined>>;
  /** The member with most sessions by the clients' count. */
  readonly busiest: ServerHandle;
}

/** Counts the sessions per member and picks the one with most. */
export async function placementOf(
  cluster: TestingCluster,
  servers: Iterable<string | undefined>,
): Promise<Placement> {
  const byClients: Record<string, number> = Object.fromEntries(
    cluster.servers.map((s) => [s.connectString, 0]),
  );
  for (const server of servers) if (server !== undefined) byClients[server] = (byClients[server] ?? 0) + 1;
  const byMembers: Record<string, number | undefined> = {};
  for (const member of cluster.servers) byMembers[member.connectString] = await aliveConnections(member);
  const busiest = cluster.servers.reduce((a, b) =>
    (byClients[b.connectString] ?? 0) > (byClients[a.connectString] ?? 0) ? b : a,
  );
  return { byClients, byMembers, busiest };
}

/** Kills `victim` with SIGKILL and says what the analysis needs to know of it. */
export async function killMember(cluster: TestingCluster, victim: ServerHandle): Promise<KillFacts> {
  const role = (await victim.mode()) === 'leader' ? 'leader' : 'follower';
  const killAt = epochMs();
  await victim.kill();
  return {
    victim: victim.connectString,
    victimRole: role,
    survivors: cluster.servers.filter((s) => s !== victim).map((s) => s.connectString),
    killAt,
  };
}

async function aliveConnections(member: ServerHandle): Promise<number | undefined> {
  try {
    const mntr = await member.fourLetterWord('mntr', { timeout: 5000 });
    const match = /^zk_num_alive_connections\s+(\d+)/m.exec(mntr);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}
