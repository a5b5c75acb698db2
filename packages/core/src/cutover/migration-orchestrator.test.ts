import { configurationErrorOf, InMemoryJournal } from '@paymigrate/testkit';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { IllegalTransitionError } from '../errors/illegal-transition-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { createLogger } from '../observability/logger.js';
import { createCutoverHarness, type CutoverHarness, driveTo, newProvider, oldProvider, takeControlMessages } from './__fixtures__/cutover-harness.js';
import { FakeInFlightPayments } from './__fixtures__/fake-in-flight-payments.js';
import {
  CutoverPreconditionError,
  CutoverRequestError,
  MigrationConflictError,
  MigrationNotFoundError,
  MigrationStateInvalidError,
} from './cutover-errors.js';
import type { CutoverGuard, CutoverGuardContext } from './cutover-guards.js';
import { type MigrationPhase, migrationPhaseMachine, migrationPhases } from './migration-phase.js';
import { createMigrationOrchestrator, type MigrationOrchestratorOptions } from './migration-orchestrator.js';
import { migrationCollection, migrationControlTopic, parseMigrationRecord } from './migration-state.js';

/** Awaits `promise`, expecting a rejection, and returns the reason. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** The journaled record of the default migration. */
async function record(harness: CutoverHarness) {
  const found = await harness.innerJournal.get(migrationCollection, 'default');
  if (found === undefined) throw new Error('no migration record');
  return found;
}

/** A snapshot of everything a refused change must leave untouched. */
async function footprint(harness: CutoverHarness): Promise<{ version: number; value: string; pending: number }> {
  const current = await record(harness);
  return { version: current.version, value: current.value, pending: await harness.innerJournal.pendingOutboxCount() };
}

const passing = (name: string): CutoverGuard => async () => ({ name, ok: true, reason: `${name} passed` });
const failing = (name: string): CutoverGuard => async () => ({ name, ok: false, reason: `${name} failed` });

describe('createMigrationOrchestrator options', () => {
  const journal = new InMemoryJournal();
  const inFlightPayments = new FakeInFlightPayments();
  const valid: MigrationOrchestratorOptions = { journal, fromProvider: 'stripe', toProvider: 'adyen', inFlightPayments };

  function configurationError(options: unknown): ConfigurationError {
    return configurationErrorOf(() => createMigrationOrchestrator(options as MigrationOrchestratorOptions));
  }

  it('defaults the migration id and builds without touching the journal', () => {
    expect(createMigrationOrchestrator(valid).migrationId).toBe('default');
    expect(createMigrationOrchestrator({ ...valid, migrationId: 'shop-eu' }).migrationId).toBe('shop-eu');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a missing fromProvider', { fromProvider: undefined }, 'cutover.fromProvider', "pass the current provider's name, e.g. 'stripe'"],
    ['a toProvider equal to fromProvider', { toProvider: 'stripe' }, 'cutover.toProvider', "pass the new provider's name, e.g. 'adyen'"],
    ['a journal without get and write', { journal: {} }, 'cutover.journal', 'pass an opened journal, e.g. the SQLite or PostgreSQL journal'],
    ['a missing in-flight counter', { inFlightPayments: undefined }, 'cutover.inFlightPayments', "pass the Transaction State Manager's in-flight counter: { countInFlight(provider) }"],
    ['a guard for rolled_back', { guards: { rolled_back: [passing('x')] } }, 'cutover.guards', 'pass { [phase]: [async (context) => ({ name, ok, reason })] } for phases prepare, shadow, ramp, cutover, drain, done'],
    ['a guard that is not a function', { guards: { ramp: ['nope'] } }, 'cutover.guards.ramp.0', 'pass { [phase]: [async (context) => ({ name, ok, reason })] } for phases prepare, shadow, ramp, cutover, drain, done'],
    ['a negative routingSettleMs', { routingSettleMs: -1 }, 'cutover.routingSettleMs', "pass a valid 'routingSettleMs' (see the cutover options documentation)"],
    ['an empty migration id', { migrationId: '' }, 'cutover.migrationId', "pass a valid 'migrationId' (see the cutover options documentation)"],
    ['a clock without now', { clock: {} }, 'cutover.clock', "pass a valid 'clock' (see the cutover options documentation)"],
    ['a logger without info', { logger: {} }, 'cutover.logger', "pass a valid 'logger' (see the cutover options documentation)"],
    ['a meter without createCounter', { meter: {} }, 'cutover.meter', "pass a valid 'meter' (see the cutover options documentation)"],
    ['a readiness check that is not a function', { tokenMigrationReadiness: true }, 'cutover.tokenMigrationReadiness', "pass a valid 'tokenMigrationReadiness' (see the cutover options documentation)"],
  ])('refuses %s with a ConfigurationError naming the option', (_label, overrides, option, fix) => {
    const error = configurationError({ ...valid, ...overrides });
    expect(error.option).toBe(option);
    expect(error.fix).toBe(fix);
  });
});

