import type { SessionStoreV1 } from '@paymigrate/core';

/**
 * A view of `store` with only the single-key members of `SessionStoreV1` (no optional batch
 * members): what an adapter written before `getMany`/`compareAndSetMany` offers. Core's batch
 * helpers then fall back to one call per key, so tests and benchmarks can exercise that path on
 * any store.
 */
export function singleKeySessionStore(store: SessionStoreV1): SessionStoreV1 {
  return {
    specificationVersion: store.specificationVersion,
    name: store.name,
    capabilities: store.capabilities,
    get: (key) => store.get(key),
    set: (key, value, options) => store.set(key, value, options),
    compareAndSet: (key, value, options) => store.compareAndSet(key, value, options),
    delete: (key) => store.delete(key),
    enumerate: (options) => store.enumerate(options),
    close: () => store.close(),
  };
}
