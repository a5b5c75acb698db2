import type { OrderState } from '../order/order-state.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import { defineOrderStateMapping, type OrderStateMapping, type PlatformStatusContext } from './order-state-mapping.js';

/** WooCommerce core order statuses (REST API form, without the database's `wc-` prefix), every value. */
export const wooCommerceOrderStatuses = ['pending', 'processing', 'on-hold', 'completed', 'cancelled', 'refunded', 'failed', 'checkout-draft'] as const;

/** One of `wooCommerceOrderStatuses`. */
export type WooCommerceOrderStatus = (typeof wooCommerceOrderStatuses)[number];

/** The canonical state of each WooCommerce status: one to one. */
const byStatus: Readonly<Record<WooCommerceOrderStatus, OrderState>> = {
  'checkout-draft': 'checkout',
  pending: 'payment_pending',
  // "On hold: awaiting payment confirmation" (bank transfer, cheque, an authorization to capture).
  'on-hold': 'on_hold',
  processing: 'paid',
  completed: 'fulfilled',
  refunded: 'refunded',
  failed: 'failed',
  cancelled: 'cancelled',
};

/**
 * The canonical state of a WooCommerce order status. The database form with the `wc-` prefix
 * (`wc-processing`) is accepted too.
 *
 * @throws ImpossiblePlatformStateError for a status outside WooCommerce core (a plugin's own status
 *   has no canonical meaning paymigrate could rely on).
 * @example mapWooCommerceOrderStatus('wc-on-hold') // 'on_hold'
 */
export function mapWooCommerceOrderStatus(status: string | null | undefined, context: PlatformStatusContext = {}): OrderState {
  const plain = typeof status === 'string' && status.startsWith('wc-') ? status.slice(3) : status;
  if (typeof plain !== 'string' || !(wooCommerceOrderStatuses as readonly string[]).includes(plain)) {
    throw new ImpossiblePlatformStateError({
      platform: 'woocommerce',
      orderId: context.orderId,
      states: { status: String(status) },
      reason: `the status is not a WooCommerce core order status (${wooCommerceOrderStatuses.join(', ')})`,
    });
  }
  return byStatus[plain as WooCommerceOrderStatus];
}

/** WooCommerce and the canonical order states, both ways (see `mapWooCommerceOrderStatus`). */
export const wooCommerceOrderStateMapping: OrderStateMapping<WooCommerceOrderStatus, string | null | undefined> = defineOrderStateMapping({
  platform: 'woocommerce',
  toCanonical: mapWooCommerceOrderStatus,
  shows: Object.fromEntries(Object.entries(byStatus).map(([status, state]) => [state, status])) as Partial<Record<OrderState, WooCommerceOrderStatus>>,
  inexpressible: {
    cart: { nearest: 'checkout', reason: 'a WooCommerce cart lives in the session; the first order is the checkout draft' },
    authorized: { nearest: 'on_hold', reason: 'WooCommerce gateways put an authorized, uncaptured order on-hold' },
    partially_paid: { nearest: 'paid', reason: 'WooCommerce has no partial payment status; a partially captured order is processing' },
    partially_fulfilled: { nearest: 'paid', reason: 'WooCommerce core has no partial shipment status; the order stays processing' },
    return_requested: { nearest: 'fulfilled', reason: 'WooCommerce core has no returns; the order stays completed' },
    partially_refunded: { nearest: 'paid', reason: 'a partial refund leaves the order status unchanged (processing)' },
    expired: { nearest: 'failed', reason: 'WooCommerce has no expiry status; gateways mark a lapsed authorization failed' },
  },
});

/**
 * The WooCommerce status a canonical state shows (an inexpressible state shows its nearest state's).
 *
 * @example toWooCommerceOrderStatus('authorized') // 'on-hold'
 */
export function toWooCommerceOrderStatus(state: OrderState): WooCommerceOrderStatus {
  return wooCommerceOrderStateMapping.fromCanonical(state);
}
