import { describe, expect, it } from 'vitest';
import type { Money } from '../money/money.js';
import { decodePlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { createHarness, type Harness, usd } from './__fixtures__/transaction-harness.js';
import { capturableAmount } from './payment-amounts.js';
import type { TransactionStateManager } from './transaction-types.js';

/** A webhook from the old provider, signed and verified like a real one. */
async function webhook(
  harness: Harness,
  event: { type: string; eventId: string; providerReference?: string; operationReference?: string; amount?: Money; success?: boolean },
): Promise<PaymentWebhookEvent> {
  const verified = await harness.old.verifyWebhook(harness.old.signWebhook({ providerReference: 'unused', ...event }));
  return event.providerReference === undefined ? { ...verified, providerReference: undefined } : verified;
}

/** Makes the old provider answer captures, refunds and cancellations `pending` (Adyen `received`). */
function answerPending(harness: Harness, operations: ReadonlyArray<'capture' | 'refund' | 'cancel'>): void {
  for (const operation of operations) {
    const original = harness.old[operation].bind(harness.old) as (input: never) => ReturnType<Harness['old']['capture']>;
    (harness.old as unknown as Record<string, unknown>)[operation] = async (input: never) => ({ ...(await original(input)), status: 'pending', providerStatus: 'received' });
  }
}

async function drainMessages(harness: Harness): Promise<string[]> {
  const seen: string[] = [];
  for (;;) {
    const messages = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 10 });
    if (messages.length === 0) return seen;
    for (const message of messages) {
      const payload = decodePlatformPaymentMessage(message);
      seen.push(`${payload.type}:${payload.amount.toString()}:${message.deduplicationId}`);
    }
    await harness.memory.acknowledgeOutbox({ owner: 'test', sequences: messages.map((message) => message.sequence) });
  }
}

async function authorized(transactions: TransactionStateManager, overrides: Record<string, unknown> = {}) {
  return transactions.authorize({ paymentId: 'pay_1', merchantReference: 'ref-1', orderId: 'order-1', amount: usd(10_000), paymentMethodToken: 'tok_visa', ...overrides });
}

