import { createSeededRandom, InMemoryJournal, ManualClock } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import type { MigrationState } from '../cutover/migration-state.js';
import { Money } from '../money/money.js';
import { parseRoutingChange } from './control-plane-broadcast.js';
import { RouterStatistics, type StatisticsLabels } from './router-statistics.js';
import { createRolloutGuardrail, type GuardrailVerdict, guardrailVerdictCollection, type RolloutGuardrailOptions } from './rollout-guardrail.js';
import type { RoutingNode } from './routing-node.js';
import { capturingLogger, createRoutingHarness, newProvider, oldProvider, recordingMeter, settle } from './__fixtures__/routing-harness.js';

/** A migration state in the ramp at `percent`. */
function rampState(percent: number, epoch = 4): MigrationState {
  return { migrationId: 'default', fromProvider: oldProvider, toProvider: newProvider, phase: 'ramp', epoch, rampPercent: percent, rolledBack: false, history: [], createdAt: 0, updatedAt: 0 };
}

/** A node that always sees `state` (fresh), over its own journal. */
async function fixedNode(state: MigrationState | undefined, extra: { stale?: boolean; killSwitchEngaged?: boolean } = {}): Promise<RoutingNode> {
  const journal = new InMemoryJournal({ clock: new ManualClock() });
  await journal.open();
  const control =
    extra.killSwitchEngaged === true
      ? { migrationId: 'default', revision: 1, killSwitchEngaged: true, lastChange: { engaged: true, actor: 'a', reason: 'r', at: 0, revision: 1 }, history: [] }
      : undefined;
  return {
    nodeId: 'fixed',
    migrationId: 'default',
    journal,
    view: () => ({ snapshot: { migration: state, control, readAt: 0, sequence: 1 }, ageMs: 0, stale: extra.stale ?? false }),
  } as unknown as RoutingNode;
}

/** A guardrail over `statistics` and a fixed node, recording rollback calls. */
async function guardrailFor(statistics: RouterStatistics, state: MigrationState | undefined, options: Partial<RolloutGuardrailOptions> = {}, extra: { stale?: boolean; killSwitchEngaged?: boolean } = {}) {
  const rollbacks: Array<{ actor: string; reason: string }> = [];
  const guardrail = createRolloutGuardrail({
    statistics,
    node: await fixedNode(state, extra),
    orchestrator: {
      rollback: async (input) => {
        rollbacks.push(input);
        return { ...(state as MigrationState), phase: 'rolled_back', epoch: (state?.epoch ?? 0) + 1 };
      },
    },
    logger: capturingLogger().logger,
    clock: new ManualClock(),
    ...options,
  });
  return { guardrail, rollbacks };
}

/** Feeds one arm: `assignments` decisions and outcomes with the given counts. */
function feed(statistics: RouterStatistics, provider: string, counts: { assignments?: number; authorized?: number; declined?: number; errors?: number }, epoch = 4): void {
  const labels: StatisticsLabels = { provider, cohort: 'default', epoch, experiment: true };
  for (let index = 0; index < (counts.assignments ?? (counts.authorized ?? 0) + (counts.declined ?? 0) + (counts.errors ?? 0)); index += 1) statistics.recordAssignment(labels);
  for (let index = 0; index < (counts.authorized ?? 0); index += 1) statistics.recordOutcome({ ...labels, outcome: 'authorized' });
  for (let index = 0; index < (counts.declined ?? 0); index += 1) statistics.recordOutcome({ ...labels, outcome: 'declined', declineReason: 'do_not_honor' });
  for (let index = 0; index < (counts.errors ?? 0); index += 1) statistics.recordOutcome({ ...labels, outcome: 'error' });
}

/**
 * One simulated ramp: payments are split at `percent`, authorized with probability
 * `treatmentRate` / `controlRate` (declined otherwise); the guardrail looks after every `every`
 * payments. Returns the number of payments when it rolled back, or undefined.
 */
async function simulate(seed: number, rates: { treatment: number; control: number }, options: { percent?: number; maximum?: number; every?: number } = {}): Promise<number | undefined> {
  const percent = options.percent ?? 50;
  const statistics = new RouterStatistics({ clock: new ManualClock() });
  const { guardrail } = await guardrailFor(statistics, rampState(percent));
  const random = createSeededRandom(seed);
  const treatment: StatisticsLabels = { provider: newProvider, cohort: 'default', epoch: 4, experiment: true };
  const control: StatisticsLabels = { ...treatment, provider: oldProvider };
  const every = options.every ?? 50;
  for (let payment = 1; payment <= (options.maximum ?? 4_000); payment += 1) {
    const labels = random.next() < percent / 100 ? treatment : control;
    statistics.recordAssignment(labels);
    const rate = labels === treatment ? rates.treatment : rates.control;
    statistics.recordOutcome({ ...labels, outcome: random.next() < rate ? 'authorized' : 'declined' });
    if (payment % every === 0 && (await guardrail.evaluate()).decision === 'rollback') return payment;
  }
  return undefined;
}

