import { type Money, type PaymentNextAction, type PaymentSnapshot, type PaymentState, paymentStateFromAmounts, type StoredPaymentMethod } from '@paymigrate/core';
import { declineReasonFromProcessorCode } from './map-paypal-decline-reason.js';
import { type PayPalCardLike, payPalCardSummary } from './map-paypal-card.js';
import { describePayPalStatus, isKnownPayPalStatus, type PayPalResourceKind } from './map-paypal-status.js';
import { payPalProviderName } from './paypal-error.js';
import { fromPayPalAmount } from './paypal-money.js';

/** PayPal `money` as the SDK hands it over. */
export interface PayPalMoneyLike {
  /** ISO 4217 code. */
  readonly currencyCode?: string | undefined;
  /** Decimal string. */
  readonly value?: string | undefined;
}

/** A HATEOAS link. */
export interface PayPalLinkLike {
  /** Target URL. */
  readonly href: string;
  /** Relation (`self`, `up`, `payer-action`, ...). */
  readonly rel: string;
}

/** The fields of an authorization, capture or refund the adapter reads. */
export interface PayPalPaymentResourceLike {
  /** PayPal id. */
  readonly id?: string | undefined;
  /** Status string. */
  readonly status?: string | undefined;
  /** Amount. */
  readonly amount?: PayPalMoneyLike | undefined;
  /** `custom_id`. */
  readonly customId?: string | undefined;
  /** `invoice_id`. */
  readonly invoiceId?: string | undefined;
  /** Network transaction reference (authorizations and captures). */
  readonly networkTransactionReference?: { readonly id?: string | undefined } | undefined;
  /** Processor response (authorizations and captures inside an order). */
  readonly processorResponse?: { readonly responseCode?: string | undefined } | undefined;
  /** HATEOAS links. */
  readonly links?: readonly PayPalLinkLike[] | undefined;
}

/** The fields of an Orders v2 order the adapter reads (the SDK's `Order` fits). */
export interface PayPalOrderLike {
  /** Order id. */
  readonly id?: string | undefined;
  /** Order status. */
  readonly status?: string | undefined;
  /** `AUTHORIZE` or `CAPTURE`. */
  readonly intent?: string | undefined;
  /** The payment source PayPal reports. */
  readonly paymentSource?:
    | {
        readonly card?:
          | (PayPalCardLike & {
              readonly attributes?:
                | { readonly vault?: { readonly id?: string | undefined; readonly status?: string | undefined; readonly customer?: { readonly id?: string | undefined } | undefined } | undefined }
                | undefined;
            })
          | undefined;
      }
    | undefined;
  /** Purchase units; the adapter creates exactly one. */
  readonly purchaseUnits?:
    | readonly {
        readonly amount?: PayPalMoneyLike | undefined;
        readonly customId?: string | undefined;
        readonly invoiceId?: string | undefined;
        readonly payments?:
          | {
              readonly authorizations?: readonly PayPalPaymentResourceLike[] | undefined;
              readonly captures?: readonly (PayPalPaymentResourceLike & { readonly finalCapture?: boolean | undefined })[] | undefined;
              readonly refunds?: readonly PayPalPaymentResourceLike[] | undefined;
            }
          | undefined;
      }[]
    | undefined;
  /** HATEOAS links (`payer-action` when 3-D Secure is pending). */
  readonly links?: readonly PayPalLinkLike[] | undefined;
}

/** The payment resources of an order's (single) purchase unit. */
export interface PayPalOrderPayments {
  /** The authorization (intent `AUTHORIZE`), if PayPal created one. */
  readonly authorization: PayPalPaymentResourceLike | undefined;
  /** Captures, in PayPal's order. */
  readonly captures: readonly (PayPalPaymentResourceLike & { readonly finalCapture?: boolean | undefined })[];
  /** Refunds, in PayPal's order. */
  readonly refunds: readonly PayPalPaymentResourceLike[];
}

/** The payments of an order's first purchase unit (the adapter only creates one). */
export function payPalOrderPayments(order: PayPalOrderLike): PayPalOrderPayments {
  const payments = order.purchaseUnits?.[0]?.payments;
  return { authorization: payments?.authorizations?.[0], captures: payments?.captures ?? [], refunds: payments?.refunds ?? [] };
}

/** Sum of the amounts of resources whose status counts as moved money. */
export function settledTotal(kind: PayPalResourceKind, resources: readonly PayPalPaymentResourceLike[], zero: Money): Money {
  return resources.filter((resource) => describePayPalStatus(kind, resource.status).settled).reduce((sum, resource) => sum.add(fromPayPalAmount(resource.amount)), zero);
}

/** The canonical state and the amounts of an order. */
interface DerivedState {
  readonly state: PaymentState;
  readonly authorized: Money;
  readonly captured: Money;
  readonly refunded: Money;
  readonly declineReason?: string | undefined;
}

function stateFromAmounts(input: Parameters<typeof paymentStateFromAmounts>[0]): PaymentState {
  try {
    return paymentStateFromAmounts(input);
  } catch {
    // Captured above authorized, refunded above captured: PayPal's numbers do not add up. Never guess.
    return 'unknown';
  }
}

