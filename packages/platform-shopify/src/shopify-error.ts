import {
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { GraphqlQueryError, HttpRequestError, HttpResponseError, HttpThrottlingError } from '@shopify/shopify-api';
import { shopifyComponent } from './shopify-options.js';

/** Whether a call only reads (a failure had no effect) or writes (a failure may hide an effect). */
export type ShopifyCallEffect = 'read' | 'write';

/** What the adapter knows about the request that failed. */
export interface ShopifyFailureContext {
  /** The operation, for messages (`orderCapture`, `order`...). */
  readonly operation: string;
  readonly effect: ShopifyCallEffect;
  /** The caller aborted. */
  readonly aborted: boolean;
  /** The adapter's own timeout fired. */
  readonly timedOut: boolean;
  /** The connection failed before anything was sent. */
  readonly notSent: boolean;
}

/** A failure, normalized: a throttle the adapter may wait out, or a final error. */
export type ShopifyFailure = { readonly kind: 'throttled'; readonly error: RateLimitedError } | { readonly kind: 'failed'; readonly error: ProviderError };

/** A GraphQL error as Shopify answers it. */
interface ShopifyGraphqlError {
  readonly message?: unknown;
  readonly extensions?: { readonly code?: unknown } | undefined;
}

/** The wait before a throttled query can pass, when Shopify does not say. */
export const defaultThrottleWaitMilliseconds = 1000;

const provider = shopifyComponent;

function headerValue(headers: unknown, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() !== name) continue;
    const first: unknown = Array.isArray(value) ? value[0] : value;
    return typeof first === 'string' ? first : undefined;
  }
  return undefined;
}

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * How long until the bucket holds what a throttled query asked for, from Shopify's
 * `extensions.cost`: `(requestedQueryCost - currentlyAvailable) / restoreRate` seconds, rounded up.
 */
export function throttleWaitMilliseconds(extensions: unknown): number {
  const cost = (extensions as { readonly cost?: Record<string, unknown> } | undefined)?.cost;
  const status = cost?.['throttleStatus'] as Record<string, unknown> | undefined;
  const requested = numberOf(cost?.['requestedQueryCost']);
  const available = numberOf(status?.['currentlyAvailable']);
  const restoreRate = numberOf(status?.['restoreRate']);
  if (requested === undefined || available === undefined || restoreRate === undefined || restoreRate <= 0) return defaultThrottleWaitMilliseconds;
  return Math.max(0, Math.ceil(((requested - available) / restoreRate) * 1000));
}

