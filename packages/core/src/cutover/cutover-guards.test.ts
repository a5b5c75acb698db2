import { describe, expect, it } from 'vitest';
import { FakeInFlightPayments } from './__fixtures__/fake-in-flight-payments.js';
import { builtInCutoverGuards, type CutoverGuard, type CutoverGuardContext, evaluateCutoverGuards } from './cutover-guards.js';
import type { GuardedMigrationPhase, MigrationPhase } from './migration-phase.js';
import type { MigrationHistoryEntry, MigrationState } from './migration-state.js';

function entry(from: MigrationPhase | null, to: MigrationPhase, at: number, epoch: number): MigrationHistoryEntry {
  return { from, to, epoch, rampPercent: 0, at, actor: 'test', reason: 'test', checks: [] };
}

function stateAt(phase: MigrationPhase, overrides: Partial<MigrationState> = {}): MigrationState {
  return {
    migrationId: 'default',
    fromProvider: 'stripe',
    toProvider: 'adyen',
    phase,
    epoch: 3,
    rampPercent: 0,
    rolledBack: false,
    history: [entry(null, 'prepare', 1_000, 1), entry('prepare', 'shadow', 2_000, 2)],
    createdAt: 1_000,
    updatedAt: 2_000,
    ...overrides,
  };
}

function contextFor(state: MigrationState, to: GuardedMigrationPhase, overrides: Partial<CutoverGuardContext> = {}): CutoverGuardContext {
  return {
    migrationId: 'default',
    fromProvider: 'stripe',
    toProvider: 'adyen',
    state,
    from: state.phase,
    to,
    rampPercent: state.rampPercent,
    request: { actor: 'alice', reason: 'go' },
    now: 10_000,
    ...overrides,
  };
}

async function runBuiltIn(phase: GuardedMigrationPhase, context: CutoverGuardContext, inFlight = new FakeInFlightPayments(), readiness?: () => Promise<{ ready: boolean; reason: string }>) {
  const guards = builtInCutoverGuards({ inFlightPayments: inFlight, tokenMigrationReadiness: readiness, routingSettleMs: 5_000 });
  return evaluateCutoverGuards(guards[phase], context);
}

describe('built-in guards', () => {
  it('prepare has none', async () => {
    expect(await runBuiltIn('prepare', contextFor(stateAt('rolled_back'), 'prepare'))).toEqual([]);
  });

  it('token-migration-ready passes without a token migration, and follows it when plugged in', async () => {
    const context = contextFor(stateAt('prepare'), 'shadow');
    expect(await runBuiltIn('shadow', context)).toEqual([{ name: 'token-migration-ready', ok: true, reason: 'no token migration configured' }]);
    expect(await runBuiltIn('shadow', context, undefined, async () => ({ ready: false, reason: '12 tokens failed verification' }))).toEqual([
      { name: 'token-migration-ready', ok: false, reason: '12 tokens failed verification' },
    ]);
    expect(await runBuiltIn('shadow', context, undefined, async () => ({ ready: true, reason: 'all 5,000 tokens verified' }))).toEqual([
      { name: 'token-migration-ready', ok: true, reason: 'all 5,000 tokens verified' },
    ]);
  });

  it('shadow-complete needs the migration to have run in shadow', async () => {
    expect(await runBuiltIn('ramp', contextFor(stateAt('shadow'), 'ramp'))).toEqual([{ name: 'shadow-complete', ok: true, reason: 'shadow ran for 8000 ms' }]);
    expect(await runBuiltIn('ramp', contextFor(stateAt('ramp'), 'ramp'))).toEqual([
      { name: 'shadow-complete', ok: true, reason: 'shadow completed before the ramp started' },
    ]);
    const neverShadowed = stateAt('shadow', { history: [entry(null, 'prepare', 1_000, 1)] });
    expect(await runBuiltIn('ramp', contextFor(neverShadowed, 'ramp'))).toEqual([
      { name: 'shadow-complete', ok: false, reason: "the migration is at 'shadow': shadow has not run in this attempt" },
    ]);
    expect((await runBuiltIn('ramp', contextFor(stateAt('prepare'), 'ramp')))[0]?.ok).toBe(false);
  });

  it('ramp-complete needs 100 %, or a forced cutover with a reason', async () => {
    expect(await runBuiltIn('cutover', contextFor(stateAt('ramp', { rampPercent: 100 }), 'cutover'))).toEqual([
      { name: 'ramp-complete', ok: true, reason: 'ramp is at 100 %' },
    ]);
    expect(await runBuiltIn('cutover', contextFor(stateAt('ramp', { rampPercent: 37.5 }), 'cutover'))).toEqual([
      { name: 'ramp-complete', ok: false, reason: 'ramp is at 37.5 %; raise it to 100 % or force the cutover with a reason' },
    ]);
    const forced = contextFor(stateAt('ramp', { rampPercent: 37.5 }), 'cutover', { request: { actor: 'alice', reason: 'go', forceReason: 'old provider is down' } });
    expect(await runBuiltIn('cutover', forced)).toEqual([
      { name: 'ramp-complete', ok: true, reason: 'forced by alice with the ramp at 37.5 %: old provider is down' },
    ]);
    const preview = contextFor(stateAt('ramp', { rampPercent: 37.5 }), 'cutover', { request: undefined });
    expect((await runBuiltIn('cutover', preview))[0]?.ok).toBe(false);
  });

  it('cutover-settled needs the cutover to have been in effect for routingSettleMs', async () => {
    const cutover = stateAt('cutover', { updatedAt: 10_000, epoch: 7 });
    expect(await runBuiltIn('drain', contextFor(cutover, 'drain', { now: 12_000 }))).toEqual([
      { name: 'cutover-settled', ok: false, reason: 'cutover took effect 2000 ms ago; wait 3000 ms more so every selector routes on epoch 7' },
    ]);
    expect(await runBuiltIn('drain', contextFor(cutover, 'drain', { now: 15_000 }))).toEqual([
      { name: 'cutover-settled', ok: true, reason: 'new payments have gone to adyen for 5000 ms (routing settles in 5000 ms)' },
    ]);
    expect(await runBuiltIn('drain', contextFor(stateAt('ramp'), 'drain'))).toEqual([
      { name: 'cutover-settled', ok: false, reason: "drain starts only after cutover; the migration is at 'ramp'" },
    ]);
  });

  it('drain-complete needs no payment in flight on the old provider', async () => {
    const inFlight = new FakeInFlightPayments();
    inFlight.begin('stripe', 'pay_1');
    inFlight.begin('stripe', 'pay_2');
    inFlight.begin('adyen', 'pay_3');
    const context = contextFor(stateAt('drain'), 'done');
    expect(await runBuiltIn('done', context, inFlight)).toEqual([{ name: 'drain-complete', ok: false, reason: '2 payment(s) still in flight on stripe' }]);
    inFlight.finish('stripe', 'pay_1');
    inFlight.finish('stripe', 'pay_2');
    expect(await runBuiltIn('done', context, inFlight)).toEqual([{ name: 'drain-complete', ok: true, reason: 'no payment in flight on stripe' }]);
    expect(inFlight.asked).toEqual(['stripe', 'stripe']);
  });
});

