import { Redis } from 'ioredis';
import { z } from 'zod';

/** How the caller reaches Redis: a URL (the adapter opens and owns the connection) or a client it lends. */
export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/database]` or `rediss://...` for TLS. The adapter opens
   * its own connection and closes it on `close()`. Give either `url` or `client`.
   * @example 'redis://127.0.0.1:6379/0'
   */
  readonly url?: string | undefined;
  /**
   * An ioredis `Redis` instance (standalone or Sentinel; not `Cluster`) the adapter borrows: it is
   * never closed by the adapter. Its own `keyPrefix` is honoured. Give either `url` or `client`.
   */
  readonly client?: Redis | undefined;
  /**
   * How long opening a connection may take, milliseconds. Only with `url`.
   * @default 5000
   */
  readonly connectTimeoutMs?: number | undefined;
  /**
   * How long one command may wait for its reply before it fails with a retryable
   * `*_UNAVAILABLE` error, milliseconds. Only with `url`.
   * @default 5000
   */
  readonly commandTimeoutMs?: number | undefined;
  /**
   * How many reconnection attempts a command waits through before it fails with a retryable
   * `*_UNAVAILABLE` error (ioredis `maxRetriesPerRequest`). Low by default so callers learn fast
   * that Redis is down and apply their own retry policy. Only with `url`.
   * @default 1
   */
  readonly maxRetriesPerRequest?: number | undefined;
}

/** Connection options after validation, with defaults applied. */
export interface ResolvedRedisConnection {
  /** The URL to open, when the adapter owns its connection. */
  readonly url: string | undefined;
  /** The borrowed client, when the caller lent one. */
  readonly client: Redis | undefined;
  /** See `RedisConnectionOptions.connectTimeoutMs`. */
  readonly connectTimeoutMs: number;
  /** See `RedisConnectionOptions.commandTimeoutMs`. */
  readonly commandTimeoutMs: number;
  /** See `RedisConnectionOptions.maxRetriesPerRequest`. */
  readonly maxRetriesPerRequest: number;
}

/** Default of `connectTimeoutMs`. */
const defaultConnectTimeoutMs = 5_000;
/** Default of `commandTimeoutMs`. */
const defaultCommandTimeoutMs = 5_000;
/** Default of `maxRetriesPerRequest`. */
const defaultMaxRetriesPerRequest = 1;
/** The longest pause between two reconnection attempts of a connection the adapter owns, milliseconds. */
const maximumReconnectDelayMs = 500;

/**
 * True for an ioredis `Redis` instance, by shape rather than `instanceof` so a client from another
 * installed copy of ioredis is accepted too.
 */
function isRedisClient(value: unknown): value is Redis {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.hmget === 'function' &&
    typeof candidate.scan === 'function' &&
    typeof candidate.defineCommand === 'function' &&
    typeof candidate.duplicate === 'function' &&
    typeof candidate.options === 'object' &&
    candidate.isCluster !== true
  );
}

/** Zod fields shared by every option schema that opens a Redis connection. */
export const redisConnectionFields = {
  url: z
    .string()
    .regex(/^rediss?:\/\/\S*$/, { message: "expected a URL starting with 'redis://' or 'rediss://'" })
    .optional()
    .meta({ fix: "pass a URL such as 'redis://127.0.0.1:6379' (or lend an ioredis client as 'client')" }),
  client: z
    .custom<Redis>(isRedisClient, { message: 'expected an ioredis Redis instance (Cluster clients are not supported)' })
    .optional()
    .meta({ fix: "pass an ioredis Redis instance (new Redis(...)), not a Cluster, or pass 'url' instead" }),
  connectTimeoutMs: z.number().int().positive().optional().meta({ fix: 'pass a whole number of milliseconds above 0, e.g. 5000' }),
  commandTimeoutMs: z.number().int().positive().optional().meta({ fix: 'pass a whole number of milliseconds above 0, e.g. 5000' }),
  maxRetriesPerRequest: z.number().int().min(0).optional().meta({ fix: 'pass a whole number of reconnection attempts, 0 or more, e.g. 1' }),
};

/** The connection fields as parsed by `redisConnectionFields`. */
interface ParsedConnectionFields {
  readonly url?: string | undefined;
  readonly client?: Redis | undefined;
  readonly connectTimeoutMs?: number | undefined;
  readonly commandTimeoutMs?: number | undefined;
  readonly maxRetriesPerRequest?: number | undefined;
}

/** Names of the options that tune a connection the adapter opens itself. */
const ownedConnectionOptions = ['connectTimeoutMs', 'commandTimeoutMs', 'maxRetriesPerRequest'] as const;

/**
 * Checks that exactly one of `url` and `client` is given, and that connection tuning comes only
 * with `url` (a borrowed client keeps its owner's settings). For a zod `superRefine`.
 */
export function refineRedisConnection(options: ParsedConnectionFields, context: z.RefinementCtx): void {
  if (options.url === undefined && options.client === undefined) {
    context.addIssue({ code: 'custom', path: ['url'], message: "give either 'url' or 'client'" });
    return;
  }
  if (options.url !== undefined && options.client !== undefined) {
    context.addIssue({ code: 'custom', path: ['client'], message: "give either 'url' or 'client', not both" });
    return;
  }
  if (options.client !== undefined) {
    for (const name of ownedConnectionOptions) {
      if (options[name] !== undefined) {
        context.addIssue({ code: 'custom', path: [name], message: `applies only with 'url': a borrowed client keeps the settings it was created with` });
        return;
      }
    }
  }
}

/** Applies the connection defaults. */
export function resolveRedisConnection(options: ParsedConnectionFields): ResolvedRedisConnection {
  return {
    url: options.url,
    client: options.client,
    connectTimeoutMs: options.connectTimeoutMs ?? defaultConnectTimeoutMs,
    commandTimeoutMs: options.commandTimeoutMs ?? defaultCommandTimeoutMs,
    maxRetriesPerRequest: options.maxRetriesPerRequest ?? defaultMaxRetriesPerRequest,
  };
}

/**
 * Opens a connection the adapter owns. Its `error` events are consumed here: every failed command
 * already rejects with a typed error, so the events would only repeat them (ioredis prints
 * unhandled ones to the console).
 */
export function openRedisConnection(connection: ResolvedRedisConnection & { readonly url: string }, extra: { readonly autoResubscribe?: boolean } = {}): Redis {
  const client = new Redis(connection.url, {
    connectTimeout: connection.connectTimeoutMs,
    commandTimeout: connection.commandTimeoutMs,
    maxRetriesPerRequest: connection.maxRetriesPerRequest,
    // ioredis waits up to 2 s between reconnection attempts; half a second bounds how long a
    // command waits on a server that is down to about (maxRetriesPerRequest + 1) * 0.5 s.
    retryStrategy: (attempt: number) => Math.min(attempt * 50, maximumReconnectDelayMs),
    ...extra,
  });
  client.on('error', () => undefined);
  return client;
}

/** Closes a connection the adapter owns: `QUIT` when connected (pending replies arrive first), else a hard disconnect. */
export async function closeRedisConnection(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // The connection broke while quitting: disconnect below.
    }
  }
  client.disconnect();
}