describe('applyProviderEvent', () => {
  it('a pending capture keeps the amounts until its webhook confirms it; duplicates change nothing', async () => {
    const harness = await createHarness();
    answerPending(harness, ['capture']);
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    const capture = await transactions.capture({ paymentId: 'pay_1', amount: usd(4_000), final: false });
    expect(capture).toMatchObject({ status: 'succeeded', awaitingConfirmation: true, intent: { outcome: { operationStatus: 'pending' } } });
    expect(capture.payment.capturedAmount.isZero()).toBe(true);
    expect(capture.payment.pendingOperations).toMatchObject([{ intentId: 'pay_1.capture.1', status: 'awaiting_confirmation', operationReference: 'cap_memory_000001' }]);
    // The pending capture counts against the limit.
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(6_001) })).rejects.toMatchObject({ problem: 'exceeds-available' });
    const event = await webhook(harness, { type: 'payment.captured', eventId: 'evt_1', providerReference: payment.providerReference, operationReference: 'cap_memory_000001', amount: usd(4_000) });
    expect(await transactions.applyProviderEvent(event)).toEqual({ status: 'applied', paymentId: 'pay_1' });
    const confirmed = await transactions.payment('pay_1');
    expect(confirmed).toMatchObject({ state: 'partially_captured', pendingOperations: [], appliedOperationReferences: ['cap_memory_000001'] });
    expect(confirmed?.capturedAmount.equals(harness.old.payments()[0]!.capturedAmount)).toBe(true);
    expect(await transactions.applyProviderEvent(event)).toMatchObject({ status: 'duplicate', paymentId: 'pay_1' });
    const resent = await webhook(harness, { type: 'payment.captured', eventId: 'evt_2', providerReference: payment.providerReference, operationReference: 'cap_memory_000001', amount: usd(4_000) });
    expect(await transactions.applyProviderEvent(resent)).toMatchObject({ status: 'ignored', reason: "operation 'cap_memory_000001' is already counted" });
    expect((await transactions.payment('pay_1'))?.capturedAmount.equals(usd(4_000))).toBe(true);
    expect(await drainMessages(harness)).toEqual(['payment.authorized:100.00 USD:pay_1.authorize.1', 'payment.captured:40.00 USD:pay_1.capture.1']);
    expect(harness.metrics).toContainEqual({ name: 'paymigrate.transactions.provider_events', value: 1, attributes: { provider: 'stripe', type: 'payment.captured', result: 'duplicate' } });
  });

  it('events out of order are harmless: a refund before its capture is deferred, applied once the capture is in; amounts never move backwards', async () => {
    const harness = await createHarness();
    answerPending(harness, ['capture']);
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    await transactions.capture({ paymentId: 'pay_1', amount: usd(5_000), final: false });
    const reference = payment.providerReference;
    const refund = await webhook(harness, { type: 'payment.refunded', eventId: 'evt_refund', providerReference: reference, operationReference: 'ref_external', amount: usd(1_000) });
    const captured = await webhook(harness, { type: 'payment.captured', eventId: 'evt_capture', providerReference: reference, operationReference: 'cap_memory_000001', amount: usd(5_000) });
    const lateAuthorized = await webhook(harness, { type: 'payment.authorized', eventId: 'evt_auth', providerReference: reference, amount: usd(10_000) });
    const lateFailure = await webhook(harness, { type: 'payment.capture_failed', eventId: 'evt_capture_failed', providerReference: reference, operationReference: 'cap_memory_000001' });
    const deferred = await transactions.applyProviderEvent(refund);
    expect(deferred).toMatchObject({ status: 'deferred', paymentId: 'pay_1' });
    expect(deferred.reason).toContain('exceeds captured');
    expect(await transactions.applyProviderEvent(captured)).toMatchObject({ status: 'applied' });
    expect(await transactions.applyProviderEvent(refund)).toMatchObject({ status: 'applied' });
    expect(await transactions.applyProviderEvent(lateAuthorized)).toMatchObject({ status: 'ignored', reason: 'the payment is already partially_refunded' });
    expect(await transactions.applyProviderEvent(lateFailure)).toMatchObject({ status: 'ignored' });
    const after = await transactions.payment('pay_1');
    expect(after).toMatchObject({ state: 'partially_refunded' });
    expect([after?.capturedAmount.toString(), after?.refundedAmount.toString()]).toEqual(['50.00 USD', '10.00 USD']);
    expect(harness.lines.some((line) => line['msg'] === 'Provider event deferred')).toBe(true);
  });

  it('several pending captures are confirmed one by one', async () => {
    const harness = await createHarness();
    answerPending(harness, ['capture']);
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    await transactions.capture({ paymentId: 'pay_1', amount: usd(1_000), final: false });
    const second = await transactions.capture({ paymentId: 'pay_1', amount: usd(2_000), final: false });
    expect(second.payment.pendingOperations.map((pending) => `${pending.intentId}:${pending.status}`)).toEqual([
      'pay_1.capture.1:awaiting_confirmation',
      'pay_1.capture.2:awaiting_confirmation',
    ]);
    const event = await webhook(harness, { type: 'payment.captured', eventId: 'evt_2', providerReference: payment.providerReference, operationReference: 'cap_memory_000002' });
    expect(await transactions.applyProviderEvent(event)).toMatchObject({ status: 'applied' });
    const after = await transactions.payment('pay_1');
    expect(after?.capturedAmount.equals(usd(2_000))).toBe(true);
    expect(after?.pendingOperations.map((pending) => pending.intentId)).toEqual(['pay_1.capture.1']);
  });

  it('a journal failure while applying an event is thrown (the provider redelivers)', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    harness.journal.beforeWrite = () => {
      throw new Error('journal unavailable');
    };
    const event = await webhook(harness, { type: 'payment.voided', eventId: 'evt_1', providerReference: payment.providerReference });
    await expect(transactions.applyProviderEvent(event)).rejects.toThrow('journal unavailable');
    harness.journal.beforeWrite = undefined;
    expect(await transactions.applyProviderEvent(event)).toMatchObject({ status: 'applied' });
  });

  it('a capture_failed webhook refutes a pending capture and releases its claim', async () => {
    const harness = await createHarness();
    answerPending(harness, ['capture']);
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    await transactions.capture({ paymentId: 'pay_1', amount: usd(4_000), final: false });
    const failed = await webhook(harness, { type: 'payment.captured', success: false, eventId: 'evt_1', providerReference: payment.providerReference, operationReference: 'cap_memory_000001' });
    expect(await transactions.applyProviderEvent(failed)).toMatchObject({ status: 'applied' });
    const after = await transactions.payment('pay_1');
    expect(after).toMatchObject({ state: 'authorized', pendingOperations: [] });
    expect(capturableAmount(after!).equals(usd(10_000))).toBe(true);
  });

  it('a webhook that arrives before the synchronous answer is counted once', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    const capture = harness.old.capture.bind(harness.old);
    harness.old.capture = async (input, options) => {
      const result = await capture(input, options);
      const early = await webhook(harness, { type: 'payment.captured', eventId: 'evt_early', providerReference: payment.providerReference, operationReference: result.operationReference, amount: result.amount });
      expect(await transactions.applyProviderEvent(early)).toMatchObject({ status: 'applied' });
      return result;
    };
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(3_000), final: false });
    expect(result.payment.capturedAmount.equals(usd(3_000))).toBe(true);
    expect(result.payment.pendingOperations).toEqual([]);
    const messages = await drainMessages(harness);
    expect(messages.filter((message) => message.startsWith('payment.captured'))).toHaveLength(1);
  });

  it('a pending answer whose webhook came first settles the claim', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    const capture = harness.old.capture.bind(harness.old);
    harness.old.capture = async (input, options) => {
      const result = await capture(input, options);
      await transactions.applyProviderEvent(
        await webhook(harness, { type: 'payment.captured', eventId: 'evt_early', providerReference: payment.providerReference, operationReference: result.operationReference, amount: result.amount }),
      );
      return { ...result, status: 'pending' };
    };
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(3_000), final: false });
    expect(result).toMatchObject({ awaitingConfirmation: false });
    expect(result.payment.pendingOperations).toEqual([]);
    expect(result.payment.capturedAmount.equals(usd(3_000))).toBe(true);
  });

  it('pending refunds and cancellations are confirmed by their webhooks, also without an operation reference (matched by amount)', async () => {
    const harness = await createHarness();
    answerPending(harness, ['refund', 'cancel']);
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    await transactions.capture({ paymentId: 'pay_1', amount: usd(6_000), final: false });
    await transactions.cancel({ paymentId: 'pay_1' });
    const voided = await webhook(harness, { type: 'payment.voided', eventId: 'evt_void', providerReference: payment.providerReference });
    expect(await transactions.applyProviderEvent(voided)).toMatchObject({ status: 'applied' });
    expect(await transactions.payment('pay_1')).toMatchObject({ state: 'captured', released: true, pendingOperations: [] });
    await transactions.refund({ paymentId: 'pay_1', amount: usd(2_000) });
    const unmatched = await webhook(harness, { type: 'payment.refunded', eventId: 'evt_refund_other', providerReference: payment.providerReference, amount: usd(1_234) });
    expect(await transactions.applyProviderEvent(unmatched)).toMatchObject({ status: 'ignored' });
    const refunded = await webhook(harness, { type: 'payment.refunded', eventId: 'evt_refund', providerReference: payment.providerReference, amount: usd(2_000) });
    expect(await transactions.applyProviderEvent(refunded)).toMatchObject({ status: 'applied' });
    const after = await transactions.payment('pay_1');
    expect(after).toMatchObject({ state: 'partially_refunded', pendingOperations: [] });
    expect(after?.refundedAmount.equals(usd(2_000))).toBe(true);
    expect(await drainMessages(harness)).toEqual([
      'payment.authorized:100.00 USD:pay_1.authorize.1',
      'payment.captured:60.00 USD:pay_1.capture.1',
      'payment.voided:40.00 USD:pay_1.cancel.1',
      'payment.refunded:20.00 USD:pay_1.refund.1',
    ]);
  });

  it('completes a 3-D Secure payment from its webhook and tells the platform', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const { payment } = await authorized(transactions, { paymentMethodToken: 'tok_3ds' });
    harness.old.completeRequiredAction(payment.providerReference!, { succeed: true });
    const event = await webhook(harness, { type: 'payment.authorized', eventId: 'evt_1', providerReference: payment.providerReference, amount: usd(10_000) });
    expect(await transactions.applyProviderEvent(event)).toMatchObject({ status: 'applied' });
    expect(await transactions.payment('pay_1')).toMatchObject({ state: 'authorized' });
    expect(await drainMessages(harness)).toEqual(['payment.authorized:100.00 USD:pay_1.authorize.1']);
    expect((await transactions.capture({ paymentId: 'pay_1' })).payment.state).toBe('captured');
  });

  it('a 3-D Secure payment with automatic capture is captured by its authorization webhook; a failed challenge fails it', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const { payment } = await authorized(transactions, { paymentMethodToken: 'tok_3ds', captureMethod: 'automatic' });
    expect(await transactions.applyProviderEvent(await webhook(harness, { type: 'payment.authorized', eventId: 'evt_1', providerReference: payment.providerReference }))).toMatchObject({
      status: 'applied',
    });
    expect(await transactions.payment('pay_1')).toMatchObject({ state: 'captured' });
    expect(await drainMessages(harness)).toEqual(['payment.authorized:100.00 USD:pay_1.authorize.1', 'payment.captured:100.00 USD:pay_1.authorize.1.captured']);
    const second = await transactions.authorize({ paymentId: 'pay_2', merchantReference: 'ref-2', amount: usd(100), paymentMethodToken: 'tok_3ds' });
    const failed = await webhook(harness, { type: 'payment.authorized', success: false, eventId: 'evt_2', providerReference: second.payment.providerReference });
    expect(await transactions.applyProviderEvent(failed)).toMatchObject({ status: 'applied' });
    expect(await transactions.payment('pay_2')).toMatchObject({ state: 'failed', failureReason: 'authorization_failed' });
  });

  it('an event for a provider reference nobody knows is not recorded (a redelivery can still apply it); one without a reference is ignored', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const unknown = await webhook(harness, { type: 'payment.captured', eventId: 'evt_1', providerReference: 'pay_nobody', amount: usd(1) });
    expect(await transactions.applyProviderEvent(unknown)).toMatchObject({ status: 'unknown_payment' });
    expect(await transactions.applyProviderEvent(unknown)).toMatchObject({ status: 'unknown_payment' });
    const anonymous = await webhook(harness, { type: 'other', eventId: 'evt_2' });
    expect(await transactions.applyProviderEvent(anonymous)).toMatchObject({ status: 'ignored', reason: 'the event names no payment' });
    expect(await transactions.applyProviderEvent(anonymous)).toMatchObject({ status: 'duplicate' });
    // Two deliveries of the same anonymous event at once: one records it, the other finds it recorded.
    const concurrent = await webhook(harness, { type: 'other', eventId: 'evt_3' });
    const results = await Promise.all([transactions.applyProviderEvent(concurrent), transactions.applyProviderEvent(concurrent)]);
    expect(results.map((result) => result.status).sort()).toEqual(['duplicate', 'ignored']);
  });

  it('events that move no money are recorded and ignored; concurrent deliveries apply once', async () => {
    const harness = await createHarness();
    answerPending(harness, ['capture']);
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    const dispute = await webhook(harness, { type: 'payment.dispute_opened', eventId: 'evt_dispute', providerReference: payment.providerReference });
    expect(await transactions.applyProviderEvent(dispute)).toMatchObject({ status: 'ignored', reason: 'a payment.dispute_opened event changes no amounts' });
    await transactions.capture({ paymentId: 'pay_1', amount: usd(1_000), final: false });
    const captured = await webhook(harness, { type: 'payment.captured', eventId: 'evt_c', providerReference: payment.providerReference, operationReference: 'cap_memory_000001', amount: usd(1_000) });
    const results = await Promise.all([transactions.applyProviderEvent(captured), transactions.applyProviderEvent(captured)]);
    expect(results.map((result) => result.status).sort()).toEqual(['applied', 'duplicate']);
    expect((await transactions.payment('pay_1'))?.capturedAmount.equals(usd(1_000))).toBe(true);
  });

  it('an expired authorization fails the payment and tells the platform the hold is gone', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    const { payment } = await authorized(transactions);
    const expired = await webhook(harness, { type: 'payment.expired', eventId: 'evt_1', providerReference: payment.providerReference });
    expect(await transactions.applyProviderEvent(expired)).toMatchObject({ status: 'applied' });
    expect(await transactions.payment('pay_1')).toMatchObject({ state: 'failed', failureReason: 'authorization_expired', released: true });
    expect((await drainMessages(harness)).at(-1)).toMatch(/^payment\.voided:100\.00 USD:pay_1\.event\.[a-p0-9]{16}$/);
  });
});
