import { InMemoryPaymentGateway } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, ProviderRetryableError } from '../errors/provider-errors.js';
import { UnsupportedOperationError } from '../errors/unsupported-operation-error.js';
import { Money } from '../money/money.js';
import { decodePlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import { createHarness, type Harness, usd } from './__fixtures__/transaction-harness.js';
import { InvalidTransactionInputError, OperationNotAllowedError, PaymentAmountError, PaymentNotFoundError, ProviderNotConfiguredError } from './transaction-errors.js';
import type { TransactionStateManager } from './transaction-types.js';

async function authorized(harness: Harness, transactions: TransactionStateManager, paymentId = 'pay_1', amount = usd(10_000)) {
  const result = await transactions.authorize({ paymentId, merchantReference: `ref-${paymentId}`, orderId: `order-${paymentId}`, amount, paymentMethodToken: 'tok_visa' });
  expect(result.payment.state).toBe('authorized');
  return result;
}

/** The provider's view of one payment. */
function atProvider(gateway: InMemoryPaymentGateway, providerReference: string | undefined) {
  const payment = gateway.payments().find((candidate) => candidate.providerReference === providerReference);
  expect(payment).toBeDefined();
  return payment!;
}

describe('follow-ups go to the pinned provider (invariant 2)', () => {
  it('capture, refund and cancel stay on the authorizing provider after a cutover and after a rollback', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions, 'pay_old');
    await authorized(harness, transactions, 'pay_old_2');
    harness.selector.provider = 'adyen'; // cutover
    await authorized(harness, transactions, 'pay_new');
    const capture = await transactions.capture({ paymentId: 'pay_old', amount: usd(6_000), final: false });
    expect(capture).toMatchObject({ status: 'succeeded', operation: 'capture' });
    harness.selector.provider = 'stripe'; // rollback
    const refund = await transactions.refund({ paymentId: 'pay_old', amount: usd(1_000) });
    const newCapture = await transactions.capture({ paymentId: 'pay_new' });
    const cancel = await transactions.cancel({ paymentId: 'pay_old_2' });
    expect([refund.status, newCapture.status, cancel.status]).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(harness.old.calls.map((call) => `${call.operation}:${call.idempotencyKey}`)).toEqual([
      'authorize:pay_old.authorize.1',
      'authorize:pay_old_2.authorize.1',
      'capture:pay_old.capture.1',
      'refund:pay_old.refund.1',
      'cancel:pay_old_2.cancel.1',
    ]);
    expect(harness.next.calls.map((call) => `${call.operation}:${call.idempotencyKey}`)).toEqual(['authorize:pay_new.authorize.1', 'capture:pay_new.capture.1']);
    expect(harness.selector.calls).toBe(3);
    const oldPayment = await transactions.payment('pay_old');
    expect(oldPayment).toMatchObject({ provider: 'stripe', state: 'partially_refunded' });
    expect((await transactions.payment('pay_old_2'))?.state).toBe('voided');
    expect((await transactions.payment('pay_new'))?.state).toBe('captured');
  });

  it('a follow-up on a payment pinned to a provider that is no longer configured is refused, never rerouted', async () => {
    const harness = await createHarness();
    await authorized(harness, harness.create());
    const withoutOld = harness.create({ gateways: [harness.next] });
    await expect(withoutOld.capture({ paymentId: 'pay_1' })).rejects.toSatisfy(
      (error) => ProviderNotConfiguredError.isInstance(error) && error.provider === 'stripe' && error.configuredProviders.join() === 'adyen',
    );
    expect(harness.next.calls).toHaveLength(0);
  });
});

