// What a chaos contender does while it holds the Lock or a Semaphore lease, and how each attempt
// ends. kazoo_contender.py does the same against the same nodes; keep the two alike.
//
// Lock: read the counter, hold a few ms, then one transaction: check(own contender node),
// setData(counter, n + 1, version read), create(commits/<token>). The check comes first, so a
// holder whose node is gone (its session expired while it believed it held the lock) is refused
// with NoNode ("fenced"); only a holder whose node still exists can reach the setData, and there a
// BadVersion means another holder wrote between our read and our write: two holders inside at once
// ("overlap"). The commit node makes the count of committed sections readable on the server,
// including those whose reply was lost ("ambiguous": the harness resolves them at the end).
//
// Semaphore: at most `maxLeases` holders at once cannot be seen in one counter's version (two
// holders legitimately write concurrently), so the count lives in a ledger node, JSON
// `{"entries": n, "inside": [{node, czxid}, ...]}`: the holders that entered and have not left.
// A holder enters with one versioned, fenced transaction: check(own lease), setData(ledger with
// itself added, version read), create(commits/<token>); a BadVersion here is two legitimate holders
// racing, so it reads again ("contention", not a fault). Before writing, it prunes entries whose
// lease node is gone or was re-created (another czxid): their holder lost its lease, is fenced from
// then on and no longer counts. If `maxLeases` others are still live when its entry commits, then
// at one instant (the prune) their leases and its own all existed: more holders than leases, an
// "overlap". It leaves with the same kind of transaction (itself removed); a leave refused because
// the lease is gone leaves a stale entry that the next entrant prunes.
//
// ReadLock/WriteLock: the same ledger, each entry marked with its holder's mode; a reader that
// enters while a live writer is inside, or a writer that enters while anyone live is inside, is
// an "overlap" (readers may share; a writer excludes everyone).

import {
  BadVersionError,
  NoNodeError,
  type Stat,
  type TransactionResult,
  type ZooKeeperClient,
} from '../../../index.js';
import { sleep } from '../../support.js';

/** The nodes a chaos run works on, all under one root. */
export interface ChaosPaths {
  root: string;
  /** The Lock's or the Semaphore's path. */
  guard: string;
  /** Lock runs: the counter every holder increments. */
  counter: string;
  /** Semaphore and ReadLock/WriteLock runs: the ledger of holders inside. */
  ledger: string;
  /** One child per committed critical section, named by its token. */
  commits: string;
}

/** How one critical section ended. */
export type SectionOutcome =
  | 'committed' // the write went through, with no overlap seen
  | 'overlap' // two holders inside at once (Lock: BadVersion; Semaphore: too many live entries)
  | 'fenced' // refused because the holder's node or lease was gone
  | 'ambiguous' // the commit's reply was lost: resolved by the harness from commits/
  | 'aborted' // a read before the write failed (connection loss): nothing written
  | 'failed'; // anything else, with its error names

/** One outcome as a contender reports it. */
export interface SectionReport {
  token: string;
  outcome: SectionOutcome;
  detail?: string;
  /** Semaphore: BadVersion retries on the ledger (legitimate holders racing). */
  contention?: number;
  /** Semaphore: the leave was refused because the lease was gone (a fenced write too). */
  fencedLeave?: boolean;
}

/** Which side of a ReadLock/WriteLock a holder is on. */
export type LockSide = 'read' | 'write';

/**
 * A ledger entry: a holder's lease (or lock) node and its creation zxid (decimal), and for
 * ReadLock/WriteLock its side, as kazoo_contender.py writes it.
 */
interface LedgerEntry {
  node: string;
  czxid: string;
  mode?: LockSide;
}

/** Whether `me` may not be inside while `others` (live holders) are: its entry would be an overlap. */
type Conflict = (others: readonly LedgerEntry[], me: LedgerEntry) => boolean;

/** The ledger node's JSON. */
interface Ledger {
  entries: number;
  inside: LedgerEntry[];
}

/** A random hold in [minMs, maxMs] milliseconds: long enough for an overlap to hit the counter. */
export interface HoldMs {
  min: number;
  max: number;
}

const holdFor = (hold: HoldMs) => sleep(hold.min + Math.random() * (hold.max - hold.min));
const nameOf = (error: unknown) =>
  error instanceof Error ? ((error as { codeName?: string }).codeName ?? error.name) : String(error);

/** Lock runs: the fenced increment of the counter. */
export async function lockSection(
  zk: ZooKeeperClient,
  paths: ChaosPaths,
  node: string,
  token: string,
  hold: HoldMs,
): Promise<SectionReport> {
  let data: Buffer | null;
  let stat: Stat;
  try {
    [data, stat] = await zk.get(paths.counter);
  } catch (error) {
    return { token, outcome: 'aborted', detail: nameOf(error) };
  }
  await holdFor(hold);
  let results: TransactionResult[];
  try {
    results = await zk
      .transaction()
      .check(node, -1)
      .setData(paths.counter, String(Number(String(data)) + 1), stat.version)
      .create(`${paths.commits}/${token}`)
      .commit();
  } catch (error) {
    return { token, outcome: 'ambiguous', detail: nameOf(error) };
  }
  return { token, ...classify(results) };
}