describe('guardrail holds (no decision)', () => {
  it.each<[string, MigrationState | undefined, { stale?: boolean; killSwitchEngaged?: boolean }, string]>([
    ['a stale config', rampState(50), { stale: true }, 'routing config is stale'],
    ['no migration', undefined, {}, 'not ramping (phase not started)'],
    ['another phase', { ...rampState(50), phase: 'cutover' }, {}, 'not ramping (phase cutover)'],
    ['the kill switch', rampState(50), { killSwitchEngaged: true }, 'kill switch engaged: no traffic is split'],
    ['a 0 % ramp', rampState(0), {}, 'no comparison at 0 %: one arm is empty by design'],
    ['a 100 % ramp', rampState(100), {}, 'no comparison at 100 %: one arm is empty by design'],
  ])('on %s', async (_label, state, extra, reason) => {
    const { guardrail } = await guardrailFor(new RouterStatistics(), state, {}, extra);
    expect(await guardrail.evaluate()).toMatchObject({ decision: 'hold', reason });
  });

  it('without data in both arms ("no data" holds)', async () => {
    const statistics = new RouterStatistics();
    const { guardrail, rollbacks } = await guardrailFor(statistics, rampState(50));
    expect(await guardrail.evaluate()).toMatchObject({ decision: 'hold', reason: 'no data: adyen 0 and stripe 0 attempts in epoch 4' });
    feed(statistics, newProvider, { errors: 500 });
    const verdict = await guardrail.evaluate();
    expect(verdict).toMatchObject({ decision: 'hold', reason: 'no data: adyen 500 and stripe 0 attempts in epoch 4' });
    expect(verdict.treatment?.counts.errors).toBe(500);
    feed(statistics, oldProvider, { assignments: 10 });
    expect((await guardrail.evaluate()).reason).toBe('no data: adyen 500 and stripe 0 attempts in epoch 4');
    expect(rollbacks).toEqual([]);
  });

  it('below the minimum samples per arm, even on a total outage', async () => {
    const statistics = new RouterStatistics();
    const { guardrail, rollbacks } = await guardrailFor(statistics, rampState(50), { minimumSamplesPerArm: 100 });
    feed(statistics, newProvider, { errors: 99 });
    feed(statistics, oldProvider, { authorized: 99 });
    expect(await guardrail.evaluate()).toMatchObject({
      decision: 'hold',
      reason: 'minimum samples not reached: adyen 99 and stripe 99 attempts, 100 needed per arm',
    });
    expect(rollbacks).toEqual([]);
    feed(statistics, newProvider, { errors: 1 });
    feed(statistics, oldProvider, { authorized: 1 });
    expect((await guardrail.evaluate()).decision).toBe('rollback');
  });

  it('on a sample ratio mismatch (chi-square against the expected split, p < 0.001), whatever the rates say', async () => {
    const statistics = new RouterStatistics();
    const { guardrail, rollbacks } = await guardrailFor(statistics, rampState(10));
    // 10 % expected, 20 % observed: the split is broken.
    feed(statistics, newProvider, { authorized: 100, errors: 100 });
    feed(statistics, oldProvider, { authorized: 800 });
    const verdict = await guardrail.evaluate();
    expect(verdict.decision).toBe('hold');
    expect(verdict.reason).toMatch(/^sample ratio mismatch: 20\.00 % of assignments on adyen, 10 % expected \(chi-square 111\.11, p=.* < 0\.001\); the split is broken, no decision$/);
    expect(verdict.sampleRatio?.pValue).toBeLessThan(0.001);
    expect(rollbacks).toEqual([]);
  });
});

