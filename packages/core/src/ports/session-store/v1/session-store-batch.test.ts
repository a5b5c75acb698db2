import { InMemorySessionStore } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { PaymigrateError } from '../../../errors/paymigrate-error.js';
import type { SessionStoreV1 } from './session-store.js';
import { assertDistinctKeys, compareAndSetSessionEntries, getSessionEntries } from './session-store-batch.js';

/** The store with its batch members replaced by ones answering one slot too few. */
function shortAnswering(store: InMemorySessionStore): SessionStoreV1 {
  return Object.assign(Object.create(store) as InMemorySessionStore, {
    getMany: async (keys: readonly string[]) => (await store.getMany(keys)).slice(1),
    compareAndSetMany: async () => [],
  });
}

/** The store without its batch members, counting single-key calls in flight. */
function singleKeyOnly(store: InMemorySessionStore): { readonly store: SessionStoreV1; readonly peak: () => number } {
  let inFlight = 0;
  let peak = 0;
  const counted = async <Result>(call: () => Promise<Result>): Promise<Result> => {
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    await new Promise((resolve) => setTimeout(resolve, 1));
    try {
      return await call();
    } finally {
      inFlight -= 1;
    }
  };
  return {
    store: {
      specificationVersion: 'v1',
      name: 'single-key',
      capabilities: store.capabilities,
      get: (key) => counted(() => store.get(key)),
      set: (key, value, options) => store.set(key, value, options),
      compareAndSet: (key, value, options) => counted(() => store.compareAndSet(key, value, options)),
      delete: (key) => store.delete(key),
      enumerate: (options) => store.enumerate(options),
      close: () => store.close(),
    },
    peak: () => peak,
  };
}

describe('getSessionEntries and compareAndSetSessionEntries', () => {
  it('refuse a native batch answering another number of slots with SESSION_STORE_BATCH_MISMATCH naming the store', async () => {
    const inner = new InMemorySessionStore();
    const store = shortAnswering(inner);
    const read = getSessionEntries(store, ['a', 'b']);
    await expect(read).rejects.toSatisfy((error) => PaymigrateError.isInstance(error) && error.code === 'SESSION_STORE_BATCH_MISMATCH');
    await expect(getSessionEntries(store, ['a', 'b'])).rejects.toThrow(/'memory' answered getMany for 2 keys with 1 results/);
    await expect(compareAndSetSessionEntries(store, [{ key: 'a', value: '1', ttlSeconds: 60, expectedVersion: null }])).rejects.toThrow(
      /answered compareAndSetMany for 1 keys with 0 results/,
    );
  });

  it('fall back to single-key calls with at most fallbackConcurrency in flight, answering in order', async () => {
    const inner = new InMemorySessionStore();
    const { store, peak } = singleKeyOnly(inner);
    const keys = Array.from({ length: 12 }, (_, index) => `key:${index}`);
    const results = await compareAndSetSessionEntries(
      store,
      keys.map((key) => ({ key, value: JSON.stringify(key), ttlSeconds: 60, expectedVersion: null })),
      { fallbackConcurrency: 3 },
    );
    expect(results.map((result) => result.ok && result.entry.key)).toStrictEqual(keys);
    expect(peak()).toBe(3);
    const entries = await getSessionEntries(store, [...keys].reverse(), { fallbackConcurrency: 5 });
    expect(entries.map((entry) => entry?.value)).toStrictEqual([...keys].reverse().map((key) => JSON.stringify(key)));
    expect(await getSessionEntries(store, [])).toStrictEqual([]);
    expect(await compareAndSetSessionEntries(store, [])).toStrictEqual([]);
    // The default concurrency, and a native batch, answer the same.
    const fallback = await compareAndSetSessionEntries(store, [{ key: 'key:0', value: '"next"', ttlSeconds: 60, expectedVersion: null }]);
    expect(fallback).toStrictEqual([{ ok: false, current: await inner.get('key:0') }]);
    expect(await getSessionEntries(store, keys)).toStrictEqual(await getSessionEntries(inner, keys));
    expect(await compareAndSetSessionEntries(inner, [{ key: 'key:0', value: '"next"', ttlSeconds: 60, expectedVersion: null }])).toStrictEqual(fallback);
  });

  it('refuse, before any write, a repeated key or an invalid ttlSeconds even on the fallback', async () => {
    const inner = new InMemorySessionStore();
    const { store } = singleKeyOnly(inner);
    expect(() => assertDistinctKeys([{ key: 'a', value: '1', ttlSeconds: 1, expectedVersion: null }, { key: 'a', value: '2', ttlSeconds: 1, expectedVersion: null }])).toThrow(
      "key 'a' appears twice",
    );
    await expect(
      compareAndSetSessionEntries(store, [
        { key: 'valid', value: '1', ttlSeconds: 60, expectedVersion: null },
        { key: 'invalid', value: '2', ttlSeconds: 0, expectedVersion: null },
      ]),
    ).rejects.toThrow(TypeError);
    expect(await inner.get('valid')).toBeUndefined();
  });
});
