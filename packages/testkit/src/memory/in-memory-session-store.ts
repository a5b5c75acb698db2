import {
  assertDistinctKeys,
  type ClockV1,
  PaymigrateError,
  type SessionCompareAndSetRequest,
  type SessionCompareAndSetResult,
  type SessionEntry,
  type SessionStoreCapabilities,
  type SessionStoreV1,
  type SessionWriteOptions,
  systemClock,
} from '@paymigrate/core';

/** Options of `InMemorySessionStore`. */
export interface InMemorySessionStoreOptions {
  /**
   * The clock that stamps `expiresAt` and decides expiry. Pass a `ManualClock` to test TTLs
   * without waiting.
   * @default systemClock
   */
  readonly clock?: ClockV1 | undefined;
}

/** An entry as kept: every in-memory entry has an expiry. */
interface StoredEntry extends SessionEntry {
  /** When it expires, epoch milliseconds. */
  readonly expiresAt: number;
}

/** The default number of keys per `enumerate` batch. */
const defaultBatchSize = 100;

/**
 * The reference session store: a `Map` in process memory with lazy expiry against its clock.
 * Versions are the decimal strings of one counter shared by every key, so a version is never
 * reused, not even after a delete. Entries handed out are frozen copies.
 *
 * @example
 * const clock = new ManualClock();
 * const store = new InMemorySessionStore({ clock });
 * await store.set('session:1', '{"cart":[]}', { ttlSeconds: 60 });
 * await clock.advance(60_000);
 * await store.get('session:1'); // undefined
 */
export class InMemorySessionStore implements SessionStoreV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion = 'v1' as const;

  /** Store name. */
  readonly name = 'memory';

  /** Native scan over the map's keys, TTLs to the millisecond, no value size limit. */
  readonly capabilities: SessionStoreCapabilities = Object.freeze({ enumeration: 'scan', ttlGranularity: 'milliseconds' });

  readonly #clock: ClockV1;
  readonly #entries = new Map<string, StoredEntry>();
  #lastVersion = 0;
  #closed = false;

  /** @param options See `InMemorySessionStoreOptions`. */
  constructor(options: InMemorySessionStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  /** Reads an entry; `undefined` when absent or expired. */
  async get(key: string): Promise<SessionEntry | undefined> {
    this.#assertOpen('get');
    return this.#live(key);
  }

  /**
   * Writes unconditionally; the entry expires `ttlSeconds` from now.
   * @throws TypeError when `ttlSeconds` is not a positive integer.
   */
  async set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    this.#assertOpen('set');
    assertTimeToLive('set', options.ttlSeconds);
    return this.#write(key, value, options.ttlSeconds);
  }

  /**
   * Writes only if the live entry's version is `expectedVersion` (`null`: only if there is no live
   * entry).
   * @throws TypeError when `ttlSeconds` is not a positive integer.
   */
  async compareAndSet(
    key: string,
    value: string,
    options: SessionWriteOptions & { readonly expectedVersion: string | null },
  ): Promise<SessionCompareAndSetResult> {
    this.#assertOpen('compareAndSet');
    assertTimeToLive('compareAndSet', options.ttlSeconds);
    return this.#compareAndSet(key, value, options.ttlSeconds, options.expectedVersion);
  }

  /** Reads many entries at once: one slot per key, in order, each what `get` would answer. */
  async getMany(keys: readonly string[]): Promise<readonly (SessionEntry | undefined)[]> {
    this.#assertOpen('getMany');
    return Object.freeze(keys.map((key) => this.#live(key)));
  }

  /**
   * Applies many compare-and-sets at once, each with the semantics of `compareAndSet`; nothing
   * else runs in between (one synchronous pass).
   * @throws TypeError, writing nothing, when a key repeats or a `ttlSeconds` is not a positive integer.
   */
  async compareAndSetMany(requests: readonly SessionCompareAndSetRequest[]): Promise<readonly SessionCompareAndSetResult[]> {
    this.#assertOpen('compareAndSetMany');
    assertDistinctKeys(requests);
    for (const request of requests) assertTimeToLive('compareAndSetMany', request.ttlSeconds);
    return Object.freeze(requests.map((request) => this.#compareAndSet(request.key, request.value, request.ttlSeconds, request.expectedVersion)));
  }

  /** Deletes an entry; resolves whether a live entry existed. */
  async delete(key: string): Promise<boolean> {
    this.#assertOpen('delete');
    const existed = this.#live(key) !== undefined;
    this.#entries.delete(key);
    return existed;
  }

  /**
   * Yields the live keys starting with `prefix`, in batches of up to `batchSize` (never empty).
   * Keys are snapshotted when the enumeration starts; liveness is checked as each batch is built.
   * @throws TypeError when `batchSize` is not a positive integer.
   */
  async *enumerate(options: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined } = {}): AsyncIterable<readonly string[]> {
    this.#assertOpen('enumerate');
    const prefix = options.prefix ?? '';
    const batchSize = options.batchSize ?? defaultBatchSize;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
      throw new TypeError(`Session store enumerate: 'batchSize' must be a positive integer, got ${batchSize}.`);
    }
    const snapshot = [...this.#entries.keys()].filter((key) => key.startsWith(prefix));
    let batch: string[] = [];
    for (const key of snapshot) {
      if (this.#live(key) === undefined) continue;
      batch.push(key);
      if (batch.length === batchSize) {
        yield Object.freeze(batch);
        this.#assertOpen('enumerate');
        batch = [];
      }
    }
    if (batch.length > 0) yield Object.freeze(batch);
  }

  /** Closes the store; every later call except `close` throws `SESSION_STORE_CLOSED`. The entries are dropped. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#entries.clear();
  }

  #compareAndSet(key: string, value: string, ttlSeconds: number, expectedVersion: string | null): SessionCompareAndSetResult {
    const current = this.#live(key);
    const matches = expectedVersion === null ? current === undefined : current?.version === expectedVersion;
    if (!matches) return Object.freeze({ ok: false, current });
    return Object.freeze({ ok: true, entry: this.#write(key, value, ttlSeconds) });
  }

  #write(key: string, value: string, ttlSeconds: number): SessionEntry {
    this.#lastVersion += 1;
    const entry: StoredEntry = Object.freeze({ key, value, version: String(this.#lastVersion), expiresAt: this.#clock.now() + ttlSeconds * 1000 });
    this.#entries.set(key, entry);
    return entry;
  }

  /** The entry when live; an expired one is removed on the way (lazy expiry). */
  #live(key: string): SessionEntry | undefined {
    const entry = this.#entries.get(key);
    if (entry !== undefined && entry.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  #assertOpen(operation: string): void {
    if (this.#closed) {
      throw new PaymigrateError('SESSION_STORE_CLOSED', `In-memory session store has been closed: ${operation}() needs a new store.`);
    }
  }
}

function assertTimeToLive(operation: string, ttlSeconds: number): void {
  if (Number.isSafeInteger(ttlSeconds) && ttlSeconds > 0) return;
  throw new TypeError(`Session store ${operation}: 'ttlSeconds' must be a positive integer number of seconds, got ${ttlSeconds}.`);
}
