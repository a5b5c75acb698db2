export { SessionValueTooLargeError } from './memcached-errors.js';
export { createMemcachedSessionStore, MemcachedSessionStore } from './memcached-session-store.js';
export { defaultIndexKey, type MemcachedSessionStoreOptions, parseMemcachedSessionStoreOptions } from './memcached-session-store-options.js';
