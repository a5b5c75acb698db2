import { createSeededRandom } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { SlotIndex, slotKeyHash, slotNotFound } from './slot-index.js';

describe('slotKeyHash', () => {
  it('depends on every character and on the seed', () => {
    expect(slotKeyHash('pay_1', 1)).toBe(slotKeyHash('pay_1', 1));
    expect(slotKeyHash('pay_1', 1)).not.toBe(slotKeyHash('pay_2', 1));
    expect(slotKeyHash('pay_1', 1)).not.toBe(slotKeyHash('pay_1', 2));
    expect(Number.isInteger(slotKeyHash('', 0))).toBe(true);
  });
});

describe('SlotIndex', () => {
  it('agrees with a Map through a long run of sets and removals, collisions and wrap-around included', () => {
    const capacity = 24;
    const index = new SlotIndex(capacity);
    const keys: (string | undefined)[] = new Array<string | undefined>(capacity).fill(undefined);
    const hashes = new Int32Array(capacity);
    const model = new Map<string, number>();
    const random = createSeededRandom(42).next;
    // Few distinct hash values: long probe runs that wrap around the table end.
    const hashOf = (key: string): number => (slotKeyHash(key, 7) & 0x7) | 0x38;
    for (let step = 0; step < 20_000; step += 1) {
      const slot = Math.floor(random() * capacity);
      const previous = keys[slot];
      if (previous !== undefined) {
        index.remove(hashes[slot] as number, slot);
        if (model.get(previous) === slot) model.delete(previous);
      }
      if (random() < 0.2) {
        keys[slot] = undefined;
      } else {
        const key = `k${Math.floor(random() * 40)}`;
        keys[slot] = key;
        hashes[slot] = hashOf(key);
        index.set(hashOf(key), key, keys, slot);
        model.set(key, slot);
      }
      for (let probe = 0; probe < 40; probe += 1) {
        const key = `k${probe}`;
        expect(index.find(hashOf(key), key, keys)).toBe(model.get(key) ?? slotNotFound);
      }
    }
  });

  it('ignores the removal of a slot it does not hold', () => {
    const keys = ['a'];
    const index = new SlotIndex(1);
    index.remove(5, 0);
    index.set(5, 'a', keys, 0);
    index.remove(5, 3);
    expect(index.find(5, 'a', keys)).toBe(0);
  });
});