/** Maps the failure of one request to `@shopify/shopify-api` onto the core error classes. */
export function normalizeShopifyFailure(error: unknown, context: ShopifyFailureContext): ShopifyFailure {
  const write = context.effect === 'write';
  const failed = (normalized: ProviderError): ShopifyFailure => ({ kind: 'failed', error: normalized });
  const unknownOrRetryable = (message: string, details: { httpStatus?: number; providerCode?: string; requestId?: string }): ShopifyFailure =>
    failed(
      write
        ? new UnknownOutcomeError(`${message}; ${context.operation} may or may not have been applied`, { provider, ...details, cause: error })
        : new ProviderRetryableError(message, { provider, ...details, cause: error }),
    );

  if (error instanceof GraphqlQueryError) {
    const body = error.body as { readonly errors?: { readonly graphQLErrors?: readonly ShopifyGraphqlError[] }; readonly extensions?: unknown } | undefined;
    const errors = body?.errors?.graphQLErrors ?? [];
    const codes = errors.map((entry) => (typeof entry.extensions?.code === 'string' ? entry.extensions.code : undefined));
    const messages = errors.map((entry) => (typeof entry.message === 'string' ? entry.message : 'GraphQL error')).join('; ') || error.message;
    const requestId = headerValue(error.headers, 'x-request-id');
    if (codes.includes('THROTTLED')) {
      const retryAfterMs = throttleWaitMilliseconds(body?.extensions);
      return { kind: 'throttled', error: new RateLimitedError(`${context.operation} was throttled: ${messages}`, { provider, httpStatus: 200, providerCode: 'THROTTLED', requestId, retryAfterMs, cause: error }) };
    }
    if (codes.includes('ACCESS_DENIED')) {
      return failed(new ProviderAuthenticationError(`${context.operation}: access denied (${messages}); check the app's access scopes`, { provider, httpStatus: 200, providerCode: 'ACCESS_DENIED', requestId, cause: error }));
    }
    if (codes.includes('INTERNAL_SERVER_ERROR')) return unknownOrRetryable(`Shopify failed internally: ${messages}`, { httpStatus: 200, providerCode: 'INTERNAL_SERVER_ERROR', requestId });
    const code = codes.find((candidate) => candidate !== undefined);
    return failed(new InvalidRequestError(`${context.operation} was refused: ${messages}`, { provider, httpStatus: 200, providerCode: code, requestId, cause: error }));
  }

  if (error instanceof HttpResponseError) {
    const status = error.response.code;
    const requestId = headerValue(error.response.headers, 'x-request-id');
    const details = { httpStatus: status, requestId };
    if (error instanceof HttpThrottlingError || status === 429) {
      const retryAfter = (error.response as { readonly retryAfter?: unknown }).retryAfter;
      const retryAfterMs = typeof retryAfter === 'number' && Number.isFinite(retryAfter) ? Math.ceil(retryAfter * 1000) : defaultThrottleWaitMilliseconds;
      return { kind: 'throttled', error: new RateLimitedError(`${context.operation} was rate limited (HTTP 429)`, { provider, ...details, retryAfterMs, cause: error }) };
    }
    if (status === 401 || status === 403) {
      return failed(new ProviderAuthenticationError(`Shopify refused the credentials (HTTP ${status}); check the Admin API access token and its scopes`, { provider, ...details, cause: error }));
    }
    if (status === 402 || status === 423) {
      return failed(new ProviderUnavailableError(`The shop is ${status === 402 ? 'frozen (payment required)' : 'locked'} (HTTP ${status}); nothing was applied`, { provider, ...details, cause: error }));
    }
    if (status >= 500) return unknownOrRetryable(`Shopify answered HTTP ${status}`, details);
    const hint = status === 404 ? ': check the shop domain and the API version' : '';
    return failed(new InvalidRequestError(`Shopify answered HTTP ${status} to ${context.operation}${hint}`, { provider, ...details, cause: error }));
  }

  // No answer: HttpRequestError (network, abort, timeout) or anything the library let through.
  const reason = context.aborted ? 'the caller aborted it' : context.timedOut ? 'it timed out' : error instanceof HttpRequestError ? 'the network failed' : 'it failed unexpectedly';
  if (context.notSent) return failed(new ProviderUnavailableError(`${context.operation} could not reach Shopify; nothing was sent`, { provider, cause: error }));
  if (write) return failed(new UnknownOutcomeError(`${context.operation} got no answer (${reason}); it may or may not have been applied`, { provider, cause: error }));
  return failed(new ProviderUnavailableError(`${context.operation} got no answer (${reason})`, { provider, cause: error }));
}

/** A `userErrors` / `orderCancelUserErrors` entry. */
export interface ShopifyUserError {
  readonly field?: readonly string[] | null | undefined;
  readonly message: string;
  readonly code?: string | null | undefined;
}

/**
 * A mutation's user errors as one core error: `NOT_FOUND` (or "does not exist" on the order id)
 * is a `ResourceNotFoundError`, anything else an `InvalidRequestError` naming the field.
 */
export function userErrorsToError(operation: string, userErrors: readonly ShopifyUserError[], orderId: string): ProviderError {
  const [first] = userErrors as [ShopifyUserError, ...ShopifyUserError[]];
  const parameter = first.field === undefined || first.field === null || first.field.length === 0 ? undefined : first.field.join('.');
  const message = `${operation} was refused: ${userErrors.map((error) => (error.field ? `${error.field.join('.')}: ${error.message}` : error.message)).join('; ')}`;
  const code = first.code ?? undefined;
  const onOrderId = parameter === 'orderId' || parameter === 'input.id' || parameter === 'input.orderId' || parameter === 'id';
  if (code === 'NOT_FOUND' || (onOrderId && /does not exist|not found/i.test(first.message))) {
    return new ResourceNotFoundError(message, { provider, httpStatus: 200, providerCode: code, resource: `order ${orderId}` });
  }
  return new InvalidRequestError(message, { provider, httpStatus: 200, providerCode: code, parameter });
}

/** A response the adapter cannot read: after a write, its outcome is unknown. */
export function malformedResponse(operation: string, detail: string, effect: ShopifyCallEffect, cause?: unknown): ProviderError {
  const message = `Shopify's answer to ${operation} is not what the 2025-01 schema promises (${detail})`;
  return effect === 'write'
    ? new UnknownOutcomeError(`${message}; it may or may not have been applied`, { provider, cause })
    : new ProviderError('PROVIDER_MALFORMED_RESPONSE', message, { provider, cause }, false);
}
