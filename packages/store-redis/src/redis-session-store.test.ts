import { randomUUID } from 'node:crypto';
import { type ConfigurationError, PaymigrateError, type SessionStoreV1 } from '@paymigrate/core';
import { captureError, configurationErrorOf, findFreePort, type RedisServer, sessionStoreContract, startRedisServer } from '@paymigrate/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { createRedisSessionStore, escapeGlob, maximumTtlSeconds, RedisSessionStore } from './redis-session-store.js';
import { defaultVersionCounterKey } from './redis-session-store-options.js';

/** Really lets `seconds` pass: the server expires keys on its own clock. */
const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1_000));

let server: RedisServer;
/** A plain client to look at what the store wrote, and to lend to stores. */
let inspector: Redis;

beforeAll(async () => {
  server = await startRedisServer();
  inspector = new Redis(server.url);
});

afterAll(async () => {
  inspector.disconnect();
  await server?.stop();
});

describe('RedisSessionStore contract, on a connection of its own', () => {
  sessionStoreContract({
    test,
    create: () => createRedisSessionStore({ url: server.url }),
    destroy: (store) => store.close(),
    options: { ttlWait: sleep },
  });
});

describe('RedisSessionStore contract, on a lent client with its own ioredis keyPrefix and a store keyPrefix', () => {
  let lent: Redis;
  beforeAll(() => {
    lent = new Redis(server.url, { keyPrefix: 'tenant-7:' });
  });
  afterAll(() => {
    lent.disconnect();
  });
  sessionStoreContract({
    test,
    create: () => createRedisSessionStore({ client: lent, keyPrefix: 'sessions:' }),
    destroy: (store) => store.close(),
    options: { ttlWait: sleep, keyPrefix: 'lent:' },
  });
});

/** Collects every key `enumerate` yields, batch by batch. */
async function batchesOf(store: SessionStoreV1, options: { prefix?: string; batchSize?: number } = {}): Promise<(readonly string[])[]> {
  const batches: (readonly string[])[] = [];
  for await (const batch of store.enumerate(options)) batches.push(batch);
  return batches;
}

/** A fresh namespace so cases sharing the server never see each other's keys. */
const namespace = (): string => `test:${randomUUID()}:`;