describe('evaluateCutoverGuards', () => {
  const context = contextFor(stateAt('ramp', { rampPercent: 50 }), 'cutover');

  it('keeps guard order and passes the context to every guard', async () => {
    const seen: CutoverGuardContext[] = [];
    const first: CutoverGuard = async (given) => {
      seen.push(given);
      return { name: 'first', ok: true, reason: 'fine' };
    };
    const second: CutoverGuard = async (given) => {
      seen.push(given);
      return { name: 'second', ok: false, reason: 'not fine' };
    };
    expect(await evaluateCutoverGuards([first, second], context)).toEqual([
      { name: 'first', ok: true, reason: 'fine' },
      { name: 'second', ok: false, reason: 'not fine' },
    ]);
    expect(seen).toEqual([context, context]);
  });

  it('fails closed: a throwing guard fails under its function name, an anonymous one under <phase>-guard-<n>', async () => {
    async function errorRateBelowOnePercent(): Promise<never> {
      throw new Error('metrics backend unreachable');
    }
    const results = await evaluateCutoverGuards(
      [
        errorRateBelowOnePercent,
        async () => {
          throw 'plain string';
        },
      ],
      context,
    );
    expect(results).toEqual([
      { name: 'errorRateBelowOnePercent', ok: false, reason: 'the guard threw: metrics backend unreachable' },
      { name: 'cutover-guard-2', ok: false, reason: 'the guard threw: plain string' },
    ]);
  });

  it('fails closed on a malformed result, and strips extra fields from a good one', async () => {
    const malformed = [
      async () => undefined,
      async () => ({ name: '', ok: true, reason: 'empty name' }),
      async () => ({ name: 'x', ok: 'yes', reason: 'string ok' }),
      async () => ({ name: 'x', ok: true }),
      async () => 'ok',
    ] as unknown as CutoverGuard[];
    const results = await evaluateCutoverGuards(malformed, context);
    expect(results.every((result) => !result.ok && result.reason === 'the guard returned a malformed result (expected { name, ok, reason })')).toBe(true);
    const extra = (async () => ({ name: 'x', ok: true, reason: 'fine', secret: 'y' })) as CutoverGuard;
    expect(await evaluateCutoverGuards([extra], context)).toEqual([{ name: 'x', ok: true, reason: 'fine' }]);
  });
});
