import type { HttpClientException } from '@adyen/api-library';
import {
  InvalidRequestError,
  PaymigrateError,
  ProviderAuthenticationError,
  type ProviderError,
  type ProviderErrorDetails,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { adyenLibrary } from './adyen-library.js';

/** Provider name of every error this adapter throws. */
export const adyenProviderName = 'adyen';

/** What the adapter knew about the call that failed. */
export interface AdyenErrorContext {
  /** What was attempted, for the message (`authorize`, `capture`, ...). */
  readonly operation: string;
  /** Whether the call changes state at Adyen (every POST). A failed write may have executed. */
  readonly write: boolean;
  /** What a not-found answer is about, e.g. `payment QFQTPCQ8HXSKGK82`. */
  readonly resource?: string | undefined;
  /** The adapter's own per-request timeout fired. */
  readonly timedOut?: boolean | undefined;
  /** How long that timeout was, for the message. */
  readonly timeoutMilliseconds?: number | undefined;
  /** The caller's `AbortSignal` fired while the call was in flight. */
  readonly aborted?: boolean | undefined;
}

/** Adyen error codes that mean "no such payment or token". */
const notFoundErrorCodes: ReadonlySet<string> = new Set([
  // Original pspReference required for this operation (unknown payment reference).
  '167',
  // Invalid Request: Original pspReference is invalid for this environment.
  '906',
  // Contract not found / PaymentDetail not found / RecurringDetailReference not available.
  '800',
  '803',
  '805',
]);

/** Adyen's "request already processed or in progress" (a concurrent request with the same idempotency key). */
const inProgressErrorCode = '704';

/**
 * Network failures that happen before a byte of the request leaves: refused connection, DNS,
 * unreachable network, TLS handshake, an invalid URL. "Network error" is what interceptors such
 * as msw report for a failed connection (they carry no errno; a real socket that fails after
 * sending reports ECONNRESET or "socket hang up", which are unknown outcomes).
 */
const beforeSendPattern =
  /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ENETDOWN|EHOSTDOWN|CERT_|certificate|self[- ]signed|ERR_TLS|ERR_INVALID_PROTOCOL|not supported\. Expected|Invalid URL|^Network error$/i;

/** Default wait when a 429 carries no usable `Retry-After`. */
export const defaultRetryAfterMilliseconds = 1_000;

/**
 * Milliseconds to wait from a `Retry-After` header: delta-seconds or an HTTP date.
 * @returns `undefined` when the header is absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, now: number = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const trimmed = header.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Replaces anything that could be a card number (13-19 digits) in a provider message. */
function redactDigits(text: string): string {
  return text.replace(/[0-9](?:[ -]?[0-9]){12,18}/g, '[redacted]');
}

function headerValue(headers: HttpClientException['responseHeaders'], name: string): string | undefined {
  const value = headers?.[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The `ServiceError` body of an Adyen error answer, when there is one. */
interface AdyenServiceError {
  readonly status?: number | undefined;
  readonly errorCode?: string | undefined;
  readonly message?: string | undefined;
  readonly errorType?: string | undefined;
  readonly pspReference?: string | undefined;
}

function serviceErrorOf(exception: HttpClientException): AdyenServiceError | undefined {
  if (exception.apiError !== undefined) return exception.apiError;
  try {
    const parsed: unknown = JSON.parse(exception.responseBody ?? '');
    return typeof parsed === 'object' && parsed !== null ? (parsed as AdyenServiceError) : undefined;
  } catch {
    return undefined;
  }
}

function isHttpClientException(error: unknown): error is HttpClientException {
  return error instanceof adyenLibrary.HttpClientException || (error instanceof Error && error.name === 'HttpClientException' && 'statusCode' in error);
}

function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}

/** A write that may have executed: unknown outcome. A read: safe to retry. */
function sentWithoutAnswer(message: string, details: ProviderErrorDetails, context: AdyenErrorContext): ProviderError {
  return context.write
    ? new UnknownOutcomeError(`${message}; the ${context.operation} may or may not have happened. Retry with the same idempotency key.`, details)
    : new ProviderRetryableError(`${message}; ${context.operation} changes nothing and can be retried.`, details);
}

function fromHttpAnswer(exception: HttpClientException, context: AdyenErrorContext): ProviderError {
  const status = exception.statusCode;
  const body = serviceErrorOf(exception);
  const errorCode = exception.errorCode ?? body?.errorCode;
  const transient = headerValue(exception.responseHeaders, 'transient-error')?.toLowerCase() === 'true';
  const details: ProviderErrorDetails = {
    provider: adyenProviderName,
    httpStatus: status,
    providerCode: errorCode,
    requestId: body?.pspReference ?? headerValue(exception.responseHeaders, 'pspreference'),
    cause: exception,
  };
  const adyenMessage = redactDigits(body?.message ?? exception.message);
  const described = `Adyen answered ${status}${errorCode === undefined ? '' : ` (${errorCode})`} to ${context.operation}: ${adyenMessage}`;
  if (status === 401 || status === 403) {
    return new ProviderAuthenticationError(`${described}. Check the API key (ADYEN_API_KEY), its roles and the merchant account.`, details);
  }
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headerValue(exception.responseHeaders, 'retry-after')) ?? defaultRetryAfterMilliseconds;
    return new RateLimitedError(`${described}. Wait ${retryAfterMs} ms and retry with the same idempotency key.`, { ...details, retryAfterMs });
  }
  if (errorCode === inProgressErrorCode || status >= 500 || status === 408) {
    if (transient) {
      return new ProviderRetryableError(`${described}. Adyen marked it transient (not processed): retry with the same idempotency key.`, details);
    }
    return sentWithoutAnswer(described, details, context);
  }
  if (status < 400) {
    const location = headerValue(exception.responseHeaders, 'location');
    return new ProviderUnavailableError(
      `Adyen answered ${status}${location === undefined ? '' : ` (redirect to ${location})`} to ${context.operation}; redirects are not followed, nothing was processed. Check baseUrl / liveEndpointUrlPrefix.`,
      details,
    );
  }
  if (status === 404 || (errorCode !== undefined && notFoundErrorCodes.has(errorCode))) {
    return new ResourceNotFoundError(described, { ...details, resource: context.resource ?? context.operation });
  }
  if (status === 409) {
    return new ProviderRetryableError(`${described}. Conflict: nothing was processed; retry with the same idempotency key.`, details);
  }
  return new InvalidRequestError(described, details);
}

