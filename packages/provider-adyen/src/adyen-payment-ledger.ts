import type { PaymentNextAction, StoredPaymentMethod } from '@paymigrate/core';

/**
 * Why a ledger exists: Adyen's Checkout API has no "get payment" endpoint. What the adapter can
 * truthfully say about a payment is what Adyen told it: the answers to its own calls and the
 * verified webhooks. The ledger keeps exactly that, and `retrieve` reads it. It never invents a
 * state: a payment it has not seen is "not found", and an absence is never proof that a payment
 * does not exist (so `findByMerchantReference` refuses to answer "no such payment").
 *
 * Entries are plain JSON (amounts as decimal strings of ISO 4217 minor units) so a durable
 * implementation can store them as documents. Use a durable ledger in production: the default
 * in-memory one forgets everything on restart.
 */

/** What the adapter knows about one authorization attempt. */
export type AdyenAuthorizationStatus =
  /** `/payments` was sent; no answer and no webhook yet. */
  | 'sent'
  /** Accepted (`Received`, `Pending`, authentication-only codes): the outcome follows. */
  | 'pending'
  /** The shopper must act (3-D Secure, redirect). */
  | 'requires_action'
  /** Authorised (fully or partially). */
  | 'authorized'
  /** Refused, errored, cancelled, or an AUTHORISATION webhook with `success: false`. */
  | 'failed'
  /** Adyen answered a result code this adapter does not know. */
  | 'unknown';

/** A capture, refund, cancellation, reversal or technical cancel the ledger has seen. */
export interface AdyenLedgerOperation {
  /** PSP reference of the modification. */
  readonly pspReference: string;
  /** What it is. */
  readonly kind: 'capture' | 'refund' | 'cancel' | 'reversal' | 'technical_cancel';
  /** Amount in ISO 4217 minor units of the entry's currency, when it has one. */
  readonly amountMinor?: string | undefined;
  /** For captures: whether it was the last one (the remainder is given up). */
  readonly finalCapture?: boolean | undefined;
  /**
   * `pending`: accepted (`received`), no webhook yet. `succeeded` / `failed`: per webhook.
   * `reversed`: succeeded, then undone (CAPTURE_FAILED, REFUND_FAILED, REFUNDED_REVERSED).
   */
  readonly status: 'pending' | 'succeeded' | 'failed' | 'reversed';
  /** For reversals: whether Adyen cancelled or refunded (`modification.action` of the webhook). */
  readonly action?: 'cancel' | 'refund' | undefined;
}

/** One payment as the ledger holds it. Plain JSON. */
export interface AdyenLedgerEntry {
  /** Stable id: the idempotency key of the authorization, or `notification:<pspReference>` for a payment first seen in a webhook. */
  readonly entryId: string;
  /** Adyen's PSP reference, once known. */
  readonly pspReference?: string | undefined;
  /** Our merchant reference (`reference` of `/payments`). */
  readonly merchantReference: string;
  /** ISO 4217 code. */
  readonly currency: string;
  /** Requested amount, ISO 4217 minor units as a decimal string. */
  readonly amountMinor: string;
  /** Authorised amount (lower than requested after a partial authorisation). */
  readonly authorizedMinor: string;
  /** How the payment is captured. */
  readonly captureMethod: 'manual' | 'automatic';
  /** Where the authorization stands. */
  readonly authorization: AdyenAuthorizationStatus;
  /** Adyen's latest status string: the `resultCode`, or the event code of the latest webhook. */
  readonly providerStatus: string;
  /** Canonical decline reason, when failed. */
  readonly declineReason?: string | undefined;
  /** The step the shopper must take, when `requires_action`. */
  readonly nextAction?: PaymentNextAction | undefined;
  /** Network transaction id Adyen returned (`additionalData.networkTxReference`). */
  readonly networkTransactionId?: string | undefined;
  /** The payment method this payment stored, when it stored one. */
  readonly storedPaymentMethod?: StoredPaymentMethod | undefined;
  /** Modifications, oldest first. */
  readonly operations: readonly AdyenLedgerOperation[];
  /** The authorization (or its uncaptured remainder) was released: cancel, technical cancel, cancel-or-refund that cancelled. */
  readonly voided: boolean;
  /** Adyen reported the authorization expired (EXPIRE webhook). */
  readonly expired: boolean;
  /** Last change, epoch milliseconds. */
  readonly updatedAt: number;
}

/**
 * Where the adapter keeps what Adyen told it. Implementations must make `update` atomic per
 * entry (a database transaction or compare-and-set): webhooks for one payment can arrive
 * concurrently.
 */
export interface AdyenPaymentLedger {
  /** The entry holding this PSP reference, or `undefined`. */
  get(pspReference: string): Promise<AdyenLedgerEntry | undefined>;
  /** The newest entry sent with this merchant reference (with or without a PSP reference yet), or `undefined`. */
  findByMerchantReference(merchantReference: string): Promise<AdyenLedgerEntry | undefined>;
  /**
   * Atomically replaces the entry `entryId` with `change(current)` (`current` is `undefined` when
   * absent) and indexes the result by its PSP and merchant references.
   * @returns The stored entry.
   */
  update(entryId: string, change: (current: AdyenLedgerEntry | undefined) => AdyenLedgerEntry): Promise<AdyenLedgerEntry>;
}

/** Whether a value implements `AdyenPaymentLedger` (used to validate the `ledger` option). */
export function isAdyenPaymentLedger(value: unknown): value is AdyenPaymentLedger {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate.get === 'function' && typeof candidate.findByMerchantReference === 'function' && typeof candidate.update === 'function';
}

/**
 * The default ledger: process memory. Right for tests and single-process tools; it forgets every
 * payment on restart, after which `retrieve` answers "not found" for payments made before.
 */
export function createInMemoryAdyenPaymentLedger(): AdyenPaymentLedger {
  const entries = new Map<string, AdyenLedgerEntry>();
  const entryIdByPspReference = new Map<string, string>();
  const entryIdByMerchantReference = new Map<string, string>();
  return {
    get(pspReference) {
      const entryId = entryIdByPspReference.get(pspReference);
      return Promise.resolve(entryId === undefined ? undefined : entries.get(entryId));
    },
    findByMerchantReference(merchantReference) {
      const entryId = entryIdByMerchantReference.get(merchantReference);
      return Promise.resolve(entryId === undefined ? undefined : entries.get(entryId));
    },
    update(entryId, change) {
      const current = entries.get(entryId);
      const next = change(current);
      entries.set(entryId, next);
      if (next.pspReference !== undefined) entryIdByPspReference.set(next.pspReference, entryId);
      if (current === undefined || current.merchantReference !== next.merchantReference) {
        entryIdByMerchantReference.set(next.merchantReference, entryId);
      }
      return Promise.resolve(next);
    },
  };
}
