import { describe, expect, it } from 'vitest';
import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { ImpossiblePlatformStateError, OrderNotFoundError } from './order-sync-errors.js';

const impossible = new ImpossiblePlatformStateError({
  platform: 'shopify',
  orderId: 'gid://shopify/Order/7',
  states: { displayFinancialStatus: 'VOIDED', displayFulfillmentStatus: 'FULFILLED' },
  reason: 'goods shipped while no money was captured',
});
const notFound = new OrderNotFoundError({ orderId: 'order-404' });

describe('ImpossiblePlatformStateError', () => {
  it('is a paymigrate error with its own code, fields and message', () => {
    expect(PaymigrateError.isInstance(impossible)).toBe(true);
    expect(impossible).toBeInstanceOf(Error);
    expect(impossible.name).toBe('ImpossiblePlatformStateError');
    expect(impossible.code).toBe('ORDER_IMPOSSIBLE_PLATFORM_STATE');
    expect(impossible.isRetryable).toBe(false);
    expect(impossible.message).toBe(
      "Order 'gid://shopify/Order/7' on shopify is in a state paymigrate cannot map: displayFinancialStatus 'VOIDED' with displayFulfillmentStatus 'FULFILLED' (goods shipped while no money was captured). No canonical state is guessed; correct the order on shopify or resolve its escalation.",
    );
    expect(Object.isFrozen(impossible.states)).toBe(true);
    expect(impossible.toJSON()).toMatchObject({ platform: 'shopify', orderId: 'gid://shopify/Order/7', reason: 'goods shipped while no money was captured' });
  });

  it('is recognized by its Symbol.for marker, also from another copy of core', () => {
    const foreign = Object.assign(new Error('from another copy'), { [Symbol.for('paymigrate.error.orders.impossible-platform-state')]: true });
    expect(ImpossiblePlatformStateError.isInstance(foreign)).toBe(true);
  });

  it('does not recognize other errors (negative test of the marker)', () => {
    expect(ImpossiblePlatformStateError.isInstance(notFound)).toBe(false);
    expect(ImpossiblePlatformStateError.isInstance(new IllegalTransitionError({ machine: 'order', from: 'paid', to: 'cart', allowed: [] }))).toBe(false);
    expect(ImpossiblePlatformStateError.isInstance(new PaymigrateError('X', 'x'))).toBe(false);
    expect(ImpossiblePlatformStateError.isInstance(new Error('plain'))).toBe(false);
    expect(ImpossiblePlatformStateError.isInstance(undefined)).toBe(false);
    expect(ImpossiblePlatformStateError.isInstance('ORDER_IMPOSSIBLE_PLATFORM_STATE')).toBe(false);
  });
});

describe('OrderNotFoundError', () => {
  it('names the order and how to fix it', () => {
    expect(notFound.code).toBe('ORDER_NOT_FOUND');
    expect(notFound.orderId).toBe('order-404');
    expect(notFound.message).toContain("Order 'order-404'");
    expect(notFound.message).toContain('registerOrder');
    expect(OrderNotFoundError.isInstance(notFound)).toBe(true);
  });

  it('does not recognize other errors', () => {
    expect(OrderNotFoundError.isInstance(impossible)).toBe(false);
    expect(OrderNotFoundError.isInstance(new Error('plain'))).toBe(false);
  });
});
