import type { PaymentOperationResult, PaymentState } from '@paymigrate/core';

/** Order statuses (Orders v2 `order_status`). */
export const payPalOrderStatuses = ['CREATED', 'SAVED', 'APPROVED', 'VOIDED', 'COMPLETED', 'PAYER_ACTION_REQUIRED'] as const;

/**
 * Authorization statuses (Payments v2 `authorization_status`). `EXPIRED` is not in the Feb 2024
 * OpenAPI enum nor in the SDK's `AuthorizationStatus`, but PayPal's API reference lists it for
 * authorizations past their honor/validity period, so it is mapped rather than left to `unknown`.
 */
export const payPalAuthorizationStatuses = ['CREATED', 'CAPTURED', 'DENIED', 'PARTIALLY_CAPTURED', 'VOIDED', 'PENDING', 'EXPIRED'] as const;

/** Capture statuses (`capture_status`). */
export const payPalCaptureStatuses = ['COMPLETED', 'DECLINED', 'PARTIALLY_REFUNDED', 'PENDING', 'REFUNDED', 'FAILED'] as const;

/** Refund statuses (`refund_status`). */
export const payPalRefundStatuses = ['CANCELLED', 'FAILED', 'PENDING', 'COMPLETED'] as const;

/** A PayPal order status. */
export type PayPalOrderStatus = (typeof payPalOrderStatuses)[number];
/** A PayPal authorization status. */
export type PayPalAuthorizationStatus = (typeof payPalAuthorizationStatuses)[number];
/** A PayPal capture status. */
export type PayPalCaptureStatus = (typeof payPalCaptureStatuses)[number];
/** A PayPal refund status. */
export type PayPalRefundStatus = (typeof payPalRefundStatuses)[number];

/** Which PayPal resource a status belongs to. */
export type PayPalResourceKind = 'order' | 'authorization' | 'capture' | 'refund';

/** What one status row says: the canonical payment state and, for operations, the operation status. */
export interface PayPalStatusMeaning {
  /** The canonical state of the payment as far as this resource alone tells. */
  readonly state: PaymentState;
  /** The status of the operation that produced the resource (capture, refund, void). */
  readonly operation: PaymentOperationResult['status'];
  /** Whether the resource's amount counts as moved money (captured, or refunded for refunds). */
  readonly settled: boolean;
}

/**
 * Order status -> canonical state. `COMPLETED` maps to `unknown` on purpose: the order status alone
 * cannot tell, because a COMPLETED order can hold a DENIED authorization or a DECLINED capture;
 * the state then comes from `purchase_units[].payments` (see `paypal-order-snapshot.ts`).
 * `APPROVED` means the payer finished their step (3-D Secure) and the merchant must now authorize
 * or capture the order: the authorization is in flight from core's point of view (`authorizing`),
 * and replaying `authorize` with the same key completes it.
 */
export const payPalOrderStatusTable: Readonly<Record<PayPalOrderStatus, PayPalStatusMeaning>> = Object.freeze({
  CREATED: { state: 'created', operation: 'pending', settled: false },
  SAVED: { state: 'created', operation: 'pending', settled: false },
  APPROVED: { state: 'authorizing', operation: 'pending', settled: false },
  PAYER_ACTION_REQUIRED: { state: 'requires_action', operation: 'pending', settled: false },
  VOIDED: { state: 'voided', operation: 'succeeded', settled: false },
  COMPLETED: { state: 'unknown', operation: 'pending', settled: false },
});

/**
 * Authorization status -> canonical state. `PENDING` (under review) is still being decided:
 * `authorizing`, never `authorized`.
 */
export const payPalAuthorizationStatusTable: Readonly<Record<PayPalAuthorizationStatus, PayPalStatusMeaning>> = Object.freeze({
  CREATED: { state: 'authorized', operation: 'pending', settled: false },
  PENDING: { state: 'authorizing', operation: 'pending', settled: false },
  PARTIALLY_CAPTURED: { state: 'partially_captured', operation: 'pending', settled: false },
  CAPTURED: { state: 'captured', operation: 'pending', settled: false },
  DENIED: { state: 'failed', operation: 'failed', settled: false },
  VOIDED: { state: 'voided', operation: 'succeeded', settled: false },
  EXPIRED: { state: 'failed', operation: 'failed', settled: false },
});

/**
 * Capture status -> canonical state of the captured money. `PENDING` (eCheck, review) has moved
 * nothing yet: it is not counted as captured, and an automatic-capture payment whose only capture
 * is pending is still `authorizing`.
 */
export const payPalCaptureStatusTable: Readonly<Record<PayPalCaptureStatus, PayPalStatusMeaning>> = Object.freeze({
  COMPLETED: { state: 'captured', operation: 'succeeded', settled: true },
  PARTIALLY_REFUNDED: { state: 'partially_refunded', operation: 'succeeded', settled: true },
  REFUNDED: { state: 'refunded', operation: 'succeeded', settled: true },
  PENDING: { state: 'authorizing', operation: 'pending', settled: false },
  DECLINED: { state: 'failed', operation: 'failed', settled: false },
  FAILED: { state: 'failed', operation: 'failed', settled: false },
});

/**
 * Refund status -> canonical state of the refunded capture. Only `COMPLETED` moved money back
 * (`refunded`, full or partial as the amounts decide); a pending, failed or cancelled refund
 * leaves the money `captured`.
 */
export const payPalRefundStatusTable: Readonly<Record<PayPalRefundStatus, PayPalStatusMeaning>> = Object.freeze({
  COMPLETED: { state: 'refunded', operation: 'succeeded', settled: true },
  PENDING: { state: 'captured', operation: 'pending', settled: false },
  FAILED: { state: 'captured', operation: 'failed', settled: false },
  CANCELLED: { state: 'captured', operation: 'failed', settled: false },
});

const tables: Readonly<Record<PayPalResourceKind, Readonly<Record<string, PayPalStatusMeaning>>>> = {
  order: payPalOrderStatusTable,
  authorization: payPalAuthorizationStatusTable,
  capture: payPalCaptureStatusTable,
  refund: payPalRefundStatusTable,
};

/** What an unrecognized status means: never a success, never counted as moved money. */
const unrecognized: PayPalStatusMeaning = Object.freeze({ state: 'unknown', operation: 'pending', settled: false });

/**
 * The meaning of a PayPal status. A status missing from the tables (a new PayPal value, a typo, a
 * missing field) is `unknown` / `pending` / not settled: never a success.
 */
export function describePayPalStatus(kind: PayPalResourceKind, status: string | undefined): PayPalStatusMeaning {
  if (status === undefined) return unrecognized;
  return Object.hasOwn(tables[kind], status) ? (tables[kind][status] as PayPalStatusMeaning) : unrecognized;
}

/**
 * Maps one PayPal status to the canonical payment state.
 * @example mapPayPalStatus('authorization', 'DENIED') // 'failed'
 * @example mapPayPalStatus('capture', 'SOMETHING_NEW') // 'unknown'
 */
export function mapPayPalStatus(kind: PayPalResourceKind, status: string | undefined): PaymentState {
  return describePayPalStatus(kind, status).state;
}

/** Whether a status is one the tables know. */
export function isKnownPayPalStatus(kind: PayPalResourceKind, status: string | undefined): boolean {
  return status !== undefined && Object.hasOwn(tables[kind], status);
}
