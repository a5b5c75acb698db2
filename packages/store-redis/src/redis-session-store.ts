import {
  assertDistinctKeys,
  PaymigrateError,
  type SessionCompareAndSetRequest,
  type SessionCompareAndSetResult,
  type SessionEntry,
  type SessionStoreCapabilities,
  type SessionStoreV1,
  type SessionWriteOptions,
} from '@paymigrate/core';
import type { Redis } from 'ioredis';
import { closeRedisConnection, openRedisConnection } from './redis-connection.js';
import { redisClosedError, translateRedisError } from './redis-errors.js';
import { type CompareAndSetReply, defineSessionScripts, type SessionScriptCommands, sessionFields } from './redis-session-scripts.js';
import { parseRedisSessionStoreOptions, type RedisSessionStoreOptions } from './redis-session-store-options.js';

/** The default number of keys per `enumerate` batch (also the `SCAN COUNT` hint). */
const defaultBatchSize = 100;

/**
 * Most sessions one batch script touches: a larger `getMany` or `compareAndSetMany` is sent as
 * several scripts (pipelined by ioredis), so no single script blocks the server for long.
 */
export const maximumKeysPerScript = 1_000;

/**
 * The longest TTL accepted, in seconds (ten years). Sessions never live that long; the bound keeps
 * `ttlSeconds * 1000` and the expiry instant exact integers.
 */
export const maximumTtlSeconds = 315_360_000;

/**
 * A `SessionStoreV1` on Redis (standalone or Sentinel, 6.0 or later), through ioredis.
 *
 * Layout: one hash per session (`value`, `version`, `expiresAt`) at `keyPrefix + key`, expiring at
 * `expiresAt` (`PEXPIREAT`), so `get` is one `HMGET` round trip and returns exactly the expiry
 * `set` returned. Versions are the decimal strings of one global counter (`INCR` on
 * `versionCounterKey`), so a version is never reused, not even for a deleted and re-created key.
 * `set` and `compareAndSet` are Lua scripts (EVALSHA via `defineCommand`): each is atomic on the
 * server. The expiry is stamped from the server's clock (`TIME`), milliseconds precise.
 *
 * `enumerate` walks `SCAN MATCH <prefix>* COUNT <batchSize> TYPE hash` (glob characters in the
 * prefix are escaped; the counter, a string, is never yielded) and de-duplicates within one
 * enumeration, so each key is yielded once even when `SCAN` returns it twice during a rehash.
 *
 * Not for Redis Cluster: a script touches the session and the counter, which live in different
 * slots.
 *
 * Errors: a transport failure or a transient reply (`LOADING`, `BUSY`, `OOM`...) rejects with the
 * retryable `SESSION_STORE_UNAVAILABLE`; other server refusals with `SESSION_STORE_COMMAND_FAILED`;
 * a key holding a hash this store did not write with `SESSION_ENTRY_MALFORMED`; any call after
 * `close()` with `SESSION_STORE_CLOSED`.
 */
