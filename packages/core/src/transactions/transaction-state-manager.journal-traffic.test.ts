import { describe, expect, it } from 'vitest';
import { PaymentDeclinedError, ProviderUnavailableError } from '../errors/provider-errors.js';
import type { PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { createHarness, type Harness, SimulatedCrash, usd, writesIntentStatus } from './__fixtures__/transaction-harness.js';

const authorization = (paymentId: string) => ({
  paymentId,
  merchantReference: `order-${paymentId}`,
  orderId: `order-${paymentId}`,
  amount: usd(10_000),
  paymentMethodToken: 'tok_visa',
});

/** Counts the journal's single-record reads (`get`) and the written batches' intent statuses. */
function countTraffic(harness: Harness): { reads: string[]; writes: string[] } {
  const traffic = { reads: [] as string[], writes: [] as string[] };
  harness.journal.get = (collection, key) => {
    traffic.reads.push(`${collection}/${key}`);
    return harness.memory.get(collection, key);
  };
  harness.journal.beforeWrite = (batch) => {
    const intents = (batch.puts ?? []).filter((put) => put.collection === 'payment-intents');
    traffic.writes.push(intents.map((put) => `${put.key}:${put.index}`).join(','));
  };
  return traffic;
}

describe('journal traffic of a checkout', () => {
  it('reads back nothing it just wrote: one read per call, and four writes (intent before, outcome after each provider call)', async () => {
    const harness = await createHarness();
    const traffic = countTraffic(harness);
    const transactions = harness.create();
    expect((await transactions.authorize(authorization('pay_1'))).status).toBe('succeeded');
    expect((await transactions.capture({ paymentId: 'pay_1' })).status).toBe('succeeded');
    // authorize: is the payment new?  capture: the payment to check the amount against.
    expect(traffic.reads).toEqual(['payments/pay_1', 'payments/pay_1']);
    expect(traffic.writes).toEqual(['pay_1.authorize.1:pending', 'pay_1.authorize.1:succeeded', 'pay_1.capture.1:pending', 'pay_1.capture.1:succeeded']);
    // What the state manager answered is what the journal holds.
    const stored = await harness.payments.get('pay_1');
    expect(stored?.value.state).toBe('captured');
    expect(stored?.value.capturedAmount.equals(usd(10_000))).toBe(true);
    expect(stored?.version).toBe(4);
  });

  it('a change made by someone else while the provider call is in flight fails the outcome compare-and-set: it is read afresh and the outcome still lands', async () => {
    const harness = await createHarness();
    const authorize = harness.old.authorize.bind(harness.old);
    let claimedBy: string | undefined;
    harness.old.authorize = async (input, options) => {
      // Another node's recovery claims the intent meanwhile (a claim bumps the version).
      const [claimed] = await harness.memory.claim({ collection: 'payment-intents', index: 'pending', owner: 'other-node', leaseMs: 60_000, limit: 1 });
      claimedBy = claimed?.lease?.owner;
      return authorize(input, options);
    };
    const traffic = countTraffic(harness);
    const result = await harness.create().authorize(authorization('pay_1'));
    expect(claimedBy).toBe('other-node');
    expect(result.status).toBe('succeeded');
    expect(result.payment.state).toBe('authorized');
    // The outcome's first attempt conflicted; the retry read the intent and the payment again.
    expect(traffic.reads).toEqual(['payments/pay_1', 'payment-intents/pay_1.authorize.1', 'payments/pay_1']);
    expect(traffic.writes).toEqual(['pay_1.authorize.1:pending', 'pay_1.authorize.1:succeeded', 'pay_1.authorize.1:succeeded']);
    const intent = await harness.intents.get('pay_1.authorize.1');
    expect(intent?.value.status).toBe('succeeded');
    expect(intent?.version).toBe(3);
    expect(intent?.lease).toBeUndefined();
    expect(harness.old.calls).toHaveLength(1);
  });

  it('a capture whose payment changed between its intent and its outcome still settles the amounts on the fresh payment', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize(authorization('pay_1'));
    const capture = harness.old.capture.bind(harness.old);
    harness.old.capture = async (input, options) => {
      // Someone else touches the payment (a webhook on another node, say) while the capture is out.
      const stored = await harness.payments.get('pay_1');
      await harness.payments.save({ ...stored!.value, customerReference: 'changed-elsewhere' }, stored!.version);
      return capture(input, options);
    };
    const result = await transactions.capture({ paymentId: 'pay_1' });
    expect(result.status).toBe('succeeded');
    expect(result.payment).toMatchObject({ state: 'captured', customerReference: 'changed-elsewhere', pendingOperations: [] });
    expect(result.payment.capturedAmount.equals(usd(10_000))).toBe(true);
    expect((await harness.payments.get('pay_1'))?.value).toEqual(result.payment);
  });
});

