import { describe, expect, test, vi } from 'vitest';
import { ManualClock } from './manual-clock.js';

/** Records the order in which promises settle. */
function track(promise: Promise<unknown>, log: string[], name: string): Promise<void> {
  return promise.then(
    () => void log.push(`${name} resolved`),
    (error: unknown) => void log.push(`${name} rejected: ${String(error)}`),
  );
}

describe('ManualClock', () => {
  test('starts at 2026-01-01T00:00:00Z by default, or at the given time, and implements ClockV1', () => {
    expect(new ManualClock().now()).toBe(Date.parse('2026-01-01T00:00:00.000Z'));
    expect(new ManualClock(1_000).now()).toBe(1_000);
    expect(new ManualClock().specificationVersion).toBe('v1');
  });

  test('rejects a start time that is not finite', () => {
    expect(() => new ManualClock(Number.NaN)).toThrow(new TypeError("ManualClock: 'startAt' must be a finite number of epoch milliseconds, got NaN."));
    expect(() => new ManualClock(Number.POSITIVE_INFINITY)).toThrow(TypeError);
  });

  test('a sleep resolves only once time reaches its wake time', async () => {
    const clock = new ManualClock(0);
    const log: string[] = [];
    const sleeping = track(clock.sleep(100), log, 'sleep');
    expect(clock.pendingSleepers).toBe(1);
    await clock.advance(99);
    expect(log).toEqual([]);
    expect(clock.now()).toBe(99);
    await clock.advance(1);
    expect(log).toEqual(['sleep resolved']);
    expect(clock.pendingSleepers).toBe(0);
    await sleeping;
  });

  test('advance wakes sleepers in wake-time order, with now() at each wake time, ties in registration order', async () => {
    const clock = new ManualClock(0);
    const woke: [string, number][] = [];
    const sleepers = [
      ['late', 300],
      ['early', 100],
      ['tie-first', 200],
      ['tie-second', 200],
      ['beyond', 1_000],
    ] as const;
    for (const [name, milliseconds] of sleepers) {
      void clock.sleep(milliseconds).then(() => woke.push([name, clock.now()]));
    }
    await clock.advance(500);
    expect(woke).toEqual([
      ['early', 100],
      ['tie-first', 200],
      ['tie-second', 200],
      ['late', 300],
    ]);
    expect(clock.now()).toBe(500);
    expect(clock.pendingSleepers).toBe(1);
  });

  test('code woken by advance runs, and sleeps it schedules within the target also wake, before advance resolves', async () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const loop = (async () => {
      for (let tick = 0; tick < 5; tick += 1) {
        await clock.sleep(10);
        await Promise.resolve();
        ticks.push(clock.now());
      }
    })();
    await clock.advance(50);
    expect(ticks).toEqual([10, 20, 30, 40, 50]);
    await loop;
  });

  test('a sleep of zero or less resolves at once without registering', async () => {
    const clock = new ManualClock(0);
    await clock.sleep(0);
    await clock.sleep(-5);
    expect(clock.pendingSleepers).toBe(0);
  });

  test('a sleep with an already aborted signal rejects with its reason', async () => {
    const clock = new ManualClock(0);
    const reason = new Error('cancelled before start');
    await expect(clock.sleep(100, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingSleepers).toBe(0);
  });

  test('aborting a pending sleep rejects it with the reason and removes it', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const log: string[] = [];
    const aborted = track(clock.sleep(100, controller.signal), log, 'aborted');
    const other = track(clock.sleep(100), log, 'other');
    expect(clock.pendingSleepers).toBe(2);
    controller.abort(new Error('shutdown'));
    await aborted;
    expect(log).toEqual(['aborted rejected: Error: shutdown']);
    expect(clock.pendingSleepers).toBe(1);
    await clock.advance(100);
    await other;
    expect(log).toEqual(['aborted rejected: Error: shutdown', 'other resolved']);
  });

  test('a woken sleep detaches its abort listener, so a later abort changes nothing', async () => {
    const clock = new ManualClock(0);
    const controller = new AbortController();
    const removeListener = vi.spyOn(controller.signal, 'removeEventListener');
    const sleeping = clock.sleep(10, controller.signal);
    await clock.advance(10);
    await expect(sleeping).resolves.toBeUndefined();
    expect(removeListener).toHaveBeenCalledWith('abort', expect.any(Function));
    controller.abort();
    expect(clock.pendingSleepers).toBe(0);
  });

  test('advance rejects a negative or non-finite duration and leaves time alone', async () => {
    const clock = new ManualClock(0);
    await expect(clock.advance(-1)).rejects.toThrow(new TypeError('ManualClock.advance(milliseconds) needs a finite number >= 0, got -1.'));
    await expect(clock.advance(Number.NaN)).rejects.toThrow(TypeError);
    await expect(clock.advance(Number.POSITIVE_INFINITY)).rejects.toThrow(TypeError);
    expect(clock.now()).toBe(0);
  });

  test('set moves forward waking due sleepers, or backward waking nobody', async () => {
    const clock = new ManualClock(1_000);
    const log: string[] = [];
    const first = track(clock.sleep(100), log, 'first');
    void track(clock.sleep(500), log, 'second');
    await clock.set(1_200);
    await first;
    expect(log).toEqual(['first resolved']);
    expect(clock.now()).toBe(1_200);
    await clock.set(0);
    expect(clock.now()).toBe(0);
    expect(log).toEqual(['first resolved']);
    expect(clock.pendingSleepers).toBe(1);
    await clock.set(1_500);
    expect(log).toEqual(['first resolved', 'second resolved']);
  });

  test('set rejects a time that is not finite', async () => {
    const clock = new ManualClock(0);
    await expect(clock.set(Number.NaN)).rejects.toThrow(new TypeError("ManualClock: 'time' must be a finite number of epoch milliseconds, got NaN."));
    expect(clock.now()).toBe(0);
  });

  test('concurrent moves are applied one after the other', async () => {
    const clock = new ManualClock(0);
    await Promise.all([clock.advance(10), clock.advance(10), clock.set(100), clock.advance(5)]);
    expect(clock.now()).toBe(105);
  });

  test('keeps working under vitest fake timers', async () => {
    vi.useFakeTimers();
    try {
      const clock = new ManualClock(0);
      const sleeping = clock.sleep(1_000);
      await clock.advance(1_000);
      await expect(sleeping).resolves.toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });
});
