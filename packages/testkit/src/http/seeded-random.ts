/**
 * A deterministic pseudo-random source. The same seed always yields the same sequence, so a test
 * that injects faults with a `probability` or generates data fails the same way on every run.
 */
export interface SeededRandom {
  /** The next number in `[0, 1)`. */
  next(): number;
  /**
   * The next integer between `min` and `max`, both included.
   * @throws RangeError when either bound is not a safe integer or `min > max`.
   */
  integer(min: number, max: number): number;
}

/**
 * Creates a seeded pseudo-random generator (mulberry32: 32-bit state, fast, good enough for tests;
 * not for anything secret).
 *
 * @param seed Any number; only its low 32 bits are used.
 * @example
 * const random = createSeededRandom(42);
 * random.next(); // always the same value for seed 42
 * random.integer(1, 6); // a die roll
 */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;

  function next(): number {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  }

  function integer(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max) {
      throw new RangeError(`integer(min, max) needs safe integers with min <= max, got ${min} and ${max}`);
    }
    return min + Math.floor(next() * (max - min + 1));
  }

  return { next, integer };
}
