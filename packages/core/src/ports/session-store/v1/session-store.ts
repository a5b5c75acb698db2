/** A session as stored, with the metadata migration needs. */
export interface SessionEntry {
  /** Session key. */
  readonly key: string;
  /** Serialized session (JSON text as written). The store never parses it. */
  readonly value: string;
  /**
   * Opaque version for compare-and-set: changes on every write (Redis: a counter; Memcached: the
   * CAS token). Compare with `===` only.
   */
  readonly version: string;
  /** When the entry expires, epoch milliseconds; `undefined` for no expiry. */
  readonly expiresAt: number | undefined;
}

/** Options of a write. */
export interface SessionWriteOptions {
  /**
   * Time to live in seconds, a positive integer. Migrations pass the remaining TTL of the source so
   * a session never lives longer (or shorter) because it moved.
   */
  readonly ttlSeconds: number;
}

/** The result of a compare-and-set. */
export type SessionCompareAndSetResult =
  | { /** Written. */ readonly ok: true; /** The entry as written. */ readonly entry: SessionEntry }
  | { /** Not written: the version did not match. */ readonly ok: false; /** The entry as found (absent: `undefined`). */ readonly current: SessionEntry | undefined };

/**
 * One write of a `compareAndSetMany`: the arguments of one `compareAndSet`.
 */
export interface SessionCompareAndSetRequest {
  /** Session key. Keys of one call are distinct. */
  readonly key: string;
  /** Serialized session to write. */
  readonly value: string;
  /** Time to live in seconds, a positive integer (see `SessionWriteOptions.ttlSeconds`). */
  readonly ttlSeconds: number;
  /** Write only if the live entry has this version; `null`: only if there is no live entry. */
  readonly expectedVersion: string | null;
}

/** What a store can do; core adapts to it. */
export interface SessionStoreCapabilities {
  /**
   * How `enumerate` finds keys: `scan` (native cursor, Redis `SCAN`), `index` (the adapter keeps a
   * key index beside the entries, Memcached), `metadump` (Memcached `lru_crawler metadump`).
   */
  readonly enumeration: 'scan' | 'index' | 'metadump';
  /** Smallest TTL step the server honours. */
  readonly ttlGranularity: 'seconds' | 'milliseconds';
  /** Largest value in bytes the server accepts, when it has a limit (Memcached: 1 MiB default). */
  readonly maxValueBytes?: number | undefined;
}

/**
 * A session and cart store (Redis, Memcached, ...), version 1 of the port.
 * All methods are safe to call concurrently. Keys are used as given; prefixes are the caller's.
 */
export interface SessionStoreV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion: 'v1';

  /** Store name (`redis`, `memcached`, `memory`). */
  readonly name: string;

  /** What this store can do. */
  readonly capabilities: SessionStoreCapabilities;

  /** Reads an entry; `undefined` when absent or expired. */
  get(key: string): Promise<SessionEntry | undefined>;

  /** Writes unconditionally with a TTL; returns the entry with its new version. */
  set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry>;

  /**
   * Writes only if the current version is `expectedVersion` (`null`: only if absent). Atomic on the
   * server (Redis: WATCH/MULTI or Lua; Memcached: `cas`/`add`).
   */
  compareAndSet(
    key: string,
    value: string,
    options: SessionWriteOptions & { readonly expectedVersion: string | null },
  ): Promise<SessionCompareAndSetResult>;

  /** Deletes an entry; resolves whether it existed. */
  delete(key: string): Promise<boolean>;

  /**
   * Optional batch read, added to v1 as an optional member so adapters written before it still
   * satisfy the port: reads many entries in as few server round trips as the store allows (Redis:
   * one script call; Memcached: pipelined quiet gets ended by a no-op). The answer has one slot per
   * key, in the order of `keys`, each exactly what `get` would resolve for that key (`undefined`
   * when absent or expired); a repeated key is answered in each of its slots.
   *
   * Each slot is read atomically on its own; the batch is not a snapshot across keys. Rejects as a
   * whole when any key is invalid or the server fails, writing nothing.
   *
   * Callers never call it directly but through `getSessionEntries(store, keys)`, which falls back
   * to one `get` per key when a store does not implement it, so the batch is an optimization and
   * never a requirement. The reason it exists: a migration of 100,000 sessions is bound by the CPU
   * spent per round trip, not by the servers.
   */
  getMany?(keys: readonly string[]): Promise<readonly (SessionEntry | undefined)[]>;

  /**
   * Optional batch compare-and-set, added to v1 like `getMany`: applies many compare-and-sets in as
   * few round trips as the store allows (Redis: one Lua script). Each request is atomic on its own
   * with exactly the semantics of `compareAndSet` (a concurrent writer of that key either wins
   * before it, making it fail with the current entry, or comes after it); the batch is not one
   * transaction. The answer has one result per request, in order. Keys must be distinct.
   *
   * Callers use `compareAndSetSessionEntries(store, requests)`, which falls back to one
   * `compareAndSet` per request.
   *
   * @throws TypeError (before anything is written) when a key repeats or any request is invalid
   *   as `compareAndSet` would reject it.
   */
  compareAndSetMany?(requests: readonly SessionCompareAndSetRequest[]): Promise<readonly SessionCompareAndSetResult[]>;

  /**
   * Yields every live key (in batches) whose name starts with `prefix`. A key written during the
   * enumeration may or may not be yielded; a key live for the whole enumeration is yielded at least
   * once (SCAN semantics: callers de-duplicate).
   */
  enumerate(options?: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined }): AsyncIterable<readonly string[]>;

  /** Releases connections. */
  close(): Promise<void>;
}

/** The current version of the session store port. */
export type SessionStore = SessionStoreV1;
