import type { Money } from '../money/money.js';
import { capturedOf, openAuthorizationOf, refundedOf } from './order-payment-facts.js';
import type { OrderCompensationStep, OrderRecord } from './order-records.js';

/**
 * Every step of an order that moves money (or shows money moved), beside the compensation that
 * undoes it, saga style (Medusa's `createStep(id, invoke, compensate)`). The synchronizer plans
 * compensations from this table; each runs on the payment's pinned provider and is journaled step
 * by step in `order-compensations` before it is sent.
 */
export const orderStepCompensations = Object.freeze({
  /** Funds held at the provider: undone by a void (cancel) of the authorization. */
  authorization: Object.freeze({ compensation: 'void' as const, when: 'the platform cancels an order whose payment is authorized, not captured' }),
  /** Funds captured at the provider: undone by a refund of what was captured and not yet refunded. */
  capture: Object.freeze({ compensation: 'refund' as const, when: 'the platform cancels an order whose payment was captured' }),
  /**
   * The platform was told the order is paid: when the capture fails afterwards, the order goes back
   * (through `on_hold`) to `authorized`, or `payment_pending` when nothing is held any more, and is
   * flagged (`order.flagged`) so staff reverse the capture on the platform.
   */
  platform_paid: Object.freeze({ compensation: 'revert_and_flag' as const, when: 'a capture fails after the platform showed the order paid' }),
});

/**
 * The compensations of a cancellation: per payment, a void of what is still held (the
 * authorization's compensation), then a refund of what was captured and not refunded (the capture's).
 */
export function planCancellationSteps(order: OrderRecord): OrderCompensationStep[] {
  const steps: OrderCompensationStep[] = [];
  for (const payment of order.payments) {
    const base = { paymentId: payment.paymentId, provider: payment.provider, status: 'planned' as const };
    if (openAuthorizationOf(payment).isPositive()) {
      steps.push({ ...base, action: 'void', compensates: 'authorization' });
    }
    const refundable = capturedOf(payment).subtract(refundedOf(payment));
    if (refundable.isPositive()) {
      steps.push({ ...base, action: 'refund', compensates: 'capture', amount: refundable });
    }
  }
  return steps;
}

/**
 * The refunds that carry out a refund the platform asked for: the latest payments first, each for
 * at most what it captured and did not refund. `undefined` when the order cannot refund that much.
 */
export function planRefundSteps(order: OrderRecord, amount: Money): OrderCompensationStep[] | undefined {
  const steps: OrderCompensationStep[] = [];
  let remaining = amount;
  for (const payment of [...order.payments].reverse()) {
    if (!remaining.isPositive()) break;
    const refundable = capturedOf(payment).subtract(refundedOf(payment));
    if (!refundable.isPositive()) continue;
    const part = refundable.min(remaining);
    steps.push({ action: 'refund', compensates: 'platform_request', paymentId: payment.paymentId, provider: payment.provider, amount: part, status: 'planned' });
    remaining = remaining.subtract(part);
  }
  return remaining.isPositive() ? undefined : steps;
}
