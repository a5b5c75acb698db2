import {
  IdempotencyConflictError,
  InvalidRequestError,
  PaymentDeclinedError,
  PaymigrateError,
  ProviderAuthenticationError,
  type ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { AbortError, ApiError, ArgumentsValidationError, ResponseValidationError } from '@paypal/paypal-server-sdk';
import { declineReasonFromIssue } from './map-paypal-decline-reason.js';

/** The provider name every error and snapshot of this adapter carries. */
export const payPalProviderName = 'paypal';

/** What was being done when an error happened; decides between "unknown outcome" and "retryable". */
export interface PayPalErrorContext {
  /** The gateway operation, for messages (`authorize`, `capture`, `retrieve`, ...). */
  readonly operation: string;
  /**
   * `write` when the request may change state at PayPal (a lost answer is an unknown outcome);
   * `read` when it cannot (any transport failure is safely retryable).
   */
  readonly kind: 'read' | 'write';
  /** The idempotency key the write carried, for `IdempotencyConflictError`. */
  readonly idempotencyKey?: string | undefined;
  /** What was looked up, for `ResourceNotFoundError` (`order 5O190127TN364715T`). */
  readonly resource?: string | undefined;
}

/** Default wait when PayPal answers 429 without a usable `Retry-After`. */
export const defaultRetryAfterMilliseconds = 1_000;

/**
 * Transport error codes that prove the connection was never established, so no byte of the request
 * reached PayPal: nothing can have happened there.
 */
const notConnectedCodes: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);

/** 422 issues that say a `PayPal-Request-Id` was already used for another request. */
const idempotencyIssues: ReadonlySet<string> = new Set(['PAYPAL_REQUEST_ID_PREVIOUSLY_USED', 'DUPLICATE_REQUEST_ID']);

