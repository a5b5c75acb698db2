import { Money } from '../money/money.js';
import { type OrderState, orderStateMachine } from '../order/order-state.js';

/** A capture or refund the order knows of, counted once per reference. */
export interface OrderPaymentOperation {
  /** The provider's operation reference (or, when none was given, the id of the event or intent that reported it). */
  readonly reference: string;
  /** Which operation. */
  readonly kind: 'capture' | 'refund';
  /** Its amount. */
  readonly amount: Money;
  /** `failed`: reported failed (before or after it was counted); a failed operation never counts again. */
  readonly status: 'succeeded' | 'failed';
  /** When it was recorded, epoch milliseconds. */
  readonly at: number;
}

/**
 * What the order knows about one of its payments, from provider events and payment outcomes. Only
 * grows: an authorization is the largest one reported, operations are added once per reference,
 * flags are only ever set. That is what makes duplicates and reordering harmless.
 */
export interface OrderPayment {
  /** Our payment id. */
  readonly paymentId: string;
  /** Provider that holds the payment (its follow-ups are pinned there). */
  readonly provider: string;
  /** The provider's payment reference, once known. */
  readonly providerReference?: string | undefined;
  /** Amount requested, when known: no payment captures more. */
  readonly amount?: Money | undefined;
  /** The largest authorization reported. */
  readonly authorized: Money;
  /** Captures and refunds, once per reference. */
  readonly operations: readonly OrderPaymentOperation[];
  /** The authorization (or its uncaptured rest) was released. */
  readonly voided: boolean;
  /** The authorization lapsed before capture. */
  readonly expired: boolean;
  /** The authorization attempt failed. */
  readonly failed: boolean;
  /** When the last change was reported, epoch milliseconds. */
  readonly lastEventAt: number;
}

/** A normalized change of a payment, from a provider webhook or a payment outcome. */
export interface PaymentChange {
  /** What happened. */
  readonly kind: 'authorized' | 'authorization_failed' | 'captured' | 'capture_failed' | 'refunded' | 'refund_failed' | 'voided' | 'expired';
  /** Amount of the change, when reported. */
  readonly amount?: Money | undefined;
  /** The operation's reference (captures and refunds). */
  readonly reference?: string | undefined;
  /**
   * A refund reported as a running total (`PaymentWebhookEvent.refundedTotal`): everything refunded
   * on the payment once it happened. Only what exceeds the refunds counted is a new refund.
   */
  readonly total?: Money | undefined;
  /** When it happened, epoch milliseconds. */
  readonly at: number;
}

/** What a change did to the payment, for the transitions and platform updates it asks for. */
export interface PaymentChangeEffect {
  /** The authorization grew. */
  readonly authorizationGrew?: boolean | undefined;
  /** A capture counted for the first time. */
  readonly newCapture?: OrderPaymentOperation | undefined;
  /** A refund counted for the first time. */
  readonly newRefund?: OrderPaymentOperation | undefined;
  /** A capture that was counted (and shown) failed afterwards. */
  readonly failedCapture?: OrderPaymentOperation | undefined;
  /** A refund that was counted (and shown) failed or was reversed afterwards. */
  readonly failedRefund?: OrderPaymentOperation | undefined;
  /** What a void released (zero when nothing was held). */
  readonly released?: Money | undefined;
  /** Whether the release was an expiry. */
  readonly expired?: boolean | undefined;
}

/** The decision on one change. */
export type PaymentChangeDecision =
  | { readonly kind: 'apply'; readonly payment: OrderPayment; readonly effect: PaymentChangeEffect }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'defer'; readonly reason: string };

/** Sums the succeeded operations of one kind. */
function sumOf(payment: OrderPayment, kind: OrderPaymentOperation['kind']): Money {
  return payment.operations
    .filter((operation) => operation.kind === kind && operation.status === 'succeeded')
    .reduce((sum, operation) => sum.add(operation.amount), Money.zero(payment.authorized.currency));
}

/** What the payment has captured (succeeded captures). */
export function capturedOf(payment: OrderPayment): Money {
  return sumOf(payment, 'capture');
}

