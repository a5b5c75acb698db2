import { createSeededRandom } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { maximumSequenceWindow, SequenceIndex } from './sequence-index.js';
import { slotKeyHash, slotNotFound } from './slot-index.js';

/**
 * Runs a ring of `window` slots through `steps` sequences from `first` (modulo the index's
 * period), with few distinct keys and hashes (long probe runs that wrap round the table end),
 * and checks every key against a model after each step: the slot of its latest sequence among
 * the last `window`, else not found.
 */
function checkAgainstModel(window: number, first: (period: number) => number, steps: number, sweeps: boolean, findFirst = false): void {
  const index = new SequenceIndex(window, window);
  const period = index.period;
  const keys: (string | undefined)[] = new Array<string | undefined>(window).fill(undefined);
  const random = createSeededRandom(42).next;
  const hashOf = (key: string): number => (slotKeyHash(key, 7) & 0x7) | 0x38;
  let sequence = first(period);
  for (let step = 0; step < steps; step += 1) {
    const slot = sequence % window;
    const key = `k${Math.floor(random() * 40)}`;
    // As the router does: look the key up, then remember it (after a miss, `set` skips its probe).
    const missed = findFirst && index.find(hashOf(key), key, keys, sequence) === slotNotFound;
    keys[slot] = key;
    index.set(hashOf(key), key, keys, sequence, missed);
    sequence = index.following(sequence);
    if (sweeps) index.sweep(sequence);
    const remembered = Math.min(step + 1, window);
    for (let probe = 0; probe < 40; probe += 1) {
      const wanted = `k${probe}`;
      // The latest of the last `remembered` sequences holding the key.
      let expected = slotNotFound;
      for (let back = 1; back <= remembered && expected === slotNotFound; back += 1) {
        const candidate = (((sequence - back) % period) + period) % period % window;
        if (keys[candidate] === wanted) expected = candidate;
      }
      expect(index.find(hashOf(wanted), wanted, keys, sequence)).toBe(expected);
    }
  }
}

describe('SequenceIndex', () => {
  it('agrees with a model of the last `window` sequences through a long run, with the sweep', () => {
    checkAgainstModel(24, () => 0, 2_000, true);
  });

  it('agrees with the model when every key is looked up before it is set', () => {
    checkAgainstModel(24, () => 0, 2_000, true, true);
    checkAgainstModel(24, (period) => period - 300, 1_000, true, true);
  });

  it('probes again when the table changed since the miss it is told of', () => {
    const index = new SequenceIndex(4, 4);
    const keys: (string | undefined)[] = [undefined, undefined, undefined, undefined];
    expect(index.find(5, 'a', keys, 0)).toBe(slotNotFound);
    keys[0] = 'b';
    index.set(5, 'b', keys, 0);
    keys[1] = 'a';
    // The miss was seen with next = 0 and before 'b' took the position: both are checked.
    index.set(5, 'a', keys, 1, true);
    expect(index.find(5, 'a', keys, 2)).toBe(1);
    expect(index.find(5, 'b', keys, 2)).toBe(0);
    expect(index.find(5, 'c', keys, 2)).toBe(slotNotFound);
    keys[2] = 'c';
    index.set(5, 'c', keys, 2, true);
    expect(index.find(5, 'c', keys, 3)).toBe(2);
    expect(index.find(5, 'a', keys, 3)).toBe(1);
  });

  it('agrees with the model across the wrap of the sequence numbers', () => {
    const index = new SequenceIndex(24, 24);
    expect(index.period % 24).toBe(0);
    expect(index.following(index.period - 1)).toBe(0);
    expect(index.following(0)).toBe(1);
    checkAgainstModel(24, (period) => period - 300, 1_000, true);
  });

  it('agrees with the model without a sweep: stale entries are skipped and taken over', () => {
    // 8 keys at most over a window of 4 in a table of 16 positions: taking stale places over keeps room.
    const index = new SequenceIndex(4, 4);
    const keys: (string | undefined)[] = [undefined, undefined, undefined, undefined];
    for (let sequence = 0; sequence < 200; sequence += 1) {
      const key = `k${sequence % 8}`;
      keys[sequence % 4] = key;
      index.set(3, key, keys, sequence);
      expect(index.find(3, key, keys, sequence + 1)).toBe(sequence % 4);
      const gone = `k${(sequence + 4) % 8}`;
      expect(index.find(3, gone, keys, sequence + 1)).toBe(slotNotFound);
    }
  });

  it('points a key written again at its latest sequence', () => {
    const index = new SequenceIndex(4, 4);
    const keys: (string | undefined)[] = ['a', 'b', 'a', undefined];
    index.set(1, 'a', keys, 0);
    index.set(1, 'b', keys, 1);
    index.set(1, 'a', keys, 2);
    expect(index.find(1, 'a', keys, 3)).toBe(2);
    expect(index.find(1, 'b', keys, 3)).toBe(1);
    expect(index.find(2, 'b', keys, 3)).toBe(slotNotFound);
  });

  it('caps the window at maximumSequenceWindow', () => {
    const index = new SequenceIndex(1, maximumSequenceWindow * 4);
    expect(index.period % maximumSequenceWindow).toBe(0);
    expect(index.period).toBeLessThan(2 ** 31);
  });
});
