import { mapShopifyOrderStatus, Money, type PlatformOrder, type PlatformTransaction, type ProviderError } from '@paymigrate/core';
import { z } from 'zod';
import { malformedResponse, type ShopifyCallEffect } from './shopify-error.js';

const moneySchema = z.object({ amount: z.string(), currencyCode: z.string() });
const moneyBagSchema = z.object({ presentmentMoney: moneySchema });

const transactionSchema = z.object({
  id: z.string(),
  kind: z.string(),
  status: z.string(),
  gateway: z.string().nullable(),
  manualPaymentGateway: z.boolean(),
  authorizationCode: z.string().nullable(),
  receiptJson: z.unknown().optional(),
  createdAt: z.string(),
  amountSet: moneyBagSchema,
  parentTransaction: z.object({ id: z.string() }).nullable(),
});

/** The `PaymigrateOrder` fragment's shape. */
const orderNodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  displayFinancialStatus: z.string().nullable(),
  displayFulfillmentStatus: z.string(),
  returnStatus: z.string().nullable().optional(),
  cancelledAt: z.string().nullable(),
  closed: z.boolean(),
  updatedAt: z.string(),
  presentmentCurrencyCode: z.string(),
  totalPriceSet: moneyBagSchema,
  customer: z.object({ id: z.string() }).nullable(),
  transactions: z.array(transactionSchema),
  capturableTransactions: z.array(z.object({ id: z.string() })),
  refunds: z.array(z.object({ id: z.string(), note: z.string().nullable(), totalRefundedSet: moneyBagSchema })),
});

/** A Shopify transaction with what the adapter needs besides the port's fields. */
export interface ShopifyTransactionView extends PlatformTransaction {
  /** Shopify's `OrderTransactionKind` (`AUTHORIZATION`, `CAPTURE`, `SALE`, ...). */
  readonly shopifyKind: string;
  /** The parent transaction's id (the authorization of a capture, the capture of a refund). */
  readonly parentId: string | undefined;
  /** `manualPaymentGateway`: a manual payment (cash, bank transfer, `orderMarkAsPaid`), whose refunds move no money. */
  readonly manualGateway: boolean;
}

/** A refund on the order. */
export interface ShopifyRefundView {
  readonly id: string;
  readonly note: string | undefined;
  readonly amount: Money;
}

/** An order as the adapter reads it: the port's view plus what payment recording needs. */
export interface ShopifyOrderView {
  readonly order: PlatformOrder;
  /** The presentment currency: the customer's, the one payments are made in. */
  readonly currency: string;
  /** Every money transaction, in Shopify's order. */
  readonly transactions: readonly ShopifyTransactionView[];
  /** Ids of the authorizations Shopify says can still be captured. */
  readonly capturableIds: ReadonlySet<string>;
  readonly refunds: readonly ShopifyRefundView[];
}

/**
 * Shopify transaction kinds as the port's kinds. `CHANGE` (cash handed back at a point of sale)
 * and `SUGGESTED_REFUND` (a computation, never on an order) are not payment operations of a
 * provider and are not reported.
 */
const kinds: Readonly<Record<string, PlatformTransaction['kind']>> = {
  AUTHORIZATION: 'authorization',
  EMV_AUTHORIZATION: 'authorization',
  CAPTURE: 'capture',
  SALE: 'sale',
  REFUND: 'refund',
  VOID: 'void',
};

/** Shopify transaction statuses as the port's; `AWAITING_RESPONSE`, `UNKNOWN` and anything new are `pending` (not final). */
function statusOf(status: string): PlatformTransaction['status'] {
  switch (status) {
    case 'SUCCESS':
      return 'success';
    case 'FAILURE':
      return 'failure';
    case 'ERROR':
      return 'error';
    default:
      return 'pending';
  }
}

/** Receipt fields that carry the gateway's payment reference, most specific first. */
const receiptReferenceKeys = ['payment_intent', 'pspReference', 'psp_reference', 'transaction_id', 'reference', 'id', 'authorization'] as const;

/**
 * The provider's reference of a transaction: its `authorizationCode`, else the reference in the
 * gateway receipt (`receiptJson`, which Shopify serves as a JSON string or object).
 */
