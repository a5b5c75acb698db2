// The old provider goes down after the cutover while refunds of its orders are requested: the
// refunds wait durably in the journal (across a restart), new checkouts keep flowing to the new
// provider, and once the old provider is back the recovery pass runs each refund exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import { useMockServer } from './support/mock-server.js';
import { createZeroLossWorld, eur, newProvider, oldProvider, type ZeroLossWorld } from './support/world.js';

const server = useMockServer();
let world: ZeroLossWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const orders = ['pay_o1', 'pay_o2', 'pay_o3'];

/** Three captured Stripe orders, then the cutover. */
async function capturedOrdersThenCutover(active: ZeroLossWorld): Promise<void> {
  await active.prepareCutover();
  for (const paymentId of orders) expect((await active.checkout({ paymentId, amount: 6_000 })).begunOn).toBe(oldProvider);
  await active.cutover();
}

/** Refund requests that reached Stripe's refund endpoint, by idempotency key. */
function refundKeysAtStripe(active: ZeroLossWorld): string[] {
  return active.stripe.api.callsTo(active.stripe.routes.createRefund).map((call) => call.requestHeaders['idempotency-key'] ?? '(none)');
}

describe('the old provider is down while refunds of its orders are requested', () => {
  it('connections refused: the refunds wait durably (across a restart) and run exactly once when Stripe is back', async () => {
    world = await createZeroLossWorld(server, { seed: 41 });
    await capturedOrdersThenCutover(world);
    const outage = world.stripe.refuseConnections();

    const waiting = await Promise.all(orders.map((paymentId) => world!.transactions.refund({ paymentId, amount: eur(2_000) })));
    for (const result of waiting) {
      expect(result).toMatchObject({ status: 'waiting', errorCode: 'PROVIDER_UNAVAILABLE', intent: { provider: oldProvider, mayHaveExecuted: false } });
    }
    // Checkouts are not affected: they go to the new provider.
    expect((await world.checkout({ paymentId: 'pay_new' })).capture?.status).toBe('succeeded');

    // The process restarts while Stripe is still down: the refunds are in the journal, and a recovery
    // pass leaves them waiting (never sent elsewhere, never failed).
    await world.restart();
    const stillDown = await world.transactions.recover({ owner: 'node-after-restart' });
    expect(stillDown).toMatchObject({ stillWaiting: 3, succeeded: 0, failed: 0 });
    expect(refundKeysAtStripe(world)).toEqual([]);

    outage.remove();
    await world.recoverAll();
    for (const paymentId of orders) {
      expect(await world.payment(paymentId)).toMatchObject({ state: 'partially_refunded', provider: oldProvider });
      expect((await world.payment(paymentId)).refundedAmount.toNumberOfMinorUnits()).toBe(2_000);
    }
    expect(refundKeysAtStripe(world).sort()).toEqual(['pay_o1.refund.1', 'pay_o2.refund.1', 'pay_o3.refund.1']);
    expect(world.stripe.refunds().filter((refund) => refund.amount === 2_000)).toHaveLength(3);
    expect(world.adyen.api.calls.filter((call) => call.requestBody.includes('pay_o'))).toEqual([]);
    const report = await world.invariants();
    expect(report.violations).toEqual([]);
  });

  it("a network outage (every request dropped before Stripe applies it): the refunds wait and run exactly once when it is over", async () => {
    world = await createZeroLossWorld(server, { seed: 42 });
    await capturedOrdersThenCutover(world);
    const outage = world.stripe.api.faults.inject({ kind: 'outage' });

    const results = await Promise.all(orders.map((paymentId) => world!.transactions.refund({ paymentId, amount: eur(2_500) })));
    for (const result of results) {
      // The request may have left: the outcome is unknown, and it stays in the journal until Stripe answers.
      expect(result.status, result.errorCode).not.toBe('succeeded');
      expect(['unknown', 'waiting']).toContain(result.status);
    }
    expect((await world.checkout({ paymentId: 'pay_new' })).begunOn).toBe(newProvider);

    outage.remove();
    await world.recoverAll();
    for (const paymentId of orders) expect((await world.payment(paymentId)).refundedAmount.toNumberOfMinorUnits()).toBe(2_500);
    expect(world.stripe.refunds().filter((refund) => refund.amount === 2_500)).toHaveLength(3);
    const report = await world.invariants();
    expect(report.violations).toEqual([]);
  });
});
