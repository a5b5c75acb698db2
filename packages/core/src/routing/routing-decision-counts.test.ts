import type { Attributes } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { RouterStatistics } from './router-statistics.js';
import { observeDecisionCounts, observeDecisionTotals, RoutingDecisionCounts } from './routing-decision-counts.js';
import { recordingMeter } from './__fixtures__/routing-harness.js';
import type { RoutingDecision } from './routing-types.js';

/** A decision of cohort `cohort` on `epoch`. */
function decisionOf(cohort: string, epoch: number, experiment = false): RoutingDecision {
  return { provider: 'adyen', reason: `cohort ${cohort}`, kind: 'cohort', epoch, cohort, experiment, pinned: false };
}

/** What `observe` reports. */
function observed(counts: RoutingDecisionCounts): { value: number; attributes: Attributes | undefined }[] {
  const observations: { value: number; attributes: Attributes | undefined }[] = [];
  observeDecisionTotals([counts.tallies], { observe: (value, attributes) => observations.push({ value, attributes }) });
  return observations;
}

describe('RoutingDecisionCounts', () => {
  it('gives one tally per provider, cohort, kind, epoch and experiment flag, with interned labels', () => {
    const statistics = new RouterStatistics();
    const counts = new RoutingDecisionCounts(statistics);
    const tally = counts.count(decisionOf('vip', 4));
    expect(counts.count({ ...decisionOf('vip', 4), reason: 'other words', bucket: 7 })).toBe(tally);
    expect(tally.count).toBe(2);
    expect(tally.labels).toBe(statistics.labels('adyen', 'vip', 4, false));
    expect(counts.tallyOf(decisionOf('vip', 4, true))).not.toBe(tally);
    expect(counts.tallyOf(decisionOf('vip', 5))).not.toBe(tally);
  });

  it('finds a tally again after more combinations than it checks by comparison', () => {
    const counts = new RoutingDecisionCounts(new RouterStatistics());
    const tallies = Array.from({ length: 20 }, (_, index) => counts.count(decisionOf(`cohort-${index}`, 1)));
    for (let index = 0; index < 20; index += 1) expect(counts.count(decisionOf(`cohort-${index}`, 1))).toBe(tallies[index]);
    expect(tallies.every((tally) => tally.count === 2)).toBe(true);
  });

  it('observes the totals by provider, cohort and kind, summed over epochs and the experiment flag', () => {
    const counts = new RoutingDecisionCounts(new RouterStatistics());
    expect(observed(counts)).toEqual([]);
    counts.count(decisionOf('vip', 4));
    counts.count(decisionOf('vip', 5));
    counts.count(decisionOf('vip', 5, true));
    counts.count(decisionOf('b2b', 5));
    expect(observed(counts)).toEqual([
      { value: 3, attributes: { provider: 'adyen', cohort: 'vip', kind: 'cohort' } },
      { value: 1, attributes: { provider: 'adyen', cohort: 'b2b', kind: 'cohort' } },
    ]);
  });

  it('exports one observable counter per meter, summed over every router counting on it', () => {
    const { meter, collect } = recordingMeter();
    const first = new RoutingDecisionCounts(new RouterStatistics());
    const second = new RoutingDecisionCounts(new RouterStatistics());
    observeDecisionCounts(meter, first);
    observeDecisionCounts(meter, second);
    first.count(decisionOf('vip', 4));
    second.count(decisionOf('vip', 4));
    second.count(decisionOf('b2b', 4));
    expect(collect()).toEqual([
      { name: 'paymigrate.routing.decisions', value: 2, attributes: { provider: 'adyen', cohort: 'vip', kind: 'cohort' } },
      { name: 'paymigrate.routing.decisions', value: 1, attributes: { provider: 'adyen', cohort: 'b2b', kind: 'cohort' } },
    ]);
  });
});
