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
import { stripeServerErrorBody } from '@paymigrate/testkit';
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { authorizeInput, callsSince, euros, newKey, thrownBy, useStripeFake } from './__fixtures__/stripe-fake-harness.js';

const { fake, gateway, server } = useStripeFake();
const routes = fake.routes;

/** The error classes, for "exactly one" checks. */
const errorClasses = {
  PaymentDeclinedError,
  RateLimitedError,
  ProviderRetryableError,
  UnknownOutcomeError,
  InvalidRequestError,
  ProviderAuthenticationError,
  ProviderUnavailableError,
  IdempotencyConflictError,
  ResourceNotFoundError,
} as const;

/** Asserts the error is a Stripe ProviderError of exactly one class, `expected`. */
function expectOnly(error: unknown, expected: keyof typeof errorClasses): void {
  expect(ProviderError.isInstance(error), `a ProviderError, got ${String(error)}`).toBe(true);
  expect((error as ProviderError).provider).toBe('stripe');
  const matching = Object.entries(errorClasses)
    .filter(([, type]) => type.isInstance(error))
    .map(([name]) => name);
  expect(matching).toEqual([expected]);
}

describe('error normalization from real fake answers', () => {
  it('a declined card is a PaymentDeclinedError with the canonical reason and the intent', async () => {
    const error = await thrownBy(() => gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_card_visa_chargeDeclinedInsufficientFunds' })));
    expectOnly(error, 'PaymentDeclinedError');
    const declined = error as PaymentDeclinedError;
    expect(declined.declineReason).toBe('insufficient_funds');
    expect(declined.httpStatus).toBe(402);
    expect(declined.providerCode).toBe('insufficient_funds');
    expect(declined.requestId).toMatch(/^req_/);
    expect(declined.providerReference).toMatch(/^pi_/);
    expect(declined.isRetryable).toBe(false);
    expect(fake.paymentIntent(declined.providerReference as string)?.['status']).toBe('requires_payment_method');
  });

  it.each([
    ['pm_card_visa_chargeDeclined', 'generic_decline'],
    ['pm_card_visa_chargeDeclinedLostCard', 'lost_card'],
    ['pm_card_visa_chargeDeclinedStolenCard', 'stolen_card'],
    ['pm_card_visa_chargeDeclinedFraudulent', 'fraud_suspected'],
    ['pm_card_chargeDeclinedExpiredCard', 'expired_card'],
    ['pm_card_chargeDeclinedIncorrectCvc', 'incorrect_cvc'],
    ['pm_card_chargeDeclinedProcessingError', 'processing_error'],
  ])('%s declines with %s', async (token, reason) => {
    const error = await thrownBy(() => gateway().authorize(authorizeInput({ paymentMethodToken: token })));
    expectOnly(error, 'PaymentDeclinedError');
    expect((error as PaymentDeclinedError).declineReason).toBe(reason);
  });

  it('a brand-wide failure declines every card of that brand with card_not_supported', async () => {
    fake.setBrandFailure('amex', 'card_not_supported');
    try {
      const error = await thrownBy(() => gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_card_amex' })));
      expectOnly(error, 'PaymentDeclinedError');
      expect((error as PaymentDeclinedError).declineReason).toBe('card_not_supported');
      await expect(gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_card_mastercard' }))).resolves.toMatchObject({ state: 'authorized' });
    } finally {
      fake.setBrandFailure('amex', undefined);
    }
  });

  it('a 429 is a RateLimitedError carrying Retry-After, and nothing was applied', async () => {
    const before = fake.paymentIntents().length;
    fake.injectRateLimit({ route: routes.createPaymentIntent, retryAfterSeconds: 7, times: 1 });
    const error = await thrownBy(() => gateway().authorize(authorizeInput()));
    expectOnly(error, 'RateLimitedError');
    expect((error as RateLimitedError).retryAfterMs).toBe(7000);
    expect((error as RateLimitedError).httpStatus).toBe(429);
    expect((error as RateLimitedError).isRetryable).toBe(true);
    expect(fake.paymentIntents()).toHaveLength(before);
  });

  it('a 429 lock_timeout is retryable, not a rate limit', async () => {
    fake.api.faults.inject({
      kind: 'rate-limit',
      route: routes.createPaymentIntent,
      retryAfterSeconds: 1,
      times: 1,
      body: { error: { type: 'invalid_request_error', code: 'lock_timeout', message: 'This object cannot be accessed right now because another API request or Stripe process is currently accessing it.' } },
    });
    expectOnly(await thrownBy(() => gateway().authorize(authorizeInput())), 'ProviderRetryableError');
  });

  it('a 5xx on a write is an UnknownOutcomeError; on a read a ProviderRetryableError', async () => {
    fake.injectServerError({ route: routes.createPaymentIntent, status: 503, times: 1 });
    const writeError = await thrownBy(() => gateway().authorize(authorizeInput()));
    expectOnly(writeError, 'UnknownOutcomeError');
    expect((writeError as UnknownOutcomeError).httpStatus).toBe(503);

    const payment = await gateway().authorize(authorizeInput());
    fake.injectServerError({ route: routes.retrievePaymentIntent, status: 500, times: 1 });
    expectOnly(await thrownBy(() => gateway().retrieve({ providerReference: payment.providerReference })), 'ProviderRetryableError');
  });

  it('a 5xx after Stripe applied the write: the retry with the same key returns the payment already made', async () => {
    const input = authorizeInput();
    fake.injectServerError({ route: routes.createPaymentIntent, status: 502, applyFirst: true, times: 1 });
    expectOnly(await thrownBy(() => gateway().authorize(input)), 'UnknownOutcomeError');
    const retried = await gateway().authorize(input);
    expect(fake.paymentIntents().filter((intent) => (intent['metadata'] as Record<string, string>)['merchant_reference'] === input.merchantReference)).toHaveLength(1);
    expect(retried.state).toBe('authorized');
  });

  it("Stripe's own 500 is replayed to a retry with the same key; the merchant reference then resolves it", async () => {
    const input = authorizeInput();
    fake.scheduleApiError({ route: routes.createPaymentIntent, afterApply: true });
    expectOnly(await thrownBy(() => gateway().authorize(input)), 'UnknownOutcomeError');
    // Same key: Stripe replays the saved 500, so the outcome stays unknown...
    expectOnly(await thrownBy(() => gateway().authorize(input)), 'UnknownOutcomeError');
    // ...and the way out is the lookup by our reference, on the same provider.
    const found = await gateway().findByMerchantReference({ merchantReference: input.merchantReference });
    expect(found?.state).toBe('authorized');
    expect(fake.paymentIntents().filter((intent) => intent['id'] === found?.providerReference)).toHaveLength(1);
  });

  it('timeout after apply is an UnknownOutcomeError, and the retry with the same key returns the payment the fake made (no double charge)', async () => {
    const input = authorizeInput();
    const before = fake.paymentIntents().length;
    const since = fake.api.calls.length;
    fake.api.faults.inject({ kind: 'timeout-after-apply', route: routes.createPaymentIntent, times: 1 });
    const error = await thrownBy(() => gateway({ timeoutMilliseconds: 200 }).authorize(input));
    expectOnly(error, 'UnknownOutcomeError');
    expect((error as UnknownOutcomeError).message).toContain('timeout');
    expect(fake.paymentIntents()).toHaveLength(before + 1);
    const made = fake.paymentIntents().at(-1) as Record<string, unknown>;

    const retried = await gateway().authorize(input);
    expect(retried.providerReference).toBe(made['id']);
    expect(retried.state).toBe('authorized');
    expect(fake.paymentIntents()).toHaveLength(before + 1);
    const calls = callsSince(fake, since);
    expect(calls).toHaveLength(2);
    expect(calls.map((call) => call.requestHeaders['idempotency-key'])).toEqual([input.idempotencyKey, input.idempotencyKey]);
    expect(calls.map((call) => call.applied)).toEqual([true, true]);
  });

  it("the toolkit's reset-before-apply cannot be told apart from a reset after apply: a write is an UnknownOutcomeError, and its retry creates the payment once", async () => {
    const input = authorizeInput();
    const before = fake.paymentIntents().length;
    fake.api.faults.inject({ kind: 'reset-before-apply', route: routes.createPaymentIntent, times: 1 });
    expectOnly(await thrownBy(() => gateway().authorize(input)), 'UnknownOutcomeError');
    expect(fake.paymentIntents()).toHaveLength(before);
    await gateway().authorize(input);
    expect(fake.paymentIntents()).toHaveLength(before + 1);
  });

  it('a reset on a read is retryable', async () => {
    const payment = await gateway().authorize(authorizeInput());
    fake.api.faults.inject({ kind: 'reset-before-apply', route: routes.retrievePaymentIntent, times: 1 });
    expectOnly(await thrownBy(() => gateway().retrieve({ providerReference: payment.providerReference })), 'ProviderRetryableError');
  });

  it('a refused connection (nothing sent) is a ProviderUnavailableError, for writes and reads', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const since = fake.api.calls.length;
    const refusal = fake.refuseConnections({ times: 2 });
    try {
      const writeError = await thrownBy(() => gateway().authorize(authorizeInput()));
      expectOnly(writeError, 'ProviderUnavailableError');
      expect((writeError as ProviderUnavailableError).providerCode).toBe('ECONNREFUSED');
      expectOnly(await thrownBy(() => gateway().retrieve({ providerReference: 'pi_any' })), 'ProviderUnavailableError');
    } finally {
      refusal.remove();
      quiet.mockRestore();
    }
    expect(callsSince(fake, since)).toHaveLength(0);
  });

  it('a connection reset with ECONNRESET is an unknown outcome, and the SDK does not resend it behind our back', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const before = fake.paymentIntents().length;
    // One reset only: if the SDK retried (it does on ECONNRESET even with maxNetworkRetries: 0),
    // the second attempt would reach the fake and create a payment.
    const reset = fake.refuseConnections({ times: 1, code: 'ECONNRESET' });
    try {
      const error = await thrownBy(() => gateway().authorize(authorizeInput()));
      expectOnly(error, 'UnknownOutcomeError');
      expect((error as UnknownOutcomeError).providerCode).toBe('ECONNRESET');
    } finally {
      reset.remove();
      quiet.mockRestore();
    }
    expect(reset.remaining).toBe(0);
    expect(fake.paymentIntents()).toHaveLength(before);
  });

  it('an unresolvable host is a ProviderUnavailableError', async () => {
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const refusal = fake.refuseConnections({ times: 1, code: 'ENOTFOUND' });
    try {
      expectOnly(await thrownBy(() => gateway().authorize(authorizeInput())), 'ProviderUnavailableError');
    } finally {
      refusal.remove();
      quiet.mockRestore();
    }
  });

  it('a 401 is a ProviderAuthenticationError naming the option to fix', async () => {
    const error = await thrownBy(() => gateway({ apiKey: 'sk_live_not_a_test_key' }).authorize(authorizeInput()));
    expectOnly(error, 'ProviderAuthenticationError');
    expect((error as ProviderAuthenticationError).httpStatus).toBe(401);
    expect((error as ProviderAuthenticationError).message).toContain('STRIPE_API_KEY');
    expect((error as ProviderAuthenticationError).message).not.toContain('sk_live_not_a_test_key');
  });

  it('the same key with other parameters is an IdempotencyConflictError naming the key, and the first payment stands', async () => {
    const input = authorizeInput();
    const first = await gateway().authorize(input);
    const error = await thrownBy(() => gateway().authorize({ ...input, amount: euros(5001) }));
    expectOnly(error, 'IdempotencyConflictError');
    expect((error as IdempotencyConflictError).idempotencyKey).toBe(input.idempotencyKey);
    expect((error as IdempotencyConflictError).httpStatus).toBe(400);
    expect((await gateway().retrieve({ providerReference: first.providerReference })).amount.toJSON()).toEqual(euros(5000).toJSON());
  });

  it('a second request while the first with the same key is still running is retryable (Stripe saves nothing for it)', async () => {
    const input = authorizeInput();
    fake.setExecutionDelay(150);
    const first = gateway().authorize(input);
    await new Promise((resolve) => setTimeout(resolve, 30));
    const secondError = await thrownBy(() => gateway().authorize(input));
    expectOnly(secondError, 'ProviderRetryableError');
    expect((secondError as ProviderRetryableError).httpStatus).toBe(409);
    const payment = await first;
    fake.setExecutionDelay(0);
    expect((await gateway().authorize(input)).providerReference).toBe(payment.providerReference);
  });

  it('unknown objects are ResourceNotFoundError (404 on the path, 400 resource_missing on a parameter)', async () => {
    const retrieveError = await thrownBy(() => gateway().retrieve({ providerReference: 'pi_doesnotexist' }));
    expectOnly(retrieveError, 'ResourceNotFoundError');
    expect((retrieveError as ResourceNotFoundError).resource).toBe('payment pi_doesnotexist');
    expect((retrieveError as ResourceNotFoundError).httpStatus).toBe(404);

    const refundError = await thrownBy(() => gateway().refund({ idempotencyKey: newKey(), providerReference: 'pi_doesnotexist', amount: euros(100) }));
    expectOnly(refundError, 'ResourceNotFoundError');
    expect((refundError as ResourceNotFoundError).httpStatus).toBe(400);

    expectOnly(await thrownBy(() => gateway().authorize(authorizeInput({ paymentMethodToken: 'pm_unknown' }))), 'ResourceNotFoundError');
    expectOnly(await thrownBy(() => gateway().listStoredPaymentMethods({ customerReference: 'cus_unknown' })), 'ResourceNotFoundError');
  });

  it('a refused request is an InvalidRequestError naming the parameter', async () => {
    const payment = await gateway().authorize(authorizeInput());
    const error = await thrownBy(() => gateway().capture({ idempotencyKey: newKey(), providerReference: payment.providerReference, amount: euros(9000) }));
    expectOnly(error, 'InvalidRequestError');
    expect((error as InvalidRequestError).parameter).toBe('amount_to_capture');
    expect((error as InvalidRequestError).providerCode).toBe('amount_too_large');
    expectOnly(await thrownBy(() => gateway().authorize(authorizeInput({ amount: euros(10) }))), 'InvalidRequestError');
  });

  it('an answer without a Stripe object (a proxy error page, an empty JSON) is a lost answer, never a payment', async () => {
    fake.api.faults.inject({ kind: 'server-error', route: routes.createPaymentIntent, status: 502, times: 1, body: {} });
    const emptyJson = await thrownBy(() => gateway().authorize(authorizeInput()));
    expectOnly(emptyJson, 'UnknownOutcomeError');
    expect((emptyJson as UnknownOutcomeError).httpStatus).toBe(502);

    server.use(http.post(`${fake.baseUrl}/v1/payment_intents`, () => new HttpResponse('<html>Bad gateway</html>', { status: 502, headers: { 'content-type': 'text/html' } }), { once: true }));
    expectOnly(await thrownBy(() => gateway().authorize(authorizeInput())), 'UnknownOutcomeError');

    fake.api.faults.inject({ kind: 'server-error', route: routes.searchPaymentIntents, status: 500, times: 1, body: { object: 'list' } });
    expectOnly(await thrownBy(() => gateway().findByMerchantReference({ merchantReference: 'x' })), 'ProviderRetryableError');
  });
});

describe('every write carries our idempotency key, and the SDK never retries', () => {
  it('records one call per operation, each write with the caller key and no SDK-made key', async () => {
    const since = fake.api.calls.length;
    const customer = String(fake.createCustomer()['id']);
    const subject = gateway();
    const keys = { authorize: newKey(), capture: newKey(), refund: newKey(), second: newKey(), cancel: newKey(), charge: newKey() };
    const payment = await subject.authorize(authorizeInput({ idempotencyKey: keys.authorize, customerReference: customer, savePaymentMethod: true }));
    await subject.capture({ idempotencyKey: keys.capture, providerReference: payment.providerReference, amount: euros(5000) });
    await subject.refund({ idempotencyKey: keys.refund, providerReference: payment.providerReference, amount: euros(1000) });
    const second = await subject.authorize(authorizeInput({ idempotencyKey: keys.second }));
    await subject.cancel({ idempotencyKey: keys.cancel, providerReference: second.providerReference });
    await subject.chargeStoredPaymentMethod({
      idempotencyKey: keys.charge,
      merchantReference: 'renewal-1',
      amount: euros(5000),
      customerReference: customer,
      paymentMethodToken: payment.storedPaymentMethod?.token as string,
      reason: 'subscription',
    });
    await subject.retrieve({ providerReference: payment.providerReference });
    await subject.findByMerchantReference({ merchantReference: 'renewal-1' });
    await subject.listStoredPaymentMethods({ customerReference: customer });

    const calls = callsSince(fake, since);
    expect(calls.map((call) => call.routeId)).toEqual([
      routes.createPaymentIntent,
      routes.capturePaymentIntent,
      routes.createRefund,
      routes.createPaymentIntent,
      routes.cancelPaymentIntent,
      routes.createPaymentIntent,
      routes.retrievePaymentIntent,
      routes.searchPaymentIntents,
      routes.listPaymentMethods,
    ]);
    const writes = calls.filter((call) => call.method === 'POST');
    expect(writes.map((call) => call.requestHeaders['idempotency-key'])).toEqual([keys.authorize, keys.capture, keys.refund, keys.second, keys.cancel, keys.charge]);
    expect(calls.some((call) => (call.requestHeaders['idempotency-key'] ?? '').startsWith('stripe-node-retry'))).toBe(false);
    expect(calls.every((call) => call.requestHeaders['authorization'] === '[redacted]')).toBe(true);
  });

  it('sends a failed write exactly once: no retry on 5xx, 429, timeouts or resets', async () => {
    for (const rule of [
      { kind: 'server-error', status: 500, body: stripeServerErrorBody() },
      { kind: 'server-error', status: 503, body: stripeServerErrorBody() },
      { kind: 'reset-after-apply' },
      { kind: 'reset-before-apply' },
    ] as const) {
      const since = fake.api.calls.length;
      fake.api.faults.inject({ ...rule, route: routes.createPaymentIntent, times: 1 });
      await thrownBy(() => gateway().authorize(authorizeInput()));
      expect(callsSince(fake, since), rule.kind).toHaveLength(1);
    }
    const since = fake.api.calls.length;
    fake.injectRateLimit({ retryAfterSeconds: 0, times: 1 });
    await thrownBy(() => gateway().authorize(authorizeInput()));
    fake.api.faults.inject({ kind: 'timeout-after-apply', route: routes.createPaymentIntent, times: 1 });
    await thrownBy(() => gateway({ timeoutMilliseconds: 100 }).authorize(authorizeInput()));
    expect(callsSince(fake, since)).toHaveLength(2);
  });

  it('refuses an empty or over-long key before sending anything (the SDK would invent one)', async () => {
    const since = fake.api.calls.length;
    for (const idempotencyKey of ['', '   ', 'k'.repeat(256)]) {
      const error = await thrownBy(() => gateway().authorize(authorizeInput({ idempotencyKey })));
      expectOnly(error, 'InvalidRequestError');
      expect((error as InvalidRequestError).parameter).toBe('idempotencyKey');
    }
    expect(callsSince(fake, since)).toHaveLength(0);
  });
});