/** What the payment has refunded (succeeded refunds). */
export function refundedOf(payment: OrderPayment): Money {
  return sumOf(payment, 'refund');
}

/** What is still held and not captured: zero once voided or expired. */
export function openAuthorizationOf(payment: OrderPayment): Money {
  const zero = Money.zero(payment.authorized.currency);
  if (payment.voided || payment.expired) return zero;
  return payment.authorized.subtract(capturedOf(payment)).max(zero);
}

/** A payment the order has heard nothing about yet. */
export function newOrderPayment(input: {
  readonly paymentId: string;
  readonly provider: string;
  readonly currency: string;
  readonly providerReference?: string | undefined;
  readonly amount?: Money | undefined;
  readonly at: number;
}): OrderPayment {
  return {
    paymentId: input.paymentId,
    provider: input.provider,
    providerReference: input.providerReference,
    amount: input.amount,
    authorized: Money.zero(input.currency),
    operations: [],
    voided: false,
    expired: false,
    failed: false,
    lastEventAt: input.at,
  };
}

function withOperation(payment: OrderPayment, operation: OrderPaymentOperation, at: number): OrderPayment {
  return { ...payment, operations: [...payment.operations, operation], lastEventAt: Math.max(payment.lastEventAt, at) };
}

function failOperation(payment: OrderPayment, change: PaymentChange, kind: OrderPaymentOperation['kind']): PaymentChangeDecision {
  const reference = change.reference;
  if (reference === undefined) return { kind: 'ignore', reason: `a failed ${kind} without an operation reference cannot be told apart from the others` };
  const existing = payment.operations.find((operation) => operation.reference === reference && operation.kind === kind);
  if (existing?.status === 'failed') return { kind: 'ignore', reason: `${kind} '${reference}' is already known to have failed` };
  if (existing === undefined) {
    // Reported before its success (reordered): remember it, so the late success never counts.
    const tombstone: OrderPaymentOperation = { reference, kind, amount: change.amount ?? Money.zero(payment.authorized.currency), status: 'failed', at: change.at };
    return { kind: 'apply', payment: withOperation(payment, tombstone, change.at), effect: {} };
  }
  const failed: OrderPaymentOperation = { ...existing, status: 'failed', at: change.at };
  const next = {
    ...payment,
    operations: payment.operations.map((operation) => (operation === existing ? failed : operation)),
    lastEventAt: Math.max(payment.lastEventAt, change.at),
  };
  return { kind: 'apply', payment: next, effect: kind === 'capture' ? { failedCapture: failed } : { failedRefund: failed } };
}

function countOperation(payment: OrderPayment, change: PaymentChange, kind: OrderPaymentOperation['kind']): PaymentChangeDecision {
  const { amount, reference } = change;
  if (amount === undefined || reference === undefined) {
    return { kind: 'ignore', reason: `a ${kind} without an amount and a reference cannot be counted exactly once` };
  }
  if (amount.currency !== payment.authorized.currency || !amount.isPositive()) {
    return { kind: 'ignore', reason: `a ${kind} of ${amount.toString()} does not fit a payment in ${payment.authorized.currency}` };
  }
  if (payment.operations.some((operation) => operation.reference === reference && operation.kind === kind)) {
    return { kind: 'ignore', reason: `${kind} '${reference}' is already counted` };
  }
  const operation: OrderPaymentOperation = { reference, kind, amount, status: 'succeeded', at: change.at };
  if (kind === 'capture') {
    const capturedAfter = capturedOf(payment).add(amount);
    if (payment.amount !== undefined && capturedAfter.greaterThan(payment.amount)) {
      return { kind: 'ignore', reason: `capturing ${amount.toString()} more would exceed the payment's ${payment.amount.toString()}: the same capture reported under another reference` };
    }
    return { kind: 'apply', payment: withOperation(payment, operation, change.at), effect: { newCapture: operation, authorizationGrew: capturedAfter.greaterThan(payment.authorized) } };
  }
  if (refundedOf(payment).add(amount).greaterThan(capturedOf(payment))) {
    // Reordered: the capture it refunds has not been reported yet. The provider redelivers it.
    return { kind: 'defer', reason: `refund '${reference}' of ${amount.toString()} exceeds what is known captured; its capture has not arrived yet` };
  }
  return { kind: 'apply', payment: withOperation(payment, operation, change.at), effect: { newRefund: operation } };
}

