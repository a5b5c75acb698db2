import { describe, expect, it } from 'vitest';
import { providerReferenceOf, readShopifyOrder } from './shopify-order.js';

function money(amount: string, currencyCode = 'EUR') {
  return { presentmentMoney: { amount, currencyCode } };
}

function transaction(overrides: Record<string, unknown> = {}) {
  return {
    id: 'gid://shopify/OrderTransaction/1',
    kind: 'AUTHORIZATION',
    status: 'SUCCESS',
    gateway: 'stripe',
    manualPaymentGateway: false,
    authorizationCode: null,
    receiptJson: null,
    createdAt: '2026-01-01T00:00:00Z',
    amountSet: money('10.0'),
    parentTransaction: null,
    ...overrides,
  };
}

function node(overrides: Record<string, unknown> = {}) {
  return {
    id: 'gid://shopify/Order/1',
    name: '#1001',
    displayFinancialStatus: 'AUTHORIZED',
    displayFulfillmentStatus: 'UNFULFILLED',
    returnStatus: 'NO_RETURN',
    cancelledAt: null,
    closed: false,
    updatedAt: '2026-01-01T00:00:01Z',
    presentmentCurrencyCode: 'EUR',
    totalPriceSet: money('10.0'),
    customer: null,
    transactions: [transaction()],
    capturableTransactions: [{ id: 'gid://shopify/OrderTransaction/1' }],
    refunds: [],
    ...overrides,
  };
}

describe('providerReferenceOf', () => {
  it('prefers the authorization code, then the receipt reference', () => {
    expect(providerReferenceOf('pi_1', '{"id":"ch_1"}')).toBe('pi_1');
    expect(providerReferenceOf('', '{"payment_intent":"pi_2","id":"ch_2"}')).toBe('pi_2');
    expect(providerReferenceOf(null, { pspReference: 'PSP1' })).toBe('PSP1');
    expect(providerReferenceOf(null, { id: '' , authorization: 'auth-1' })).toBe('auth-1');
  });

  it('answers undefined for receipts without a reference or that are not JSON objects', () => {
    expect(providerReferenceOf(null, '{not json')).toBeUndefined();
    expect(providerReferenceOf(null, '42')).toBeUndefined();
    expect(providerReferenceOf(null, null)).toBeUndefined();
    expect(providerReferenceOf(null, { id: 42 })).toBeUndefined();
    expect(providerReferenceOf(null, undefined)).toBeUndefined();
  });
});

describe('readShopifyOrder', () => {
  it('maps transaction kinds and statuses, and keeps Shopify-only details for planning', () => {
    const view = readShopifyOrder(
      node({
        displayFinancialStatus: 'PENDING',
        customer: { id: 'gid://shopify/Customer/9' },
        transactions: [
          transaction({ kind: 'EMV_AUTHORIZATION', status: 'AWAITING_RESPONSE', gateway: null }),
          transaction({ id: 'gid://shopify/OrderTransaction/2', kind: 'SALE', status: 'ERROR' }),
          transaction({ id: 'gid://shopify/OrderTransaction/3', kind: 'REFUND', status: 'UNKNOWN', parentTransaction: { id: 'gid://shopify/OrderTransaction/2' } }),
          transaction({ id: 'gid://shopify/OrderTransaction/4', kind: 'VOID', status: 'FAILURE' }),
          transaction({ id: 'gid://shopify/OrderTransaction/5', kind: 'SUGGESTED_REFUND' }),
        ],
        refunds: [{ id: 'gid://shopify/Refund/1', note: null, totalRefundedSet: money('1.5') }],
      }),
      'order',
      'read',
    );
    expect(view.order).toMatchObject({ platformFinancialStatus: 'PENDING', canonicalState: 'payment_pending', customerId: 'gid://shopify/Customer/9' });
    expect(view.order.transactions.map((entry) => [entry.kind, entry.status, entry.gateway])).toEqual([
      ['authorization', 'pending', ''],
      ['sale', 'error', 'stripe'],
      ['refund', 'pending', 'stripe'],
      ['void', 'failure', 'stripe'],
    ]);
    expect(view.order.transactions[0]).not.toHaveProperty('shopifyKind');
    expect(view.transactions[2]).toMatchObject({ shopifyKind: 'REFUND', parentId: 'gid://shopify/OrderTransaction/2', manualGateway: false });
    expect(view.order.transactions[2]).not.toHaveProperty('manualGateway');
    expect(view.refunds).toEqual([{ id: 'gid://shopify/Refund/1', note: undefined, amount: expect.objectContaining({ minorUnits: 150n }) }]);
    expect(view.capturableIds.has('gid://shopify/OrderTransaction/1')).toBe(true);
    expect(Object.isFrozen(view.order)).toBe(true);
  });

  it('reads Shopify decimals in zero-decimal currencies', () => {
    const view = readShopifyOrder(node({ presentmentCurrencyCode: 'JPY', totalPriceSet: money('4999.0', 'JPY'), transactions: [transaction({ amountSet: money('4999.0', 'JPY') })] }), 'order', 'read');
    expect(view.order.total.toJSON()).toEqual({ minorUnits: '4999', currency: 'JPY' });
  });

  it.each([
    [{ transactions: 'none' }, 'transactions'],
    [{ transactions: [transaction({ createdAt: 'yesterday' })] }, 'createdAt'],
    [{ cancelledAt: 'never' }, 'cancelledAt'],
    [{ totalPriceSet: money('12.345') }, 'totalPriceSet'],
    [{ totalPriceSet: money('12.34', 'EURO') }, 'totalPriceSet'],
  ])('refuses %j as malformed (%s); after a write, as an unknown outcome', (override, detail) => {
    expect(() => readShopifyOrder(node(override), 'order', 'read')).toThrow(expect.objectContaining({ code: 'PROVIDER_MALFORMED_RESPONSE', message: expect.stringContaining(detail) }));
    expect(() => readShopifyOrder(node(override), 'orderCapture', 'write')).toThrow(expect.objectContaining({ code: 'PROVIDER_UNKNOWN_OUTCOME' }));
  });
});
