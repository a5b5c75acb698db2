import type { PaymentNextAction, PaymentSnapshot, PaymentState, StoredPaymentMethod } from '@paymigrate/core';
import type Stripe from 'stripe';
import { toCardSummary } from './map-stripe-card.js';
import { mapStripeDeclineCode } from './map-stripe-decline-code.js';
import { mapStripePaymentIntentStatus } from './map-stripe-status.js';
import { stripeProviderName } from './stripe-error.js';
import { fromStripeAmount } from './stripe-money.js';

/** The metadata key our merchant reference travels under. */
export const merchantReferenceMetadataKey = 'merchant_reference';

/** Cancellation reasons Stripe sets when it cancels an uncaptured authorization itself (expiry). */
const expiryCancellationReasons: ReadonlySet<string> = new Set(['automatic', 'expired']);

/** The id of a field that is either an id or an expanded object. */
function idOf(value: string | { readonly id: string } | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  return typeof value === 'string' ? value : value.id;
}

/** The expanded latest charge, when the intent was read with `expand: ['latest_charge']`. */
export function latestChargeOf(intent: Stripe.PaymentIntent): Stripe.Charge | undefined {
  const charge = intent.latest_charge;
  return typeof charge === 'object' && charge !== null ? charge : undefined;
}

/**
 * What the customer got back, in Stripe units. Stripe counts the automatically released rest of a
 * partially captured (or cancelled) authorization in `amount_refunded`; that part was never
 * captured, so it is taken out: customer refunds = `amount_refunded - (amount - amount_captured)`.
 */
export function customerRefundedUnits(charge: Stripe.Charge | undefined): number {
  if (charge === undefined || !charge.captured) return 0;
  return Math.min(charge.amount_captured, Math.max(0, charge.amount_refunded - (charge.amount - charge.amount_captured)));
}

function refinedState(intent: Stripe.PaymentIntent, captured: number, refunded: number): PaymentState {
  const state = mapStripePaymentIntentStatus(intent.status);
  // A cancelled intent that had captured something (multicapture) released only the rest.
  if (state === 'captured' || (state === 'voided' && captured > 0)) {
    if (refunded === 0) return 'captured';
    return refunded >= captured ? 'refunded' : 'partially_refunded';
  }
  if (state === 'voided' && expiryCancellationReasons.has(intent.cancellation_reason ?? '')) return 'failed';
  return state;
}

/** Units still held: what can be captured plus what was captured (zero once released or failed). */
function authorizedUnits(intent: Stripe.PaymentIntent, state: PaymentState): number {
  switch (state) {
    case 'authorized':
      return intent.amount_capturable + intent.amount_received;
    case 'captured':
    case 'partially_refunded':
    case 'refunded':
      return intent.amount_received;
    default:
      return 0;
  }
}

function nextActionOf(intent: Stripe.PaymentIntent): PaymentNextAction | undefined {
  const action = intent.next_action;
  if (action === null) return undefined;
  const cardOnly = intent.payment_method_types.every((type) => type === 'card');
  if (action.type === 'use_stripe_sdk') return { type: 'three_d_secure' };
  if (action.type === 'redirect_to_url') {
    return { type: cardOnly ? 'three_d_secure' : 'redirect', url: action.redirect_to_url?.url ?? undefined };
  }
  return { type: 'other' };
}

function declineReasonOf(intent: Stripe.PaymentIntent, state: PaymentState): string | undefined {
  if (state !== 'failed') return undefined;
  const error = intent.last_payment_error;
  if (error === null) return intent.status === 'canceled' ? 'authorization_expired' : undefined;
  return mapStripeDeclineCode(error.decline_code ?? error.code);
}

function storedPaymentMethodOf(intent: Stripe.PaymentIntent, charge: Stripe.Charge | undefined, networkTransactionId: string | undefined): StoredPaymentMethod | undefined {
  const customerReference = idOf(intent.customer);
  const token = idOf(intent.payment_method);
  if (charge === undefined || intent.setup_future_usage === null || customerReference === undefined || token === undefined) return undefined;
  const card = toCardSummary(charge.payment_method_details?.card);
  return card === undefined ? undefined : { provider: stripeProviderName, token, customerReference, card, networkTransactionId, createdAt: charge.created * 1000 };
}

/**
 * The canonical view of a PaymentIntent (read with `expand: ['latest_charge']` so that refunds,
 * the card and the network transaction id are known):
 * - captured = `amount_received`; refunded = the customer refunds on the latest charge;
 * - state = the status table, refined by amounts (`partially_refunded`, `refunded`) and by an
 *   expiry cancellation (`failed`);
 * - authorized = what can still be captured plus what was captured (zero when nothing is held).
 */
export function toPaymentSnapshot(intent: Stripe.PaymentIntent): PaymentSnapshot {
  const money = (units: number) => fromStripeAmount(units, intent.currency);
  const charge = latestChargeOf(intent);
  const captured = intent.amount_received;
  const refunded = customerRefundedUnits(charge);
  const state = refinedState(intent, captured, refunded);
  const networkTransactionId = charge?.payment_method_details?.card?.network_transaction_id ?? undefined;
  return {
    provider: stripeProviderName,
    providerReference: intent.id,
    merchantReference: intent.metadata[merchantReferenceMetadataKey],
    state,
    providerStatus: intent.status,
    amount: money(intent.amount),
    authorizedAmount: money(authorizedUnits(intent, state)),
    capturedAmount: money(captured),
    refundedAmount: money(refunded),
    networkTransactionId,
    storedPaymentMethod: state === 'failed' ? undefined : storedPaymentMethodOf(intent, charge, networkTransactionId),
    declineReason: declineReasonOf(intent, state),
    nextAction: state === 'requires_action' ? nextActionOf(intent) : undefined,
  };
}

/** A stored card as the port lists it. Payment methods that are not cards (or lack the card details) give `undefined`. */
export function toStoredPaymentMethod(paymentMethod: Stripe.PaymentMethod, customerReference: string): StoredPaymentMethod | undefined {
  const card = toCardSummary(paymentMethod.card);
  if (card === undefined) return undefined;
  return {
    provider: stripeProviderName,
    token: paymentMethod.id,
    customerReference,
    card,
    // Stripe keeps the network transaction id on charges, not on the payment method (see the gateway).
    networkTransactionId: undefined,
    createdAt: paymentMethod.created * 1000,
  };
}
