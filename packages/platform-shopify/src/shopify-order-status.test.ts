// The adapter takes every canonical state from core's Shopify table (mapShopifyOrderStatus). These
// cases pin the places where the adapter's former private table differed, each decided against
// Shopify's documented OrderDisplayFinancialStatus / OrderDisplayFulfillmentStatus (2025-01).
import { ImpossiblePlatformStateError, mapShopifyOrderStatus, type OrderState, shopifyFinancialStatuses, shopifyFulfillmentStatuses } from '@paymigrate/core';
import type { ShopifyFakeFinancialStatus, ShopifyFakeFulfillmentStatus } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { euros, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';
import { openFinancialStatuses } from './shopify-open-orders.js';
import { readShopifyOrder } from './shopify-order.js';

const { fake, platform } = useShopifyFake();

async function stateOf(financialStatus: ShopifyFakeFinancialStatus, fulfillmentStatus: ShopifyFakeFulfillmentStatus = 'UNFULFILLED'): Promise<OrderState | undefined> {
  const orderId = fake.addOrder({ total: euros(5000), financialStatus, fulfillmentStatus });
  return (await platform().getOrder({ orderId }))?.canonicalState;
}

/** An order node as the Admin API answers the adapter's fragment, with some statuses. */
function node(statuses: { readonly displayFinancialStatus: string | null; readonly displayFulfillmentStatus: string; readonly cancelledAt?: string | null }) {
  return {
    id: 'gid://shopify/Order/77',
    name: '#1077',
    returnStatus: 'NO_RETURN',
    cancelledAt: null,
    closed: false,
    updatedAt: '2026-01-01T00:00:01Z',
    presentmentCurrencyCode: 'EUR',
    totalPriceSet: { presentmentMoney: { amount: '50.0', currencyCode: 'EUR' } },
    customer: null,
    transactions: [],
    capturableTransactions: [],
    refunds: [],
    ...statuses,
  };
}

function impossibility(statuses: Parameters<typeof node>[0]): ImpossiblePlatformStateError {
  try {
    readShopifyOrder(node(statuses), 'order', 'read');
  } catch (error) {
    if (ImpossiblePlatformStateError.isInstance(error)) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(statuses)} to be impossible`);
}

describe('Shopify statuses the adapter once mapped on its own', () => {
  it('VOIDED is cancelled (Shopify: "an unpaid order was manually canceled"), not failed, and is no longer listed as open', async () => {
    expect(await stateOf('VOIDED')).toBe('cancelled');
    fake.reset();
    const voided = fake.addOrder({ total: euros(5000), financialStatus: 'VOIDED' });
    const authorized = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED' });
    const listed = (await platform().listOpenOrders({ limit: 10 })).items.map((order) => order.orderId);
    expect(listed).toEqual([authorized]);
    expect(listed).not.toContain(voided);
  });

  it('PARTIALLY_PAID + ON_HOLD is partially_paid: once money is taken a fulfillment hold is a shipping matter, as for PAID + ON_HOLD', async () => {
    expect(await stateOf('PARTIALLY_PAID', 'ON_HOLD')).toBe('partially_paid');
    expect(await stateOf('PAID', 'ON_HOLD')).toBe('paid');
    // Before money is taken the hold is the canonical review hold.
    expect(await stateOf('AUTHORIZED', 'ON_HOLD')).toBe('on_hold');
    expect(await stateOf('PENDING', 'ON_HOLD')).toBe('on_hold');
  });

  it('PARTIALLY_PAID with goods shipped follows the shipping (partially_fulfilled, fulfilled), as PAID does', async () => {
    expect(await stateOf('PARTIALLY_PAID', 'PARTIALLY_FULFILLED')).toBe('partially_fulfilled');
    expect(await stateOf('PARTIALLY_PAID', 'FULFILLED')).toBe('fulfilled');
  });

  it('a status outside the 2025-01 enums is an ImpossiblePlatformStateError naming the order, never taken for a hold', () => {
    const financial = impossibility({ displayFinancialStatus: 'SOMETHING_NEW', displayFulfillmentStatus: 'UNFULFILLED' });
    expect(financial).toMatchObject({ code: 'ORDER_IMPOSSIBLE_PLATFORM_STATE', platform: 'shopify', orderId: 'gid://shopify/Order/77' });
    expect(financial.message).toContain('SOMETHING_NEW');
    const fulfillment = impossibility({ displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'TELEPORTED' });
    expect(fulfillment.message).toContain('TELEPORTED');
  });

  it('no financial status (the field is nullable) is an ImpossiblePlatformStateError, not payment_pending', () => {
    expect(impossibility({ displayFinancialStatus: null, displayFulfillmentStatus: 'UNFULFILLED' }).message).toContain('null');
  });

  it('goods shipped without captured money, or on a cancelled order, are ImpossiblePlatformStateErrors, also from getOrder', async () => {
    expect(impossibility({ displayFinancialStatus: 'AUTHORIZED', displayFulfillmentStatus: 'FULFILLED' }).message).toContain('no money was captured');
    expect(impossibility({ displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'PARTIALLY_FULFILLED', cancelledAt: '2026-01-01T00:00:00Z' }).message).toContain('cancel');
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', fulfillmentStatus: 'FULFILLED' });
    const error = await thrownBy(() => platform().getOrder({ orderId }));
    expect(ImpossiblePlatformStateError.isInstance(error) && error.orderId === orderId).toBe(true);
  });
});

describe('core is the single source of truth', () => {
  it('every financial x fulfillment status the fake serves maps exactly as mapShopifyOrderStatus says (or fails the same way)', async () => {
    const adapter = platform();
    for (const financialStatus of shopifyFinancialStatuses) {
      for (const fulfillmentStatus of shopifyFulfillmentStatuses) {
        const orderId = fake.addOrder({ total: euros(5000), financialStatus, fulfillmentStatus });
        const expected = (() => {
          try {
            return mapShopifyOrderStatus({ displayFinancialStatus: financialStatus, displayFulfillmentStatus: fulfillmentStatus, cancelledAt: null });
          } catch (error) {
            return ImpossiblePlatformStateError.isInstance(error) ? 'impossible' : 'other error';
          }
        })();
        const actual = await adapter.getOrder({ orderId }).then(
          (order) => order?.canonicalState,
          (error: unknown) => (ImpossiblePlatformStateError.isInstance(error) ? 'impossible' : 'other error'),
        );
        expect(actual, `${financialStatus} + ${fulfillmentStatus}`).toBe(expected);
      }
    }
  });

  it('listOpenOrders searches exactly the financial statuses core can map to an open state', () => {
    expect([...openFinancialStatuses].sort()).toEqual(['authorized', 'expired', 'partially_paid', 'pending']);
  });
});
