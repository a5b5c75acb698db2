import { HttpClientException } from '@adyen/api-library';
import {
  ConfigurationError,
  IdempotencyConflictError,
  InvalidMoneyError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  ProviderAuthenticationError,
  ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from '@paymigrate/core';
import { adyenErrorBody, adyenFakeRoutes, adyenTestTokens } from '@paymigrate/testkit';
import { describe, expect, test } from 'vitest';
import { captureError, createTestSubject, newKey, newReference, useMockServer } from './__fixtures__/adyen-test-setup.js';
import { defaultRetryAfterMilliseconds, normalizeAdyenError, parseRetryAfter } from './adyen-error.js';
import type { AdyenGateway } from './adyen-gateway.js';

const server = useMockServer();
const euros = Money.of(1000n, 'EUR');

/** Every core provider error class, to check that an error is exactly one of them. */
const providerErrorChecks = [
  PaymentDeclinedError,
  RateLimitedError,
  ProviderRetryableError,
  UnknownOutcomeError,
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderUnavailableError,
  IdempotencyConflictError,
  ResourceNotFoundError,
] as const;

function expectExactly(error: unknown, expected: (typeof providerErrorChecks)[number]): void {
  expect(ProviderError.isInstance(error), `expected a ProviderError, got ${String(error)}`).toBe(true);
  const matching = providerErrorChecks.filter((type) => type.isInstance(error)).map((type) => type.name);
  expect(matching).toEqual([expected.name]);
  expect((error as ProviderError).provider).toBe('adyen');
}

function authorize(gateway: AdyenGateway, overrides: Partial<Parameters<AdyenGateway['authorize']>[0]> = {}) {
  return gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, paymentMethodToken: adyenTestTokens.visa, ...overrides });
}

describe('declines', () => {
  test('a refused card is a PaymentDeclinedError with the canonical reason, Adyen code and PSP reference', async () => {
    const { fake, gateway } = createTestSubject(server);
    const error = await captureError(() => authorize(gateway, { paymentMethodToken: adyenTestTokens.insufficientFunds }));
    expectExactly(error, PaymentDeclinedError);
    const declined = error as PaymentDeclinedError;
    expect(declined.declineReason).toBe('insufficient_funds');
    expect(declined.providerCode).toBe('12');
    expect(declined.isRetryable).toBe(false);
    expect(declined.providerReference).toBe(fake.payments()[0]?.pspReference);
    expect((await gateway.retrieve({ providerReference: declined.providerReference as string })).state).toBe('failed');
  });

  test.each([
    [adyenTestTokens.expiredCard, 'expired_card'],
    [adyenTestTokens.fraud, 'fraud_suspected'],
    [adyenTestTokens.error, 'processing_error'],
  ])('every refusal maps to its reason (%#)', async (token, reason) => {
    const { gateway } = createTestSubject(server);
    const error = await captureError(() => authorize(gateway, { paymentMethodToken: token }));
    expectExactly(error, PaymentDeclinedError);
    expect((error as PaymentDeclinedError).declineReason).toBe(reason);
  });
});

describe('rate limiting', () => {
  test("a 429 is a RateLimitedError with retryAfterMs from Retry-After, and nothing happened", async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.api.faults.inject({
      route: adyenFakeRoutes.payments,
      kind: 'rate-limit',
      retryAfterSeconds: 7,
      body: adyenErrorBody(429, '000', 'Too many requests', 'security'),
      times: 1,
    });
    const error = await captureError(() => authorize(gateway));
    expectExactly(error, RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(7000);
    expect((error as RateLimitedError).httpStatus).toBe(429);
    expect((error as RateLimitedError).isRetryable).toBe(true);
    expect(fake.payments()).toHaveLength(0);
  });

  test('Retry-After as an HTTP date, or absent (default wait)', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.answerNext(adyenFakeRoutes.payments, { status: 429, body: adyenErrorBody(429, '000', 'Too many requests', 'security'), headers: { 'retry-after': new Date(Date.now() + 60_000).toUTCString() } });
    const dated = await captureError(() => authorize(gateway));
    expect((dated as RateLimitedError).retryAfterMs).toBeGreaterThan(55_000);
    fake.answerNext(adyenFakeRoutes.payments, { status: 429, body: adyenErrorBody(429, '000', 'Too many requests', 'security') });
    const bare = await captureError(() => authorize(gateway));
    expect((bare as RateLimitedError).retryAfterMs).toBe(defaultRetryAfterMilliseconds);
  });
});

