import { randomUUID } from 'node:crypto';
import {
  compareAndSetSessionEntries,
  getSessionEntries,
  type SessionCompareAndSetResult,
  type SessionEntry,
  type SessionStoreV1,
} from '@paymigrate/core';
import { expect } from 'vitest';
import { type ContractContext, type ContractInput, type ContractSuite, runContract, withSubject } from './contract-suite.js';
import { captureError } from '../assertions/caught-errors.js';

/** Options of `sessionStoreContract`. */
export interface SessionStoreContractOptions {
  /**
   * Lets `seconds` pass for the store: advance the manual clock the store was built with, or
   * really sleep (a real Redis or Memcached).
   */
  readonly ttlWait: (seconds: number) => Promise<void>;
  /**
   * Prefix of every key the contract writes, so it can share a server with other data. Each test
   * case adds its own random namespace after it.
   * @default ''
   */
  readonly keyPrefix?: string | undefined;
  /**
   * The store's current time, epoch milliseconds, to check `expiresAt` against.
   * @default Date.now
   */
  readonly now?: (() => number) | undefined;
}

/** Context every session store suite receives. */
type SessionStoreContext = ContractContext<SessionStoreV1, SessionStoreContractOptions>;

/** Runs `body` with a fresh store and a key namespace no other test case uses. */
function withStore<Result>(
  context: SessionStoreContext,
  body: (store: SessionStoreV1, key: (name: string) => string, namespace: string) => Promise<Result>,
): Promise<Result> {
  const namespace = `${context.options.keyPrefix ?? ''}contract:${randomUUID()}:`;
  return withSubject(context, (store) => body(store, (name) => `${namespace}${name}`, namespace));
}

/** How far `expiresAt` may be from the computed expiry, by the store's TTL granularity. */
const expiryTolerance = { seconds: 2_000, milliseconds: 1_000 } as const;

/** Collects every key `enumerate` yields, checking each batch is an array of strings. */
async function enumerateAll(store: SessionStoreV1, options: { prefix?: string; batchSize?: number }): Promise<string[]> {
  const keys: string[] = [];
  for await (const batch of store.enumerate(options)) {
    expect(Array.isArray(batch)).toBe(true);
    for (const key of batch) {
      expect(typeof key).toBe('string');
      keys.push(key);
    }
  }
  return keys;
}

/** Writes entries in chunks, so a real server is not flooded with one giant burst. */
async function setMany(store: SessionStoreV1, keys: readonly string[], ttlSeconds = 300): Promise<void> {
  for (let start = 0; start < keys.length; start += 50) {
    await Promise.all(keys.slice(start, start + 50).map((key) => store.set(key, JSON.stringify({ key }), { ttlSeconds })));
  }
}

/** The entry of a successful compare-and-set (the caller has asserted `ok`). */
function entryOf(result: SessionCompareAndSetResult): SessionEntry {
  return (result as { readonly entry: SessionEntry }).entry;
}