describe('start', () => {
  it('creates the migration at prepare, epoch 1, with one history entry and one control message', async () => {
    const harness = await createCutoverHarness();
    const state = await harness.orchestrator.start({ actor: 'alice', reason: 'kick-off' });
    expect(state).toEqual({
      migrationId: 'default',
      fromProvider: oldProvider,
      toProvider: newProvider,
      phase: 'prepare',
      epoch: 1,
      rampPercent: 0,
      rolledBack: false,
      history: [{ from: null, to: 'prepare', epoch: 1, rampPercent: 0, at: harness.clock.now(), actor: 'alice', reason: 'kick-off', checks: [] }],
      createdAt: harness.clock.now(),
      updatedAt: harness.clock.now(),
    });
    const stored = await record(harness);
    expect(stored.version).toBe(1);
    expect(stored.index).toBe('prepare');
    expect(parseMigrationRecord(stored).state).toEqual(state);
    const messages = await takeControlMessages(harness);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'migration.changed', previousPhase: null, phase: 'prepare', epoch: 1, orderingKey: 'default', actor: 'alice' });
  });

  it('is idempotent: a second start returns the journaled state and writes nothing, whatever the phase', async () => {
    const harness = await createCutoverHarness();
    const first = await harness.orchestrator.start();
    expect(first.history[0]).toMatchObject({ actor: 'system', reason: 'migration started' });
    await harness.orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'go' });
    const again = await harness.orchestrator.start();
    expect(again.phase).toBe('shadow');
    expect(harness.journal.batches).toHaveLength(2);
  });

  it('two nodes starting at once create the migration once and both get its state', async () => {
    const harness = await createCutoverHarness();
    const other = harness.createOrchestrator();
    const [mine, theirs] = await Promise.all([harness.orchestrator.start({ actor: 'node-a' }), other.start({ actor: 'node-b' })]);
    expect(mine).toEqual(theirs);
    expect(harness.journal.batches).toHaveLength(1);
    expect(await takeControlMessages(harness)).toHaveLength(1);
  });

  it('re-throws the conflict when the record it lost to has vanished, and any other write error as is', async () => {
    const harness = await createCutoverHarness();
    const conflict = new VersionConflictError({ collection: migrationCollection, key: 'default', expectedVersion: 0, actualVersion: 1 });
    harness.journal.writeError = () => conflict;
    expect(await rejectionOf(harness.orchestrator.start())).toBe(conflict);
    const down = new Error('journal down');
    harness.journal.writeError = () => down;
    expect(await rejectionOf(harness.orchestrator.start())).toBe(down);
  });

  it('refuses actor and reason that are empty', async () => {
    const harness = await createCutoverHarness();
    expect(CutoverRequestError.isInstance(await rejectionOf(harness.orchestrator.start({ actor: '' })))).toBe(true);
    expect(CutoverRequestError.isInstance(await rejectionOf(harness.orchestrator.start({ reason: ' ' })))).toBe(true);
  });

  it('refuses a journaled migration between other providers, naming the option', async () => {
    const harness = await createCutoverHarness();
    await harness.orchestrator.start();
    for (const [overrides, option] of [
      [{ toProvider: 'paypal' }, 'cutover.toProvider'],
      [{ fromProvider: 'braintree' }, 'cutover.fromProvider'],
    ] as const) {
      const error = await rejectionOf(harness.createOrchestrator(overrides).start());
      expect(ConfigurationError.isInstance(error)).toBe(true);
      expect((error as ConfigurationError).option).toBe(option);
      expect((error as ConfigurationError).message).toContain('moves stripe -> adyen');
    }
  });

  it('keeps migrations with different ids apart', async () => {
    const harness = await createCutoverHarness();
    await harness.orchestrator.start();
    const other = harness.createOrchestrator({ migrationId: 'shop-eu', fromProvider: 'paypal', toProvider: 'adyen' });
    expect((await other.start()).migrationId).toBe('shop-eu');
    expect((await harness.orchestrator.status()).fromProvider).toBe('stripe');
  });
});

describe('before start', () => {
  it('every operation but start says the migration has not been started', async () => {
    const harness = await createCutoverHarness();
    const { orchestrator } = harness;
    for (const attempt of [
      orchestrator.status(),
      orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'go' }),
      orchestrator.setRampPercent({ percent: 5, actor: 'alice', reason: 'go' }),
      orchestrator.rollback({ actor: 'alice', reason: 'stop' }),
    ]) {
      const error = await rejectionOf(attempt);
      expect(MigrationNotFoundError.isInstance(error)).toBe(true);
      expect((error as MigrationNotFoundError).migrationId).toBe('default');
    }
  });

  it('refuses an unusable journaled record rather than acting on it', async () => {
    const harness = await createCutoverHarness();
    await harness.innerJournal.write({ puts: [{ collection: migrationCollection, key: 'default', value: '{"phase":"ramp"}', expectedVersion: 0 }] });
    expect(MigrationStateInvalidError.isInstance(await rejectionOf(harness.orchestrator.advance({ to: 'cutover', actor: 'a', reason: 'b' })))).toBe(true);
  });
});

