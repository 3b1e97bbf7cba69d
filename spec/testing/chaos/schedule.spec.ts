// The fault schedule is a function of the seed: a replay must meet the same faults at the same
// times, aimed by the same selectors. Also its shape — member faults never overlap, black-holes
// and main-thread blocks outlast the session timeout, the kinds filter holds — and the event
// log's windows, which a violation is reported with.

import { ChaosTimeline } from '../../../testing/chaos/event-log.js';
import {
  drawSchedule,
  FAULT_KINDS,
  type FaultKind,
  MEMBER_FAULT_KINDS,
  type ScheduledFault,
} from '../../../testing/chaos/schedule.js';
import { SeededRandom } from '../../../testing/chaos/seeded-random.js';

const FIVE_MINUTES = 5 * 60_000;
const draw = (seed: number, kinds?: readonly FaultKind[]) =>
  drawSchedule({ random: new SeededRandom(seed), durationMs: FIVE_MINUTES, sessionTimeoutMs: 4000, kinds });

describe('drawSchedule', () => {
  it('gives equal schedules for equal seeds', () => {
    for (const seed of [0, 1, 123, 0xffffffff, 987654321]) expect(draw(seed)).toEqual(draw(seed));
  });

  it('gives different schedules for different seeds', () => {
    const schedules = [1, 2, 3, 124, 125].map((seed) => JSON.stringify(draw(seed)));
    expect(new Set(schedules).size).toBe(schedules.length);
  });

  it('draws every kind over five minutes, in time order, numbered, all due within the run', () => {
    const schedule = draw(123);
    expect(new Set(schedule.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(schedule.map((f) => f.seq)).toEqual(schedule.map((_, i) => i));
    for (let i = 1; i < schedule.length; i++)
      expect(schedule[i]!.atMs).toBeGreaterThanOrEqual(schedule[i - 1]!.atMs);
    expect(schedule.every((f) => f.atMs >= 0 && f.atMs < FIVE_MINUTES)).toBe(true);
    // Dozens, not a handful nor thousands: one every few seconds.
    expect(schedule.length).toBeGreaterThan(60);
    expect(schedule.length).toBeLessThan(300);
  });

  it('aims by selectors (a pool and a number), never by what runs', () => {
    for (const fault of draw(7)) {
      expect(Object.keys(fault.target).sort()).toEqual(['pick', 'pool']);
      expect(Number.isInteger(fault.target.pick)).toBe(true);
    }
  });

  it('begins a member fault only after the previous one ended', () => {
    for (const seed of [1, 2, 3]) {
      const members = draw(seed).filter((f) => MEMBER_FAULT_KINDS.includes(f.kind));
      expect(members.length).toBeGreaterThan(5);
      for (let i = 1; i < members.length; i++) {
        const previous = members[i - 1] as ScheduledFault;
        expect(members[i]!.atMs).toBeGreaterThan(previous.atMs + previous.durationMs);
      }
    }
  });

  it('makes black-holes and main-thread blocks outlast the session timeout', () => {
    const schedule = draw(99);
    const long = schedule.filter((f) => f.kind === 'black-hole-client' || f.kind === 'block-main-thread');
    expect(long.length).toBeGreaterThan(0);
    expect(long.every((f) => f.durationMs > 4000)).toBe(true);
    expect(
      schedule.filter((f) => f.kind === 'lose-reply').every((f) => [1, 2, 5, 14, 15].includes(f.op!)),
    ).toBe(true);
  });

  it('draws only the kinds asked for', () => {
    const schedule = draw(5, ['kill-member', 'reset-connection']);
    expect(new Set(schedule.map((f) => f.kind))).toEqual(new Set(['kill-member', 'reset-connection']));
    expect(draw(5, [])).toEqual([]);
    expect(() => draw(5, ['unplug-cable' as FaultKind])).toThrow(RangeError);
  });

  it('keeps the other lanes when one kind is left out', () => {
    const clientKinds = (schedule: ScheduledFault[]) =>
      schedule.filter((f) => !MEMBER_FAULT_KINDS.includes(f.kind)).map(({ seq: _, ...f }) => f);
    const withoutMembers = FAULT_KINDS.filter((kind) => !MEMBER_FAULT_KINDS.includes(kind));
    expect(clientKinds(draw(11, withoutMembers))).toEqual(clientKinds(draw(11)));
  });
});

describe('ChaosTimeline', () => {
  it('answers the events before and after a moment', () => {
    let now = 0;
    const log = new ChaosTimeline({ clock: () => now });
    for (let i = 0; i < 50; i++) {
      now = i * 10;
      log.record('test', `event ${i}`);
    }
    const { before, after } = log.around(245, 3, 2);
    expect(before.map((e) => e.what)).toEqual(['event 22', 'event 23', 'event 24']);
    expect(after.map((e) => e.what)).toEqual(['event 25', 'event 26']);
    expect(log.around(-1).before).toEqual([]);
    expect(log.around(10_000).after).toEqual([]);
  });

  it('keeps the newest events within its bound and counts what it dropped', () => {
    const log = new ChaosTimeline({ maxEvents: 100 });
    for (let i = 0; i < 1000; i++) log.record('test', `event ${i}`);
    expect(log.events.length).toBeLessThanOrEqual(100);
    expect(log.events.at(-1)?.what).toBe('event 999');
    expect(log.dropped + log.events.length).toBe(1000);
  });
});
