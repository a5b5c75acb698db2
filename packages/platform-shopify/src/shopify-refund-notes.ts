import type { PlatformPaymentUpdate } from '@paymigrate/core';
import type { ShopifyRefundView } from './shopify-order.js';

/** The marker a refund's note carries so a replay finds it, in any process. */
export function refundNoteMarker(idempotencyKey: string): string {
  return `[paymigrate idempotency-key=${idempotencyKey}]`;
}

/** The note of a refund recorded through the gateway that holds the payment. */
export function refundNote(input: PlatformPaymentUpdate): string {
  return `Refunded at ${input.provider} (${input.operationReference ?? input.providerReference}) ${refundNoteMarker(input.idempotencyKey)}`;
}

const recordOnlyPrefix = 'Refund of ';
const recordOnlyAmountPattern = /^Refund of (\S+ [A-Z]{3}) made at /;

/**
 * The note of a refund recorded without moving money (a refund without transactions): what was
 * refunded, where, and why Shopify did not refund it itself.
 */
export function recordOnlyRefundNote(input: PlatformPaymentUpdate, gateways: readonly string[]): string {
  return (
    `${recordOnlyPrefix}${input.amount.toString()} made at ${input.provider} (${input.operationReference ?? input.providerReference}), ` +
    `recorded without moving money: the order was paid through gateway '${gateways.join("', '")}', not ${input.provider}. ${refundNoteMarker(input.idempotencyKey)}`
  );
}

/**
 * What a refund recorded: its money transactions' total, or for a refund recorded without moving
 * money the amount its note names (`undefined` when the note names none).
 */
export function recordedRefundAmount(refund: ShopifyRefundView): string | undefined {
  if (!refund.amount.isZero()) return refund.amount.toString();
  return recordOnlyAmountPattern.exec(refund.note ?? '')?.[1];
}
