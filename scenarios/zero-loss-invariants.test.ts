// The invariant checker itself: it must catch each kind of violation, or every scenario that
// reports "no violations" would prove nothing.
import { afterEach, describe, expect, it } from 'vitest';
import { useMockServer } from './support/mock-server.js';
import { createZeroLossWorld, eur, paymentMethodTokens, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

describe('checkInvariants catches every kind of violation', () => {
  it('a clean world has none', async () => {
    world = await createZeroLossWorld(server, { seed: 61 });
    await world.prepareCutover();
    await world.checkout({ paymentId: 'pay_clean' });
    const report = await world.invariants();
    expect(report).toMatchObject({ violations: [], counts: { payments: 1, intents: 2, providerWrites: 2, providerPayments: { stripe: 1, adyen: 0 } } });
  });

  it('a provider write without a journaled intent, and the payment it made (invariant 1)', async () => {
    world = await createZeroLossWorld(server, { seed: 62 });
    await world.gateways.stripe.authorize({ idempotencyKey: 'rogue-key-1', merchantReference: 'order-rogue', amount: eur(1_000), paymentMethodToken: 'pm_card_visa' });
    const { violations } = await world.invariants();
    expect(violations).toEqual([
      "stripe received POST /v1/payment_intents with key 'rogue-key-1', which no journaled intent has (invariant 1)",
      expect.stringMatching(/^stripe holds pi_\w+ \(merchant reference order-rogue, requires_capture\) that no journaled payment knows \(invariant 1\)$/),
    ]);
  });

  it('an intent left without a final outcome, and an open claim (invariant 1)', async () => {
    world = await createZeroLossWorld(server, { seed: 63 });
    await world.prepareCutover();
    await world.checkout({ paymentId: 'pay_open' });
    const outage = world.stripe.refuseConnections();
    expect((await world.transactions.refund({ paymentId: 'pay_open', amount: eur(500) })).status).toBe('waiting');
    outage.remove();
    const { violations } = await world.invariants();
    expect(violations).toEqual([
      'intent pay_open.refund.1 (refund) is still waiting (PROVIDER_UNAVAILABLE) after recovery (invariant 1)',
      'payment pay_open: refund pay_open.refund.1 of 5.00 EUR is still in_flight (an open claim after recovery)',
    ]);
    expect((await world.invariants({ allowInFlight: true })).violations).toEqual([]);
  });

  it('a payment also made at the other provider, and one charged twice (invariant 3)', async () => {
    world = await createZeroLossWorld(server, { seed: 64 });
    await world.prepareCutover();
    await world.checkout({ paymentId: 'pay_twice', capture: false });
    // What a failover of an unknown outcome would do: the same order at Adyen, under the same key.
    await world.gateways.adyen.authorize({ idempotencyKey: 'pay_twice.authorize.1', merchantReference: 'order-pay_twice', amount: eur(2_500), paymentMethodToken: paymentMethodTokens.adyen as string });
    // And what a new key would do: a second payment at Stripe.
    await world.gateways.stripe.authorize({ idempotencyKey: 'pay_twice.authorize.1-again', merchantReference: 'order-pay_twice', amount: eur(2_500), paymentMethodToken: 'pm_card_visa' });
    const { violations } = await world.invariants();
    expect(violations).toEqual(
      expect.arrayContaining([
        'adyen received POST /payments for intent pay_twice.authorize.1, which is pinned to stripe (invariant 3)',
        expect.stringMatching(/^payment pay_twice \(pinned to stripe\) also exists at adyen as \w+ \(invariant 3\)$/),
        expect.stringMatching(/^payment pay_twice: 2 payments at stripe for merchant reference order-pay_twice \(pi_\w+, pi_\w+\): charged more than once$/),
      ]),
    );
  });

  it('an order charged by two payments: a retry while the first attempt still holds the money', async () => {
    world = await createZeroLossWorld(server, { seed: 66 });
    await world.prepareCutover();
    await world.checkout({ paymentId: 'pay_first', orderId: 'order-42', capture: false });
    await world.checkout({ paymentId: 'pay_retry', orderId: 'order-42' });
    expect((await world.invariants()).violations).toEqual(['order order-42 is charged by 2 payments (pay_first, pay_retry): charged more than once']);
    // Released first: then the order is charged once.
    await world.transactions.cancel({ paymentId: 'pay_first' });
    expect((await world.invariants()).violations).toEqual([]);
  });

  it('journal amounts that disagree with the provider (invariant 4)', async () => {
    world = await createZeroLossWorld(server, { seed: 65 });
    await world.prepareCutover();
    const checkout = await world.checkout({ paymentId: 'pay_drift', amount: 3_000, capture: false });
    // A capture made behind the journal's back.
    await world.gateways.stripe.capture({ idempotencyKey: 'pay_drift.capture.1', providerReference: checkout.authorization.payment.providerReference as string, amount: eur(3_000) });
    const { violations } = await world.invariants();
    expect(violations).toEqual(
      expect.arrayContaining([
        "stripe received POST /v1/payment_intents/:intent/capture with key 'pay_drift.capture.1', which no journaled intent has (invariant 1)",
        'payment pay_drift (authorized) on stripe: captured 0 in the journal, 3000 at the provider (succeeded) (invariant 4)',
      ]),
    );
  });
});
