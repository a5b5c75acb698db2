import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { InvalidMoneyError } from '../errors/money-errors.js';
import { emptyOperationCounters, type PaymentRecord } from '../journal/payment-repository.js';
import { Money } from '../money/money.js';
import { applyConfirmedOperation, capturableAmount, paymentStateOfRecord, pendingOperationsAmount, refundableAmount, withPaymentState } from './payment-amounts.js';

const usd = (minorUnits: number) => Money.of(minorUnits, 'USD');

function payment(overrides: Partial<PaymentRecord> = {}): PaymentRecord {
  return {
    paymentId: 'pay_1',
    merchantReference: 'ref-1',
    provider: 'stripe',
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
    operationCounters: emptyOperationCounters,
    createdAt: 0,
    updatedAt: 0,
    ...overrides,
  };
}

describe('payment amounts', () => {
  it('claims in flight count against what may still be captured or refunded; nothing once released', () => {
    const claimed = payment({
      capturedAmount: usd(2_000),
      pendingOperations: [
        { intentId: 'c', operation: 'capture', amount: usd(3_000), status: 'in_flight' },
        { intentId: 'r', operation: 'refund', amount: usd(500), status: 'awaiting_confirmation', operationReference: 'ref' },
      ],
    });
    expect(pendingOperationsAmount(claimed, 'capture').equals(usd(3_000))).toBe(true);
    expect(capturableAmount(claimed).equals(usd(5_000))).toBe(true);
    expect(refundableAmount(claimed).equals(usd(1_500))).toBe(true);
    expect(capturableAmount(payment({ released: true })).isZero()).toBe(true);
    expect(capturableAmount(payment({ pendingOperations: [{ intentId: 'c', operation: 'capture', amount: usd(20_000), status: 'in_flight' }] })).isZero()).toBe(true);
  });

  it('derives states and refuses illegal moves', () => {
    expect(paymentStateOfRecord(payment({ capturedAmount: usd(1) }))).toBe('partially_captured');
    expect(() => paymentStateOfRecord(payment({ capturedAmount: usd(10_001) }))).toThrow(InvalidMoneyError);
    expect(withPaymentState(payment(), 'authorized')).toEqual(payment());
    expect(withPaymentState(payment(), 'captured').state).toBe('captured');
    expect(() => withPaymentState(payment({ state: 'refunded' }), 'authorized')).toThrow(IllegalTransitionError);
  });

  it('counts an operation once per reference and settles its claim either way', () => {
    const claimed = payment({ pendingOperations: [{ intentId: 'c', operation: 'capture', amount: usd(3_000), status: 'in_flight' }] });
    const first = applyConfirmedOperation(claimed, { operation: 'capture', amount: usd(3_000), operationReference: 'cap_1', intentId: 'c' });
    expect(first).toMatchObject({ counted: true, payment: { state: 'partially_captured', pendingOperations: [], appliedOperationReferences: ['cap_1'] } });
    const again = applyConfirmedOperation(first.payment, { operation: 'capture', amount: usd(3_000), operationReference: 'cap_1' });
    expect(again.counted).toBe(false);
    expect(again.payment.capturedAmount.equals(usd(3_000))).toBe(true);
    const withoutReference = applyConfirmedOperation(payment(), { operation: 'capture', amount: usd(10_000), finalCapture: true });
    expect(withoutReference.payment).toMatchObject({ state: 'captured', released: true, appliedOperationReferences: [] });
    const cancelled = applyConfirmedOperation(first.payment, { operation: 'cancel', amount: usd(7_000) });
    expect(cancelled.payment).toMatchObject({ state: 'captured', released: true });
    expect(cancelled.payment.authorizedAmount.equals(usd(3_000))).toBe(true);
    const refunded = applyConfirmedOperation(cancelled.payment, { operation: 'refund', amount: usd(3_000), operationReference: 'ref_1' });
    expect(refunded.payment.state).toBe('refunded');
  });
});
