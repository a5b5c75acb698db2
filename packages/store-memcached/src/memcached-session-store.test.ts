import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { ConfigurationError, PaymigrateError, type SessionEntry, type SessionStoreV1 } from '@paymigrate/core';
import { captureError, configurationErrorOf, findFreePort, type MemcachedServer, sessionStoreContract, startMemcachedServer } from '@paymigrate/testkit';
import { Client, type Response } from 'memjs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { decodeEnvelope, encodeEnvelope, envelopeHeaderBytes, newVersion, sessionEnvelopeFlags } from './memcached-envelope.js';
import { SessionValueTooLargeError } from './memcached-errors.js';
import { MemcachedProtocol, MemcachedStatusError } from './memcached-protocol.js';
import { indexShardFlags } from './memcached-session-index.js';
import { createMemcachedSessionStore, maximumTtlSeconds, MemcachedSessionStore, memcachedExpiration } from './memcached-session-store.js';
import { defaultIndexKey } from './memcached-session-store-options.js';

const sleep = (seconds: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
const silent = { log: (): void => undefined };

let server: MemcachedServer;
/** A client of its own to look at (and meddle with) what the stores wrote. */
let inspectorClient: Client;
let inspector: MemcachedProtocol;

beforeAll(async () => {
  server = await startMemcachedServer({ memoryMegabytes: 256 });
  inspectorClient = Client.create(server.servers, { retries: 1, logger: silent });
  inspector = new MemcachedProtocol(inspectorClient);
});

afterAll(async () => {
  inspectorClient.close();
  await server?.stop();
});

describe('MemcachedSessionStore contract, on a client of its own', () => {
  sessionStoreContract({
    test,
    create: () => createMemcachedSessionStore({ servers: server.servers }),
    destroy: (store) => store.close(),
    options: { ttlWait: sleep },
  });
});

describe('MemcachedSessionStore contract, on a lent client with a key prefix and a small index', () => {
  let lent: Client;
  beforeAll(() => {
    lent = Client.create(server.servers, { logger: silent });
  });
  afterAll(() => lent.close());
  sessionStoreContract({
    test,
    create: () => createMemcachedSessionStore({ client: lent, keyPrefix: `lent:${randomUUID()}:`, indexShards: 4 }),
    destroy: (store) => store.close(),
    options: { ttlWait: sleep },
  });
});

/** Collects the batches `enumerate` yields. */
async function batchesOf(store: SessionStoreV1, options: { prefix?: string; batchSize?: number } = {}): Promise<(readonly string[])[]> {
  const batches: (readonly string[])[] = [];
  for await (const batch of store.enumerate(options)) batches.push(batch);
  return batches;
}

/** A key prefix no other case uses. */
const freshPrefix = (): string => `test:${randomUUID()}:`;

/** The keys recorded in an index shard, in order, duplicates included. */
async function shardRecords(prefix: string, shard = 0): Promise<string[] | undefined> {
  const item = await inspector.get(`${prefix}${defaultIndexKey}:${shard}`);
  if (item === undefined) return undefined;
  expect(item.flags).toBe(indexShardFlags);
  return item.value.toString('utf8').split('\n').slice(0, -1);
}

/** Writes an envelope as the store would, with a chosen expiry and memcached expiration. */
async function plant(storedKey: string, envelope: { version?: string; expiresAt: number; value: string }, expiration = 3_600): Promise<string> {
  const version = envelope.version ?? newVersion();
  const outcome = await inspector.store('set', storedKey, encodeEnvelope({ ...envelope, version }), { flags: sessionEnvelopeFlags, expiration });
  expect(outcome.stored).toBe(true);
  return version;
}

/** What an interceptor decides for one request. */
type Interception = 'pass' | 'lose-reply' | 'fail' | { readonly status: number };

/** A request as the interceptor sees it. */
interface InterceptedRequest {
  /** The binary-protocol command code ("opcode"). */
  readonly commandCode: number;
  readonly key: string;
  /** Whether the request carries a CAS token (a guarded write or delete). */
  readonly guarded: boolean;
}

const commandCode = { get: 0x00, set: 0x01, add: 0x02, replace: 0x03, delete: 0x04, append: 0x0e } as const;

/**
 * A memjs client whose requests pass through `decide` first. The real server still answers every
 * request that is sent; `decide` may first do something else (a competing write), or make the
 * client see a lost reply (the request ran), a failed connection (it did not) or a status.
 */
function interceptedClient(decide: (request: InterceptedRequest) => Interception | Promise<Interception>): Client {
  const client = Client.create(server.servers, { retries: 1, logger: silent });
  const perform = client.perform.bind(client);
  client.perform = (key, request, sequence, callback, retries) => {
    const intercepted = { commandCode: request.readUInt8(1), key, guarded: !request.subarray(16, 24).equals(Buffer.alloc(8)) };
    void (async () => {
      const decision = await decide(intercepted);
      if (decision === 'fail') {
        callback?.(new Error('injected: connection refused'), null);
      } else if (typeof decision === 'object') {
        const header = { magic: 0x81, opcode: intercepted.commandCode, keyLength: 0, extrasLength: 0, dataType: 0, status: decision.status, totalBodyLength: 0, opaque: sequence, cas: Buffer.alloc(8) };
        const response: Response = { header, key: Buffer.alloc(0), extras: Buffer.alloc(4), val: Buffer.alloc(0) };
        callback?.(null, response);
      } else {
        perform(
          key,
          request,
          sequence,
          (error, ...results) => {
            if (decision === 'lose-reply' && error === null) callback?.(new Error('injected: reply lost'), null);
            else callback?.(error, ...results);
          },
          retries,
        );
      }
    })();
  };
  return client;
}

describe('MemcachedSessionStore', () => {
  test('is a v1 store named memcached with a key index, whole-second TTLs and a value limit of maxItemBytes minus 1 KiB', async () => {
    const store = createMemcachedSessionStore({ servers: server.servers });
    const larger = createMemcachedSessionStore({ servers: server.servers, maxItemBytes: 2 * 1_048_576 });
    try {
      expect(store).toBeInstanceOf(MemcachedSessionStore);
      expect(store.specificationVersion).toBe('v1');
      expect(store.name).toBe('memcached');
      expect(store.capabilities).toEqual({ enumeration: 'index', ttlGranularity: 'seconds', maxValueBytes: 1_047_552 });
      expect(Object.isFrozen(store.capabilities)).toBe(true);
      expect(larger.capabilities.maxValueBytes).toBe(2 * 1_048_576 - 1_024);
    } finally {
      await Promise.all([store.close(), larger.close()]);
    }
  });

  test('stores an envelope: flags, format, a random 128-bit version and expiresAt, then the value as it is', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix });
    try {
      const first = await store.set('s', '{"cart":[]}', { ttlSeconds: 60 });
      const item = await inspector.get(`${prefix}s`);
      expect(item?.flags).toBe(sessionEnvelopeFlags);
      expect(item?.value.readUInt8(0)).toBe(1);
      expect(item?.value.subarray(envelopeHeaderBytes).toString('utf8')).toBe('{"cart":[]}');
      expect(decodeEnvelope(item?.value as Buffer, sessionEnvelopeFlags)).toEqual({ version: first.version, expiresAt: first.expiresAt, value: '{"cart":[]}' });
      expect(first.version).toMatch(/^[A-Za-z0-9_-]{22}$/);
      const versions = new Set([first.version]);
      for (let write = 0; write < 50; write += 1) versions.add((await store.set('s', '"x"', { ttlSeconds: 60 })).version);
      expect(versions.size).toBe(51);
      expect(decodeEnvelope(Buffer.alloc(envelopeHeaderBytes), 0)).toBeUndefined();
      expect(decodeEnvelope(Buffer.alloc(3), sessionEnvelopeFlags)).toBeUndefined();
      expect(decodeEnvelope(Buffer.alloc(envelopeHeaderBytes, 9), sessionEnvelopeFlags)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('TTLs above 30 days are sent as absolute Unix times, so the entry does not expire at once', async () => {
    expect(memcachedExpiration(60, 0)).toBe(61);
    expect(memcachedExpiration(2_591_999, 0)).toBe(2_592_000);
    expect(memcachedExpiration(2_592_000, 1_800_000_000_500)).toBe(1_800_000_002);
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: freshPrefix() });
    try {
      const thirtyOneDays = 31 * 24 * 60 * 60;
      const entry = await store.set('long', '"kept"', { ttlSeconds: thirtyOneDays });
      expect(entry.expiresAt).toBeGreaterThan(Date.now() + (thirtyOneDays - 60) * 1_000);
      expect(await store.get('long')).toEqual(entry);
      const longest = await store.set('longest', '"kept"', { ttlSeconds: maximumTtlSeconds });
      expect((await store.get('longest'))?.version).toBe(longest.version);
    } finally {
      await store.close();
    }
  });

  test('an entry memcached still holds after its expiresAt is absent for every operation, and compare-and-set with null overwrites it', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, indexShards: 1 });
    try {
      const past = Date.now() - 1_000;
      await store.set('held', '"placeholder"', { ttlSeconds: 60 });
      const heldVersion = await plant(`${prefix}held`, { expiresAt: past, value: '"stale"' });
      await store.set('gone', '"placeholder"', { ttlSeconds: 60 });
      await plant(`${prefix}gone`, { expiresAt: past, value: '"stale"' });
      expect(await store.get('held')).toBeUndefined();
      expect(await store.compareAndSet('held', '"x"', { ttlSeconds: 60, expectedVersion: heldVersion })).toEqual({ ok: false, current: undefined });
      expect((await batchesOf(store)).flat()).toEqual([]);
      expect(await shardRecords(prefix)).toEqual(['held', 'gone']);
      const created = await store.compareAndSet('held', '"fresh"', { ttlSeconds: 60, expectedVersion: null });
      expect(created.ok).toBe(true);
      expect((await store.get('held'))?.value).toBe('"fresh"');
      expect(await store.delete('gone')).toBe(false);
      expect(await inspector.get(`${prefix}gone`)).toBeUndefined();
      expect((await batchesOf(store)).flat()).toEqual(['held']);
      expect(await shardRecords(prefix)).toEqual(['held']);
    } finally {
      await store.close();
    }
  });

  test('the index records a key once when it is created, not on overwrites, and prunes deleted keys and duplicates when enumerating', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, indexShards: 1 });
    try {
      const first = await store.set('a', '"1"', { ttlSeconds: 60 });
      await store.set('a', '"2"', { ttlSeconds: 60 });
      await store.compareAndSet('a', '"3"', { ttlSeconds: 60, expectedVersion: (await store.get('a'))?.version ?? null });
      await store.compareAndSet('b', '"1"', { ttlSeconds: 60, expectedVersion: null });
      await store.set('c', '"1"', { ttlSeconds: 60 });
      expect(await shardRecords(prefix)).toEqual(['a', 'b', 'c']);
      expect(first.version).not.toBe((await store.get('a'))?.version);
      expect(await inspector.append(`${prefix}${defaultIndexKey}:0`, Buffer.from('a\nb\n'))).toBe(true);
      await store.delete('b');
      expect((await batchesOf(store, { prefix: 'b' })).flat()).toEqual([]);
      expect(await shardRecords(prefix)).toEqual(['a', 'c']);
      expect((await batchesOf(store)).flat().sort()).toEqual(['a', 'c']);
      await store.delete('a');
      await store.delete('c');
      expect(await batchesOf(store)).toEqual([]);
      expect(await shardRecords(prefix)).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test('keys spread over the index shards and every one is enumerated once', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, indexShards: 8 });
    try {
      const keys = Array.from({ length: 200 }, (_, position) => `k${position}`);
      await Promise.all(keys.map((key) => store.set(key, '"x"', { ttlSeconds: 60 })));
      const perShard = await Promise.all(Array.from({ length: 8 }, (_, shard) => shardRecords(prefix, shard)));
      expect(perShard.every((records) => records !== undefined && records.length > 5)).toBe(true);
      expect(perShard.flatMap((records) => records ?? []).sort()).toEqual([...keys].sort());
      const batches = await batchesOf(store, { batchSize: 7 });
      expect(batches.every((batch) => batch.length >= 1 && batch.length <= 7)).toBe(true);
      expect(batches.flat().sort()).toEqual([...keys].sort());
    } finally {
      await store.close();
    }
  });

  test('a value above maxValueBytes is refused, naming the key and the limit, with nothing written; one at the limit round-trips', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, indexShards: 1 });
    try {
      const limit = store.capabilities.maxValueBytes as number;
      const longKey = `cart:${'k'.repeat(250 - prefix.length - 5)}`;
      expect(Buffer.byteLength(prefix + longKey)).toBe(250);
      const atLimit = `"${'é'.repeat((limit - 2) / 2)}"`;
      expect(Buffer.byteLength(atLimit)).toBe(limit);
      const written = await store.set(longKey, atLimit, { ttlSeconds: 60 });
      expect((await store.get(longKey))?.value === atLimit).toBe(true);
      const tooLarge = `${atLimit} `;
      for (const write of [
        () => store.set(longKey, tooLarge, { ttlSeconds: 60 }),
        () => store.compareAndSet(longKey, tooLarge, { ttlSeconds: 60, expectedVersion: written.version }),
        () => store.set('fresh', tooLarge, { ttlSeconds: 60 }),
      ]) {
        const error = await captureError(write);
        expect(SessionValueTooLargeError.isInstance(error)).toBe(true);
        expect(PaymigrateError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ code: 'SESSION_VALUE_TOO_LARGE', isRetryable: false, valueBytes: limit + 1, maximumValueBytes: limit });
        expect((error as Error).message).toContain(`${limit + 1} bytes, above the ${limit}-byte limit`);
      }
      const refused = (await captureError(() => store.set('fresh', tooLarge, { ttlSeconds: 60 }))) as SessionValueTooLargeError;
      expect(refused.key).toBe('fresh');
      expect(refused.message).toContain("Session 'fresh'");
      expect(await store.get(longKey)).toEqual(written);
      expect(await store.get('fresh')).toBeUndefined();
      expect(await shardRecords(prefix)).toEqual([longKey]);
      expect(SessionValueTooLargeError.isInstance(new PaymigrateError('SESSION_VALUE_TOO_LARGE', 'x'))).toBe(false);
      expect(SessionValueTooLargeError.isInstance('SESSION_VALUE_TOO_LARGE')).toBe(false);
    } finally {
      await store.close();
    }
  });

  test('a maxItemBytes above the server\'s -I is refused at the first write with a ConfigurationError, before anything is written', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, maxItemBytes: 4 * 1_048_576 });
    try {
      expect(await store.get('s')).toBeUndefined();
      for (const write of [() => store.set('s', '"x"', { ttlSeconds: 60 }), () => store.compareAndSet('s', '"x"', { ttlSeconds: 60, expectedVersion: null })]) {
        const error = (await captureError(write)) as ConfigurationError;
        expect(ConfigurationError.isInstance(error)).toBe(true);
        expect(error.option).toBe('memcached.maxItemBytes');
        expect(error.message).toContain(`is 4194304, above the largest item memcached takes on ${server.servers} (item_size_max 1048576)`);
      }
      expect(await inspector.get(`${prefix}s`)).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('if the server still refuses a value as too large, the error is SessionValueTooLargeError naming the key', async () => {
    const prefix = freshPrefix();
    const client = interceptedClient((request) => (request.commandCode === commandCode.add ? { status: 0x0003 } : 'pass'));
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix });
    try {
      const error = (await captureError(() => store.set('s', '"x"', { ttlSeconds: 60 }))) as SessionValueTooLargeError;
      expect(SessionValueTooLargeError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ key: 's', valueBytes: 3, maximumValueBytes: 1_047_552 });
      expect(error.cause).toBeInstanceOf(MemcachedStatusError);
    } finally {
      await store.close();
      client.close();
    }
  });

  test('a server that accepts connections but never answers fails calls with SESSION_STORE_UNAVAILABLE instead of hanging', async () => {
    const accepted = new Set<Socket>();
    const blackHole = createServer((socket) => {
      accepted.add(socket);
      socket.resume();
    });
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', () => resolve()));
    const port = (blackHole.address() as { port: number }).port;
    const store = createMemcachedSessionStore({ servers: `127.0.0.1:${port}`, timeoutMs: 200, connectTimeoutMs: 200 });
    try {
      const started = Date.now();
      expect(await captureError(() => store.get('s'))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE' });
      expect(await captureError(() => store.set('s', '"x"', { ttlSeconds: 60 }))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE' });
      expect(await captureError(() => store.delete('s'))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await store.close();
      await new Promise<void>((resolve) => {
        blackHole.close(() => resolve());
        for (const socket of accepted) socket.destroy();
      });
    }
  });

  test('keys follow memcached rules: no spaces or control characters, at most 250 bytes, not inside the index namespace', async () => {
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: 'p:' });
    try {
      const calls = (key: string): (() => Promise<unknown>)[] => [
        () => store.get(key),
        () => store.set(key, '"x"', { ttlSeconds: 60 }),
        () => store.compareAndSet(key, '"x"', { ttlSeconds: 60, expectedVersion: null }),
        () => store.delete(key),
      ];
      for (const [key, problem] of [
        ['with space', 'without spaces or control characters'],
        ['line\nbreak', 'without spaces or control characters'],
        [7 as unknown as string, 'without spaces or control characters'],
        ['k'.repeat(249), "longer than memcached's 250 bytes"],
        [`${defaultIndexKey}:3`, 'names the key index'],
      ] as const) {
        for (const call of calls(key)) {
          const error = await captureError(call);
          expect(error).toBeInstanceOf(TypeError);
          expect((error as Error).message).toContain("'key'");
          expect((error as Error).message).toContain(problem);
        }
      }
      const badVersion = await captureError(() => store.compareAndSet('s', '"x"', { ttlSeconds: 60, expectedVersion: 1 as unknown as string }));
      expect(badVersion).toBeInstanceOf(TypeError);
      expect((badVersion as Error).message).toContain("'expectedVersion'");
      const tooLong = await captureError(() => store.set('s', '"x"', { ttlSeconds: maximumTtlSeconds + 1 }));
      expect((tooLong as Error).message).toContain("'ttlSeconds' must be a positive integer number of seconds up to");
    } finally {
      await store.close();
    }
  });

  test('an item this store did not write is SESSION_ENTRY_MALFORMED when read, and delete removes it', async () => {
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, indexShards: 1 });
    try {
      await store.set('foreign', '"placeholder"', { ttlSeconds: 60 });
      await inspector.store('set', `${prefix}foreign`, Buffer.from('raw bytes'), { flags: 0, expiration: 60 });
      for (const read of [() => store.get('foreign'), () => store.compareAndSet('foreign', '"x"', { ttlSeconds: 60, expectedVersion: null })]) {
        expect(await captureError(read)).toMatchObject({ code: 'SESSION_ENTRY_MALFORMED', isRetryable: false });
      }
      expect((await batchesOf(store)).flat()).toEqual([]);
      expect(await shardRecords(prefix)).toEqual(['foreign']);
      expect(await store.delete('foreign')).toBe(true);
      expect(await store.get('foreign')).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  test('10,000 sessions written at once are all enumerated, each exactly once', async () => {
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: freshPrefix(), timeoutMs: 5_000 });
    try {
      const keys = Array.from({ length: 10_000 }, (_, position) => `cart:${position}`);
      const started = performance.now();
      await Promise.all(keys.map((key) => store.set(key, JSON.stringify({ key, lines: [{ sku: 'A-1', quantity: 1 }] }), { ttlSeconds: 300 })));
      const seconds = (performance.now() - started) / 1_000;
      console.info(`memcached: 10,000 new sessions (add + index append) with Promise.all in ${(seconds * 1_000).toFixed(0)} ms (${Math.round(10_000 / seconds)} sets/s)`);
      const overwriteStarted = performance.now();
      await Promise.all(keys.map((key) => store.set(key, JSON.stringify({ key, lines: [] }), { ttlSeconds: 300 })));
      const overwriteSeconds = (performance.now() - overwriteStarted) / 1_000;
      console.info(`memcached: 10,000 overwrites (add refused + replace) in ${(overwriteSeconds * 1_000).toFixed(0)} ms (${Math.round(10_000 / overwriteSeconds)} sets/s)`);
      await store.set('other:1', '"outside the prefix"', { ttlSeconds: 300 });
      const enumerationStarted = performance.now();
      const batches = await batchesOf(store, { prefix: 'cart:', batchSize: 500 });
      console.info(`memcached: enumerated 10,000 keys in ${(performance.now() - enumerationStarted).toFixed(0)} ms`);
      expect(batches.every((batch) => batch.length > 0 && batch.length <= 500 && Object.isFrozen(batch))).toBe(true);
      const found = batches.flat();
      expect(found).toHaveLength(10_000);
      expect(new Set(found).size).toBe(10_000);
      expect([...found].sort()).toEqual([...keys].sort());
    } finally {
      await store.close();
    }
  });

  test('enumerate validates its options', async () => {
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: freshPrefix() });
    try {
      for (const batchSize of [0, -2, 2.5]) {
        const error = await captureError(() => batchesOf(store, { batchSize }));
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain("'batchSize'");
      }
      const error = await captureError(() => batchesOf(store, { prefix: 3 as unknown as string }));
      expect((error as Error).message).toContain("'prefix'");
    } finally {
      await store.close();
    }
  });

  test('after close every call rejects with SESSION_STORE_CLOSED; close is idempotent and waits for running calls', async () => {
    const store = createMemcachedSessionStore({ servers: server.servers, keyPrefix: freshPrefix() });
    await store.set('s', '"x"', { ttlSeconds: 60 });
    const running = store.set('t', '"y"', { ttlSeconds: 60 });
    const closing = store.close();
    expect(store.close()).toBe(closing);
    await closing;
    expect((await running).value).toBe('"y"');
    for (const call of [
      () => store.get('s'),
      () => store.set('s', '"y"', { ttlSeconds: 60 }),
      () => store.compareAndSet('s', '"y"', { ttlSeconds: 60, expectedVersion: null }),
      () => store.delete('s'),
      () => batchesOf(store),
    ]) {
      const error = await captureError(call);
      expect(PaymigrateError.isInstance(error)).toBe(true);
      expect(error).toMatchObject({ code: 'SESSION_STORE_CLOSED', isRetryable: false });
    }
  });

  test('closing during an enumeration stops it after the current batch; a lent client stays open', async () => {
    const lent = Client.create(server.servers, { logger: silent });
    const store = createMemcachedSessionStore({ client: lent, keyPrefix: freshPrefix(), indexShards: 1 });
    await Promise.all(['a', 'b', 'c'].map((key) => store.set(key, '"x"', { ttlSeconds: 60 })));
    const iterator = store.enumerate({ batchSize: 1 })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toHaveLength(1);
    await store.close();
    await expect(iterator.next()).rejects.toMatchObject({ code: 'SESSION_STORE_CLOSED' });
    expect((await new MemcachedProtocol(lent).store('set', `probe:${randomUUID()}`, Buffer.from('1'), { flags: 0, expiration: 5 })).stored).toBe(true);
    lent.close();
  });

  test('a server that is not there fails every call with the retryable SESSION_STORE_UNAVAILABLE', async () => {
    const port = await findFreePort();
    const store = createMemcachedSessionStore({ servers: `127.0.0.1:${port}`, connectTimeoutMs: 300, timeoutMs: 300 });
    try {
      const started = Date.now();
      for (const call of [() => store.get('s'), () => store.set('s', '"x"', { ttlSeconds: 60 }), () => store.delete('s'), () => batchesOf(store)]) {
        const error = await captureError(call);
        expect(PaymigrateError.isInstance(error)).toBe(true);
        expect(error).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
        expect((error as Error).message).toMatch(/^Memcached session store \w+\(\) failed: memcached is unreachable or overloaded \(.+\)\. Retry later/);
      }
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await store.close();
    }
  });

  test('a server that goes away mid-life turns calls into SESSION_STORE_UNAVAILABLE', async () => {
    const doomed = await startMemcachedServer({ memoryMegabytes: 16 });
    const store = createMemcachedSessionStore({ servers: doomed.servers, connectTimeoutMs: 300, timeoutMs: 300, maxAttempts: 1 });
    try {
      await store.set('s', '"x"', { ttlSeconds: 60 });
      await doomed.stop();
      expect(await captureError(() => store.get('s'))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
      expect(await captureError(() => store.compareAndSet('s', '"y"', { ttlSeconds: 60, expectedVersion: null }))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE' });
    } finally {
      await store.close();
    }
  });
});