describe('server errors', () => {
  test('a 5xx on a write is an UnknownOutcomeError; the retry with the same key replays what Adyen stored', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.api.faults.inject({ route: adyenFakeRoutes.payments, kind: 'server-error', status: 500, applyFirst: true, body: adyenErrorBody(500, '905', 'Internal error', 'internal'), times: 1 });
    const input = { idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, paymentMethodToken: adyenTestTokens.visa } as const;
    const error = await captureError(() => gateway.authorize(input));
    expectExactly(error, UnknownOutcomeError);
    expect((error as UnknownOutcomeError).httpStatus).toBe(500);
    const retried = await gateway.authorize(input);
    expect(fake.payments()).toHaveLength(1);
    expect(retried.providerReference).toBe(fake.payments()[0]?.pspReference);
  });

  test('a 5xx marked Transient-Error: true is retryable (Adyen did not process it)', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.api.faults.inject({ route: adyenFakeRoutes.payments, kind: 'server-error', status: 503, headers: { 'transient-error': 'true' }, body: adyenErrorBody(503, '000', 'NO_CONNECTION_AVAILABLE', 'internal'), times: 1 });
    expectExactly(await captureError(() => authorize(gateway)), ProviderRetryableError);
  });

  test('a 5xx on a read is retryable', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.api.faults.inject({ route: adyenFakeRoutes.storedPaymentMethods, kind: 'server-error', status: 502, times: 1 });
    expectExactly(await captureError(() => gateway.listStoredPaymentMethods({ customerReference: 'shopper-1' })), ProviderRetryableError);
  });
});

describe('timeouts and connection failures', () => {
  test('timeout after apply is an UnknownOutcomeError; the same-key retry returns the payment already made, no double charge', async () => {
    const { fake, gateway } = createTestSubject(server, { gateway: { timeoutMilliseconds: 300 } });
    fake.api.faults.inject({ route: adyenFakeRoutes.payments, kind: 'timeout-after-apply', milliseconds: 2_000, times: 1 });
    const input = { idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, paymentMethodToken: adyenTestTokens.visa, captureMethod: 'automatic' } as const;
    const error = await captureError(() => gateway.authorize(input));
    expectExactly(error, UnknownOutcomeError);
    expect((error as Error).message).toContain('300 ms');
    expect(fake.payments()).toHaveLength(1);
    const retried = await gateway.authorize(input);
    expect(retried.providerReference).toBe(fake.payments()[0]?.pspReference);
    expect(retried.state).toBe('captured');
    expect(fake.payments()).toHaveLength(1);
    expect(fake.payments()[0]?.capturedValue).toBe(1000);
    expect(fake.api.callsTo(adyenFakeRoutes.payments)).toHaveLength(2);
    expect(new Set(fake.api.callsTo(adyenFakeRoutes.payments).map((call) => call.requestHeaders['idempotency-key']))).toEqual(new Set([input.idempotencyKey]));
  });

  test('a read that times out is retryable', async () => {
    const { fake, gateway } = createTestSubject(server, { gateway: { timeoutMilliseconds: 100 } });
    fake.api.faults.inject({ route: adyenFakeRoutes.storedPaymentMethods, kind: 'latency', milliseconds: 1_000, times: 1 });
    expectExactly(await captureError(() => gateway.listStoredPaymentMethods({ customerReference: 'shopper-1' })), ProviderRetryableError);
  });

  test('reset before apply (connection refused) is ProviderUnavailableError, and nothing happened', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.api.faults.inject({ route: adyenFakeRoutes.payments, kind: 'reset-before-apply', times: 1 });
    const error = await captureError(() => authorize(gateway));
    expectExactly(error, ProviderUnavailableError);
    expect(fake.payments()).toHaveLength(0);
  });

  test('a call aborted before it is sent is ProviderUnavailableError and sends nothing', async () => {
    const { fake, gateway } = createTestSubject(server);
    const controller = new AbortController();
    controller.abort();
    const error = await captureError(() =>
      gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, paymentMethodToken: adyenTestTokens.visa }, { signal: controller.signal }),
    );
    expectExactly(error, ProviderUnavailableError);
    expect(fake.api.calls).toHaveLength(0);
  });

  test('a write aborted in flight has an unknown outcome; a read aborted in flight is retryable', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.api.faults.inject({ kind: 'latency', milliseconds: 1_000 });
    const write = new AbortController();
    setTimeout(() => write.abort(), 50);
    const writeError = await captureError(() =>
      gateway.authorize({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, paymentMethodToken: adyenTestTokens.visa }, { signal: write.signal }),
    );
    expectExactly(writeError, UnknownOutcomeError);
    const read = new AbortController();
    setTimeout(() => read.abort(), 50);
    expectExactly(await captureError(() => gateway.listStoredPaymentMethods({ customerReference: 'shopper-1' }, { signal: read.signal })), ProviderRetryableError);
  });
});

