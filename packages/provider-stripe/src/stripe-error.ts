import {
  IdempotencyConflictError,
  InvalidRequestError,
  PaymentDeclinedError,
  ProviderAuthenticationError,
  type ProviderError,
  type ProviderErrorDetails,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import Stripe from 'stripe';
import { transportCodeOf } from './stripe-client.js';
import { mapStripeDeclineCode } from './map-stripe-decline-code.js';

/** The provider name every Stripe error carries. */
export const stripeProviderName = 'stripe';

/** What the mapper needs to know about the call that failed. */
export interface StripeErrorContext {
  /**
   * `write` for requests that may change something at Stripe (creates, captures, refunds,
   * cancels), `read` for lookups. A lost answer to a write has an unknown outcome; to a read it
   * is merely retryable.
   */
  readonly kind: 'write' | 'read';
  /** The idempotency key the write carried. */
  readonly idempotencyKey?: string | undefined;
  /** What was looked up, for `ResourceNotFoundError` (`payment pi_...`). */
  readonly resource?: string | undefined;
  /** Whether the caller's `AbortSignal` fired during the call. */
  readonly abortedByCaller?: boolean | undefined;
}

/** Connection failures that happen before a request is sent: nothing reached Stripe. */
const notSentCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']);

/** How long to wait after a 429 without a usable `Retry-After`. */
const defaultRetryAfterMilliseconds = 1000;

/**
 * Milliseconds to wait from a `Retry-After` header: delay-seconds or an HTTP date; the default
 * when absent or unreadable.
 */
export function retryAfterMilliseconds(headers: Readonly<Record<string, string>> | undefined, now: number = Date.now()): number {
  const value = headers?.['retry-after']?.trim();
  if (value === undefined || value === '') return defaultRetryAfterMilliseconds;
  if (/^[0-9]+(\.[0-9]+)?$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? defaultRetryAfterMilliseconds : Math.max(0, date - now);
}

/** Stripe's message, or `fallback` when Stripe sent none. */
function messageOf(error: Stripe.errors.StripeError, fallback: string): string {
  return error.message === '' ? fallback : error.message;
}

function detailsOf(error: Stripe.errors.StripeError): ProviderErrorDetails {
  return {
    provider: stripeProviderName,
    httpStatus: error.statusCode,
    providerCode: error.code ?? error.rawType,
    requestId: error.requestId,
    cause: error,
  };
}

/** A lost answer: unknown outcome for writes, retryable for reads. */
function lostAnswer(message: string, details: ProviderErrorDetails, context: StripeErrorContext): ProviderError {
  return context.kind === 'write'
    ? new UnknownOutcomeError(`${message} Stripe may have executed it: retry with the same idempotency key, then look it up by merchant reference.`, details)
    : new ProviderRetryableError(`${message} The lookup changed nothing and can be repeated.`, details);
}

function connectionError(error: Stripe.errors.StripeConnectionError, context: StripeErrorContext): ProviderError {
  const code = transportCodeOf(error.detail);
  const details: ProviderErrorDetails = { provider: stripeProviderName, providerCode: code, requestId: error.requestId, cause: error };
  if (code !== undefined && notSentCodes.has(code)) {
    return new ProviderUnavailableError(`Stripe could not be reached (${code}); nothing was sent.`, details);
  }
  if (context.abortedByCaller === true) return lostAnswer('The call was aborted by the caller after the request was sent.', details, context);
  const reason = code === 'ETIMEDOUT' ? 'No answer from Stripe before the timeout.' : `The connection to Stripe failed after the request was sent${code === undefined ? '' : ` (${code})`}.`;
  return lostAnswer(reason, details, context);
}

function invalidRequestError(error: Stripe.errors.StripeError, context: StripeErrorContext): ProviderError {
  const details = detailsOf(error);
  if (error.code === 'resource_missing' || error.statusCode === 404) {
    return new ResourceNotFoundError(messageOf(error, 'Stripe has no such object.'), { ...details, resource: context.resource ?? error.param ?? 'object' });
  }
  return new InvalidRequestError(messageOf(error, 'Stripe refused the request.'), { ...details, parameter: error.param });
}

/**
 * Maps anything the Stripe SDK throws to exactly one core `ProviderError`:
 *
 * | Stripe | core |
 * |---|---|
 * | `card_error` (402), with `decline_code` | `PaymentDeclinedError` (canonical reason, `providerReference` = the intent) |
 * | 429 `rate_limit` | `RateLimitedError` (`Retry-After`) |
 * | 429 `lock_timeout`, 409 (incl. `idempotency_key_in_use`) | `ProviderRetryableError` (nothing was saved) |
 * | 401, 403 | `ProviderAuthenticationError` |
 * | 400 `idempotency_error` | `IdempotencyConflictError` |
 * | 404, `resource_missing` | `ResourceNotFoundError` |
 * | other 4xx | `InvalidRequestError` |
 * | 5xx `api_error`, unreadable answers | write: `UnknownOutcomeError`; read: `ProviderRetryableError` |
 * | connection refused / DNS failure (nothing sent) | `ProviderUnavailableError` |
 * | timeout, reset or abort after sending | write: `UnknownOutcomeError`; read: `ProviderRetryableError` |
 *
 * Anything else (not a Stripe error) is treated as a lost answer.
 */
export function mapStripeError(error: unknown, context: StripeErrorContext): ProviderError {
  if (!(error instanceof Stripe.errors.StripeError)) {
    const message = error instanceof Error ? error.message : String(error);
    return lostAnswer(`The Stripe call failed unexpectedly (${message}).`, { provider: stripeProviderName, cause: error }, context);
  }
  const details = detailsOf(error);
  if (error instanceof Stripe.errors.StripeCardError || error.rawType === 'card_error') {
    const intent = error.payment_intent;
    return new PaymentDeclinedError(messageOf(error, 'The card was declined.'), {
      ...details,
      providerCode: error.decline_code ?? error.code,
      declineReason: mapStripeDeclineCode(error.decline_code ?? error.code),
      providerReference: intent?.id,
    });
  }
  if (error instanceof Stripe.errors.StripeRateLimitError) {
    if (error.code === 'lock_timeout') {
      return new ProviderRetryableError(`${messageOf(error, 'Stripe object locked.')} Nothing was changed; retry with the same key.`, details);
    }
    return new RateLimitedError(messageOf(error, 'Stripe rate limit reached.'), { ...details, retryAfterMs: retryAfterMilliseconds(error.headers) });
  }
  if (error instanceof Stripe.errors.StripeAuthenticationError || error instanceof Stripe.errors.StripePermissionError) {
    return new ProviderAuthenticationError(`${messageOf(error, 'Stripe refused the API key.')} Fix the Stripe API key (stripe.apiKey / STRIPE_API_KEY).`, details);
  }
  if (error instanceof Stripe.errors.StripeIdempotencyError) {
    return new IdempotencyConflictError(messageOf(error, 'The idempotency key was used with other parameters.'), {
      ...details,
      idempotencyKey: context.idempotencyKey ?? '',
    });
  }
  if (error instanceof Stripe.errors.StripeInvalidRequestError) return invalidRequestError(error, context);
  if (error instanceof Stripe.errors.StripeConnectionError) return connectionError(error, context);
  const status = error.statusCode;
  if (status === 409) {
    return new ProviderRetryableError(`${messageOf(error, 'Stripe reported a conflicting request.')} Nothing was saved; retry with the same key.`, details);
  }
  if (status !== undefined && status >= 400 && status < 500) return invalidRequestError(error, context);
  const reason = status === undefined ? 'Stripe answered something unreadable.' : `Stripe answered ${status}.`;
  return lostAnswer(reason, details, context);
}