describe('guardrail decisions', () => {
  it('continues without a significant regression, with the statistics in the reason', async () => {
    const statistics = new RouterStatistics();
    const { meter, records } = recordingMeter();
    const { guardrail } = await guardrailFor(statistics, rampState(50), { meter });
    feed(statistics, newProvider, { authorized: 450, declined: 50 });
    feed(statistics, oldProvider, { authorized: 455, declined: 45 });
    const verdict = await guardrail.evaluate();
    expect(verdict.decision).toBe('continue');
    expect(verdict.reason).toContain('no significant regression in epoch 4: authorization-rate adyen 90.00 % (n=500) vs stripe 91.00 % (n=500), difference -1.00 pp, mSPRT likelihood ratio');
    expect(verdict.authorizationRate?.regression).toBe(false);
    expect(verdict.authorizationRate?.threshold).toBe(40);
    expect(verdict.errorRate?.test.likelihoodRatio).toBe(1);
    expect(records).toContainEqual({ name: 'paymigrate.routing.guardrail.evaluations', value: 1, attributes: { decision: 'continue' } });
  });

  it('writes an overflowing likelihood ratio as infinity, and logs with its default logger', async () => {
    const statistics = new RouterStatistics();
    const rollbacks: string[] = [];
    const guardrail = createRolloutGuardrail({ statistics, node: await fixedNode(rampState(50)), orchestrator: { rollback: async (input) => (rollbacks.push(input.reason), rampState(0)) } });
    feed(statistics, newProvider, { authorized: 450, declined: 50 });
    feed(statistics, oldProvider, { authorized: 455, declined: 45 });
    expect((await guardrail.evaluate()).decision).toBe('continue');
    feed(statistics, newProvider, { errors: 100_000 });
    feed(statistics, oldProvider, { authorized: 100_000 });
    const verdict = await createRolloutGuardrail({ statistics, node: await fixedNode(rampState(50)), orchestrator: { rollback: async (input) => (rollbacks.push(input.reason), rampState(0)) }, logger: capturingLogger().logger }).evaluate();
    expect(verdict.errorRate?.test.likelihoodRatio).toBe(Number.POSITIVE_INFINITY);
    expect(rollbacks[0]).toContain('mSPRT likelihood ratio infinity >= 40');
  });

  it('does not roll back on an improvement, only on a regression', async () => {
    const statistics = new RouterStatistics();
    const { guardrail } = await guardrailFor(statistics, rampState(50));
    feed(statistics, newProvider, { authorized: 980, declined: 20 });
    feed(statistics, oldProvider, { authorized: 850, declined: 100, errors: 50 });
    const verdict = await guardrail.evaluate();
    expect(verdict.decision).toBe('continue');
    expect(verdict.authorizationRate?.test.likelihoodRatio).toBeGreaterThan(40);
    expect(verdict.errorRate?.test.likelihoodRatio).toBeGreaterThan(40);
  });

  it('rolls back on an error-rate regression alone', async () => {
    const statistics = new RouterStatistics();
    const { guardrail, rollbacks } = await guardrailFor(statistics, rampState(50));
    feed(statistics, newProvider, { authorized: 900, errors: 100 });
    feed(statistics, oldProvider, { authorized: 890, declined: 100, errors: 10 });
    const verdict = await guardrail.evaluate();
    expect(verdict.decision).toBe('rollback');
    expect(verdict.authorizationRate?.regression).toBe(false);
    expect(verdict.errorRate?.regression).toBe(true);
    expect(rollbacks[0]?.reason).toMatch(/^guardrail: significant error rate regression of adyen at 50 % \(epoch 4\)/);
  });

  it('trips on an injected authorization-rate drop (92 % -> 85 %) within a bounded number of payments', async () => {
    const tripped = await simulate(7, { treatment: 0.85, control: 0.92 });
    expect(tripped).toBeDefined();
    expect(tripped).toBeLessThanOrEqual(3_000);
    const samples: number[] = [];
    for (let seed = 1; seed <= 50; seed += 1) samples.push((await simulate(10_000 + seed, { treatment: 0.85, control: 0.92 }, { maximum: 6_000 })) ?? Number.POSITIVE_INFINITY);
    samples.sort((left, right) => left - right);
    const median = samples[24] as number;
    const worst = samples[49] as number;
    console.log(`guardrail detection of 92 % -> 85 % at a 50 % ramp (50 seeds, a look every 50 payments): median ${median}, worst ${worst} payments`);
    expect(worst).toBeLessThanOrEqual(6_000);
  });

  it('does not trip on noise: the false-rollback rate of 200 seeded A/A ramps (both arms 90 %) is at most 5 %', async () => {
    for (const percent of [50, 10]) {
      let rollbacks = 0;
      const runs = 200;
      for (let seed = 1; seed <= runs; seed += 1) if ((await simulate(seed * 7_919 + percent, { treatment: 0.9, control: 0.9 }, { percent, maximum: 4_000 })) !== undefined) rollbacks += 1;
      const rate = rollbacks / runs;
      console.log(`guardrail A/A false-rollback rate at a ${percent} % ramp: ${rollbacks}/${runs} = ${(rate * 100).toFixed(1)} % (4,000 payments each, a look every 50)`);
      expect(rate).toBeLessThanOrEqual(0.05);
    }
  });

  it('reports an orchestrator that refuses the rollback, and never throws', async () => {
    const statistics = new RouterStatistics();
    const logger = capturingLogger();
    const guardrail = createRolloutGuardrail({
      statistics,
      node: await fixedNode(rampState(50)),
      orchestrator: { rollback: () => Promise.reject(new Error('migration is done')) },
      logger: logger.logger,
    });
    feed(statistics, newProvider, { authorized: 100, errors: 100 });
    feed(statistics, oldProvider, { authorized: 200 });
    const verdict = await guardrail.evaluate();
    expect(verdict).toMatchObject({ decision: 'rollback', rollbackError: 'migration is done' });
    expect(logger.lines.at(-1)).toMatchObject({ msg: 'guardrail rolled the migration back', rollbackError: 'migration is done' });
    const text = createRolloutGuardrail({ statistics, node: await fixedNode(rampState(50)), orchestrator: { rollback: () => Promise.reject('nope') }, logger: logger.logger });
    expect((await text.evaluate()).rollbackError).toBe('nope');
  });

  it('refuses invalid options with a ConfigurationError naming the option', async () => {
    const node = await fixedNode(rampState(50));
    const orchestrator = { rollback: async () => rampState(0) };
    for (const [overrides, option] of [
      [{ statistics: {} }, 'rolloutGuardrail.statistics'],
      [{ node: {} }, 'rolloutGuardrail.node'],
      [{ orchestrator: {} }, 'rolloutGuardrail.orchestrator'],
      [{ broadcast: {} }, 'rolloutGuardrail.broadcast'],
      [{ alpha: 1 }, 'rolloutGuardrail.alpha'],
      [{ mixingVariance: 0 }, 'rolloutGuardrail.mixingVariance'],
      [{ minimumSamplesPerArm: 0 }, 'rolloutGuardrail.minimumSamplesPerArm'],
      [{ sampleRatioMismatchAlpha: 0 }, 'rolloutGuardrail.sampleRatioMismatchAlpha'],
      [{ actor: '' }, 'rolloutGuardrail.actor'],
    ] as const) {
      const options: Record<string, unknown> = Object.assign({ statistics: new RouterStatistics(), node, orchestrator }, overrides);
      expect(() => createRolloutGuardrail(options as never)).toThrow(expect.objectContaining({ option }) as Error);
    }
  });
});

