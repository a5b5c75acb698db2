import type { PaymentRecord } from '../journal/payment-repository.js';
import type { PaymentNextAction, PaymentSnapshot, PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';

/**
 * How long a payment may wait for its customer step before it counts as abandoned, by the kind of
 * step (`PaymentNextAction.type`). A kind that is absent never expires: its payments are checked at
 * the provider and followed, never cancelled by paymigrate.
 */
export type CustomerStepExpiry = Readonly<Partial<Record<PaymentNextAction['type'], number>>>;

/** What a reconciliation pass does with one payment that waits for its customer. */
export type CustomerStepVerdict =
  /** The provider has moved on (the customer finished or failed the step, the provider expired it): apply this event. */
  | { readonly kind: 'advanced'; readonly event: PaymentWebhookEvent }
  /**
   * The provider waits for the merchant to go on (`authorizing`: PayPal's order is `APPROVED`, the
   * payer finished the step and the merchant must now authorize it): send the authorization again
   * with its idempotency key, which completes it, and decide again on that answer.
   */
  | { readonly kind: 'resume' }
  /** Still waiting at the provider and past the expiry of its step: cancel it. */
  | { readonly kind: 'abandoned'; readonly step: PaymentNextAction['type'] }
  /** Still waiting at the provider, within its expiry (or its step never expires). */
  | { readonly kind: 'waiting' };

/**
 * A provider event reconciliation fetched instead of received. Its id names the provider's payment
 * and the event type, so a pass that runs twice, or the real webhook arriving later, changes
 * nothing twice (the fetched event is deduplicated by its id; the real one finds the payment
 * already moved on and is ignored).
 */
function fetchedEvent(
  payment: PaymentRecord,
  providerReference: string,
  type: PaymentWebhookEvent['type'],
  details: { readonly success: boolean; readonly providerStatus: string; readonly amount: PaymentWebhookEvent['amount']; readonly at: number },
): PaymentWebhookEvent {
  return {
    eventId: `reconciliation:${providerReference}:${type}`,
    provider: payment.provider,
    type,
    providerType: `reconciliation:${details.providerStatus}`,
    success: details.success,
    providerReference,
    merchantReference: payment.merchantReference,
    amount: details.amount,
    occurredAt: details.at,
  };
}

/**
 * The event that brings a `requires_action` payment to what the provider reports now, as if its
 * webhook had arrived (`undefined` while the provider has settled nothing): a customer who finished
 * the 3-D Secure challenge but whose webhook was lost is not left with a stuck order.
 */
function eventFromSnapshot(payment: PaymentRecord, snapshot: PaymentSnapshot, at: number): PaymentWebhookEvent | undefined {
  const event = (type: PaymentWebhookEvent['type'], success: boolean, amount: PaymentWebhookEvent['amount']): PaymentWebhookEvent =>
    fetchedEvent(payment, snapshot.providerReference, type, { success, providerStatus: snapshot.providerStatus, amount, at });
  switch (snapshot.state) {
    case 'authorized':
    case 'partially_captured':
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      // The authorization the payment waited for. With automatic capture it also counts the capture
      // (as the real webhook does); a later capture or refund comes with its own event.
      return event('payment.authorized', true, snapshot.authorizedAmount);
    case 'failed':
      return event('payment.authorization_failed', false, undefined);
    case 'voided':
      return event('payment.voided', true, undefined);
    default:
      // created, unknown (authorizing is resumed before this): nothing settled to apply.
      return undefined;
  }
}

/**
 * The event of an authorization the provider declined when it was sent again to complete a
 * finished customer step (the declined answer carries no snapshot), named like the others.
 */
export function declinedCustomerStepEvent(payment: PaymentRecord, providerReference: string, at: number, providerCode: string): PaymentWebhookEvent {
  return fetchedEvent(payment, providerReference, 'payment.authorization_failed', { success: false, providerStatus: providerCode, amount: undefined, at });
}

/**
 * Decides what to do with a payment that has waited for its customer step (3-D Secure, a
 * redirect) since `payment.updatedAt`, given what the provider reports now (`snapshot`, read by
 * `retrieve`) and the clock.
 *
 * Cancelling is decided only from the provider's own answer: a payment the provider still reports
 * as waiting, whose step (the provider's `nextAction.type`, `other` when it names none) has an
 * expiry and has waited longer than it. A payment the provider moved on is followed, never
 * cancelled. Pass an empty `expiry` where the answer is not the provider's live state (an adapter
 * whose `retrieve` answers from what it has seen) or where nothing may be cancelled.
 */
export function decideCustomerStep(payment: PaymentRecord, snapshot: PaymentSnapshot, now: number, expiry: CustomerStepExpiry): CustomerStepVerdict {
  if (snapshot.state === 'authorizing') return { kind: 'resume' };
  if (snapshot.state !== 'requires_action') {
    const event = eventFromSnapshot(payment, snapshot, now);
    return event === undefined ? { kind: 'waiting' } : { kind: 'advanced', event };
  }
  const step = snapshot.nextAction?.type ?? 'other';
  const expiresAfterMs = expiry[step];
  if (expiresAfterMs !== undefined && now - payment.updatedAt >= expiresAfterMs) return { kind: 'abandoned', step };
  return { kind: 'waiting' };
}
