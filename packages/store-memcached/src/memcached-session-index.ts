import { PaymigrateError } from '@paymigrate/core';
import type { MemcachedProtocol } from './memcached-protocol.js';

/** How many shards `liveKeys` compacts ahead of the one it yields. */
const shardLookahead = 8;

/** Memcached flags marking an index shard (`PMI1`). */
export const indexShardFlags = 0x504d4931;

/**
 * What memcached holds under a recorded key: a `live` session, a `dormant` item (expired by its
 * envelope but not yet dropped by memcached, or not a session envelope), or nothing (`absent`).
 * Only `absent` keys may leave the index.
 */
export type IndexedKeyState = 'live' | 'dormant' | 'absent';

/** What the index needs from the store. */
export interface SessionIndexDependencies {
  /** The raw protocol. */
  readonly protocol: MemcachedProtocol;
  /** Runs one request with the store's transport retries. */
  readonly send: <Result>(request: () => Promise<Result>) => Promise<Result>;
  /** Looks up recorded keys (relative to the key prefix) in memcached. */
  readonly probe: (keys: readonly string[]) => Promise<ReadonlyMap<string, IndexedKeyState>>;
  /** Prepended to shard keys. */
  readonly keyPrefix: string;
  /** Shard keys are `<keyPrefix><indexKey>:<n>`. */
  readonly indexKey: string;
  /** Number of shards. */
  readonly shards: number;
}

/**
 * The key index that lets `enumerate` work on memcached, which cannot list its keys portably.
 *
 * The index is `shards` items, each a newline-separated list of session keys (relative to the key
 * prefix); a key's shard is FNV-1a of its UTF-8 bytes modulo the shard count, so every writer of
 * one deployment agrees.
 *
 * Consistency under concurrency, with no lock:
 * - A key is recorded when the store creates its item (a successful `add`), after the write, with
 *   an `APPEND`, which memcached applies atomically: concurrent creators never lose each other's
 *   records. The first record of a shard creates it with `add`; losing that race means appending.
 *   Overwrites (`replace`, CAS writes) only touch items that exist, hence are recorded already,
 *   so the index grows with creations, not with writes.
 * - A record leaves the index only during a compaction, which reads the shard with its CAS token,
 *   looks every key up, and rewrites the shard without the keys memcached no longer holds,
 *   guarded by that CAS token: if a creator appended meanwhile, the rewrite fails and is simply
 *   skipped; a key re-created after the lookup is appended again after the rewrite. So a key held
 *   by memcached is never dropped. Expired keys are pruned lazily this way, during `enumerate`
 *   (for the keys under its prefix) and when a shard is full.
 *
 * Trade-offs: every creation costs one more round trip; `enumerate` reads every shard and looks up
 * every recorded key under its prefix (reading the values); a shard holds at most one item's
 * worth of keys; and memcached may evict a shard under memory pressure like any item, which
 * would hide its sessions from `enumerate` (not from `get`) until they are created again. Size
 * memcached so it does not evict, and watch its `evictions` statistic during a migration.
 */
export class MemcachedSessionIndex {
  readonly #dependencies: SessionIndexDependencies;

  /** @param dependencies The protocol, the store's request runner and key lookup, and the index layout. */
  constructor(dependencies: SessionIndexDependencies) {
    this.#dependencies = dependencies;
  }

  /** The shard a key is recorded in. */
  shardOf(key: string): number {
    let hash = 0x811c9dc5;
    for (const byte of Buffer.from(key, 'utf8')) {
      hash ^= byte;
      hash = Math.imul(hash, 0x01000193) >>> 0;
    }
    return hash % this.#dependencies.shards;
  }

  /** The memcached key of a shard. */
  shardKey(shard: number): string {
    return `${this.#dependencies.keyPrefix}${this.#dependencies.indexKey}:${shard}`;
  }

  /**
   * Records a key in its shard: `APPEND`; when that is refused, `ADD` the shard (it may not exist
   * yet), else `APPEND` again (another writer just created it); when still refused the shard is
   * full: compact it once and try again.
   * @throws PaymigrateError `SESSION_INDEX_FULL` when the shard is still full after compaction.
   */
  async register(key: string): Promise<void> {
    const { protocol, send } = this.#dependencies;
    const shard = this.shardOf(key);
    const shardKey = this.shardKey(shard);
    const record = Buffer.from(`${key}\n`, 'utf8');
    for (let compacted = false; ; compacted = true) {
      if (await send(() => protocol.append(shardKey, record))) return;
      const created = await send(() => protocol.store('add', shardKey, record, { flags: indexShardFlags, expiration: 0 }));
      if (created.stored) return;
      // Another writer created the shard between our append and our add: append to it.
      if (await send(() => protocol.append(shardKey, record))) return;
      if (compacted) {
        throw new PaymigrateError(
          'SESSION_INDEX_FULL',
          `Memcached session index shard '${shardKey}' is full even after dropping keys memcached no longer holds. Raise 'indexShards' (for a new index key) or 'maxItemBytes' with memcached's -I.`,
        );
      }
      await this.#compact(shard, '');
    }
  }

  /**
   * Yields, shard by shard, the recorded keys starting with `prefix` that hold live sessions, each
   * once; compacts each shard on the way (see the class documentation).
   */
  async *liveKeys(prefix: string): AsyncIterable<readonly string[]> {
    // Shards are compacted `shardLookahead` at a time, ahead of the consumer, and yielded in order:
    // one after the other, each shard's two round trips would bound the enumeration's speed.
    const { shards } = this.#dependencies;
    const pending: Promise<string[]>[] = [];
    let nextShard = 0;
    const startNext = (): void => {
      const compaction = this.#compact(nextShard, prefix);
      // A failure surfaces when the shard's turn comes; one never reached (the consumer stopped) is dropped.
      compaction.catch(() => undefined);
      pending.push(compaction);
      nextShard += 1;
    };
    while (nextShard < shards && pending.length < shardLookahead) startNext();
    while (pending.length > 0) {
      const live = await (pending.shift() as Promise<string[]>);
      if (nextShard < shards) startNext();
      if (live.length > 0) yield live;
    }
  }

  /**
   * Reads a shard, looks up its keys under `prefix`, rewrites it without the absent ones and
   * without duplicates (guarded by its CAS token; skipped when it changed meanwhile), and returns
   * the live keys.
   */
  async #compact(shard: number, prefix: string): Promise<string[]> {
    const { protocol, send, probe } = this.#dependencies;
    const shardKey = this.shardKey(shard);
    const item = await send(() => protocol.get(shardKey));
    if (item === undefined) return [];
    const records = item.value.toString('utf8').split('\n');
    records.pop(); // Every record ends with a newline: drop the empty text after the last one.
    const unique = [...new Set(records)];
    const candidates = unique.filter((key) => key.startsWith(prefix));
    const states = await probe(candidates);
    const absent = new Set(candidates.filter((key) => states.get(key) === 'absent'));
    if (absent.size > 0 || unique.length < records.length) {
      const kept = unique.filter((key) => !absent.has(key));
      const content = Buffer.from(kept.map((key) => `${key}\n`).join(''), 'utf8');
      await send(() => protocol.store('set', shardKey, content, { flags: indexShardFlags, expiration: 0, cas: item.cas }));
    }
    return candidates.filter((key) => states.get(key) === 'live');
  }
}
