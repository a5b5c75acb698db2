import { describe, expect, it } from 'vitest';
import { createSeededRandom } from './seeded-random.js';

describe('createSeededRandom', () => {
  it('repeats the same sequence for the same seed and differs across seeds', () => {
    const first = createSeededRandom(1);
    const again = createSeededRandom(1);
    const other = createSeededRandom(2);
    const sequence = Array.from({ length: 50 }, () => first.next());
    expect(Array.from({ length: 50 }, () => again.next())).toEqual(sequence);
    expect(Array.from({ length: 50 }, () => other.next())).not.toEqual(sequence);
  });

  it('matches the published mulberry32 output', () => {
    // First three outputs * 2^32 of the reference mulberry32 (bryc/code, PRNGs.md) for seed 0.
    const random = createSeededRandom(0);
    expect([random.next(), random.next(), random.next()].map((value) => value * 4_294_967_296)).toEqual([
      1_144_304_738, 1_416_247, 958_946_056,
    ]);
  });

  it('stays within [0, 1) and spreads values evenly', () => {
    const random = createSeededRandom(12345);
    const buckets = Array.from({ length: 10 }, () => 0);
    for (let draw = 0; draw < 10_000; draw += 1) {
      const value = random.next();
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThan(1);
      buckets[Math.floor(value * 10)] = (buckets[Math.floor(value * 10)] ?? 0) + 1;
    }
    for (const count of buckets) expect(count).toBeGreaterThan(850);
  });

  it('uses only the low 32 bits of the seed', () => {
    expect(createSeededRandom(2 ** 32 + 5).next()).toBe(createSeededRandom(5).next());
    expect(createSeededRandom(-1).next()).toBe(createSeededRandom(2 ** 32 - 1).next());
  });

  it('integer(min, max) includes both bounds and nothing outside them', () => {
    const random = createSeededRandom(3);
    const seen = new Set<number>();
    for (let draw = 0; draw < 2_000; draw += 1) seen.add(random.integer(-2, 3));
    expect([...seen].sort((left, right) => left - right)).toEqual([-2, -1, 0, 1, 2, 3]);
    expect(random.integer(4, 4)).toBe(4);
  });

  it('integer(min, max) rejects bad bounds', () => {
    const random = createSeededRandom(3);
    expect(() => random.integer(5, 1)).toThrow(RangeError);
    expect(() => random.integer(0.5, 1)).toThrow(RangeError);
    expect(() => random.integer(0, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
