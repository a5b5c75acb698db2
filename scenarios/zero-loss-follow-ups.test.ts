// Captures and refunds of orders paid on the old provider, requested after the cutover and after a
// rollback: they go to the provider that authorized the payment, whatever the routing says now.
import { adyenFakeRoutes, type RecordedCall } from '@paymigrate/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { useMockServer } from './support/mock-server.js';
import { createZeroLossWorld, eur, newProvider, oldProvider, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The idempotency keys a fake received, in order. */
function keysOf(calls: readonly RecordedCall[]): string[] {
  return calls.filter((call) => call.method === 'POST').map((call) => call.requestHeaders['idempotency-key'] ?? '(none)');
}

describe('follow-ups of old-provider orders after the cutover and after a rollback', () => {
  it('capture and refund go to the provider that authorized the payment, in every phase', async () => {
    world = await createZeroLossWorld(server, { seed: 31 });
    await world.prepareCutover();

    // Before the cutover: A is authorized only, B authorized and captured, both on Stripe.
    const a = await world.checkout({ paymentId: 'pay_a', amount: 5_000, capture: false });
    const b = await world.checkout({ paymentId: 'pay_b', amount: 8_000 });
    expect([a.begunOn, b.begunOn]).toEqual([oldProvider, oldProvider]);

    // After the cutover: new checkouts go to Adyen, A's capture and B's refund still go to Stripe.
    await world.cutover();
    const c = await world.checkout({ paymentId: 'pay_c', amount: 3_000, capture: false });
    expect(c.begunOn).toBe(newProvider);
    const stripeBefore = keysOf(world.stripe.api.calls).length;
    const adyenBefore = keysOf(world.adyen.api.calls).length;
    expect(await world.transactions.capture({ paymentId: 'pay_a', amount: eur(4_000) })).toMatchObject({ status: 'succeeded', payment: { provider: oldProvider, state: 'captured' } });
    expect(await world.transactions.refund({ paymentId: 'pay_b', amount: eur(2_500) })).toMatchObject({ status: 'succeeded', payment: { provider: oldProvider, state: 'partially_refunded' } });
    expect(keysOf(world.stripe.api.calls).slice(stripeBefore)).toEqual(['pay_a.capture.1', 'pay_b.refund.1']);
    expect(keysOf(world.adyen.api.calls).slice(adyenBefore)).toEqual([]);

    // After a rollback: new checkouts go back to Stripe; C (an Adyen payment) is captured and
    // refunded on Adyen, A and B keep going to Stripe.
    await world.rollback();
    const d = await world.checkout({ paymentId: 'pay_d', amount: 1_500 });
    expect(d.begunOn).toBe(oldProvider);
    const captureC = await world.transactions.capture({ paymentId: 'pay_c' });
    expect(captureC).toMatchObject({ status: 'succeeded', awaitingConfirmation: true, payment: { provider: newProvider } });
    await world.deliverWebhooks();
    expect((await world.payment('pay_c')).state).toBe('captured');
    expect(await world.transactions.refund({ paymentId: 'pay_c', amount: eur(1_000) })).toMatchObject({ status: 'succeeded', awaitingConfirmation: true });
    expect(await world.transactions.refund({ paymentId: 'pay_a', amount: eur(4_000) })).toMatchObject({ status: 'succeeded', payment: { state: 'refunded' } });
    expect(await world.transactions.refund({ paymentId: 'pay_b', amount: eur(5_500) })).toMatchObject({ status: 'succeeded', payment: { state: 'refunded' } });

    const adyenKeys = keysOf(world.adyen.api.calls);
    expect(adyenKeys).toEqual(['pay_c.authorize.1', 'pay_c.capture.1', 'pay_c.refund.1']);
    expect(world.adyen.api.callsTo(adyenFakeRoutes.refunds)).toHaveLength(1);
    expect(keysOf(world.stripe.api.calls)).toEqual([
      'pay_a.authorize.1',
      'pay_b.authorize.1',
      'pay_b.capture.1',
      'pay_a.capture.1',
      'pay_b.refund.1',
      'pay_d.authorize.1',
      'pay_d.capture.1',
      'pay_a.refund.1',
      'pay_b.refund.2',
    ]);

    await world.recoverAll();
    expect((await world.payment('pay_c')).state).toBe('partially_refunded');
    const report = await world.invariants();
    expect(report.violations).toEqual([]);
    expect(report.counts).toMatchObject({ payments: 4, intentsByStatus: { succeeded: 12 } });
  });

  it('a follow-up can never exceed what the provider holds: over-capture and over-refund are refused before anything is sent', async () => {
    world = await createZeroLossWorld(server, { seed: 32 });
    await world.prepareCutover();
    await world.checkout({ paymentId: 'pay_e', amount: 2_000 });
    await world.cutover();
    const before = world.stripe.api.calls.length;
    await expect(world.transactions.refund({ paymentId: 'pay_e', amount: eur(2_001) })).rejects.toMatchObject({ problem: 'exceeds-available' });
    await expect(world.transactions.capture({ paymentId: 'pay_e', amount: eur(1) })).rejects.toMatchObject({ code: 'TRANSACTION_OPERATION_NOT_ALLOWED' });
    // Two concurrent refunds that together exceed the capture: one is refused, never both sent.
    const [first, second] = await Promise.allSettled([
      world.transactions.refund({ paymentId: 'pay_e', amount: eur(1_500) }),
      world.transactions.refund({ paymentId: 'pay_e', amount: eur(1_500) }),
    ]);
    expect([first.status, second.status].sort()).toEqual(['fulfilled', 'rejected']);
    expect(world.stripe.api.calls.slice(before).filter((call) => call.routeId === world?.stripe.routes.createRefund)).toHaveLength(1);
    await world.recoverAll();
    expect((await world.invariants()).violations).toEqual([]);
  });
});
