import { parseOptions } from '@paymigrate/core';
import type { Client } from 'memjs';
import { z } from 'zod';

/** Options of `createMemcachedSessionStore`. */
export interface MemcachedSessionStoreOptions {
  /**
   * `host:port`, or several separated by commas (memjs spreads keys over them by hash); the store
   * opens its own client and closes it on `close()`. Give either `servers` or `client`.
   * @example '127.0.0.1:11211'
   */
  readonly servers?: string | undefined;
  /**
   * A memjs `Client` the store borrows: never closed by the store. Do not enable its `failover`:
   * a CAS token is only valid on the server that issued it. Give either `servers` or `client`.
   */
  readonly client?: Client | undefined;
  /**
   * Prepended to every session key (and the index keys) on the server, and stripped from the keys
   * `enumerate` yields. Keys, prefix included, are at most 250 bytes without spaces or control
   * characters (memcached's rule).
   * @default ''
   */
  readonly keyPrefix?: string | undefined;
  /**
   * Name (after `keyPrefix`) of the key index: its shards are `<indexKey>:<n>`. Session keys may
   * not start with `<indexKey>:`.
   * @default 'paymigrate:session-index'
   */
  readonly indexKey?: string | undefined;
  /**
   * How many items the key index is spread over. Each holds at most `maxItemBytes` of
   * newline-separated keys (about 17,000 keys of 60 bytes), so the index holds roughly
   * `indexShards * 17,000` live sessions. Never change it while an index is in use: keys recorded
   * in shards beyond the new count would no longer be enumerated.
   * @default 64
   */
  readonly indexShards?: number | undefined;
  /**
   * The server's largest item in bytes (memcached `-I`). The store accepts session values up to
   * this minus 1 KiB (room for the key, memcached's item header and the 25-byte envelope header) and
   * refuses larger ones before sending anything.
   * @default 1048576
   */
  readonly maxItemBytes?: number | undefined;
  /**
   * How many times one request is sent when the connection fails (timeout, reset) before the call
   * fails with the retryable `SESSION_STORE_UNAVAILABLE`. The store resolves what a repeated write
   * means itself (a repeated `add` that finds its own version counts as written).
   * @default 2
   */
  readonly maxAttempts?: number | undefined;
  /**
   * How long one request waits for its reply, milliseconds. Only with `servers`.
   * @default 1000
   */
  readonly timeoutMs?: number | undefined;
  /**
   * How long opening a connection may take, milliseconds. Only with `servers`.
   * @default 2000
   */
  readonly connectTimeoutMs?: number | undefined;
}

/** Options after validation, with every default applied. */
export interface ResolvedMemcachedSessionStoreOptions {
  /** See `MemcachedSessionStoreOptions.servers`. */
  readonly servers: string | undefined;
  /** See `MemcachedSessionStoreOptions.client`. */
  readonly client: Client | undefined;
  /** See `MemcachedSessionStoreOptions.keyPrefix`. */
  readonly keyPrefix: string;
  /** See `MemcachedSessionStoreOptions.indexKey`. */
  readonly indexKey: string;
  /** See `MemcachedSessionStoreOptions.indexShards`. */
  readonly indexShards: number;
  /** See `MemcachedSessionStoreOptions.maxItemBytes`. */
  readonly maxItemBytes: number;
  /** See `MemcachedSessionStoreOptions.maxAttempts`. */
  readonly maxAttempts: number;
  /** See `MemcachedSessionStoreOptions.timeoutMs`. */
  readonly timeoutMs: number;
  /** See `MemcachedSessionStoreOptions.connectTimeoutMs`. */
  readonly connectTimeoutMs: number;
}

/** Default of `indexKey`. */
export const defaultIndexKey = 'paymigrate:session-index';

/** memcached's default `-I`: 1 MiB. */
export const defaultMaxItemBytes = 1_048_576;

/** Bytes of each item kept free for the key, memcached's item header and the envelope header. */
export const itemOverheadBytes = 1_024;

/**
 * True when a text holds a space, a control character or DEL: memcached keys may not contain them
 * (and the key index separates keys with newlines).
 */
