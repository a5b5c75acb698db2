import {
  IdempotencyConflictError,
  InvalidMoneyError,
  InvalidRequestError,
  Money,
  PaymentDeclinedError,
  ProviderAuthenticationError,
  type ProviderError,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
  UnsupportedOperationError,
} from '@paymigrate/core';
import { payPalFakeRoutes, payPalFaultBodies, payPalTestPaymentTokens } from '@paymigrate/testkit';
import { AbortError, ApiError, ArgumentsValidationError, ResponseValidationError } from '@paypal/paypal-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPayPalTestSubject, failure, newKey, newReference, server } from './__fixtures__/paypal-test-environment.js';
import { defaultRetryAfterMilliseconds, malformedPayPalAnswer, normalizePayPalError, parseRetryAfter } from './paypal-error.js';

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterAll(() => server.close());

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');
const visa = payPalTestPaymentTokens.visa.vaultId;

function authorizeInput(overrides: Record<string, unknown> = {}) {
  return { idempotencyKey: newKey(), merchantReference: newReference(), amount: usd(10_000), paymentMethodToken: visa, ...overrides };
}

describe('errors produced from real fake answers', () => {
  it('a card the issuer denies after PayPal created the order: PaymentDeclinedError naming the order', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const error = await failure(() => gateway.authorize(authorizeInput({ paymentMethodToken: payPalTestPaymentTokens.doNotHonor.vaultId })));
    expect(PaymentDeclinedError.isInstance(error)).toBe(true);
    const declined = error as PaymentDeclinedError;
    expect(declined.declineReason).toBe('do_not_honor');
    expect(declined.providerCode).toBe('0500');
    expect(declined.providerReference).toBe(fake.payments()[0]?.orderId);
    expect((await gateway.retrieve({ providerReference: declined.providerReference as string })).state).toBe('failed');
  });

  it('a card declined on an automatic capture: PaymentDeclinedError from the DECLINED capture', async () => {
    const { gateway } = createPayPalTestSubject();
    const error = await failure(() => gateway.authorize(authorizeInput({ paymentMethodToken: payPalTestPaymentTokens.expiredCard.vaultId, captureMethod: 'automatic' })));
    expect((error as PaymentDeclinedError).declineReason).toBe('expired_card');
  });

  it.each([
    ['declinedByProcessor', 'processor_declined', 'PAYMENT_SOURCE_DECLINED_BY_PROCESSOR'],
    ['instrumentDeclined', 'generic_decline', 'INSTRUMENT_DECLINED'],
    ['jcb', 'card_not_supported', 'CARD_BRAND_NOT_SUPPORTED'],
  ] as const)('a %s card refused with 422: PaymentDeclinedError %s', async (token, reason, issue) => {
    const { gateway, fake } = createPayPalTestSubject();
    const error = await failure(() => gateway.authorize(authorizeInput({ paymentMethodToken: payPalTestPaymentTokens[token].vaultId })));
    expect(PaymentDeclinedError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ declineReason: reason, providerCode: issue, httpStatus: 422, providerReference: undefined, isRetryable: false });
    expect((error as ProviderError).requestId).toMatch(/^f[0-9a-f]{12}$/);
    expect(fake.payments()).toHaveLength(0);
  });

  it('429 with Retry-After: RateLimitedError, and the SDK did not retry behind our back', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    fake.api.faults.inject({ route: payPalFakeRoutes.createOrder, kind: 'rate-limit', retryAfterSeconds: 2, body: payPalFaultBodies.rateLimited(), times: 1 });
    const error = await failure(() => gateway.authorize(authorizeInput()));
    expect(RateLimitedError.isInstance(error)).toBe(true);
    expect((error as RateLimitedError).retryAfterMs).toBe(2000);
    expect((error as RateLimitedError).providerCode).toBe('RATE_LIMIT_REACHED');
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)).toHaveLength(1);
  });

  it('a 5xx after PayPal executed the write: UnknownOutcomeError; the same key then returns that payment (no double charge)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    fake.api.faults.inject({ route: payPalFakeRoutes.createOrder, kind: 'server-error', status: 500, applyFirst: true, body: payPalFaultBodies.internalServerError(), times: 1 });
    const input = authorizeInput();
    const error = await failure(() => gateway.authorize(input));
    expect(UnknownOutcomeError.isInstance(error)).toBe(true);
    expect((error as UnknownOutcomeError).httpStatus).toBe(500);
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)).toHaveLength(1);
    const payment = await gateway.authorize(input);
    expect(payment.state).toBe('authorized');
    expect(fake.payments()).toHaveLength(1);
    expect(payment.providerReference).toBe(fake.payments()[0]?.orderId);
  });

  it('a 5xx on a read: ProviderRetryableError (a read changes nothing)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    fake.api.faults.inject({ route: payPalFakeRoutes.getOrder, kind: 'server-error', status: 503, body: payPalFaultBodies.serviceUnavailable(), times: 1 });
    const error = await failure(() => gateway.retrieve({ providerReference: payment.providerReference }));
    expect(ProviderRetryableError.isInstance(error)).toBe(true);
    expect(fake.api.callsTo(payPalFakeRoutes.getOrder)).toHaveLength(1);
  });

  it('timeout after apply: UnknownOutcomeError; a retry with the same key returns the payment the fake created', async () => {
    const { gateway, fake } = createPayPalTestSubject({ timeoutMilliseconds: 250 });
    fake.api.faults.inject({ route: payPalFakeRoutes.createOrder, kind: 'timeout-after-apply', milliseconds: 1_000, times: 1 });
    const input = authorizeInput();
    const error = await failure(() => gateway.authorize(input));
    expect(UnknownOutcomeError.isInstance(error)).toBe(true);
    expect((error as UnknownOutcomeError).isRetryable).toBe(true);
    expect(fake.payments()).toHaveLength(1);
    const retried = await gateway.authorize(input);
    expect(retried.providerReference).toBe(fake.payments()[0]?.orderId);
    expect(retried.state).toBe('authorized');
    expect(fake.payments()).toHaveLength(1);
    const creates = fake.api.callsTo(payPalFakeRoutes.createOrder);
    expect(creates).toHaveLength(2);
    expect(creates.map((call) => call.requestHeaders['paypal-request-id'])).toEqual([input.idempotencyKey, input.idempotencyKey]);
    await fake.api.waitForPendingCalls();
  });

  it('timeout after a capture was applied: the retry returns the same capture, captured once', async () => {
    const { gateway, fake } = createPayPalTestSubject({ timeoutMilliseconds: 250 });
    const payment = await gateway.authorize(authorizeInput());
    fake.api.faults.inject({ route: payPalFakeRoutes.captureAuthorization, kind: 'timeout-after-apply', milliseconds: 1_000, times: 1 });
    const input = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) };
    expect(UnknownOutcomeError.isInstance(await failure(() => gateway.capture(input)))).toBe(true);
    const result = await gateway.capture(input);
    expect(fake.payments()[0]?.captures).toEqual([{ id: result.operationReference, status: 'COMPLETED', value: '100.00', refundedValue: '0.00' }]);
    expect((await gateway.retrieve({ providerReference: payment.providerReference })).state).toBe('captured');
    await fake.api.waitForPendingCalls();
  });

  it('reset before apply: ProviderUnavailableError, nothing happened', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    fake.api.faults.inject({ route: payPalFakeRoutes.createOrder, kind: 'reset-before-apply', times: 1 });
    const error = await failure(() => gateway.authorize(authorizeInput()));
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
    expect(fake.payments()).toHaveLength(0);
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)[0]?.applied).toBe(false);
  });

  it('wrong credentials: ProviderAuthenticationError from the token endpoint, the payment call never sent', async () => {
    const { gateway, fake } = createPayPalTestSubject({ clientSecret: 'not-the-secret' });
    const error = await failure(() => gateway.authorize(authorizeInput()));
    expect(ProviderAuthenticationError.isInstance(error)).toBe(true);
    expect((error as ProviderError).httpStatus).toBe(401);
    expect((error as ProviderError).providerCode).toBe('invalid_client');
    expect((error as Error).message).toContain('PAYPAL_CLIENT_SECRET');
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)).toHaveLength(0);
  });

  it('a 401 on the call: ProviderAuthenticationError, and the next call gets a fresh token', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    fake.revokeAccessTokens();
    const error = await failure(() => gateway.retrieve({ providerReference: payment.providerReference }));
    expect(ProviderAuthenticationError.isInstance(error)).toBe(true);
    expect((error as ProviderError).providerCode).toBe('AUTHENTICATION_FAILURE');
    expect((await gateway.retrieve({ providerReference: payment.providerReference })).state).toBe('authorized');
    expect(fake.api.callsTo(payPalFakeRoutes.oauthToken)).toHaveLength(2);
  });

  it('a failed token fetch does not poison the client (the SDK caches the failure; the gateway rebuilds it)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    fake.api.faults.inject({ route: payPalFakeRoutes.oauthToken, kind: 'reset-before-apply', times: 1 });
    const error = await failure(() => gateway.authorize(authorizeInput()));
    expect(ProviderUnavailableError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('access token');
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)).toHaveLength(0);
    expect((await gateway.authorize(authorizeInput())).state).toBe('authorized');
  });

  it.each([
    [429, RateLimitedError.isInstance],
    [500, ProviderUnavailableError.isInstance],
  ] as const)('a %s from the token endpoint: the call was not sent', async (status, check) => {
    const { gateway, fake } = createPayPalTestSubject();
    if (status === 429) fake.api.faults.inject({ route: payPalFakeRoutes.oauthToken, kind: 'rate-limit', retryAfterSeconds: 1, times: 1 });
    else fake.api.faults.inject({ route: payPalFakeRoutes.oauthToken, kind: 'server-error', status, times: 1 });
    expect(check(await failure(() => gateway.authorize(authorizeInput())))).toBe(true);
    expect(fake.api.callsTo(payPalFakeRoutes.createOrder)).toHaveLength(0);
    expect((await gateway.authorize(authorizeInput())).state).toBe('authorized');
  });

  it('the same key with other parameters: IdempotencyConflictError (authorize, capture, refund)', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const input = authorizeInput();
    const payment = await gateway.authorize(input);
    for (const changed of [{ amount: usd(10_001) }, { merchantReference: newReference() }, { captureMethod: 'automatic' as const }]) {
      const error = await failure(() => gateway.authorize({ ...input, ...changed }));
      expect(IdempotencyConflictError.isInstance(error)).toBe(true);
      expect((error as IdempotencyConflictError).idempotencyKey).toBe(input.idempotencyKey);
    }
    const capture = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(4_000), finalCapture: false };
    await gateway.capture(capture);
    expect(IdempotencyConflictError.isInstance(await failure(() => gateway.capture({ ...capture, amount: usd(3_000) })))).toBe(true);
    const refund = { idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(1_000) };
    await gateway.refund(refund);
    expect(IdempotencyConflictError.isInstance(await failure(() => gateway.refund({ ...refund, amount: usd(2_000) })))).toBe(true);
    expect(fake.payments()).toHaveLength(1);
    expect(fake.payments()[0]?.captures).toHaveLength(1);
    expect(fake.payments()[0]?.refunds).toHaveLength(1);
  });

  it('an unknown order: ResourceNotFoundError naming it', async () => {
    const { gateway } = createPayPalTestSubject();
    const error = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: '8XX000000NOTHERE00', amount: usd(100) }));
    expect(ResourceNotFoundError.isInstance(error)).toBe(true);
    expect((error as ResourceNotFoundError).resource).toBe('order 8XX000000NOTHERE00');
    expect((error as ResourceNotFoundError).providerCode).toBe('INVALID_RESOURCE_ID');
    expect(ResourceNotFoundError.isInstance(await failure(() => gateway.retrieve({ providerReference: ' ' })))).toBe(true);
  });

  it('a previous request on the resource still in progress (409): ProviderRetryableError', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    const authorizationId = fake.payments()[0]?.authorizations[0]?.id as string;
    fake.lockResource(authorizationId);
    const input = { idempotencyKey: newKey(), providerReference: payment.providerReference };
    const error = await failure(() => gateway.cancel(input));
    expect(ProviderRetryableError.isInstance(error)).toBe(true);
    expect((error as ProviderError).providerCode).toBe('PREVIOUS_REQUEST_IN_PROGRESS');
    fake.unlockResource(authorizationId);
    expect((await gateway.cancel(input)).status).toBe('succeeded');
  });

  it('captures beyond what remains authorized: PayPal refuses (MAX_CAPTURE_AMOUNT_EXCEEDED) as InvalidRequestError', async () => {
    const { gateway } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    await gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(6_000), finalCapture: false });
    const error = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(6_000) }));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ providerCode: 'MAX_CAPTURE_AMOUNT_EXCEEDED', httpStatus: 422, parameter: '/amount/value' });
  });

  it('a capture in another currency is refused before anything is sent', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    const error = await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: Money.of(100, 'EUR') }));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect(fake.api.callsTo(payPalFakeRoutes.captureAuthorization)).toHaveLength(0);
  });

  it('refunds: beyond the captured amount, and after a full refund, as PayPal answers them', async () => {
    const { gateway } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput({ captureMethod: 'automatic' }));
    const exceeded = await failure(() => gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_001) }));
    expect(exceeded).toMatchObject({ providerCode: 'REFUND_AMOUNT_EXCEEDED' });
    await gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(10_000) });
    const fullyRefunded = await failure(() => gateway.refund({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(1) }));
    expect(InvalidRequestError.isInstance(fullyRefunded)).toBe(true);
    expect(fullyRefunded).toMatchObject({ providerCode: 'CAPTURE_FULLY_REFUNDED' });
  });

  it('validation failures are refused before any call', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    expect(UnsupportedOperationError.isInstance(await failure(() => gateway.authorize(authorizeInput({ amount: Money.of(1000, 'BRL') }))))).toBe(true);
    expect(InvalidMoneyError.isInstance(await failure(() => gateway.authorize(authorizeInput({ amount: Money.of(150050, 'HUF') }))))).toBe(true);
    expect(InvalidRequestError.isInstance(await failure(() => gateway.authorize(authorizeInput({ idempotencyKey: 'k'.repeat(65) }))))).toBe(true);
    expect(InvalidRequestError.isInstance(await failure(() => gateway.authorize(authorizeInput({ idempotencyKey: '' }))))).toBe(true);
    expect(InvalidRequestError.isInstance(await failure(() => gateway.authorize(authorizeInput({ paymentMethodToken: ' ' }))))).toBe(true);
    expect(fake.api.calls).toHaveLength(0);
  });

  it('an unknown vault id: InvalidRequestError (TOKEN_ID_NOT_FOUND)', async () => {
    const { gateway } = createPayPalTestSubject();
    const error = await failure(() => gateway.authorize(authorizeInput({ paymentMethodToken: 'no-such-vault-id' })));
    expect(InvalidRequestError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ providerCode: 'TOKEN_ID_NOT_FOUND', parameter: '/payment_source/card/vault_id' });
  });

  it('an aborted call: unknown outcome for a write, retryable for a read', async () => {
    const { gateway } = createPayPalTestSubject();
    const aborted = AbortSignal.abort();
    expect(UnknownOutcomeError.isInstance(await failure(() => gateway.authorize(authorizeInput(), { signal: aborted })))).toBe(true);
    expect(ProviderRetryableError.isInstance(await failure(() => gateway.retrieve({ providerReference: 'ORDER' }, { signal: aborted })))).toBe(true);
  });
});