function deriveState(order: PayPalOrderLike, amount: Money): DerivedState {
  const zero = amount.multiply(0);
  const { authorization, captures, refunds } = payPalOrderPayments(order);
  if (authorization === undefined && captures.length === 0) {
    return { state: describePayPalStatus('order', order.status).state, authorized: zero, captured: zero, refunded: zero };
  }
  const captured = settledTotal('capture', captures, zero);
  const refunded = settledTotal('refund', refunds, zero);
  const allKnown =
    (authorization === undefined || isKnownPayPalStatus('authorization', authorization.status)) &&
    captures.every((capture) => isKnownPayPalStatus('capture', capture.status)) &&
    refunds.every((refund) => isKnownPayPalStatus('refund', refund.status));
  if (!allKnown) return { state: 'unknown', authorized: zero, captured, refunded };

  if (authorization !== undefined) {
    const meaning = describePayPalStatus('authorization', authorization.status);
    if (meaning.state === 'failed') {
      const declineReason = authorization.status === 'EXPIRED' ? 'authorization_expired' : declineReasonFromProcessorCode(authorization.processorResponse?.responseCode);
      return { state: 'failed', authorized: zero, captured: zero, refunded: zero, declineReason };
    }
    if (meaning.state === 'authorizing') return { state: 'authorizing', authorized: zero, captured, refunded };
    const authorized = fromPayPalAmount(authorization.amount);
    // A final capture below the authorized amount releases the rest, as a void would. A capture
    // still PENDING has moved nothing yet but is not a release either.
    const pending = captures
      .filter((capture) => describePayPalStatus('capture', capture.status).operation === 'pending')
      .reduce((sum, capture) => sum.add(fromPayPalAmount(capture.amount)), zero);
    const released = authorization.status === 'VOIDED' || (authorization.status === 'CAPTURED' && captured.add(pending).lessThan(authorized));
    const state = stateFromAmounts({ authorized, captured, refunded, voided: released });
    return { state, authorized: released ? captured : authorized, captured, refunded };
  }

  // Intent CAPTURE: the capture is the payment.
  if (captured.isZero()) {
    const pending = captures.some((capture) => describePayPalStatus('capture', capture.status).operation === 'pending');
    if (pending) return { state: 'authorizing', authorized: zero, captured, refunded };
    const declined = captures[0];
    return { state: 'failed', authorized: zero, captured, refunded, declineReason: declineReasonFromProcessorCode(declined?.processorResponse?.responseCode) };
  }
  return { state: stateFromAmounts({ authorized: captured, captured, refunded, voided: false }), authorized: captured, captured, refunded };
}

/** `ORDER` or `ORDER/authorization:STATUS/capture:STATUS`, for audit. */
function providerStatusOf(order: PayPalOrderLike): string {
  const { authorization, captures } = payPalOrderPayments(order);
  const parts = [order.status ?? 'UNKNOWN'];
  if (authorization !== undefined) parts.push(`authorization:${authorization.status ?? 'UNKNOWN'}`);
  const lastCapture = captures.at(-1);
  if (lastCapture !== undefined) parts.push(`capture:${lastCapture.status ?? 'UNKNOWN'}`);
  return parts.join('/');
}

/** The stored card PayPal reports on the order (`payment_source.card.attributes.vault`), when vaulted. */
function storedPaymentMethodOf(order: PayPalOrderLike, networkTransactionId: string | undefined): StoredPaymentMethod | undefined {
  const card = order.paymentSource?.card;
  const vault = card?.attributes?.vault;
  const summary = payPalCardSummary(card);
  if (vault?.id === undefined || vault.status !== 'VAULTED' || vault.customer?.id === undefined || summary === undefined) return undefined;
  return { provider: payPalProviderName, token: vault.id, customerReference: vault.customer.id, card: summary, networkTransactionId };
}

function nextActionOf(order: PayPalOrderLike): PaymentNextAction {
  const payerAction = order.links?.find((candidate) => candidate.rel === 'payer-action');
  return payerAction === undefined ? { type: 'other' } : { type: 'three_d_secure', url: payerAction.href };
}

/**
 * The canonical snapshot of a PayPal order. The provider reference is the order id: PayPal's
 * idempotent replay of "create order" returns the order, `GET /v2/checkout/orders/{id}` returns
 * every authorization, capture and refund of it, and every payment webhook names it in
 * `supplementary_data.related_ids.order_id` (refund webhooks through their capture).
 *
 * The state comes from the payments, not from the order status: a `COMPLETED` order can hold a
 * `DENIED` authorization or a `DECLINED` capture (`failed`, with the decline reason). Unrecognized
 * statuses give `unknown`.
 *
 * @throws InvalidMoneyError when the order carries no readable amount.
 */
export function payPalOrderSnapshot(order: PayPalOrderLike): PaymentSnapshot {
  const unit = order.purchaseUnits?.[0];
  const amount = fromPayPalAmount(unit?.amount);
  const derived = deriveState(order, amount);
  const { authorization, captures } = payPalOrderPayments(order);
  const networkTransactionId = authorization?.networkTransactionReference?.id ?? captures.find((capture) => capture.networkTransactionReference?.id !== undefined)?.networkTransactionReference?.id;
  return {
    provider: payPalProviderName,
    providerReference: order.id ?? '',
    merchantReference: unit?.customId,
    state: derived.state,
    providerStatus: providerStatusOf(order),
    amount,
    authorizedAmount: derived.authorized,
    capturedAmount: derived.captured,
    refundedAmount: derived.refunded,
    networkTransactionId,
    storedPaymentMethod: storedPaymentMethodOf(order, networkTransactionId),
    declineReason: derived.state === 'failed' ? derived.declineReason : undefined,
    nextAction: derived.state === 'requires_action' ? nextActionOf(order) : undefined,
  };
}