describe('advance: every legal transition', () => {
  const legalMoves: Array<[MigrationPhase, MigrationPhase]> = [
    ['prepare', 'shadow'],
    ['shadow', 'ramp'],
    ['ramp', 'cutover'],
    ['cutover', 'drain'],
    ['drain', 'done'],
    ['rolled_back', 'prepare'],
  ];

  it.each(legalMoves)('%s -> %s bumps the epoch once, journals actor, reason and checks, and announces it', async (from, to) => {
    const harness = await createCutoverHarness();
    await driveTo(harness, from);
    if (from === 'ramp') await harness.orchestrator.setRampPercent({ percent: 100, actor: 'test', reason: 'full' });
    if (from === 'cutover') await harness.clock.advance(5_000);
    const before = await harness.orchestrator.status();
    await takeControlMessages(harness);
    const after = await harness.orchestrator.advance({ to, actor: 'alice', reason: `to ${to}` });
    expect(after.phase).toBe(to);
    expect(after.epoch).toBe(before.epoch + 1);
    expect(after.updatedAt).toBe(harness.clock.now());
    const entry = after.history.at(-1);
    expect(entry).toMatchObject({ from, to, epoch: after.epoch, actor: 'alice', reason: `to ${to}`, at: harness.clock.now() });
    expect(entry?.checks.every((check) => check.ok)).toBe(true);
    expect(entry?.forceReason).toBeUndefined();
    expect((await record(harness)).index).toBe(to);
    const messages = await takeControlMessages(harness);
    expect(messages).toEqual([
      expect.objectContaining({ previousPhase: from, phase: to, epoch: after.epoch, actor: 'alice', reason: `to ${to}`, orderingKey: 'default' }),
    ]);
    expect(harness.logLines.at(-1)).toMatchObject({ msg: 'migration phase changed', from, to, epoch: after.epoch, actor: 'alice' });
  });
});

describe('advance: every illegal transition', () => {
  const illegalMoves = migrationPhases.flatMap((from) =>
    migrationPhases
      .filter((to) => !migrationPhaseMachine.canTransition(from, to) && !(from === 'rolled_back' && to === 'rolled_back'))
      .map((to) => [from, to] as const),
  );

  it('covers every pair the machine refuses', () => {
    expect(illegalMoves).toHaveLength(7 * 7 - 12 - 1);
  });

  it.each(illegalMoves)('%s -> %s is refused with an IllegalTransitionError naming both phases, writing nothing', async (from, to) => {
    const harness = await createCutoverHarness();
    await driveTo(harness, from);
    const before = await footprint(harness);
    const error = await rejectionOf(harness.orchestrator.advance({ to, actor: 'alice', reason: 'try' }));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
    expect((error as IllegalTransitionError).message).toContain(`from '${from}' to '${to}'`);
    expect((error as IllegalTransitionError).machine).toBe('cutover');
    expect(await footprint(harness)).toEqual(before);
  });

  it("refuses advance to 'ramp' while ramping: a percentage change goes through setRampPercent", async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    const error = await rejectionOf(harness.orchestrator.advance({ to: 'ramp', actor: 'alice', reason: 'again' }));
    expect(CutoverRequestError.isInstance(error)).toBe(true);
    expect((error as CutoverRequestError).field).toBe('to');
  });

  it('refuses a phase that does not exist, and an empty actor or reason', async () => {
    const harness = await createCutoverHarness();
    await harness.orchestrator.start();
    const unknown = await rejectionOf(harness.orchestrator.advance({ to: 'launch' as MigrationPhase, actor: 'alice', reason: 'go' }));
    expect(PaymigrateError.isInstance(unknown) && unknown.code).toBe('STATE_UNKNOWN');
    expect((await rejectionOf(harness.orchestrator.advance({ to: 'shadow', actor: '', reason: 'go' })) as CutoverRequestError).field).toBe('actor');
    expect((await rejectionOf(harness.orchestrator.advance({ to: 'shadow', actor: 'alice', reason: '' })) as CutoverRequestError).field).toBe('reason');
  });
});

