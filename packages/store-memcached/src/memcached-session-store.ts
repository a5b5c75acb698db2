import {
  ConfigurationError,
  PaymigrateError,
  type SessionCompareAndSetResult,
  type SessionEntry,
  type SessionStoreCapabilities,
  type SessionStoreV1,
  type SessionWriteOptions,
} from '@paymigrate/core';
import { Client } from 'memjs';
import { decodeEnvelope, encodeEnvelope, newVersion, type SessionEnvelope, sessionEnvelopeFlags } from './memcached-envelope.js';
import { memcachedClosedError, memcachedMalformedEntryError, SessionValueTooLargeError, translateMemcachedError } from './memcached-errors.js';
import { type MemcachedItem, MemcachedProtocol, MemcachedStatusError } from './memcached-protocol.js';
import { type IndexedKeyState, MemcachedSessionIndex } from './memcached-session-index.js';
import {
  hasForbiddenKeyCharacters,
  itemOverheadBytes,
  type MemcachedSessionStoreOptions,
  parseMemcachedSessionStoreOptions,
} from './memcached-session-store-options.js';

/** The default number of keys per `enumerate` batch. */
const defaultBatchSize = 100;

/** The longest TTL accepted, in seconds (ten years): the absolute expiry still fits memcached's 32-bit field. */
export const maximumTtlSeconds = 315_360_000;

/** Memcached reads an expiration above 30 days as an absolute Unix time, not a duration. */
const relativeExpirationLimitSeconds = 30 * 24 * 60 * 60;

/** Memcached's longest key, in bytes. */
const maximumKeyBytes = 250;

/** How often a write retries when the key keeps changing between its steps, before giving up. */
const contentionRounds = 8;

/** Pause before sending a request again after a transport failure, milliseconds (times the attempt). */
const retryDelayMs = 50;

/** Most keys one multi-get asks one round trip for (`getMany` and the index's liveness checks). */
export const maximumKeysPerMultiGet = 500;

/** A write prepared once, before any byte is sent. */
interface PreparedWrite {
  /** The key on the server (key prefix included). */
  readonly storedKey: string;
  /** The entry the write creates. */
  readonly entry: SessionEntry;
  /** The envelope's bytes. */
  readonly bytes: Buffer;
  /** Memcached's expiration field for it. */
  readonly expiration: number;
}

/**
 * Memcached's expiration for an entry: the TTL plus one second, as a duration up to 30 days, else
 * as an absolute Unix time (memcached reads any larger number that way). The extra second keeps
 * memcached, whose clock ticks once a second, from dropping the item before `expiresAt`; from
 * `expiresAt` on, the envelope hides it.
 */
export function memcachedExpiration(ttlSeconds: number, expiresAt: number): number {
  return ttlSeconds + 1 <= relativeExpirationLimitSeconds ? ttlSeconds + 1 : Math.ceil(expiresAt / 1_000) + 1;
}

/**
 * A `SessionStoreV1` on memcached, through memjs and the binary protocol.
 *
 * Entries: each session is one item holding an envelope (format byte, a random 128-bit version id,
 * `expiresAt` in epoch milliseconds, then the value), because memcached cannot report an item's
 * remaining TTL. Versions are those random ids, not memcached's CAS tokens: CAS counters restart
 * with the server, random ids never repeat, not even for a re-created key. The CAS token is still
 * what makes writes atomic:
 * - `compareAndSet(expectedVersion)`: read the item with its CAS token, compare the version, then
 *   write with that token (`SET` + CAS): a concurrent write in between makes it fail;
 * - `compareAndSet(null)`: `ADD` (only if absent); an item memcached still holds after `expiresAt`
 *   is overwritten with its CAS token;
 * - `set`: `ADD`, else `REPLACE` (so the store knows when it creates a key, see below);
 * - `delete`: read, then `DELETE` with the CAS token.
 * A request whose connection failed is sent again (`maxAttempts`); a repeated write that finds the
 * version it was writing counts as written. If another writer replaced the entry between a lost
 * reply and the repeat, the store cannot tell whether its own write landed first and reports it as
 * not done (`ok: false` with the current entry): safe for callers that re-read and re-apply.
 *
 * TTLs: whole seconds. Memcached's expiration is set one second past `expiresAt` (absolute time
 * past 30 days) and reads check `expiresAt` on the client's clock, so an entry is gone exactly at
 * `expiresAt` as far as the store is concerned.
 *
 * Enumeration (`capabilities.enumeration: 'index'`): a sharded key index kept beside the entries
 * (see `MemcachedSessionIndex`): keys are appended when created and pruned lazily; `enumerate`
 * yields recorded keys under the prefix after checking they are live. `lru_crawler metadump` was
 * rejected: it lists every item of the whole server (other tenants' too), needs the text protocol
 * on each server, is disabled on some managed services (and by `-X`), and can skip items that move
 * between LRU segments during the crawl, which a zero-loss migration cannot accept.
 *
 * Values: at most `maxItemBytes - 1024` UTF-8 bytes (`capabilities.maxValueBytes`); a larger one
 * is refused with `SessionValueTooLargeError` before anything is sent (a failed oversized `SET`
 * would make memcached drop the key's previous value).
 *
 * Errors: transport failures and transient statuses reject with the retryable
 * `SESSION_STORE_UNAVAILABLE`; an item this store did not write with `SESSION_ENTRY_MALFORMED`;
 * calls after `close()` with `SESSION_STORE_CLOSED`.
 */
