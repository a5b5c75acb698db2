import { ProviderAuthenticationError, RateLimitedError, ProviderRetryableError, IdempotencyConflictError, PaymentDeclinedError } from '../errors/provider-errors.js';
import { describe, expect, it } from 'vitest';
import { SavedPaymentMethodRepository } from '../journal/saved-payment-method-repository.js';
import { ProviderReferenceRepository } from '../journal/provider-reference-repository.js';
import { decodePlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import { createHarness, usd, writesIntentStatus } from './__fixtures__/transaction-harness.js';
import { InvalidTransactionInputError, ProviderNotConfiguredError } from './transaction-errors.js';

const authorization = (paymentId: string, overrides: Record<string, unknown> = {}) => ({
  paymentId,
  merchantReference: `order-${paymentId}`,
  orderId: `order-${paymentId}`,
  amount: usd(10_000),
  paymentMethodToken: 'tok_visa',
  customerId: 'customer-1',
  ...overrides,
});

describe('authorize', () => {
  it('journals the intent before the gateway is called (invariant 1), then the outcome', async () => {
    const harness = await createHarness();
    const seenByGateway: string[] = [];
    const authorize = harness.old.authorize.bind(harness.old);
    harness.old.authorize = async (input, options) => {
      const intent = await harness.intents.get(input.idempotencyKey);
      const payment = await harness.payments.get('pay_1');
      seenByGateway.push(`${intent?.value.status}/${payment?.value.state}/${payment?.value.provider}`);
      return authorize(input, options);
    };
    const transactions = harness.create();
    const result = await transactions.authorize(authorization('pay_1'));
    expect(seenByGateway).toEqual(['pending/authorizing/stripe']);
    expect(result).toMatchObject({ status: 'succeeded', operation: 'authorize', replayed: false, retryElsewhere: false, awaitingConfirmation: false });
    expect(result.payment).toMatchObject({ state: 'authorized', provider: 'stripe', routingReason: 'switch:stripe', providerReference: 'pay_memory_000001' });
    expect(result.payment.authorizedAmount.equals(usd(10_000))).toBe(true);
    expect(result.intent).toMatchObject({ intentId: 'pay_1.authorize.1', idempotencyKey: 'pay_1.authorize.1', status: 'succeeded', attempts: 1 });
    expect(result.intent.outcome).toMatchObject({ resolvedBy: 'response', state: 'authorized', providerReference: 'pay_memory_000001' });
    expect(harness.old.calls.map((call) => call.idempotencyKey)).toEqual(['pay_1.authorize.1']);
    expect(harness.next.calls).toHaveLength(0);
    expect(await transactions.payment('pay_1')).toEqual(result.payment);
    expect(await transactions.intents('pay_1')).toEqual([result.intent]);
    expect(await transactions.intents('pay_missing')).toEqual([]);
    const reference = await new ProviderReferenceRepository(harness.memory).get('stripe:pay_memory_000001');
    expect(reference?.value.paymentId).toBe('pay_1');
  });

  it('enqueues payment.authorized for the platform in the outcome batch (ordering key = order id, deduplication id = intent id)', async () => {
    const harness = await createHarness();
    await harness.create().authorize(authorization('pay_1'));
    const [message] = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10 });
    expect(message).toMatchObject({ topic: 'platform.payment', orderingKey: 'order-pay_1', deduplicationId: 'pay_1.authorize.1' });
    const payload = decodePlatformPaymentMessage(message!);
    expect(payload).toMatchObject({ type: 'payment.authorized', paymentId: 'pay_1', orderId: 'order-pay_1', provider: 'stripe', providerReference: 'pay_memory_000001' });
    expect(payload.amount.equals(usd(10_000))).toBe(true);
  });

  it('an automatic capture enqueues payment.authorized then payment.captured; without an order id the ordering key is the payment id', async () => {
    const harness = await createHarness();
    const result = await harness.create({ outboxTopics: { platformPayment: 'custom.topic' } }).authorize(authorization('pay_1', { captureMethod: 'automatic', orderId: undefined }));
    expect(result.payment.state).toBe('captured');
    const messages = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10 });
    expect(messages.map((message) => [message.topic, message.orderingKey, message.deduplicationId])).toEqual([['custom.topic', 'pay_1', 'pay_1.authorize.1']]);
    await harness.memory.acknowledgeOutbox({ owner: 'test', sequences: [messages[0]!.sequence] });
    const [second] = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10 });
    expect(second?.deduplicationId).toBe('pay_1.authorize.1.captured');
    expect(decodePlatformPaymentMessage(second!).type).toBe('payment.captured');
  });

  it('records a card saved during the migration window for the delta sync (token and card summary only)', async () => {
    const harness = await createHarness();
    const result = await harness.create().authorize(authorization('pay_1', { savePaymentMethod: true, customerReference: 'cus_1' }));
    expect(result.payment.storedPaymentMethodToken).toBe('pm_memory_000001');
    const saved = new SavedPaymentMethodRepository(harness.memory);
    const [pending] = await saved.listDeltaPending({ limit: 10 });
    expect(pending?.key).toBe('stripe:pm_memory_000001');
    expect(pending?.value).toMatchObject({ provider: 'stripe', token: 'pm_memory_000001', customerReference: 'cus_1', paymentId: 'pay_1', card: { brand: 'visa', last4: '4242' } });
    expect(pending?.value.networkTransactionId).toMatch(/^ntid_/);
    expect(JSON.stringify(pending)).not.toMatch(/4242424242424242/);
    // The same card saved again by another payment is recorded once.
    await harness.create().authorize(authorization('pay_2', { savePaymentMethod: true, customerReference: 'cus_1' }));
    expect(await saved.count()).toBe(1);
  });

  it('is idempotent by payment id: a second call replays the first outcome and never authorizes twice', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const first = await transactions.authorize(authorization('pay_1'));
    harness.selector.provider = 'adyen';
    const again = await transactions.authorize(authorization('pay_1'));
    expect(again).toMatchObject({ status: 'succeeded', replayed: true });
    expect(again.payment).toEqual(first.payment);
    expect(harness.old.calls).toHaveLength(1);
    expect(harness.next.calls).toHaveLength(0);
    await expect(transactions.authorize(authorization('pay_1', { amount: usd(1) }))).rejects.toSatisfy(
      (error) => InvalidTransactionInputError.isInstance(error) && error.field === 'paymentId',
    );
    await expect(transactions.authorize(authorization('pay_1', { merchantReference: 'other' }))).rejects.toSatisfy(InvalidTransactionInputError.isInstance);
  });

  it('two concurrent authorizations of one payment id call the provider once', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const results = await Promise.all([transactions.authorize(authorization('pay_1')), transactions.authorize(authorization('pay_1'))]);
    expect(results.map((result) => result.replayed).sort()).toEqual([false, true]);
    expect(harness.old.calls.filter((call) => call.operation === 'authorize')).toHaveLength(1);
  });

  it('a decline fails the payment and the intent and enqueues payment.failed', async () => {
    const harness = await createHarness();
    const result = await harness.create().authorize(authorization('pay_1', { paymentMethodToken: 'tok_insufficient_funds' }));
    expect(result).toMatchObject({ status: 'failed', declineReason: 'insufficient_funds', errorCode: 'PROVIDER_DECLINED', retryElsewhere: false });
    expect(result.payment).toMatchObject({ state: 'failed', failureReason: 'insufficient_funds', providerReference: 'pay_memory_000001' });
    const [message] = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10 });
    expect(decodePlatformPaymentMessage(message!).type).toBe('payment.failed');
  });

  it('a snapshot in state failed (no exception) is a decline too', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    harness.old.authorize = async (input, options) => ({ ...(await authorize(input, options)), state: 'failed', declineReason: undefined });
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(result).toMatchObject({ status: 'failed', declineReason: 'failed', errorCode: 'PROVIDER_DECLINED' });
  });

  it('a decline without a provider reference fails the payment without one', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', new PaymentDeclinedError('Declined', { provider: 'stripe', declineReason: 'do_not_honor' }));
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(result.payment.providerReference).toBeUndefined();
    expect(result.declineReason).toBe('do_not_honor');
  });

  it('an authorization answered voided (through unknown, as the machine requires) fails the payment for the platform', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    harness.old.authorize = async (input, options) => ({ ...(await authorize(input, options)), state: 'voided', authorizedAmount: usd(0) });
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(result).toMatchObject({ status: 'succeeded', payment: { state: 'voided', released: true } });
    const [message] = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10 });
    expect(decodePlatformPaymentMessage(message!).type).toBe('payment.failed');
  });

  it('a saved card without its own network transaction id keeps the payment one', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    harness.old.authorize = async (input, options) => {
      const snapshot = await authorize(input, options);
      return { ...snapshot, storedPaymentMethod: { ...snapshot.storedPaymentMethod!, networkTransactionId: undefined } };
    };
    const result = await harness.create().authorize(authorization('pay_1', { savePaymentMethod: true }));
    const [saved] = await new SavedPaymentMethodRepository(harness.memory).listDeltaPending({ limit: 1 });
    expect(saved?.value.networkTransactionId).toBe(result.payment.networkTransactionId);
  });

  it('a payment that needs 3-D Secure stays requires_action with the next action', async () => {
    const harness = await createHarness();
    const result = await harness.create().authorize(authorization('pay_1', { paymentMethodToken: 'tok_3ds', returnUrl: 'https://shop.example/return' }));
    expect(result).toMatchObject({ status: 'succeeded', nextAction: { type: 'three_d_secure' } });
    expect(result.payment.state).toBe('requires_action');
    expect(await harness.memory.pendingOutboxCount()).toBe(0);
  });

  it('a provider that is down before anything is sent fails the NEW payment with retryElsewhere; nothing goes to the other provider', async () => {
    const harness = await createHarness();
    harness.old.setAvailable(false);
    const transactions = harness.create();
    const result = await transactions.authorize(authorization('pay_1'));
    expect(result).toMatchObject({ status: 'failed', retryElsewhere: true, errorCode: 'PROVIDER_UNAVAILABLE' });
    expect(result.payment.state).toBe('failed');
    expect(harness.next.calls).toHaveLength(0);
    // The caller retries with a NEW payment id; the router (its breaker open) picks the other provider.
    harness.selector.provider = 'adyen';
    const retried = await transactions.authorize(authorization('pay_2'));
    expect(retried.payment).toMatchObject({ provider: 'adyen', state: 'authorized' });
    expect((await transactions.authorize(authorization('pay_1'))).retryElsewhere).toBe(true);
  });

  it('rate limiting is retried with the same key after the back-off on the clock, then succeeds', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', new RateLimitedError('Too many', { provider: 'stripe', retryAfterMs: 1_000 }));
    harness.old.failNext('authorize', new ProviderRetryableError('Lock', { provider: 'stripe' }));
    const transactions = harness.create({ retry: { maxAttempts: 4, baseDelayMs: 200, maxDelayMs: 5_000 } });
    const started = harness.clock.now();
    const result = await harness.settle(transactions.authorize(authorization('pay_1')));
    expect(result.status).toBe('succeeded');
    expect(result.intent.attempts).toBe(3);
    // 1 000 ms (Retry-After beats 200 ms), then 400 ms (the second back-off step).
    expect(harness.clock.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(harness.clock.now() - started).toBeLessThan(1_500);
    expect(new Set(harness.old.calls.map((call) => call.idempotencyKey))).toEqual(new Set(['pay_1.authorize.1']));
  });

  it('rate limiting beyond maxAttempts leaves the intent waiting, due after the back-off', async () => {
    const harness = await createHarness();
    for (let index = 0; index < 3; index += 1) harness.old.failNext('authorize', new RateLimitedError('Too many', { provider: 'stripe', retryAfterMs: 0 }));
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(result).toMatchObject({ status: 'waiting', errorCode: 'PROVIDER_RATE_LIMITED' });
    expect(result.intent).toMatchObject({ attempts: 3, mayHaveExecuted: false, nextAttemptAt: harness.clock.now() });
    expect(result.payment.state).toBe('authorizing');
  });

  it('any other provider error fails the intent with its code', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', new ProviderAuthenticationError('Bad key', { provider: 'stripe', httpStatus: 401 }));
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(result).toMatchObject({ status: 'failed', errorCode: 'PROVIDER_AUTHENTICATION', retryElsewhere: false });
    expect(result.payment).toMatchObject({ state: 'failed', failureReason: 'PROVIDER_AUTHENTICATION' });
  });

  it('an idempotency conflict surfaces as a typed error, fails the intent and logs loudly', async () => {
    const harness = await createHarness();
    harness.old.failNext('authorize', new IdempotencyConflictError('Key reused', { provider: 'stripe', idempotencyKey: 'pay_1.authorize.1' }));
    const transactions = harness.create();
    await expect(transactions.authorize(authorization('pay_1'))).rejects.toSatisfy(IdempotencyConflictError.isInstance);
    const intent = await harness.intents.get('pay_1.authorize.1');
    expect(intent?.value).toMatchObject({ status: 'failed', lastErrorCode: 'PROVIDER_IDEMPOTENCY_CONFLICT' });
    expect(harness.lines.some((line) => line['level'] === 50 && String(line['msg']).startsWith('IDEMPOTENCY CONFLICT'))).toBe(true);
  });

  it('refuses invalid input before writing anything', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ paymentId: 'has space' }, 'paymentId'],
      [{ paymentId: 'x'.repeat(37) }, 'paymentId'],
      [{ merchantReference: '' }, 'merchantReference'],
      [{ amount: usd(-1) }, 'amount'],
      [{ amount: 100 }, 'amount'],
      [{ paymentMethodToken: '' }, 'paymentMethodToken'],
      [{ paymentMethodToken: '4242 4242 4242 4242' }, 'paymentMethodToken'],
    ];
    for (const [override, field] of cases) {
      await expect(transactions.authorize(authorization('pay_1', override) as never)).rejects.toSatisfy(
        (error) => InvalidTransactionInputError.isInstance(error) && error.field === field,
      );
    }
    expect(await harness.payments.count()).toBe(0);
    expect(harness.lines.map((line) => JSON.stringify(line)).join('')).not.toContain('4242 4242');
  });

  it('refuses a provider without a gateway before writing anything', async () => {
    const harness = await createHarness();
    harness.selector.provider = 'paypal';
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toSatisfy(
      (error) => ProviderNotConfiguredError.isInstance(error) && error.provider === 'paypal',
    );
    expect(await harness.payments.count()).toBe(0);
  });

  it('records a metric per intent status and a latency per provider call', async () => {
    const harness = await createHarness();
    await harness.create().authorize(authorization('pay_1'));
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.transactions.intents', value: 1, attributes: { provider: 'stripe', operation: 'authorize', status: 'succeeded' } });
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.transactions.provider_call.duration', value: 0, attributes: { provider: 'stripe', operation: 'authorize', outcome: 'snapshot' } });
  });

  it('a crash after the intent write leaves a pending intent: nothing was lost, the journal shows it', async () => {
    const harness = await createHarness();
    harness.journal.beforeWrite = (batch) => {
      if (writesIntentStatus(batch, 'pending')) throw new Error('disk full');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow('disk full');
    expect(harness.old.calls).toHaveLength(0);
    expect(await harness.payments.count()).toBe(0);
  });
});