describe('guards', () => {
  it('shadow waits for the token migration to report ready, and writes nothing while it does not', async () => {
    let ready = false;
    const harness = await createCutoverHarness({ tokenMigrationReadiness: async () => ({ ready, reason: ready ? 'all tokens verified' : '3 tokens unverified' }) });
    await harness.orchestrator.start();
    const before = await footprint(harness);
    const error = await rejectionOf(harness.orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'go' }));
    expect(CutoverPreconditionError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'CUTOVER_PRECONDITION_FAILED',
      from: 'prepare',
      to: 'shadow',
      failedChecks: [{ name: 'token-migration-ready', ok: false, reason: '3 tokens unverified' }],
    });
    expect(await footprint(harness)).toEqual(before);
    expect(harness.logLines.at(-1)).toMatchObject({ level: 40, msg: 'migration change refused by its guards', to: 'shadow' });
    ready = true;
    const state = await harness.orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'go' });
    expect(state.history.at(-1)?.checks).toEqual([{ name: 'token-migration-ready', ok: true, reason: 'all tokens verified' }]);
  });

  it('cutover below 100 % is refused, listing every failed check (built-in and pluggable) with its reason', async () => {
    const harness = await createCutoverHarness({ guards: { cutover: [passing('error-rate'), failing('on-call')] } });
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 40, actor: 'alice', reason: 'step' });
    const before = await footprint(harness);
    const error = (await rejectionOf(harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'go' }))) as CutoverPreconditionError;
    expect(CutoverPreconditionError.isInstance(error)).toBe(true);
    expect(error.checks).toEqual([
      { name: 'ramp-complete', ok: false, reason: 'ramp is at 40 %; raise it to 100 % or force the cutover with a reason' },
      { name: 'error-rate', ok: true, reason: 'error-rate passed' },
      { name: 'on-call', ok: false, reason: 'on-call failed' },
    ]);
    expect(error.failedChecks.map((check) => check.name)).toEqual(['ramp-complete', 'on-call']);
    expect(error.message).toContain('ramp-complete: ramp is at 40 %');
    expect(error.message).toContain('on-call: on-call failed');
    expect(await footprint(harness)).toEqual(before);
  });

  it('a guard that throws refuses the change (guards fail closed)', async () => {
    const harness = await createCutoverHarness({
      guards: {
        shadow: [
          async () => {
            throw new Error('metrics backend unreachable');
          },
        ],
      },
    });
    await harness.orchestrator.start();
    const error = (await rejectionOf(harness.orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'go' }))) as CutoverPreconditionError;
    expect(error.failedChecks).toEqual([{ name: 'shadow-guard-2', ok: false, reason: 'the guard threw: metrics backend unreachable' }]);
  });

  it('pluggable guards see the migration, the move, the target percentage and the request', async () => {
    const seen: CutoverGuardContext[] = [];
    const recorder: CutoverGuard = async (context) => {
      seen.push(context);
      return { name: 'recorder', ok: true, reason: 'seen' };
    };
    const harness = await createCutoverHarness({ guards: { ramp: [recorder] } });
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 12.5, actor: 'guardrail', reason: 'step up' });
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ migrationId: 'default', fromProvider: oldProvider, toProvider: newProvider, from: 'shadow', to: 'ramp', rampPercent: 0 });
    expect(seen[1]).toMatchObject({ from: 'ramp', to: 'ramp', rampPercent: 12.5, request: { actor: 'guardrail', reason: 'step up' }, now: harness.clock.now() });
    expect(seen[1]?.state.rampPercent).toBe(0);
  });

  it('drain waits until the cutover has been in effect for routingSettleMs', async () => {
    const harness = await createCutoverHarness({ routingSettleMs: 10_000 });
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 100, actor: 'alice', reason: 'full' });
    await harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'flip' });
    await harness.clock.advance(9_999);
    const error = (await rejectionOf(harness.orchestrator.advance({ to: 'drain', actor: 'alice', reason: 'drain' }))) as CutoverPreconditionError;
    expect(error.failedChecks[0]?.reason).toBe('cutover took effect 9999 ms ago; wait 1 ms more so every selector routes on epoch 5');
    await harness.clock.advance(1);
    expect((await harness.orchestrator.advance({ to: 'drain', actor: 'alice', reason: 'drain' })).phase).toBe('drain');
  });

  it('done is refused until the in-flight count on the old provider reaches 0', async () => {
    const harness = await createCutoverHarness();
    harness.inFlight.begin(oldProvider, 'pay_1');
    harness.inFlight.begin(oldProvider, 'pay_2');
    harness.inFlight.begin(newProvider, 'pay_3');
    await driveTo(harness, 'drain');
    for (const [finished, remaining] of [
      ['pay_1', 1],
      ['pay_2', 0],
    ] as const) {
      const status = await harness.orchestrator.status();
      expect(status.drain.inFlight).toBe(remaining + 1);
      const error = (await rejectionOf(harness.orchestrator.advance({ to: 'done', actor: 'alice', reason: 'finish' }))) as CutoverPreconditionError;
      expect(error.failedChecks).toEqual([{ name: 'drain-complete', ok: false, reason: `${remaining + 1} payment(s) still in flight on stripe` }]);
      harness.inFlight.finish(oldProvider, finished);
    }
    const done = await harness.orchestrator.advance({ to: 'done', actor: 'alice', reason: 'finish' });
    expect(done.phase).toBe('done');
    expect(done.history.at(-1)?.checks).toEqual([{ name: 'drain-complete', ok: true, reason: 'no payment in flight on stripe' }]);
    expect(harness.inFlight.asked.every((provider) => provider === oldProvider)).toBe(true);
  });

  it('prepare guards run when a rolled-back migration restarts', async () => {
    const harness = await createCutoverHarness({ guards: { prepare: [failing('reverse-token-sync')] } });
    await driveTo(harness, 'rolled_back');
    const error = (await rejectionOf(harness.orchestrator.advance({ to: 'prepare', actor: 'alice', reason: 'retry' }))) as CutoverPreconditionError;
    expect(error.failedChecks.map((check) => check.name)).toEqual(['reverse-token-sync']);
  });
});

