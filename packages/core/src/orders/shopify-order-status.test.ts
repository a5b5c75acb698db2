import { describe, expect, it } from 'vitest';
import { type OrderState, orderStates } from '../order/order-state.js';
import { ImpossiblePlatformStateError } from './order-sync-errors.js';
import {
  mapShopifyOrderStatus,
  shopifyFinancialStatuses,
  shopifyFulfillmentStatuses,
  shopifyOrderStateMapping,
  shopifyReturnStatuses,
  toShopifyOrderStatus,
} from './shopify-order-status.js';

/** Abbreviations of the expected tables; `!` is an impossible combination. */
const states: Readonly<Record<string, OrderState>> = {
  pp: 'payment_pending',
  az: 'authorized',
  pa: 'partially_paid',
  pd: 'paid',
  pf: 'partially_fulfilled',
  fu: 'fulfilled',
  oh: 'on_hold',
  pr: 'partially_refunded',
  rf: 'refunded',
  ex: 'expired',
  cn: 'cancelled',
};

/**
 * The expected canonical state of every financial x fulfillment combination, written by hand from
 * Shopify's enum descriptions (one row per financial status, one column per fulfillment status).
 *
 *                      UNFULFILLED PARTIALLY_FULFILLED FULFILLED RESTOCKED PENDING_FULFILLMENT OPEN IN_PROGRESS ON_HOLD SCHEDULED REQUEST_DECLINED
 */
const notCancelled = `
PENDING               pp !  !  pp pp pp pp oh pp pp
AUTHORIZED            az !  !  az az az az oh az az
PARTIALLY_PAID        pa pf fu pa pa pa pa pa pa pa
PARTIALLY_REFUNDED    pr pr pr pr pr pr pr pr pr pr
VOIDED                cn !  !  cn cn cn cn cn cn cn
PAID                  pd pf fu pd pd pd pd pd pd pd
REFUNDED              rf rf rf rf rf rf rf rf rf rf
EXPIRED               ex !  !  ex ex ex ex ex ex ex
`;

/** A cancelled order: cancelled, unless goods shipped (Shopify refuses to cancel fulfilled orders). */
const cancelled = `
PENDING               cn !  !  cn cn cn cn cn cn cn
AUTHORIZED            cn !  !  cn cn cn cn cn cn cn
PARTIALLY_PAID        cn !  !  cn cn cn cn cn cn cn
PARTIALLY_REFUNDED    cn !  !  cn cn cn cn cn cn cn
VOIDED                cn !  !  cn cn cn cn cn cn cn
PAID                  cn !  !  cn cn cn cn cn cn cn
REFUNDED              cn !  !  cn cn cn cn cn cn cn
EXPIRED               cn !  !  cn cn cn cn cn cn cn
`;

function parse(table: string): Map<string, Map<string, OrderState | '!'>> {
  const rows = new Map<string, Map<string, OrderState | '!'>>();
  for (const line of table.trim().split('\n')) {
    const [financial = '', ...cells] = line.trim().split(/\s+/);
    expect(cells).toHaveLength(shopifyFulfillmentStatuses.length);
    rows.set(financial, new Map(shopifyFulfillmentStatuses.map((fulfillment, index) => [fulfillment, cells[index] === '!' ? '!' : (states[cells[index] as string] as OrderState)])));
  }
  expect([...rows.keys()]).toEqual([...shopifyFinancialStatuses]);
  return rows;
}

const tables = { notCancelled: parse(notCancelled), cancelled: parse(cancelled) };

/** Every combination of the four dimensions: 8 x 10 x 2 x 2 = 320. */
const combinations = shopifyFinancialStatuses.flatMap((financial) =>
  shopifyFulfillmentStatuses.flatMap((fulfillment) =>
    [false, true].flatMap((isCancelled) => [false, true].map((closed) => ({ financial, fulfillment, isCancelled, closed }))),
  ),
);

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to throw');
}

