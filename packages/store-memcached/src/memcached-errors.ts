import { PaymigrateError } from '@paymigrate/core';
import { memcachedStatus, MemcachedStatusError } from './memcached-protocol.js';

const valueTooLargeMarker = Symbol.for('paymigrate.error.session-value-too-large');

/**
 * A session value is larger than the store accepts (`SESSION_VALUE_TOO_LARGE`). Nothing was
 * written: the check runs before any byte is sent, and the previous value of the key is intact.
 * Not retryable: shrink the session or raise the server's item size (memcached `-I`) together with
 * the store's `maxItemBytes`.
 */
export class SessionValueTooLargeError extends PaymigrateError {
  private readonly [valueTooLargeMarker] = true;

  /** The session key that was being written. */
  readonly key: string;
  /** Size of the value, UTF-8 bytes. */
  readonly valueBytes: number;
  /** The largest value the store accepts, UTF-8 bytes (its `capabilities.maxValueBytes`). */
  readonly maximumValueBytes: number;

  /** @param options The key, the value's size, the limit, and the server's refusal when it was the server that refused. */
  constructor(options: { key: string; valueBytes: number; maximumValueBytes: number; cause?: unknown }) {
    super(
      'SESSION_VALUE_TOO_LARGE',
      `Session '${options.key}' is ${options.valueBytes} bytes, above the ${options.maximumValueBytes}-byte limit of the memcached session store; nothing was written. Shrink the session, or raise memcached's -I and the store's maxItemBytes together.`,
      { cause: options.cause },
    );
    this.name = 'SessionValueTooLargeError';
    this.key = options.key;
    this.valueBytes = options.valueBytes;
    this.maximumValueBytes = options.maximumValueBytes;
  }

  /** True for this error, whichever installed copy of the package created it. */
  static override isInstance(error: unknown): error is SessionValueTooLargeError {
    return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[valueTooLargeMarker] === true;
  }
}

/** A call on a closed store: `SESSION_STORE_CLOSED`, as the in-memory reference does. */
export function memcachedClosedError(operation: string): PaymigrateError {
  return new PaymigrateError('SESSION_STORE_CLOSED', `Memcached session store has been closed: ${operation}() needs a new store.`);
}

/** An item under a session key that this store did not write: `SESSION_ENTRY_MALFORMED`. */
export function memcachedMalformedEntryError(key: string): PaymigrateError {
  return new PaymigrateError(
    'SESSION_ENTRY_MALFORMED',
    `Memcached session store: the item at key '${key}' is not a session envelope written by this store. Use another keyPrefix, or delete the key.`,
  );
}

/**
 * Maps a memcached failure to one typed error:
 * - a transport failure (connection refused or reset, timeout, no server) or a transient status
 *   (out of memory, busy, temporary failure) becomes the retryable `SESSION_STORE_UNAVAILABLE`;
 * - "value too large" (the server's `-I` is below the store's `maxItemBytes`) becomes
 *   `SessionValueTooLargeError` when the key and size are known;
 * - any other status becomes the non-retryable `SESSION_STORE_COMMAND_FAILED`.
 * paymigrate errors pass through unchanged.
 */
export function translateMemcachedError(
  error: unknown,
  operation: string,
  tooLarge?: { readonly key: string; readonly valueBytes: number; readonly maximumValueBytes: number },
): PaymigrateError {
  if (PaymigrateError.isInstance(error)) return error;
  if (error instanceof MemcachedStatusError) {
    if (error.status === memcachedStatus.valueTooLarge && tooLarge !== undefined) return new SessionValueTooLargeError({ ...tooLarge, cause: error });
    const transient: readonly number[] = [memcachedStatus.outOfMemory, memcachedStatus.busy, memcachedStatus.temporaryFailure];
    if (!transient.includes(error.status)) {
      return new PaymigrateError('SESSION_STORE_COMMAND_FAILED', `Memcached session store ${operation}() was refused by the server: ${error.message}.`, { cause: error });
    }
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new PaymigrateError(
    'SESSION_STORE_UNAVAILABLE',
    `Memcached session store ${operation}() failed: memcached is unreachable or overloaded (${reason}). Retry later; check that the server is up and reachable.`,
    { cause: error, isRetryable: true },
  );
}