describe('force', () => {
  it('cuts over below 100 % with a reason, journaled in the history, the check and the log', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 40, actor: 'alice', reason: 'step' });
    const state = await harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'flip', force: { reason: 'stripe outage, incident 42' } });
    expect(state.phase).toBe('cutover');
    expect(state.rampPercent).toBe(40);
    expect(state.history.at(-1)).toMatchObject({
      from: 'ramp',
      to: 'cutover',
      forceReason: 'stripe outage, incident 42',
      checks: [{ name: 'ramp-complete', ok: true, reason: 'forced by alice with the ramp at 40 %: stripe outage, incident 42' }],
    });
    const stored = parseMigrationRecord(await record(harness)).state;
    expect(stored.history.at(-1)?.forceReason).toBe('stripe outage, incident 42');
    expect(harness.logLines.at(-1)).toMatchObject({ msg: 'migration phase changed', forceReason: 'stripe outage, incident 42' });
  });

  it('never overrides a pluggable guard', async () => {
    const harness = await createCutoverHarness({ guards: { cutover: [failing('on-call')] } });
    await driveTo(harness, 'ramp');
    const error = (await rejectionOf(
      harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'flip', force: { reason: 'hurry' } }),
    )) as CutoverPreconditionError;
    expect(error.failedChecks.map((check) => check.name)).toEqual(['on-call']);
    expect(error.checks[0]).toMatchObject({ name: 'ramp-complete', ok: true });
  });

  it('is refused outside a cutover and without a reason', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    await harness.clock.advance(5_000);
    const misplaced = (await rejectionOf(harness.orchestrator.advance({ to: 'drain', actor: 'alice', reason: 'go', force: { reason: 'x' } }))) as CutoverRequestError;
    expect(misplaced.field).toBe('force');
    expect(misplaced.message).toContain("not to 'drain'");
    const rollback = (await rejectionOf(harness.orchestrator.advance({ to: 'rolled_back', actor: 'alice', reason: 'go', force: { reason: 'x' } }))) as CutoverRequestError;
    expect(rollback.field).toBe('force');
    const empty = (await rejectionOf(harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'go', force: { reason: '' } }))) as CutoverRequestError;
    expect(empty.field).toBe('force.reason');
  });
});

describe('setRampPercent', () => {
  it('raises the percentage: epoch + 1, a ramp -> ramp history entry, a control message', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await takeControlMessages(harness);
    const state = await harness.orchestrator.setRampPercent({ percent: 33.333, actor: 'alice', reason: 'step 3' });
    expect(state).toMatchObject({ phase: 'ramp', epoch: 4, rampPercent: 33.333 });
    expect(state.history.at(-1)).toMatchObject({ from: 'ramp', to: 'ramp', epoch: 4, rampPercent: 33.333, actor: 'alice', reason: 'step 3' });
    expect(state.history.at(-1)?.checks).toEqual([{ name: 'shadow-complete', ok: true, reason: 'shadow completed before the ramp started' }]);
    expect(await takeControlMessages(harness)).toEqual([expect.objectContaining({ previousPhase: 'ramp', phase: 'ramp', epoch: 4, rampPercent: 33.333 })]);
    expect(harness.logLines.at(-1)).toMatchObject({ msg: 'migration ramp percentage changed', rampPercent: 33.333 });
  });

  it('raising is refused by a failing ramp guard (a guardrail), writing nothing', async () => {
    let healthy = true;
    const guardrail: CutoverGuard = async () => ({ name: 'authorization-rate', ok: healthy, reason: healthy ? 'no regression' : 'authorization rate -4 %' });
    const harness = await createCutoverHarness({ guards: { ramp: [guardrail] } });
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 10, actor: 'alice', reason: 'step' });
    healthy = false;
    const before = await footprint(harness);
    const error = (await rejectionOf(harness.orchestrator.setRampPercent({ percent: 25, actor: 'alice', reason: 'step' }))) as CutoverPreconditionError;
    expect(error).toMatchObject({ from: 'ramp', to: 'ramp', failedChecks: [{ name: 'authorization-rate', ok: false, reason: 'authorization rate -4 %' }] });
    expect(await footprint(harness)).toEqual(before);
  });

  it('lowering is a safety action and is never guarded', async () => {
    const harness = await createCutoverHarness({ guards: { ramp: [failing('authorization-rate')] } });
    await harness.orchestrator.start();
    await harness.orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'go' });
    await harness.innerJournal.write({
      puts: [
        {
          collection: migrationCollection,
          key: 'default',
          value: JSON.stringify({ ...parseMigrationRecord(await record(harness)).state, phase: 'ramp', rampPercent: 50 }),
          expectedVersion: 2,
        },
      ],
    });
    const state = await harness.orchestrator.setRampPercent({ percent: 5, actor: 'guardrail', reason: 'regression' });
    expect(state.rampPercent).toBe(5);
    expect(state.history.at(-1)).toMatchObject({ from: 'ramp', to: 'ramp', rampPercent: 5, checks: [] });
  });

  it('setting the current value again writes nothing', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 20, actor: 'alice', reason: 'step' });
    const before = await footprint(harness);
    const state = await harness.orchestrator.setRampPercent({ percent: 20, actor: 'bob', reason: 'same' });
    expect(state.epoch).toBe(4);
    expect(await footprint(harness)).toEqual(before);
  });

  it('is refused outside ramp, and for a malformed percentage before anything is read', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'shadow');
    const outside = (await rejectionOf(harness.orchestrator.setRampPercent({ percent: 10, actor: 'alice', reason: 'step' }))) as CutoverRequestError;
    expect(outside.message).toBe("Invalid cutover request: 'percent' can change only in phase 'ramp'; migration 'default' is at 'shadow'.");
    const reads = harness.journal.reads;
    for (const percent of [101, -1, 12.3456]) {
      expect(CutoverRequestError.isInstance(await rejectionOf(harness.orchestrator.setRampPercent({ percent, actor: 'alice', reason: 'step' })))).toBe(true);
    }
    expect(harness.journal.reads).toBe(reads);
  });
});

