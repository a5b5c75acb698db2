import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const providerMarker = Symbol.for('paymigrate.error.provider');
const declinedMarker = Symbol.for('paymigrate.error.provider.declined');
const rateLimitedMarker = Symbol.for('paymigrate.error.provider.rate-limited');
const retryableMarker = Symbol.for('paymigrate.error.provider.retryable');
const unknownOutcomeMarker = Symbol.for('paymigrate.error.provider.unknown-outcome');
const invalidRequestMarker = Symbol.for('paymigrate.error.provider.invalid-request');
const authenticationMarker = Symbol.for('paymigrate.error.provider.authentication');
const unavailableMarker = Symbol.for('paymigrate.error.provider.unavailable');
const idempotencyConflictMarker = Symbol.for('paymigrate.error.provider.idempotency-conflict');
const notFoundMarker = Symbol.for('paymigrate.error.provider.not-found');

/** What every normalized provider error carries besides its message. */
export interface ProviderErrorDetails {
  /** Provider name as the gateway reports it (`stripe`, `paypal`, `adyen`, ...). */
  readonly provider: string;
  /** HTTP status of the provider's answer, when there was one. */
  readonly httpStatus?: number | undefined;
  /** The provider's own error code (`card_declined`, `INSTRUMENT_DECLINED`, `14_006`, ...). */
  readonly providerCode?: string | undefined;
  /** The provider's request id, for support tickets. */
  readonly requestId?: string | undefined;
  /** The lower-level error (SDK or network). */
  readonly cause?: unknown;
}

/**
 * Base of every error a `PaymentGateway`, `TokenExchange` or `CommercePlatform` adapter throws.
 * Adapters map their SDK's errors to exactly one subclass; core decides what to do by subclass.
 */
export class ProviderError extends PaymigrateError {
  private readonly [providerMarker] = true;

  /** Provider name (`stripe`, `paypal`, `adyen`, ...). */
  readonly provider: string;
  /** HTTP status of the provider's answer, when there was one. */
  readonly httpStatus: number | undefined;
  /** The provider's own error code. */
  readonly providerCode: string | undefined;
  /** The provider's request id, for support tickets. */
  readonly requestId: string | undefined;

  constructor(code: string, message: string, details: ProviderErrorDetails, isRetryable: boolean) {
    super(code, `[${details.provider}] ${message}`, { cause: details.cause, isRetryable });
    this.name = 'ProviderError';
    this.provider = details.provider;
    this.httpStatus = details.httpStatus;
    this.providerCode = details.providerCode;
    this.requestId = details.requestId;
  }

  static override isInstance(error: unknown): error is ProviderError {
    return hasMarker(error, providerMarker);
  }

}

/** The issuer or the provider's risk engine declined the payment. Final for this attempt. */
export class PaymentDeclinedError extends ProviderError {
  private readonly [declinedMarker] = true;

  /** Canonical decline reason, e.g. `insufficient_funds`, `do_not_honor`, `fraud_suspected`. */
  readonly declineReason: string;

  /** The provider's reference of the declined payment, when it created one (Stripe, Adyen do). */
  readonly providerReference: string | undefined;

  constructor(message: string, details: ProviderErrorDetails & { declineReason: string; providerReference?: string | undefined }) {
    super('PROVIDER_DECLINED', message, details, false);
    this.name = 'PaymentDeclinedError';
    this.declineReason = details.declineReason;
    this.providerReference = details.providerReference;
  }

  static override isInstance(error: unknown): error is PaymentDeclinedError {
    return hasMarker(error, declinedMarker);
  }
}

/** The provider throttled us. Wait `retryAfterMs`, then retry with the same idempotency key. */
export class RateLimitedError extends ProviderError {
  private readonly [rateLimitedMarker] = true;

  /** How long the provider asked us to wait, in milliseconds (from `Retry-After`, or a default). */
  readonly retryAfterMs: number;

  constructor(message: string, details: ProviderErrorDetails & { retryAfterMs: number }) {
    super('PROVIDER_RATE_LIMITED', message, details, true);
    this.name = 'RateLimitedError';
    this.retryAfterMs = details.retryAfterMs;
  }

  static override isInstance(error: unknown): error is RateLimitedError {
    return hasMarker(error, rateLimitedMarker);
  }
}