export function hasForbiddenKeyCharacters(text: string): boolean {
  for (let position = 0; position < text.length; position += 1) {
    const code = text.charCodeAt(position);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** True for a memjs `Client`, by shape rather than `instanceof`, so another installed copy is accepted too. */
function isMemjsClient(value: unknown): value is Client {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.perform === 'function' && typeof candidate.incrSeq === 'function' && Array.isArray(candidate.servers);
}

/** Options that tune the client the store opens itself. */
const ownedClientOptions = ['timeoutMs', 'connectTimeoutMs'] as const;

/** The zod schema behind `parseMemcachedSessionStoreOptions`; `fix` metadata feeds `ConfigurationError.fix`. */
export const memcachedSessionStoreOptionsSchema = z
  .strictObject({
    servers: z
      .string()
      .regex(/^[^\s,]+(,[^\s,]+)*$/, { message: "expected 'host:port', or several separated by commas" })
      .optional()
      .meta({ fix: "pass the servers as 'host:port' (several separated by commas), or lend a memjs client as 'client'" }),
    client: z
      .custom<Client>(isMemjsClient, { message: 'expected a memjs Client' })
      .optional()
      .meta({ fix: "pass a memjs Client (memjs.Client.create(...)), or pass 'servers' instead" }),
    keyPrefix: z
      .string()
      .refine((prefix) => !hasForbiddenKeyCharacters(prefix), { message: 'may not contain spaces or control characters' })
      .optional()
      .meta({ fix: "pass a prefix without spaces or control characters, such as 'sessions:'" }),
    indexKey: z
      .string()
      .min(1)
      .refine((name) => !hasForbiddenKeyCharacters(name), { message: 'may not contain spaces or control characters' })
      .optional()
      .meta({ fix: "pass a key name without spaces or control characters, such as 'paymigrate:session-index'" }),
    indexShards: z.number().int().min(1).max(1_024).optional().meta({ fix: 'pass a whole number from 1 to 1024, e.g. 64' }),
    maxItemBytes: z.number().int().min(2_048).optional().meta({ fix: "pass memcached's -I in bytes, e.g. 1048576" }),
    maxAttempts: z.number().int().min(1).max(10).optional().meta({ fix: 'pass a whole number from 1 to 10, e.g. 2' }),
    timeoutMs: z.number().int().positive().optional().meta({ fix: 'pass a whole number of milliseconds above 0, e.g. 1000' }),
    connectTimeoutMs: z.number().int().positive().optional().meta({ fix: 'pass a whole number of milliseconds above 0, e.g. 2000' }),
  })
  .superRefine((options, context) => {
    if ((options.servers === undefined) === (options.client === undefined)) {
      context.addIssue({
        code: 'custom',
        path: [options.servers === undefined ? 'servers' : 'client'],
        message: options.servers === undefined ? "give either 'servers' or 'client'" : "give either 'servers' or 'client', not both",
      });
      return;
    }
    const shardKeyBytes = Buffer.byteLength(`${options.keyPrefix ?? ''}${options.indexKey ?? defaultIndexKey}:${(options.indexShards ?? 64) - 1}`);
    if (shardKeyBytes > 250) {
      context.addIssue({ code: 'custom', path: ['indexKey'], message: 'makes index keys longer than the 250 bytes memcached allows' });
      return;
    }
    if (options.client === undefined) return;
    const misplaced = ownedClientOptions.find((name) => options[name] !== undefined);
    if (misplaced !== undefined) {
      context.addIssue({ code: 'custom', path: [misplaced], message: "applies only with 'servers': a borrowed client keeps the settings it was created with" });
    }
  })
  .meta({ fix: "pass an options object such as { servers: '127.0.0.1:11211' }" });

/**
 * Validates `MemcachedSessionStoreOptions` once, at construction, and applies the defaults.
 * @throws ConfigurationError naming the option (`memcached.servers`, `memcached.indexShards`, ...) and how to fix it.
 */
export function parseMemcachedSessionStoreOptions(input: unknown): ResolvedMemcachedSessionStoreOptions {
  const parsed = parseOptions(memcachedSessionStoreOptionsSchema, input, { component: 'memcached' });
  return {
    servers: parsed.servers,
    client: parsed.client,
    keyPrefix: parsed.keyPrefix ?? '',
    indexKey: parsed.indexKey ?? defaultIndexKey,
    indexShards: parsed.indexShards ?? 64,
    maxItemBytes: parsed.maxItemBytes ?? defaultMaxItemBytes,
    maxAttempts: parsed.maxAttempts ?? 2,
    timeoutMs: parsed.timeoutMs ?? 1_000,
    connectTimeoutMs: parsed.connectTimeoutMs ?? 2_000,
  };
}
