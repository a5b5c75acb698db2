import {
  IdempotencyConflictError,
  InvalidRequestError,
  PaymentDeclinedError,
  ProviderAuthenticationError,
  ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { StripeTransportError } from './stripe-client.js';
import { mapStripeError, retryAfterMilliseconds, type StripeErrorContext } from './stripe-error.js';

// The SDK errors the fake cannot produce (403, a 409 from Stripe's API, odd statuses, errors
// that are not Stripe's), built the way the SDK builds them from an answer.
const write: StripeErrorContext = { kind: 'write', idempotencyKey: 'key-1' };
const read: StripeErrorContext = { kind: 'read', resource: 'payment pi_1' };

describe('mapStripeError', () => {
  it('403 is an authentication problem (the key lacks the permission)', () => {
    const error = mapStripeError(new Stripe.errors.StripePermissionError({ message: 'The provided key does not have access', statusCode: 403 }), write);
    expect(ProviderAuthenticationError.isInstance(error)).toBe(true);
    expect(error.httpStatus).toBe(403);
  });

  it("a 409 from Stripe's API (concurrent use of the key) is retryable: nothing was saved", () => {
    const error = mapStripeError(
      new Stripe.errors.StripeAPIError({ message: '', statusCode: 409, type: 'idempotency_error', code: 'idempotency_key_in_use' }),
      write,
    );
    expect(ProviderRetryableError.isInstance(error)).toBe(true);
    expect(error.message).toContain('Stripe reported a conflicting request.');
    expect(error.providerCode).toBe('idempotency_key_in_use');
  });

  it('another 4xx Stripe did not type is an InvalidRequestError; a 404 among them a ResourceNotFoundError', () => {
    expect(InvalidRequestError.isInstance(mapStripeError(new Stripe.errors.StripeAPIError({ message: 'Method not allowed', statusCode: 405 }), write))).toBe(true);
    const missing = mapStripeError(new Stripe.errors.StripeAPIError({ message: '', statusCode: 404 }), read);
    expect(ResourceNotFoundError.isInstance(missing)).toBe(true);
    expect((missing as ResourceNotFoundError).resource).toBe('payment pi_1');
    expect(missing.message).toBe('[stripe] Stripe has no such object.');
  });

  it('names the missing resource from the parameter, or generically', () => {
    const byParameter = mapStripeError(new Stripe.errors.StripeInvalidRequestError({ message: 'No such customer', code: 'resource_missing', param: 'customer', statusCode: 400 }), write);
    expect((byParameter as ResourceNotFoundError).resource).toBe('customer');
    const generic = mapStripeError(new Stripe.errors.StripeInvalidRequestError({ message: 'x', code: 'resource_missing', statusCode: 400 }), write);
    expect((generic as ResourceNotFoundError).resource).toBe('object');
    const refused = mapStripeError(new Stripe.errors.StripeInvalidRequestError({ message: '', statusCode: 400 }), write);
    expect(refused.message).toBe('[stripe] Stripe refused the request.');
  });

  it('a 5xx is an unknown outcome for a write and retryable for a read', () => {
    const apiError = new Stripe.errors.StripeAPIError({ message: 'boom', statusCode: 500, requestId: 'req_1' });
    expect(UnknownOutcomeError.isInstance(mapStripeError(apiError, write))).toBe(true);
    const readError = mapStripeError(apiError, read);
    expect(ProviderRetryableError.isInstance(readError)).toBe(true);
    expect(readError.requestId).toBe('req_1');
    expect(mapStripeError(new Stripe.errors.StripeAPIError({ message: 'Invalid JSON received from the Stripe API' }), write).message).toContain(
      'Stripe answered something unreadable.',
    );
  });

  it('an error that is not a Stripe error is treated as a lost answer', () => {
    expect(UnknownOutcomeError.isInstance(mapStripeError(new TypeError('x is undefined'), write))).toBe(true);
    const readError = mapStripeError('a string was thrown', read);
    expect(ProviderRetryableError.isInstance(readError)).toBe(true);
    expect(readError.message).toContain('a string was thrown');
  });

  it('falls back to a message of its own when Stripe sent none', () => {
    const declined = mapStripeError(new Stripe.errors.StripeCardError({ message: '', statusCode: 402, code: 'card_declined' }), write);
    expect(PaymentDeclinedError.isInstance(declined)).toBe(true);
    expect(declined.message).toBe('[stripe] The card was declined.');
    expect((declined as PaymentDeclinedError).declineReason).toBe('generic_decline');
    expect((declined as PaymentDeclinedError).providerReference).toBeUndefined();
    expect(mapStripeError(new Stripe.errors.StripeRateLimitError({ message: '', statusCode: 429 }), write).message).toBe('[stripe] Stripe rate limit reached.');
    expect(mapStripeError(new Stripe.errors.StripeRateLimitError({ message: '', statusCode: 429, code: 'lock_timeout' }), write).message).toContain('Stripe object locked.');
    expect(mapStripeError(new Stripe.errors.StripeAuthenticationError({ message: '', statusCode: 401 }), write).message).toContain('Stripe refused the API key.');
    const conflict = mapStripeError(new Stripe.errors.StripeIdempotencyError({ message: '', statusCode: 400, type: 'idempotency_error' }), { kind: 'write' });
    expect(IdempotencyConflictError.isInstance(conflict)).toBe(true);
    expect(conflict.message).toBe('[stripe] The idempotency key was used with other parameters.');
    expect((conflict as IdempotencyConflictError).idempotencyKey).toBe('');
  });

  it('a card error answered with another status is still a decline', () => {
    const error = mapStripeError(new Stripe.errors.StripeAPIError({ message: 'Declined', statusCode: 400, type: 'card_error', decline_code: 'do_not_honor' }), write);
    expect(PaymentDeclinedError.isInstance(error)).toBe(true);
    expect((error as PaymentDeclinedError).declineReason).toBe('do_not_honor');
  });

  it('connection failures: refused or unresolvable is unavailable; anything after sending is a lost answer', () => {
    const connection = (detail: unknown) => new Stripe.errors.StripeConnectionError({ message: 'An error occurred with our connection to Stripe.', detail: detail as Error });
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN']) {
      const error = mapStripeError(connection(new StripeTransportError(Object.assign(new Error(code), { code }))), write);
      expect(ProviderUnavailableError.isInstance(error), code).toBe(true);
      expect(error.providerCode).toBe(code);
    }
    expect(mapStripeError(connection(Object.assign(new TypeError('ETIMEDOUT'), { code: 'ETIMEDOUT' })), read).message).toContain('before the timeout');
    expect(UnknownOutcomeError.isInstance(mapStripeError(connection(new TypeError('Network error')), write))).toBe(true);
    expect(mapStripeError(connection(new TypeError('Network error')), write).message).toContain('after the request was sent.');
    expect(mapStripeError(connection(undefined), { ...write, abortedByCaller: true }).message).toContain('aborted by the caller');
  });

  it('every mapped error is a ProviderError of Stripe and keeps the SDK error as its cause', () => {
    const sdkError = new Stripe.errors.StripeAPIError({ message: 'x', statusCode: 502 });
    const mapped = mapStripeError(sdkError, write);
    expect(ProviderError.isInstance(mapped)).toBe(true);
    expect(mapped.provider).toBe('stripe');
    expect(mapped.cause).toBe(sdkError);
    expect(RateLimitedError.isInstance(mapped)).toBe(false);
  });
});

describe('retryAfterMilliseconds', () => {
  const now = Date.parse('2026-11-26T12:00:00Z');

  it.each([
    [{ 'retry-after': '2' }, 2000],
    [{ 'retry-after': '0.5' }, 500],
    [{ 'retry-after': ' 10 ' }, 10_000],
    [{ 'retry-after': 'Thu, 26 Nov 2026 12:00:30 GMT' }, 30_000],
    [{ 'retry-after': 'Thu, 26 Nov 2026 11:59:00 GMT' }, 0],
    [{ 'retry-after': 'soon' }, 1000],
    [{ 'retry-after': '' }, 1000],
    [{}, 1000],
    [undefined, 1000],
  ])('%j -> %d ms', (headers, expected) => {
    expect(retryAfterMilliseconds(headers, now)).toBe(expected);
  });
});
