import type { OrderState } from '@paymigrate/core';

/** What the canonical state of a Shopify order is computed from (the Admin API's own fields). */
export interface ShopifyOrderStatuses {
  /** `Order.displayFinancialStatus`; `null` when Shopify shows none. */
  readonly displayFinancialStatus: string | null;
  /** `Order.displayFulfillmentStatus`. */
  readonly displayFulfillmentStatus: string;
  /** `Order.cancelledAt`, ISO 8601, or `null`. */
  readonly cancelledAt: string | null;
  /** `Order.closed` (archived). */
  readonly closed: boolean;
  /** `Order.returnStatus`, when read. */
  readonly returnStatus?: string | null | undefined;
}

/** Return statuses of a return the customer asked for and that is not finished. */
const returnsInProgress: ReadonlySet<string> = new Set(['RETURN_REQUESTED', 'IN_PROGRESS', 'INSPECTION_COMPLETE']);

/**
 * The canonical order state of a Shopify order. Private to the adapter until core's shared
 * mapping table exists; the table, in order of precedence:
 *
 * | Shopify | canonical |
 * |---|---|
 * | `cancelledAt` set (whatever the rest) | `cancelled` |
 * | `REFUNDED` | `refunded` |
 * | `PARTIALLY_REFUNDED`, return requested / in progress / inspected | `return_requested` |
 * | `PARTIALLY_REFUNDED` | `partially_refunded` |
 * | `PAID`, return requested / in progress / inspected | `return_requested` |
 * | `PAID` + `FULFILLED` | `fulfilled` |
 * | `PAID` + `PARTIALLY_FULFILLED` | `partially_fulfilled` |
 * | `PAID` (any other fulfillment status, `ON_HOLD` included: the money is settled) | `paid` |
 * | `PARTIALLY_PAID` / `AUTHORIZED` / `PENDING` + fulfillment `ON_HOLD` | `on_hold` |
 * | `PARTIALLY_PAID` | `partially_paid` |
 * | `AUTHORIZED` | `authorized` |
 * | `PENDING`, or no financial status | `payment_pending` |
 * | `EXPIRED` | `expired` |
 * | `VOIDED` (authorization released, order not cancelled: it can still be paid) | `failed` |
 * | any status this table does not know | `on_hold` (held for review, never taken as paid) |
 *
 * `closed` (archived) does not change the state: archiving is an administrative flag, and an
 * archived order that still holds an authorization must stay visible to a migration.
 */
export function mapShopifyOrderState(statuses: ShopifyOrderStatuses): OrderState {
  if (statuses.cancelledAt !== null) return 'cancelled';
  const returning = returnsInProgress.has(statuses.returnStatus ?? '');
  const held = statuses.displayFulfillmentStatus === 'ON_HOLD';
  switch (statuses.displayFinancialStatus) {
    case 'REFUNDED':
      return 'refunded';
    case 'PARTIALLY_REFUNDED':
      return returning ? 'return_requested' : 'partially_refunded';
    case 'PAID':
      if (returning) return 'return_requested';
      if (statuses.displayFulfillmentStatus === 'FULFILLED') return 'fulfilled';
      return statuses.displayFulfillmentStatus === 'PARTIALLY_FULFILLED' ? 'partially_fulfilled' : 'paid';
    case 'PARTIALLY_PAID':
      return held ? 'on_hold' : 'partially_paid';
    case 'AUTHORIZED':
      return held ? 'on_hold' : 'authorized';
    case 'PENDING':
    case null:
      return held ? 'on_hold' : 'payment_pending';
    case 'EXPIRED':
      return 'expired';
    case 'VOIDED':
      return 'failed';
    default:
      return 'on_hold';
  }
}

/**
 * The `financial_status` search values of the orders that can be open (`isOpenOrderState`) by
 * `mapShopifyOrderState`; `listOpenOrders` filters on them.
 */
export const openFinancialStatuses: readonly string[] = Object.freeze(['pending', 'authorized', 'partially_paid', 'expired', 'voided']);
