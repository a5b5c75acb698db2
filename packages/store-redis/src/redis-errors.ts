import { PaymigrateError } from '@paymigrate/core';

/** Which adapter an error comes from: the session store or the control-plane broadcast. */
export type RedisComponent = 'session store' | 'broadcast';

/** Error codes by component: closed, unreachable, command refused, unreadable entry. */
const codes = {
  'session store': {
    closed: 'SESSION_STORE_CLOSED',
    unavailable: 'SESSION_STORE_UNAVAILABLE',
    commandFailed: 'SESSION_STORE_COMMAND_FAILED',
  },
  broadcast: {
    closed: 'BROADCAST_CLOSED',
    unavailable: 'BROADCAST_UNAVAILABLE',
    commandFailed: 'BROADCAST_COMMAND_FAILED',
  },
} as const;

/**
 * Reply errors that say "not now" rather than "never": the server is loading its data set, busy
 * with a script, a replica without its master, out of memory, or a cluster in motion. Retrying
 * later may succeed.
 */
const transientReplyPrefixes = ['LOADING', 'BUSY', 'MASTERDOWN', 'TRYAGAIN', 'CLUSTERDOWN', 'READONLY', 'NOREPLICAS', 'OOM'] as const;

/** A call on a closed adapter: `SESSION_STORE_CLOSED` / `BROADCAST_CLOSED`, as the in-memory reference does. */
export function redisClosedError(component: RedisComponent, operation: string): PaymigrateError {
  return new PaymigrateError(codes[component].closed, `Redis ${component} has been closed: ${operation}() needs a new one.`);
}

/** True for a reply the server sent as an error (ioredis `ReplyError`), as opposed to a transport failure. */
function isReplyError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Maps an ioredis failure to one typed error:
 * - a transport failure (connection refused or lost, command timeout, reconnection attempts used
 *   up) or a transient reply (`LOADING`, `BUSY`, `OOM`, ...) becomes the retryable
 *   `*_UNAVAILABLE`: nothing is known to have happened, so the caller may retry (every write of
 *   this adapter is safe to repeat: a repeated compare-and-set fails on the version it changed);
 * - any other reply error (`WRONGTYPE`, `NOSCRIPT` after a failed load, `NOPERM`, ...) becomes
 *   `*_COMMAND_FAILED`, not retryable: the same command would fail the same way.
 * paymigrate errors pass through unchanged. Messages never echo values, URLs or passwords.
 */
export function translateRedisError(error: unknown, component: RedisComponent, operation: string): PaymigrateError {
  if (PaymigrateError.isInstance(error)) return error;
  const reason = error instanceof Error ? error.message : String(error);
  if (isReplyError(error) && !transientReplyPrefixes.some((prefix) => error.message.startsWith(prefix))) {
    return new PaymigrateError(codes[component].commandFailed, `Redis ${component} ${operation}() was refused by the server: ${reason}.`, { cause: error });
  }
  return new PaymigrateError(
    codes[component].unavailable,
    `Redis ${component} ${operation}() failed: Redis is unreachable or not ready (${reason}). Retry later; check that the server is up and reachable.`,
    { cause: error, isRetryable: true },
  );
}
