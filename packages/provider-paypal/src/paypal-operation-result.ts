import type { Money, PaymentOperationResult } from '@paymigrate/core';
import { describePayPalStatus } from './map-paypal-status.js';
import type { PayPalPaymentResourceLike } from './paypal-order-snapshot.js';
import { fromPayPalAmount } from './paypal-money.js';

/**
 * The result of capturing an authorization, from PayPal's capture: `succeeded` once `COMPLETED`,
 * `pending` while PayPal reviews it (`PENDING`), `failed` when `DECLINED`/`FAILED`; an
 * unrecognized status is `pending`, never a success.
 */
export function payPalCaptureResult(capture: PayPalPaymentResourceLike): PaymentOperationResult {
  return {
    operation: 'capture',
    operationReference: capture.id ?? '',
    status: describePayPalStatus('capture', capture.status).operation,
    amount: fromPayPalAmount(capture.amount),
    providerStatus: capture.status ?? 'UNKNOWN',
  };
}

/** The result of a refund, from PayPal's refund (`COMPLETED`, `PENDING`, `FAILED`, `CANCELLED`). */
export function payPalRefundResult(refund: PayPalPaymentResourceLike): PaymentOperationResult {
  return {
    operation: 'refund',
    operationReference: refund.id ?? '',
    status: describePayPalStatus('refund', refund.status).operation,
    amount: fromPayPalAmount(refund.amount),
    providerStatus: refund.status ?? 'UNKNOWN',
  };
}

/**
 * The result of voiding an authorization. PayPal answers the voided authorization (or `204` with
 * `Prefer: return=minimal`, which only happens on success).
 * @param voided PayPal's answer, `null` for a 204.
 * @param authorization The authorization as read before voiding (id and amount).
 */
export function payPalVoidResult(
  voided: PayPalPaymentResourceLike | null,
  authorization: { readonly id: string; readonly amount: Money },
): PaymentOperationResult {
  return {
    operation: 'cancel',
    operationReference: voided?.id ?? authorization.id,
    status: voided === null ? 'succeeded' : describePayPalStatus('authorization', voided.status).state === 'voided' ? 'succeeded' : 'pending',
    amount: authorization.amount,
    providerStatus: voided === null ? 'VOIDED' : (voided.status ?? 'UNKNOWN'),
  };
}
