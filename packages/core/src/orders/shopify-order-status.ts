import type { OrderState } from '../order/order-state.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import { defineOrderStateMapping, type OrderStateMapping, type PlatformStatusContext } from './order-state-mapping.js';

/** Shopify Admin GraphQL enum `OrderDisplayFinancialStatus` (API 2025-01), every value. */
export const shopifyFinancialStatuses = ['PENDING', 'AUTHORIZED', 'PARTIALLY_PAID', 'PARTIALLY_REFUNDED', 'VOIDED', 'PAID', 'REFUNDED', 'EXPIRED'] as const;

/** One of `shopifyFinancialStatuses`. */
export type ShopifyFinancialStatus = (typeof shopifyFinancialStatuses)[number];

/** Shopify Admin GraphQL enum `OrderDisplayFulfillmentStatus` (API 2025-01), every value. */
export const shopifyFulfillmentStatuses = [
  'UNFULFILLED',
  'PARTIALLY_FULFILLED',
  'FULFILLED',
  'RESTOCKED',
  'PENDING_FULFILLMENT',
  'OPEN',
  'IN_PROGRESS',
  'ON_HOLD',
  'SCHEDULED',
  'REQUEST_DECLINED',
] as const;

/** One of `shopifyFulfillmentStatuses`. */
export type ShopifyFulfillmentStatus = (typeof shopifyFulfillmentStatuses)[number];

/** Shopify Admin GraphQL enum `OrderReturnStatus` (API 2025-01), every value. */
export const shopifyReturnStatuses = ['IN_PROGRESS', 'INSPECTION_COMPLETE', 'NO_RETURN', 'RETURNED', 'RETURN_FAILED', 'RETURN_REQUESTED'] as const;

/** One of `shopifyReturnStatuses`. */
export type ShopifyReturnStatus = (typeof shopifyReturnStatuses)[number];

/** The Shopify facts that decide an order's canonical state, as `toShopifyOrderStatus` answers them. */
export interface ShopifyOrderStatus {
  /** `Order.displayFinancialStatus`. */
  readonly displayFinancialStatus: ShopifyFinancialStatus;
  /** `Order.displayFulfillmentStatus`. */
  readonly displayFulfillmentStatus: ShopifyFulfillmentStatus;
  /** Whether `Order.cancelledAt` is set. */
  readonly cancelled: boolean;
  /** `Order.closed` (archived). */
  readonly closed: boolean;
  /** `Order.returnStatus`. */
  readonly returnStatus: ShopifyReturnStatus;
}

/**
 * The same facts as an adapter reads them from the Admin API: pass the order node's fields
 * unchanged (`displayFinancialStatus` is nullable there; `cancelledAt` is a DateTime or null).
 * `cancelled: true` is accepted in place of `cancelledAt`, so a `ShopifyOrderStatus` is an input too.
 */
export interface ShopifyOrderStatusInput {
  /** `Order.displayFinancialStatus` (nullable in the API). */
  readonly displayFinancialStatus: string | null | undefined;
  /** `Order.displayFulfillmentStatus`. */
  readonly displayFulfillmentStatus: string | null | undefined;
  /** `Order.cancelledAt`: any non-empty value means cancelled. */
  readonly cancelledAt?: string | number | null | undefined;
  /** Cancelled, when the caller already has it as a flag. */
  readonly cancelled?: boolean | undefined;
  /** `Order.closed`. @default false */
  readonly closed?: boolean | null | undefined;
  /** `Order.returnStatus`, when read. @default 'NO_RETURN' */
  readonly returnStatus?: string | null | undefined;
}

/** What the fulfillment status says about shipped goods. */
type FulfillmentStage = 'none' | 'partial' | 'full' | 'hold';

/**
 * Shipped goods per fulfillment status. `IN_PROGRESS` ("some items fulfilled, or a request was sent
 * to the fulfillment service") counts as nothing shipped: Shopify still lets such an order be
 * cancelled, and a shipment is only certain once it reports `PARTIALLY_FULFILLED`.
 */
const fulfillmentStages: Readonly<Record<ShopifyFulfillmentStatus, FulfillmentStage>> = {
  UNFULFILLED: 'none',
  OPEN: 'none',
  PENDING_FULFILLMENT: 'none',
  IN_PROGRESS: 'none',
  SCHEDULED: 'none',
  REQUEST_DECLINED: 'none',
  RESTOCKED: 'none',
  PARTIALLY_FULFILLED: 'partial',
  FULFILLED: 'full',
  ON_HOLD: 'hold',
};

