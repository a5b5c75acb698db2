import {
  type CardSummary,
  Money,
  type PaymentNextAction,
  type PaymentSnapshot,
  type PaymentState,
  paymentStateFromAmounts,
  type StoredPaymentMethod,
} from '@paymigrate/core';
import { adyenProviderName } from './adyen-error.js';
import { fromAdyenAmount } from './adyen-money.js';
import type { AdyenAuthorizationStatus, AdyenLedgerEntry, AdyenLedgerOperation } from './adyen-payment-ledger.js';
import { mapAdyenCardBrand } from './map-adyen-card-brand.js';
import { mapAdyenRefusalReason } from './map-adyen-refusal-reason.js';
import { mapAdyenResultCode } from './map-adyen-status.js';

/** The fields of a `/payments` answer the ledger reads (the SDK's `PaymentResponse` fits). */
export interface AdyenPaymentAnswer {
  /** `Authorised`, `Refused`, `RedirectShopper`, ... */
  readonly resultCode?: string | undefined;
  /** PSP reference (absent for some action answers). */
  readonly pspReference?: string | undefined;
  /** Our reference, echoed. */
  readonly merchantReference?: string | undefined;
  /** Refusal text, when refused. */
  readonly refusalReason?: string | undefined;
  /** Refusal code, when refused. */
  readonly refusalReasonCode?: string | undefined;
  /** String key/value details: `networkTxReference`, `tokenization.*`, `cardSummary`, `expiryDate`, ... */
  readonly additionalData?: Readonly<Record<string, string>> | null | undefined;
  /** The step the shopper must take, for action result codes. */
  readonly action?: { readonly type?: string | undefined; readonly url?: string | undefined } | null | undefined;
  /** Authorised amount (lower than requested for `PartiallyAuthorised`). */
  readonly amount?: { readonly value?: number | undefined; readonly currency?: string | undefined } | null | undefined;
  /** Brand of the payment method used. */
  readonly paymentMethod?: { readonly brand?: string | undefined } | null | undefined;
}

/** The fields of a verified webhook's `NotificationRequestItem` the ledger reads. */
export interface AdyenNotificationFacts {
  /** `AUTHORISATION`, `CAPTURE`, ... */
  readonly eventCode: string;
  /** `success === 'true'`. */
  readonly success: boolean;
  /** PSP reference of the payment (AUTHORISATION, EXPIRE) or of the modification. */
  readonly pspReference: string;
  /** For modifications: the payment's PSP reference. */
  readonly originalReference?: string | undefined;
  /** The payment's merchant reference. */
  readonly merchantReference: string;
  /** Amount of the event, as ISO money. */
  readonly amount: Money;
  /** Refusal or failure reason; for an authorised card `authCode:last4:expiry`. */
  readonly reason?: string | undefined;
  /** Payment method (brand code). */
  readonly paymentMethod?: string | undefined;
  /** String extras (non-string values dropped). */
  readonly additionalData: Readonly<Record<string, string>>;
}

/** A new entry for an authorization about to be sent. */
export function newLedgerEntry(input: {
  readonly entryId: string;
  readonly merchantReference: string;
  readonly amount: Money;
  readonly captureMethod: 'manual' | 'automatic';
  readonly now: number;
}): AdyenLedgerEntry {
  return {
    entryId: input.entryId,
    merchantReference: input.merchantReference,
    currency: input.amount.currency,
    amountMinor: input.amount.minorUnits.toString(),
    authorizedMinor: '0',
    captureMethod: input.captureMethod,
    authorization: 'sent',
    providerStatus: 'sent',
    operations: [],
    voided: false,
    expired: false,
    updatedAt: input.now,
  };
}

const authorizationByState: Readonly<Record<PaymentState, AdyenAuthorizationStatus>> = {
  created: 'sent',
  authorizing: 'pending',
  requires_action: 'requires_action',
  authorized: 'authorized',
  partially_captured: 'authorized',
  captured: 'authorized',
  partially_refunded: 'authorized',
  refunded: 'authorized',
  voided: 'failed',
  failed: 'failed',
  unknown: 'unknown',
};

function isFinal(authorization: AdyenAuthorizationStatus): boolean {
  return authorization === 'authorized' || authorization === 'failed';
}

function nextActionOf(resultCode: string | undefined, action: AdyenPaymentAnswer['action']): PaymentNextAction {
  const type = resultCode === 'RedirectShopper' ? 'redirect' : resultCode === 'IdentifyShopper' || resultCode === 'ChallengeShopper' ? 'three_d_secure' : 'other';
  return action?.url === undefined ? { type } : { type, url: action.url };
}

