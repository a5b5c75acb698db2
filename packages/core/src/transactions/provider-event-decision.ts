import { createHash } from 'node:crypto';
import type { PaymentRecord, PendingOperation } from '../journal/payment-repository.js';
import type { Money } from '../money/money.js';
import type { PlatformPaymentMessageType } from '../outbox/platform-payment-message.js';
import type { PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import { applyConfirmedOperation, paymentStateOfRecord, withPaymentState } from './payment-amounts.js';

/** A platform message a change asks for, before it is addressed to the outbox. */
export interface PaymentMessageDraft {
  /** What happened. */
  readonly type: PlatformPaymentMessageType;
  /** Amount of the change. */
  readonly amount: Money;
  /** Deduplication id (and platform idempotency key), at most 64 characters. */
  readonly deduplicationId: string;
  /** The provider's reference of the operation. */
  readonly operationReference?: string | undefined;
}

/** What a verified provider event does to a payment. */
export type ProviderEventDecision =
  | { readonly kind: 'apply'; readonly payment: PaymentRecord; readonly messages: readonly PaymentMessageDraft[] }
  | { readonly kind: 'ignore'; readonly reason: string }
  | { readonly kind: 'defer'; readonly reason: string };

/** A deduplication id for a change an event caused that no intent of ours claimed. */
function eventDeduplicationId(payment: PaymentRecord, event: PaymentWebhookEvent): string {
  const digest = createHash('sha256').update(`${event.provider}:${event.eventId}`, 'utf8').digest('hex').slice(0, 16);
  return `${payment.paymentId}.event.${digest}`;
}

/** The pending operation an event is about: by operation reference, else by amount among provider-accepted ones. */
function matchPending(payment: PaymentRecord, event: PaymentWebhookEvent, operation: PendingOperation['operation']): PendingOperation | undefined {
  const reference = event.operationReference;
  return payment.pendingOperations.find((pending) => {
    if (pending.operation !== operation) return false;
    if (reference !== undefined) return pending.operationReference === reference;
    return pending.status === 'awaiting_confirmation' && (event.amount === undefined || pending.amount.equals(event.amount));
  });
}

function authorized(payment: PaymentRecord, event: PaymentWebhookEvent): ProviderEventDecision {
  if (payment.state !== 'authorizing' && payment.state !== 'requires_action') {
    return { kind: 'ignore', reason: `the payment is already ${payment.state}` };
  }
  const amount = event.amount ?? payment.amount;
  if (amount.currency !== payment.amount.currency) {
    return { kind: 'ignore', reason: `the event is in ${amount.currency}, the payment in ${payment.amount.currency}` };
  }
  const automatic = payment.captureMethod === 'automatic';
  const next = withPaymentState(
    { ...payment, authorizedAmount: amount, capturedAmount: automatic ? amount : payment.capturedAmount },
    automatic ? 'captured' : 'authorized',
  );
  const messages: PaymentMessageDraft[] = [{ type: 'payment.authorized', amount, deduplicationId: payment.initialIntentId }];
  if (automatic) messages.push({ type: 'payment.captured', amount, deduplicationId: `${payment.initialIntentId}.captured` });
  return { kind: 'apply', payment: next, messages };
}

function authorizationFailed(payment: PaymentRecord): ProviderEventDecision {
  if (payment.state !== 'authorizing' && payment.state !== 'requires_action') {
    return { kind: 'ignore', reason: `the payment is already ${payment.state}` };
  }
  const next = withPaymentState({ ...payment, failureReason: payment.failureReason ?? 'authorization_failed' }, 'failed');
  return { kind: 'apply', payment: next, messages: [{ type: 'payment.failed', amount: payment.amount, deduplicationId: payment.initialIntentId }] };
}

function confirm(payment: PaymentRecord, event: PaymentWebhookEvent, operation: 'capture' | 'refund'): ProviderEventDecision {
  const reference = event.operationReference;
  if (reference !== undefined && payment.appliedOperationReferences.includes(reference)) {
    return { kind: 'ignore', reason: `operation '${reference}' is already counted` };
  }
  const match = matchPending(payment, event, operation);
  if (match === undefined && reference === undefined) {
    return { kind: 'ignore', reason: `no operation reference and no ${operation} awaiting confirmation with that amount: it cannot be told apart from one already counted` };
  }
  const amount = match?.amount ?? event.amount;
  if (amount === undefined) {
    return { kind: 'ignore', reason: `the ${operation} event carries no amount` };
  }
  if (amount.currency !== payment.amount.currency) {
    return { kind: 'ignore', reason: `the event is in ${amount.currency}, the payment in ${payment.amount.currency}` };
  }
  try {
    const { payment: next } = applyConfirmedOperation(payment, {
      operation,
      amount,
      operationReference: reference ?? match?.operationReference,
      finalCapture: match?.finalCapture,
      intentId: match?.intentId,
    });
    const type = operation === 'capture' ? 'payment.captured' : 'payment.refunded';
    const deduplicationId = match?.intentId ?? eventDeduplicationId(payment, event);
    return { kind: 'apply', payment: next, messages: [{ type, amount, deduplicationId, operationReference: reference ?? match?.operationReference }] };
  } catch (error) {
    // The amounts or the state machine refuse it (`InvalidMoneyError`, `IllegalTransitionError`): an
    // event that arrived before the one it depends on (a refund before its capture). The provider
    // redelivers it; by then the earlier event has been applied.
    return { kind: 'defer', reason: (error as Error).message };
  }
}

/**
 * A refund reported as the payment's running total of refunds (`refundedTotal`: Stripe's
 * `charge.refunded`). Only what exceeds the refunds already counted is new: a duplicate, a late
 * event with a smaller total and a refund this manager made and counted are all within what is
 * counted. The excess is the refund awaiting confirmation here of exactly that amount when there
 * is one; while other refunds of ours are still open it is not counted at all (part of the excess
 * may be theirs, and each is counted by its own answer); otherwise it is a refund made elsewhere
 * (the provider's dashboard), counted once under the total it brought the payment to.
 */
function confirmRefundTotal(payment: PaymentRecord, event: PaymentWebhookEvent, total: Money): ProviderEventDecision {
  if (total.currency !== payment.amount.currency) {
    return { kind: 'ignore', reason: `the event is in ${total.currency}, the payment in ${payment.amount.currency}` };
  }
  if (!total.greaterThan(payment.refundedAmount)) {
    return { kind: 'ignore', reason: `refunds of ${payment.refundedAmount.toString()} are counted; the provider reports ${total.toString()} in all` };
  }
  const excess = total.subtract(payment.refundedAmount);
  const perRefund: PaymentWebhookEvent = { ...event, amount: excess, refundedTotal: undefined };
  if (payment.pendingOperations.some((pending) => pending.operation === 'refund')) {
    if (matchPending(payment, perRefund, 'refund') === undefined) {
      return { kind: 'ignore', reason: `refunds of ours are still open: the ${excess.toString()} beyond those counted is not told apart from them` };
    }
    return confirm(payment, perRefund, 'refund');
  }
  return confirm(payment, { ...perRefund, operationReference: `refunded-total:${total.toString()}` }, 'refund');
}

function refute(payment: PaymentRecord, event: PaymentWebhookEvent, operation: PendingOperation['operation']): ProviderEventDecision {
  const reference = event.operationReference;
  if (reference !== undefined && payment.appliedOperationReferences.includes(reference)) {
    return { kind: 'ignore', reason: `operation '${reference}' was already counted as done; amounts never move backwards` };
  }
  const match = matchPending(payment, event, operation);
  if (match === undefined) {
    return { kind: 'ignore', reason: `no ${operation} awaiting confirmation matches it` };
  }
  return { kind: 'apply', payment: { ...payment, pendingOperations: payment.pendingOperations.filter((pending) => pending !== match) }, messages: [] };
}

function voided(payment: PaymentRecord, event: PaymentWebhookEvent): ProviderEventDecision {
  if (payment.released || !['requires_action', 'authorized', 'partially_captured'].includes(payment.state)) {
    return { kind: 'ignore', reason: `nothing is held any more (state ${payment.state})` };
  }
  const match = matchPending(payment, { ...event, amount: undefined }, 'cancel');
  const releasedAmount = payment.authorizedAmount.subtract(payment.capturedAmount);
  const { payment: next } = applyConfirmedOperation(payment, { operation: 'cancel', amount: releasedAmount, intentId: match?.intentId });
  const withoutCancels = { ...next, pendingOperations: next.pendingOperations.filter((pending) => pending.operation !== 'cancel') };
  return {
    kind: 'apply',
    payment: withoutCancels,
    messages: [{ type: 'payment.voided', amount: releasedAmount, deduplicationId: match?.intentId ?? eventDeduplicationId(payment, event) }],
  };
}

function expired(payment: PaymentRecord, event: PaymentWebhookEvent): ProviderEventDecision {
  if (payment.released || (payment.state !== 'authorized' && payment.state !== 'partially_captured')) {
    return { kind: 'ignore', reason: `nothing is held any more (state ${payment.state})` };
  }
  const releasedAmount = payment.authorizedAmount.subtract(payment.capturedAmount);
  const released = { ...payment, released: true, authorizedAmount: payment.capturedAmount };
  const next = withPaymentState({ ...released, failureReason: payment.state === 'authorized' ? 'authorization_expired' : payment.failureReason }, payment.state === 'authorized' ? 'failed' : paymentStateOfRecord(released));
  return { kind: 'apply', payment: next, messages: [{ type: 'payment.voided', amount: releasedAmount, deduplicationId: eventDeduplicationId(payment, event) }] };
}

/**
 * Decides what a verified provider event does to the payment it names. Safe against duplicates and
 * reordering: an operation is counted once per operation reference, amounts never move backwards,
 * and an event that depends on one not yet applied is deferred (the provider redelivers it).
 * Events that move no money (disputes, saved methods, `other`) change nothing.
 */
export function decideProviderEvent(payment: PaymentRecord, event: PaymentWebhookEvent): ProviderEventDecision {
  switch (event.type) {
    case 'payment.authorized':
      return event.success ? authorized(payment, event) : authorizationFailed(payment);
    case 'payment.authorization_failed':
      return authorizationFailed(payment);
    case 'payment.requires_action':
      return { kind: 'ignore', reason: 'the authorization response already recorded the required action' };
    case 'payment.captured':
      return event.success ? confirm(payment, event, 'capture') : refute(payment, event, 'capture');
    case 'payment.capture_failed':
      return refute(payment, event, 'capture');
    case 'payment.refunded':
      if (!event.success) return refute(payment, event, 'refund');
      return event.refundedTotal === undefined ? confirm(payment, event, 'refund') : confirmRefundTotal(payment, event, event.refundedTotal);
    case 'payment.refund_failed':
      return refute(payment, event, 'refund');
    case 'payment.voided':
      return event.success ? voided(payment, event) : refute(payment, event, 'cancel');
    case 'payment.expired':
      return expired(payment, event);
    default:
      return { kind: 'ignore', reason: `a ${event.type} event changes no amounts` };
  }
}
