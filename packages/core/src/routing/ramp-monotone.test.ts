import { describe, expect, it } from 'vitest';
import { Money } from '../money/money.js';
import { createRoutingHarness, newProvider, settle } from './__fixtures__/routing-harness.js';

/**
 * Ramp 1 -> 5 -> 25 -> 50 -> 100 % over 100,000 customer ids, each step journaled by the
 * orchestrator and announced to the node: every customer's assignment is monotone (never new ->
 * old) and the share at each step is within 0.5 percentage points of the target.
 */
describe('ramp 1 -> 5 -> 25 -> 50 -> 100 % over 100,000 customers', () => {
  it('never moves a customer back and hits every target within 0.5 points', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(0);
    const router = await harness.createRouter();
    const customers = 100_000;
    const onNew = new Uint8Array(customers);
    const amount = Money.of(1_000, 'EUR');
    const shares: Record<number, number> = {};
    for (const percent of [1, 5, 25, 50, 100]) {
      await harness.orchestrator.setRampPercent({ percent, actor: 'alice', reason: `step to ${percent} %` });
      await settle();
      expect(router.node.view().snapshot?.migration?.rampPercent).toBe(percent);
      let newCount = 0;
      for (let customer = 0; customer < customers; customer += 1) {
        const decision = await router.select({ paymentId: `p${percent}_${customer}`, merchantReference: `o${percent}_${customer}`, amount, currency: 'EUR', customerId: `cus_${customer}` });
        const isNew = decision.provider === newProvider;
        // Monotone: a customer on the new provider at a lower percentage stays there.
        if (onNew[customer] === 1 && !isNew) throw new Error(`customer cus_${customer} moved back at ${percent} %`);
        onNew[customer] = isNew ? 1 : 0;
        if (isNew) newCount += 1;
      }
      shares[percent] = (newCount / customers) * 100;
      expect(Math.abs((shares[percent] as number) - percent)).toBeLessThanOrEqual(0.5);
    }
    console.log(`ramp shares over 100,000 customers: ${Object.entries(shares).map(([percent, share]) => `${percent} % -> ${share.toFixed(3)} %`).join(', ')}`);
    expect(onNew.every((value) => value === 1)).toBe(true);
    await router.node.stop();
  }, 120_000);
});
