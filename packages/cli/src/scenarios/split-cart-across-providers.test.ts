import {
  createTransactionSplitExecutor,
  executeSplitPayment,
  type LegPaymentMethod,
  Money,
  planSplitCart,
  type SplitPaymentLeg,
  type SplitPaymentResult,
  storedCardLegPaymentMethods,
} from '@paymigrate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { drainPhase } from '../rehearsal/phase-drain.js';
import { openScenario, type Scenario } from './__fixtures__/scenario-rehearsal.js';

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

/** Single-use card tokens a checkout collects with each provider's own client library (no card number reaches the shop). */
const approvedTokens: Readonly<Record<string, string>> = { stripe: 'pm_card_visa', paypal: 'test-visa-approved' };

describe('scenario: a shopping cart split across providers during the migration', () => {
  it('charges each leg at its own provider (one-off or stored card), all or nothing, and compensates a failed leg', async () => {
    scenario = await openScenario({ from: 'stripe', to: 'paypal' });
    const { context } = scenario;
    const { runtime } = context;
    await scenario.seedAndMigrateTokens();
    await scenario.rampTo(50);
    const providers = [...runtime.gateways.values()].map((gateway) => ({ provider: gateway.provider, capabilities: gateway.capabilities }));
    const customerId = context.customers.all()[0]?.customerId ?? 'cust-00001';

    /** One-off card tokens per provider (a guest collecting a card with each provider's client library). */
    const oneOff = (tokens: Readonly<Record<string, string>>) => (leg: SplitPaymentLeg): LegPaymentMethod => ({ paymentMethodToken: tokens[leg.provider] ?? '' });
    const checkoutSplit = async (cartId: string, paymentMethod: (leg: SplitPaymentLeg) => LegPaymentMethod | undefined): Promise<SplitPaymentResult> => {
      const decision = await runtime.routing.decide({
        paymentId: `${cartId}-route`,
        merchantReference: `ref-${cartId}`,
        amount: Money.of(9_000, 'EUR'),
        currency: 'EUR',
        customerId,
      });
      const plan = planSplitCart({
        cartId,
        defaultProvider: decision.provider,
        providers,
        merchantOfRecordProviders: { 'seller-paypal-only': 'paypal', 'seller-stripe-only': 'stripe' },
        lines: [
          { lineId: 'shoes', amount: Money.of(4_000, 'EUR'), merchantOfRecord: 'seller-paypal-only' },
          { lineId: 'socks', amount: Money.of(1_000, 'EUR'), merchantOfRecord: 'seller-stripe-only' },
          { lineId: 'laces', amount: Money.of(500, 'EUR'), provider: 'stripe' },
          { lineId: 'gift-card', amount: Money.of(3_500, 'EUR') },
        ],
      });
      const executor = createTransactionSplitExecutor({
        transactions: runtime.transactions,
        router: runtime.routing.router,
        paymentMethod,
        customerId,
        merchantReference: (leg) => `ref-${leg.legId}`,
      });
      const result = await executeSplitPayment(plan, executor, { journal: runtime.journal, logger: runtime.logger });
      if (result.status === 'captured') {
        for (const { leg } of result.legs) {
          await context.world.call('acknowledge', {
            paymentId: leg.legId,
            merchantReference: `ref-${leg.legId}`,
            provider: leg.provider,
            providerReference: undefined,
            amount: leg.amount.toJSON(),
            orderId: undefined,
            customerId,
            kind: 'split-leg',
            latencyMs: 0,
            acknowledgedAt: Date.now(),
          });
        }
      }
      return result;
    };

    const captured = await checkoutSplit('cart-split-1', oneOff(approvedTokens));
    expect(captured.status).toBe('captured');
    expect(captured.requiresAttention).toBe(false);
    const legProviders = new Set(captured.legs.map(({ leg }) => leg.provider));
    expect(legProviders).toStrictEqual(new Set(['stripe', 'paypal']));
    for (const { leg } of captured.legs) {
      const payment = await runtime.transactions.payment(leg.legId);
      expect(payment).toMatchObject({ provider: leg.provider, state: 'captured' });
      expect(payment?.capturedAmount.equals(leg.amount)).toBe(true);
    }

    // The PayPal leg is declined: every other leg's authorization is voided, nothing is charged.
    const declined = await checkoutSplit('cart-split-2', oneOff({ ...approvedTokens, paypal: 'test-visa-insufficient-funds' }));

    // A returning customer pays with the card stored at Stripe, migrated to PayPal: each leg pays
    // with its provider's own token and customer (the Stripe customer and card, the PayPal vault
    // token and customer the migration produced), so nobody re-types a card.
    const stored = context.customers.all().find((customer) => customer.customerId === customerId);
    const source = stored?.cards.stripe;
    const target = stored?.cards.paypal;
    expect(source).toBeDefined();
    expect(target).toBeDefined();
    const storedCard = storedCardLegPaymentMethods({
      status: 'mapped',
      source: { provider: 'stripe', token: source?.token ?? '', customerReference: source?.customerReference ?? '' },
      target: { provider: 'paypal', token: target?.token ?? '', customerReference: target?.customerReference ?? '' },
    });
    const storedCart = await checkoutSplit('cart-split-3', storedCard);
    expect(storedCart.status).toBe('captured');
    for (const { leg } of storedCart.legs) {
      expect(await runtime.transactions.payment(leg.legId)).toMatchObject({ provider: leg.provider, state: 'captured' });
    }
    expect(declined.status).toBe('authorization_failed');
    expect(declined.requiresAttention).toBe(false);

    await scenario.phase('drain', drainPhase);
    const truth = await context.world.call('truth', {});
    for (const { leg } of [...captured.legs, ...storedCart.legs]) {
      const facts = truth.payments.filter((fact) => fact.merchantReference === `ref-${leg.legId}`);
      expect(facts).toHaveLength(1);
      expect(facts[0]).toMatchObject({ provider: leg.provider, capturedMinor: Number(leg.amount.toJSON().minorUnits) });
    }
    for (const { leg } of declined.legs) {
      for (const fact of truth.payments.filter((candidate) => candidate.merchantReference === `ref-${leg.legId}`)) {
        expect(fact.heldMinor + fact.capturedMinor).toBe(0);
      }
    }
    const report = await scenario.verify();
    expect(report.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
  }, 180_000);
});