describe('guardrail end to end: rollback through the orchestrator', () => {
  it('rolls back by itself (actor guardrail, reason with the statistics), journals why, announces it, and the nodes route to the old provider', async () => {
    const harness = await createRoutingHarness();
    await harness.rampTo(50);
    const router = await harness.createRouter();
    const other = await harness.createRouter();
    const guardrail = createRolloutGuardrail({ statistics: router.statistics, node: router.node, orchestrator: harness.orchestrator, broadcast: harness.broadcast, clock: harness.clock, logger: harness.logger });
    const random = createSeededRandom(3);
    let verdict: GuardrailVerdict | undefined;
    for (let payment = 1; payment <= 4_000 && verdict?.decision !== 'rollback'; payment += 1) {
      const decision = await router.select({ paymentId: `pay_${payment}`, merchantReference: `order_${payment}`, amount: Money.of(1_000, 'EUR'), currency: 'EUR', customerId: `cus_${payment}` });
      const rate = decision.provider === newProvider ? 0.85 : 0.92;
      await router.recordOutcome({ paymentId: `pay_${payment}`, provider: decision.provider, outcome: random.next() < rate ? 'authorized' : 'declined', declineReason: 'do_not_honor' });
      if (payment % 50 === 0) verdict = await guardrail.evaluate();
    }
    expect(verdict?.decision).toBe('rollback');
    expect(verdict?.rollbackError).toBeUndefined();
    const state = await harness.orchestrator.status();
    expect(state.phase).toBe('rolled_back');
    const last = state.history.at(-1);
    expect(last?.actor).toBe('guardrail');
    expect(last?.reason).toMatch(/^guardrail: significant authorization rate regression of adyen at 50 % \(epoch 4\): authorization-rate adyen \d+\.\d\d % \(n=\d+\) vs stripe \d+\.\d\d % \(n=\d+\), difference -\d+\.\d\d pp, mSPRT likelihood ratio [\d.e+]+ >= 40/);
    const record = await harness.memory.get(guardrailVerdictCollection, 'default:4');
    expect(JSON.parse(record?.value ?? '{}')).toMatchObject({ decision: 'rollback', epoch: 4, authorizationRate: { regression: true } });
    expect(harness.broadcast.published.map((message) => parseRoutingChange(message)).filter((message) => message?.source === 'migration').at(-1)?.revision).toBe(5);
    await settle();
    expect(await other.select({ paymentId: 'pay_after', merchantReference: 'o', amount: Money.of(1_000, 'EUR'), currency: 'EUR', customerId: 'cus_after' })).toMatchObject({ provider: oldProvider, kind: 'rolled-back' });
    // Another node's guardrail on the same epoch finds the verdict recorded and the migration rolled back.
    const second = createRolloutGuardrail({ statistics: router.statistics, node: other.node, orchestrator: harness.orchestrator, logger: harness.logger });
    expect((await second.evaluate()).decision).toBe('hold');
    await router.node.stop();
    await other.node.stop();
  });

  it('writes the verdict once per epoch (a second node recording it finds it there)', async () => {
    const statistics = new RouterStatistics();
    const node = await fixedNode(rampState(50));
    const rollbacks: string[] = [];
    const make = () =>
      createRolloutGuardrail({ statistics, node, orchestrator: { rollback: async (input) => (rollbacks.push(input.actor), rampState(0)) }, logger: capturingLogger().logger });
    feed(statistics, newProvider, { authorized: 100, errors: 100 });
    feed(statistics, oldProvider, { authorized: 200 });
    await make().evaluate();
    await make().evaluate();
    expect(rollbacks).toEqual(['guardrail', 'guardrail']);
    expect(await node.journal.count(guardrailVerdictCollection)).toBe(1);
  });

  it('passes a journal failure on as a rollback error', async () => {
    const statistics = new RouterStatistics();
    const node = await fixedNode(rampState(50));
    await node.journal.close();
    const { guardrail } = await guardrailFor(statistics, rampState(50));
    const broken = createRolloutGuardrail({ statistics, node, orchestrator: { rollback: async () => rampState(0) }, logger: capturingLogger().logger });
    feed(statistics, newProvider, { authorized: 100, errors: 100 });
    feed(statistics, oldProvider, { authorized: 200 });
    expect((await broken.evaluate()).rollbackError).toMatch(/closed/i);
    expect((await guardrail.evaluate()).rollbackError).toBeUndefined();
  });

  it('logs a failed announcement and still rolls back', async () => {
    const statistics = new RouterStatistics();
    const logger = capturingLogger();
    const guardrail = createRolloutGuardrail({
      statistics,
      node: await fixedNode(rampState(50)),
      orchestrator: { rollback: async () => ({ ...rampState(0), phase: 'rolled_back', epoch: 5 }) },
      broadcast: { publish: () => Promise.reject(new Error('redis down')), subscribe: async () => async () => undefined },
      logger: logger.logger,
    });
    feed(statistics, newProvider, { authorized: 100, errors: 100 });
    feed(statistics, oldProvider, { authorized: 200 });
    expect((await guardrail.evaluate()).rollbackError).toBeUndefined();
    expect(logger.lines.some((line) => line['msg'] === 'rollback not broadcast; nodes will see it at their next poll' && line['error'] === 'redis down')).toBe(true);
    const text = createRolloutGuardrail({
      statistics,
      node: await fixedNode(rampState(50, 9)),
      orchestrator: { rollback: async () => rampState(0) },
      broadcast: { publish: () => Promise.reject('text'), subscribe: async () => async () => undefined },
      logger: logger.logger,
    });
    feed(statistics, newProvider, { authorized: 100, errors: 100 }, 9);
    feed(statistics, oldProvider, { authorized: 200 }, 9);
    await text.evaluate();
    expect(logger.lines.some((line) => line['error'] === 'text')).toBe(true);
  });

  it('runs in the background until stopped', async () => {
    const clock = new ManualClock();
    const statistics = new RouterStatistics();
    const { meter, records } = recordingMeter();
    const guardrail = createRolloutGuardrail({ statistics, node: await fixedNode(rampState(50)), orchestrator: { rollback: async () => rampState(0) }, clock, meter, logger: capturingLogger().logger });
    const controller = new AbortController();
    const running = guardrail.run({ intervalMs: 1_000, signal: controller.signal });
    await settle();
    await clock.advance(2_000);
    await settle();
    controller.abort();
    await running;
    expect(records.filter((record) => record.name === 'paymigrate.routing.guardrail.evaluations')).toHaveLength(3);
    const stopped = new AbortController();
    stopped.abort();
    await guardrail.run({ intervalMs: 1_000, signal: stopped.signal });
  });
});