/** Return statuses of a return the customer asked for that is not finished. */
const returnsInProgress: ReadonlySet<ShopifyReturnStatus> = new Set<ShopifyReturnStatus>(['RETURN_REQUESTED', 'IN_PROGRESS', 'INSPECTION_COMPLETE']);

/** Financial statuses under which no money was captured: nothing may have shipped. */
const uncapturedStatuses: ReadonlySet<ShopifyFinancialStatus> = new Set(['PENDING', 'AUTHORIZED', 'VOIDED', 'EXPIRED']);

/** The canonical state per financial status, for each fulfillment stage (cancelled orders aside). */
const byFinancialStatus: Readonly<Record<ShopifyFinancialStatus, Readonly<Record<FulfillmentStage, OrderState>>>> = {
  // A hold before money is taken is the canonical review hold.
  PENDING: { none: 'payment_pending', hold: 'on_hold', partial: 'payment_pending', full: 'payment_pending' },
  AUTHORIZED: { none: 'authorized', hold: 'on_hold', partial: 'authorized', full: 'authorized' },
  // Once money is taken a fulfillment hold is a shipping matter: the payment state stands.
  PARTIALLY_PAID: { none: 'partially_paid', hold: 'partially_paid', partial: 'partially_fulfilled', full: 'fulfilled' },
  PAID: { none: 'paid', hold: 'paid', partial: 'partially_fulfilled', full: 'fulfilled' },
  // Refunds decide over shipping: the canonical machine reaches them from every shipped state.
  PARTIALLY_REFUNDED: { none: 'partially_refunded', hold: 'partially_refunded', partial: 'partially_refunded', full: 'partially_refunded' },
  REFUNDED: { none: 'refunded', hold: 'refunded', partial: 'refunded', full: 'refunded' },
  // Shopify: "an unpaid (authorized, not captured) order was manually canceled".
  VOIDED: { none: 'cancelled', hold: 'cancelled', partial: 'cancelled', full: 'cancelled' },
  EXPIRED: { none: 'expired', hold: 'expired', partial: 'expired', full: 'expired' },
};

function isOneOf<Value extends string>(values: readonly Value[], value: unknown): value is Value {
  return typeof value === 'string' && (values as readonly string[]).includes(value);
}

/**
 * The canonical state of a Shopify order from `displayFinancialStatus`, `displayFulfillmentStatus`,
 * `cancelledAt` and `closed` (and `returnStatus` when read).
 *
 * - Cancelled (`cancelledAt` set): `cancelled`, whatever was paid (a refund or void is the
 *   synchronizer's compensation), unless goods shipped.
 * - Otherwise by financial status: `PENDING` -> `payment_pending`, `AUTHORIZED` -> `authorized`
 *   (either with fulfillment `ON_HOLD`: `on_hold`), `PARTIALLY_PAID` -> `partially_paid`, `PAID` ->
 *   `paid`, both moving to `partially_fulfilled` / `fulfilled` as goods ship, `PARTIALLY_REFUNDED` ->
 *   `partially_refunded`, `REFUNDED` -> `refunded`, `VOIDED` -> `cancelled` (Shopify: "an unpaid
 *   order was manually canceled"), `EXPIRED` -> `expired`.
 * - A return asked for and not finished (`RETURN_REQUESTED`, `IN_PROGRESS`, `INSPECTION_COMPLETE`)
 *   on a `PAID` or `PARTIALLY_REFUNDED` order: `return_requested`.
 * - `closed` (archived) changes nothing: archiving is an administrative flag, and an archived order
 *   that still holds money must stay visible to the synchronizer (its deadlines escalate it).
 *
 * @throws ImpossiblePlatformStateError for a value outside the enums (or a null financial status),
 *   for goods shipped on a cancelled order (Shopify refuses to cancel fulfilled orders), and for
 *   goods shipped without captured money (the canonical machine ships only paid orders).
 * @example mapShopifyOrderStatus({ displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'PARTIALLY_FULFILLED', cancelledAt: null, closed: false }) // 'partially_fulfilled'
 */
