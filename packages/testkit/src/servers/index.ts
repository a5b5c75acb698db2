// Real servers on loopback for tests and benchmarks of store adapters.
export { findFreePort } from './free-port.js';
export { locatePostgresBinaries, postgresBinariesVariable, type LocatePostgresBinariesOptions } from './postgres-binaries.js';
export { startPostgresServer, type PostgresServer, type StartPostgresServerOptions } from './postgres-server.js';
export { startMemcachedServer, type MemcachedServer, type StartMemcachedServerOptions } from './memcached-server.js';
export { startRedisServer, type RedisServer, type StartRedisServerOptions } from './redis-server.js';
