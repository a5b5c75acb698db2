import { PaymigrateError } from '../../../errors/paymigrate-error.js';
import type { SessionCompareAndSetRequest, SessionCompareAndSetResult, SessionEntry, SessionStoreV1 } from './session-store.js';
import { mapConcurrently } from '../../../concurrency/map-concurrently.js';

/** Options of the batch helpers. */
export interface SessionBatchOptions {
  /**
   * Calls in flight at once when the store has no native batch and the helper falls back to one
   * call per key.
   * @default 32
   */
  readonly fallbackConcurrency?: number | undefined;
}

const defaultFallbackConcurrency = 32;

/** A store's batch answered with another number of slots than it was asked for: a broken adapter. */
function assertSlots(store: SessionStoreV1, operation: string, asked: number, answered: number): void {
  if (answered === asked) return;
  throw new PaymigrateError(
    'SESSION_STORE_BATCH_MISMATCH',
    `Session store '${store.name}' answered ${operation} for ${asked} keys with ${answered} results; its adapter must answer one result per key, in order.`,
  );
}

/**
 * Reads many entries: through the store's native `getMany` when it has one (one or a few round
 * trips), else one `get` per key with `fallbackConcurrency` in flight. One slot per key, in order;
 * each slot is what `get` resolves for its key.
 *
 * @throws PaymigrateError `SESSION_STORE_BATCH_MISMATCH` when a native batch answers a different
 *   number of slots; otherwise whatever the store's `getMany` or `get` throws.
 * @example
 * const [first, second] = await getSessionEntries(store, ['session:1', 'session:2']);
 */
export async function getSessionEntries(
  store: SessionStoreV1,
  keys: readonly string[],
  options: SessionBatchOptions = {},
): Promise<readonly (SessionEntry | undefined)[]> {
  if (keys.length === 0) return [];
  if (store.getMany !== undefined) {
    const entries = await store.getMany(keys);
    assertSlots(store, 'getMany', keys.length, entries.length);
    return entries;
  }
  return mapConcurrently(keys, options.fallbackConcurrency ?? defaultFallbackConcurrency, (key) => store.get(key));
}

/**
 * Applies many compare-and-sets: through the store's native `compareAndSetMany` when it has one,
 * else one `compareAndSet` per request with `fallbackConcurrency` in flight. One result per
 * request, in order, each with the semantics of `compareAndSet`.
 *
 * @throws TypeError (nothing written) when two requests name the same key (their order would
 *   decide the outcome, and a batch has none), or a `ttlSeconds` is not a positive integer.
 * @throws PaymigrateError `SESSION_STORE_BATCH_MISMATCH` when a native batch answers a different
 *   number of results; otherwise whatever the store throws.
 * @example
 * const results = await compareAndSetSessionEntries(target, [{ key: 'session:1', value, ttlSeconds: 1800, expectedVersion: null }]);
 */
export async function compareAndSetSessionEntries(
  store: SessionStoreV1,
  requests: readonly SessionCompareAndSetRequest[],
  options: SessionBatchOptions = {},
): Promise<readonly SessionCompareAndSetResult[]> {
  assertDistinctKeys(requests);
  if (requests.length === 0) return [];
  if (store.compareAndSetMany !== undefined) {
    const results = await store.compareAndSetMany(requests);
    assertSlots(store, 'compareAndSetMany', requests.length, results.length);
    return results;
  }
  // Like a native batch, the fallback writes nothing when any request is invalid.
  for (const request of requests) {
    if (!Number.isSafeInteger(request.ttlSeconds) || request.ttlSeconds <= 0) {
      throw new TypeError(`Session store compareAndSetMany: 'ttlSeconds' of key '${request.key}' must be a positive integer number of seconds, got ${request.ttlSeconds}.`);
    }
  }
  return mapConcurrently(requests, options.fallbackConcurrency ?? defaultFallbackConcurrency, (request) =>
    store.compareAndSet(request.key, request.value, { ttlSeconds: request.ttlSeconds, expectedVersion: request.expectedVersion }),
  );
}

/**
 * Checks the keys of a `compareAndSetMany` are distinct; adapters call it before sending anything.
 * @throws TypeError naming the first repeated key.
 */
export function assertDistinctKeys(requests: readonly SessionCompareAndSetRequest[]): void {
  const seen = new Set<string>();
  for (const request of requests) {
    if (seen.has(request.key)) {
      throw new TypeError(`Session store compareAndSetMany: key '${request.key}' appears twice; pass each key once per batch.`);
    }
    seen.add(request.key);
  }
}