describe('mapShopifyOrderStatus: every combination of the enums', () => {
  it('covers the two enums of the Admin API 2025-01 schema, value for value', () => {
    expect([...shopifyFinancialStatuses].sort()).toEqual(['AUTHORIZED', 'EXPIRED', 'PAID', 'PARTIALLY_PAID', 'PARTIALLY_REFUNDED', 'PENDING', 'REFUNDED', 'VOIDED']);
    expect(shopifyFulfillmentStatuses).toHaveLength(10);
    expect(shopifyReturnStatuses).toHaveLength(6);
    expect(combinations).toHaveLength(320);
  });

  it.each(combinations)('$financial / $fulfillment / cancelled $isCancelled / closed $closed', ({ financial, fulfillment, isCancelled, closed }) => {
    const expected = (isCancelled ? tables.cancelled : tables.notCancelled).get(financial)?.get(fulfillment);
    const input = { displayFinancialStatus: financial, displayFulfillmentStatus: fulfillment, cancelledAt: isCancelled ? '2026-01-02T03:04:05Z' : null, closed };
    if (expected === '!') {
      const error = thrownBy(() => mapShopifyOrderStatus(input, { orderId: 'gid://shopify/Order/1' }));
      expect(ImpossiblePlatformStateError.isInstance(error)).toBe(true);
      expect((error as ImpossiblePlatformStateError).states).toMatchObject({ displayFinancialStatus: financial, displayFulfillmentStatus: fulfillment });
    } else {
      // Archiving (closed) never changes the state.
      expect(mapShopifyOrderStatus(input)).toBe(expected);
    }
  });
});

describe('mapShopifyOrderStatus: details', () => {
  const base = { displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'FULFILLED', cancelledAt: null, closed: false } as const;

  it('takes cancelledAt as epoch milliseconds, a DateTime, or a cancelled flag; an empty string is not cancelled', () => {
    const unfulfilled = { ...base, displayFulfillmentStatus: 'UNFULFILLED' };
    expect(mapShopifyOrderStatus({ ...unfulfilled, cancelledAt: 1_767_225_600_000 })).toBe('cancelled');
    expect(mapShopifyOrderStatus({ ...unfulfilled, cancelled: true, cancelledAt: undefined })).toBe('cancelled');
    expect(mapShopifyOrderStatus({ ...unfulfilled, cancelledAt: '' })).toBe('paid');
    expect(mapShopifyOrderStatus({ displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'UNFULFILLED' })).toBe('paid');
  });

  it.each([
    ['RETURN_REQUESTED', 'return_requested'],
    ['IN_PROGRESS', 'return_requested'],
    ['INSPECTION_COMPLETE', 'return_requested'],
    ['NO_RETURN', 'fulfilled'],
    ['RETURNED', 'fulfilled'],
    ['RETURN_FAILED', 'fulfilled'],
    [null, 'fulfilled'],
  ] as const)('a PAID, FULFILLED order with returnStatus %s is %s', (returnStatus, expected) => {
    expect(mapShopifyOrderStatus({ ...base, returnStatus })).toBe(expected);
  });

  it('a return in progress on a partially refunded order is return_requested; on other financial statuses it changes nothing', () => {
    expect(mapShopifyOrderStatus({ ...base, displayFinancialStatus: 'PARTIALLY_REFUNDED', returnStatus: 'IN_PROGRESS' })).toBe('return_requested');
    expect(mapShopifyOrderStatus({ ...base, displayFinancialStatus: 'REFUNDED', returnStatus: 'IN_PROGRESS' })).toBe('refunded');
    expect(mapShopifyOrderStatus({ ...base, cancelledAt: null, displayFulfillmentStatus: 'UNFULFILLED', displayFinancialStatus: 'AUTHORIZED', returnStatus: 'RETURN_REQUESTED' })).toBe('authorized');
  });

  it('names the order and both statuses when goods shipped without captured money', () => {
    const error = thrownBy(() => mapShopifyOrderStatus({ ...base, displayFinancialStatus: 'VOIDED' }, { orderId: 'gid://shopify/Order/42' })) as ImpossiblePlatformStateError;
    expect(error.code).toBe('ORDER_IMPOSSIBLE_PLATFORM_STATE');
    expect(error.platform).toBe('shopify');
    expect(error.orderId).toBe('gid://shopify/Order/42');
    expect(error.states).toEqual({ displayFinancialStatus: 'VOIDED', displayFulfillmentStatus: 'FULFILLED' });
    expect(error.message).toContain("Order 'gid://shopify/Order/42' on shopify");
    expect(error.message).toContain("displayFinancialStatus 'VOIDED' with displayFulfillmentStatus 'FULFILLED'");
    expect(error.message).toContain('no money was captured');
  });

  it('names the cancellation when a cancelled order has shipped goods', () => {
    const error = thrownBy(() => mapShopifyOrderStatus({ ...base, cancelledAt: '2026-01-02T00:00:00Z' })) as ImpossiblePlatformStateError;
    expect(error.states).toEqual({ displayFinancialStatus: 'PAID', displayFulfillmentStatus: 'FULFILLED', cancelled: 'true' });
    expect(error.message).toContain('An order on shopify');
  });

  it.each([
    [{ ...base, displayFinancialStatus: null }, 'OrderDisplayFinancialStatus'],
    [{ ...base, displayFinancialStatus: 'paid' }, 'OrderDisplayFinancialStatus'],
    [{ ...base, displayFulfillmentStatus: 'SHIPPED' }, 'OrderDisplayFulfillmentStatus'],
    [{ ...base, displayFulfillmentStatus: undefined }, 'OrderDisplayFulfillmentStatus'],
    [{ ...base, returnStatus: 'LOST' }, 'OrderReturnStatus'],
  ])('refuses values outside the enums: %o', (input, enumName) => {
    const error = thrownBy(() => mapShopifyOrderStatus(input)) as ImpossiblePlatformStateError;
    expect(ImpossiblePlatformStateError.isInstance(error)).toBe(true);
    expect(error.reason).toContain(enumName);
  });
});