/**
 * Maps anything the Adyen SDK (or the network under it) throws to exactly one core
 * `ProviderError` subclass:
 *
 * | Adyen answer or failure | Error |
 * |---|---|
 * | 401, 403 | `ProviderAuthenticationError` |
 * | 429 | `RateLimitedError` (`retryAfterMs` from `Retry-After`, default 1 s) |
 * | 5xx, 408, or 704 "request already processed or in progress", with `Transient-Error: true` | `ProviderRetryableError` |
 * | the same without `Transient-Error` | writes: `UnknownOutcomeError`; reads: `ProviderRetryableError` |
 * | 404, or 167 / 906 (unknown PSP reference), 800 / 803 / 805 (unknown stored payment method) | `ResourceNotFoundError` |
 * | 409 | `ProviderRetryableError` |
 * | other 4xx (422 validation, 400) | `InvalidRequestError` |
 * | 3xx (redirects are disabled) | `ProviderUnavailableError` |
 * | our timeout or the caller's abort while in flight | writes: `UnknownOutcomeError`; reads: `ProviderRetryableError` |
 * | refused connection, DNS, TLS (nothing sent) | `ProviderUnavailableError` |
 * | reset or hang-up after sending, anything else | writes: `UnknownOutcomeError`; reads: `ProviderRetryableError` |
 *
 * Declines are not errors at Adyen (`resultCode: Refused` in a 200); the gateway turns them into
 * `PaymentDeclinedError`. A paymigrate error passes through unchanged.
 */
export function normalizeAdyenError(error: unknown, context: AdyenErrorContext): PaymigrateError {
  if (PaymigrateError.isInstance(error)) return error;
  if (isHttpClientException(error)) return fromHttpAnswer(error, context);
  const details: ProviderErrorDetails = { provider: adyenProviderName, cause: error };
  const message = messageOf(error);
  if (context.timedOut === true) {
    return sentWithoutAnswer(`No answer from Adyen to ${context.operation} within ${context.timeoutMilliseconds ?? 'the'} ms`, details, context);
  }
  if (context.aborted === true) {
    return sentWithoutAnswer(`The caller aborted ${context.operation} while it was in flight`, details, context);
  }
  if (beforeSendPattern.test(message)) {
    return new ProviderUnavailableError(`Could not reach Adyen for ${context.operation} (${redactDigits(message)}); nothing was sent.`, details);
  }
  return sentWithoutAnswer(`The connection to Adyen failed during ${context.operation} (${redactDigits(message)})`, details, context);
}
