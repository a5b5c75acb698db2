import { ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { RouterStatistics, type StatisticsLabels } from './router-statistics.js';

const adyen: StatisticsLabels = { provider: 'adyen', cohort: 'default', epoch: 4, experiment: true };
const stripe: StatisticsLabels = { provider: 'stripe', cohort: 'default', epoch: 4, experiment: true };

/** Records `count` identical outcomes. */
function record(statistics: RouterStatistics, labels: StatisticsLabels, outcome: 'authorized' | 'declined' | 'error' | 'requires_action', count: number, extra: { declineReason?: string; latencyMs?: number } = {}): void {
  for (let index = 0; index < count; index += 1) statistics.recordOutcome({ ...labels, outcome, ...extra });
}

describe('RouterStatistics', () => {
  it('counts assignments, outcomes by kind, decline reasons, latency and paid checkouts per arm', () => {
    const statistics = new RouterStatistics({ clock: new ManualClock() });
    for (let index = 0; index < 10; index += 1) statistics.recordAssignment(adyen);
    record(statistics, adyen, 'authorized', 6, { latencyMs: 100 });
    record(statistics, adyen, 'declined', 2, { declineReason: 'insufficient_funds' });
    record(statistics, adyen, 'declined', 1);
    record(statistics, adyen, 'error', 1, { latencyMs: 400 });
    record(statistics, adyen, 'requires_action', 3);
    statistics.recordPaid(adyen);
    const arm = statistics.experimentArms(4).get('adyen');
    expect(arm).toEqual({
      assignments: 10,
      attempts: 10,
      authorized: 6,
      declined: 3,
      errors: 1,
      requiresAction: 3,
      paid: 1,
      latencyTotalMs: 1_000,
      latencyCount: 7,
      declineReasons: { insufficient_funds: 2, unspecified: 1 },
    });
    expect(Object.isFrozen(arm)).toBe(true);
  });

  it('gives the guardrail only the randomized split of one epoch, summed over cohorts', () => {
    const statistics = new RouterStatistics({ clock: new ManualClock() });
    record(statistics, adyen, 'authorized', 5);
    record(statistics, { ...adyen, cohort: 'eu' }, 'authorized', 2);
    record(statistics, { ...adyen, experiment: false }, 'authorized', 7);
    record(statistics, { ...adyen, epoch: 5 }, 'authorized', 11);
    record(statistics, stripe, 'declined', 3);
    const arms = statistics.experimentArms(4);
    expect(arms.get('adyen')?.authorized).toBe(7);
    expect(arms.get('stripe')?.declined).toBe(3);
    expect(statistics.experimentArms(5).get('adyen')?.authorized).toBe(11);
    expect(statistics.experimentArms(6).size).toBe(0);
  });

  it('totals per provider and cohort with a * row, filtered by epoch, experiment and time window', async () => {
    const clock = new ManualClock(0);
    const statistics = new RouterStatistics({ clock, windowMs: 1_000, windowCount: 3 });
    record(statistics, adyen, 'authorized', 1);
    await clock.advance(1_000);
    record(statistics, { ...adyen, cohort: 'eu', experiment: false }, 'authorized', 2);
    record(statistics, { ...stripe, epoch: 5 }, 'authorized', 4);
    const all = statistics.totals();
    expect(all.map((row) => [row.provider, row.cohort, row.counts.authorized])).toEqual([
      ['adyen', 'default', 1],
      ['adyen', 'eu', 2],
      ['adyen', '*', 3],
      ['stripe', 'default', 4],
      ['stripe', '*', 4],
    ]);
    expect(statistics.totals({ epoch: 5 }).map((row) => row.provider)).toEqual(['stripe', 'stripe']);
    expect(statistics.totals({ experimentOnly: true }).find((row) => row.provider === 'adyen' && row.cohort === '*')?.counts.authorized).toBe(1);
    expect(statistics.totals({ sinceMs: 1_000 }).find((row) => row.provider === 'adyen' && row.cohort === '*')?.counts.authorized).toBe(2);
    expect(statistics.totals({ sinceMs: 999 }).find((row) => row.provider === 'adyen' && row.cohort === '*')?.counts.authorized).toBe(3);
    // Windows older than windowCount are dropped; the cumulative totals are kept.
    await clock.advance(3_000);
    record(statistics, adyen, 'authorized', 1);
    expect(statistics.totals({ sinceMs: 0 }).find((row) => row.provider === 'adyen' && row.cohort === '*')?.counts.authorized).toBe(1);
    expect(statistics.totals().find((row) => row.provider === 'adyen' && row.cohort === '*')?.counts.authorized).toBe(4);
  });

  it('counts an assignment in the window of the time its caller read on the statistics clock, else of the clock now', async () => {
    const clock = new ManualClock(0);
    const statistics = new RouterStatistics({ clock, windowMs: 1_000, windowCount: 3 });
    expect(statistics.clock).toBe(clock);
    const labels = statistics.labels('adyen', 'default', 4, true);
    statistics.recordAssignment(labels, 2_500);
    statistics.recordAssignment(labels);
    const assignmentsSince = (sinceMs: number): number | undefined => statistics.totals({ sinceMs }).find((row) => row.cohort === '*')?.counts.assignments;
    expect(assignmentsSince(2_000)).toBe(1);
    expect(assignmentsSince(0)).toBe(2);
    // The cached row of the later window does not swallow a count made at the clock's time.
    await clock.advance(500);
    statistics.recordAssignment(labels);
    expect(assignmentsSince(1_000)).toBe(1);
    expect(statistics.totals().find((row) => row.cohort === '*')?.counts.assignments).toBe(3);
  });

  it('orders rows by provider, then cohort, with * last, whatever the recording order', () => {
    const statistics = new RouterStatistics({ clock: new ManualClock() });
    for (const [provider, cohort] of [
      ['zeta', 'b'],
      ['alpha', 'c'],
      ['zeta', 'a'],
      ['alpha', 'a'],
      ['alpha', 'b'],
    ] as const) {
      statistics.recordAssignment({ provider, cohort, epoch: 1, experiment: false });
    }
    expect(statistics.totals().map((row) => `${row.provider}/${row.cohort}`)).toEqual(['alpha/a', 'alpha/b', 'alpha/c', 'alpha/*', 'zeta/a', 'zeta/b', 'zeta/*']);
  });

  it('keeps a window that opens after a clock step backwards', async () => {
    const clock = new ManualClock(10_000);
    const statistics = new RouterStatistics({ clock, windowMs: 1_000 });
    record(statistics, adyen, 'authorized', 1);
    await clock.set(5_000);
    record(statistics, adyen, 'authorized', 1);
    expect(statistics.totals({ sinceMs: 0 }).find((row) => row.cohort === '*')?.counts.authorized).toBe(2);
  });

  it('reports rates with Wilson intervals and differences against the control', () => {
    const statistics = new RouterStatistics({ clock: new ManualClock() });
    for (let index = 0; index < 100; index += 1) {
      statistics.recordAssignment(adyen);
      statistics.recordAssignment(stripe);
    }
    record(statistics, adyen, 'authorized', 85, { latencyMs: 200 });
    record(statistics, adyen, 'declined', 10);
    record(statistics, adyen, 'error', 5);
    record(statistics, stripe, 'authorized', 92);
    record(statistics, stripe, 'declined', 8);
    for (let index = 0; index < 80; index += 1) statistics.recordPaid(adyen);
    for (let index = 0; index < 90; index += 1) statistics.recordPaid(stripe);
    const report = statistics.comparisonReport({ controlProvider: 'stripe' });
    expect(report.controlProvider).toBe('stripe');
    expect(report.confidenceLevel).toBe(0.95);
    const row = report.rows.find((candidate) => candidate.provider === 'adyen' && candidate.cohort === 'default');
    expect(row?.authorizationRate.estimate).toBe(0.85);
    expect(row?.authorizationRate.lower).toBeLessThan(0.85);
    expect(row?.authorizationRate.upper).toBeGreaterThan(0.85);
    expect(row?.errorRate.estimate).toBe(0.05);
    expect(row?.declineRate.estimate).toBe(0.1);
    expect(row?.conversionRate.estimate).toBe(0.8);
    expect(row?.meanLatencyMs).toBe(200);
    expect(report.rows.find((candidate) => candidate.provider === 'stripe' && candidate.cohort === 'default')?.meanLatencyMs).toBeUndefined();
    const difference = report.differences.find((candidate) => candidate.provider === 'adyen' && candidate.cohort === 'default');
    expect(difference?.authorizationRate?.estimate).toBeCloseTo(-0.07, 12);
    expect(difference?.conversionRate?.estimate).toBeCloseTo(-0.1, 12);
    expect(report.differences.map((candidate) => candidate.cohort)).toEqual(['default', '*']);
    const wide = statistics.comparisonReport({ controlProvider: 'stripe', confidenceLevel: 0.99 });
    const wideRow = wide.rows.find((candidate) => candidate.provider === 'adyen' && candidate.cohort === 'default');
    expect((wideRow?.authorizationRate.upper ?? 0) - (wideRow?.authorizationRate.lower ?? 0)).toBeGreaterThan((row?.authorizationRate.upper ?? 0) - (row?.authorizationRate.lower ?? 0));
  });

  it('leaves out differences of cohorts the control has no row for', () => {
    const statistics = new RouterStatistics({ clock: new ManualClock() });
    record(statistics, { ...adyen, cohort: 'eu' }, 'authorized', 1);
    record(statistics, stripe, 'authorized', 1);
    const report = statistics.comparisonReport({ controlProvider: 'stripe', epoch: 4, sinceMs: 0 });
    expect(report.differences.map((difference) => difference.cohort)).toEqual(['*']);
    expect(report.epoch).toBe(4);
    expect(report.sinceMs).toBe(0);
  });

  it('forgets everything on reset', () => {
    const statistics = new RouterStatistics();
    record(statistics, adyen, 'authorized', 1);
    statistics.reset();
    expect(statistics.totals()).toEqual([]);
    expect(statistics.totals({ sinceMs: 0 })).toEqual([]);
  });

  it.each([
    [{ windowMs: 0 }, 'windowMs'],
    [{ windowCount: 1.5 }, 'windowCount'],
  ])('refuses %j', (options, name) => {
    expect(() => new RouterStatistics(options)).toThrow(new RegExp(name));
  });
});

describe('RouterStatistics.labels', () => {
  it('interns labels: the same frozen object for the same values, counted like any other labels', () => {
    const statistics = new RouterStatistics();
    const labels = statistics.labels('adyen', 'default', 4, true);
    expect(statistics.labels('adyen', 'default', 4, true)).toBe(labels);
    expect(statistics.labels('adyen', 'default', 4, false)).not.toBe(labels);
    expect(Object.isFrozen(labels)).toBe(true);
    statistics.recordAssignment(labels);
    statistics.recordAssignment({ provider: 'adyen', cohort: 'default', epoch: 4, experiment: true });
    expect(statistics.experimentArms(4).get('adyen')?.assignments).toBe(2);
  });

  it('counts interned labels into the right window as the clock moves, after windows are dropped and after a reset', async () => {
    const clock = new ManualClock(0);
    const statistics = new RouterStatistics({ clock, windowMs: 1_000, windowCount: 2 });
    const labels = statistics.labels('adyen', 'default', 4, true);
    const since = (sinceMs: number): number | undefined => statistics.totals({ sinceMs }).find((row) => row.cohort === '*')?.counts.assignments;
    statistics.recordAssignment(labels);
    statistics.recordAssignment(labels);
    await clock.advance(1_000);
    statistics.recordAssignment(labels);
    expect(since(1_000)).toBe(1);
    expect(since(0)).toBe(3);
    // Window 0 is dropped when window 2 opens (two kept); a step back into it opens it again.
    await clock.advance(1_000);
    statistics.recordPaid(labels);
    await clock.set(500);
    statistics.recordAssignment(labels);
    expect(since(0)).toBe(2);
    await clock.set(2_000);
    statistics.recordOutcome({ ...labels, outcome: 'authorized' });
    statistics.recordAssignment(labels);
    expect(statistics.totals({ sinceMs: 2_000 }).find((row) => row.cohort === '*')?.counts).toMatchObject({ assignments: 1, paid: 1, authorized: 1 });
    expect(statistics.experimentArms(4).get('adyen')).toMatchObject({ assignments: 5, paid: 1, authorized: 1 });
    statistics.reset();
    statistics.recordAssignment(labels);
    expect(statistics.experimentArms(4).get('adyen')?.assignments).toBe(1);
    expect(since(0)).toBe(1);
  });

  it('counts every interned labels into its own row when more labels take turns than it finds by identity', () => {
    const statistics = new RouterStatistics({ clock: new ManualClock() });
    const labels = ['a', 'b', 'c', 'd', 'e', 'f'].map((cohort) => statistics.labels('adyen', cohort, 4, false));
    for (let round = 0; round < 5; round += 1) {
      for (const [index, each] of labels.entries()) for (let count = 0; count <= index; count += 1) statistics.recordAssignment(each);
    }
    const rows = statistics.totals().filter((row) => row.cohort !== '*');
    expect(rows.map((row) => [row.cohort, row.counts.assignments])).toEqual([
      ['a', 5],
      ['b', 10],
      ['c', 15],
      ['d', 20],
      ['e', 25],
      ['f', 30],
    ]);
  });

  it('drops its cache beyond 10,000 labels and interns again', () => {
    const statistics = new RouterStatistics();
    const first = statistics.labels('adyen', 'default', 0, false);
    for (let epoch = 1; epoch <= 10_000; epoch += 1) statistics.labels('adyen', 'default', epoch, false);
    const again = statistics.labels('adyen', 'default', 0, false);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
    expect(statistics.labels('adyen', 'default', 0, false)).toBe(again);
  });
});