export function mapShopifyOrderStatus(input: ShopifyOrderStatusInput, context: PlatformStatusContext = {}): OrderState {
  const financial = input.displayFinancialStatus;
  const fulfillment = input.displayFulfillmentStatus;
  const states = { displayFinancialStatus: String(financial), displayFulfillmentStatus: String(fulfillment) };
  const impossible = (reason: string, extra: Readonly<Record<string, string>> = {}): ImpossiblePlatformStateError =>
    new ImpossiblePlatformStateError({ platform: 'shopify', orderId: context.orderId, states: { ...states, ...extra }, reason });
  if (!isOneOf(shopifyFinancialStatuses, financial)) {
    throw impossible(`the financial status is not a value of OrderDisplayFinancialStatus (${shopifyFinancialStatuses.join(', ')})`);
  }
  if (!isOneOf(shopifyFulfillmentStatuses, fulfillment)) {
    throw impossible(`the fulfillment status is not a value of OrderDisplayFulfillmentStatus (${shopifyFulfillmentStatuses.join(', ')})`);
  }
  const returnStatus = input.returnStatus ?? 'NO_RETURN';
  if (!isOneOf(shopifyReturnStatuses, returnStatus)) {
    throw impossible(`the return status is not a value of OrderReturnStatus (${shopifyReturnStatuses.join(', ')})`, { returnStatus: String(returnStatus) });
  }
  const stage = fulfillmentStages[fulfillment];
  const shipped = stage === 'partial' || stage === 'full';
  const cancelled = input.cancelled === true || (input.cancelledAt !== undefined && input.cancelledAt !== null && input.cancelledAt !== '');
  if (cancelled) {
    if (shipped) throw impossible('Shopify refuses to cancel an order with fulfillments, so a cancelled order cannot have shipped goods', { cancelled: 'true' });
    return 'cancelled';
  }
  if (shipped && uncapturedStatuses.has(financial)) {
    throw impossible('goods shipped while no money was captured; the canonical order ships only orders whose payment was captured');
  }
  if (returnsInProgress.has(returnStatus) && (financial === 'PAID' || financial === 'PARTIALLY_REFUNDED')) return 'return_requested';
  return byFinancialStatus[financial][stage];
}

/** What Shopify shows for each expressible canonical state. */
const shopifyShows: Readonly<Partial<Record<OrderState, ShopifyOrderStatus>>> = {
  payment_pending: { displayFinancialStatus: 'PENDING', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  authorized: { displayFinancialStatus: 'AUTHORIZED', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  partially_paid: { displayFinancialStatus: 'PARTIALLY_PAID', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  paid: { displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  partially_fulfilled: { displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'PARTIALLY_FULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  fulfilled: { displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'FULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  return_requested: { displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'FULFILLED', cancelled: false, closed: false, returnStatus: 'RETURN_REQUESTED' },
  on_hold: { displayFinancialStatus: 'AUTHORIZED', displayFulfillmentStatus: 'ON_HOLD', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  partially_refunded: { displayFinancialStatus: 'PARTIALLY_REFUNDED', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  refunded: { displayFinancialStatus: 'REFUNDED', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  expired: { displayFinancialStatus: 'EXPIRED', displayFulfillmentStatus: 'UNFULFILLED', cancelled: false, closed: false, returnStatus: 'NO_RETURN' },
  cancelled: { displayFinancialStatus: 'VOIDED', displayFulfillmentStatus: 'UNFULFILLED', cancelled: true, closed: true, returnStatus: 'NO_RETURN' },
};

/**
 * Shopify and the canonical order states, both ways (see `mapShopifyOrderStatus`).
 *
 * Not expressible on Shopify: `cart` and `checkout` (Shopify creates an order only when checkout
 * completes; nearest `payment_pending`) and `failed` (no such financial status; nearest `expired`,
 * which some providers use for failed processing).
 */
export const shopifyOrderStateMapping: OrderStateMapping<ShopifyOrderStatus, ShopifyOrderStatusInput> = defineOrderStateMapping({
  platform: 'shopify',
  toCanonical: mapShopifyOrderStatus,
  shows: shopifyShows,
  inexpressible: {
    cart: { nearest: 'payment_pending', reason: 'Shopify creates an order only when checkout completes: a cart is not an order' },
    checkout: { nearest: 'payment_pending', reason: 'Shopify creates an order only when checkout completes: an open checkout is not an order' },
    failed: { nearest: 'expired', reason: 'Shopify has no failed financial status; some providers report failed processing as EXPIRED' },
  },
});

/**
 * The Shopify statuses a canonical state shows (an inexpressible state shows its nearest state's).
 *
 * @example toShopifyOrderStatus('on_hold') // { displayFinancialStatus: 'AUTHORIZED', displayFulfillmentStatus: 'ON_HOLD', cancelled: false, closed: false, returnStatus: 'NO_RETURN' }
 */
export function toShopifyOrderStatus(state: OrderState): ShopifyOrderStatus {
  return shopifyOrderStateMapping.fromCanonical(state);
}
