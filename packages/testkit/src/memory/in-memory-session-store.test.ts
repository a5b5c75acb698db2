import {
  PaymigrateError,
  type SessionCompareAndSetResult,
  type SessionEntry,
  type SessionStoreCapabilities,
  type SessionWriteOptions,
} from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { failingCases } from '../contracts/__fixtures__/failing-cases.js';
import {
  sessionStoreCompareAndSetSuite,
  sessionStoreConcurrencySuite,
  sessionStoreContract,
  type SessionStoreContractOptions,
  sessionStoreTtlSuite,
} from '../contracts/session-store-contract.js';
import { InMemorySessionStore } from './in-memory-session-store.js';
import { singleKeySessionStore } from './single-key-session-store.js';
import { ManualClock } from './manual-clock.js';

describe('InMemorySessionStore on a manual clock', () => {
  const clock = new ManualClock();
  sessionStoreContract({
    test,
    create: () => new InMemorySessionStore({ clock }),
    destroy: (store) => store.close(),
    options: { ttlWait: (seconds) => clock.advance(seconds * 1_000), now: () => clock.now() },
  });
});

describe('InMemorySessionStore on the system clock, sharing one store', () => {
  // One long-lived store for every case, as a shared Redis would be: the contract's per-case key
  // namespaces and the key prefix keep the cases apart.
  const shared = new InMemorySessionStore();
  sessionStoreContract({
    test,
    create: () => shared,
    options: { ttlWait: (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1_000)), keyPrefix: 'paymigrate-test:' },
    optOuts: { ttl: 'covered on the manual clock above; waiting real seconds here adds nothing' },
  });
});

describe('a store without getMany and compareAndSetMany (the batch helpers fall back to single-key calls)', () => {
  const clock = new ManualClock();
  sessionStoreContract({
    test,
    create: () => singleKeySessionStore(new InMemorySessionStore({ clock })),
    destroy: (store) => store.close(),
    options: { ttlWait: (seconds) => clock.advance(seconds * 1_000), now: () => clock.now() },
  });
});

/** Collects every batch `enumerate` yields. */
async function batchesOf(iterable: AsyncIterable<readonly string[]>): Promise<(readonly string[])[]> {
  const batches: (readonly string[])[] = [];
  for await (const batch of iterable) batches.push(batch);
  return batches;
}

