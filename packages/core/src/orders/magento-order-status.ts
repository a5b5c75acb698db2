import type { OrderState } from '../order/order-state.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import { defineOrderStateMapping, type OrderStateMapping, type PlatformStatusContext } from './order-state-mapping.js';

/** Magento 2 order states (`Magento\Sales\Model\Order::STATE_*`), every value. */
export const magentoOrderStates = ['new', 'pending_payment', 'processing', 'complete', 'closed', 'canceled', 'holded', 'payment_review'] as const;

/** One of `magentoOrderStates`. */
export type MagentoOrderState = (typeof magentoOrderStates)[number];

/**
 * Magento 2's default order statuses and the states each is assigned to (`sales_order_status_state`
 * as installed). Statuses are configurable labels: a shop may add its own, which map by their state.
 */
export const magentoDefaultStatuses: Readonly<Record<string, readonly MagentoOrderState[]>> = Object.freeze({
  pending: ['new'],
  pending_payment: ['pending_payment'],
  processing: ['processing'],
  fraud: ['processing', 'payment_review'],
  payment_review: ['payment_review'],
  holded: ['holded'],
  complete: ['complete'],
  closed: ['closed'],
  canceled: ['canceled'],
});

/** A Magento order's state and status. */
export interface MagentoOrderStatus {
  /** `sales_order.state`. */
  readonly state: MagentoOrderState;
  /** `sales_order.status`: a default status or a shop's own label on the state. */
  readonly status: string;
}

/** The same as read from the REST API (`state`, `status` of `GET /V1/orders/{id}`), not yet checked. */
export interface MagentoOrderStatusInput {
  /** `state`. */
  readonly state: string | null | undefined;
  /** `status`. */
  readonly status: string | null | undefined;
}

/**
 * The canonical state of each Magento state. `processing` ("invoiced, being prepared") is `paid`:
 * Magento shows authorize-only, partially invoiced, partially shipped and partially refunded orders
 * as `processing` too, which its state and status cannot tell apart (see the inexpressible states).
 */
const byState: Readonly<Record<MagentoOrderState, OrderState>> = {
  new: 'payment_pending',
  pending_payment: 'payment_pending',
  processing: 'paid',
  complete: 'fulfilled',
  closed: 'refunded',
  canceled: 'cancelled',
  holded: 'on_hold',
  payment_review: 'on_hold',
};

/**
 * The canonical state of a Magento 2 order from its state and status.
 *
 * - By state: `new` and `pending_payment` -> `payment_pending`, `processing` -> `paid`, `complete`
 *   -> `fulfilled`, `closed` (fully credited) -> `refunded`, `canceled` -> `cancelled`, `holded`
 *   and `payment_review` -> `on_hold`.
 * - Status `fraud` ("Suspected Fraud") is a review: `on_hold`, also on `processing`.
 * - A shop's own status maps by its state.
 *
 * @throws ImpossiblePlatformStateError for an unknown state, a missing status, or a default status
 *   on a state Magento does not assign it to (state `new` with status `complete`).
 * @example mapMagentoOrderStatus({ state: 'processing', status: 'fraud' }) // 'on_hold'
 */
export function mapMagentoOrderStatus(input: MagentoOrderStatusInput, context: PlatformStatusContext = {}): OrderState {
  const { state, status } = input;
  const impossible = (reason: string): ImpossiblePlatformStateError =>
    new ImpossiblePlatformStateError({ platform: 'magento', orderId: context.orderId, states: { state: String(state), status: String(status) }, reason });
  if (typeof state !== 'string' || !(magentoOrderStates as readonly string[]).includes(state)) {
    throw impossible(`the state is not a Magento order state (${magentoOrderStates.join(', ')})`);
  }
  if (typeof status !== 'string' || status.length === 0) {
    throw impossible('every Magento order has a status');
  }
  const assigned = Object.hasOwn(magentoDefaultStatuses, status) ? magentoDefaultStatuses[status] : undefined;
  if (assigned !== undefined && !assigned.includes(state as MagentoOrderState)) {
    throw impossible(`Magento assigns the default status '${status}' only to state ${assigned.join(' or ')}`);
  }
  return status === 'fraud' ? 'on_hold' : byState[state as MagentoOrderState];
}

/**
 * Magento 2 and the canonical order states, both ways (see `mapMagentoOrderStatus`). Magento's
 * state and status say little about money, so many canonical states are not expressible; an
 * adapter that needs them reads the order's totals (paid, invoiced, refunded) as well.
 */
export const magentoOrderStateMapping: OrderStateMapping<MagentoOrderStatus, MagentoOrderStatusInput> = defineOrderStateMapping({
  platform: 'magento',
  toCanonical: mapMagentoOrderStatus,
  shows: {
    payment_pending: { state: 'pending_payment', status: 'pending_payment' },
    paid: { state: 'processing', status: 'processing' },
    fulfilled: { state: 'complete', status: 'complete' },
    on_hold: { state: 'holded', status: 'holded' },
    refunded: { state: 'closed', status: 'closed' },
    cancelled: { state: 'canceled', status: 'canceled' },
  },
  inexpressible: {
    cart: { nearest: 'payment_pending', reason: 'a Magento cart is a quote, not an order' },
    checkout: { nearest: 'payment_pending', reason: 'Magento creates the order when checkout is placed; before that it is a quote' },
    authorized: { nearest: 'paid', reason: 'Magento shows an authorize-only order as processing, like an invoiced one' },
    partially_paid: { nearest: 'paid', reason: 'a partially invoiced order stays processing' },
    partially_fulfilled: { nearest: 'paid', reason: 'a partially shipped order stays processing' },
    return_requested: { nearest: 'fulfilled', reason: 'returns (RMA) are an Adobe Commerce module outside the order state; the order stays complete' },
    partially_refunded: { nearest: 'paid', reason: 'a partial credit memo leaves the order processing' },
    expired: { nearest: 'paid', reason: 'Magento does not track authorization expiry: the order stays processing' },
    failed: { nearest: 'cancelled', reason: 'Magento cancels an order whose payment failed' },
  },
});

/**
 * The Magento state and status a canonical state shows (an inexpressible state shows its nearest state's).
 *
 * @example toMagentoOrderStatus('on_hold') // { state: 'holded', status: 'holded' }
 */
export function toMagentoOrderStatus(state: OrderState): MagentoOrderStatus {
  return magentoOrderStateMapping.fromCanonical(state);
}
