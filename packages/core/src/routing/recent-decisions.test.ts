import { describe, expect, it } from 'vitest';
import { notRemembered, RecentDecisions } from './recent-decisions.js';
import { RouterStatistics } from './router-statistics.js';
import { RoutingDecisionCounts } from './routing-decision-counts.js';
import type { RoutingDecision } from './routing-types.js';

const statistics = new RouterStatistics();
const counts = new RoutingDecisionCounts(statistics);

/** A ramp decision for bucket `bucket`. */
function rampDecision(bucket: number): RoutingDecision {
  return { provider: 'adyen', reason: 'ramp: bucket < 50000 (50 %)', kind: 'bucket', epoch: 4, cohort: 'default', bucket, experiment: true, pinned: false };
}

describe('RecentDecisions', () => {
  it('keeps exactly the last `capacity` decisions, by payment id and merchant reference', () => {
    const recent = new RecentDecisions(3);
    for (let index = 1; index <= 5; index += 1) {
      const decision = rampDecision(index);
      const tally = counts.tallyOf(decision);
      recent.remember(`pay_${index}`, `order_${index}`, decision, tally.labels, tally);
    }
    expect(recent.find('pay_1')).toBe(notRemembered);
    expect(recent.find('pay_2')).toBe(notRemembered);
    expect(recent.findByMerchantReference('order_2')).toBe(notRemembered);
    for (const index of [3, 4, 5]) {
      const slot = recent.find(`pay_${index}`);
      expect(slot).not.toBe(notRemembered);
      expect(recent.findByMerchantReference(`order_${index}`)).toBe(slot);
      expect(recent.pinnedDecisionAt(slot)).toStrictEqual({ ...rampDecision(index), pinned: true });
      expect(recent.labelsAt(slot)).toBe(statistics.labels('adyen', 'default', 4, true));
    }
  });

  it('keeps a decision without a tally, or with a stored payment method, as the object', () => {
    const recent = new RecentDecisions(4);
    const renewal: RoutingDecision = {
      provider: 'adyen',
      reason: 'subscription renewal: token on adyen',
      kind: 'renewal',
      epoch: 4,
      cohort: 'renewal',
      experiment: false,
      pinned: false,
      storedPaymentMethod: { provider: 'adyen', token: 'tok_1' },
    };
    const tally = counts.tallyOf(renewal);
    recent.remember('pay_renewal', undefined, renewal, tally.labels, tally);
    expect(recent.pinnedDecisionAt(recent.find('pay_renewal'))).toStrictEqual({ ...renewal, pinned: true });
    const assigned: RoutingDecision = { provider: 'stripe', reason: 'split leg', kind: 'assigned', epoch: 4, cohort: 'assigned', experiment: false, pinned: true };
    const labels = statistics.labels('stripe', 'assigned', 4, false);
    recent.remember('pay_assigned', undefined, assigned, labels);
    expect(recent.pinnedDecisionAt(recent.find('pay_assigned'))).toBe(assigned);
    expect(recent.labelsAt(recent.find('pay_assigned'))).toBe(labels);
    expect(recent.findByMerchantReference('order_none')).toBe(notRemembered);
  });

  it('keeps the newer decision of a payment remembered twice when the older slot is reused', () => {
    const recent = new RecentDecisions(2);
    const first = rampDecision(1);
    const tally = counts.tallyOf(first);
    recent.remember('pay_1', 'order_1', first, tally.labels, tally);
    const again: RoutingDecision = { ...first, reason: 'assigned again', kind: 'assigned', cohort: 'assigned', pinned: true };
    recent.remember('pay_1', undefined, again, tally.labels);
    // The first slot is reused now: pay_1 stays mapped to its newer decision.
    recent.remember('pay_2', 'order_1', rampDecision(2), tally.labels, tally);
    expect(recent.pinnedDecisionAt(recent.find('pay_1'))).toBe(again);
    // The reference moved to the newer payment that was sent with it.
    expect(recent.pinnedDecisionAt(recent.findByMerchantReference('order_1')).bucket).toBe(2);
    recent.remember('pay_3', undefined, rampDecision(3), tally.labels, tally);
    expect(recent.find('pay_1')).toBe(notRemembered);
  });

  it.each([
    ['allocated at once', 7, 1024],
    ['growing from 2 slots', 50, 2],
  ])('agrees with the last `capacity` decisions of a plain list, looked up by payment id and merchant reference between decisions (%s)', (_label, capacity, initialSlots) => {
    const recent = new RecentDecisions(capacity, initialSlots);
    const model: { paymentId: string; reference: string | undefined; bucket: number }[] = [];
    const keys = capacity * 4;
    let state = 7;
    const random = (limit: number): number => {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
      return (state >>> 16) % limit;
    };
    for (let step = 0; step < 3_000; step += 1) {
      const paymentId = `pay_${random(keys)}`;
      const reference = random(4) === 0 ? undefined : `order_${random(keys)}`;
      const decision = rampDecision(step);
      const tally = counts.tallyOf(decision);
      recent.remember(paymentId, reference, decision, tally.labels, tally);
      model.push({ paymentId, reference, bucket: step });
      if (model.length > capacity) model.shift();
      // Outcomes arrive now and then: the reference index catches up over many decisions at once.
      if (random(5) !== 0) continue;
      for (let key = 0; key < keys; key += 1) {
        const byPayment = model.findLast((entry) => entry.paymentId === `pay_${key}`);
        const slot = recent.find(`pay_${key}`);
        expect(slot === notRemembered ? undefined : recent.pinnedDecisionAt(slot).bucket).toBe(byPayment?.bucket);
        const byReference = model.findLast((entry) => entry.reference === `order_${key}`);
        const latest = byReference === undefined ? undefined : model.findLast((entry) => entry.paymentId === byReference.paymentId);
        const referenceSlot = recent.findByMerchantReference(`order_${key}`);
        expect(referenceSlot === notRemembered ? undefined : recent.pinnedDecisionAt(referenceSlot).bucket).toBe(latest?.bucket);
      }
    }
  });

  it('keeps at least one decision', () => {
    const recent = new RecentDecisions(0);
    const decision = rampDecision(1);
    recent.remember('pay_1', undefined, decision, counts.tallyOf(decision).labels);
    expect(recent.find('pay_1')).not.toBe(notRemembered);
  });
});