describe('every write carries our key, and the SDK never retries', () => {
  it('records one PayPal-Request-Id per write, equal to the key we passed', async () => {
    const { gateway, fake } = createPayPalTestSubject();
    const keys: string[] = [];
    const key = () => {
      const value = newKey();
      keys.push(value);
      return value;
    };
    const manual = await gateway.authorize({ ...authorizeInput(), idempotencyKey: key() });
    await gateway.capture({ idempotencyKey: key(), providerReference: manual.providerReference, amount: usd(4_000), finalCapture: false });
    await gateway.capture({ idempotencyKey: key(), providerReference: manual.providerReference, amount: usd(6_000) });
    await gateway.refund({ idempotencyKey: key(), providerReference: manual.providerReference, amount: usd(500) });
    const toVoid = await gateway.authorize({ ...authorizeInput(), idempotencyKey: key() });
    await gateway.cancel({ idempotencyKey: key(), providerReference: toVoid.providerReference });
    const card = fake.vaultCard({ customerId: 'customer-keys-1' });
    await gateway.chargeStoredPaymentMethod({
      idempotencyKey: key(),
      merchantReference: newReference(),
      amount: usd(2_500),
      customerReference: card.customerId,
      paymentMethodToken: card.vaultId,
      reason: 'subscription',
      networkTransactionId: card.networkTransactionId,
    });
    const writes = fake.api.calls.filter((call) => call.method === 'POST' && call.routeId !== payPalFakeRoutes.oauthToken);
    expect(writes.map((call) => call.requestHeaders['paypal-request-id'])).toEqual(keys);
    expect(new Set(writes.map((call) => call.routeId)).size).toBe(4);
    // One token for the whole run: the SDK caches it.
    expect(fake.api.callsTo(payPalFakeRoutes.oauthToken)).toHaveLength(1);
  });

  it.each([
    ['rate-limit', { kind: 'rate-limit', retryAfterSeconds: 0, body: payPalFaultBodies.rateLimited() }],
    ['server-error 500', { kind: 'server-error', status: 500, body: payPalFaultBodies.internalServerError() }],
    ['server-error 503', { kind: 'server-error', status: 503, body: payPalFaultBodies.serviceUnavailable() }],
    ['reset-before-apply', { kind: 'reset-before-apply' }],
  ] as const)('after %s, each route was called exactly once', async (_name, rule) => {
    const { gateway, fake } = createPayPalTestSubject();
    const payment = await gateway.authorize(authorizeInput());
    fake.api.resetCalls();
    fake.api.faults.inject({ ...rule });
    await failure(() => gateway.authorize(authorizeInput()));
    await failure(() => gateway.retrieve({ providerReference: payment.providerReference }));
    await failure(() => gateway.capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: usd(100) }));
    const counts = new Map<string, number>();
    for (const call of fake.api.calls) counts.set(call.routeId, (counts.get(call.routeId) ?? 0) + 1);
    // The capture knows the order's authorization from the authorize answer: no read, one capture call.
    expect(Object.fromEntries(counts)).toEqual({ [payPalFakeRoutes.createOrder]: 1, [payPalFakeRoutes.getOrder]: 1, [payPalFakeRoutes.captureAuthorization]: 1 });
  });
});