export class RedisSessionStore implements SessionStoreV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Store name. */
  readonly name = 'redis';

  /** Native `SCAN`, TTLs to the millisecond, no practical value limit (Redis takes up to 512 MB). */
  readonly capabilities: SessionStoreCapabilities = Object.freeze({ enumeration: 'scan', ttlGranularity: 'milliseconds' });

  readonly #client: Redis & SessionScriptCommands;
  readonly #ownsClient: boolean;
  readonly #keyPrefix: string;
  /** What `SCAN` sees in front of a session key: the client's own ioredis `keyPrefix`, then ours. */
  readonly #scanPrefix: string;
  /** The counter's name as commands take it (ioredis adds the client's prefix itself). */
  readonly #counterKey: string;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * @param options See `RedisSessionStoreOptions`.
   * @throws ConfigurationError naming the invalid option.
   */
  constructor(options: RedisSessionStoreOptions) {
    const resolved = parseRedisSessionStoreOptions(options);
    const { url, client } = resolved.connection;
    this.#ownsClient = client === undefined;
    this.#client = defineSessionScripts(client ?? openRedisConnection({ ...resolved.connection, url: url as string }));
    this.#keyPrefix = resolved.keyPrefix;
    this.#scanPrefix = `${this.#client.options.keyPrefix ?? ''}${resolved.keyPrefix}`;
    this.#counterKey = `${resolved.keyPrefix}${resolved.versionCounterKey}`;
  }

  /** Reads an entry in one round trip (`HMGET`); `undefined` when absent or expired. */
  async get(key: string): Promise<SessionEntry | undefined> {
    this.#assertOpen('get');
    const [value, version, expiresAt] = await this.#run('get', () => this.#client.hmget(this.#keyPrefix + key, ...sessionFields));
    if (value === null || value === undefined) return undefined;
    return this.#entry(key, value, version, expiresAt);
  }

  /**
   * Writes unconditionally (replacing whatever the key held) with a new version; the entry expires
   * `ttlSeconds` from now on the server's clock.
   * @throws TypeError when `ttlSeconds` is not a positive integer up to ten years, or `key` is the version counter's.
   */
  async set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    this.#assertOpen('set');
    this.#assertWritable('set', key, options.ttlSeconds);
    const [version, expiresAt] = await this.#run('set', () =>
      this.#client.paymigrateSessionSetV1(this.#keyPrefix + key, this.#counterKey, value, options.ttlSeconds * 1_000),
    );
    return Object.freeze({ key, value, version, expiresAt: Number(expiresAt) });
  }

  /**
   * Writes only if the live entry's version is `expectedVersion` (`null`: only if there is no live
   * entry), atomically in one script.
   * @throws TypeError when `ttlSeconds` is not a positive integer up to ten years, `expectedVersion`
   *   is neither a string nor `null`, or `key` is the version counter's.
   */
  async compareAndSet(
    key: string,
    value: string,
    options: SessionWriteOptions & { readonly expectedVersion: string | null },
  ): Promise<SessionCompareAndSetResult> {
    this.#assertOpen('compareAndSet');
    this.#assertWritable('compareAndSet', key, options.ttlSeconds);
    const { expectedVersion } = options;
    assertExpectedVersion(expectedVersion);
    const reply: CompareAndSetReply = await this.#run('compareAndSet', () =>
      this.#client.paymigrateSessionCompareAndSetV1(
        this.#keyPrefix + key,
        this.#counterKey,
        value,
        options.ttlSeconds * 1_000,
        expectedVersion === null ? 'absent' : 'version',
        expectedVersion ?? '',
      ),
    );
    return this.#compareAndSetResult(key, value, reply);
  }

  /**
   * Reads many entries in one round trip: one read-only script per `maximumKeysPerScript` keys,
   * all sent at once. One slot per key, in order, each what `get` would answer.
   * @throws PaymigrateError `SESSION_ENTRY_MALFORMED` (for the whole batch) when a key holds a hash this store did not write.
   */
  async getMany(keys: readonly string[]): Promise<readonly (SessionEntry | undefined)[]> {
    this.#assertOpen('getMany');
    const chunks = chunksOf(keys, maximumKeysPerScript);
    const replies = await this.#run('getMany', () =>
      Promise.all(chunks.map((chunk) => this.#client.paymigrateSessionGetManyV1(chunk.length, ...chunk.map((key) => this.#keyPrefix + key)))),
    );
    const entries: (SessionEntry | undefined)[] = [];
    chunks.forEach((chunk, chunkIndex) => {
      const reply = replies[chunkIndex] as (string | null)[];
      chunk.forEach((key, position) => {
        const value = reply[position * 3];
        entries.push(value === null || value === undefined ? undefined : this.#entry(key, value, reply[position * 3 + 1], reply[position * 3 + 2]));
      });
    });
    return Object.freeze(entries);
  }

  /**
   * Applies many compare-and-sets in one round trip: one atomic script per `maximumKeysPerScript`
   * requests (each request compared and written exactly as `compareAndSet` does), all sent at once.
   * One result per request, in order.
   * @throws TypeError, writing nothing, when a key repeats or a request is invalid as `compareAndSet` would reject it.
   */
  async compareAndSetMany(requests: readonly SessionCompareAndSetRequest[]): Promise<readonly SessionCompareAndSetResult[]> {
    this.#assertOpen('compareAndSetMany');
    assertDistinctKeys(requests);
    for (const request of requests) {
      this.#assertWritable('compareAndSetMany', request.key, request.ttlSeconds);
      assertExpectedVersion(request.expectedVersion);
    }
    const chunks = chunksOf(requests, maximumKeysPerScript);
    const replies = await this.#run('compareAndSetMany', () =>
      Promise.all(
        chunks.map((chunk) =>
          this.#client.paymigrateSessionCompareAndSetManyV1(
            chunk.length + 1,
            this.#counterKey,
            ...chunk.map((request) => this.#keyPrefix + request.key),
            ...chunk.flatMap((request) => [
              request.value,
              request.ttlSeconds * 1_000,
              request.expectedVersion === null ? 'absent' : 'version',
              request.expectedVersion ?? '',
            ]),
          ),
        ),
      ),
    );
    const results: SessionCompareAndSetResult[] = [];
    chunks.forEach((chunk, chunkIndex) => {
      const reply = replies[chunkIndex] as (string | number | null)[];
      chunk.forEach((request, position) => {
        const [written, currentValue, version, expiresAt] = reply.slice(position * 4, position * 4 + 4) as CompareAndSetReply;
        results.push(this.#compareAndSetResult(request.key, request.value, [written, currentValue, version, expiresAt]));
      });
    });
    return Object.freeze(results);
  }

  /** Deletes an entry (`DEL`); resolves whether it existed. */
  async delete(key: string): Promise<boolean> {
    this.#assertOpen('delete');
    const removed = await this.#run('delete', () => this.#client.del(this.#keyPrefix + key));
    return removed > 0;
  }

  /**
   * Yields the live keys starting with `prefix` in batches of at most `batchSize` (never empty),
   * walking `SCAN` with `COUNT batchSize`. Each key is yielded once per enumeration.
   * @throws TypeError when `batchSize` is not a positive integer or `prefix` is not a string.
   */
  async *enumerate(options: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined } = {}): AsyncIterable<readonly string[]> {
    this.#assertOpen('enumerate');
    const prefix = options.prefix ?? '';
    const batchSize = options.batchSize ?? defaultBatchSize;
    if (typeof prefix !== 'string') throw new TypeError(`Redis session store enumerate: 'prefix' must be a string, got ${typeof prefix}.`);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new TypeError(`Redis session store enumerate: 'batchSize' must be a positive integer, got ${batchSize}.`);
    }
    const pattern = `${escapeGlob(this.#scanPrefix + prefix)}*`;
    const seen = new Set<string>();
    let batch: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.#run('enumerate', () => this.#client.scan(cursor, 'MATCH', pattern, 'COUNT', batchSize, 'TYPE', 'hash'));
      cursor = next;
      for (const storedKey of keys) {
        const key = storedKey.slice(this.#scanPrefix.length);
        if (seen.has(key)) continue;
        seen.add(key);
        batch.push(key);
        if (batch.length === batchSize) {
          yield Object.freeze(batch);
          this.#assertOpen('enumerate');
          batch = [];
        }
      }
    } while (cursor !== '0');
    if (batch.length > 0) yield Object.freeze(batch);
  }

  /**
   * Closes the store: later calls except `close` reject with `SESSION_STORE_CLOSED`. Waits for
   * calls already running, then quits the connection the store opened (a lent client stays open).
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await Promise.allSettled([...this.#inFlight]);
      if (this.#ownsClient) await closeRedisConnection(this.#client);
    })();
    return this.#closing;
  }

  /** Runs one server call, tracked for `close()`, with its failure translated. */
  async #run<Result>(operation: string, call: () => Promise<Result>): Promise<Result> {
    const pending = call();
    this.#inFlight.add(pending);
    try {
      return await pending;
    } catch (error) {
      throw translateRedisError(error, 'session store', operation);
    } finally {
      this.#inFlight.delete(pending);
    }
  }

  /** The result a compare-and-set script's four slots describe. */
  #compareAndSetResult(key: string, value: string, reply: CompareAndSetReply): SessionCompareAndSetResult {
    const [written, currentValue, version, expiresAt] = reply;
    if (written === 1) {
      return Object.freeze({ ok: true, entry: Object.freeze({ key, value, version: version as string, expiresAt: Number(expiresAt) }) });
    }
    const current = currentValue === null ? undefined : this.#entry(key, currentValue, version, expiresAt);
    return Object.freeze({ ok: false, current });
  }

  /** Builds a frozen entry from the hash fields; a hash without them was not written by this store. */
  #entry(key: string, value: string, version: string | null | undefined, expiresAt: string | null | undefined): SessionEntry {
    if (typeof version !== 'string' || typeof expiresAt !== 'string' || !Number.isSafeInteger(Number(expiresAt))) {
      throw new PaymigrateError(
        'SESSION_ENTRY_MALFORMED',
        `Redis session store: the hash at key '${key}' lacks this store's 'version' and 'expiresAt' fields, so it was not written by it. Use another keyPrefix, or delete the key.`,
      );
    }
    return Object.freeze({ key, value, version, expiresAt: Number(expiresAt) });
  }

  #assertWritable(operation: string, key: string, ttlSeconds: number): void {
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > maximumTtlSeconds) {
      throw new TypeError(`Session store ${operation}: 'ttlSeconds' must be a positive integer number of seconds up to ${maximumTtlSeconds}, got ${ttlSeconds}.`);
    }
    if (this.#keyPrefix + key === this.#counterKey) {
      throw new TypeError(`Redis session store ${operation}: 'key' names the version counter; choose another key or versionCounterKey.`);
    }
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw redisClosedError('session store', operation);
  }
}

