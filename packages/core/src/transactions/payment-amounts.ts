import type { PaymentRecord, PendingOperation } from '../journal/payment-repository.js';
import { Money } from '../money/money.js';
import { type PaymentState, paymentStateFromAmounts, paymentStateMachine } from '../payment/payment-state.js';

/** States from which a capture may be requested. */
export const capturableStates: readonly PaymentState[] = Object.freeze(['authorized', 'partially_captured']);

/** States from which a refund may be requested. */
export const refundableStates: readonly PaymentState[] = Object.freeze(['partially_captured', 'captured', 'partially_refunded']);

/** States from which a cancellation may be requested. */
export const cancellableStates: readonly PaymentState[] = Object.freeze(['requires_action', 'authorized', 'partially_captured']);

/** The total of the pending operations of one kind (claims in flight and provider-accepted ones). */
export function pendingOperationsAmount(payment: PaymentRecord, operation: PendingOperation['operation']): Money {
  return payment.pendingOperations
    .filter((pending) => pending.operation === operation)
    .reduce((sum, pending) => sum.add(pending.amount), Money.zero(payment.amount.currency));
}

/** What a new capture may still take: authorized, minus captured, minus captures in flight; zero once released. */
export function capturableAmount(payment: PaymentRecord): Money {
  const zero = Money.zero(payment.amount.currency);
  if (payment.released) return zero;
  return payment.authorizedAmount.subtract(payment.capturedAmount).subtract(pendingOperationsAmount(payment, 'capture')).max(zero);
}

/** What a new refund may still take: captured (confirmed), minus refunded, minus refunds in flight. */
export function refundableAmount(payment: PaymentRecord): Money {
  const zero = Money.zero(payment.amount.currency);
  return payment.capturedAmount.subtract(payment.refundedAmount).subtract(pendingOperationsAmount(payment, 'refund')).max(zero);
}

/**
 * The money-driven state of a payment from its confirmed amounts.
 *
 * @throws InvalidMoneyError when captured exceeds authorized or refunded exceeds captured.
 */
export function paymentStateOfRecord(payment: PaymentRecord): PaymentState {
  return paymentStateFromAmounts({
    authorized: payment.authorizedAmount,
    captured: payment.capturedAmount,
    refunded: payment.refundedAmount,
    voided: payment.released,
  });
}

/**
 * The payment in `state`, checked against the payment state machine (staying in the same state is
 * not a transition and always allowed).
 *
 * @throws IllegalTransitionError when the machine does not allow the move.
 */
export function withPaymentState(payment: PaymentRecord, state: PaymentState): PaymentRecord {
  if (payment.state === state) return payment;
  paymentStateMachine.assertTransition(payment.state, state, payment.paymentId);
  return { ...payment, state };
}

/** A capture, refund or cancellation the provider confirmed. */
export interface ConfirmedOperation {
  /** Which operation. */
  readonly operation: PendingOperation['operation'];
  /** Its amount (for a cancellation: what was released). */
  readonly amount: Money;
  /** The provider's reference of the operation: counted once, whoever reports it first. */
  readonly operationReference?: string | undefined;
  /** For a capture: it releases the uncaptured remainder. */
  readonly finalCapture?: boolean | undefined;
  /** The intent whose pending claim it settles, when known. */
  readonly intentId?: string | undefined;
}

/** What applying a confirmed operation did. */
export interface ConfirmedOperationResult {
  /** The payment afterwards. */
  readonly payment: PaymentRecord;
  /** False when the operation reference was already counted (only the claim was settled). */
  readonly counted: boolean;
}

/**
 * Counts a confirmed operation in the payment's amounts, once per operation reference, settles the
 * claim of its intent and derives the state. Amounts only ever grow.
 *
 * @throws InvalidMoneyError when the result would capture more than authorized or refund more than captured.
 * @throws IllegalTransitionError when the derived state cannot follow the current one.
 */
export function applyConfirmedOperation(payment: PaymentRecord, confirmed: ConfirmedOperation): ConfirmedOperationResult {
  const remaining = payment.pendingOperations.filter((pending) => confirmed.intentId === undefined || pending.intentId !== confirmed.intentId);
  const reference = confirmed.operationReference;
  if (reference !== undefined && payment.appliedOperationReferences.includes(reference)) {
    return { payment: { ...payment, pendingOperations: remaining }, counted: false };
  }
  let next: PaymentRecord = {
    ...payment,
    pendingOperations: remaining,
    appliedOperationReferences: reference === undefined ? payment.appliedOperationReferences : [...payment.appliedOperationReferences, reference],
  };
  if (confirmed.operation === 'capture') {
    const capturedAmount = next.capturedAmount.add(confirmed.amount);
    const released = next.released || confirmed.finalCapture === true;
    next = { ...next, capturedAmount, released, authorizedAmount: released ? capturedAmount : next.authorizedAmount };
  } else if (confirmed.operation === 'refund') {
    next = { ...next, refundedAmount: next.refundedAmount.add(confirmed.amount) };
  } else {
    next = { ...next, released: true, authorizedAmount: next.capturedAmount };
  }
  const target = confirmed.operation === 'cancel' && payment.state === 'requires_action' ? 'failed' : paymentStateOfRecord(next);
  return { payment: withPaymentState(next, target), counted: true };
}