describe('MemcachedSessionStore under injected failures and races', () => {
  test('a request whose connection failed is sent again, and fails for good after maxAttempts', async () => {
    let failures = 0;
    const client = interceptedClient((request) => (request.commandCode === commandCode.get && failures++ < 1 ? 'fail' : 'pass'));
    const store = createMemcachedSessionStore({ client, keyPrefix: freshPrefix() });
    const once = createMemcachedSessionStore({ client: interceptedClient(() => 'fail'), maxAttempts: 1 });
    try {
      expect(await store.get('s')).toBeUndefined();
      expect(failures).toBe(2);
      expect(await captureError(() => once.get('s'))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', message: expect.stringContaining('injected: connection refused') });
    } finally {
      await Promise.all([store.close(), once.close()]);
      client.close();
    }
  });

  test('an add, replace, guarded write or delete whose reply was lost counts as done when repeated', async () => {
    const prefix = freshPrefix();
    let lose: { commandCode: number; guarded: boolean } | undefined;
    const client = interceptedClient((request) => {
      if (lose !== undefined && request.commandCode === lose.commandCode && request.guarded === lose.guarded) {
        lose = undefined;
        return 'lose-reply';
      }
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix, indexShards: 1 });
    try {
      lose = { commandCode: commandCode.add, guarded: false };
      const created = await store.set('a', '"1"', { ttlSeconds: 60 });
      expect(lose).toBeUndefined();
      expect(await store.get('a')).toEqual(created);
      expect(await shardRecords(prefix)).toEqual(['a']);

      lose = { commandCode: commandCode.add, guarded: false };
      const createdIfAbsent = await store.compareAndSet('b', '"1"', { ttlSeconds: 60, expectedVersion: null });
      expect(createdIfAbsent.ok).toBe(true);
      expect(await shardRecords(prefix)).toEqual(['a', 'b']);

      lose = { commandCode: commandCode.replace, guarded: false };
      const replaced = await store.set('a', '"2"', { ttlSeconds: 60 });
      expect(await store.get('a')).toEqual(replaced);

      lose = { commandCode: commandCode.set, guarded: true };
      const swapped = await store.compareAndSet('a', '"3"', { ttlSeconds: 60, expectedVersion: replaced.version });
      expect(swapped.ok).toBe(true);

      lose = { commandCode: commandCode.delete, guarded: true };
      expect(await store.delete('a')).toBe(true);
      expect(await store.get('a')).toBeUndefined();
    } finally {
      await store.close();
      client.close();
    }
  });

  test('a lost reply, then another writer before the repeat: the repeat fails and the current entry is reported', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}a`;
    const other = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix, indexShards: 1 });
    let guardedWrites = 0;
    let theirs: SessionEntry | undefined;
    const client = interceptedClient(async (request): Promise<Interception> => {
      if (request.key !== target || request.commandCode !== commandCode.set || !request.guarded) return 'pass';
      guardedWrites += 1;
      if (guardedWrites === 1) return 'lose-reply';
      theirs = await other.set('a', '"theirs"', { ttlSeconds: 60 });
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix, indexShards: 1 });
    try {
      const start = await store.set('a', '"1"', { ttlSeconds: 60 });
      expect(await store.compareAndSet('a', '"mine"', { ttlSeconds: 60, expectedVersion: start.version })).toEqual({ ok: false, current: theirs });
      expect(guardedWrites).toBe(2);
    } finally {
      await Promise.all([store.close(), other.close()]);
      client.close();
    }
  });

  test('set keeps going when the key vanishes between add and replace, and finally writes unconditionally', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}churn`;
    const client = interceptedClient(async (request): Promise<Interception> => {
      if (request.key === target && request.commandCode === commandCode.add) {
        await inspector.store('set', target, encodeEnvelope({ version: newVersion(), expiresAt: Date.now() + 60_000, value: '"theirs"' }), { flags: sessionEnvelopeFlags, expiration: 60 });
      }
      if (request.key === target && request.commandCode === commandCode.replace) await inspector.delete(target);
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix, indexShards: 1 });
    try {
      const entry = await store.set('churn', '"mine"', { ttlSeconds: 60 });
      expect(await store.get('churn')).toEqual(entry);
      expect(await shardRecords(prefix)).toEqual(['churn']);
    } finally {
      await store.close();
      client.close();
    }
  });

  test('compare-and-set with null gives up with the retryable SESSION_STORE_CONTENDED when the key keeps appearing and vanishing', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}churn`;
    const client = interceptedClient(async (request): Promise<Interception> => {
      if (request.key === target && request.commandCode === commandCode.add) {
        await inspector.store('set', target, encodeEnvelope({ version: newVersion(), expiresAt: Date.now() + 60_000, value: '"theirs"' }), { flags: sessionEnvelopeFlags, expiration: 60 });
      }
      if (request.key === target && request.commandCode === commandCode.get) await inspector.delete(target);
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix });
    try {
      expect(await captureError(() => store.compareAndSet('churn', '"mine"', { ttlSeconds: 60, expectedVersion: null }))).toMatchObject({
        code: 'SESSION_STORE_CONTENDED',
        isRetryable: true,
      });
    } finally {
      await store.close();
      client.close();
    }
  });

  test('compare-and-set with null over an expired entry reports the entry someone wrote in between', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}held`;
    let theirs: SessionEntry | undefined;
    const other = createMemcachedSessionStore({ servers: server.servers, keyPrefix: prefix });
    const client = interceptedClient(async (request): Promise<Interception> => {
      if (request.key === target && request.commandCode === commandCode.set && request.guarded && theirs === undefined) {
        theirs = await other.set('held', '"theirs"', { ttlSeconds: 60 });
      }
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix });
    try {
      await plant(target, { expiresAt: Date.now() - 1_000, value: '"stale"' });
      expect(await store.compareAndSet('held', '"mine"', { ttlSeconds: 60, expectedVersion: null })).toEqual({ ok: false, current: theirs });
    } finally {
      await Promise.all([store.close(), other.close()]);
      client.close();
    }
  });

  test('compare-and-set with a version reports the key gone when it was deleted between the read and the write', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}s`;
    let armed = false;
    const client = interceptedClient(async (request): Promise<Interception> => {
      if (armed && request.key === target && request.commandCode === commandCode.set && request.guarded) {
        armed = false;
        await inspector.delete(target);
      }
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix });
    try {
      const start = await store.set('s', '"1"', { ttlSeconds: 60 });
      armed = true;
      expect(await store.compareAndSet('s', '"2"', { ttlSeconds: 60, expectedVersion: start.version })).toEqual({ ok: false, current: undefined });
    } finally {
      await store.close();
      client.close();
    }
  });

  test('delete retries while the entry keeps changing, finally deletes unconditionally, and reports a concurrent delete as false', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}s`;
    let mode: 'change' | 'vanish' | 'none' = 'none';
    const client = interceptedClient(async (request): Promise<Interception> => {
      if (request.key === target && request.commandCode === commandCode.delete && request.guarded) {
        if (mode === 'change') await plant(target, { expiresAt: Date.now() + 60_000, value: '"changed"' });
        if (mode === 'vanish') await inspector.delete(target);
      }
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix });
    try {
      await store.set('s', '"1"', { ttlSeconds: 60 });
      mode = 'change';
      expect(await store.delete('s')).toBe(true);
      expect(await inspector.get(target)).toBeUndefined();
      mode = 'vanish';
      await store.set('s', '"2"', { ttlSeconds: 60 });
      expect(await store.delete('s')).toBe(false);
    } finally {
      await store.close();
      client.close();
    }
  });

  test('a full index shard is compacted; when still full the write fails with SESSION_INDEX_FULL and the created item is taken back', async () => {
    const small = await startMemcachedServer({ maxItemBytes: 8_192, memoryMegabytes: 8 });
    const prefix = 'full:';
    const store = createMemcachedSessionStore({ servers: small.servers, keyPrefix: prefix, indexShards: 1, maxItemBytes: 8_192 });
    const smallInspector = Client.create(small.servers, { logger: silent });
    try {
      const key = (position: number): string => `${String(position).padStart(4, '0')}:${'k'.repeat(180)}`;
      let written = 0;
      for (;;) {
        const error = await captureError(() => store.set(key(written), '"x"', { ttlSeconds: 60 })).catch(() => undefined);
        if (error !== undefined) {
          expect(error).toMatchObject({ code: 'SESSION_INDEX_FULL', isRetryable: false });
          expect((error as Error).message).toContain(`'${prefix}${defaultIndexKey}:0'`);
          break;
        }
        written += 1;
      }
      expect(written).toBeGreaterThan(20);
      expect(await store.get(key(written))).toBeUndefined();
      expect((await store.set(key(0), '"overwrite needs no record"', { ttlSeconds: 60 })).value).toBe('"overwrite needs no record"');
      await store.delete(key(1));
      await new MemcachedProtocol(smallInspector).delete(`${prefix}${key(2)}`);
      const created = await store.set(key(written), '"fits after compaction"', { ttlSeconds: 60 });
      expect(await store.get(key(written))).toEqual(created);
      const listed = (await batchesOf(store)).flat();
      expect(listed).toHaveLength(written - 1);
      expect(listed).toContain(key(written));
      expect(listed).not.toContain(key(1));
    } finally {
      smallInspector.close();
      await store.close();
      await small.stop();
    }
  }, 60_000);

  test('a failure while recording the key takes the created item back and rethrows', async () => {
    const prefix = freshPrefix();
    const target = `${prefix}s`;
    let failIndex = true;
    let failCleanup = false;
    const client = interceptedClient((request) => {
      if (request.commandCode === commandCode.append && failIndex) return 'fail';
      if (failCleanup && request.key === target && request.commandCode === commandCode.get) return 'fail';
      return 'pass';
    });
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix, maxAttempts: 1 });
    try {
      expect(await captureError(() => store.set('s', '"1"', { ttlSeconds: 60 }))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE' });
      expect(await inspector.get(target)).toBeUndefined();
      failCleanup = true;
      expect(await captureError(() => store.compareAndSet('s', '"1"', { ttlSeconds: 60, expectedVersion: null }))).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE' });
      expect(await inspector.get(target)).toBeDefined();
      failIndex = false;
      failCleanup = false;
    } finally {
      await store.close();
      client.close();
    }
  });

  test('unexpected statuses: transient ones are SESSION_STORE_UNAVAILABLE, others SESSION_STORE_COMMAND_FAILED', async () => {
    let status: number | undefined;
    let only: number | undefined;
    const client = interceptedClient((request) => (status !== undefined && (only === undefined || request.commandCode === only) ? { status } : 'pass'));
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ client, keyPrefix: prefix, indexShards: 1 });
    try {
      await store.set('s', '"1"', { ttlSeconds: 60 });
      const calls: [number | undefined, () => Promise<unknown>][] = [
        [commandCode.get, () => store.get('s')],
        [commandCode.add, () => store.set('t', '"1"', { ttlSeconds: 60 })],
        [commandCode.delete, () => store.delete('s')],
        [commandCode.append, () => store.set('u', '"1"', { ttlSeconds: 60 })],
      ];
      for (const [operation, call] of calls) {
        only = operation;
        status = 0x0084;
        const failed = await captureError(call);
        expect(failed).toMatchObject({ code: 'SESSION_STORE_COMMAND_FAILED', isRetryable: false });
        expect((failed as Error).message).toContain('answered status 0x0084');
        status = 0x0082;
        expect(await captureError(call)).toMatchObject({ code: 'SESSION_STORE_UNAVAILABLE', isRetryable: true });
      }
      only = undefined;
      status = 0x0003;
      expect(await captureError(() => batchesOf(store))).toMatchObject({ code: 'SESSION_STORE_COMMAND_FAILED' });
      status = undefined;
    } finally {
      await store.close();
      client.close();
    }
  });
});