/** The parts of a PayPal error body the adapter reads (Orders/Payments/Vault `error`, or OAuth's). */
interface PayPalErrorBody {
  readonly name?: string | undefined;
  readonly message?: string | undefined;
  readonly debugId?: string | undefined;
  readonly issue?: string | undefined;
  readonly description?: string | undefined;
  readonly field?: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringField(record: Record<string, unknown>, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' ? value : undefined;
}

/** Reads PayPal's error body from an SDK `ApiError` (parsed `result`, else the raw `body`). */
function readErrorBody(error: ApiError): PayPalErrorBody {
  let parsed: unknown = error.result;
  if (!isRecord(parsed) && typeof error.body === 'string') {
    try {
      parsed = JSON.parse(error.body);
    } catch {
      parsed = undefined;
    }
  }
  if (!isRecord(parsed)) return {};
  const details = Array.isArray(parsed.details) ? parsed.details : [];
  const first: unknown = details[0];
  const detail = isRecord(first) ? first : {};
  return {
    name: stringField(parsed, 'name') ?? stringField(parsed, 'error'),
    message: stringField(parsed, 'message') ?? stringField(parsed, 'error_description'),
    debugId: stringField(parsed, 'debug_id'),
    issue: stringField(detail, 'issue'),
    description: stringField(detail, 'description'),
    field: stringField(detail, 'field'),
  };
}

/** The URL of the request that failed, from an SDK `ApiError` or a transport (axios) error. */
function failedRequestUrl(error: unknown): string | undefined {
  if (!isRecord(error)) return undefined;
  for (const holder of [error.request, error.config]) {
    if (isRecord(holder) && typeof holder.url === 'string') return holder.url;
  }
  return undefined;
}

/**
 * Whether an error comes from fetching the OAuth access token (`POST /v1/oauth2/token`) rather
 * than from the call itself. Such a failure means the call was never sent. The SDK also caches the
 * failed token promise forever (one failure poisons the client), so the gateway rebuilds its SDK
 * client when this is true.
 */
export function isPayPalTokenFailure(error: unknown): boolean {
  // The SDK's OAuthProviderError class is shadowed at the package root by an enum of the same name,
  // so the token endpoint is recognized by the failed request's URL.
  return failedRequestUrl(error)?.includes('/v1/oauth2/token') ?? false;
}

/**
 * Milliseconds to wait from a `Retry-After` header: delta-seconds or an HTTP date. Missing,
 * negative or unparseable values give {@link defaultRetryAfterMilliseconds}.
 * @param now The current time, epoch milliseconds (for HTTP dates).
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number {
  if (value === undefined || value.trim() === '') return defaultRetryAfterMilliseconds;
  const trimmed = value.trim();
  if (/^[0-9]+(\.[0-9]+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return defaultRetryAfterMilliseconds;
  return Math.max(date - now, 0);
}

/** The header value, whatever its case (the SDK lower-cases response headers). */
function header(headers: Readonly<Record<string, string>>, name: string): string | undefined {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function describe(body: PayPalErrorBody, status: number): string {
  const parts = [`PayPal answered ${status}`];
  if (body.name !== undefined) parts.push(body.name);
  if (body.issue !== undefined) parts.push(`(${body.issue})`);
  const text = body.description ?? body.message;
  return text === undefined ? parts.join(' ') : `${parts.join(' ')}: ${text}`;
}

/** The error for a write whose answer was lost, or a read that can simply be repeated. */
function lostAnswer(message: string, context: PayPalErrorContext, details: { httpStatus?: number | undefined; providerCode?: string | undefined; requestId?: string | undefined; cause: unknown }): ProviderError {
  const base = { provider: payPalProviderName, ...details };
  return context.kind === 'write'
    ? new UnknownOutcomeError(`${context.operation}: ${message}. PayPal may have executed it: retry with the same idempotency key, which returns what PayPal holds.`, base)
    : new ProviderRetryableError(`${context.operation}: ${message}. Reading has no effect at PayPal: retry.`, base);
}

function fromApiError(error: ApiError, context: PayPalErrorContext): ProviderError {
  const status = error.statusCode;
  const body = readErrorBody(error);
  const requestId = body.debugId ?? header(error.headers, 'paypal-debug-id');
  const details = { provider: payPalProviderName, httpStatus: status, providerCode: body.issue ?? body.name, requestId, cause: error };
  const message = describe(body, status);

  if (isPayPalTokenFailure(error)) {
    if (status === 400 || status === 401 || status === 403) {
      return new ProviderAuthenticationError(
        `${context.operation}: PayPal refused the client credentials (${message}). Check clientId/clientSecret (PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET) and the environment (sandbox or production).`,
        details,
      );
    }
    if (status === 429) {
      return new RateLimitedError(`${context.operation}: ${message} while fetching an access token; the request was not sent`, {
        ...details,
        retryAfterMs: parseRetryAfter(header(error.headers, 'retry-after')),
      });
    }
    return new ProviderUnavailableError(`${context.operation}: ${message} while fetching an access token; the request was not sent`, details);
  }

  switch (status) {
    case 401:
      return new ProviderAuthenticationError(`${context.operation}: ${message}. The access token was refused; check the REST app credentials and permissions.`, details);
    case 403:
      return new ProviderAuthenticationError(`${context.operation}: ${message}. The REST app lacks the permission (card processing, vault) for this call.`, details);
    case 404:
      return new ResourceNotFoundError(`${context.operation}: ${message}`, { ...details, resource: context.resource ?? 'resource' });
    case 409:
      return new ProviderRetryableError(`${context.operation}: ${message}. A previous request on this resource is still in progress; retry later with the same key.`, details);
    case 429:
      return new RateLimitedError(`${context.operation}: ${message}`, { ...details, retryAfterMs: parseRetryAfter(header(error.headers, 'retry-after')) });
    case 422: {
      if (body.issue !== undefined && idempotencyIssues.has(body.issue)) {
        return new IdempotencyConflictError(`${context.operation}: ${message}`, { ...details, idempotencyKey: context.idempotencyKey ?? '' });
      }
      const declineReason = declineReasonFromIssue(body.issue);
      if (declineReason !== undefined) {
        return new PaymentDeclinedError(`${context.operation}: ${message}`, { ...details, declineReason });
      }
      return new InvalidRequestError(`${context.operation}: ${message}`, { ...details, parameter: body.field });
    }
    default:
      if (status >= 500) return lostAnswer(message, context, details);
      return new InvalidRequestError(`${context.operation}: ${message}`, { ...details, parameter: body.field });
  }
}

/** A transport failure: no HTTP answer at all. */
function fromTransportError(error: unknown, context: PayPalErrorContext): ProviderError {
  const record = isRecord(error) ? error : {};
  const code = typeof record.code === 'string' ? record.code : undefined;
  const reason = error instanceof Error ? error.message : String(error);
  const details = { provider: payPalProviderName, providerCode: code, cause: error };
  // No errno code and the Fetch-style "Network error": the connection failed without any exchange
  // (msw's Response.error(), a refused connection); real sockets always carry a code.
  if ((code !== undefined && notConnectedCodes.has(code)) || (code === undefined && reason === 'Network error')) {
    return new ProviderUnavailableError(`${context.operation}: PayPal could not be reached (${code ?? reason}); nothing was sent`, details);
  }
  return lostAnswer(`no answer from PayPal (${code ?? reason})`, context, details);
}

/**
 * Maps anything the SDK (or the HTTP stack under it) throws to exactly one core error:
 *
 * | PayPal / SDK | core |
 * |---|---|
 * | 422 with a decline issue (`INSTRUMENT_DECLINED`, `PAYMENT_SOURCE_DECLINED_BY_PROCESSOR`, ...) | `PaymentDeclinedError` (canonical reason) |
 * | 422 `PAYPAL_REQUEST_ID_PREVIOUSLY_USED` | `IdempotencyConflictError` |
 * | other 422, 400, other 4xx | `InvalidRequestError` (`parameter` from `details[0].field`) |
 * | 401, 403, token endpoint 400/401 | `ProviderAuthenticationError` |
 * | 404 | `ResourceNotFoundError` |
 * | 409 `PREVIOUS_REQUEST_IN_PROGRESS` | `ProviderRetryableError` |
 * | 429 | `RateLimitedError` (`retryAfterMs` from `Retry-After`) |
 * | 5xx, timeout, reset, abort, unreadable 2xx — on a write | `UnknownOutcomeError` |
 * | the same on a read | `ProviderRetryableError` |
 * | connection refused / DNS failure / token fetch failed | `ProviderUnavailableError` |
 *
 * A `PaymigrateError` passes through unchanged.
 */
export function normalizePayPalError(error: unknown, context: PayPalErrorContext): PaymigrateError {
  if (PaymigrateError.isInstance(error)) return error;
  if (error instanceof ApiError) return fromApiError(error, context);
  if (isPayPalTokenFailure(error)) {
    const reason = error instanceof Error ? error.message : String(error);
    return new ProviderUnavailableError(`${context.operation}: could not fetch a PayPal access token (${reason}); the request was not sent`, {
      provider: payPalProviderName,
      cause: error,
    });
  }
  if (error instanceof ArgumentsValidationError) {
    return new InvalidRequestError(`${context.operation}: the PayPal SDK refused the request before sending it: ${error.message}`, {
      provider: payPalProviderName,
      cause: error,
    });
  }
  if (error instanceof AbortError) {
    return lostAnswer('the call was aborted', context, { cause: error });
  }
  if (error instanceof ResponseValidationError) {
    return lostAnswer('PayPal answered with a body the SDK could not read', context, { httpStatus: error.statusCode, cause: error });
  }
  return fromTransportError(error, context);
}

/**
 * The error for a PayPal answer the adapter could not interpret (a 2xx without a readable amount,
 * for instance): on a write the operation may have happened (`UnknownOutcomeError`), on a read the
 * call can be repeated (`ProviderRetryableError`).
 */
export function malformedPayPalAnswer(error: unknown, context: PayPalErrorContext): ProviderError {
  const reason = error instanceof Error ? error.message : String(error);
  return lostAnswer(`PayPal's answer could not be read (${reason})`, context, { cause: error });
}
