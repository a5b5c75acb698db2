import { describe, expect, it } from 'vitest';
import { type OrderState, orderStates } from '../order/order-state.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import { mapWooCommerceOrderStatus, toWooCommerceOrderStatus, wooCommerceOrderStateMapping, wooCommerceOrderStatuses } from './woocommerce-order-status.js';

/** Every WooCommerce core status and its canonical state, written by hand from WooCommerce's documentation. */
const expected: ReadonlyArray<readonly [string, OrderState]> = [
  ['pending', 'payment_pending'],
  ['processing', 'paid'],
  ['on-hold', 'on_hold'],
  ['completed', 'fulfilled'],
  ['cancelled', 'cancelled'],
  ['refunded', 'refunded'],
  ['failed', 'failed'],
  ['checkout-draft', 'checkout'],
];

describe('mapWooCommerceOrderStatus', () => {
  it('the table covers every core status', () => {
    expect(expected.map(([status]) => status)).toEqual([...wooCommerceOrderStatuses]);
  });

  it.each(expected)('%s -> %s, with or without the wc- prefix', (status, state) => {
    expect(mapWooCommerceOrderStatus(status)).toBe(state);
    expect(mapWooCommerceOrderStatus(`wc-${status}`)).toBe(state);
  });

  it.each(['shipped', 'wc-', '', null, undefined, 'toString', 'Processing'])('refuses %s, naming the order and the status', (status) => {
    let error: unknown;
    try {
      mapWooCommerceOrderStatus(status, { orderId: '1042' });
    } catch (caught) {
      error = caught;
    }
    expect(ImpossiblePlatformStateError.isInstance(error)).toBe(true);
    const impossible = error as ImpossiblePlatformStateError;
    expect(impossible.platform).toBe('woocommerce');
    expect(impossible.states).toEqual({ status: String(status) });
    expect(impossible.message).toContain("Order '1042' on woocommerce");
  });
});

describe('wooCommerceOrderStateMapping: round trips', () => {
  it('splits the canonical states into expressible and inexpressible ones, together all of them', () => {
    expect(wooCommerceOrderStateMapping.expressible).toEqual(['checkout', 'payment_pending', 'paid', 'fulfilled', 'on_hold', 'refunded', 'failed', 'cancelled']);
    expect([...wooCommerceOrderStateMapping.expressible, ...Object.keys(wooCommerceOrderStateMapping.inexpressible)].sort()).toEqual([...orderStates].sort());
  });

  it.each(wooCommerceOrderStateMapping.expressible)('%s -> WooCommerce -> canonical is the identity', (state) => {
    expect(mapWooCommerceOrderStatus(toWooCommerceOrderStatus(state))).toBe(state);
  });

  it.each(Object.entries(wooCommerceOrderStateMapping.inexpressible))('%s is shown as its nearest state', (state, { nearest }) => {
    expect(wooCommerceOrderStateMapping.expressible).toContain(nearest);
    expect(mapWooCommerceOrderStatus(toWooCommerceOrderStatus(state as OrderState))).toBe(nearest);
  });

  it('shows an authorized order on-hold, as WooCommerce gateways do', () => {
    expect(toWooCommerceOrderStatus('authorized')).toBe('on-hold');
  });
});