/** Basics: identity, get, set, overwrite, delete, byte-exact values. */
export const sessionStoreBasicsSuite: ContractSuite<SessionStoreV1, SessionStoreContractOptions> = (context) => {
  const { test } = context;

  test('declares specification v1, a name and valid capabilities', () =>
    withSubject(context, async (store) => {
      expect(store.specificationVersion).toBe('v1');
      expect(store.name.length).toBeGreaterThan(0);
      expect(['scan', 'index', 'metadump']).toContain(store.capabilities.enumeration);
      expect(['seconds', 'milliseconds']).toContain(store.capabilities.ttlGranularity);
      if (store.capabilities.maxValueBytes !== undefined) {
        expect(Number.isSafeInteger(store.capabilities.maxValueBytes) && store.capabilities.maxValueBytes > 0).toBe(true);
      }
      // The optional batch members: absent, or methods.
      expect(['undefined', 'function']).toContain(typeof store.getMany);
      expect(['undefined', 'function']).toContain(typeof store.compareAndSetMany);
    }));

  test('get of an absent key is undefined and deleting it resolves false', () =>
    withStore(context, async (store, key) => {
      expect(await store.get(key('absent'))).toBeUndefined();
      expect(await store.delete(key('absent'))).toBe(false);
    }));

  test('set returns the entry with a version and an expiry, and get returns the same entry', () =>
    withStore(context, async (store, key) => {
      const value = JSON.stringify({ cart: [{ sku: 'A-1', quantity: 2 }] });
      const entry = await store.set(key('s1'), value, { ttlSeconds: 300 });
      expect(entry).toEqual({ key: key('s1'), value, version: expect.any(String), expiresAt: expect.any(Number) });
      expect(entry.version.length).toBeGreaterThan(0);
      expect(await store.get(key('s1'))).toEqual(entry);
    }));

  test('an overwrite replaces the value and changes the version', () =>
    withStore(context, async (store, key) => {
      const first = await store.set(key('s1'), '"first"', { ttlSeconds: 300 });
      const second = await store.set(key('s1'), '"second"', { ttlSeconds: 300 });
      expect(second.version).not.toBe(first.version);
      expect(await store.get(key('s1'))).toEqual(second);
      expect(second.value).toBe('"second"');
    }));

  test('delete removes only its key and resolves true once', () =>
    withStore(context, async (store, key) => {
      await store.set(key('s1'), '"one"', { ttlSeconds: 300 });
      await store.set(key('s2'), '"two"', { ttlSeconds: 300 });
      expect(await store.delete(key('s1'))).toBe(true);
      expect(await store.get(key('s1'))).toBeUndefined();
      expect(await store.delete(key('s1'))).toBe(false);
      expect((await store.get(key('s2')))?.value).toBe('"two"');
    }));

  test('unicode and 64 KB values round-trip byte-exact', () =>
    withStore(context, async (store, key) => {
      const large = JSON.stringify({ data: 'x€😀'.repeat(8_200) });
      expect(Buffer.byteLength(large, 'utf8')).toBeGreaterThanOrEqual(64 * 1024);
      const values = [
        JSON.stringify({ text: 'é 中文 😀 e\u0301 \u2028 \u05e9\u05dc\u05d5\u05dd \u{1f1fa}\u{1f1f8}' }),
        '{"spaced" :  1.0 , "escaped":"\\u00e9"}',
        large,
      ];
      for (const [position, value] of values.entries()) {
        await store.set(key(`v${position}`), value, { ttlSeconds: 300 });
        const read = await store.get(key(`v${position}`));
        expect(read?.value.length).toBe(value.length);
        expect(read?.value === value, `value v${position} changed on its way through the store`).toBe(true);
      }
    }));

  test('entries handed out are snapshots: changing them does not change the store', () =>
    withStore(context, async (store, key) => {
      const entry = await store.set(key('s1'), '"original"', { ttlSeconds: 300 });
      for (const handedOut of [entry, await store.get(key('s1'))]) {
        try {
          Reflect.set(handedOut as object, 'value', '"tampered"');
          Reflect.set(handedOut as object, 'version', 'tampered');
        } catch {
          // Frozen entries throw in strict mode; that is fine too.
        }
      }
      expect(await store.get(key('s1'))).toMatchObject({ value: '"original"' });
      expect((await store.compareAndSet(key('s1'), '"next"', { ttlSeconds: 300, expectedVersion: 'tampered' })).ok).toBe(false);
    }));
};