describe('MemcachedSessionStore options', () => {
  const configurationError = (input: unknown): ConfigurationError => configurationErrorOf(() => createMemcachedSessionStore(input as never));

  test('names the option at fault', () => {
    expect(configurationError({}).option).toBe('memcached.servers');
    expect(configurationError(undefined).option).toBe('memcached');
    expect(configurationError({ servers: 'a b' }).option).toBe('memcached.servers');
    expect(configurationError({ servers: server.servers, client: inspectorClient }).option).toBe('memcached.client');
    expect(configurationError({ client: {} }).option).toBe('memcached.client');
    expect(configurationError({ client: inspectorClient, timeoutMs: 10 }).option).toBe('memcached.timeoutMs');
    expect(configurationError({ client: inspectorClient, connectTimeoutMs: 10 }).option).toBe('memcached.connectTimeoutMs');
    expect(configurationError({ servers: server.servers, keyPrefix: 'has space' }).option).toBe('memcached.keyPrefix');
    expect(configurationError({ servers: server.servers, indexKey: '' }).option).toBe('memcached.indexKey');
    expect(configurationError({ servers: server.servers, indexKey: 'k'.repeat(250) }).option).toBe('memcached.indexKey');
    expect(configurationError({ servers: server.servers, indexShards: 0 }).option).toBe('memcached.indexShards');
    expect(configurationError({ servers: server.servers, maxItemBytes: 1_000 }).option).toBe('memcached.maxItemBytes');
    expect(configurationError({ servers: server.servers, maxAttempts: 0 }).option).toBe('memcached.maxAttempts');
    expect(configurationError({ servers: server.servers, other: 1 }).option).toBe('memcached');
  });

  test('spreads sessions and index shards over several servers, and enumerates them all', async () => {
    const second = await startMemcachedServer({ memoryMegabytes: 16 });
    const prefix = freshPrefix();
    const store = createMemcachedSessionStore({ servers: `${server.servers},${second.servers}`, keyPrefix: prefix, indexShards: 8 });
    const secondClient = Client.create(second.servers, { logger: silent });
    const secondInspector = new MemcachedProtocol(secondClient);
    try {
      const keys = Array.from({ length: 100 }, (_, position) => `s${position}`);
      await Promise.all(keys.map((key) => store.set(key, '"x"', { ttlSeconds: 60 })));
      const onSecond = await Promise.all(keys.map(async (key) => (await secondInspector.get(`${prefix}${key}`)) !== undefined));
      expect(onSecond.filter(Boolean).length).toBeGreaterThan(10);
      expect(onSecond.filter((held) => !held).length).toBeGreaterThan(10);
      expect((await batchesOf(store)).flat().sort()).toEqual([...keys].sort());
    } finally {
      secondClient.close();
      await store.close();
      await second.stop();
    }
  });

  test('accepts a lent client', async () => {
    const lent = createMemcachedSessionStore({ client: inspectorClient, keyPrefix: 'ok:' });
    await lent.close();
  });
});