describe('normalizePayPalError', () => {
  const write = { operation: 'authorize', kind: 'write', idempotencyKey: 'key-1' } as const;
  const read = { operation: 'retrieve', kind: 'read', resource: 'order X' } as const;

  function apiError(statusCode: number, body: unknown, options: { url?: string; headers?: Record<string, string> } = {}): ApiError {
    return new ApiError(
      {
        request: { method: 'POST', url: options.url ?? 'https://api-m.paypal.com/v2/checkout/orders' },
        response: { statusCode, headers: options.headers ?? {}, body: typeof body === 'string' ? body : JSON.stringify(body) },
      },
      'PayPal error',
    );
  }

  it('maps every class from status and body', () => {
    const detail = (issue: string, field?: string) => ({ name: 'X', message: 'm', debug_id: 'dbg', details: [{ issue, field }] });
    expect(ProviderAuthenticationError.isInstance(normalizePayPalError(apiError(403, detail('PERMISSION_DENIED')), write))).toBe(true);
    expect(InvalidRequestError.isInstance(normalizePayPalError(apiError(400, detail('INVALID_PARAMETER_VALUE', '/intent')), write))).toBe(true);
    expect(normalizePayPalError(apiError(400, detail('INVALID_PARAMETER_VALUE', '/intent')), write)).toMatchObject({ parameter: '/intent', requestId: 'dbg' });
    expect(InvalidRequestError.isInstance(normalizePayPalError(apiError(418, 'not json at all'), write))).toBe(true);
    expect(IdempotencyConflictError.isInstance(normalizePayPalError(apiError(422, detail('PAYPAL_REQUEST_ID_PREVIOUSLY_USED')), write))).toBe(true);
    expect(normalizePayPalError(apiError(422, detail('PAYPAL_REQUEST_ID_PREVIOUSLY_USED')), read)).toMatchObject({ idempotencyKey: '' });
    expect(ResourceNotFoundError.isInstance(normalizePayPalError(apiError(404, detail('INVALID_RESOURCE_ID')), write))).toBe(true);
    expect(normalizePayPalError(apiError(404, {}), write)).toMatchObject({ resource: 'resource' });
    expect(UnknownOutcomeError.isInstance(normalizePayPalError(apiError(502, ''), write))).toBe(true);
    expect(ProviderRetryableError.isInstance(normalizePayPalError(apiError(504, []), read))).toBe(true);
    expect(normalizePayPalError(apiError(500, {}, { headers: { 'PayPal-Debug-Id': 'from-header' } }), write)).toMatchObject({ requestId: 'from-header' });
  });

  it('reads Retry-After in seconds or as an HTTP date', () => {
    const limited = normalizePayPalError(apiError(429, {}, { headers: { 'retry-after': '1.5' } }), write) as RateLimitedError;
    expect(limited.retryAfterMs).toBe(1500);
    expect((normalizePayPalError(apiError(429, {}), write) as RateLimitedError).retryAfterMs).toBe(defaultRetryAfterMilliseconds);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(parseRetryAfter(new Date(1_000).toUTCString(), 4_000)).toBe(0);
    expect(parseRetryAfter('soon')).toBe(defaultRetryAfterMilliseconds);
    expect(parseRetryAfter(' ')).toBe(defaultRetryAfterMilliseconds);
    expect(parseRetryAfter(undefined)).toBe(defaultRetryAfterMilliseconds);
  });

  it('token endpoint answers never mean the call happened', () => {
    const token = 'https://api-m.paypal.com/v1/oauth2/token';
    expect(ProviderAuthenticationError.isInstance(normalizePayPalError(apiError(400, { error: 'invalid_grant' }, { url: token }), write))).toBe(true);
    expect(ProviderUnavailableError.isInstance(normalizePayPalError(apiError(503, {}, { url: token }), write))).toBe(true);
    const malformedToken = new ResponseValidationError({ request: { method: 'POST', url: token }, statusCode: 200, headers: {}, body: '{}', result: undefined }, []);
    expect(ProviderUnavailableError.isInstance(normalizePayPalError(malformedToken, write))).toBe(true);
  });

  it('transport failures: never connected is unavailable, anything else on a write is unknown', () => {
    const transport = (code: string | undefined, message: string) => Object.assign(new Error(message), { code, config: { url: 'https://api-m.paypal.com/v2/checkout/orders' } });
    expect(ProviderUnavailableError.isInstance(normalizePayPalError(transport('ECONNREFUSED', 'connect ECONNREFUSED'), write))).toBe(true);
    expect(ProviderUnavailableError.isInstance(normalizePayPalError(transport('ENOTFOUND', 'getaddrinfo ENOTFOUND'), write))).toBe(true);
    expect(ProviderUnavailableError.isInstance(normalizePayPalError(transport(undefined, 'Network error'), write))).toBe(true);
    expect(UnknownOutcomeError.isInstance(normalizePayPalError(transport('ECONNRESET', 'socket hang up'), write))).toBe(true);
    expect(UnknownOutcomeError.isInstance(normalizePayPalError(transport('ECONNABORTED', 'timeout of 250ms exceeded'), write))).toBe(true);
    expect(ProviderRetryableError.isInstance(normalizePayPalError(transport('ECONNRESET', 'socket hang up'), read))).toBe(true);
    expect(UnknownOutcomeError.isInstance(normalizePayPalError('a string thrown', write))).toBe(true);
    expect(UnknownOutcomeError.isInstance(normalizePayPalError(null, write))).toBe(true);
  });

  it('SDK-side errors', () => {
    expect(InvalidRequestError.isInstance(normalizePayPalError(new ArgumentsValidationError({}), write))).toBe(true);
    expect(UnknownOutcomeError.isInstance(normalizePayPalError(new AbortError('aborted'), write))).toBe(true);
    const unreadable = new ResponseValidationError({ request: { method: 'POST', url: 'https://api-m.paypal.com/v2/checkout/orders' }, statusCode: 201, headers: {}, body: '{}', result: undefined }, []);
    expect(normalizePayPalError(unreadable, write)).toMatchObject({ code: 'PROVIDER_UNKNOWN_OUTCOME', httpStatus: 201 });
    expect(ProviderRetryableError.isInstance(normalizePayPalError(unreadable, read))).toBe(true);
  });

  it('passes paymigrate errors through and maps unreadable answers', () => {
    const original = new InvalidRequestError('x', { provider: 'paypal' });
    expect(normalizePayPalError(original, write)).toBe(original);
    expect(UnknownOutcomeError.isInstance(malformedPayPalAnswer(new Error('bad amount'), write))).toBe(true);
    expect(ProviderRetryableError.isInstance(malformedPayPalAnswer('bad', read))).toBe(true);
  });
});
