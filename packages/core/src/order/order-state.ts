import { defineStateMachine, type StateMachine } from '../state-machine/state-machine.js';

/**
 * The canonical states of an order, whatever the commerce platform (Shopify financial and
 * fulfillment statuses, Magento states, WooCommerce statuses). Platform adapters map to these.
 *
 * - `cart` / `checkout`: the customer is still shopping / checking out.
 * - `payment_pending`: a payment was started and has no outcome yet.
 * - `authorized`: funds are held, nothing captured.
 * - `partially_paid` / `paid`: part / all of the total was captured.
 * - `partially_fulfilled` / `fulfilled`: part / all of the goods shipped (paid orders only).
 * - `on_hold`: stopped for review (fraud check, stock, manual hold).
 * - `return_requested`: the customer asked to return goods.
 * - `partially_refunded` / `refunded`: part / all of the money went back.
 * - `expired`: the authorization expired before capture.
 * - `failed`: the payment failed; the customer may try again.
 * - `cancelled`: abandoned for good.
 */
export const orderStates = [
  'cart',
  'checkout',
  'payment_pending',
  'authorized',
  'partially_paid',
  'paid',
  'partially_fulfilled',
  'fulfilled',
  'on_hold',
  'return_requested',
  'partially_refunded',
  'refunded',
  'expired',
  'failed',
  'cancelled',
] as const;

/** One of `orderStates`. */
export type OrderState = (typeof orderStates)[number];

/**
 * The canonical order state machine (machine name `order`). Terminal: `refunded`, `cancelled`.
 * Self-transitions exist only where a step repeats (another partial payment, shipment or refund).
 */
export const orderStateMachine: StateMachine<OrderState> = defineStateMachine<OrderState>({
  name: 'order',
  transitions: {
    cart: ['checkout', 'cancelled'],
    checkout: ['cart', 'payment_pending', 'cancelled'],
    payment_pending: ['authorized', 'partially_paid', 'paid', 'on_hold', 'failed', 'cancelled'],
    authorized: ['partially_paid', 'paid', 'on_hold', 'expired', 'failed', 'cancelled'],
    partially_paid: ['partially_paid', 'paid', 'partially_fulfilled', 'on_hold', 'partially_refunded', 'refunded'],
    // Cancelling a paid order needs a refund as compensation; the synchronizer issues it.
    paid: ['partially_fulfilled', 'fulfilled', 'on_hold', 'return_requested', 'partially_refunded', 'refunded', 'cancelled'],
    partially_fulfilled: ['partially_fulfilled', 'fulfilled', 'on_hold', 'return_requested', 'partially_refunded', 'refunded'],
    fulfilled: ['return_requested', 'partially_refunded', 'refunded'],
    on_hold: ['payment_pending', 'authorized', 'paid', 'partially_fulfilled', 'cancelled'],
    // `fulfilled` here: the return was declined.
    return_requested: ['fulfilled', 'partially_refunded', 'refunded'],
    partially_refunded: ['partially_refunded', 'partially_fulfilled', 'fulfilled', 'return_requested', 'refunded'],
    refunded: [],
    expired: ['payment_pending', 'cancelled'],
    failed: ['payment_pending', 'cancelled'],
    cancelled: [],
  },
});

const openOrderStates: ReadonlySet<OrderState> = new Set<OrderState>([
  'checkout',
  'payment_pending',
  'authorized',
  'partially_paid',
  'on_hold',
  'expired',
  'failed',
]);

/**
 * True for an order whose payment is not settled yet: money may still be authorized, captured,
 * retried or released, so a migration must carry it across providers rather than leave it behind.
 *
 * Open: `checkout`, `payment_pending`, `authorized`, `partially_paid`, `on_hold`, `expired`, `failed`.
 * - `expired` and `failed` are open because both may return to `payment_pending` (re-authorize,
 *   customer retry) until someone cancels them.
 * - `on_hold` is open because a hold may end in a new authorization, a capture or a cancellation
 *   (which must release any held funds); treating it as settled would strand an authorization.
 *
 * Not open:
 * - `cart`: no payment has been started, so there is no payment work to carry.
 * - `paid`, `partially_fulfilled`, `fulfilled`, `return_requested`, `partially_refunded`: the money
 *   was collected; only fulfillment and refunds (against the provider that captured) remain.
 * - `refunded`, `cancelled`: terminal.
 */
export function isOpenOrderState(state: OrderState): boolean {
  return openOrderStates.has(state);
}