/**
 * A transient failure that the provider guarantees had no effect (e.g. a 409 lock conflict, a
 * 5xx before execution started). Safe to retry with the same key.
 */
export class ProviderRetryableError extends ProviderError {
  private readonly [retryableMarker] = true;

  constructor(message: string, details: ProviderErrorDetails) {
    super('PROVIDER_RETRYABLE', message, details, true);
    this.name = 'ProviderRetryableError';
  }

  static override isInstance(error: unknown): error is ProviderRetryableError {
    return hasMarker(error, retryableMarker);
  }
}

/**
 * The request was sent but no answer came back (timeout, connection reset after sending, a 5xx
 * that the provider may have executed). The operation may or may not have happened. Resolve it on
 * the same provider: retry with the same key, then look it up by merchant reference. Never send
 * it to another provider.
 */
export class UnknownOutcomeError extends ProviderError {
  private readonly [unknownOutcomeMarker] = true;

  constructor(message: string, details: ProviderErrorDetails) {
    super('PROVIDER_UNKNOWN_OUTCOME', message, details, true);
    this.name = 'UnknownOutcomeError';
  }

  static override isInstance(error: unknown): error is UnknownOutcomeError {
    return hasMarker(error, unknownOutcomeMarker);
  }
}

/** The provider refused the request as malformed or not allowed (amount too high, wrong state...). */
export class InvalidRequestError extends ProviderError {
  private readonly [invalidRequestMarker] = true;

  /** The request field the provider named, when it did. */
  readonly parameter: string | undefined;

  constructor(message: string, details: ProviderErrorDetails & { parameter?: string | undefined }) {
    super('PROVIDER_INVALID_REQUEST', message, details, false);
    this.name = 'InvalidRequestError';
    this.parameter = details.parameter;
  }

  static override isInstance(error: unknown): error is InvalidRequestError {
    return hasMarker(error, invalidRequestMarker);
  }
}

/** The provider rejected our credentials. An operator must fix the secret; retrying will not help. */
export class ProviderAuthenticationError extends ProviderError {
  private readonly [authenticationMarker] = true;

  constructor(message: string, details: ProviderErrorDetails) {
    super('PROVIDER_AUTHENTICATION', message, details, false);
    this.name = 'ProviderAuthenticationError';
  }

  static override isInstance(error: unknown): error is ProviderAuthenticationError {
    return hasMarker(error, authenticationMarker);
  }
}

/**
 * The provider could not be reached before anything was sent (DNS, connection refused, circuit
 * open, outage). Nothing happened; new payments may go elsewhere, follow-ups must wait.
 */
export class ProviderUnavailableError extends ProviderError {
  private readonly [unavailableMarker] = true;

  constructor(message: string, details: ProviderErrorDetails) {
    super('PROVIDER_UNAVAILABLE', message, details, true);
    this.name = 'ProviderUnavailableError';
  }

  static override isInstance(error: unknown): error is ProviderUnavailableError {
    return hasMarker(error, unavailableMarker);
  }
}

/**
 * The idempotency key was already used with different parameters. This is a bug in the caller:
 * the journal must always replay the exact parameters it recorded with the key.
 */
export class IdempotencyConflictError extends ProviderError {
  private readonly [idempotencyConflictMarker] = true;

  /** The key that was reused. */
  readonly idempotencyKey: string;

  constructor(message: string, details: ProviderErrorDetails & { idempotencyKey: string }) {
    super('PROVIDER_IDEMPOTENCY_CONFLICT', message, details, false);
    this.name = 'IdempotencyConflictError';
    this.idempotencyKey = details.idempotencyKey;
  }

  static override isInstance(error: unknown): error is IdempotencyConflictError {
    return hasMarker(error, idempotencyConflictMarker);
  }
}

/** The provider has no such payment, refund, customer or token. */
export class ResourceNotFoundError extends ProviderError {
  private readonly [notFoundMarker] = true;

  /** What was looked up, e.g. `payment pi_123`. */
  readonly resource: string;

  constructor(message: string, details: ProviderErrorDetails & { resource: string }) {
    super('PROVIDER_RESOURCE_NOT_FOUND', message, details, false);
    this.name = 'ResourceNotFoundError';
    this.resource = details.resource;
  }

  static override isInstance(error: unknown): error is ResourceNotFoundError {
    return hasMarker(error, notFoundMarker);
  }
}