/** TTL: expiry times, expiry, TTL reset on write, validation. */
export const sessionStoreTtlSuite: ContractSuite<SessionStoreV1, SessionStoreContractOptions> = (context) => {
  const { test, options } = context;

  test('expiresAt is now plus the TTL', () =>
    withStore(context, async (store, key) => {
      const now = options.now ?? Date.now;
      const before = now();
      const short = await store.set(key('short'), '"short"', { ttlSeconds: 10 });
      const long = await store.set(key('long'), '"long"', { ttlSeconds: 100 });
      const tolerance = expiryTolerance[store.capabilities.ttlGranularity];
      expect(Math.abs(Number(short.expiresAt) - (before + 10_000))).toBeLessThanOrEqual(tolerance);
      expect(Math.abs(Number(long.expiresAt) - Number(short.expiresAt) - 90_000)).toBeLessThanOrEqual(tolerance);
      const viaCompareAndSet = await store.compareAndSet(key('cas'), '"cas"', { ttlSeconds: 20, expectedVersion: null });
      expect(viaCompareAndSet.ok).toBe(true);
      expect(Math.abs(Number(entryOf(viaCompareAndSet).expiresAt) - (before + 20_000))).toBeLessThanOrEqual(tolerance);
    }));

  test('an entry is gone after its TTL; a longer-lived one is not', () =>
    withStore(context, async (store, key) => {
      const expiring = await store.set(key('expiring'), '"expiring"', { ttlSeconds: 1 });
      await store.set(key('lasting'), '"lasting"', { ttlSeconds: 60 });
      await options.ttlWait(2);
      expect(await store.get(key('expiring'))).toBeUndefined();
      expect(await store.delete(key('expiring'))).toBe(false);
      expect((await store.get(key('lasting')))?.value).toBe('"lasting"');
      const stale = await store.compareAndSet(key('expiring'), '"stale"', { ttlSeconds: 60, expectedVersion: expiring.version });
      expect(stale).toEqual({ ok: false, current: undefined });
    }));

  test('an expired key counts as absent for compare-and-set with null', () =>
    withStore(context, async (store, key) => {
      await store.set(key('s1'), '"old"', { ttlSeconds: 1 });
      await options.ttlWait(2);
      const result = await store.compareAndSet(key('s1'), '"new"', { ttlSeconds: 60, expectedVersion: null });
      expect(result.ok).toBe(true);
      expect((await store.get(key('s1')))?.value).toBe('"new"');
    }));

  test('a write replaces the TTL', () =>
    withStore(context, async (store, key) => {
      await store.set(key('s1'), '"short"', { ttlSeconds: 1 });
      await store.set(key('s1'), '"long"', { ttlSeconds: 60 });
      await options.ttlWait(2);
      expect((await store.get(key('s1')))?.value).toBe('"long"');
    }));

  test('rejects a ttlSeconds that is not a positive integer with a TypeError naming it, writing nothing', () =>
    withStore(context, async (store, key) => {
      for (const ttlSeconds of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        const setError = await captureError(() => store.set(key('s1'), '"x"', { ttlSeconds }));
        expect(setError, `set with ttlSeconds ${ttlSeconds}`).toBeInstanceOf(TypeError);
        expect((setError as TypeError).message).toContain('ttlSeconds');
        const compareError = await captureError(() => store.compareAndSet(key('s1'), '"x"', { ttlSeconds, expectedVersion: null }));
        expect(compareError, `compareAndSet with ttlSeconds ${ttlSeconds}`).toBeInstanceOf(TypeError);
        expect((compareError as TypeError).message).toContain('ttlSeconds');
      }
      expect(await store.get(key('s1'))).toBeUndefined();
    }));
};

/** Compare-and-set: absent, present, matching, stale, deleted. */
export const sessionStoreCompareAndSetSuite: ContractSuite<SessionStoreV1, SessionStoreContractOptions> = (context) => {
  const { test } = context;

  test('expected null writes when the key is absent', () =>
    withStore(context, async (store, key) => {
      const result = await store.compareAndSet(key('s1'), '"created"', { ttlSeconds: 300, expectedVersion: null });
      expect(result).toEqual({ ok: true, entry: { key: key('s1'), value: '"created"', version: expect.any(String), expiresAt: expect.any(Number) } });
      expect(await store.get(key('s1'))).toEqual(entryOf(result));
    }));

  test('expected null fails when the key is present and reports the current entry', () =>
    withStore(context, async (store, key) => {
      const existing = await store.set(key('s1'), '"existing"', { ttlSeconds: 300 });
      const result = await store.compareAndSet(key('s1'), '"intruder"', { ttlSeconds: 300, expectedVersion: null });
      expect(result).toEqual({ ok: false, current: existing });
      expect(await store.get(key('s1'))).toEqual(existing);
    }));

  test('the current version writes and changes the version', () =>
    withStore(context, async (store, key) => {
      const existing = await store.set(key('s1'), '"v1"', { ttlSeconds: 300 });
      const result = await store.compareAndSet(key('s1'), '"v2"', { ttlSeconds: 300, expectedVersion: existing.version });
      expect(result.ok).toBe(true);
      const entry = entryOf(result);
      expect(entry).toMatchObject({ key: key('s1'), value: '"v2"' });
      expect(entry.version).not.toBe(existing.version);
      expect(await store.get(key('s1'))).toEqual(entry);
    }));

  test('a stale or made-up version fails and reports the current entry', () =>
    withStore(context, async (store, key) => {
      const first = await store.set(key('s1'), '"v1"', { ttlSeconds: 300 });
      const second = await store.set(key('s1'), '"v2"', { ttlSeconds: 300 });
      expect(await store.compareAndSet(key('s1'), '"stale"', { ttlSeconds: 300, expectedVersion: first.version })).toEqual({
        ok: false,
        current: second,
      });
      expect(await store.compareAndSet(key('s1'), '"made up"', { ttlSeconds: 300, expectedVersion: `${second.version}-made-up` })).toEqual({
        ok: false,
        current: second,
      });
      expect(await store.get(key('s1'))).toEqual(second);
    }));

  test('a version of a deleted key fails with no current entry', () =>
    withStore(context, async (store, key) => {
      const entry = await store.set(key('s1'), '"v1"', { ttlSeconds: 300 });
      await store.delete(key('s1'));
      expect(await store.compareAndSet(key('s1'), '"v2"', { ttlSeconds: 300, expectedVersion: entry.version })).toEqual({
        ok: false,
        current: undefined,
      });
      expect(await store.get(key('s1'))).toBeUndefined();
    }));

  test('a re-created key never gets a version it had before (no ABA)', () =>
    withStore(context, async (store, key) => {
      const first = await store.set(key('s1'), '"v1"', { ttlSeconds: 300 });
      await store.delete(key('s1'));
      const recreated = await store.set(key('s1'), '"v1 again"', { ttlSeconds: 300 });
      expect(recreated.version).not.toBe(first.version);
      const result = await store.compareAndSet(key('s1'), '"lost update"', { ttlSeconds: 300, expectedVersion: first.version });
      expect(result).toEqual({ ok: false, current: recreated });
    }));
};

