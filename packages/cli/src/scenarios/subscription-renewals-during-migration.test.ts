import { Money } from '@paymigrate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { drainPhase } from '../rehearsal/phase-drain.js';
import { openScenario, type Scenario } from './__fixtures__/scenario-rehearsal.js';

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('scenario: subscription renewals while the migration runs', () => {
  it('charges each renewal merchant-initiated where the token lives, carrying the network transaction id of the first payment', async () => {
    scenario = await openScenario({ from: 'stripe', to: 'adyen', customers: 20 });
    const { context } = scenario;
    const { transactions } = context.runtime;
    await scenario.seedAndMigrateTokens();
    const subscriber = context.customers.all().find((customer) => customer.subscription !== undefined);
    expect(subscriber).toBeDefined();
    const customerId = subscriber?.customerId ?? '';
    const amount = Money.fromJSON(subscriber?.subscription ?? { minorUnits: '1000', currency: 'EUR' });

    const renew = async (paymentId: string, provider: 'stripe' | 'adyen') => {
      const card = context.customers.cardAt(customerId, provider);
      if (card === undefined) throw new Error(`no token at ${provider}`);
      return transactions.chargeStoredPaymentMethod({
        paymentId,
        merchantReference: `ref-${paymentId}`,
        amount,
        provider,
        paymentMethodToken: card.token,
        customerReference: card.customerReference,
        networkTransactionId: card.networkTransactionId,
        reason: 'subscription',
        customerId,
      });
    };
    const acknowledge = async (paymentId: string, provider: string) =>
      context.world.call('acknowledge', {
        paymentId,
        merchantReference: `ref-${paymentId}`,
        provider,
        providerReference: undefined,
        amount: amount.toJSON(),
        orderId: undefined,
        customerId,
        kind: 'renewal',
        latencyMs: 0,
        acknowledgedAt: Date.now(),
      });

    // Before the cutover the token the shop renews with lives at Stripe.
    await scenario.rampTo(25);
    const before = await renew('renewal-before', 'stripe');
    expect(before.status).toBe('succeeded');
    expect(before.payment.provider).toBe('stripe');
    await acknowledge('renewal-before', 'stripe');

    // After the cutover it renews with the imported token at Adyen, with the same network transaction id.
    await scenario.rampTo(100);
    await scenario.cutOver();
    const after = await renew('renewal-after', 'adyen');
    expect(after.status).toBe('succeeded');
    expect(after.payment.provider).toBe('adyen');
    await acknowledge('renewal-after', 'adyen');

    await scenario.phase('drain', drainPhase);
    const truth = await context.world.call('truth', {});
    const original = context.customers.cardAt(customerId, 'stripe')?.networkTransactionId;
    expect(original).toBeDefined();
    expect(context.customers.cardAt(customerId, 'adyen')?.networkTransactionId).toBe(original);
    const atStripe = truth.payments.find((fact) => fact.merchantReference === 'ref-renewal-before');
    const atAdyen = truth.payments.find((fact) => fact.merchantReference === 'ref-renewal-after');
    expect(atStripe).toMatchObject({ provider: 'stripe', networkTransactionIdSent: original });
    expect(atAdyen).toMatchObject({ provider: 'adyen', networkTransactionIdSent: original });
    expect(atAdyen?.capturedMinor).toBe(Number(amount.toJSON().minorUnits));

    const report = await scenario.verify();
    expect(report.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
  }, 180_000);
});
