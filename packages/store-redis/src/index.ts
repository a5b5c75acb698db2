export { createRedisBroadcast, type RedisBroadcast, type RedisBroadcastListener, type RedisBroadcastOptions } from './redis-broadcast.js';
export type { RedisConnectionOptions } from './redis-connection.js';
export { createRedisSessionStore, RedisSessionStore } from './redis-session-store.js';
export { defaultVersionCounterKey, parseRedisSessionStoreOptions, type RedisSessionStoreOptions } from './redis-session-store-options.js';