const fundingByAdyenSource: Readonly<Record<string, CardSummary['funding']>> = {
  CREDIT: 'credit',
  CHARGE: 'credit',
  DEBIT: 'debit',
  DEFERRED_DEBIT: 'debit',
  PREPAID: 'prepaid',
  PREPAID_RELOADABLE: 'prepaid',
  PREPAID_NONRELOADABLE: 'prepaid',
};

/** Reads `M/YYYY` (Adyen's `expiryDate`) into month and four-digit year. */
function parseExpiry(expiryDate: string | undefined): { month: number; year: number } | undefined {
  const match = expiryDate === undefined ? null : /^([0-9]{1,2})\/([0-9]{2}|[0-9]{4})$/.exec(expiryDate.trim());
  if (match === null) return undefined;
  const month = Number(match[1]);
  const year = Number(match[2]);
  if (month < 1 || month > 12) return undefined;
  return { month, year: year < 100 ? 2000 + year : year };
}

/** The stored payment method a payment created, when Adyen reported one with enough card data. */
function storedPaymentMethodOf(input: {
  readonly storedPaymentMethodId: string | undefined;
  readonly shopperReference: string | undefined;
  readonly brand: string | undefined;
  readonly lastFour: string | undefined;
  readonly expiry: string | undefined;
  readonly additionalData: Readonly<Record<string, string>>;
  readonly networkTransactionId: string | undefined;
  readonly now: number;
}): StoredPaymentMethod | undefined {
  const expiry = parseExpiry(input.expiry);
  if (input.storedPaymentMethodId === undefined || input.shopperReference === undefined || expiry === undefined) return undefined;
  if (input.lastFour === undefined || !/^[0-9]{4}$/.test(input.lastFour)) return undefined;
  const fundingSource = input.additionalData.fundingSource;
  const card: CardSummary = {
    brand: mapAdyenCardBrand(input.brand),
    last4: input.lastFour,
    expiryMonth: expiry.month,
    expiryYear: expiry.year,
    fingerprint: input.additionalData.paymentAccountReference,
    funding: fundingSource === undefined ? undefined : (fundingByAdyenSource[fundingSource.toUpperCase()] ?? 'unknown'),
    issuingCountry: input.additionalData.cardIssuingCountry,
  };
  return {
    provider: adyenProviderName,
    token: input.storedPaymentMethodId,
    customerReference: input.shopperReference,
    card,
    networkTransactionId: input.networkTransactionId,
    createdAt: input.now,
  };
}

/**
 * Applies a `/payments` answer. A final authorization already recorded (from a webhook) is never
 * downgraded by a replayed answer; only missing facts are filled in.
 */
export function applyPaymentAnswer(
  entry: AdyenLedgerEntry,
  answer: AdyenPaymentAnswer,
  context: { readonly shopperReference?: string | undefined; readonly now: number },
): AdyenLedgerEntry {
  const additionalData = answer.additionalData ?? {};
  const networkTransactionId = additionalData.networkTxReference ?? entry.networkTransactionId;
  const storedPaymentMethod =
    entry.storedPaymentMethod ??
    storedPaymentMethodOf({
      storedPaymentMethodId: additionalData['tokenization.storedPaymentMethodId'],
      shopperReference: additionalData['tokenization.shopperReference'] ?? context.shopperReference,
      brand: answer.paymentMethod?.brand ?? additionalData.paymentMethod,
      lastFour: additionalData.cardSummary,
      expiry: additionalData.expiryDate,
      additionalData,
      networkTransactionId,
      now: context.now,
    });
  const known = { ...entry, pspReference: entry.pspReference ?? answer.pspReference, networkTransactionId, storedPaymentMethod, updatedAt: context.now };
  if (isFinal(entry.authorization)) return known;
  const state = mapAdyenResultCode(answer.resultCode);
  const authorization = authorizationByState[state];
  let authorizedMinor = '0';
  if (authorization === 'authorized') {
    const partial = answer.resultCode === 'PartiallyAuthorised' && answer.amount?.value !== undefined ? fromAdyenAmount(answer.amount) : undefined;
    authorizedMinor = partial === undefined ? entry.amountMinor : partial.minorUnits.toString();
  }
  return {
    ...known,
    authorization,
    authorizedMinor,
    providerStatus: answer.resultCode ?? 'unknown',
    declineReason:
      authorization === 'failed'
        ? mapAdyenRefusalReason({ refusalReasonCode: answer.refusalReasonCode, refusalReason: answer.refusalReason, resultCode: answer.resultCode })
        : undefined,
    nextAction: authorization === 'requires_action' ? nextActionOf(answer.resultCode, answer.action) : undefined,
  };
}

