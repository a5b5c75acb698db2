// Shopify's orderCapture and refundCreate move money through the gateway of the transaction they
// name. The adapter uses them only when that gateway is the provider holding the payment (or a
// manual gateway, which moves no money); otherwise it records without moving money.
import { ConfigurationError, IdempotencyConflictError, UnsupportedOperationError } from '@paymigrate/core';
import { type ShopifyFakeTransaction, shopifyFakeRoutes } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { euros, paymentUpdate, thrownBy, useShopifyFake } from './__fixtures__/shopify-test-environment.js';
import { gatewayRoles } from './shopify-gateways.js';
import { parseShopifyPlatformOptions } from './shopify-options.js';
import { refundNoteMarker } from './shopify-platform.js';

const { fake, platform } = useShopifyFake();

/** The transactions through which Shopify would have moved money: captures and refunds on a non-manual gateway. */
function moneyMovements(orderId: string): ShopifyFakeTransaction[] {
  return (fake.order(orderId)?.transactions ?? []).filter((transaction) => (transaction.kind === 'CAPTURE' || transaction.kind === 'REFUND') && !transaction.manualPaymentGateway);
}

function mutationsSent(name: string): number {
  return fake.api.callsTo(shopifyFakeRoutes.graphql).filter((call) => (call.requestBody ?? '').includes(name)).length;
}

describe('gatewayRoles', () => {
  it('maps a gateway to the provider of its name, or the one gatewayProviders names, case-insensitively; manual gateways move no money', () => {
    const roleOf = gatewayRoles('Stripe', new Map([['shopify_payments', 'stripe']]));
    expect(roleOf({ gateway: 'stripe', manualGateway: false })).toBe('holder');
    expect(roleOf({ gateway: 'STRIPE', manualGateway: false })).toBe('holder');
    expect(roleOf({ gateway: 'shopify_payments', manualGateway: false })).toBe('holder');
    expect(roleOf({ gateway: 'adyen', manualGateway: false })).toBe('other');
    expect(roleOf({ gateway: 'manual', manualGateway: true })).toBe('manual');
  });

  it('gatewayProviders is validated as gateway -> provider names, and kept lower-cased', () => {
    const parsed = parseShopifyPlatformOptions({ shopDomain: fake.shopDomain, adminAccessToken: 'shpat_x', apiSecretKey: 'secret', gatewayProviders: { Shopify_Payments: 'Stripe' } });
    expect(parsed.gatewayProviders).toEqual(new Map([['shopify_payments', 'stripe']]));
    const error = (() => {
      try {
        platform({ gatewayProviders: { shopify_payments: '' } });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(ConfigurationError.isInstance(error) && error.option.startsWith('shopify.gatewayProviders')).toBe(true);
  });
});

describe('captures', () => {
  it('on the holder\'s gateway: orderCapture on its authorization', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', gateway: 'adyen' });
    const order = await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(5000), { provider: 'adyen' }));
    expect(order.canonicalState).toBe('paid');
    expect(moneyMovements(orderId).map((transaction) => [transaction.kind, transaction.gateway, transaction.amountMinor])).toEqual([['CAPTURE', 'adyen', 5000n]]);
  });

  it('when Shopify\'s open authorization is on another provider\'s gateway: refused with the reason, nothing sent, nothing captured', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'AUTHORIZED', gateway: 'stripe' });
    const before = mutationsSent('PaymigrateCapture') + mutationsSent('PaymigrateMarkAsPaid');
    const error = await thrownBy(() => platform().recordPayment(paymentUpdate(orderId, 'capture', euros(5000), { provider: 'adyen' })));
    expect(UnsupportedOperationError.isInstance(error)).toBe(true);
    expect((error as UnsupportedOperationError).message).toContain("gateway 'stripe', which is not adyen");
    expect(mutationsSent('PaymigrateCapture') + mutationsSent('PaymigrateMarkAsPaid')).toBe(before);
    expect(moneyMovements(orderId)).toEqual([]);
    expect((await platform().getOrder({ orderId }))?.canonicalState).toBe('authorized');
  });

  it('without an authorization: orderMarkAsPaid, a manual sale that moves no money', async () => {
    const orderId = fake.addOrder({ total: euros(5000), gateway: 'stripe' });
    const order = await platform().recordPayment(paymentUpdate(orderId, 'capture', euros(5000), { provider: 'adyen' }));
    expect(order.canonicalState).toBe('paid');
    expect(fake.order(orderId)?.transactions.map((transaction) => [transaction.kind, transaction.gateway, transaction.manualPaymentGateway])).toEqual([['SALE', 'manual', true]]);
  });
});