describe('authentication', () => {
  test('a wrong API key is a 401 ProviderAuthenticationError', async () => {
    const { gateway } = createTestSubject(server, { gateway: { apiKey: 'AQE-wrong-key' } });
    const error = await captureError(() => authorize(gateway));
    expectExactly(error, ProviderAuthenticationError);
    expect((error as ProviderError).httpStatus).toBe(401);
    expect((error as Error).message).not.toContain('AQE-wrong-key');
  });

  test('a merchant account the key may not use is a 403 ProviderAuthenticationError', async () => {
    const { gateway } = createTestSubject(server, { gateway: { merchantAccount: 'SomeoneElsesAccount' } });
    const error = await captureError(() => authorize(gateway));
    expectExactly(error, ProviderAuthenticationError);
    expect((error as ProviderError).httpStatus).toBe(403);
    expect((error as ProviderError).providerCode).toBe('901');
  });
});

describe('idempotency conflicts', () => {
  test('the same key with other parameters is an IdempotencyConflictError (Adyen replays the first answer)', async () => {
    const { fake, gateway } = createTestSubject(server);
    const input = { idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, paymentMethodToken: adyenTestTokens.visa } as const;
    await gateway.authorize(input);
    const otherAmount = await captureError(() => gateway.authorize({ ...input, amount: Money.of(1001n, 'EUR') }));
    expectExactly(otherAmount, IdempotencyConflictError);
    expect((otherAmount as IdempotencyConflictError).idempotencyKey).toBe(input.idempotencyKey);
    expectExactly(await captureError(() => gateway.authorize({ ...input, merchantReference: newReference() })), IdempotencyConflictError);
    expect(fake.payments()).toHaveLength(1);
  });

  test('every modification detects a key reused for another payment or amount', async () => {
    const { gateway } = createTestSubject(server);
    const first = await authorize(gateway);
    const second = await authorize(gateway);
    const key = newKey();
    await gateway.capture({ idempotencyKey: key, providerReference: first.providerReference, amount: Money.of(100n, 'EUR'), finalCapture: false });
    expectExactly(await captureError(() => gateway.capture({ idempotencyKey: key, providerReference: first.providerReference, amount: Money.of(200n, 'EUR') })), IdempotencyConflictError);
    expectExactly(await captureError(() => gateway.capture({ idempotencyKey: key, providerReference: second.providerReference, amount: Money.of(100n, 'EUR') })), IdempotencyConflictError);
    expectExactly(await captureError(() => gateway.refund({ idempotencyKey: key, providerReference: second.providerReference, amount: Money.of(100n, 'EUR') })), IdempotencyConflictError);
    expectExactly(await captureError(() => gateway.refund({ idempotencyKey: key, providerReference: first.providerReference, amount: Money.of(50n, 'EUR') })), IdempotencyConflictError);
    expectExactly(await captureError(() => gateway.cancel({ idempotencyKey: key, providerReference: second.providerReference })), IdempotencyConflictError);
    expectExactly(await captureError(() => gateway.cancelOrRefund({ idempotencyKey: key, providerReference: second.providerReference })), IdempotencyConflictError);
    const technical = newKey();
    await gateway.cancelByMerchantReference({ idempotencyKey: technical, merchantReference: 'never-used-1' });
    expectExactly(await captureError(() => gateway.cancelByMerchantReference({ idempotencyKey: technical, merchantReference: 'never-used-2' })), IdempotencyConflictError);
  });

  test('704 "request already processed or in progress": retryable when transient, else unknown outcome', async () => {
    const { fake, gateway } = createTestSubject(server);
    const body = adyenErrorBody(422, '704', 'request already processed or in progress', 'validation');
    fake.answerNext(adyenFakeRoutes.payments, { status: 422, body, headers: { 'transient-error': 'true' } });
    expectExactly(await captureError(() => authorize(gateway)), ProviderRetryableError);
    fake.answerNext(adyenFakeRoutes.payments, { status: 409, body: { ...body, status: 409 } });
    expectExactly(await captureError(() => authorize(gateway)), UnknownOutcomeError);
  });
});

