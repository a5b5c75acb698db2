import { afterEach, describe, expect, it } from 'vitest';
import { cutoverPhase } from '../rehearsal/phase-cutover.js';
import { drainPhase } from '../rehearsal/phase-drain.js';
import { rollbackDrillPhase } from '../rehearsal/phase-rollback-drill.js';
import { startTraffic } from '../rehearsal/rehearsal.js';
import { openScenario, type Scenario } from './__fixtures__/scenario-rehearsal.js';

let scenario: Scenario | undefined;

afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

describe('scenario: emergency rollback during peak shopping hours', () => {
  it('sends every new payment back to the old provider at once while payments in flight finish where they started', async () => {
    scenario = await openScenario({ from: 'stripe', to: 'paypal', customers: 30, concurrency: 12 });
    const { context } = scenario;
    await scenario.seedAndMigrateTokens();
    await scenario.rampTo(100);
    startTraffic(scenario.rehearsal);
    await context.traffic?.waitForCheckouts(20, 30_000);
    await scenario.phase('cutover', cutoverPhase);

    await scenario.phase('rollback-drill', rollbackDrillPhase);
    const drill = context.checkpoints.current().phases['rollback-drill'];
    expect(drill?.counts.paymentsHeldInFlight).toBeGreaterThan(0);
    expect(drill?.counts.inFlightFinishedWhereStarted).toBe(drill?.counts.paymentsHeldInFlight);
    expect(drill?.counts.inFlightFinishedElsewhere).toBe(0);
    expect(drill?.counts.checkoutsOnNewAfterRollback).toBe(0);
    expect(drill?.counts.checkoutsOnOldAfterRollback).toBeGreaterThan(0);
    const history = (await context.runtime.orchestrator.status()).history.map((entry) => entry.to);
    expect(history).toContain('rolled_back');
    expect(history.at(-1)).toBe('cutover');

    await scenario.phase('drain', drainPhase);
    const report = await scenario.verify();
    expect(report.invariants).toStrictEqual({ lostPayments: 0, doubleCharges: 0, invalidOrders: 0, droppedSessions: 0, panHits: 0 });
    expect(report.figures.checkouts).toBeGreaterThan(20);
  }, 180_000);
});