describe('RedisSessionStore', () => {
  test('is a v1 store named redis that scans and honours milliseconds, with no value limit declared', async () => {
    const store = createRedisSessionStore({ url: server.url });
    try {
      expect(store).toBeInstanceOf(RedisSessionStore);
      expect(store.specificationVersion).toBe('v1');
      expect(store.name).toBe('redis');
      expect(store.capabilities).toEqual({ enumeration: 'scan', ttlGranularity: 'milliseconds' });
      expect(Object.isFrozen(store.capabilities)).toBe(true);
    } finally {
      await store.close();
    }
  });

  test('stores one hash per session expiring at expiresAt, with versions from one global counter', async () => {
    const prefix = namespace();
    const store = createRedisSessionStore({ url: server.url, keyPrefix: prefix });
    try {
      const first = await store.set('a', '"one"', { ttlSeconds: 60 });
      const second = await store.set('b', '"two"', { ttlSeconds: 60 });
      const third = await store.compareAndSet('a', '"three"', { ttlSeconds: 120, expectedVersion: first.version });
      expect(Number(second.version)).toBe(Number(first.version) + 1);
      expect(third.ok && Number(third.entry.version)).toBe(Number(second.version) + 1);
      expect(await inspector.get(`${prefix}${defaultVersionCounterKey}`)).toBe(third.ok ? third.entry.version : 'unreachable');
      expect(await inspector.hgetall(`${prefix}b`)).toEqual({ value: '"two"', version: second.version, expiresAt: String(second.expiresAt) });
      expect(await inspector.pexpiretime(`${prefix}b`)).toBe(second.expiresAt);
      const remaining = await inspector.pttl(`${prefix}a`);
      expect(remaining).toBeGreaterThan(118_000);
      expect(remaining).toBeLessThanOrEqual(120_000);
      expect(await inspector.ttl(`${prefix}${defaultVersionCounterKey}`)).toBe(-1);
    } finally {
      await store.close();
    }
  });

  test('a custom version counter key is used, and writing a session under its name is refused', async () => {
    const prefix = namespace();
    const store = createRedisSessionStore({ url: server.url, keyPrefix: prefix, versionCounterKey: 'my-counter' });
    try {
      await inspector.set(`${prefix}my-counter`, '41');
      expect((await store.set('s', '"x"', { ttlSeconds: 60 })).version).toBe('42');
      for (const write of [() => store.set('my-counter', '"x"', { ttlSeconds: 60 }), () => store.compareAndSet('my-counter', '"x"', { ttlSeconds: 60, expectedVersion: null })]) {
        const error = await captureError(write);
        expect(error).toBeInstanceOf(TypeError);
        expect((error as TypeError).message).toContain("'key' names the version counter");
      }
      expect(await inspector.get(`${prefix}my-counter`)).toBe('42');
    } finally {
      await store.close();
    }
  });

  test('set replaces a key of another type; reading one fails with a non-retryable SESSION_STORE_COMMAND_FAILED', async () => {
    const prefix = namespace();
    const store = createRedisSessionStore({ url: server.url, keyPrefix: prefix });
    try {
      await inspector.set(`${prefix}plain`, 'not a hash');
      const error = await captureError(() => store.get('plain'));
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'SESSION_STORE_COMMAND_FAILED', isRetryable: false });
      expect((error as Error).message).toContain('WRONGTYPE');
      const entry = await store.set('plain', '"now a session"', { ttlSeconds: 60 });
      expect(await store.get('plain')).toEqual(entry);
    } finally {
      await store.close();
    }
  });

  test('a hash this store did not write is reported as SESSION_ENTRY_MALFORMED, by get and by compareAndSet', async () => {
    const prefix = namespace();
    const store = createRedisSessionStore({ url: server.url, keyPrefix: prefix });
    try {
      await inspector.hset(`${prefix}foreign`, { value: '"x"' });
      await inspector.hset(`${prefix}bad-expiry`, { value: '"x"', version: '1', expiresAt: 'soon' });
      for (const read of [
        () => store.get('foreign'),
        () => store.get('bad-expiry'),
        () => store.compareAndSet('foreign', '"y"', { ttlSeconds: 60, expectedVersion: null }),
      ]) {
        const error = await captureError(read);
        expect(error).toMatchObject({ code: 'SESSION_ENTRY_MALFORMED', isRetryable: false });
      }
    } finally {
      await store.close();
    }
  });

  test('rejects a TTL above ten years and an expectedVersion that is neither a string nor null, writing nothing', async () => {
    const prefix = namespace();
    const store = createRedisSessionStore({ url: server.url, keyPrefix: prefix });
    try {
      const tooLong = await captureError(() => store.set('s', '"x"', { ttlSeconds: maximumTtlSeconds + 1 }));
      expect(tooLong).toBeInstanceOf(TypeError);
      expect((tooLong as Error).message).toContain(`'ttlSeconds' must be a positive integer number of seconds up to ${maximumTtlSeconds}`);
      const badVersion = await captureError(() => store.compareAndSet('s', '"x"', { ttlSeconds: 60, expectedVersion: 7 as unknown as string }));
      expect(badVersion).toBeInstanceOf(TypeError);
      expect((badVersion as Error).message).toContain("'expectedVersion'");
      expect(await store.get('s')).toBeUndefined();
      const longest = await store.set('s', '"x"', { ttlSeconds: maximumTtlSeconds });
      expect(longest.expiresAt).toBeGreaterThan(Date.now() + (maximumTtlSeconds - 10) * 1_000);
    } finally {
      await store.close();
    }
  });

  test('a 5 MB value round-trips byte-exact', async () => {
    const store = createRedisSessionStore({ url: server.url, keyPrefix: namespace() });
    try {
      const value = JSON.stringify({ blob: 'é😀x'.repeat(750_000) });
      expect(Buffer.byteLength(value)).toBeGreaterThan(5_000_000);
      await store.set('big', value, { ttlSeconds: 60 });
      expect((await store.get('big'))?.value === value).toBe(true);
    } finally {
      await store.close();
    }
  });

  test('10,000 sessions written at once are all enumerated, each exactly once, in batches of at most batchSize', async () => {
    const store = createRedisSessionStore({ url: server.url, keyPrefix: namespace() });
    try {
      const keys = Array.from({ length: 10_000 }, (_, position) => `cart:${position}`);
      const started = performance.now();
      await Promise.all(keys.map((key) => store.set(key, JSON.stringify({ key, lines: [{ sku: 'A-1', quantity: 1 }] }), { ttlSeconds: 300 })));
      const seconds = (performance.now() - started) / 1_000;
      console.info(`redis: 10,000 sets with Promise.all in ${(seconds * 1_000).toFixed(0)} ms (${Math.round(10_000 / seconds)} sets/s)`);
      await store.set('other:1', '"outside the prefix"', { ttlSeconds: 300 });
      const batches = await batchesOf(store, { prefix: 'cart:', batchSize: 500 });
      expect(batches.every((batch) => batch.length > 0 && batch.length <= 500 && Object.isFrozen(batch))).toBe(true);
      const found = batches.flat();
      expect(found).toHaveLength(10_000);
      expect(new Set(found).size).toBe(10_000);
      expect([...found].sort()).toEqual([...keys].sort());
    } finally {
      await store.close();
    }
  });

  test('prefixes are matched literally: glob characters are escaped', async () => {
    const store = createRedisSessionStore({ url: server.url, keyPrefix: namespace() });
    try {
      for (const key of ['a*b', 'a?c', 'a[x]d', 'a\\e', 'abc', 'axd']) await store.set(key, '"x"', { ttlSeconds: 60 });
      expect((await batchesOf(store, { prefix: 'a*' })).flat()).toEqual(['a*b']);
      expect((await batchesOf(store, { prefix: 'a?' })).flat()).toEqual(['a?c']);
      expect((await batchesOf(store, { prefix: 'a[x]' })).flat()).toEqual(['a[x]d']);
      expect((await batchesOf(store, { prefix: 'a\\' })).flat()).toEqual(['a\\e']);
      expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
    } finally {
      await store.close();
    }
  });

  test('a key SCAN returns twice (as it may during a rehash) is yielded once', async () => {
    const lent = new Redis(server.url);
    const prefix = namespace();
    const store = createRedisSessionStore({ client: lent, keyPrefix: prefix });
    try {
      await store.set('one', '"1"', { ttlSeconds: 60 });
      await store.set('two', '"2"', { ttlSeconds: 60 });
      const scan = vi.spyOn(lent, 'scan');
      scan.mockResolvedValueOnce(['17', [`${prefix}one`, `${prefix}two`]]).mockResolvedValueOnce(['0', [`${prefix}two`, `${prefix}one`]]);
      expect(await batchesOf(store, { batchSize: 1 })).toEqual([['one'], ['two']]);
      expect(scan).toHaveBeenCalledTimes(2);
      expect(scan.mock.calls[1]?.slice(0, 7)).toEqual(['17', 'MATCH', `${prefix}*`, 'COUNT', 1, 'TYPE', 'hash']);
    } finally {
      await store.close();
      lent.disconnect();
    }
  });

  test('enumerate validates its options and skips non-hash keys such as the counter', async () => {
    const prefix = namespace();
    const store = createRedisSessionStore({ url: server.url, keyPrefix: prefix });
    try {
      await store.set('s', '"x"', { ttlSeconds: 60 });
      await inspector.set(`${prefix}plain-string`, 'x');
      expect((await batchesOf(store)).flat()).toEqual(['s']);
      for (const batchSize of [0, -1, 1.5, Number.NaN]) {
        const error = await captureError(() => batchesOf(store, { batchSize }));
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain("'batchSize'");
      }
      const badPrefix = await captureError(() => batchesOf(store, { prefix: 7 as unknown as string }));
      expect(badPrefix).toBeInstanceOf(TypeError);
      expect((badPrefix as Error).message).toContain("'prefix'");
    } finally {
      await store.close();
    }
  });

  test('after close every call rejects with SESSION_STORE_CLOSED; close is idempotent and waits for running calls', async () => {
    const store = createRedisSessionStore({ url: server.url, keyPrefix: namespace() });
    await store.set('s', '"x"', { ttlSeconds: 60 });
    const running = store.get('s');
    const closing = store.close();
    expect(store.close()).toBe(closing);
    await closing;
    expect((await running)?.value).toBe('"x"');
    const calls: (() => Promise<unknown>)[] = [
      () => store.get('s'),
      () => store.set('s', '"y"', { ttlSeconds: 60 }),
      () => store.compareAndSet('s', '"y"', { ttlSeconds: 60, expectedVersion: null }),
      () => store.delete('s'),
      () => batchesOf(store),
    ];
    for (const call of calls) {
      const error = await captureError(call);
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'SESSION_STORE_CLOSED', isRetryable: false });
      expect((error as Error).message).toMatch(/^Redis session store has been closed: \w+\(\) needs a new one\.$/);
    }
  });

  test('closing during an enumeration stops it after the current batch', async () => {
    const store = createRedisSessionStore({ url: server.url, keyPrefix: namespace() });
    await Promise.all(['a', 'b', 'c'].map((key) => store.set(key, '"x"', { ttlSeconds: 60 })));
    const iterator = store.enumerate({ batchSize: 1 })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(1);
    await store.close();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'SESSION_STORE_CLOSED' });
  });

  test('closing leaves a lent client open', async () => {
    const lent = new Redis(server.url);
    const store = createRedisSessionStore({ client: lent });
    await store.close();
    expect(await lent.ping()).toBe('PONG');
    lent.disconnect();
  });

  test('a server that is not there fails fast with the retryable SESSION_STORE_UNAVAILABLE', async () => {
    const port = await findFreePort();
    const store = createRedisSessionStore({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 500, maxRetriesPerRequest: 0 });
    try {
      const started = Date.now();
      const error = await captureError(() => store.get('s'));
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
      expect((error as Error).message).toMatch(/^Redis session store get\(\) failed: Redis is unreachable or not ready \(.+\)\. Retry later/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await store.close();
    }
  });

  test('a server that goes away mid-life turns every call into SESSION_STORE_UNAVAILABLE; close still resolves', async () => {
    const doomed = await startRedisServer();
    const store = createRedisSessionStore({ url: doomed.url, connectTimeoutMs: 500 });
    try {
      await store.set('s', '"x"', { ttlSeconds: 60 });
      await doomed.stop();
      for (const call of [() => store.get('s'), () => store.set('s', '"y"', { ttlSeconds: 60 }), () => store.delete('s'), () => batchesOf(store)]) {
        expect(await captureError(call)).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
      }
    } finally {
      await store.close();
    }
  });

  test('a command that outlives commandTimeoutMs fails with SESSION_STORE_UNAVAILABLE', async () => {
    const blocker = new Redis(server.url);
    const store = createRedisSessionStore({ url: server.url, commandTimeoutMs: 200 });
    try {
      await store.get('warm-up');
      // About half a second of busy Lua: the server answers nobody meanwhile.
      const busy = blocker.eval('local i = 0 while i < 50000000 do i = i + 1 end return i', 0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await captureError(() => store.get('s'))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
      await busy;
    } finally {
      await store.close();
      blocker.disconnect();
    }
  });
});