describe('rollback', () => {
  const rollbackFrom: MigrationPhase[] = ['prepare', 'shadow', 'ramp', 'cutover', 'drain'];

  it.each(rollbackFrom)('from %s: epoch + 1, rolledBack, ramp 0, never guarded, announced', async (from) => {
    const everyPhaseFails = { prepare: [failing('p')], shadow: [failing('s')], ramp: [failing('r')], cutover: [failing('c')], drain: [failing('d')], done: [failing('x')] };
    const harness = await createCutoverHarness();
    await driveTo(harness, from);
    if (from === 'ramp') await harness.orchestrator.setRampPercent({ percent: 60, actor: 'alice', reason: 'step' });
    const guarded = harness.createOrchestrator({ guards: everyPhaseFails });
    const before = await guarded.status();
    await takeControlMessages(harness);
    const state = await guarded.rollback({ actor: 'oncall', reason: 'authorization rate dropped' });
    expect(state).toMatchObject({ phase: 'rolled_back', epoch: before.epoch + 1, rolledBack: true, rampPercent: 0 });
    expect(state.history.at(-1)).toMatchObject({ from, to: 'rolled_back', actor: 'oncall', reason: 'authorization rate dropped', checks: [] });
    expect(await takeControlMessages(harness)).toEqual([expect.objectContaining({ previousPhase: from, phase: 'rolled_back', rolledBack: true })]);
  });

  it("advance({ to: 'rolled_back' }) is a rollback", async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    expect((await harness.orchestrator.advance({ to: 'rolled_back', actor: 'oncall', reason: 'stop' })).phase).toBe('rolled_back');
  });

  it('is refused once done, naming both phases', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'done');
    const error = await rejectionOf(harness.orchestrator.rollback({ actor: 'oncall', reason: 'too late' }));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
    expect((error as IllegalTransitionError).message).toContain("from 'done' to 'rolled_back'");
  });

  it('pressed twice, the second press writes nothing and returns the rolled-back state', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    const first = await harness.orchestrator.rollback({ actor: 'oncall', reason: 'stop' });
    const before = await footprint(harness);
    expect(await harness.orchestrator.rollback({ actor: 'other', reason: 'stop too' })).toEqual(first);
    expect(await footprint(harness)).toEqual(before);
  });

  it('refuses an empty actor or reason', async () => {
    const harness = await createCutoverHarness();
    await harness.orchestrator.start();
    expect(CutoverRequestError.isInstance(await rejectionOf(harness.orchestrator.rollback({ actor: '', reason: 'x' })))).toBe(true);
    expect(CutoverRequestError.isInstance(await rejectionOf(harness.orchestrator.rollback({ actor: 'x', reason: '' })))).toBe(true);
  });

  it('wins over a concurrent change: it re-reads and rolls back the newer state', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    const otherNode = createMigrationOrchestrator({
      journal: harness.innerJournal,
      fromProvider: oldProvider,
      toProvider: newProvider,
      clock: harness.clock,
      inFlightPayments: harness.inFlight,
      logger: createLogger({ level: 'silent' }),
    });
    harness.journal.beforeWrite = async () => {
      await otherNode.setRampPercent({ percent: 30, actor: 'node-b', reason: 'step' });
      return 'once';
    };
    const state = await harness.orchestrator.rollback({ actor: 'oncall', reason: 'stop' });
    expect(state.phase).toBe('rolled_back');
    expect(state.history.slice(-2).map((entry) => [entry.from, entry.to, entry.actor])).toEqual([
      ['ramp', 'ramp', 'node-b'],
      ['ramp', 'rolled_back', 'oncall'],
    ]);
    expect(harness.logLines.some((line) => line.msg === 'rollback lost a concurrent change; re-reading')).toBe(true);
  });

  it('gives up with a MigrationConflictError after five lost attempts, and passes other write errors through', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    harness.journal.writeError = () => new VersionConflictError({ collection: migrationCollection, key: 'default', expectedVersion: 3, actualVersion: 4 });
    const readsBefore = harness.journal.reads;
    const error = await rejectionOf(harness.orchestrator.rollback({ actor: 'oncall', reason: 'stop' }));
    expect(MigrationConflictError.isInstance(error)).toBe(true);
    expect((error as MigrationConflictError).attempted).toBe('roll back');
    expect(harness.journal.reads - readsBefore).toBe(5 + 1);
    const down = new Error('journal down');
    harness.journal.writeError = () => down;
    expect(await rejectionOf(harness.orchestrator.rollback({ actor: 'oncall', reason: 'stop' }))).toBe(down);
  });

  it('restarts from rolled_back at prepare, keeps rolledBack, and can then run to done', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    await harness.orchestrator.rollback({ actor: 'oncall', reason: 'stop' });
    const restarted = await harness.orchestrator.advance({ to: 'prepare', actor: 'alice', reason: 'second attempt' });
    expect(restarted).toMatchObject({ phase: 'prepare', rolledBack: true, rampPercent: 0, epoch: 7 });
    for (const to of ['shadow', 'ramp'] as const) await harness.orchestrator.advance({ to, actor: 'alice', reason: 'again' });
    await harness.orchestrator.setRampPercent({ percent: 100, actor: 'alice', reason: 'full' });
    await harness.orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'again' });
    await harness.clock.advance(5_000);
    await harness.orchestrator.advance({ to: 'drain', actor: 'alice', reason: 'again' });
    const done = await harness.orchestrator.advance({ to: 'done', actor: 'alice', reason: 'again' });
    expect(done).toMatchObject({ phase: 'done', epoch: 13, rolledBack: true });
    expect(done.history.map((entry) => entry.to)).toEqual([
      'prepare', 'shadow', 'ramp', 'ramp', 'cutover', 'rolled_back', 'prepare', 'shadow', 'ramp', 'ramp', 'cutover', 'drain', 'done',
    ]);
  });
});

