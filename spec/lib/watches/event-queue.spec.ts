import { InvalidArgumentError } from '../../../lib/errors.js';
import {
  DEFAULT_HIGH_WATER_MARK,
  EventQueue,
  WatchQueueOverflowError,
} from '../../../lib/watches/event-queue.js';
import { rejectionOf } from '../../support.js';

/** Reads everything until the queue ends; returns the values and the end error, if any. */
async function drain<T>(queue: AsyncIterable<T>): Promise<{ values: T[]; error: unknown }> {
  const values: T[] = [];
  try {
    for await (const value of queue) values.push(value);
  } catch (error) {
    return { values, error };
  }
  return { values, error: undefined };
}

describe('EventQueue', () => {
  it('hands values to `for await` in push order, before and after the reader waits', async () => {
    const queue = new EventQueue<number>();
    queue.push(1);
    queue.push(2);
    const reading = drain(queue);
    await Promise.resolve();
    queue.push(3);
    queue.end();
    expect(await reading).toEqual({ values: [1, 2, 3], error: undefined });
  });

  it('answers reads made before any value in order', async () => {
    const queue = new EventQueue<string>();
    const first = queue.next();
    const second = queue.next();
    queue.push('a');
    queue.push('b');
    expect(await first).toEqual({ value: 'a', done: false });
    expect(await second).toEqual({ value: 'b', done: false });
  });

  it('delivers what it holds, then throws the end error once, then is done', async () => {
    const queue = new EventQueue<number>();
    queue.push(1);
    const error = new Error('session expired');
    queue.end(error);
    expect(queue.push(2)).toBe(false);
    expect(await queue.next()).toEqual({ value: 1, done: false });
    await expect(queue.next()).rejects.toBe(error);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });

  it('gives the end error to a reader already waiting', async () => {
    const queue = new EventQueue<number>();
    const waiting = queue.next();
    const also = queue.next();
    queue.end(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(await also).toEqual({ value: undefined, done: true });
  });

  it('ends with WatchQueueOverflowError past the high-water mark, after the values it kept', async () => {
    const ends: unknown[] = [];
    const queue = new EventQueue<number>({ highWaterMark: 3, onEnd: (reason) => ends.push(reason) });
    const taken = [1, 2, 3, 4, 5].map((v) => queue.push(v));
    expect(taken).toEqual([true, true, true, false, false]);
    expect(queue.isOpen).toBe(false);
    expect(ends).toHaveLength(1);
    expect(ends[0]).toBeInstanceOf(WatchQueueOverflowError);
    const { values, error } = await drain(queue);
    expect(values).toEqual([1, 2, 3]);
    expect(error).toBeInstanceOf(WatchQueueOverflowError);
    expect((error as WatchQueueOverflowError).highWaterMark).toBe(3);
  });

  it('counts only unread values against the high-water mark', async () => {
    const queue = new EventQueue<number>({ highWaterMark: 2 });
    for (let i = 0; i < 100; i++) {
      expect(queue.push(i)).toBe(true);
      expect(await queue.next()).toEqual({ value: i, done: false });
    }
    expect(queue.length).toBe(0);
  });

  it('holds 10,000 unread values by default', () => {
    const queue = new EventQueue<number>();
    expect(queue.highWaterMark).toBe(DEFAULT_HIGH_WATER_MARK);
    for (let i = 0; i < DEFAULT_HIGH_WATER_MARK; i++) queue.push(i);
    expect(queue.isOpen).toBe(true);
    expect(queue.push(-1)).toBe(false);
    expect(queue.isOpen).toBe(false);
  });

  it('drops what it holds when the reader returns (a break out of for await), and ends once', async () => {
    let ended = 0;
    const queue = new EventQueue<number>({ onEnd: () => ended++ });
    queue.push(1);
    queue.push(2);
    for await (const value of queue) {
      expect(value).toBe(1);
      break;
    }
    expect(ended).toBe(1);
    expect(queue.length).toBe(0);
    expect(queue.push(3)).toBe(false);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    queue.end(new Error('late'));
    expect(ended).toBe(1);
  });

  it('serves a callback consumer one value at a time, awaiting each', async () => {
    const queue = new EventQueue<number>();
    const seen: string[] = [];
    const consuming = queue.consume(async (value) => {
      seen.push(`start ${value}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(`end ${value}`);
    });
    queue.push(1);
    queue.push(2);
    await new Promise((resolve) => setTimeout(resolve, 30));
    queue.end();
    await consuming;
    expect(seen).toEqual(['start 1', 'end 1', 'start 2', 'end 2']);
  });

  it('rejects consume with the end error, or with the handler error (which ends the queue)', async () => {
    const failing = new EventQueue<number>();
    failing.push(1);
    failing.end(new WatchQueueOverflowError(1));
    expect(await rejectionOf(failing.consume(() => undefined))).toBeInstanceOf(WatchQueueOverflowError);

    const queue = new EventQueue<number>();
    queue.push(1);
    const boom = new Error('handler failed');
    expect(
      await rejectionOf(
        queue.consume(() => {
          throw boom;
        }),
      ),
    ).toBe(boom);
    expect(queue.isOpen).toBe(false);
  });

  it('refuses a high-water mark that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => new EventQueue({ highWaterMark: bad })).toThrow(InvalidArgumentError);
    }
    expect(new EventQueue({ highWaterMark: Number.POSITIVE_INFINITY }).highWaterMark).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
