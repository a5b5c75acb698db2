import { InvalidRequestError, ProviderUnavailableError, type RateLimitedError, ResourceNotFoundError, UnknownOutcomeError } from '@paymigrate/core';
import { GraphqlQueryError, HttpRequestError, HttpResponseError, HttpThrottlingError } from '@shopify/shopify-api';
import { describe, expect, it } from 'vitest';
import { defaultThrottleWaitMilliseconds, normalizeShopifyFailure, type ShopifyFailureContext, throttleWaitMilliseconds, userErrorsToError } from './shopify-error.js';

const read: ShopifyFailureContext = { operation: 'order', effect: 'read', aborted: false, timedOut: false, notSent: false };
const write: ShopifyFailureContext = { ...read, operation: 'orderCapture', effect: 'write' };

describe('throttleWaitMilliseconds', () => {
  it('is the time the bucket needs to hold the requested cost, rounded up', () => {
    expect(throttleWaitMilliseconds({ cost: { requestedQueryCost: 102, throttleStatus: { currentlyAvailable: 2, restoreRate: 50 } } })).toBe(2000);
    expect(throttleWaitMilliseconds({ cost: { requestedQueryCost: 10, throttleStatus: { currentlyAvailable: 20, restoreRate: 50 } } })).toBe(0);
    expect(throttleWaitMilliseconds({ cost: { requestedQueryCost: 11, throttleStatus: { currentlyAvailable: 10, restoreRate: 3 } } })).toBe(334);
  });

  it.each([undefined, {}, { cost: {} }, { cost: { requestedQueryCost: 5, throttleStatus: { currentlyAvailable: 1, restoreRate: 0 } } }, { cost: { requestedQueryCost: Number.NaN, throttleStatus: { currentlyAvailable: 1, restoreRate: 50 } } }])(
    'falls back to the default for %j',
    (extensions) => {
      expect(throttleWaitMilliseconds(extensions)).toBe(defaultThrottleWaitMilliseconds);
    },
  );
});

describe('normalizeShopifyFailure', () => {
  it('a GraphQL error without a body or errors is an InvalidRequestError with the library message', () => {
    const failure = normalizeShopifyFailure(new GraphqlQueryError({ message: 'GraphQL operation failed', response: {} }), read);
    expect(failure.kind).toBe('failed');
    expect(InvalidRequestError.isInstance(failure.error)).toBe(true);
    expect(failure.error.message).toContain('GraphQL operation failed');
    expect(failure.error.requestId).toBeUndefined();
  });

  it('reads the request id from a plain or listed header, ignoring other shapes', () => {
    const body = { errors: { graphQLErrors: [{ message: 'x' }] } };
    expect(normalizeShopifyFailure(new GraphqlQueryError({ message: 'x', response: {}, headers: { 'X-Request-Id': 'plain' }, body }), read).error.requestId).toBe('plain');
    expect(normalizeShopifyFailure(new GraphqlQueryError({ message: 'x', response: {}, headers: { 'x-request-id': [7] }, body }), read).error.requestId).toBeUndefined();
    expect(normalizeShopifyFailure(new GraphqlQueryError({ message: 'x', response: {}, headers: { Other: ['a'] }, body }), read).error.requestId).toBeUndefined();
  });

  it('THROTTLED is a throttle with the wait from the cost extension', () => {
    const body = { errors: { graphQLErrors: [{ message: 'Throttled', extensions: { code: 'THROTTLED' } }] }, extensions: { cost: { requestedQueryCost: 60, throttleStatus: { currentlyAvailable: 10, restoreRate: 50 } } } };
    const failure = normalizeShopifyFailure(new GraphqlQueryError({ message: 'Throttled', response: {}, body }), write);
    expect(failure.kind).toBe('throttled');
    expect((failure.error as RateLimitedError).retryAfterMs).toBe(1000);
  });

  it('a 429 without Retry-After waits the default; HttpThrottlingError carries Retry-After in seconds', () => {
    const plain = normalizeShopifyFailure(new HttpResponseError({ message: 'x', code: 429, statusText: 'Too Many Requests' }), read);
    expect(plain.kind).toBe('throttled');
    expect((plain.error as RateLimitedError).retryAfterMs).toBe(defaultThrottleWaitMilliseconds);
    const throttled = normalizeShopifyFailure(new HttpThrottlingError({ message: 'x', code: 429, statusText: 'Too Many Requests', retryAfter: 1.5 }), read);
    expect((throttled.error as RateLimitedError).retryAfterMs).toBe(1500);
  });

  it('an error the library did not classify is unavailable on a read and unknown on a write', () => {
    const readFailure = normalizeShopifyFailure(new TypeError('boom'), read);
    expect(ProviderUnavailableError.isInstance(readFailure.error)).toBe(true);
    expect(readFailure.error.message).toContain('failed unexpectedly');
    const writeFailure = normalizeShopifyFailure(new HttpRequestError('fetch failed'), write);
    expect(UnknownOutcomeError.isInstance(writeFailure.error)).toBe(true);
    expect(writeFailure.error.message).toContain('network failed');
    expect(ProviderUnavailableError.isInstance(normalizeShopifyFailure(new HttpRequestError('fetch failed'), { ...write, notSent: true }).error)).toBe(true);
  });
});

describe('userErrorsToError', () => {
  it('names the field as the parameter and keeps every message', () => {
    const error = userErrorsToError('refundCreate', [{ field: ['input', 'transactions', '0', 'amount'], message: 'Amount too high' }, { field: null, message: 'Second' }], 'gid://shopify/Order/1');
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ parameter: 'input.transactions.0.amount', providerCode: undefined, httpStatus: 200 });
    expect(error.message).toBe('[shopify] refundCreate was refused: input.transactions.0.amount: Amount too high; Second');
  });

  it('an empty field list names no parameter; "does not exist" on the order id is a ResourceNotFoundError', () => {
    expect((userErrorsToError('orderCapture', [{ field: [], message: 'Nope', code: null }], 'o') as InvalidRequestError).parameter).toBeUndefined();
    for (const field of [['id'], ['input', 'id'], ['input', 'orderId'], ['orderId']]) {
      expect(ResourceNotFoundError.isInstance(userErrorsToError('orderCapture', [{ field, message: 'Order does not exist' }], 'o'))).toBe(true);
    }
    expect(InvalidRequestError.isInstance(userErrorsToError('orderCapture', [{ field: ['input', 'parentTransactionId'], message: 'Transaction does not exist' }], 'o'))).toBe(true);
  });
});
