import { parseOptions } from '@paymigrate/core';
import { z } from 'zod';
import { type RedisConnectionOptions, type ResolvedRedisConnection, redisConnectionFields, refineRedisConnection, resolveRedisConnection } from './redis-connection.js';

/** Options of `createRedisSessionStore`. */
export interface RedisSessionStoreOptions extends RedisConnectionOptions {
  /**
   * Prepended to every session key on the server, and stripped from the keys `enumerate` yields,
   * so several stores (or other data) can share one Redis database.
   * @default ''
   * @example 'shop-42:sessions:'
   */
  readonly keyPrefix?: string | undefined;
  /**
   * Name (after `keyPrefix`) of the counter every version comes from. It must never be deleted or
   * evicted: a restarted counter could hand out a version again. It has no TTL, so
   * `volatile-*` eviction policies never touch it.
   * @default 'paymigrate:session-version-counter'
   */
  readonly versionCounterKey?: string | undefined;
}

/** Options after validation, with every default applied. */
export interface ResolvedRedisSessionStoreOptions {
  /** How to reach Redis. */
  readonly connection: ResolvedRedisConnection;
  /** See `RedisSessionStoreOptions.keyPrefix`. */
  readonly keyPrefix: string;
  /** See `RedisSessionStoreOptions.versionCounterKey`. */
  readonly versionCounterKey: string;
}

/** Default of `versionCounterKey`. */
export const defaultVersionCounterKey = 'paymigrate:session-version-counter';

/** The zod schema behind `parseRedisSessionStoreOptions`; `fix` metadata feeds `ConfigurationError.fix`. */
export const redisSessionStoreOptionsSchema = z
  .strictObject({
    ...redisConnectionFields,
    keyPrefix: z.string().optional().meta({ fix: "pass a string such as 'sessions:', or leave it out" }),
    versionCounterKey: z.string().min(1).optional().meta({ fix: "pass a non-empty key name such as 'paymigrate:session-version-counter', or leave it out" }),
  })
  .superRefine(refineRedisConnection)
  .meta({ fix: "pass an options object such as { url: 'redis://127.0.0.1:6379' }" });

/**
 * Validates `RedisSessionStoreOptions` once, at construction, and applies the defaults.
 * @throws ConfigurationError naming the option (`redis.url`, `redis.keyPrefix`, ...) and how to fix it.
 */
export function parseRedisSessionStoreOptions(input: unknown): ResolvedRedisSessionStoreOptions {
  const parsed = parseOptions(redisSessionStoreOptionsSchema, input, { component: 'redis' });
  return {
    connection: resolveRedisConnection(parsed),
    keyPrefix: parsed.keyPrefix ?? '',
    versionCounterKey: parsed.versionCounterKey ?? defaultVersionCounterKey,
  };
}