describe('concurrent changes from two nodes', () => {
  it('two nodes advancing to cutover at once: exactly one wins, the other is told to re-read', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 100, actor: 'alice', reason: 'full' });
    await takeControlMessages(harness);
    const nodeB = harness.createOrchestrator();
    const results = await Promise.allSettled([
      harness.orchestrator.advance({ to: 'cutover', actor: 'node-a', reason: 'flip' }),
      nodeB.advance({ to: 'cutover', actor: 'node-b', reason: 'flip' }),
    ]);
    const won = results.filter((result) => result.status === 'fulfilled');
    const lost = results.filter((result): result is PromiseRejectedResult => result.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const error = lost[0]?.reason as MigrationConflictError;
    expect(MigrationConflictError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ code: 'CUTOVER_CONCURRENT_CHANGE', readEpoch: 4, currentPhase: 'cutover', currentEpoch: 5, attempted: "advance to 'cutover'" });
    expect(error.message).toContain('re-read the status and decide again');
    expect(VersionConflictError.isInstance(error.cause)).toBe(true);
    const state = parseMigrationRecord(await record(harness)).state;
    expect(state).toMatchObject({ phase: 'cutover', epoch: 5 });
    expect(state.history.filter((entry) => entry.to === 'cutover')).toHaveLength(1);
    expect(await takeControlMessages(harness)).toHaveLength(1);
    expect(harness.logLines.some((line) => line.msg === 'migration changed concurrently; nothing written')).toBe(true);
  });

  it('the loser re-reading and trying again gets an IllegalTransitionError, not a second flip', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'cutover');
    const error = await rejectionOf(harness.createOrchestrator().advance({ to: 'cutover', actor: 'node-b', reason: 'flip' }));
    expect(IllegalTransitionError.isInstance(error)).toBe(true);
  });

  it('says so when the migration cannot be re-read after the conflict', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'shadow');
    harness.journal.beforeWrite = async () => {
      harness.journal.writeError = () => new VersionConflictError({ collection: migrationCollection, key: 'default', expectedVersion: 2, actualVersion: 3 });
      harness.journal.readError = new Error('journal down');
      return 'once';
    };
    const error = (await rejectionOf(harness.orchestrator.advance({ to: 'ramp', actor: 'alice', reason: 'go' }))) as MigrationConflictError;
    expect(MigrationConflictError.isInstance(error)).toBe(true);
    expect(error.currentPhase).toBeUndefined();
    expect(error.message).toContain('it could not be re-read');
  });

  it('passes any other write error through unchanged', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'shadow');
    const down = new Error('disk full');
    harness.journal.writeError = () => down;
    expect(await rejectionOf(harness.orchestrator.advance({ to: 'ramp', actor: 'alice', reason: 'go' }))).toBe(down);
  });
});