/** Adds a modification the API accepted; an operation already known (from a webhook or a replay) keeps its status. */
export function recordOperation(entry: AdyenLedgerEntry, operation: AdyenLedgerOperation, now: number): AdyenLedgerEntry {
  if (entry.operations.some((known) => known.pspReference === operation.pspReference)) return entry;
  return { ...entry, operations: [...entry.operations, operation], updatedAt: now };
}

function withOperation(entry: AdyenLedgerEntry, operation: AdyenLedgerOperation): AdyenLedgerEntry {
  const index = entry.operations.findIndex((known) => known.pspReference === operation.pspReference);
  if (index === -1) return { ...entry, operations: [...entry.operations, operation] };
  const existing = entry.operations[index] as AdyenLedgerOperation;
  const merged: AdyenLedgerOperation = {
    ...existing,
    status: operation.status,
    amountMinor: existing.amountMinor ?? operation.amountMinor,
    action: operation.action ?? existing.action,
  };
  return { ...entry, operations: entry.operations.map((known, position) => (position === index ? merged : known)) };
}

/** Marks a succeeded operation reversed (or records a failed one). */
function reverseOperation(entry: AdyenLedgerEntry, kind: AdyenLedgerOperation['kind'], pspReference: string, amountMinor: string): AdyenLedgerEntry {
  const existing = entry.operations.find((known) => known.pspReference === pspReference);
  if (existing !== undefined) {
    return withOperation(entry, { ...existing, status: existing.status === 'succeeded' ? 'reversed' : 'failed' });
  }
  return withOperation(entry, { pspReference, kind, amountMinor, status: 'failed' });
}

/** The amounts an entry stands for, in ISO minor units. */
export function entryAmounts(entry: AdyenLedgerEntry): { authorized: bigint; captured: bigint; refunded: bigint; finalCaptured: boolean } {
  const authorized = BigInt(entry.authorizedMinor);
  const succeeded = entry.operations.filter((operation) => operation.status === 'succeeded');
  const sum = (operations: readonly AdyenLedgerOperation[]): bigint =>
    operations.reduce((total, operation) => total + BigInt(operation.amountMinor ?? '0'), 0n);
  const capturedByOperations = sum(succeeded.filter((operation) => operation.kind === 'capture'));
  const captured = entry.authorization !== 'authorized' ? 0n : entry.captureMethod === 'automatic' ? authorized : capturedByOperations < authorized ? capturedByOperations : authorized;
  const refundedByOperations = sum(succeeded.filter((operation) => operation.kind === 'refund' || (operation.kind === 'reversal' && operation.action === 'refund')));
  const refunded = refundedByOperations < captured ? refundedByOperations : captured;
  const finalCaptured = succeeded.some((operation) => operation.kind === 'capture' && operation.finalCapture === true);
  return { authorized, captured, refunded, finalCaptured };
}

function statusOf(success: boolean): 'succeeded' | 'failed' {
  return success ? 'succeeded' : 'failed';
}

/**
 * Applies a verified webhook. Idempotent: the same notification applied twice leaves the entry
 * as after the first time (operations are keyed by their PSP reference).
 *
 * @param entry The entry of the payment, or `undefined` for a payment the ledger has not seen
 *   (only an AUTHORISATION creates one; its capture mode is unknown and taken as manual).
 * @returns The new entry, or `undefined` when the notification says nothing the ledger keeps.
 */