describe('chargeStoredPaymentMethod', () => {
  it('charges on the provider where the token lives, with the network transaction id, without asking the router', async () => {
    const harness = await createHarness();
    const stored = harness.next.addStoredPaymentMethod({
      token: 'pm_imported',
      customerReference: 'cus_9',
      card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2030 },
    });
    const result = await harness.create().chargeStoredPaymentMethod({
      paymentId: 'sub_1',
      merchantReference: 'renewal-1',
      amount: usd(2_500),
      provider: 'adyen',
      paymentMethodToken: stored.token,
      customerReference: 'cus_9',
      networkTransactionId: 'ntid_original',
    });
    expect(result).toMatchObject({ status: 'succeeded', operation: 'charge_stored' });
    expect(result.payment).toMatchObject({ provider: 'adyen', state: 'captured', routingReason: 'stored payment method', networkTransactionId: 'ntid_original' });
    expect(harness.selector.calls).toBe(0);
    expect(harness.next.calls[0]).toMatchObject({ operation: 'chargeStoredPaymentMethod', idempotencyKey: 'sub_1.charge_stored.1' });
    expect(harness.next.calls[0]?.input).toMatchObject({ reason: 'subscription', networkTransactionId: 'ntid_original' });
    expect(await new SavedPaymentMethodRepository(harness.memory).count()).toBe(0);
  });

  it('replays by payment id and refuses an unknown provider', async () => {
    const harness = await createHarness();
    harness.old.addStoredPaymentMethod({ token: 'pm_1', customerReference: 'cus_1', card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2030 } });
    const transactions = harness.create();
    const input = {
      paymentId: 'sub_1',
      merchantReference: 'renewal-1',
      amount: usd(100),
      provider: 'stripe',
      paymentMethodToken: 'pm_1',
      customerReference: 'cus_1',
      reason: 'unscheduled' as const,
      captureMethod: 'manual' as const,
    };
    expect((await transactions.chargeStoredPaymentMethod(input)).payment.state).toBe('authorized');
    expect((await transactions.chargeStoredPaymentMethod(input)).replayed).toBe(true);
    await expect(transactions.chargeStoredPaymentMethod({ ...input, paymentId: 'sub_2', provider: 'paypal' })).rejects.toSatisfy(ProviderNotConfiguredError.isInstance);
  });
});