describe('status', () => {
  it('shows phase, epoch, percentage, history, drain progress and why the next phase is blocked', async () => {
    const harness = await createCutoverHarness();
    harness.inFlight.begin(oldProvider, 'pay_1');
    await driveTo(harness, 'ramp');
    await harness.orchestrator.setRampPercent({ percent: 40, actor: 'alice', reason: 'step' });
    const status = await harness.orchestrator.status();
    expect(status).toMatchObject({
      migrationId: 'default',
      fromProvider: oldProvider,
      toProvider: newProvider,
      phase: 'ramp',
      epoch: 4,
      rampPercent: 40,
      rolledBack: false,
      drain: { provider: oldProvider, inFlight: 1, complete: false, error: undefined },
      next: {
        phase: 'cutover',
        ready: false,
        checks: [{ name: 'ramp-complete', ok: false, reason: 'ramp is at 40 %; raise it to 100 % or force the cutover with a reason' }],
      },
    });
    expect(status.history.map((entry) => `${String(entry.from)}->${entry.to}`)).toEqual(['null->prepare', 'prepare->shadow', 'shadow->ramp', 'ramp->ramp']);
  });

  it('during drain, previews done with the in-flight count and marks the drain complete at 0', async () => {
    const harness = await createCutoverHarness();
    harness.inFlight.begin(oldProvider, 'pay_1');
    await driveTo(harness, 'drain');
    expect((await harness.orchestrator.status()).next).toEqual({
      phase: 'done',
      ready: false,
      checks: [{ name: 'drain-complete', ok: false, reason: '1 payment(s) still in flight on stripe' }],
    });
    harness.inFlight.finish(oldProvider, 'pay_1');
    const status = await harness.orchestrator.status();
    expect(status.drain).toEqual({ provider: oldProvider, inFlight: 0, complete: true, error: undefined });
    expect(status.next?.ready).toBe(true);
  });

  it('reports a failing in-flight count instead of failing, and the done preview fails closed', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'drain');
    harness.inFlight.failure = new Error('transaction store unreachable');
    const status = await harness.orchestrator.status();
    expect(status.drain).toEqual({ provider: oldProvider, inFlight: undefined, complete: false, error: 'transaction store unreachable' });
    expect(status.next?.checks).toEqual([{ name: 'drainComplete', ok: false, reason: 'the guard threw: transaction store unreachable' }]);
    harness.inFlight.failure = 'not an error' as unknown as Error;
    expect((await harness.orchestrator.status()).drain.error).toBe('not an error');
  });

  it('has no next phase once done, and previews prepare after a rollback', async () => {
    const harness = await createCutoverHarness();
    await driveTo(harness, 'done');
    expect((await harness.orchestrator.status()).next).toBeUndefined();
    const other = await createCutoverHarness();
    await driveTo(other, 'rolled_back');
    expect((await other.orchestrator.status()).next).toEqual({ phase: 'prepare', ready: true, checks: [] });
  });
});

describe('outbox', () => {
  it('enqueues exactly one control.migration message per change, in order, none for refusals or no-ops', async () => {
    const harness = await createCutoverHarness();
    const { orchestrator } = harness;
    await orchestrator.start({ actor: 'alice', reason: 'start' });
    await orchestrator.start();
    await orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'shadow' });
    await orchestrator.advance({ to: 'ramp', actor: 'alice', reason: 'ramp' });
    await orchestrator.setRampPercent({ percent: 25, actor: 'alice', reason: '25' });
    await orchestrator.setRampPercent({ percent: 25, actor: 'alice', reason: 'same' });
    await rejectionOf(orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'too early' }));
    await orchestrator.setRampPercent({ percent: 100, actor: 'alice', reason: '100' });
    await orchestrator.advance({ to: 'cutover', actor: 'alice', reason: 'flip' });
    await harness.clock.advance(5_000);
    await orchestrator.advance({ to: 'drain', actor: 'alice', reason: 'drain' });
    await orchestrator.advance({ to: 'done', actor: 'alice', reason: 'done' });
    const messages = await takeControlMessages(harness);
    expect(messages.map((message) => [message.previousPhase, message.phase, message.epoch, message.rampPercent])).toEqual([
      [null, 'prepare', 1, 0],
      ['prepare', 'shadow', 2, 0],
      ['shadow', 'ramp', 3, 0],
      ['ramp', 'ramp', 4, 25],
      ['ramp', 'ramp', 5, 100],
      ['ramp', 'cutover', 6, 100],
      ['cutover', 'drain', 7, 100],
      ['drain', 'done', 8, 100],
    ]);
    expect(new Set(messages.map((message) => message.orderingKey))).toEqual(new Set(['default']));
    expect(new Set(messages.map((message) => message.deduplicationId)).size).toBe(8);
    expect(await harness.innerJournal.pendingOutboxCount({ topics: [migrationControlTopic] })).toBe(0);
  });
});
