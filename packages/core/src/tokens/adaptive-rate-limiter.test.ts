import { ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { AdaptiveRateLimiter } from './adaptive-rate-limiter.js';

/** Acquires `count` slots and records the manual time each was granted. */
async function grantTimes(limiter: AdaptiveRateLimiter, clock: ManualClock, count: number, step = 10): Promise<number[]> {
  const times: number[] = [];
  const start = clock.now();
  const all = Promise.all(Array.from({ length: count }, () => limiter.acquire().then(() => times.push(clock.now() - start))));
  let done = false;
  void all.then(() => {
    done = true;
  });
  await new Promise((resolve) => setImmediate(resolve));
  while (!done) await clock.advance(step);
  return times;
}

describe('AdaptiveRateLimiter', () => {
  it('paces requests at the rate after the burst, in call order', async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter({ clock, ratePerSecond: 10, burst: 2 });
    const times = await grantTimes(limiter, clock, 6);
    expect(times).toEqual([0, 0, 100, 200, 300, 400]);
  });

  it('on a 429 pauses every caller for Retry-After, cuts the rate once per back-off, then recovers additively', async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter({ clock, ratePerSecond: 100, burst: 1, decreaseFactor: 0.5, increasePerSecond: 5 });
    limiter.onRateLimited(2000);
    limiter.onRateLimited(2000); // a second 429 from a request already in flight: same signal
    expect(limiter.ratePerSecond).toBe(50);
    expect(limiter.decreases).toBe(1);
    expect(limiter.rateLimitedCount).toBe(2);
    const blockedUntil = clock.now() + 2000;
    expect(limiter.blockedUntil).toBe(blockedUntil);
    const times = await grantTimes(limiter, clock, 3, 5);
    expect(times[0]).toBeGreaterThanOrEqual(2000);
    expect((times[2] as number) - (times[0] as number)).toBeGreaterThanOrEqual(39);
    // Without 429s: +5 requests per second for every second since the back-off ended, up to the ceiling.
    await clock.advance(5000);
    limiter.onSuccess();
    expect(limiter.ratePerSecond).toBeCloseTo(50 + (5 * (clock.now() - blockedUntil)) / 1000, 5);
    await clock.advance(60_000);
    limiter.onSuccess();
    expect(limiter.ratePerSecond).toBe(100);
    limiter.onSuccess();
    expect(limiter.ratePerSecond).toBe(100);
  });

  it('never drops below its floor', () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter({ clock, ratePerSecond: 10, minimumRatePerSecond: 4 });
    for (let round = 0; round < 10; round += 1) {
      limiter.onRateLimited(0);
      void clock.advance(1);
    }
    expect(limiter.ratePerSecond).toBeGreaterThanOrEqual(4);
  });

  it('lets an aborted caller go without blocking the callers behind it', async () => {
    const clock = new ManualClock();
    const limiter = new AdaptiveRateLimiter({ clock, ratePerSecond: 1, burst: 1 });
    await limiter.acquire();
    const controller = new AbortController();
    const aborted = limiter.acquire(controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    const next = limiter.acquire();
    await clock.advance(1000);
    await expect(next).resolves.toBeUndefined();
    const early = new AbortController();
    early.abort(new Error('already'));
    await expect(limiter.acquire(early.signal)).rejects.toThrow('already');
  });

  it('refuses a rate that is not positive', () => {
    expect(() => new AdaptiveRateLimiter({ clock: new ManualClock(), ratePerSecond: 0 })).toThrow(RangeError);
  });
});
