import { Money, PaymentAmountError } from '@paymigrate/core';
import { afterEach, describe, expect, it } from 'vitest';
import { drainPhase } from '../rehearsal/phase-drain.js';
import { orderPaymentIdOf } from '../rehearsal/phase-seed.js';
import { openScenario, type Scenario } from './__fixtures__/scenario-rehearsal.js';

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('scenario: refunding orders paid at the old provider after the cutover', () => {
  it('refunds each order at the provider that took the money, whatever the routing says now, within what was captured', async () => {
    scenario = await openScenario({ from: 'paypal', to: 'stripe', orders: 6 });
    const { context } = scenario;
    const { transactions } = context.runtime;
    await scenario.seedAndMigrateTokens();
    const orderPayments = Array.from({ length: 6 }, (_, index) => orderPaymentIdOf(`order-${String(index + 1).padStart(5, '0')}`));
    for (const paymentId of orderPayments) expect((await transactions.capture({ paymentId, sequence: 1 })).status).toBe('succeeded');
    await scenario.rampTo(100);
    await scenario.cutOver();

    // Full refunds of two orders, a partial refund of a third, after the cutover.
    for (const paymentId of orderPayments.slice(0, 2)) {
      const payment = await transactions.payment(paymentId);
      const refund = await transactions.refund({ paymentId, amount: payment?.capturedAmount ?? Money.zero('EUR'), reason: 'requested_by_customer', sequence: 1 });
      expect(refund.status).toBe('succeeded');
      expect(refund.intent.provider).toBe('paypal');
    }
    const partial = await transactions.payment(orderPayments[2] ?? '');
    expect((await transactions.refund({ paymentId: orderPayments[2] ?? '', amount: Money.of(100, 'EUR'), sequence: 1 })).intent.provider).toBe('paypal');

    // More than what remains captured is refused before anything is sent.
    const tooMuch = await transactions.refund({ paymentId: orderPayments[2] ?? '', amount: partial?.capturedAmount ?? Money.zero('EUR'), sequence: 2 }).catch((error: unknown) => error);
    expect(PaymentAmountError.isInstance(tooMuch)).toBe(true);

    await scenario.phase('drain', drainPhase);
    const truth = await context.world.call('truth', {});
    for (const paymentId of orderPayments.slice(0, 3)) {
      const facts = truth.payments.filter((fact) => fact.merchantReference === `ref-${paymentId}`);
      expect(facts.map((fact) => fact.provider)).toStrictEqual(['paypal']);
      expect(facts[0]?.refundedMinor).toBeGreaterThan(0);
    }
    const states = Object.fromEntries(truth.orders.map((order) => [order.orderId, order.state]));
    expect(states['order-00001']).toBe('refunded');
    expect(states['order-00003']).toBe('partially_refunded');

    const report = await scenario.verify();
    expect(report.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
  }, 180_000);
});