describe('InMemorySessionStore', () => {
  test('is a v1 store named memory that scans and honours milliseconds', () => {
    const store = new InMemorySessionStore();
    expect(store.specificationVersion).toBe('v1');
    expect(store.name).toBe('memory');
    expect(store.capabilities).toEqual({ enumeration: 'scan', ttlGranularity: 'milliseconds' });
    expect(Object.isFrozen(store.capabilities)).toBe(true);
  });

  test('versions are the strings of one counter shared by every key', async () => {
    const store = new InMemorySessionStore({ clock: new ManualClock(0) });
    expect((await store.set('a', '1', { ttlSeconds: 1 })).version).toBe('1');
    expect((await store.set('b', '1', { ttlSeconds: 1 })).version).toBe('2');
    const result = await store.compareAndSet('a', '2', { ttlSeconds: 1, expectedVersion: '1' });
    expect(result).toEqual({ ok: true, entry: { key: 'a', value: '2', version: '3', expiresAt: 1_000 } });
    expect((await store.compareAndSet('a', '3', { ttlSeconds: 1, expectedVersion: '1' })).ok).toBe(false);
    expect((await store.set('a', '4', { ttlSeconds: 1 })).version).toBe('4');
  });

  test('expiresAt is exactly now plus the TTL and the entry is gone from that instant', async () => {
    const clock = new ManualClock(10_000);
    const store = new InMemorySessionStore({ clock });
    expect(await store.set('s1', '"x"', { ttlSeconds: 2 })).toMatchObject({ expiresAt: 12_000 });
    await clock.advance(1_999);
    expect(await store.get('s1')).toBeDefined();
    await clock.advance(1);
    expect(await store.get('s1')).toBeUndefined();
  });

  test('defaults to the system clock', async () => {
    const store = new InMemorySessionStore();
    const before = Date.now();
    const entry = await store.set('s1', '"x"', { ttlSeconds: 60 });
    expect(entry.expiresAt).toBeGreaterThanOrEqual(before + 60_000);
    expect(entry.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
  });

  test('validation errors name the operation and the option', async () => {
    const store = new InMemorySessionStore();
    await expect(store.set('s1', '"x"', { ttlSeconds: 0 })).rejects.toThrow(
      new TypeError("Session store set: 'ttlSeconds' must be a positive integer number of seconds, got 0."),
    );
    await expect(store.compareAndSet('s1', '"x"', { ttlSeconds: 2.5, expectedVersion: null })).rejects.toThrow(
      new TypeError("Session store compareAndSet: 'ttlSeconds' must be a positive integer number of seconds, got 2.5."),
    );
  });

  test('enumerate yields frozen batches of batchSize keys, the last one shorter, never an empty one', async () => {
    const store = new InMemorySessionStore({ clock: new ManualClock(0) });
    for (const key of ['a1', 'a2', 'a3', 'a4', 'a5', 'b1']) await store.set(key, '{}', { ttlSeconds: 60 });
    const batches = await batchesOf(store.enumerate({ prefix: 'a', batchSize: 2 }));
    expect(batches).toEqual([['a1', 'a2'], ['a3', 'a4'], ['a5']]);
    expect(batches.every((batch) => Object.isFrozen(batch))).toBe(true);
    expect(await batchesOf(store.enumerate({ prefix: 'a', batchSize: 5 }))).toEqual([['a1', 'a2', 'a3', 'a4', 'a5']]);
    expect(await batchesOf(store.enumerate({ prefix: 'c' }))).toEqual([]);
    expect(await batchesOf(store.enumerate())).toEqual([['a1', 'a2', 'a3', 'a4', 'a5', 'b1']]);
  });

  test('enumerate uses batches of 100 by default', async () => {
    const store = new InMemorySessionStore({ clock: new ManualClock(0) });
    for (let position = 0; position < 250; position += 1) await store.set(`k${position}`, '{}', { ttlSeconds: 60 });
    expect((await batchesOf(store.enumerate())).map((batch) => batch.length)).toEqual([100, 100, 50]);
  });

  test('enumerate skips expired keys and keys deleted while it runs', async () => {
    const clock = new ManualClock(0);
    const store = new InMemorySessionStore({ clock });
    await store.set('short', '{}', { ttlSeconds: 1 });
    for (const key of ['k1', 'k2', 'k3', 'k4']) await store.set(key, '{}', { ttlSeconds: 60 });
    await clock.advance(1_000);
    const seen: string[] = [];
    for await (const batch of store.enumerate({ batchSize: 2 })) {
      seen.push(...batch);
      await store.delete('k4');
    }
    expect(seen).toEqual(['k1', 'k2', 'k3']);
  });

  test('enumerate rejects a batch size that is not a positive integer', async () => {
    const store = new InMemorySessionStore();
    for (const batchSize of [0, -1, 1.5]) {
      await expect(batchesOf(store.enumerate({ batchSize }))).rejects.toThrow(
        new TypeError(`Session store enumerate: 'batchSize' must be a positive integer, got ${batchSize}.`),
      );
    }
  });

  test('after close every call throws SESSION_STORE_CLOSED, and close may be repeated', async () => {
    const store = new InMemorySessionStore();
    await store.set('s1', '"x"', { ttlSeconds: 60 });
    await store.close();
    await store.close();
    const calls: [string, () => Promise<unknown>][] = [
      ['get', () => store.get('s1')],
      ['set', () => store.set('s1', '"x"', { ttlSeconds: 60 })],
      ['compareAndSet', () => store.compareAndSet('s1', '"x"', { ttlSeconds: 60, expectedVersion: null })],
      ['delete', () => store.delete('s1')],
      ['enumerate', () => batchesOf(store.enumerate())],
    ];
    for (const [operation, call] of calls) {
      const error = await call().then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({
        code: 'SESSION_STORE_CLOSED',
        message: `In-memory session store has been closed: ${operation}() needs a new store.`,
      });
    }
  });

  test('closing during an enumeration stops it at the next batch', async () => {
    const store = new InMemorySessionStore();
    for (const key of ['k1', 'k2', 'k3']) await store.set(key, '{}', { ttlSeconds: 60 });
    const seen: string[] = [];
    const enumeration = (async () => {
      for await (const batch of store.enumerate({ batchSize: 1 })) {
        seen.push(...batch);
        await store.close();
      }
    })();
    await expect(enumeration).rejects.toMatchObject({ code: 'SESSION_STORE_CLOSED' });
    expect(seen).toEqual(['k1']);
  });
});

/** The in-memory store declaring what a Memcached-like server would: whole seconds, a value limit, a key index. */
class SecondsDeclaringStore extends InMemorySessionStore {
  override readonly capabilities: SessionStoreCapabilities = Object.freeze({ enumeration: 'index', ttlGranularity: 'seconds', maxValueBytes: 1_048_576 });
}

describe('the session store contract on a store declaring seconds and a value limit, checked against Date.now', () => {
  // Each case gets a manual clock starting at the real time, so the contract's default `now`
  // (Date.now) agrees with the store's clock.
  let clock = new ManualClock();
  sessionStoreContract({
    test,
    create: () => {
      clock = new ManualClock(Date.now());
      return new SecondsDeclaringStore({ clock });
    },
    destroy: (store) => store.close(),
    options: { ttlWait: (seconds) => clock.advance(seconds * 1_000) },
  });
});

/** Broken: compare-and-set writes whatever the version, and bad TTLs are rounded instead of refused. */
class VersionBlindStore extends InMemorySessionStore {
  override set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    return super.set(key, value, { ttlSeconds: Math.max(1, Math.ceil(options.ttlSeconds) || 1) });
  }

  override async compareAndSet(key: string, value: string, options: SessionWriteOptions): Promise<SessionCompareAndSetResult> {
    return { ok: true, entry: await this.set(key, value, options) };
  }
}