describe('invalid requests and unknown resources', () => {
  test('an unknown PSP reference (167) is ResourceNotFoundError', async () => {
    const { gateway } = createTestSubject(server);
    const error = await captureError(() => gateway.capture({ idempotencyKey: newKey(), providerReference: 'QAAA2AAA3AAA4AAA', amount: euros }));
    expectExactly(error, ResourceNotFoundError);
    expect((error as ResourceNotFoundError).resource).toBe('payment QAAA2AAA3AAA4AAA');
    expect((error as ProviderError).providerCode).toBe('167');
  });

  test('an unknown stored payment method (803) is ResourceNotFoundError', async () => {
    const { gateway } = createTestSubject(server);
    const error = await captureError(() =>
      gateway.chargeStoredPaymentMethod({ idempotencyKey: newKey(), merchantReference: newReference(), amount: euros, customerReference: 'shopper-9', paymentMethodToken: 'NOPE2222NOPE3333', reason: 'unscheduled' }),
    );
    expectExactly(error, ResourceNotFoundError);
  });

  test('a 422 validation error is InvalidRequestError (a brand the account does not take: 905)', async () => {
    const { gateway } = createTestSubject(server);
    const error = await captureError(() => authorize(gateway, { paymentMethodToken: adyenTestTokens.unsupportedBrand }));
    expectExactly(error, InvalidRequestError);
    expect((error as ProviderError).providerCode).toBe('905');
  });

  test('404, other 409, a 3xx redirect and odd error bodies each map to one class', async () => {
    const { fake, gateway } = createTestSubject(server);
    fake.answerNext(adyenFakeRoutes.payments, { status: 404, body: adyenErrorBody(404, '000', 'Not Found', 'validation') });
    expectExactly(await captureError(() => authorize(gateway)), ResourceNotFoundError);
    fake.answerNext(adyenFakeRoutes.payments, { status: 409, body: adyenErrorBody(409, '000', 'Conflict', 'validation') });
    expectExactly(await captureError(() => authorize(gateway)), ProviderRetryableError);
    fake.answerNext(adyenFakeRoutes.payments, { status: 308, body: { message: 'moved' }, headers: { location: 'https://checkout-live.adyen.com/v72/payments' } });
    const redirect = await captureError(() => authorize(gateway));
    expectExactly(redirect, ProviderUnavailableError);
    expect((redirect as Error).message).toContain('redirect to https://checkout-live.adyen.com/v72/payments');
    fake.answerNext(adyenFakeRoutes.payments, { status: 307, body: { message: 'moved' } });
    expectExactly(await captureError(() => authorize(gateway)), ProviderUnavailableError);
    fake.answerNext(adyenFakeRoutes.payments, { status: 400, body: 'not an error object' });
    expectExactly(await captureError(() => authorize(gateway)), InvalidRequestError);
    fake.answerNext(adyenFakeRoutes.payments, { status: 400, body: { errors: [{ field: 'amount' }] } });
    expectExactly(await captureError(() => authorize(gateway)), UnknownOutcomeError);
    fake.answerNext(adyenFakeRoutes.payments, { status: 408, body: adyenErrorBody(408, '000', 'Request Timeout', 'internal') });
    expectExactly(await captureError(() => authorize(gateway)), UnknownOutcomeError);
  });

  test('local refusals happen before anything is sent', async () => {
    const { fake, gateway } = createTestSubject(server);
    expectExactly(await captureError(() => authorize(gateway, { idempotencyKey: 'k'.repeat(65) })), InvalidRequestError);
    expectExactly(await captureError(() => authorize(gateway, { idempotencyKey: '' })), InvalidRequestError);
    expectExactly(await captureError(() => authorize(gateway, { savePaymentMethod: true })), InvalidRequestError);
    expectExactly(await captureError(() => authorize(gateway, { paymentMethodToken: '   ' })), InvalidRequestError);
    expect(InvalidMoneyError.isInstance(await captureError(() => authorize(gateway, { amount: Money.of(-1n, 'EUR') })))).toBe(true);
    expect(fake.api.calls).toHaveLength(0);
  });
});