export function applyNotification(
  entry: AdyenLedgerEntry | undefined,
  notification: AdyenNotificationFacts,
  context: { readonly entryId: string; readonly now: number },
): AdyenLedgerEntry | undefined {
  const { eventCode, success, additionalData } = notification;
  const amountMinor = notification.amount.minorUnits.toString();
  const providerStatus = success ? eventCode : `${eventCode} (success=false)`;
  if (entry === undefined) {
    if (eventCode !== 'AUTHORISATION') return undefined;
    entry = {
      entryId: context.entryId,
      merchantReference: notification.merchantReference,
      currency: notification.amount.currency,
      amountMinor,
      authorizedMinor: '0',
      captureMethod: 'manual',
      authorization: 'sent',
      providerStatus: 'sent',
      operations: [],
      voided: false,
      expired: false,
      updatedAt: context.now,
    };
  }
  const base = { ...entry, updatedAt: context.now };
  switch (eventCode) {
    case 'AUTHORISATION': {
      const networkTransactionId = additionalData.networkTxReference ?? entry.networkTransactionId;
      const [, lastFour, expiry] = (notification.reason ?? '').split(':');
      const storedPaymentMethod =
        entry.storedPaymentMethod ??
        storedPaymentMethodOf({
          storedPaymentMethodId: additionalData['tokenization.storedPaymentMethodId'],
          shopperReference: additionalData['tokenization.shopperReference'],
          brand: notification.paymentMethod,
          lastFour,
          expiry,
          additionalData,
          networkTransactionId,
          now: context.now,
        });
      return {
        ...base,
        pspReference: entry.pspReference ?? notification.pspReference,
        authorization: success ? 'authorized' : 'failed',
        authorizedMinor: success ? (entry.authorization === 'authorized' ? entry.authorizedMinor : amountMinor) : '0',
        declineReason: success ? undefined : mapAdyenRefusalReason({ refusalReason: notification.reason }),
        nextAction: undefined,
        networkTransactionId,
        storedPaymentMethod,
        providerStatus,
      };
    }
    case 'CAPTURE':
      return { ...withOperation(base, { pspReference: notification.pspReference, kind: 'capture', amountMinor, status: statusOf(success) }), providerStatus };
    case 'REFUND':
      return { ...withOperation(base, { pspReference: notification.pspReference, kind: 'refund', amountMinor, status: statusOf(success) }), providerStatus };
    case 'CAPTURE_FAILED':
      return { ...reverseOperation(base, 'capture', notification.pspReference, amountMinor), providerStatus };
    case 'REFUND_FAILED':
    case 'REFUNDED_REVERSED':
    case 'VOID_PENDING_REFUND':
      return { ...reverseOperation(base, 'refund', notification.pspReference, amountMinor), providerStatus };
    case 'CANCELLATION':
    case 'TECHNICAL_CANCEL': {
      const kind = eventCode === 'CANCELLATION' ? 'cancel' : 'technical_cancel';
      const updated = withOperation(base, { pspReference: notification.pspReference, kind, status: statusOf(success) });
      return { ...updated, voided: entry.voided || success, providerStatus };
    }
    case 'CANCEL_OR_REFUND': {
      const action = additionalData['modification.action'] === 'refund' ? 'refund' : 'cancel';
      const { captured, refunded } = entryAmounts(entry);
      const refundMinor = action === 'refund' ? (captured - refunded).toString() : undefined;
      const known = entry.operations.find((operation) => operation.pspReference === notification.pspReference);
      const updated = withOperation(base, {
        pspReference: notification.pspReference,
        kind: 'reversal',
        amountMinor: known?.amountMinor ?? refundMinor,
        action,
        status: statusOf(success),
      });
      return { ...updated, voided: entry.voided || (success && action === 'cancel'), providerStatus };
    }
    case 'EXPIRE':
      return success ? { ...base, expired: true, providerStatus } : undefined;
    default:
      return undefined;
  }
}

/**
 * The canonical snapshot of an entry. Amounts follow core's `paymentStateFromAmounts`; a final
 * capture, a cancellation or an expiry releases the uncaptured remainder.
 */
export function snapshotOfEntry(entry: AdyenLedgerEntry): PaymentSnapshot {
  const { currency } = entry;
  const money = (minorUnits: bigint): Money => Money.of(minorUnits, currency);
  const { authorized, captured, refunded, finalCaptured } = entryAmounts(entry);
  let state: PaymentState;
  let declineReason = entry.declineReason;
  switch (entry.authorization) {
    case 'sent':
    case 'pending':
      state = 'authorizing';
      break;
    case 'requires_action':
      state = 'requires_action';
      break;
    case 'failed':
      state = 'failed';
      break;
    case 'unknown':
      state = 'unknown';
      break;
    case 'authorized':
      if (entry.expired && captured === 0n) {
        state = 'failed';
        declineReason = 'authorization_expired';
      } else {
        state = paymentStateFromAmounts({
          authorized: money(authorized),
          captured: money(captured),
          refunded: money(refunded),
          voided: entry.voided || entry.expired || finalCaptured,
        });
      }
      break;
  }
  const released = state === 'voided' || state === 'failed';
  return {
    provider: adyenProviderName,
    providerReference: entry.pspReference ?? entry.merchantReference,
    merchantReference: entry.merchantReference,
    state,
    providerStatus: entry.providerStatus,
    amount: money(BigInt(entry.amountMinor)),
    authorizedAmount: money(released ? 0n : authorized),
    capturedAmount: money(captured),
    refundedAmount: money(refunded),
    networkTransactionId: entry.networkTransactionId,
    storedPaymentMethod: entry.storedPaymentMethod,
    declineReason: state === 'failed' ? declineReason : undefined,
    nextAction: state === 'requires_action' ? entry.nextAction : undefined,
  };
}
