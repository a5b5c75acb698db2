import { describe, expect, it } from 'vitest';
import { createHarness, type Harness, usd } from './__fixtures__/transaction-harness.js';

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
  it('reads back nothing it just wrote: one read per call, and still four durable writes (intent before, outcome after each provider call)', async () => {
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