describe('RedisSessionStore options', () => {
  const configurationError = (input: unknown): ConfigurationError => configurationErrorOf(() => createRedisSessionStore(input as never));

  test('names the option at fault', () => {
    expect(configurationError({}).option).toBe('redis.url');
    expect(configurationError({}).message).toContain("give either 'url' or 'client'");
    expect(configurationError(undefined).option).toBe('redis');
    expect(configurationError({ url: 'http://localhost' }).option).toBe('redis.url');
    expect(configurationError({ url: server.url, client: inspector }).option).toBe('redis.client');
    expect(configurationError({ client: {} }).option).toBe('redis.client');
    expect(configurationError({ client: Object.assign(Object.create(inspector) as object, { isCluster: true }) }).option).toBe('redis.client');
    expect(configurationError({ client: inspector, connectTimeoutMs: 100 }).option).toBe('redis.connectTimeoutMs');
    expect(configurationError({ client: inspector, commandTimeoutMs: 100 }).option).toBe('redis.commandTimeoutMs');
    expect(configurationError({ client: inspector, maxRetriesPerRequest: 3 }).option).toBe('redis.maxRetriesPerRequest');
    expect(configurationError({ url: server.url, connectTimeoutMs: 0 }).option).toBe('redis.connectTimeoutMs');
    expect(configurationError({ url: server.url, keyPrefix: 7 }).option).toBe('redis.keyPrefix');
    expect(configurationError({ url: server.url, versionCounterKey: '' }).option).toBe('redis.versionCounterKey');
    expect(configurationError({ url: server.url, unknown: true }).option).toBe('redis');
  });

  test('never echoes the URL, which may carry a password', () => {
    const error = configurationError({ url: 'redis://user:hunter2@host:6379', client: inspector });
    expect(error.message).not.toContain('hunter2');
  });
});