describe('shopifyOrderStateMapping: round trips', () => {
  it('splits the canonical states into expressible and inexpressible ones, together all of them', () => {
    expect(shopifyOrderStateMapping.platform).toBe('shopify');
    const inexpressible = Object.keys(shopifyOrderStateMapping.inexpressible);
    expect(inexpressible).toEqual(['cart', 'checkout', 'failed']);
    expect([...shopifyOrderStateMapping.expressible, ...inexpressible].sort()).toEqual([...orderStates].sort());
  });

  it.each(shopifyOrderStateMapping.expressible)('%s -> Shopify -> canonical is the identity', (state) => {
    expect(mapShopifyOrderStatus(toShopifyOrderStatus(state))).toBe(state);
    expect(shopifyOrderStateMapping.toCanonical(shopifyOrderStateMapping.fromCanonical(state))).toBe(state);
  });

  it.each(Object.entries(shopifyOrderStateMapping.inexpressible))('%s is shown as its nearest state', (state, { nearest, reason }) => {
    expect(shopifyOrderStateMapping.expressible).toContain(nearest);
    expect(toShopifyOrderStatus(state as OrderState)).toEqual(toShopifyOrderStatus(nearest));
    expect(mapShopifyOrderStatus(toShopifyOrderStatus(state as OrderState))).toBe(nearest);
    expect(reason.length).toBeGreaterThan(10);
  });

  it('shows a cancelled order voided, cancelled and archived, and a hold as an authorized order on hold', () => {
    expect(toShopifyOrderStatus('cancelled')).toEqual({ displayFinancialStatus: 'VOIDED', displayFulfillmentStatus: 'UNFULFILLED', cancelled: true, closed: true, returnStatus: 'NO_RETURN' });
    expect(toShopifyOrderStatus('on_hold')).toMatchObject({ displayFinancialStatus: 'AUTHORIZED', displayFulfillmentStatus: 'ON_HOLD' });
  });
});
