import { isOpenOrderState, type OrderState } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { mapShopifyOrderState, openFinancialStatuses, type ShopifyOrderStatuses } from './map-shopify-order-state.js';

function state(displayFinancialStatus: string | null, displayFulfillmentStatus = 'UNFULFILLED', extra: Partial<ShopifyOrderStatuses> = {}): OrderState {
  return mapShopifyOrderState({ displayFinancialStatus, displayFulfillmentStatus, cancelledAt: null, closed: false, ...extra });
}

const financialStatuses = ['PENDING', 'AUTHORIZED', 'PARTIALLY_PAID', 'PARTIALLY_REFUNDED', 'VOIDED', 'PAID', 'REFUNDED', 'EXPIRED'];
const fulfillmentStatuses = ['UNFULFILLED', 'PARTIALLY_FULFILLED', 'FULFILLED', 'RESTOCKED', 'PENDING_FULFILLMENT', 'OPEN', 'IN_PROGRESS', 'ON_HOLD', 'SCHEDULED', 'REQUEST_DECLINED'];

describe('mapShopifyOrderState', () => {
  it.each([
    ['PENDING', 'UNFULFILLED', 'payment_pending'],
    ['AUTHORIZED', 'UNFULFILLED', 'authorized'],
    ['PARTIALLY_PAID', 'UNFULFILLED', 'partially_paid'],
    ['PAID', 'UNFULFILLED', 'paid'],
    ['PAID', 'PARTIALLY_FULFILLED', 'partially_fulfilled'],
    ['PAID', 'FULFILLED', 'fulfilled'],
    ['PAID', 'ON_HOLD', 'paid'],
    ['PAID', 'RESTOCKED', 'paid'],
    ['PENDING', 'ON_HOLD', 'on_hold'],
    ['AUTHORIZED', 'ON_HOLD', 'on_hold'],
    ['PARTIALLY_PAID', 'ON_HOLD', 'on_hold'],
    ['PARTIALLY_PAID', 'FULFILLED', 'partially_paid'],
    ['PARTIALLY_REFUNDED', 'FULFILLED', 'partially_refunded'],
    ['REFUNDED', 'RESTOCKED', 'refunded'],
    ['EXPIRED', 'UNFULFILLED', 'expired'],
    ['VOIDED', 'UNFULFILLED', 'failed'],
  ])('%s + %s is %s', (financial, fulfillment, expected) => {
    expect(state(financial, fulfillment)).toBe(expected);
  });

  it('a cancelled order is cancelled whatever its statuses', () => {
    for (const financial of financialStatuses) expect(state(financial, 'UNFULFILLED', { cancelledAt: '2026-01-01T00:00:00Z' })).toBe('cancelled');
  });

  it('a return in progress on a paid or partially refunded order is return_requested', () => {
    for (const returnStatus of ['RETURN_REQUESTED', 'IN_PROGRESS', 'INSPECTION_COMPLETE']) {
      expect(state('PAID', 'FULFILLED', { returnStatus })).toBe('return_requested');
      expect(state('PARTIALLY_REFUNDED', 'FULFILLED', { returnStatus })).toBe('return_requested');
    }
    expect(state('PAID', 'FULFILLED', { returnStatus: 'RETURNED' })).toBe('fulfilled');
    expect(state('PAID', 'FULFILLED', { returnStatus: null })).toBe('fulfilled');
  });

  it('no financial status is payment_pending; an unknown one is held for review', () => {
    expect(state(null)).toBe('payment_pending');
    expect(state(null, 'ON_HOLD')).toBe('on_hold');
    expect(state('SOMETHING_NEW')).toBe('on_hold');
  });

  it('closed (archived) does not change the state', () => {
    for (const financial of financialStatuses) expect(state(financial, 'UNFULFILLED', { closed: true })).toBe(state(financial));
  });

  it('openFinancialStatuses are exactly the financial statuses that can map to an open state', () => {
    const open = financialStatuses.filter((financial) => fulfillmentStatuses.some((fulfillment) => isOpenOrderState(state(financial, fulfillment))));
    expect(open.map((financial) => financial.toLowerCase()).sort()).toEqual([...openFinancialStatuses].sort());
  });
});