/**
 * A refund reported as the payment's running total: the excess over the refunds counted is one new
 * refund (under the change's reference); a total within them (a duplicate, a late event with a
 * smaller total) changes nothing.
 */
function countRefundTotal(payment: OrderPayment, change: PaymentChange, total: Money): PaymentChangeDecision {
  if (total.currency !== payment.authorized.currency) {
    return { kind: 'ignore', reason: `a refund total of ${total.toString()} does not fit a payment in ${payment.authorized.currency}` };
  }
  const counted = refundedOf(payment);
  if (!total.greaterThan(counted)) {
    return { kind: 'ignore', reason: `refunds of ${counted.toString()} are counted; the provider reports ${total.toString()} in all` };
  }
  return countOperation(payment, { ...change, amount: total.subtract(counted), total: undefined }, 'refund');
}

function release(payment: OrderPayment, change: PaymentChange, expired: boolean): PaymentChangeDecision {
  if (payment.voided || payment.expired) return { kind: 'ignore', reason: 'the authorization was already released' };
  if (payment.authorized.isZero() && capturedOf(payment).isZero()) {
    return { kind: 'defer', reason: 'a release of an authorization that has not been reported yet' };
  }
  const open = openAuthorizationOf(payment);
  if (change.amount !== undefined && !change.amount.equals(open)) {
    // The release says how much was still held: a capture (or the authorization) it follows is missing.
    return { kind: 'defer', reason: `the release of ${change.amount.toString()} does not match the ${open.toString()} known to be held; an earlier event has not arrived yet` };
  }
  const next = { ...payment, voided: payment.voided || !expired, expired: payment.expired || expired, lastEventAt: Math.max(payment.lastEventAt, change.at) };
  return { kind: 'apply', payment: next, effect: { released: open, expired } };
}

/**
 * Applies one change to a payment's facts, safe against duplicates and reordering:
 * - an authorization counts as the largest one reported (a late, smaller or equal one changes nothing);
 * - captures and refunds count once per reference, and a reference reported failed never counts;
 * - a capture implies its authorization; a refund beyond what is known captured, or a release that
 *   does not match what is known held, waits for the event it depends on (`defer`).
 */
export function applyPaymentChange(payment: OrderPayment, change: PaymentChange): PaymentChangeDecision {
  switch (change.kind) {
    case 'authorized': {
      const amount = change.amount ?? payment.amount;
      if (amount === undefined || amount.currency !== payment.authorized.currency) {
        return { kind: 'ignore', reason: 'an authorization without an amount in the payment currency' };
      }
      if (amount.lessThanOrEqual(payment.authorized.max(capturedOf(payment)))) {
        return { kind: 'ignore', reason: 'an equal or larger authorization (or capture) is already known' };
      }
      return { kind: 'apply', payment: { ...payment, authorized: amount, lastEventAt: Math.max(payment.lastEventAt, change.at) }, effect: { authorizationGrew: true } };
    }
    case 'authorization_failed':
      if (payment.failed || payment.authorized.isPositive() || capturedOf(payment).isPositive()) {
        return { kind: 'ignore', reason: 'the payment is already failed or was authorized; a failed attempt changes nothing' };
      }
      return { kind: 'apply', payment: { ...payment, failed: true, lastEventAt: Math.max(payment.lastEventAt, change.at) }, effect: {} };
    case 'captured':
      return countOperation(payment, change, 'capture');
    case 'refunded':
      return change.total === undefined ? countOperation(payment, change, 'refund') : countRefundTotal(payment, change, change.total);
    case 'capture_failed':
      return failOperation(payment, change, 'capture');
    case 'refund_failed':
      return failOperation(payment, change, 'refund');
    case 'voided':
      return release(payment, change, false);
    case 'expired':
      return release(payment, change, true);
  }
}

/** The order's money, summed over its payments. */
export interface OrderAmounts {
  /** The order total. */
  readonly total: Money;
  /** Authorized (the larger of the authorization and the captures, per payment). */
  readonly authorized: Money;
  /** Captured. */
  readonly captured: Money;
  /** Refunded. */
  readonly refunded: Money;
}