export class MemcachedSessionStore implements SessionStoreV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Store name. */
  readonly name = 'memcached';

  /** A key index for enumeration, TTLs in whole seconds, values up to `maxItemBytes - 1024` bytes. */
  readonly capabilities: SessionStoreCapabilities;

  readonly #client: Client;
  readonly #ownsClient: boolean;
  readonly #protocol: MemcachedProtocol;
  readonly #index: MemcachedSessionIndex;
  readonly #keyPrefix: string;
  readonly #reservedKeyPrefix: string;
  readonly #maxAttempts: number;
  readonly #maxValueBytes: number;
  readonly #maxItemBytes: number;
  readonly #verificationDeadlineMs: number;
  /** Whether the servers take items of `maxItemBytes`: checked once, before the first write. */
  #itemSizeVerified: Promise<void> | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();
  #closed = false;
  #closing: Promise<void> | undefined;

  /**
   * @param options See `MemcachedSessionStoreOptions`.
   * @throws ConfigurationError naming the invalid option.
   */
  constructor(options: MemcachedSessionStoreOptions) {
    const resolved = parseMemcachedSessionStoreOptions(options);
    this.#ownsClient = resolved.client === undefined;
    this.#client =
      resolved.client ??
      Client.create(resolved.servers, {
        retries: 1,
        timeout: resolved.timeoutMs / 1_000,
        conntimeout: resolved.connectTimeoutMs / 1_000,
        keepAlive: true,
        logger: { log: () => undefined },
      });
    this.#protocol = new MemcachedProtocol(this.#client, resolved.connectTimeoutMs + resolved.timeoutMs);
    this.#maxItemBytes = resolved.maxItemBytes;
    this.#verificationDeadlineMs = resolved.connectTimeoutMs + resolved.timeoutMs;
    this.#keyPrefix = resolved.keyPrefix;
    this.#reservedKeyPrefix = `${resolved.indexKey}:`;
    this.#maxAttempts = resolved.maxAttempts;
    this.#maxValueBytes = resolved.maxItemBytes - itemOverheadBytes;
    this.capabilities = Object.freeze({ enumeration: 'index', ttlGranularity: 'seconds', maxValueBytes: this.#maxValueBytes });
    this.#index = new MemcachedSessionIndex({
      protocol: this.#protocol,
      send: (request) => this.#send(request),
      probe: (keys) => this.#probe(keys),
      keyPrefix: resolved.keyPrefix,
      indexKey: resolved.indexKey,
      shards: resolved.indexShards,
    });
  }

  /** Reads an entry; `undefined` when absent or past its `expiresAt`. */
  async get(key: string): Promise<SessionEntry | undefined> {
    this.#assertOpen('get');
    const storedKey = this.#storedKey('get', key);
    return this.#run('get', async () => {
      const item = await this.#send(() => this.#protocol.get(storedKey));
      return item === undefined ? undefined : this.#liveEntry(key, item);
    });
  }

  /**
   * Reads many entries with memcached's multi-get: quiet `GETKQ`s closed by a `NOOP`, one round
   * trip per server and `maximumKeysPerMultiGet` keys. One slot per key, in order, each what `get`
   * would answer.
   * @throws TypeError when a key is not a valid key.
   * @throws PaymigrateError `SESSION_ENTRY_MALFORMED` (for the whole batch) when a key holds an item this store did not write.
   */
  async getMany(keys: readonly string[]): Promise<readonly (SessionEntry | undefined)[]> {
    this.#assertOpen('getMany');
    const storedKeys = keys.map((key) => this.#storedKey('getMany', key));
    return this.#run('getMany', async () => {
      const items = await this.#getItems(storedKeys);
      return Object.freeze(keys.map((key, position) => {
        const item = items.get(storedKeys[position] as string);
        return item === undefined ? undefined : this.#liveEntry(key, item);
      }));
    });
  }

  /**
   * Writes unconditionally with a new version; the entry expires `ttlSeconds` from now.
   * @throws TypeError when `ttlSeconds` is not a positive integer up to ten years or `key` is not a valid key.
   * @throws SessionValueTooLargeError when the value is above `capabilities.maxValueBytes`; nothing is written.
   */
  async set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    this.#assertOpen('set');
    const write = this.#prepare('set', key, value, options.ttlSeconds);
    return this.#run('set', async () => {
      await this.#verifyItemSize();
      for (let round = 0; round < contentionRounds; round += 1) {
        if ((await this.#add(write)) === 'created') {
          await this.#register(write);
          return write.entry;
        }
        if ((await this.#overwrite(write)) === 'written') return write.entry;
      }
      // The key was deleted between every add and replace: write unconditionally and record it
      // (always correct; at worst a duplicate record, pruned later).
      await this.#send(() => this.#protocol.store('set', write.storedKey, write.bytes, { flags: sessionEnvelopeFlags, expiration: write.expiration }));
      await this.#register(write);
      return write.entry;
    }, write);
  }

  /**
   * Writes only if the live entry's version is `expectedVersion` (`null`: only if there is no live
   * entry), atomically through memcached's CAS tokens and `ADD`.
   * @throws TypeError when `ttlSeconds`, `key` or `expectedVersion` is invalid.
   * @throws SessionValueTooLargeError when the value is above `capabilities.maxValueBytes`; nothing is written.
   * @throws PaymigrateError `SESSION_STORE_CONTENDED` (retryable) when, for `null`, the key kept
   *   appearing and vanishing through eight rounds.
   */
  async compareAndSet(
    key: string,
    value: string,
    options: SessionWriteOptions & { readonly expectedVersion: string | null },
  ): Promise<SessionCompareAndSetResult> {
    this.#assertOpen('compareAndSet');
    const { expectedVersion } = options;
    const write = this.#prepare('compareAndSet', key, value, options.ttlSeconds);
    if (expectedVersion !== null && typeof expectedVersion !== 'string') {
      throw new TypeError(`Memcached session store compareAndSet: 'expectedVersion' must be a version string or null, got ${typeof expectedVersion}.`);
    }
    return this.#run(
      'compareAndSet',
      async () => {
        await this.#verifyItemSize();
        return expectedVersion === null ? this.#createIfAbsent(write) : this.#replaceVersion(write, expectedVersion);
      },
      write,
    );
  }

  /** Deletes an entry; resolves whether a live entry existed (an item past its `expiresAt` is removed too, resolving `false`). */
  async delete(key: string): Promise<boolean> {
    this.#assertOpen('delete');
    const storedKey = this.#storedKey('delete', key);
    return this.#run('delete', async () => {
      for (let round = 0; round < contentionRounds; round += 1) {
        const item = await this.#send(() => this.#protocol.get(storedKey));
        if (item === undefined) return false;
        const envelope = decodeEnvelope(item.value, item.flags);
        const live = envelope === undefined || envelope.expiresAt > Date.now();
        const { result, repeated } = await this.#attempt(() => this.#protocol.delete(storedKey, item.cas));
        // A repeated delete that finds nothing may have deleted the item the first time.
        if (result === 'deleted' || (result === 'not-found' && repeated)) return live;
        if (result === 'not-found') return false;
      }
      return (await this.#send(() => this.#protocol.delete(storedKey))) === 'deleted';
    });
  }

  /**
   * Yields the live keys starting with `prefix`, in batches of at most `batchSize` (never empty),
   * from the key index, each once per enumeration. Expired and vanished keys are pruned from the
   * index on the way.
   * @throws TypeError when `batchSize` is not a positive integer or `prefix` is not a string.
   */
  async *enumerate(options: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined } = {}): AsyncIterable<readonly string[]> {
    this.#assertOpen('enumerate');
    const prefix = options.prefix ?? '';
    const batchSize = options.batchSize ?? defaultBatchSize;
    if (typeof prefix !== 'string') throw new TypeError(`Memcached session store enumerate: 'prefix' must be a string, got ${typeof prefix}.`);
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new TypeError(`Memcached session store enumerate: 'batchSize' must be a positive integer, got ${batchSize}.`);
    }
    let batch: string[] = [];
    try {
      for await (const liveKeys of this.#index.liveKeys(prefix)) {
        for (const key of liveKeys) {
          batch.push(key);
          if (batch.length === batchSize) {
            yield Object.freeze(batch);
            this.#assertOpen('enumerate');
            batch = [];
          }
        }
      }
    } catch (error) {
      throw translateMemcachedError(error, 'enumerate');
    }
    if (batch.length > 0) yield Object.freeze(batch);
  }

  /**
   * Closes the store: later calls except `close` reject with `SESSION_STORE_CLOSED`. Waits for
   * calls already running, then closes the client the store opened (a lent client stays open).
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      await Promise.allSettled([...this.#inFlight]);
      if (this.#ownsClient) this.#client.close();
    })();
    return this.#closing;
  }

  /**
   * Asks every server for its largest item (`stats settings`, `item_size_max`) once, before the
   * first write, and fails with a `ConfigurationError` naming `memcached.maxItemBytes` when one
   * takes less than `maxItemBytes`: memcached answers an oversized `SET` by dropping the key's
   * previous value, so the store's own size check must never be looser than the server's. A server
   * that does not answer in time is checked again before the next write.
   */
  #verifyItemSize(): Promise<void> {
    this.#itemSizeVerified ??= new Promise<void>((resolve, reject) => {
      const servers = this.#client.servers.length;
      const tooSmall: string[] = [];
      let answered = 0;
      let verified = true;
      const deadline = setTimeout(() => {
        verified = false;
        finish();
      }, this.#verificationDeadlineMs);
      const finish = (): void => {
        clearTimeout(deadline);
        if (tooSmall.length > 0) {
          reject(
            new ConfigurationError({
              option: 'memcached.maxItemBytes',
              problem: `is ${this.#maxItemBytes}, above the largest item memcached takes on ${tooSmall.join(', ')}`,
              fix: "pass the servers' -I as maxItemBytes, or raise -I on every server",
            }),
          );
          return;
        }
        if (!verified) this.#itemSizeVerified = undefined;
        resolve();
      };
      this.#client.statsWithKey('settings', (error, server, statistics) => {
        const limit = Number(statistics?.item_size_max);
        if (limit < this.#maxItemBytes) tooSmall.push(`${server} (item_size_max ${limit})`);
        if (error !== null) verified = false;
        answered += 1;
        if (answered === servers) finish();
      });
    });
    return this.#itemSizeVerified;
  }

  /** `compareAndSet(null)`: `ADD`; when memcached holds an expired entry, overwrite it with its CAS token. */
  async #createIfAbsent(write: PreparedWrite): Promise<SessionCompareAndSetResult> {
    for (let round = 0; round < contentionRounds; round += 1) {
      if ((await this.#add(write)) === 'created') {
        await this.#register(write);
        return Object.freeze({ ok: true, entry: write.entry });
      }
      const item = await this.#send(() => this.#protocol.get(write.storedKey));
      if (item === undefined) continue;
      const current = this.#liveEntry(write.entry.key, item);
      if (current !== undefined) return Object.freeze({ ok: false, current });
      if ((await this.#overwrite(write, item.cas)) === 'written') return Object.freeze({ ok: true, entry: write.entry });
    }
    throw new PaymigrateError(
      'SESSION_STORE_CONTENDED',
      `Memcached session store compareAndSet('${write.entry.key}', null): the key kept appearing and vanishing through ${contentionRounds} rounds. Retry.`,
      { isRetryable: true },
    );
  }

  /** `compareAndSet(version)`: read with the CAS token, compare, write guarded by the token. */
  async #replaceVersion(write: PreparedWrite, expectedVersion: string): Promise<SessionCompareAndSetResult> {
    const { key } = write.entry;
    const item = await this.#send(() => this.#protocol.get(write.storedKey));
    const current = item === undefined ? undefined : this.#liveEntry(key, item);
    if (current === undefined || current.version !== expectedVersion) return Object.freeze({ ok: false, current });
    if ((await this.#overwrite(write, (item as MemcachedItem).cas)) === 'written') return Object.freeze({ ok: true, entry: write.entry });
    const after = await this.#send(() => this.#protocol.get(write.storedKey));
    return Object.freeze({ ok: false, current: after === undefined ? undefined : this.#liveEntry(key, after) });
  }

  /** `ADD` with transport retries; an "exists" after a failed attempt that shows our own version means the first attempt did it. */
  async #add(write: PreparedWrite): Promise<'created' | 'exists'> {
    const { result, repeated } = await this.#attempt(() =>
      this.#protocol.store('add', write.storedKey, write.bytes, { flags: sessionEnvelopeFlags, expiration: write.expiration }),
    );
    if (result.stored) return 'created';
    return repeated && (await this.#storedVersion(write.storedKey)) === write.entry.version ? 'created' : 'exists';
  }

  /** `REPLACE`, or `SET` guarded by `cas`, with transport retries, resolved like `#add`. */
  async #overwrite(write: PreparedWrite, cas?: Buffer): Promise<'written' | 'exists' | 'not-found'> {
    const command = cas === undefined ? 'replace' : 'set';
    const { result, repeated } = await this.#attempt(() =>
      this.#protocol.store(command, write.storedKey, write.bytes, { flags: sessionEnvelopeFlags, expiration: write.expiration, cas }),
    );
    if (result.stored) return 'written';
    return repeated && (await this.#storedVersion(write.storedKey)) === write.entry.version ? 'written' : result.reason;
  }

  /**
   * Records a created key in the index. If that fails, takes the created item back (unless it was
   * overwritten meanwhile), so a failed write leaves nothing behind, then rethrows.
   */
  async #register(write: PreparedWrite): Promise<void> {
    try {
      await this.#index.register(write.entry.key);
    } catch (error) {
      try {
        const item = await this.#send(() => this.#protocol.get(write.storedKey));
        if (item !== undefined && decodeEnvelope(item.value, item.flags)?.version === write.entry.version) {
          await this.#send(() => this.#protocol.delete(write.storedKey, item.cas));
        }
      } catch {
        // The server is unreachable: the original failure says so.
      }
      throw error;
    }
  }

  /** The version of the envelope memcached holds under a key, if any. */
  async #storedVersion(storedKey: string): Promise<string | undefined> {
    const item = await this.#send(() => this.#protocol.get(storedKey));
    return item === undefined ? undefined : decodeEnvelope(item.value, item.flags)?.version;
  }

  /** Looks recorded keys up for the index with multi-gets. */
  async #probe(keys: readonly string[]): Promise<ReadonlyMap<string, IndexedKeyState>> {
    const states = new Map<string, IndexedKeyState>();
    const items = await this.#getItems(keys.map((key) => this.#keyPrefix + key));
    const now = Date.now();
    for (const key of keys) {
      const item = items.get(this.#keyPrefix + key);
      const envelope = item === undefined ? undefined : decodeEnvelope(item.value, item.flags);
      states.set(key, item === undefined ? 'absent' : envelope !== undefined && envelope.expiresAt > now ? 'live' : 'dormant');
    }
    return states;
  }

  /** Multi-gets stored keys, `maximumKeysPerMultiGet` per request, all sent at once, each retried after a transport failure. */
  async #getItems(storedKeys: readonly string[]): Promise<ReadonlyMap<string, MemcachedItem>> {
    const chunks: string[][] = [];
    for (let start = 0; start < storedKeys.length; start += maximumKeysPerMultiGet) chunks.push(storedKeys.slice(start, start + maximumKeysPerMultiGet));
    const answers = await Promise.all(chunks.map((chunk) => this.#send(() => this.#protocol.getMany(chunk))));
    return new Map(answers.flatMap((answer) => [...answer]));
  }

  /** Validates a write and encodes it, before anything is sent. */
  #prepare(operation: string, key: string, value: string, ttlSeconds: number): PreparedWrite {
    const storedKey = this.#storedKey(operation, key);
    if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds <= 0 || ttlSeconds > maximumTtlSeconds) {
      throw new TypeError(`Session store ${operation}: 'ttlSeconds' must be a positive integer number of seconds up to ${maximumTtlSeconds}, got ${ttlSeconds}.`);
    }
    const valueBytes = Buffer.byteLength(value, 'utf8');
    if (valueBytes > this.#maxValueBytes) throw new SessionValueTooLargeError({ key, valueBytes, maximumValueBytes: this.#maxValueBytes });
    const envelope: SessionEnvelope = { version: newVersion(), expiresAt: Date.now() + ttlSeconds * 1_000, value };
    return {
      storedKey,
      entry: Object.freeze({ key, value, version: envelope.version, expiresAt: envelope.expiresAt }),
      bytes: encodeEnvelope(envelope),
      expiration: memcachedExpiration(ttlSeconds, envelope.expiresAt),
    };
  }

  /** The key on the server; checks memcached's key rules and the index's reserved names. */
  #storedKey(operation: string, key: string): string {
    if (typeof key !== 'string' || hasForbiddenKeyCharacters(key)) {
      throw new TypeError(`Memcached session store ${operation}: 'key' must be a string without spaces or control characters.`);
    }
    if (key.startsWith(this.#reservedKeyPrefix)) {
      throw new TypeError(`Memcached session store ${operation}: 'key' may not start with '${this.#reservedKeyPrefix}', which names the key index.`);
    }
    const storedKey = this.#keyPrefix + key;
    if (Buffer.byteLength(storedKey, 'utf8') > maximumKeyBytes) {
      throw new TypeError(`Memcached session store ${operation}: 'key' is longer than memcached's ${maximumKeyBytes} bytes (key prefix included).`);
    }
    return storedKey;
  }

  /** The entry an item holds, `undefined` past its `expiresAt`. */
  #liveEntry(key: string, item: MemcachedItem): SessionEntry | undefined {
    const envelope = decodeEnvelope(item.value, item.flags);
    if (envelope === undefined) throw memcachedMalformedEntryError(key);
    if (envelope.expiresAt <= Date.now()) return undefined;
    return Object.freeze({ key, value: envelope.value, version: envelope.version, expiresAt: envelope.expiresAt });
  }

  /** Runs one public operation, tracked for `close()`, with its failure translated. */
  async #run<Result>(operation: string, body: () => Promise<Result>, write?: PreparedWrite): Promise<Result> {
    const pending = body();
    this.#inFlight.add(pending);
    try {
      return await pending;
    } catch (error) {
      const tooLarge = write === undefined ? undefined : { key: write.entry.key, valueBytes: Buffer.byteLength(write.entry.value, 'utf8'), maximumValueBytes: this.#maxValueBytes };
      throw translateMemcachedError(error, operation, tooLarge);
    } finally {
      this.#inFlight.delete(pending);
    }
  }

  /** Sends a request, again after a transport failure (up to `maxAttempts`), and says whether it was repeated. */
  async #attempt<Result>(request: () => Promise<Result>): Promise<{ result: Result; repeated: boolean }> {
    for (let attempt = 1; ; attempt += 1) {
      const pending = request();
      this.#inFlight.add(pending);
      try {
        return { result: await pending, repeated: attempt > 1 };
      } catch (error) {
        if (error instanceof MemcachedStatusError || attempt >= this.#maxAttempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * attempt));
      } finally {
        this.#inFlight.delete(pending);
      }
    }
  }

  /** `#attempt` for requests whose repetition needs no interpretation. */
  async #send<Result>(request: () => Promise<Result>): Promise<Result> {
    return (await this.#attempt(request)).result;
  }

  #assertOpen(operation: string): void {
    if (this.#closed) throw memcachedClosedError(operation);
  }
}

/**
 * Creates a memcached `SessionStoreV1`. See `MemcachedSessionStore` for the layout, the key index
 * and the guarantees.
 *
 * @throws ConfigurationError naming the invalid option (`memcached.servers`, `memcached.client`, ...).
 * @example
 * const store = createMemcachedSessionStore({ servers: '127.0.0.1:11211', keyPrefix: 'sessions:' });
 * const entry = await store.set('session:1', '{"cart":[]}', { ttlSeconds: 1800 });
 * for await (const keys of store.enumerate({ prefix: 'session:' })) console.log(keys);
 * await store.close();
 */
export function createMemcachedSessionStore(options: MemcachedSessionStoreOptions): MemcachedSessionStore {
  return new MemcachedSessionStore(options);
}