export function providerReferenceOf(authorizationCode: string | null, receiptJson: unknown): string | undefined {
  if (authorizationCode !== null && authorizationCode !== '') return authorizationCode;
  let receipt = receiptJson;
  if (typeof receipt === 'string') {
    try {
      receipt = JSON.parse(receipt);
    } catch {
      return undefined;
    }
  }
  if (typeof receipt !== 'object' || receipt === null) return undefined;
  for (const key of receiptReferenceKeys) {
    const value = (receipt as Record<string, unknown>)[key];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

function timeOf(value: string, field: string, fail: (detail: string) => ProviderError): number {
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw fail(`${field} '${value}' is not a DateTime`);
  return time;
}

function moneyOf(value: { readonly amount: string; readonly currencyCode: string }, field: string, fail: (detail: string, cause?: unknown) => ProviderError): Money {
  try {
    return Money.fromDecimal(value.amount, value.currencyCode);
  } catch (error) {
    throw fail(`${field} ${value.amount} ${value.currencyCode} is not an amount paymigrate can hold`, error);
  }
}

/**
 * Reads one `PaymigrateOrder` node. A node that does not have the fragment's shape is a
 * malformed answer (after a write: an unknown outcome).
 *
 * @throws ImpossiblePlatformStateError (core's `mapShopifyOrderStatus`) for statuses the canonical
 *   machine cannot hold: a value outside the 2025-01 enums or a null financial status, goods
 *   shipped on a cancelled order or without captured money. It names the order and both statuses.
 */
export function readShopifyOrder(node: unknown, operation: string, effect: ShopifyCallEffect): ShopifyOrderView {
  const fail = (detail: string, cause?: unknown): ProviderError => malformedResponse(operation, detail, effect, cause);
  const parsed = orderNodeSchema.safeParse(node);
  if (!parsed.success) throw fail(`the order does not have the expected fields: ${parsed.error.issues.map((issue) => issue.path.join('.')).join(', ')}`, parsed.error);
  const raw = parsed.data;
  const transactions: ShopifyTransactionView[] = [];
  for (const transaction of raw.transactions) {
    const kind = kinds[transaction.kind];
    if (kind === undefined) continue;
    transactions.push(
      Object.freeze({
        id: transaction.id,
        kind,
        status: statusOf(transaction.status),
        amount: moneyOf(transaction.amountSet.presentmentMoney, `transaction ${transaction.id} amount`, fail),
        gateway: transaction.gateway ?? '',
        providerReference: providerReferenceOf(transaction.authorizationCode, transaction.receiptJson),
        createdAt: timeOf(transaction.createdAt, `transaction ${transaction.id} createdAt`, fail),
        shopifyKind: transaction.kind,
        parentId: transaction.parentTransaction?.id,
        manualGateway: transaction.manualPaymentGateway,
      }),
    );
  }
  const cancelledAt = raw.cancelledAt === null ? undefined : timeOf(raw.cancelledAt, 'cancelledAt', fail);
  // Core's Shopify table is the single source of truth; statuses it cannot map (a null financial
  // status among them) throw ImpossiblePlatformStateError naming the order.
  const canonicalState = mapShopifyOrderStatus(raw, { orderId: raw.id });
  const order: PlatformOrder = Object.freeze({
    orderId: raw.id,
    name: raw.name,
    platformFinancialStatus: String(raw.displayFinancialStatus),
    platformFulfillmentStatus: raw.displayFulfillmentStatus,
    canonicalState,
    total: moneyOf(raw.totalPriceSet.presentmentMoney, 'totalPriceSet', fail),
    transactions: Object.freeze(transactions.map(({ shopifyKind: _shopifyKind, parentId: _parentId, manualGateway: _manualGateway, ...transaction }) => Object.freeze(transaction))),
    customerId: raw.customer?.id,
    updatedAt: timeOf(raw.updatedAt, 'updatedAt', fail),
    cancelledAt,
  });
  return {
    order,
    currency: raw.presentmentCurrencyCode,
    transactions,
    capturableIds: new Set(raw.capturableTransactions.map((transaction) => transaction.id)),
    refunds: raw.refunds.map((refund) => ({ id: refund.id, note: refund.note ?? undefined, amount: moneyOf(refund.totalRefundedSet.presentmentMoney, `refund ${refund.id} total`, fail) })),
  };
}