describe('amounts are checked against the journal (invariant 4)', () => {
  it('captured <= authorized and refunded <= captured, with typed errors naming the payment and the amounts; nothing is sent', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    await expect(transactions.refund({ paymentId: 'pay_1', amount: usd(1) })).rejects.toSatisfy(OperationNotAllowedError.isInstance);
    const tooMuch = await transactions.capture({ paymentId: 'pay_1', amount: usd(10_001) }).catch((error: unknown) => error);
    expect(PaymentAmountError.isInstance(tooMuch)).toBe(true);
    expect(tooMuch).toMatchObject({ paymentId: 'pay_1', operation: 'capture', problem: 'exceeds-available', code: 'TRANSACTION_AMOUNT_INVALID' });
    expect((tooMuch as PaymentAmountError).message).toContain('100.01 USD');
    expect((tooMuch as PaymentAmountError).message).toContain('100.00 USD');
    await expect(transactions.capture({ paymentId: 'pay_1', amount: Money.of(100, 'EUR') })).rejects.toMatchObject({ problem: 'currency-mismatch' });
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(0) })).rejects.toMatchObject({ problem: 'not-positive' });
    await expect(transactions.capture({ paymentId: 'pay_1', amount: 5 as never })).rejects.toMatchObject({ problem: 'currency-mismatch' });
    await transactions.capture({ paymentId: 'pay_1', amount: usd(4_000), final: false });
    await expect(transactions.refund({ paymentId: 'pay_1', amount: usd(4_001) })).rejects.toMatchObject({ problem: 'exceeds-available' });
    await transactions.refund({ paymentId: 'pay_1', amount: usd(4_000) });
    await expect(transactions.refund({ paymentId: 'pay_1', amount: usd(1) })).rejects.toSatisfy(OperationNotAllowedError.isInstance);
    expect(harness.old.calls.map((call) => call.operation)).toEqual(['authorize', 'capture', 'refund']);
    await expect(transactions.capture({ paymentId: 'pay_missing' })).rejects.toSatisfy(PaymentNotFoundError.isInstance);
  });

  it('ten concurrent partial captures whose sum exceeds the authorization never capture more than authorized', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const attempts = await Promise.allSettled(Array.from({ length: 10 }, () => transactions.capture({ paymentId: 'pay_1', amount: usd(1_500), final: false })));
    const succeeded = attempts.filter((attempt) => attempt.status === 'fulfilled');
    const refused = attempts.filter((attempt) => attempt.status === 'rejected');
    expect(succeeded).toHaveLength(6);
    expect(refused.every((attempt) => PaymentAmountError.isInstance(attempt.reason))).toBe(true);
    const payment = await transactions.payment('pay_1');
    expect(payment?.capturedAmount.equals(usd(9_000))).toBe(true);
    expect(payment?.pendingOperations).toEqual([]);
    const provider = atProvider(harness.old, payment?.providerReference);
    expect(provider.capturedAmount.equals(payment!.capturedAmount)).toBe(true);
    expect(harness.old.calls.filter((call) => call.operation === 'capture')).toHaveLength(6);
    // The rest is captured in full; refunds in parallel stay within what was captured.
    await transactions.capture({ paymentId: 'pay_1' });
    const refunds = await Promise.allSettled(Array.from({ length: 5 }, () => transactions.refund({ paymentId: 'pay_1', amount: usd(2_500) })));
    expect(refunds.filter((attempt) => attempt.status === 'fulfilled')).toHaveLength(4);
    const settled = await transactions.payment('pay_1');
    expect(settled).toMatchObject({ state: 'refunded' });
    const providerAfter = atProvider(harness.old, settled?.providerReference);
    expect(providerAfter.refundedAmount.equals(settled!.refundedAmount)).toBe(true);
    expect(providerAfter.capturedAmount.equals(settled!.capturedAmount)).toBe(true);
  });

  it('capabilities are checked before sending: partial capture, non-final capture, partial and repeated refunds', async () => {
    const harness = await createHarness();
    const strict = new InMemoryPaymentGateway({
      provider: 'strict',
      clock: harness.clock,
      capabilities: { partialCapture: false, multipleCaptures: false, partialRefund: false, multipleRefunds: false },
    });
    harness.selector.provider = 'strict';
    const transactions = harness.create({ gateways: [strict] });
    await authorized(harness, transactions);
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(1) })).rejects.toSatisfy(UnsupportedOperationError.isInstance);
    await expect(transactions.capture({ paymentId: 'pay_1', final: false })).rejects.toSatisfy(UnsupportedOperationError.isInstance);
    await transactions.capture({ paymentId: 'pay_1' });
    await expect(transactions.refund({ paymentId: 'pay_1', amount: usd(1) })).rejects.toSatisfy(UnsupportedOperationError.isInstance);
    expect((await transactions.refund({ paymentId: 'pay_1', amount: usd(10_000) })).status).toBe('succeeded');
    expect(strict.calls.map((call) => call.operation)).toEqual(['authorize', 'capture', 'refund']);
  });

  it('a second refund is refused before sending when the provider allows one refund only', async () => {
    const harness = await createHarness();
    const single = new InMemoryPaymentGateway({ provider: 'single', clock: harness.clock, capabilities: { multipleRefunds: false } });
    harness.selector.provider = 'single';
    const transactions = harness.create({ gateways: [single] });
    await authorized(harness, transactions);
    await transactions.capture({ paymentId: 'pay_1' });
    await transactions.refund({ paymentId: 'pay_1', amount: usd(1_000) });
    await expect(transactions.refund({ paymentId: 'pay_1', amount: usd(1_000) })).rejects.toSatisfy(UnsupportedOperationError.isInstance);
  });

  it('a capture the provider refuses fails its intent and releases its claim; the payment is unchanged', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    harness.old.failNext('capture', new InvalidRequestError('No', { provider: 'stripe', parameter: 'amount' }));
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(100) });
    expect(result).toMatchObject({ status: 'failed', errorCode: 'PROVIDER_INVALID_REQUEST', retryElsewhere: false });
    expect(result.payment).toMatchObject({ state: 'authorized', pendingOperations: [] });
    expect((await transactions.capture({ paymentId: 'pay_1' })).payment.capturedAmount.equals(usd(10_000))).toBe(true);
  });

  it('an operation result "failed" fails the intent', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const refund = harness.old.refund.bind(harness.old);
    harness.old.refund = async (input, options) => ({ ...(await refund(input, options)), status: 'failed' });
    await transactions.capture({ paymentId: 'pay_1' });
    const result = await transactions.refund({ paymentId: 'pay_1', amount: usd(100) });
    expect(result).toMatchObject({ status: 'failed', errorCode: 'PROVIDER_OPERATION_FAILED' });
    expect(result.payment.refundedAmount.isZero()).toBe(true);
  });

  it('an answer that contradicts the journal amounts is unresolved, never guessed', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const capture = harness.old.capture.bind(harness.old);
    harness.old.capture = async (input, options) => ({ ...(await capture(input, options)), amount: usd(20_000) });
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(100), final: false });
    expect(result).toMatchObject({ status: 'unresolved', errorCode: 'TRANSACTION_AMOUNTS_DISAGREE' });
    expect((await transactions.unresolvedPayments()).map((entry) => entry.payment.paymentId)).toEqual(['pay_1']);
  });
});

