import { describe, expect, it } from 'vitest';
import { forEachConcurrently, mapConcurrently } from './map-concurrently.js';

describe('mapConcurrently', () => {
  it('answers in item order with at most `concurrency` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const answers = await mapConcurrently([5, 1, 4, 2, 3], 2, async (item, position) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, item));
      inFlight -= 1;
      return `${position}:${item}`;
    });
    expect(answers).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3']);
    expect(most).toBe(2);
  });

  it('runs one at a time for a concurrency below one, and nothing for no items', async () => {
    const seen: number[] = [];
    await forEachConcurrently([1, 2, 3], 0, async (item) => {
      seen.push(item);
    });
    expect(seen).toEqual([1, 2, 3]);
    expect(await mapConcurrently([], 4, async () => 1)).toEqual([]);
  });

  it('rejects with the first failure', async () => {
    await expect(
      mapConcurrently([1, 2], 2, async (item) => {
        if (item === 2) throw new Error('item 2 failed');
        return item;
      }),
    ).rejects.toThrow('item 2 failed');
  });
});