describe('refunds', () => {
  it('on the holder\'s gateway: refundCreate with money transactions on it', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'PAID', gateway: 'stripe' });
    const order = await platform({ gatewayProviders: {} }).recordPayment(paymentUpdate(orderId, 'refund', euros(2000)));
    expect(order.canonicalState).toBe('partially_refunded');
    expect(moneyMovements(orderId).map((transaction) => [transaction.kind, transaction.gateway, transaction.amountMinor])).toEqual([['REFUND', 'stripe', 2000n]]);
  });

  it('paid through another provider\'s gateway: a refund record with a note and no transaction, once per key', async () => {
    const orderId = fake.addOrder({ total: euros(5000), financialStatus: 'PAID', gateway: 'stripe' });
    const input = paymentUpdate(orderId, 'refund', euros(2000), { provider: 'adyen', providerReference: 'PSP-1', operationReference: 'PSP-R1' });
    const order = await platform().recordPayment(input);
    // Shopify moved nothing: its order still shows the payment it took, and the note says what happened.
    expect(order).toMatchObject({ canonicalState: 'paid', platformFinancialStatus: 'PAID' });
    expect(moneyMovements(orderId)).toEqual([]);
    const refunds = fake.order(orderId)?.refunds ?? [];
    expect(refunds).toHaveLength(1);
    expect(refunds[0]).toMatchObject({ transactionIds: [], amountMinor: 0n });
    expect(refunds[0]?.note).toBe(
      `Refund of 20.00 EUR made at adyen (PSP-R1), recorded without moving money: the order was paid through gateway 'stripe', not adyen. ${refundNoteMarker(input.idempotencyKey)}`,
    );
    const body = fake.api.calls.at(-1)?.requestBodyJson as { variables: { input: Record<string, unknown> } };
    expect(body.variables.input).toMatchObject({ orderId, notify: false, transactions: [] });
    // Replayed here or by a restarted process: found by its note, not recorded again.
    await platform().recordPayment(input);
    await platform().recordPayment(input);
    expect(fake.order(orderId)?.refunds).toHaveLength(1);
    const conflict = await thrownBy(() => platform().recordPayment({ ...input, amount: euros(3000) }));
    expect(IdempotencyConflictError.isInstance(conflict)).toBe(true);
    expect((conflict as IdempotencyConflictError).message).toContain('20.00 EUR');
  });

  it('a refund more than the holder\'s payments cover is recorded without moving money, never split across another gateway', async () => {
    const orderId = fake.addOrder({
      total: euros(5000),
      transactions: [
        { kind: 'SALE', amount: euros(1000), gateway: 'adyen' },
        { kind: 'SALE', amount: euros(4000), gateway: 'stripe' },
      ],
    });
    await platform().recordPayment(paymentUpdate(orderId, 'refund', euros(3000), { provider: 'adyen' }));
    expect(moneyMovements(orderId)).toEqual([]);
    expect(fake.order(orderId)?.refunds[0]?.note).toContain("through gateway 'stripe', not adyen");
    // What the holder's payment covers goes through its gateway.
    await platform().recordPayment(paymentUpdate(orderId, 'refund', euros(1000), { provider: 'adyen' }));
    expect(moneyMovements(orderId).map((transaction) => [transaction.kind, transaction.gateway, transaction.amountMinor])).toEqual([['REFUND', 'adyen', 1000n]]);
  });

  it('of a manual payment (the order was marked paid): refundCreate on the manual sale, which moves no money', async () => {
    const orderId = fake.addOrder({ total: euros(5000), gateway: 'stripe' });
    const adapter = platform();
    await adapter.recordPayment(paymentUpdate(orderId, 'capture', euros(5000), { provider: 'adyen' }));
    const order = await adapter.recordPayment(paymentUpdate(orderId, 'refund', euros(5000), { provider: 'adyen' }));
    expect(order.canonicalState).toBe('refunded');
    expect(moneyMovements(orderId)).toEqual([]);
    expect(fake.order(orderId)?.transactions.map((transaction) => [transaction.kind, transaction.gateway])).toEqual([
      ['SALE', 'manual'],
      ['REFUND', 'manual'],
    ]);
  });
});