/** Concurrency: races on one key, no lost updates. */
export const sessionStoreConcurrencySuite: ContractSuite<SessionStoreV1, SessionStoreContractOptions> = (context) => {
  const { test } = context;

  test('of twenty concurrent compare-and-sets from one version exactly one wins and the losers see it', () =>
    withStore(context, async (store, key) => {
      const start = await store.set(key('s1'), '"start"', { ttlSeconds: 300 });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, writer) =>
          store.compareAndSet(key('s1'), `"writer-${writer}"`, { ttlSeconds: 300, expectedVersion: start.version }),
        ),
      );
      const winners = results.filter((result) => result.ok).map(entryOf);
      expect(winners).toHaveLength(1);
      const winner = winners[0] as SessionEntry;
      const losers = results.filter((result) => !result.ok);
      expect(losers).toEqual(Array.from({ length: 19 }, () => ({ ok: false, current: winner })));
      expect(await store.get(key('s1'))).toEqual(winner);
    }));

  test('of twenty concurrent creates with expected null exactly one wins', () =>
    withStore(context, async (store, key) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, writer) => store.compareAndSet(key('s1'), `"writer-${writer}"`, { ttlSeconds: 300, expectedVersion: null })),
      );
      expect(results.filter((result) => result.ok)).toHaveLength(1);
    }));

  test('200 writers incrementing 10 counters with retries lose no update (and do collide)', () =>
    withStore(context, async (store, key) => {
      const counters = Array.from({ length: 10 }, (_, position) => key(`counter:${position}`));
      await Promise.all(counters.map((counter) => store.set(counter, '0', { ttlSeconds: 300 })));
      let conflicts = 0;
      const increment = async (counter: string): Promise<void> => {
        for (;;) {
          const current = (await store.get(counter)) as SessionEntry;
          expect(current, 'the counter vanished').toBeDefined();
          const result = await store.compareAndSet(counter, String(Number(current.value) + 1), { ttlSeconds: 300, expectedVersion: current.version });
          if (result.ok) return;
          conflicts += 1;
        }
      };
      await Promise.all(Array.from({ length: 200 }, (_, writer) => increment(counters[writer % counters.length] as string)));
      for (const counter of counters) expect((await store.get(counter))?.value, counter).toBe('20');
      // Without a collision the test would prove nothing about compare-and-set.
      expect(conflicts).toBeGreaterThan(0);
    }));
};

/** Enumeration: every live key under a prefix, at least once. */
export const sessionStoreEnumerationSuite: ContractSuite<SessionStoreV1, SessionStoreContractOptions> = (context) => {
  const { test } = context;

  test('finds every one of 500 keys under a prefix exactly once after de-duplication, and nothing outside it', () =>
    withStore(context, async (store, key) => {
      const inside = Array.from({ length: 500 }, (_, position) => key(`cart:${position}`));
      await setMany(store, inside);
      await setMany(store, Array.from({ length: 20 }, (_, position) => key(`session:${position}`)));
      const found = await enumerateAll(store, { prefix: key('cart:'), batchSize: 50 });
      expect(found.every((candidate) => candidate.startsWith(key('cart:')))).toBe(true);
      expect([...new Set(found)].sort()).toEqual([...inside].sort());
    }));

  test('the default batch size finds every key', () =>
    withStore(context, async (store, key, namespace) => {
      const keys = Array.from({ length: 250 }, (_, position) => key(`${position}`));
      await setMany(store, keys);
      const found = await enumerateAll(store, { prefix: namespace });
      expect([...new Set(found)].sort()).toEqual([...keys].sort());
    }));

  test('deleted keys are not yielded and an unmatched prefix yields no key', () =>
    withStore(context, async (store, key, namespace) => {
      await setMany(store, [key('kept'), key('deleted')]);
      await store.delete(key('deleted'));
      expect(await enumerateAll(store, { prefix: namespace, batchSize: 10 })).toEqual([key('kept')]);
      expect(await enumerateAll(store, { prefix: key('nothing-here:') })).toEqual([]);
    }));
};

