import { afterEach, describe, expect, it } from 'vitest';
import { drainPhase } from '../rehearsal/phase-drain.js';
import { openScenario, type Scenario } from './__fixtures__/scenario-rehearsal.js';

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('scenario: a customer completes checkout while the provider cuts over', () => {
  it('pins every checkout to the provider it started on, sends checkouts after the switch to the new provider, and loses nothing', async () => {
    scenario = await openScenario({ from: 'stripe', to: 'adyen' });
    const { context } = scenario;
    await scenario.seedAndMigrateTokens();
    await scenario.rampTo(50);
    const customers = context.customers.all();

    // Checkouts keep coming in; the cutover lands in the middle of them.
    const inFlight = customers.slice(0, 12).map((customer, index) =>
      (async () => {
        await new Promise((resolve) => setTimeout(resolve, index * 15));
        return scenario?.checkout({ paymentId: `during-${index}`, customerId: customer.customerId, amountMinor: 1_990 + index, capture: index % 2 === 0 });
      })(),
    );
    await new Promise((resolve) => setTimeout(resolve, 60));
    await scenario.rampTo(100);
    await scenario.cutOver();
    const during = await Promise.all(inFlight);
    const after = await Promise.all(customers.slice(0, 8).map((customer, index) => scenario?.checkout({ paymentId: `after-${index}`, customerId: customer.customerId, amountMinor: 3_000, capture: true })));

    for (const result of [...during, ...after]) {
      expect(result?.status).toBe('succeeded');
      // The journal's pin is the provider the customer paid at, and it never changed.
      const payment = await context.runtime.transactions.payment(result?.paymentId ?? '');
      expect(payment?.provider).toBe(result?.payment.provider);
    }
    expect(new Set(after.map((result) => result?.payment.provider))).toStrictEqual(new Set(['adyen']));
    expect(during.some((result) => result?.payment.provider === 'stripe')).toBe(true);

    await scenario.phase('drain', drainPhase);
    const report = await scenario.verify();
    expect(report.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
    expect(report.checked.receipts).toBeGreaterThanOrEqual(8 + 20);
  }, 180_000);
});