/** Broken: entries never expire. */
class ImmortalStore extends InMemorySessionStore {
  override set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    const valid = Number.isSafeInteger(options.ttlSeconds) && options.ttlSeconds > 0;
    return super.set(key, value, { ttlSeconds: valid ? options.ttlSeconds * 1_000_000 : options.ttlSeconds });
  }
}

describe('the session store contract catches broken stores', () => {
  const clock = new ManualClock();
  const options: SessionStoreContractOptions = { ttlWait: (seconds) => clock.advance(seconds * 1_000), now: () => clock.now() };

  test('a store whose compare-and-set ignores versions fails the compare-and-set and race cases', async () => {
    expect(await failingCases(sessionStoreCompareAndSetSuite, () => new VersionBlindStore({ clock }), options)).toEqual([
      'expected null fails when the key is present and reports the current entry',
      'a stale or made-up version fails and reports the current entry',
      'a version of a deleted key fails with no current entry',
      'a re-created key never gets a version it had before (no ABA)',
    ]);
    expect(await failingCases(sessionStoreConcurrencySuite, () => new VersionBlindStore({ clock }), options)).toEqual([
      'of twenty concurrent compare-and-sets from one version exactly one wins and the losers see it',
      'of twenty concurrent creates with expected null exactly one wins',
      '200 writers incrementing 10 counters with retries lose no update (and do collide)',
    ]);
    expect(await failingCases(sessionStoreTtlSuite, () => new VersionBlindStore({ clock }), options)).toEqual([
      'an entry is gone after its TTL; a longer-lived one is not',
      'rejects a ttlSeconds that is not a positive integer with a TypeError naming it, writing nothing',
    ]);
  });

  test('a store that never expires entries fails the TTL cases', async () => {
    expect(await failingCases(sessionStoreTtlSuite, () => new ImmortalStore({ clock }), options)).toEqual([
      'expiresAt is now plus the TTL',
      'an entry is gone after its TTL; a longer-lived one is not',
      'an expired key counts as absent for compare-and-set with null',
    ]);
  });
});