/**
 * Batches: `getMany` and `compareAndSetMany`, through `getSessionEntries` and
 * `compareAndSetSessionEntries`, so a store with the native members is held to exactly the
 * single-key semantics, and a store without them to the same through the fallback.
 */
export const sessionStoreBatchSuite: ContractSuite<SessionStoreV1, SessionStoreContractOptions> = (context) => {
  const { test, options } = context;

  test('a batch read answers one slot per key, in order, each what get answers (absent, expired, repeated)', () =>
    withStore(context, async (store, key) => {
      const first = await store.set(key('first'), '"first"', { ttlSeconds: 300 });
      const second = await store.set(key('second'), JSON.stringify({ text: 'é 中文 😀' }), { ttlSeconds: 300 });
      await store.set(key('expiring'), '"expiring"', { ttlSeconds: 1 });
      await options.ttlWait(2);
      const keys = [key('second'), key('absent'), key('first'), key('expiring'), key('second')];
      const entries = await getSessionEntries(store, keys);
      expect(entries).toEqual([second, undefined, first, undefined, second]);
      expect(entries).toEqual(await Promise.all(keys.map((name) => store.get(name))));
      expect(await getSessionEntries(store, [])).toEqual([]);
    }));

  test('a batch of 1,200 writes and reads round-trips every session (past any adapter chunk size)', () =>
    withStore(context, async (store, key) => {
      const keys = Array.from({ length: 1_200 }, (_, position) => key(`bulk:${position}`));
      const results = await compareAndSetSessionEntries(
        store,
        keys.map((name, position) => ({ key: name, value: JSON.stringify({ position }), ttlSeconds: 300 + (position % 7), expectedVersion: null })),
      );
      expect(results.every((result) => result.ok)).toBe(true);
      const written = results.map(entryOf);
      expect(written.map((entry) => entry.key)).toEqual(keys);
      expect(new Set(written.map((entry) => entry.version)).size).toBe(keys.length);
      expect(await getSessionEntries(store, keys)).toEqual(written);
    }));

  test('a batch compare-and-set applies each request with the single-key semantics and reports current entries', () =>
    withStore(context, async (store, key) => {
      const present = await store.set(key('present'), '"present"', { ttlSeconds: 300 });
      const matching = await store.set(key('matching'), '"v1"', { ttlSeconds: 300 });
      const stale = await store.set(key('stale'), '"old"', { ttlSeconds: 300 });
      const newer = await store.set(key('stale'), '"newer"', { ttlSeconds: 300 });
      const results = await compareAndSetSessionEntries(store, [
        { key: key('created'), value: '"created"', ttlSeconds: 60, expectedVersion: null },
        { key: key('present'), value: '"intruder"', ttlSeconds: 60, expectedVersion: null },
        { key: key('matching'), value: '"v2"', ttlSeconds: 60, expectedVersion: matching.version },
        { key: key('stale'), value: '"lost update"', ttlSeconds: 60, expectedVersion: stale.version },
        { key: key('vanished'), value: '"ghost"', ttlSeconds: 60, expectedVersion: matching.version },
      ]);
      expect(results).toEqual([
        { ok: true, entry: { key: key('created'), value: '"created"', version: expect.any(String), expiresAt: expect.any(Number) } },
        { ok: false, current: present },
        { ok: true, entry: { key: key('matching'), value: '"v2"', version: expect.any(String), expiresAt: expect.any(Number) } },
        { ok: false, current: newer },
        { ok: false, current: undefined },
      ]);
      expect(entryOf(results[2] as SessionCompareAndSetResult).version).not.toBe(matching.version);
      expect(await getSessionEntries(store, [key('created'), key('present'), key('matching'), key('stale'), key('vanished')])).toEqual([
        entryOf(results[0] as SessionCompareAndSetResult),
        present,
        entryOf(results[2] as SessionCompareAndSetResult),
        newer,
        undefined,
      ]);
      const tolerance = expiryTolerance[store.capabilities.ttlGranularity];
      const now = (options.now ?? Date.now)();
      expect(Math.abs(Number(entryOf(results[0] as SessionCompareAndSetResult).expiresAt) - (now + 60_000))).toBeLessThanOrEqual(tolerance);
    }));

  test('a batch compare-and-set with a repeated key or an invalid ttlSeconds is refused with a TypeError, writing nothing', () =>
    withStore(context, async (store, key) => {
      const repeated = await captureError(() =>
        compareAndSetSessionEntries(store, [
          { key: key('a'), value: '"one"', ttlSeconds: 60, expectedVersion: null },
          { key: key('a'), value: '"two"', ttlSeconds: 60, expectedVersion: null },
        ]),
      );
      expect(repeated).toBeInstanceOf(TypeError);
      expect((repeated as TypeError).message).toContain(key('a'));
      for (const ttlSeconds of [0, -1, 1.5, Number.NaN]) {
        const invalid = await captureError(() =>
          compareAndSetSessionEntries(store, [
            { key: key('b'), value: '"valid"', ttlSeconds: 60, expectedVersion: null },
            { key: key('c'), value: '"invalid"', ttlSeconds, expectedVersion: null },
          ]),
        );
        expect(invalid, `ttlSeconds ${ttlSeconds}`).toBeInstanceOf(TypeError);
        expect((invalid as TypeError).message).toContain('ttlSeconds');
      }
      expect(await getSessionEntries(store, [key('a'), key('b'), key('c')])).toEqual([undefined, undefined, undefined]);
      expect(await compareAndSetSessionEntries(store, [])).toEqual([]);
    }));

  test('a batch compare-and-set racing single-key writers on the same keys: exactly one winner per key', () =>
    withStore(context, async (store, key) => {
      const keys = Array.from({ length: 40 }, (_, position) => key(`race:${position}`));
      const starts = await Promise.all(keys.map((name) => store.set(name, '"start"', { ttlSeconds: 300 })));
      const [batch, ...singles] = await Promise.all([
        compareAndSetSessionEntries(
          store,
          keys.map((name, position) => ({ key: name, value: '"batch"', ttlSeconds: 300, expectedVersion: (starts[position] as SessionEntry).version })),
        ),
        ...keys.map((name, position) =>
          store.compareAndSet(name, '"single"', { ttlSeconds: 300, expectedVersion: (starts[position] as SessionEntry).version }),
        ),
      ]);
      const finals = await getSessionEntries(store, keys);
      keys.forEach((name, position) => {
        const fromBatch = (batch as readonly SessionCompareAndSetResult[])[position] as SessionCompareAndSetResult;
        const single = singles[position] as SessionCompareAndSetResult;
        expect([fromBatch.ok, single.ok].filter(Boolean), `winners of ${name}`).toHaveLength(1);
        const winner = fromBatch.ok ? fromBatch.entry : entryOf(single);
        const loser = fromBatch.ok ? single : fromBatch;
        expect(loser).toEqual({ ok: false, current: winner });
        expect(finals[position]).toEqual(winner);
      });
    }));
};