describe('normalizeAdyenError', () => {
  const write = { operation: 'authorize', write: true } as const;
  const read = { operation: 'listStoredPaymentMethods', write: false } as const;

  test('passes paymigrate errors through unchanged', () => {
    const error = new ConfigurationError({ option: 'adyen.apiKey', problem: 'is missing', fix: 'set it' });
    expect(normalizeAdyenError(error, write)).toBe(error);
  });

  test('network failures: before sending is unavailable, after sending is unknown (writes) or retryable (reads)', () => {
    for (const message of ['connect ECONNREFUSED 127.0.0.1:443', 'getaddrinfo ENOTFOUND checkout-test.adyen.com', 'unable to verify the first certificate', 'Network error']) {
      expectExactly(normalizeAdyenError({ name: 'ApiException', message, statusCode: 500 }, write), ProviderUnavailableError);
    }
    expectExactly(normalizeAdyenError({ name: 'ApiException', message: 'socket hang up', statusCode: 500 }, write), UnknownOutcomeError);
    expectExactly(normalizeAdyenError(new Error('read ECONNRESET'), read), ProviderRetryableError);
    expectExactly(normalizeAdyenError('something odd', write), UnknownOutcomeError);
    expectExactly(normalizeAdyenError(new TypeError('Protocol "http:" not supported. Expected "https:"'), write), ProviderUnavailableError);
  });

  test('an HTTP exception without a parsable body still maps by status, and card-like digits are redacted', () => {
    const exception = new HttpClientException({ message: 'HTTP Exception: 422. card 4111111145551142 refused', statusCode: 422 });
    const error = normalizeAdyenError(exception, write);
    expectExactly(error, InvalidRequestError);
    expect(error.message).not.toContain('4111111145551142');
    expect(error.message).toContain('[redacted]');
  });

  test('a duck-typed HTTP exception (another SDK copy) and array headers are understood', () => {
    const foreign = Object.assign(new Error('HTTP Exception: 429.'), { name: 'HttpClientException', statusCode: 429, responseHeaders: { 'retry-after': ['4', '9'] } });
    const error = normalizeAdyenError(foreign, write);
    expectExactly(error, RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(4000);
  });

  test('an aborted or timed-out read is retryable', () => {
    expectExactly(normalizeAdyenError(new Error('The operation was aborted'), { ...read, aborted: true }), ProviderRetryableError);
    expectExactly(normalizeAdyenError(new Error('The operation was aborted'), { ...read, timedOut: true }), ProviderRetryableError);
  });
});

describe('parseRetryAfter', () => {
  test('reads delta-seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('1.5')).toBe(1500);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 4_000)).toBe(6000);
    expect(parseRetryAfter('Thu, 01 Jan 1970 00:00:10 GMT', 20_000)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