describe('capture, refund and cancel', () => {
  it('enqueues one platform message per confirmed operation, in order for the order', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    await transactions.capture({ paymentId: 'pay_1', amount: usd(3_000), final: false });
    await transactions.cancel({ paymentId: 'pay_1' });
    await transactions.refund({ paymentId: 'pay_1', amount: usd(1_000), reason: 'requested_by_customer' });
    const types: string[] = [];
    for (;;) {
      const [message] = await harness.memory.claimOutbox({ owner: 'test', leaseMs: 1_000, limit: 1 });
      if (message === undefined) break;
      expect(message.orderingKey).toBe('order-pay_1');
      const payload = decodePlatformPaymentMessage(message);
      types.push(`${payload.type}:${payload.amount.toString()}:${message.deduplicationId}`);
      await harness.memory.acknowledgeOutbox({ owner: 'test', sequences: [message.sequence] });
    }
    expect(types).toEqual([
      'payment.authorized:100.00 USD:pay_1.authorize.1',
      'payment.captured:30.00 USD:pay_1.capture.1',
      'payment.voided:70.00 USD:pay_1.cancel.1',
      'payment.refunded:10.00 USD:pay_1.refund.1',
    ]);
    const payment = await transactions.payment('pay_1');
    expect(payment).toMatchObject({ state: 'partially_refunded', released: true });
    expect(payment?.authorizedAmount.equals(usd(3_000))).toBe(true);
    const provider = atProvider(harness.old, payment?.providerReference);
    expect([provider.state, provider.authorizedAmount.toString(), provider.capturedAmount.toString(), provider.refundedAmount.toString()]).toEqual([
      payment?.state,
      payment?.authorizedAmount.toString(),
      payment?.capturedAmount.toString(),
      payment?.refundedAmount.toString(),
    ]);
  });

  it('a final partial capture releases the remainder: no further capture is possible', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const result = await transactions.capture({ paymentId: 'pay_1', amount: usd(2_500) });
    expect(result.payment).toMatchObject({ state: 'captured', released: true });
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(1) })).rejects.toSatisfy(OperationNotAllowedError.isInstance);
    await expect(transactions.cancel({ paymentId: 'pay_1' })).rejects.toSatisfy(OperationNotAllowedError.isInstance);
  });

  it('a partially captured payment with its remainder released cannot be cancelled', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    await transactions.capture({ paymentId: 'pay_1', amount: usd(2_500), final: false });
    const stored = await harness.payments.get('pay_1');
    await harness.payments.save({ ...stored!.value, released: true }, stored!.version);
    await expect(transactions.cancel({ paymentId: 'pay_1' })).rejects.toMatchObject({ code: 'TRANSACTION_OPERATION_NOT_ALLOWED', state: 'partially_captured' });
  });

  it('cancel is idempotent: a second cancel replays the first', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const first = await transactions.cancel({ paymentId: 'pay_1' });
    const second = await transactions.cancel({ paymentId: 'pay_1' });
    expect(first.payment.state).toBe('voided');
    expect(second).toMatchObject({ replayed: true, status: 'succeeded' });
    expect(second.intent.intentId).toBe('pay_1.cancel.1');
    expect(harness.old.calls.filter((call) => call.operation === 'cancel')).toHaveLength(1);
    await expect(transactions.capture({ paymentId: 'pay_1' })).rejects.toSatisfy(OperationNotAllowedError.isInstance);
  });

  it('cancelling a payment that still requires customer action fails it', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await transactions.authorize({ paymentId: 'pay_1', merchantReference: 'ref-1', amount: usd(500), paymentMethodToken: 'tok_3ds' });
    const result = await transactions.cancel({ paymentId: 'pay_1' });
    expect(result.payment.state).toBe('failed');
  });

  it('a capture while a cancellation is in flight is refused; a second cancel replays the one in flight', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    harness.old.setAvailable(false);
    const waiting = await transactions.cancel({ paymentId: 'pay_1' });
    expect(waiting.status).toBe('waiting');
    await expect(transactions.capture({ paymentId: 'pay_1' })).rejects.toMatchObject({ code: 'TRANSACTION_OPERATION_NOT_ALLOWED' });
    expect(await transactions.cancel({ paymentId: 'pay_1' })).toMatchObject({ replayed: true, status: 'waiting' });
  });

  it('a payment without a provider reference cannot be followed up', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const stored = await harness.payments.get('pay_1');
    await harness.payments.save({ ...stored!.value, providerReference: undefined }, stored!.version);
    await expect(transactions.capture({ paymentId: 'pay_1' })).rejects.toMatchObject({ code: 'TRANSACTION_OPERATION_NOT_ALLOWED' });
  });

  it('a sequence makes a follow-up idempotent: replays an existing one, refuses gaps', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    const first = await transactions.capture({ paymentId: 'pay_1', amount: usd(1_000), final: false, sequence: 1 });
    const replay = await transactions.capture({ paymentId: 'pay_1', amount: usd(1_000), final: false, sequence: 1 });
    expect(first.replayed).toBe(false);
    expect(replay).toMatchObject({ replayed: true, status: 'succeeded' });
    expect(replay.intent).toEqual(first.intent);
    for (const sequence of [0, 3, 1.5]) {
      await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(1_000), sequence })).rejects.toSatisfy(
        (error) => InvalidTransactionInputError.isInstance(error) && error.field === 'sequence',
      );
    }
    expect((await transactions.capture({ paymentId: 'pay_1', amount: usd(1_000), final: false, sequence: 2 })).intent.intentId).toBe('pay_1.capture.2');
    expect(harness.old.calls.filter((call) => call.operation === 'capture')).toHaveLength(2);
  });
});

