import type { PaymentState } from '@paymigrate/core';
import type Stripe from 'stripe';

/** Every PaymentIntent status Stripe documents (the `status` enum of the official spec). */
export const stripePaymentIntentStatuses = [
  'requires_payment_method',
  'requires_confirmation',
  'requires_action',
  'processing',
  'requires_capture',
  'succeeded',
  'canceled',
] as const satisfies readonly Stripe.PaymentIntent.Status[];

/** A documented PaymentIntent status. */
export type StripePaymentIntentStatus = (typeof stripePaymentIntentStatuses)[number];

/**
 * PaymentIntent status -> canonical state. Exhaustive over the documented statuses (the compiler
 * checks it against the SDK's union).
 *
 * - `requires_payment_method`: the adapter always confirms at creation, so an intent is only ever
 *   back here after a failed attempt (Stripe returns a declined intent to this status): `failed`.
 * - `requires_confirmation` and `processing`: sent, not decided yet: `authorizing` (never a success).
 * - `succeeded`: everything captured; refunds are read from the charge (see the snapshot builder).
 * - `canceled`: the authorization was released: `voided` (an automatic cancellation after expiry is
 *   refined to `failed` by the snapshot builder).
 */
const paymentIntentStates: Readonly<Record<StripePaymentIntentStatus, PaymentState>> = {
  requires_payment_method: 'failed',
  requires_confirmation: 'authorizing',
  requires_action: 'requires_action',
  processing: 'authorizing',
  requires_capture: 'authorized',
  succeeded: 'captured',
  canceled: 'voided',
};

/**
 * Maps a Stripe PaymentIntent status to the canonical payment state. A status this adapter does
 * not know (Stripe added one, or the value is corrupt) is `unknown`, never a success.
 */
export function mapStripePaymentIntentStatus(status: string): PaymentState {
  return Object.hasOwn(paymentIntentStates, status) ? paymentIntentStates[status as StripePaymentIntentStatus] : 'unknown';
}

/** Every Refund status Stripe documents. */
export const stripeRefundStatuses = ['pending', 'requires_action', 'succeeded', 'failed', 'canceled'] as const;

/** A documented Refund status. */
export type StripeRefundStatus = (typeof stripeRefundStatuses)[number];

const refundStatuses: Readonly<Record<StripeRefundStatus, 'succeeded' | 'pending' | 'failed'>> = {
  pending: 'pending',
  requires_action: 'pending',
  succeeded: 'succeeded',
  failed: 'failed',
  canceled: 'failed',
};

/**
 * Maps a Stripe Refund status to an operation status. An unknown (or missing) status is `pending`:
 * the outcome is confirmed later by a `charge.refund.updated` webhook, and never assumed a success.
 */
export function mapStripeRefundStatus(status: string | null | undefined): 'succeeded' | 'pending' | 'failed' {
  return typeof status === 'string' && Object.hasOwn(refundStatuses, status) ? refundStatuses[status as StripeRefundStatus] : 'pending';
}
