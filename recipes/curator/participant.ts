// Curator's `Participant`, one type for both of its elections: LeaderLatch and LeaderSelector list
// their contenders the same way (each node's data as the id, the first in line as the leader).

/** A contender of a LeaderLatch or LeaderSelector, as `getParticipants()` lists it. */
export interface Participant {
  /** The id the participant gave: its node's data as UTF-8 ('' for none). */
  readonly id: string;
  /** Whether it is the leader: the first participant in Curator's order. */
  readonly isLeader: boolean;
}
