import { describe, expect, it } from 'vitest';
import { emptyOperationCounters, type PaymentRecord, type PendingOperation } from '../journal/payment-repository.js';
import { Money } from '../money/money.js';
import type { PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { decideProviderEvent, type ProviderEventDecision } from './provider-event-decision.js';

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

function payment(overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    paymentId: 'pay_1',
    merchantReference: 'ref-1',
    provider: 'adyen',
    providerReference: 'psp_1',
    captureMethod: 'manual',
    initialIntentId: 'pay_1.authorize.1',
    amount: usd(10_000),
    authorizedAmount: usd(10_000),
    capturedAmount: usd(0),
    refundedAmount: usd(0),
    released: false,
    state: 'authorized',
    pendingOperations: [],
    appliedOperationReferences: [],
    operationCounters: { ...emptyOperationCounters, authorize: 1 },
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

function event(type: PaymentWebhookEvent['type'], overrides: Partial<PaymentWebhookEvent> = {}): PaymentWebhookEvent {
  return { eventId: 'evt_1', provider: 'adyen', type, providerType: type, success: true, providerReference: 'psp_1', occurredAt: 0, ...overrides };
}

function pending(overrides: Partial<PendingOperation> = {}): PendingOperation {
  return { intentId: 'pay_1.capture.1', operation: 'capture', amount: usd(4_000), status: 'awaiting_confirmation', operationReference: 'cap_1', ...overrides };
}

function applied(decision: ProviderEventDecision): Extract<ProviderEventDecision, { kind: 'apply' }> {
  expect(decision.kind).toBe('apply');
  return decision as Extract<ProviderEventDecision, { kind: 'apply' }>;
}

describe('decideProviderEvent', () => {
  it('authorization: from authorizing or requires_action only, in the payment currency, amount defaulting to the payment amount', () => {
    const decision = applied(decideProviderEvent(payment({ state: 'authorizing', authorizedAmount: usd(0) }), event('payment.authorized')));
    expect(decision.payment.state).toBe('authorized');
    expect(decision.payment.authorizedAmount.equals(usd(10_000))).toBe(true);
    expect(decision.messages).toEqual([{ type: 'payment.authorized', amount: usd(10_000), deduplicationId: 'pay_1.authorize.1' }]);
    expect(decideProviderEvent(payment({ state: 'requires_action' }), event('payment.authorized', { amount: Money.of(1, 'EUR') }))).toMatchObject({
      kind: 'ignore',
      reason: 'the event is in EUR, the payment in USD',
    });
    expect(decideProviderEvent(payment(), event('payment.authorized'))).toMatchObject({ kind: 'ignore', reason: 'the payment is already authorized' });
    expect(decideProviderEvent(payment(), event('payment.authorization_failed'))).toMatchObject({ kind: 'ignore' });
    const failed = applied(decideProviderEvent(payment({ state: 'requires_action', failureReason: 'three_d_secure_failed' }), event('payment.authorization_failed')));
    expect(failed.payment).toMatchObject({ state: 'failed', failureReason: 'three_d_secure_failed' });
    expect(decideProviderEvent(payment({ state: 'requires_action' }), event('payment.requires_action'))).toMatchObject({ kind: 'ignore' });
  });

  it('captures: by operation reference, by amount without one, foreign ones counted once; refutations release claims', () => {
    const withPending = payment({ pendingOperations: [pending(), pending({ intentId: 'pay_1.refund.1', operation: 'refund', operationReference: 'ref_1' })] });
    const byReference = applied(decideProviderEvent(withPending, event('payment.captured', { operationReference: 'cap_1', amount: usd(4_000) })));
    expect(byReference.payment.capturedAmount.equals(usd(4_000))).toBe(true);
    expect(byReference.payment.pendingOperations.map((operation) => operation.intentId)).toEqual(['pay_1.refund.1']);
    expect(byReference.messages[0]).toMatchObject({ deduplicationId: 'pay_1.capture.1', operationReference: 'cap_1' });
    const byAmount = applied(decideProviderEvent(withPending, event('payment.captured', { amount: usd(4_000) })));
    expect(byAmount.payment.appliedOperationReferences).toEqual(['cap_1']);
    const noAmount = applied(decideProviderEvent(withPending, event('payment.captured')));
    expect(noAmount.payment.capturedAmount.equals(usd(4_000))).toBe(true);
    const foreign = applied(decideProviderEvent(payment(), event('payment.captured', { operationReference: 'cap_dashboard', amount: usd(1_000) })));
    expect(foreign.messages[0]?.deduplicationId).toMatch(/^pay_1\.event\.[0-9a-f]{16}$/);
    expect(decideProviderEvent(payment(), event('payment.captured', { operationReference: 'cap_dashboard' }))).toMatchObject({ kind: 'ignore', reason: 'the capture event carries no amount' });
    expect(decideProviderEvent(payment(), event('payment.captured', { operationReference: 'cap_x', amount: Money.of(1, 'EUR') }))).toMatchObject({ kind: 'ignore' });
    expect(decideProviderEvent(payment(), event('payment.captured', { operationReference: 'cap_x', amount: usd(10_001) }))).toMatchObject({ kind: 'defer' });
    const refuted = applied(decideProviderEvent(withPending, event('payment.capture_failed', { operationReference: 'cap_1' })));
    expect(refuted.payment.pendingOperations).toHaveLength(1);
    expect(refuted.messages).toEqual([]);
    expect(decideProviderEvent(withPending, event('payment.capture_failed', { operationReference: 'cap_9' }))).toMatchObject({ kind: 'ignore' });
    expect(decideProviderEvent(payment({ appliedOperationReferences: ['cap_1'] }), event('payment.capture_failed', { operationReference: 'cap_1' }))).toMatchObject({ kind: 'ignore' });
    const inFlightOnly = payment({ pendingOperations: [pending({ status: 'in_flight', operationReference: undefined })] });
    expect(decideProviderEvent(inFlightOnly, event('payment.captured', { amount: usd(4_000) }))).toMatchObject({ kind: 'ignore' });
  });

  it('refunds reported as a running total: only the excess over what is counted is a refund, once', () => {
    const captured = payment({ state: 'captured', capturedAmount: usd(10_000), released: true });
    const total = (minorUnits: number, eventId = `evt_total_${minorUnits}`) => event('payment.refunded', { eventId, refundedTotal: usd(minorUnits) });
    // A refund made at the provider's dashboard: 10.00 in all.
    const first = applied(decideProviderEvent(captured, total(1_000)));
    expect(first.payment.refundedAmount.equals(usd(1_000))).toBe(true);
    expect(first.payment.appliedOperationReferences).toEqual(['refunded-total:10.00 USD']);
    expect(first.messages).toEqual([
      { type: 'payment.refunded', amount: usd(1_000), deduplicationId: expect.stringMatching(/^pay_1\.event\.[0-9a-f]{16}$/), operationReference: 'refunded-total:10.00 USD' },
    ]);
    // A second one of 20.00: the provider reports 30.00 in all; 20.00 is new, not 30.00.
    const second = applied(decideProviderEvent(first.payment, total(3_000)));
    expect(second.payment.refundedAmount.equals(usd(3_000))).toBe(true);
    expect(second.messages[0]?.amount.equals(usd(2_000))).toBe(true);
    // Redelivered, or the first event arriving late: nothing new.
    expect(decideProviderEvent(second.payment, total(3_000, 'evt_again'))).toMatchObject({ kind: 'ignore', reason: 'refunds of 30.00 USD are counted; the provider reports 30.00 USD in all' });
    expect(decideProviderEvent(second.payment, total(1_000))).toMatchObject({ kind: 'ignore' });
    // Reordered: the 30.00 event first counts 30.00; the 10.00 one then adds nothing.
    const reordered = applied(decideProviderEvent(captured, total(3_000)));
    expect(decideProviderEvent(reordered.payment, total(1_000))).toMatchObject({ kind: 'ignore' });
    expect(decideProviderEvent(captured, event('payment.refunded', { refundedTotal: Money.of(1, 'EUR') }))).toMatchObject({ kind: 'ignore', reason: 'the event is in EUR, the payment in USD' });
    // More than is captured: its capture has not been counted yet.
    expect(decideProviderEvent(payment(), total(1_000))).toMatchObject({ kind: 'defer' });
  });

  it('a running total confirms the refund of ours awaiting it by its excess, and counts nothing it cannot tell apart from ours', () => {
    const ours = pending({ intentId: 'pay_1.refund.1', operation: 'refund', operationReference: 're_ours', amount: usd(2_000) });
    const waiting = payment({ state: 'partially_refunded', capturedAmount: usd(10_000), refundedAmount: usd(1_000), released: true, pendingOperations: [ours] });
    const confirmed = applied(decideProviderEvent(waiting, event('payment.refunded', { refundedTotal: usd(3_000) })));
    expect(confirmed.payment.refundedAmount.equals(usd(3_000))).toBe(true);
    expect(confirmed.payment.pendingOperations).toEqual([]);
    expect(confirmed.payment.appliedOperationReferences).toEqual(['re_ours']);
    expect(confirmed.messages[0]).toMatchObject({ deduplicationId: 'pay_1.refund.1', operationReference: 're_ours' });
    // 25.00 beyond the 10.00 counted: our 20.00 and 5.00 from elsewhere, or not yet ours: left alone.
    expect(decideProviderEvent(waiting, event('payment.refunded', { refundedTotal: usd(3_500) }))).toMatchObject({
      kind: 'ignore',
      reason: 'refunds of ours are still open: the 25.00 USD beyond those counted is not told apart from them',
    });
    // Still being sent (no answer yet): never taken for a confirmation.
    const sending = payment({ ...waiting, pendingOperations: [{ ...ours, status: 'in_flight' }] });
    expect(decideProviderEvent(sending, event('payment.refunded', { refundedTotal: usd(3_000) }))).toMatchObject({ kind: 'ignore' });
  });

  it('refunds: confirmed, refuted, and deferred while they would exceed what is captured', () => {
    const captured = payment({ state: 'captured', capturedAmount: usd(10_000), released: true, pendingOperations: [pending({ intentId: 'pay_1.refund.1', operation: 'refund', operationReference: 'ref_1', amount: usd(500) })] });
    const confirmed = applied(decideProviderEvent(captured, event('payment.refunded', { operationReference: 'ref_1' })));
    expect(confirmed.payment).toMatchObject({ state: 'partially_refunded' });
    expect(confirmed.messages[0]).toMatchObject({ type: 'payment.refunded', deduplicationId: 'pay_1.refund.1' });
    expect(applied(decideProviderEvent(captured, event('payment.refunded', { success: false, operationReference: 'ref_1' }))).payment.pendingOperations).toEqual([]);
    expect(applied(decideProviderEvent(captured, event('payment.refund_failed', { operationReference: 'ref_1' }))).payment.pendingOperations).toEqual([]);
    expect(decideProviderEvent(payment(), event('payment.refunded', { operationReference: 'ref_x', amount: usd(1) }))).toMatchObject({ kind: 'defer' });
    expect(decideProviderEvent(payment(), event('payment.refund_reversed', { operationReference: 'ref_1' }))).toMatchObject({
      kind: 'ignore',
      reason: 'a payment.refund_reversed event changes no amounts',
    });
  });

  it('a capture event on a payment that cannot take it any more is deferred (it waits for the events before it)', () => {
    expect(decideProviderEvent(payment({ state: 'failed' }), event('payment.captured', { operationReference: 'cap_x', amount: usd(1) }))).toMatchObject({ kind: 'defer' });
  });

  it('voids: release what remains, confirm a pending cancel, fail a payment that needed customer action', () => {
    const withCancel = payment({ state: 'partially_captured', capturedAmount: usd(3_000), pendingOperations: [pending({ intentId: 'pay_1.cancel.1', operation: 'cancel', amount: usd(7_000), operationReference: undefined })] });
    const voided = applied(decideProviderEvent(withCancel, event('payment.voided')));
    expect(voided.payment).toMatchObject({ state: 'captured', released: true, pendingOperations: [] });
    expect(voided.messages).toEqual([{ type: 'payment.voided', amount: usd(7_000), deduplicationId: 'pay_1.cancel.1' }]);
    expect(applied(decideProviderEvent(payment(), event('payment.voided'))).payment.state).toBe('voided');
    expect(applied(decideProviderEvent(payment({ state: 'requires_action', authorizedAmount: usd(0) }), event('payment.voided'))).payment.state).toBe('failed');
    expect(decideProviderEvent(payment({ released: true }), event('payment.voided'))).toMatchObject({ kind: 'ignore' });
    expect(decideProviderEvent(payment({ state: 'captured' }), event('payment.voided'))).toMatchObject({ kind: 'ignore' });
    expect(applied(decideProviderEvent(withCancel, event('payment.voided', { success: false }))).payment.pendingOperations).toEqual([]);
    // A void nobody here asked for settles a cancellation still in flight too; other claims stay.
    const inFlight = payment({
      pendingOperations: [pending({ intentId: 'pay_1.cancel.1', operation: 'cancel', status: 'in_flight', operationReference: undefined }), pending({ status: 'in_flight', operationReference: undefined })],
    });
    const external = applied(decideProviderEvent(inFlight, event('payment.voided')));
    expect(external.payment.pendingOperations.map((operation) => operation.intentId)).toEqual(['pay_1.capture.1']);
    expect(external.messages[0]?.deduplicationId).toMatch(/^pay_1\.event\./);
  });

  it('expiry: an authorization fails, a partial capture keeps what was captured', () => {
    expect(applied(decideProviderEvent(payment(), event('payment.expired'))).payment).toMatchObject({ state: 'failed', failureReason: 'authorization_expired' });
    const partial = applied(decideProviderEvent(payment({ state: 'partially_captured', capturedAmount: usd(2_000), failureReason: undefined }), event('payment.expired')));
    expect(partial.payment).toMatchObject({ state: 'captured', released: true });
    expect(partial.payment.failureReason).toBeUndefined();
    expect(decideProviderEvent(payment({ state: 'captured' }), event('payment.expired'))).toMatchObject({ kind: 'ignore' });
    expect(decideProviderEvent(payment({ released: true }), event('payment.expired'))).toMatchObject({ kind: 'ignore' });
  });
});