/** Fenced → overlap → failed → committed, by the result of each op (check, setData, create). */
function classify(results: readonly TransactionResult[]): Pick<SectionReport, 'outcome' | 'detail'> {
  if (results[0] instanceof NoNodeError) return { outcome: 'fenced' };
  if (results[1] instanceof BadVersionError) return { outcome: 'overlap', detail: 'BadVersion' };
  const errors = results.filter((r): r is Error => r instanceof Error);
  if (errors.length > 0) return { outcome: 'failed', detail: errors.map(nameOf).join(',') };
  return { outcome: 'committed' };
}

/** Semaphore runs: enter the ledger, hold, leave it. */
export function semaphoreSection(
  zk: ZooKeeperClient,
  paths: ChaosPaths,
  lease: string,
  token: string,
  hold: HoldMs,
  maxLeases: number,
): Promise<SectionReport> {
  return ledgerSection(zk, paths, lease, token, hold, undefined, (others) => others.length >= maxLeases);
}

/** ReadLock/WriteLock runs: enter the ledger as a reader or a writer, hold, leave it. */
export function readWriteSection(
  zk: ZooKeeperClient,
  paths: ChaosPaths,
  node: string,
  token: string,
  hold: HoldMs,
  side: LockSide,
): Promise<SectionReport> {
  return ledgerSection(zk, paths, node, token, hold, side, (others, me) =>
    me.mode === 'write' ? others.length > 0 : others.some((entry) => entry.mode === 'write'),
  );
}

async function ledgerSection(
  zk: ZooKeeperClient,
  paths: ChaosPaths,
  lease: string,
  token: string,
  hold: HoldMs,
  side: LockSide | undefined,
  conflict: Conflict,
): Promise<SectionReport> {
  let own: Stat | null;
  try {
    own = await zk.exists(lease);
  } catch (error) {
    return { token, outcome: 'aborted', detail: nameOf(error) };
  }
  if (own === null) return { token, outcome: 'fenced', detail: 'lease gone before entry' };
  const me: LedgerEntry = {
    node: lease,
    czxid: own.czxid.toString(),
    ...(side === undefined ? {} : { mode: side }),
  };
  const entered = await enterLedger(zk, paths, me, token, conflict);
  if (entered.outcome !== 'committed' && entered.outcome !== 'overlap') return entered;
  await holdFor(hold);
  return (await leaveLedger(zk, paths, me)) === 'fenced' ? { ...entered, fencedLeave: true } : entered;
}

const sameEntry = (a: LedgerEntry, b: LedgerEntry) => a.node === b.node && a.czxid === b.czxid;

async function readLedger(zk: ZooKeeperClient, paths: ChaosPaths): Promise<[Ledger, Stat]> {
  const [data, stat] = await zk.get(paths.ledger);
  return [JSON.parse(String(data)) as Ledger, stat];
}

async function enterLedger(
  zk: ZooKeeperClient,
  paths: ChaosPaths,
  me: LedgerEntry,
  token: string,
  conflict: Conflict,
): Promise<SectionReport> {
  for (let contention = 0; ; contention++) {
    let ledger: Ledger;
    let stat: Stat;
    const others: LedgerEntry[] = [];
    try {
      [ledger, stat] = await readLedger(zk, paths);
      for (const entry of ledger.inside) {
        if (sameEntry(entry, me)) continue;
        const live = await zk.exists(entry.node);
        if (live !== null && live.czxid.toString() === entry.czxid) others.push(entry);
      }
    } catch (error) {
      return { token, outcome: 'aborted', detail: nameOf(error), contention };
    }
    const value: Ledger = { entries: ledger.entries + 1, inside: [...others, me] };
    let results: TransactionResult[];
    try {
      results = await zk
        .transaction()
        .check(me.node, -1)
        .setData(paths.ledger, JSON.stringify(value), stat.version)
        .create(`${paths.commits}/${token}`)
        .commit();
    } catch (error) {
      return { token, outcome: 'ambiguous', detail: nameOf(error), contention };
    }
    if (results[0] instanceof NoNodeError) return { token, outcome: 'fenced', contention };
    if (results[1] instanceof BadVersionError) continue;
    const { outcome, detail } = classify(results);
    if (outcome !== 'committed') return { token, outcome, detail, contention };
    if (conflict(others, me))
      return { token, outcome: 'overlap', detail: others.map((e) => e.node).join(','), contention };
    return { token, outcome: 'committed', contention };
  }
}

/**
 * Removes `me` from the ledger: 'fenced' once its lease is gone (the next entrant prunes the
 * entry), 'gave-up' after about 20 s of connection trouble.
 */
async function leaveLedger(
  zk: ZooKeeperClient,
  paths: ChaosPaths,
  me: LedgerEntry,
): Promise<'left' | 'fenced' | 'gave-up'> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      const [ledger, stat] = await readLedger(zk, paths);
      if (!ledger.inside.some((entry) => sameEntry(entry, me))) return 'left';
      const value: Ledger = {
        entries: ledger.entries,
        inside: ledger.inside.filter((entry) => !sameEntry(entry, me)),
      };
      const results = await zk
        .transaction()
        .check(me.node, -1)
        .setData(paths.ledger, JSON.stringify(value), stat.version)
        .commit();
      if (results[0] instanceof NoNodeError) return 'fenced';
      if (!results.some((r) => r instanceof Error)) return 'left';
    } catch {
      await sleep(100);
    }
  }
  return 'gave-up';
}
