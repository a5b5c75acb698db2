import type { PaymentOperationResult, PaymentState } from '@paymigrate/core';

/** Every `resultCode` of Checkout v72's `PaymentResponse` (the spec's enum, in its order). */
export const adyenResultCodes = [
  'AuthenticationFinished',
  'AuthenticationNotRequired',
  'Authorised',
  'Cancelled',
  'ChallengeShopper',
  'Error',
  'IdentifyShopper',
  'PartiallyAuthorised',
  'Pending',
  'PresentToShopper',
  'Received',
  'RedirectShopper',
  'Refused',
  'Success',
] as const;

/** A `resultCode` Adyen documents. */
export type AdyenResultCode = (typeof adyenResultCodes)[number];

/**
 * Canonical state of a payment right after `/payments` answered with this `resultCode`, for a
 * manual capture (an automatically captured `Authorised` payment is `captured`; the gateway
 * applies that). Adyen says final states come from webhooks; these are the synchronous hints.
 *
 * - `Authorised`, `PartiallyAuthorised`: funds are held (partially: the authorised amount is lower).
 * - `Refused`, `Error`, `Cancelled`: final failures.
 * - `RedirectShopper`, `IdentifyShopper`, `ChallengeShopper`, `PresentToShopper`: the shopper must act.
 * - `Received`, `Pending`: accepted, the outcome follows (webhook): still `authorizing`.
 * - `AuthenticationFinished`, `AuthenticationNotRequired`: answers of authentication-only flows;
 *   nothing is authorised yet, so `authorizing`.
 * - `Success`: in the v72 enum but not described for card payments; treated as `unknown` so that
 *   nothing ships on it until the AUTHORISATION webhook says what happened.
 */
const resultCodeStates: Readonly<Record<AdyenResultCode, PaymentState>> = {
  AuthenticationFinished: 'authorizing',
  AuthenticationNotRequired: 'authorizing',
  Authorised: 'authorized',
  Cancelled: 'failed',
  ChallengeShopper: 'requires_action',
  Error: 'failed',
  IdentifyShopper: 'requires_action',
  PartiallyAuthorised: 'authorized',
  Pending: 'authorizing',
  PresentToShopper: 'requires_action',
  Received: 'authorizing',
  RedirectShopper: 'requires_action',
  Refused: 'failed',
  Success: 'unknown',
};

/** Whether `value` is one of `adyenResultCodes`. */
export function isAdyenResultCode(value: unknown): value is AdyenResultCode {
  return typeof value === 'string' && Object.hasOwn(resultCodeStates, value);
}

/**
 * Maps an Adyen `resultCode` to the canonical payment state. Anything Adyen does not document
 * (including a missing code) is `unknown`, never a success.
 */
export function mapAdyenResultCode(resultCode: string | undefined): PaymentState {
  return isAdyenResultCode(resultCode) ? resultCodeStates[resultCode] : 'unknown';
}

/** Every `status` of Checkout v72's capture, refund, cancel and reversal responses. */
export const adyenModificationStatuses = ['received'] as const;

/** A modification `status` Adyen documents. */
export type AdyenModificationStatus = (typeof adyenModificationStatuses)[number];

/** `received`: accepted; the outcome arrives by webhook (CAPTURE, REFUND, CANCELLATION, ...). */
const modificationStatusTable: Readonly<Record<AdyenModificationStatus, PaymentOperationResult['status']>> = {
  received: 'pending',
};

/**
 * Maps the `status` of a modification answer (`/captures`, `/refunds`, `/cancels`, `/reversals`,
 * `/cancels` by reference) to an operation status. Adyen only ever answers `received`, which is
 * `pending`. An undocumented status is `pending` as well, never `succeeded`: the webhook decides.
 */
export function mapAdyenModificationStatus(status: string | undefined): PaymentOperationResult['status'] {
  return typeof status === 'string' && Object.hasOwn(modificationStatusTable, status)
    ? modificationStatusTable[status as AdyenModificationStatus]
    : 'pending';
}