/** Sums the payments' money. */
export function orderAmountsOf(total: Money, payments: readonly OrderPayment[]): OrderAmounts {
  const zero = Money.zero(total.currency);
  let authorized = zero;
  let captured = zero;
  let refunded = zero;
  for (const payment of payments) {
    const paymentCaptured = capturedOf(payment);
    authorized = authorized.add(payment.authorized.max(paymentCaptured));
    captured = captured.add(paymentCaptured);
    refunded = refunded.add(refundedOf(payment));
  }
  return { total, authorized, captured, refunded };
}

/**
 * The canonical order state the payments' money says, first match wins: refunds (`refunded` once
 * everything captured went back, else `partially_refunded`), captures (`paid` once the total is
 * captured, else `partially_paid`), an open authorization (`authorized`), a void (`cancelled`), an
 * expiry (`expired`), a failure (`failed`), else `payment_pending`.
 */
export function orderStateFromPayments(total: Money, payments: readonly OrderPayment[]): OrderState {
  return orderStateFromAmounts(orderAmountsOf(total, payments), payments);
}

/**
 * `orderStateFromPayments` for amounts already summed (`amounts` must be `orderAmountsOf` of the
 * same total and `payments`): the planning of a payment change has them at hand, so they are not
 * summed a second time.
 */
export function orderStateFromAmounts(amounts: OrderAmounts, payments: readonly OrderPayment[]): OrderState {
  const { total, captured, refunded } = amounts;
  if (refunded.isPositive()) return refunded.greaterThanOrEqual(captured) ? 'refunded' : 'partially_refunded';
  if (captured.isPositive()) return captured.greaterThanOrEqual(total) ? 'paid' : 'partially_paid';
  if (payments.some((payment) => openAuthorizationOf(payment).isPositive())) return 'authorized';
  if (payments.some((payment) => payment.voided)) return 'cancelled';
  if (payments.some((payment) => payment.expired)) return 'expired';
  if (payments.some((payment) => payment.failed)) return 'failed';
  return 'payment_pending';
}

/**
 * How far the money of an order has gone, per canonical state. Payment changes only move an order
 * to a state of a higher rank (never backwards). Fulfillment states rank with `paid`, a review hold
 * with `authorized`: money that has not gone further leaves them where the platform put them.
 */
export const orderPaymentRank: Readonly<Record<OrderState, number>> = Object.freeze({
  cart: 0,
  checkout: 1,
  payment_pending: 2,
  failed: 3,
  expired: 3,
  authorized: 4,
  on_hold: 4,
  partially_paid: 5,
  paid: 6,
  partially_fulfilled: 6,
  fulfilled: 6,
  return_requested: 6,
  partially_refunded: 7,
  refunded: 8,
  cancelled: 8,
});

/**
 * Whether the money may move an order from `from` to `to`: a higher rank, or an authorization that
 * lapsed or failed (`authorized` -> `expired` / `failed`).
 */
export function isForwardMove(from: OrderState, to: OrderState): boolean {
  if (from === 'authorized' && (to === 'expired' || to === 'failed')) return true;
  return orderPaymentRank[to] > orderPaymentRank[from];
}

/**
 * The shortest sequence of transitions the canonical machine allows from `from` to `to` (the
 * states entered, `to` last); `[]` when `from === to`, `undefined` when `to` cannot be reached.
 * Ties go to the machine's own order of targets, so the path is deterministic.
 */
export function orderStatePath(from: OrderState, to: OrderState): OrderState[] | undefined {
  if (from === to) return [];
  const previous = new Map<OrderState, OrderState>([[from, from]]);
  const queue: OrderState[] = [from];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const target of orderStateMachine.allowedFrom(next)) {
      if (previous.has(target)) continue;
      previous.set(target, next);
      if (target === to) {
        const path: OrderState[] = [];
        for (let state: OrderState = to; state !== from; state = previous.get(state) as OrderState) path.unshift(state);
        return path;
      }
      queue.push(target);
    }
  }
  return undefined;
}
