import { redactSensitiveText } from '../pci/sensitive-data-scanner.js';

const paymigrateErrorMarker = Symbol.for('paymigrate.error');

/** Options every paymigrate error accepts. */
export interface PaymigrateErrorOptions {
  /** The lower-level error that caused this one; kept for debugging, never shown to customers. */
  readonly cause?: unknown;
  /**
   * Whether repeating the same operation (with the same idempotency key) may succeed.
   * Each subclass has a sensible default; pass this only to override it.
   */
  readonly isRetryable?: boolean;
}

/**
 * Root of every error paymigrate throws.
 *
 * Identity is carried by `Symbol.for` markers rather than `instanceof`, so checks keep working
 * when two copies of `@paymigrate/core` are installed side by side (a common monorepo accident).
 * Use the static `isInstance` of the class you expect.
 *
 * Messages are written for the operator: they say what happened and what to fix. They never
 * contain card numbers or secrets; callers pass identifiers, not payloads.
 */
export class PaymigrateError extends Error {
  private readonly [paymigrateErrorMarker] = true;

  /** Stable, machine-readable code (`SCREAMING_SNAKE_CASE`). Codes never change meaning. */
  readonly code: string;

  /** Whether repeating the same operation (same idempotency key) may succeed. */
  readonly isRetryable: boolean;

  constructor(code: string, message: string, options: PaymigrateErrorOptions = {}) {
    // Defence in depth: a message that somehow carries a card number is masked before it exists.
    super(redactSensitiveText(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PaymigrateError';
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
  }

  /** True for any paymigrate error, whichever installed copy of core created it. */
  static isInstance(error: unknown): error is PaymigrateError {
    return hasMarker(error, paymigrateErrorMarker);
  }

  /**
   * A JSON-safe view for logs and journals: name, code, message, retryability and every field the
   * subclass declares. The `cause` and the stack are left out: a cause may carry a provider's raw
   * payload, which has no place in a journal or a log line.
   */
  toJSON(): Record<string, unknown> {
    const fields = Object.entries(this).filter(([field]) => field !== 'cause' && field !== 'stack');
    return { name: this.name, code: this.code, message: this.message, isRetryable: this.isRetryable, ...Object.fromEntries(fields) };
  }
}

/** Checks a `Symbol.for` marker on an unknown value without throwing. */
export function hasMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && marker in value && (value as Record<symbol, unknown>)[marker] === true;
}