describe('MemcachedProtocol', () => {
  test('reports appends to absent items and guarded deletes of changed items', async () => {
    const key = `protocol:${randomUUID()}`;
    expect(await inspector.append(key, Buffer.from('x'))).toBe(false);
    const stored = await inspector.store('set', key, Buffer.from('v'), { flags: 7, expiration: 60 });
    expect(stored.stored).toBe(true);
    expect(await inspector.store('add', key, Buffer.from('v'), { flags: 7, expiration: 60 })).toEqual({ stored: false, reason: 'exists' });
    expect(await inspector.store('replace', `${key}:absent`, Buffer.from('v'), { flags: 7, expiration: 60 })).toEqual({ stored: false, reason: 'not-found' });
    expect(await inspector.delete(key, Buffer.from([0, 0, 0, 0, 0, 0, 0, 1]))).toBe('changed');
    expect((await inspector.get(key))?.flags).toBe(7);
    expect(await inspector.delete(key)).toBe('deleted');
    expect(await inspector.delete(key)).toBe('not-found');
  });
});

/**
 * A loopback server speaking just enough of the binary protocol to answer each request with
 * `answer` (a response buffer, or nothing), for the failures a real memcached rarely produces.
 */
async function withFakeMemcached(
  answer: (request: { readonly opcode: number; readonly opaque: number }, socket: Socket) => Buffer | undefined,
  body: (protocol: MemcachedProtocol) => Promise<void>,
): Promise<void> {
  const sockets = new Set<Socket>();
  const fake = createServer((socket) => {
    sockets.add(socket);
    let pending = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
        const request = { opcode: pending.readUInt8(1), opaque: pending.readUInt32BE(12) };
        pending = pending.subarray(24 + pending.readUInt32BE(8));
        const response = answer(request, socket);
        if (response !== undefined && !socket.destroyed) socket.write(response);
      }
    });
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', () => resolve()));
  const client = Client.create(`127.0.0.1:${(fake.address() as { port: number }).port}`, { retries: 1, timeout: 1, logger: silent });
  try {
    await body(new MemcachedProtocol(client, 300));
  } finally {
    client.close();
    await new Promise<void>((resolve) => {
      fake.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  }
}

/** A binary-protocol response header (no body) for `opcode`, `status` and `opaque`. */
function responseHeader(opcode: number, status: number, opaque: number, bodyLength = 0): Buffer {
  const header = Buffer.alloc(24);
  header.writeUInt8(0x81, 0);
  header.writeUInt8(opcode, 1);
  header.writeUInt16BE(status, 6);
  header.writeUInt32BE(bodyLength, 8);
  header.writeUInt32BE(opaque, 12);
  return header;
}

describe('MemcachedProtocol.getMany (multi-get)', () => {
  test('answers hits by key, leaves misses out, and asks for a repeated key once', async () => {
    const key = `multi:${randomUUID()}`;
    await inspector.store('set', key, Buffer.from('value'), { flags: 9, expiration: 60 });
    const items = await inspector.getMany([key, `${key}:absent`, key]);
    expect([...items.keys()]).toStrictEqual([key]);
    expect(items.get(key)).toMatchObject({ value: Buffer.from('value'), flags: 9 });
    expect(await inspector.getMany([])).toStrictEqual(new Map());
  });

  test('rejects with the status a quiet get answered other than a miss, after the closing no-op', async () => {
    await withFakeMemcached(
      ({ opcode, opaque }) => {
        const noop = 0x0a;
        if (opcode === noop) return responseHeader(noop, 0, opaque);
        const busyMessage = Buffer.from('busy');
        return Buffer.concat([responseHeader(opcode, 0x0085, opaque, busyMessage.length), busyMessage]);
      },
      async (protocol) => {
        const error = await captureError(() => protocol.getMany(['a', 'b']));
        expect(error).toBeInstanceOf(MemcachedStatusError);
        expect((error as MemcachedStatusError).status).toBe(0x0085);
      },
    );
  });

  test('rejects when the connection drops, and when no answer comes before the deadline', async () => {
    await withFakeMemcached(
      (_request, socket) => {
        socket.destroy();
        return undefined;
      },
      async (protocol) => {
        expect(await captureError(() => protocol.getMany(['a']))).toBeInstanceOf(Error);
      },
    );
    await withFakeMemcached(
      () => undefined,
      async (protocol) => {
        const error = await captureError(() => protocol.getMany(['a', 'b', 'c']));
        expect((error as Error).message).toMatch(/no reply to 3 gets within 300 ms/);
      },
    );
  });

  test('rejects when the client has no server for a key (every server failed over)', async () => {
    // memjs answers null from server(key) when failover has marked every server down (its types say undefined).
    for (const none of [null, undefined]) {
      const failedOver = { server: () => none } as unknown as Client;
      expect(((await captureError(() => new MemcachedProtocol(failedOver).getMany(['a']))) as Error).message).toBe('No servers available');
    }
  });
});