/** Every session store suite by name, for `sessionStoreContract` or to run one on its own. */
export const sessionStoreContractSuites = {
  basics: sessionStoreBasicsSuite,
  ttl: sessionStoreTtlSuite,
  compareAndSet: sessionStoreCompareAndSetSuite,
  enumeration: sessionStoreEnumerationSuite,
  concurrency: sessionStoreConcurrencySuite,
  batch: sessionStoreBatchSuite,
} satisfies Record<string, ContractSuite<SessionStoreV1, SessionStoreContractOptions>>;

/** Name of a session store suite. */
export type SessionStoreContractSuiteName = keyof typeof sessionStoreContractSuites;

/**
 * The whole `SessionStoreV1` contract. Every adapter runs it from its own test file.
 *
 * @example
 * const clock = new ManualClock();
 * sessionStoreContract({
 *   test,
 *   create: () => new InMemorySessionStore({ clock }),
 *   destroy: (store) => store.close(),
 *   options: { ttlWait: (seconds) => clock.advance(seconds * 1000), now: () => clock.now() },
 * });
 */
export function sessionStoreContract(input: ContractInput<SessionStoreV1, SessionStoreContractOptions, SessionStoreContractSuiteName>): void {
  runContract('SessionStoreV1', sessionStoreContractSuites, input);
}