/**
 * Records every written batch as `<intent>:<status> <durability>` (its intents, or its collections
 * when it writes no intent), in the order written.
 */
function recordDurability(harness: Harness): string[] {
  const writes: string[] = [];
  harness.journal.beforeWrite = (batch) => {
    const puts = batch.puts ?? [];
    const intents = puts.filter((put) => put.collection === 'payment-intents').map((put) => `${put.key}:${put.index}`);
    const label = intents.length > 0 ? intents.join(',') : [...new Set(puts.map((put) => put.collection))].join(',');
    writes.push(`${label} ${batch.durability ?? 'durable'}`);
  };
  return writes;
}

describe('durability of the writes: intents durable before the call, provider-recorded successes deferred after it', () => {
  it('a checkout: both intents durable, both outcomes deferred (recovery re-derives them from the intent and the provider)', async () => {
    const harness = await createHarness();
    const writes = recordDurability(harness);
    const transactions = harness.create();
    await transactions.authorize(authorization('pay_1'));
    await transactions.capture({ paymentId: 'pay_1' });
    expect(writes).toEqual([
      'pay_1.authorize.1:pending durable',
      'pay_1.authorize.1:succeeded deferred',
      'pay_1.capture.1:pending durable',
      'pay_1.capture.1:succeeded deferred',
    ]);
  });

  it('charges of stored payment methods, partial captures, voids and refunds: outcomes deferred, intents durable', async () => {
    const harness = await createHarness();
    const stored = harness.next.addStoredPaymentMethod({ token: 'pm_1', customerReference: 'cus_1', card: { brand: 'visa', last4: '4242', expiryMonth: 1, expiryYear: 2030 } });
    const writes = recordDurability(harness);
    const transactions = harness.create();
    await transactions.chargeStoredPaymentMethod({ paymentId: 'sub_1', merchantReference: 'renewal-1', amount: usd(2_500), provider: 'adyen', paymentMethodToken: stored.token, customerReference: 'cus_1' });
    await transactions.authorize(authorization('pay_1'));
    await transactions.capture({ paymentId: 'pay_1', amount: usd(3_000), final: false });
    await transactions.cancel({ paymentId: 'pay_1' });
    await transactions.refund({ paymentId: 'pay_1', amount: usd(1_000) });
    expect(writes).toEqual([
      'sub_1.charge_stored.1:pending durable',
      'sub_1.charge_stored.1:succeeded deferred',
      'pay_1.authorize.1:pending durable',
      'pay_1.authorize.1:succeeded deferred',
      'pay_1.capture.1:pending durable',
      'pay_1.capture.1:succeeded deferred',
      'pay_1.cancel.1:pending durable',
      'pay_1.cancel.1:succeeded deferred',
      'pay_1.refund.1:pending durable',
      'pay_1.refund.1:succeeded deferred',
    ]);
    // What the deferred batches carried is committed, messages included: the charge (authorized and
    // captured), the authorization, the capture, the void and the refund.
    expect(await harness.memory.pendingOutboxCount()).toBe(6);
  });

  it('an operation the provider accepted for later (awaiting confirmation) is deferred; the webhook confirming it is durable', async () => {
    const harness = await createHarness();
    const capture = harness.old.capture.bind(harness.old);
    harness.old.capture = async (input, options) => ({ ...(await capture(input, options)), status: 'pending', providerStatus: 'received' });
    const transactions = harness.create();
    const { payment } = await transactions.authorize(authorization('pay_1'));
    const writes = recordDurability(harness);
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(4_000), final: false });
    expect(result).toMatchObject({ status: 'succeeded', awaitingConfirmation: true });
    const event: PaymentWebhookEvent = await harness.old.verifyWebhook(
      harness.old.signWebhook({ type: 'payment.captured', eventId: 'evt_1', providerReference: payment.providerReference as string, operationReference: result.intent.outcome?.operationReference, amount: usd(4_000) }),
    );
    expect(await transactions.applyProviderEvent(event)).toEqual({ status: 'applied', paymentId: 'pay_1' });
    expect(writes).toEqual(['pay_1.capture.1:pending durable', 'pay_1.capture.1:succeeded deferred', 'processed-events,payments durable']);
  });

  it('declines, failures, unavailable providers and contradicting answers stay durable: the caller may act on them elsewhere', async () => {
    const harness = await createHarness();
    const writes = recordDurability(harness);
    const transactions = harness.create();
    harness.old.failNext('authorize', new PaymentDeclinedError('Declined', { provider: 'stripe', declineReason: 'do_not_honor' }));
    expect(await transactions.authorize(authorization('pay_declined'))).toMatchObject({ status: 'failed', declineReason: 'do_not_honor' });
    harness.old.failNext('authorize', new ProviderUnavailableError('Down', { provider: 'stripe' }));
    expect(await transactions.authorize(authorization('pay_elsewhere'))).toMatchObject({ status: 'failed', retryElsewhere: true });
    await transactions.authorize(authorization('pay_1'));
    const capture = harness.old.capture.bind(harness.old);
    harness.old.capture = async (input, options) => ({ ...(await capture(input, options)), amount: usd(20_000) });
    expect(await transactions.capture({ paymentId: 'pay_1', amount: usd(100), final: false })).toMatchObject({ status: 'unresolved' });
    harness.old.capture = capture;
    await transactions.authorize(authorization('pay_2'));
    await transactions.capture({ paymentId: 'pay_2' });
    const refund = harness.old.refund.bind(harness.old);
    harness.old.refund = async (input, options) => ({ ...(await refund(input, options)), status: 'failed' });
    expect(await transactions.refund({ paymentId: 'pay_2', amount: usd(100) })).toMatchObject({ status: 'failed' });
    expect(writes).toEqual([
      'pay_declined.authorize.1:pending durable',
      'pay_declined.authorize.1:failed durable',
      'pay_elsewhere.authorize.1:pending durable',
      'pay_elsewhere.authorize.1:failed durable',
      'pay_1.authorize.1:pending durable',
      'pay_1.authorize.1:succeeded deferred',
      'pay_1.capture.1:pending durable',
      'pay_1.capture.1:unresolved durable',
      'pay_2.authorize.1:pending durable',
      'pay_2.authorize.1:succeeded deferred',
      'pay_2.capture.1:pending durable',
      'pay_2.capture.1:succeeded deferred',
      'pay_2.refund.1:pending durable',
      'pay_2.refund.1:failed durable',
    ]);
  });

  it('an authorization that saves the payment method stays durable: the token engine copies the saved method, and a lookup would not bring it back', async () => {
    const harness = await createHarness();
    const writes = recordDurability(harness);
    await harness.create().authorize({ ...authorization('pay_1'), savePaymentMethod: true, customerReference: 'cus_1' });
    expect(writes).toEqual(['pay_1.authorize.1:pending durable', 'pay_1.authorize.1:succeeded durable']);
  });

  it('outcomes written by recovery or by resolving an unknown outcome stay durable', async () => {
    const harness = await createHarness();
    harness.journal.beforeWrite = (batch) => {
      if (writesIntentStatus(batch, 'succeeded')) throw new SimulatedCrash('after the provider call');
    };
    await expect(harness.create().authorize(authorization('pay_1'))).rejects.toThrow(SimulatedCrash);
    const writes = recordDurability(harness);
    const restarted = harness.create();
    expect(await restarted.recover({ owner: 'node-2' })).toMatchObject({ succeeded: 1 });
    harness.old.failAfterApplying('authorize');
    expect(await restarted.authorize(authorization('pay_2'))).toMatchObject({ status: 'succeeded' });
    expect(writes).toEqual([
      'pay_1.authorize.1:succeeded durable',
      'pay_2.authorize.1:pending durable',
      'pay_2.authorize.1:unknown durable',
      'pay_2.authorize.1:succeeded durable',
    ]);
  });
});