describe('journal failures', () => {
  it('a follow-up whose intent cannot be written is refused and nothing is sent', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    harness.journal.beforeWrite = () => {
      throw new Error('journal unavailable');
    };
    await expect(transactions.capture({ paymentId: 'pay_1' })).rejects.toThrow('journal unavailable');
    expect(harness.old.calls.filter((call) => call.operation === 'capture')).toHaveLength(0);
  });
});

describe('a provider down for a follow-up', () => {
  it('the follow-up waits durably, then runs exactly once when the provider is back and recovery runs', async () => {
    const harness = await createHarness();
    const transactions = harness.create({ retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 } });
    await authorized(harness, transactions);
    harness.old.setAvailable(false);
    harness.selector.provider = 'adyen';
    const waiting = await transactions.capture({ paymentId: 'pay_1', amount: usd(4_000) });
    expect(waiting).toMatchObject({ status: 'waiting', errorCode: 'PROVIDER_UNAVAILABLE' });
    expect(waiting.intent.nextAttemptAt).toBe(harness.clock.now() + 1_000);
    // The claim keeps counting while it waits.
    await expect(transactions.capture({ paymentId: 'pay_1', amount: usd(6_001) })).rejects.toSatisfy(PaymentAmountError.isInstance);
    // Not due yet: deferred. Still down when due: still waiting, with a longer back-off.
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 0, deferred: 1 });
    await harness.clock.advance(1_000);
    expect(await transactions.recover({ owner: 'node-1' })).toMatchObject({ examined: 1, stillWaiting: 1 });
    expect((await harness.intents.get('pay_1.capture.1'))?.value.nextAttemptAt).toBe(harness.clock.now() + 2_000);
    harness.old.setAvailable(true);
    await harness.clock.advance(2_000);
    // A fresh node (restart) runs it.
    const report = await harness.create().recover({ owner: 'node-2' });
    expect(report).toMatchObject({ examined: 1, succeeded: 1 });
    expect(await harness.create().recover({ owner: 'node-2' })).toMatchObject({ examined: 0 });
    const captures = harness.old.calls.filter((call) => call.operation === 'capture');
    expect(captures.map((call) => call.idempotencyKey)).toEqual(['pay_1.capture.1', 'pay_1.capture.1', 'pay_1.capture.1']);
    const payment = await transactions.payment('pay_1');
    expect(payment?.capturedAmount.equals(usd(4_000))).toBe(true);
    expect(atProvider(harness.old, payment?.providerReference).capturedAmount.equals(usd(4_000))).toBe(true);
    expect(harness.next.calls).toHaveLength(0);
  });

  it('a retryable error on a follow-up is retried in place', async () => {
    const harness = await createHarness();
    const transactions = harness.create();
    await authorized(harness, transactions);
    harness.old.failNext('refund', new ProviderRetryableError('busy', { provider: 'stripe' }));
    await transactions.capture({ paymentId: 'pay_1' });
    const result = await transactions.refund({ paymentId: 'pay_1', amount: usd(100) });
    expect(result).toMatchObject({ status: 'succeeded' });
    expect(result.intent.attempts).toBe(2);
  });
});
