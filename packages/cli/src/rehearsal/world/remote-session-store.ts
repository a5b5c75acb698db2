import type { SessionCompareAndSetResult, SessionEntry, SessionStoreCapabilities, SessionStoreV1, SessionWriteOptions } from '@paymigrate/core';
import type { WorldClient } from './world-client.js';
import type { SessionEntryJson, SessionStoreName } from './world-protocol.js';

/** An entry from JSON. */
function entryOf(json: SessionEntryJson): SessionEntry {
  return { key: json.key, value: json.value, version: json.version, expiresAt: json.expiresAt ?? undefined };
}

/**
 * One of the world's session stores, as a `SessionStoreV1`: the rehearsal's stand-in for the
 * shop's Redis or Memcached, reached over the world's control API.
 */
export class RemoteSessionStore implements SessionStoreV1 {
  /** Port version. */
  readonly specificationVersion = 'v1' as const;
  /** Store name (`world-old`, `world-new`). */
  readonly name: string;
  /** Native enumeration, TTLs to the millisecond. */
  readonly capabilities: SessionStoreCapabilities = Object.freeze({ enumeration: 'scan', ttlGranularity: 'milliseconds' });
  readonly #client: WorldClient;
  readonly #store: SessionStoreName;

  /** @param client The world. @param store Which of its two stores. */
  constructor(client: WorldClient, store: SessionStoreName) {
    this.#client = client;
    this.#store = store;
    this.name = `world-${store}`;
  }

  /** Reads an entry. */
  async get(key: string): Promise<SessionEntry | undefined> {
    const entry = await this.#client.call('sessionGet', { store: this.#store, key });
    return entry === null ? undefined : entryOf(entry);
  }

  /** Writes unconditionally. */
  async set(key: string, value: string, options: SessionWriteOptions): Promise<SessionEntry> {
    return entryOf(await this.#client.call('sessionSet', { store: this.#store, key, value, ttlSeconds: options.ttlSeconds }));
  }

  /** Writes when the version matches. */
  async compareAndSet(key: string, value: string, options: SessionWriteOptions & { readonly expectedVersion: string | null }): Promise<SessionCompareAndSetResult> {
    const result = await this.#client.call('sessionCompareAndSet', { store: this.#store, key, value, ttlSeconds: options.ttlSeconds, expectedVersion: options.expectedVersion });
    if (result.ok && result.entry !== null) return { ok: true, entry: entryOf(result.entry) };
    return { ok: false, current: result.entry === null ? undefined : entryOf(result.entry) };
  }

  /** Deletes an entry. */
  async delete(key: string): Promise<boolean> {
    return (await this.#client.call('sessionDelete', { store: this.#store, key })).existed;
  }

  /** Yields every live key with the prefix, in batches. */
  async *enumerate(options: { readonly prefix?: string | undefined; readonly batchSize?: number | undefined } = {}): AsyncIterable<readonly string[]> {
    const keys = await this.#client.call('sessionKeys', { store: this.#store, prefix: options.prefix ?? '' });
    const batchSize = options.batchSize ?? 100;
    for (let start = 0; start < keys.length; start += batchSize) yield keys.slice(start, start + batchSize);
  }

  /** Nothing to release. */
  async close(): Promise<void> {}
}