/** Checks a compare-and-set's `expectedVersion` is a string or `null`. */
function assertExpectedVersion(expectedVersion: unknown): void {
  if (expectedVersion !== null && typeof expectedVersion !== 'string') {
    throw new TypeError(`Redis session store compareAndSet: 'expectedVersion' must be a version string or null, got ${typeof expectedVersion}.`);
  }
}

/** Splits `items` into consecutive chunks of at most `size`. */
function chunksOf<Item>(items: readonly Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

/** Escapes the glob characters of `SCAN MATCH` (`* ? [ ] \`) so a prefix matches literally. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (character) => `\\${character}`);
}

/**
 * Creates a Redis `SessionStoreV1`. See `RedisSessionStore` for the layout and guarantees.
 *
 * @throws ConfigurationError naming the invalid option (`redis.url`, `redis.client`, ...).
 * @example
 * const store = createRedisSessionStore({ url: 'redis://127.0.0.1:6379', keyPrefix: 'sessions:' });
 * const entry = await store.set('session:1', '{"cart":[]}', { ttlSeconds: 1800 });
 * await store.compareAndSet('session:1', '{"cart":[1]}', { ttlSeconds: 1800, expectedVersion: entry.version });
 * await store.close();
 */
export function createRedisSessionStore(options: RedisSessionStoreOptions): RedisSessionStore {
  return new RedisSessionStore(options);
}
