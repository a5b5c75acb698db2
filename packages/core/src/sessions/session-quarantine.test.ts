import { describe, expect, it } from 'vitest';
import { Money } from '../money/money.js';
import { testCardNumber } from './__fixtures__/session-fixtures.js';
import { recoverCartId, sessionFromPlatformCart } from './session-quarantine.js';

describe('recoverCartId', () => {
  it('finds a cart id in JSON, in broken JSON, and in snake case', () => {
    expect(recoverCartId('{"cartId":"gid://shopify/Cart/1","x":')).toBe('gid://shopify/Cart/1');
    expect(recoverCartId('{"cart_id" : "c-2"')).toBe('c-2');
    expect(recoverCartId('{"cartID":"c-3"}')).toBe('c-3');
  });

  it('finds nothing where there is none, or where it would be card data', () => {
    expect(recoverCartId('{"cart":{}}')).toBeUndefined();
    expect(recoverCartId(`{"cartId":"${testCardNumber}"}`)).toBeUndefined();
  });
});

describe('sessionFromPlatformCart', () => {
  it('builds a v2 session from the cart, deterministic by the cart', () => {
    const cart = {
      cartId: 'cart-1',
      customerId: 'customer-1',
      currency: 'EUR',
      lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: Money.of(1250, 'EUR'), title: 'Mug' }],
      updatedAt: 1_000,
    };
    const rebuilt = sessionFromPlatformCart(cart);
    expect(rebuilt?.session).toStrictEqual({
      schemaVersion: 2,
      customerId: 'customer-1',
      cartId: 'cart-1',
      cart: { currency: 'EUR', lines: [{ sku: 'SKU-1', quantity: 2, unitPrice: { minorUnits: '1250', currency: 'EUR' }, title: 'Mug' }] },
      preferences: {},
      updatedAt: 1_000,
    });
    expect(sessionFromPlatformCart(cart)?.text).toBe(rebuilt?.text);
  });

  it('refuses a cart that does not make a valid session', () => {
    expect(sessionFromPlatformCart({ cartId: 'c', currency: 'EUR', lines: [{ sku: 'A', quantity: 0, unitPrice: Money.of(1, 'EUR') }], updatedAt: 0 })).toBeUndefined();
    expect(
      sessionFromPlatformCart({ cartId: 'c', currency: 'EUR', lines: [{ sku: 'A', quantity: 1, unitPrice: Money.of(1, 'EUR'), title: `card ${testCardNumber}` }], updatedAt: 0 }),
    ).toBeUndefined();
  });
});
