import type { PaymentWebhookEventType } from '@paymigrate/core';

/** Every `eventCode` of Adyen's standard webhooks (the Webhooks v1 spec's enum, in its order). */
export const adyenEventCodes = [
  'AUTHENTICATION',
  'AUTHORISATION',
  'AUTHORISATION_ADJUSTMENT',
  'AUTORESCUE',
  'CANCELLATION',
  'CANCEL_AUTORESCUE',
  'CANCEL_OR_REFUND',
  'CAPTURE',
  'CAPTURE_FAILED',
  'CHARGEBACK',
  'CHARGEBACK_REVERSED',
  'DISPUTE_DEFENSE_PERIOD_ENDED',
  'EXPIRE',
  'HANDLED_EXTERNALLY',
  'INFORMATION_SUPPLIED',
  'ISSUER_COMMENTS',
  'ISSUER_RESPONSE_TIMEFRAME_EXPIRED',
  'MANUAL_REVIEW_ACCEPT',
  'MANUAL_REVIEW_REJECT',
  'NOTIFICATION_OF_CHARGEBACK',
  'NOTIFICATION_OF_FRAUD',
  'OFFER_CLOSED',
  'ORDER_CLOSED',
  'ORDER_OPENED',
  'PAYOUT_DECLINE',
  'PAYOUT_EXPIRE',
  'PAYOUT_THIRDPARTY',
  'POSTPONED_REFUND',
  'PREARBITRATION_LOST',
  'PREARBITRATION_OPEN',
  'PREARBITRATION_WON',
  'RECURRING_CONTRACT',
  'REFUND',
  'REFUNDED_REVERSED',
  'REFUND_FAILED',
  'REFUND_WITH_DATA',
  'REQUEST_FOR_INFORMATION',
  'SECOND_CHARGEBACK',
  'TECHNICAL_CANCEL',
  'VOID_PENDING_REFUND',
] as const;

/** An `eventCode` Adyen documents. */
export type AdyenEventCode = (typeof adyenEventCodes)[number];

/** Canonical type when `success` is `'true'` and when it is `'false'`. */
type EventTypes = readonly [whenSuccessful: PaymentWebhookEventType, whenUnsuccessful: PaymentWebhookEventType];

const other: EventTypes = ['other', 'other'];

/**
 * The canonical type of each event code, by `success`. Events paymigrate does not act on are
 * `other`. A few need care:
 * - `CAPTURE_FAILED` and `REFUND_FAILED` report a capture/refund that the scheme later refused:
 *   the event itself is the failure, whatever `success` says (Adyen sends `success: true`).
 * - `CANCEL_OR_REFUND` is resolved by `additionalData['modification.action']` (see `mapAdyenEventCode`).
 * - `OFFER_CLOSED`: the shopper never completed the payment, so the authorization failed.
 * - `VOID_PENDING_REFUND`: a refund still pending was voided, so the refund did not happen.
 */
const eventCodeTypes: Readonly<Record<AdyenEventCode, EventTypes>> = {
  AUTHENTICATION: other,
  AUTHORISATION: ['payment.authorized', 'payment.authorization_failed'],
  AUTHORISATION_ADJUSTMENT: other,
  AUTORESCUE: other,
  CANCELLATION: ['payment.voided', 'other'],
  CANCEL_AUTORESCUE: other,
  CANCEL_OR_REFUND: other,
  CAPTURE: ['payment.captured', 'payment.capture_failed'],
  CAPTURE_FAILED: ['payment.capture_failed', 'payment.capture_failed'],
  CHARGEBACK: ['payment.dispute_opened', 'payment.dispute_opened'],
  CHARGEBACK_REVERSED: ['payment.dispute_closed', 'other'],
  DISPUTE_DEFENSE_PERIOD_ENDED: other,
  EXPIRE: ['payment.expired', 'other'],
  HANDLED_EXTERNALLY: other,
  INFORMATION_SUPPLIED: other,
  ISSUER_COMMENTS: other,
  ISSUER_RESPONSE_TIMEFRAME_EXPIRED: other,
  MANUAL_REVIEW_ACCEPT: other,
  MANUAL_REVIEW_REJECT: other,
  NOTIFICATION_OF_CHARGEBACK: ['payment.dispute_opened', 'payment.dispute_opened'],
  NOTIFICATION_OF_FRAUD: other,
  OFFER_CLOSED: ['payment.authorization_failed', 'other'],
  ORDER_CLOSED: other,
  ORDER_OPENED: other,
  PAYOUT_DECLINE: other,
  PAYOUT_EXPIRE: other,
  PAYOUT_THIRDPARTY: other,
  POSTPONED_REFUND: other,
  PREARBITRATION_LOST: ['payment.dispute_closed', 'payment.dispute_closed'],
  PREARBITRATION_OPEN: ['payment.dispute_opened', 'payment.dispute_opened'],
  PREARBITRATION_WON: ['payment.dispute_closed', 'payment.dispute_closed'],
  RECURRING_CONTRACT: ['payment_method.saved', 'other'],
  REFUND: ['payment.refunded', 'payment.refund_failed'],
  REFUNDED_REVERSED: ['payment.refund_reversed', 'other'],
  REFUND_FAILED: ['payment.refund_failed', 'payment.refund_failed'],
  REFUND_WITH_DATA: other,
  REQUEST_FOR_INFORMATION: other,
  SECOND_CHARGEBACK: ['payment.dispute_opened', 'payment.dispute_opened'],
  TECHNICAL_CANCEL: ['payment.voided', 'other'],
  VOID_PENDING_REFUND: ['payment.refund_failed', 'other'],
};

/** Whether `value` is one of `adyenEventCodes`. */
export function isAdyenEventCode(value: unknown): value is AdyenEventCode {
  return typeof value === 'string' && Object.hasOwn(eventCodeTypes, value);
}

/**
 * Maps an Adyen webhook to its canonical event type. An undocumented event code is `other`, never
 * guessed.
 *
 * @param eventCode The item's `eventCode`.
 * @param success Whether the item's `success` is `'true'`.
 * @param modificationAction `additionalData['modification.action']` (`cancel` or `refund`), which
 *   decides what a successful `CANCEL_OR_REFUND` did.
 */
export function mapAdyenEventCode(eventCode: string, success: boolean, modificationAction?: string | undefined): PaymentWebhookEventType {
  if (eventCode === 'CANCEL_OR_REFUND' && success) {
    if (modificationAction === 'cancel') return 'payment.voided';
    if (modificationAction === 'refund') return 'payment.refunded';
    return 'other';
  }
  if (!isAdyenEventCode(eventCode)) return 'other';
  const [whenSuccessful, whenUnsuccessful] = eventCodeTypes[eventCode];
  return success ? whenSuccessful : whenUnsuccessful;
}
