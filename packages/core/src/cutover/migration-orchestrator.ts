import type { Counter, Meter } from '@opentelemetry/api';
import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import { ConfigurationError } from '../errors/configuration-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { defaultMeter } from '../observability/metrics.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { CutoverPreconditionError, CutoverRequestError, MigrationConflictError, MigrationNotFoundError } from './cutover-errors.js';
import {
  builtInCutoverGuards,
  type CutoverChangeRequest,
  type CutoverGuard,
  type CutoverGuardContext,
  type CutoverGuards,
  evaluateCutoverGuards,
  type InFlightPayments,
  type TokenMigrationReadinessCheck,
} from './cutover-guards.js';
import { requireRampPercent, requireText } from './cutover-request.js';
import { type GuardedMigrationPhase, type MigrationPhase, migrationPhaseMachine, nextMigrationPhase } from './migration-phase.js';
import {
  type CutoverCheckResult,
  defaultMigrationId,
  migrationCollection,
  migrationControlMessage,
  type MigrationHistoryEntry,
  type MigrationState,
  parseMigrationRecord,
  serializeMigrationState,
  type VersionedMigrationState,
} from './migration-state.js';

/** Options of `createMigrationOrchestrator`. Validated once, at construction. */
export interface MigrationOrchestratorOptions {
  /** Where the migration state lives (collection `migration`) and where change messages are enqueued. */
  readonly journal: JournalV1;
  /**
   * Key of the migration in the journal; one shop migrates once at a time, so one id is enough.
   * @default 'default'
   */
  readonly migrationId?: string | undefined;
  /** The provider payments move away from. */
  readonly fromProvider: string;
  /** The provider payments move to; must differ from `fromProvider`. */
  readonly toProvider: string;
  /**
   * Stamps history entries and measures how long the cutover has been in effect.
   * @default systemClock
   */
  readonly clock?: ClockV1 | undefined;
  /**
   * Receives one line per change, refusal and conflict.
   * @default createLogger({ name: 'paymigrate.cutover' })
   */
  readonly logger?: Logger | undefined;
  /**
   * Records `paymigrate.cutover.changes` (attributes `from`, `to`, `outcome`).
   * @default defaultMeter()
   */
  readonly meter?: Meter | undefined;
  /** Extra guards per phase, run after the built-in ones; any failure refuses the change. */
  readonly guards?: CutoverGuards | undefined;
  /** Counts payments still in flight on a provider: `done` needs none left on `fromProvider`. */
  readonly inFlightPayments: InFlightPayments;
  /**
   * Asked before `shadow` starts; when absent the `token-migration-ready` guard passes with
   * "no token migration configured".
   */
  readonly tokenMigrationReadiness?: TokenMigrationReadinessCheck | undefined;
  /**
   * How long the cutover must have been in effect before `drain` may start, milliseconds. It must
   * cover the slowest selector's refresh (`maxConfigAgeMs` of `createMigrationProviderSelector`), so
   * that no node can still be starting payments on the old provider when the drain is measured.
   * @default 5000
   */
  readonly routingSettleMs?: number | undefined;
}

/** Input of `MigrationOrchestrator.start`. */
export interface StartMigrationInput {
  /** Who starts the migration. @default 'system' */
  readonly actor?: string | undefined;
  /** Why. @default 'migration started' */
  readonly reason?: string | undefined;
}

/** Input of `MigrationOrchestrator.advance`. */
export interface AdvanceMigrationInput {
  /** The phase to move to; `rolled_back` is the same as `rollback()`. */
  readonly to: MigrationPhase;
  /** Who asks (journaled). */
  readonly actor: string;
  /** Why (journaled). */
  readonly reason: string;
  /**
   * Only with `to: 'cutover'`: cut over although the ramp is below 100 %. The reason is journaled
   * in the history entry (`forceReason`) and, when it overrode the ramp, in the `ramp-complete`
   * check. Only `ramp-complete` can be forced: every other guard still applies.
   */
  readonly force?: { readonly reason: string } | undefined;
}

/** Input of `MigrationOrchestrator.setRampPercent`. */
export interface SetRampPercentInput {
  /** The new share of new payments for the new provider, 0 to 100 with at most 3 decimals. */
  readonly percent: number;
  /** Who asks (journaled). */
  readonly actor: string;
  /** Why (journaled). */
  readonly reason: string;
}

/** Input of `MigrationOrchestrator.rollback`. */
export interface RollbackMigrationInput {
  /** Who asks (journaled). */
  readonly actor: string;
  /** Why (journaled). */
  readonly reason: string;
}

/** How far the drain of the old provider has come. */
export interface MigrationDrainProgress {
  /** The provider being drained: `fromProvider`. */
  readonly provider: string;
  /** Payments still in flight on it; `undefined` when the count failed (see `error`). */
  readonly inFlight: number | undefined;
  /** True when the count is 0. */
  readonly complete: boolean;
  /** Why the count failed, when it did. */
  readonly error: string | undefined;
}

/** The guards of the phase an operator would normally advance to next, evaluated now. */
export interface MigrationNextPhasePreview {
  /** The next phase (`cutover` while ramping, `prepare` after a rollback). */
  readonly phase: GuardedMigrationPhase;
  /** True when every check passes, i.e. `advance({ to: phase })` would be accepted now. */
  readonly ready: boolean;
  /** Every check, with its reason. Evaluated without `force`. */
  readonly checks: readonly CutoverCheckResult[];
}

/** What `MigrationOrchestrator.status` reports. */
export interface MigrationStatus extends MigrationState {
  /** How far the drain of the old provider has come (reported in every phase). */
  readonly drain: MigrationDrainProgress;
  /** Why the migration can or cannot advance; `undefined` once `done`. */
  readonly next: MigrationNextPhasePreview | undefined;
}

/**
 * Runs the phases of a provider migration (prepare -> shadow -> ramp -> cutover -> drain -> done,
 * rollback from any non-final phase). Every change is one compare-and-set write of the migration
 * record plus a `control.migration` outbox message, so concurrent operators on several nodes can
 * never both win, and every node can be told.
 */
export interface MigrationOrchestrator {
  /** The migration id in the journal. */
  readonly migrationId: string;

  /**
   * Creates the migration at `prepare` (epoch 1). Idempotent: when it already exists (whatever its
   * phase, also when another node created it concurrently) the journaled state is returned as is.
   *
   * @throws ConfigurationError when the journaled migration moves between other providers.
   */
  start(input?: StartMigrationInput): Promise<MigrationState>;

  /**
   * Moves to the phase `to` after evaluating its guards. Nothing is written when a guard fails.
   *
   * @throws IllegalTransitionError when the phase machine does not allow the move (the message names both phases).
   * @throws CutoverPreconditionError listing every failed check with its reason.
   * @throws MigrationConflictError when another node changed the migration meanwhile: re-read and decide again.
   * @throws CutoverRequestError on an empty actor or reason, `force` outside a cutover, or `to: 'ramp'` while ramping.
   * @throws MigrationNotFoundError before `start()`.
   */
  advance(input: AdvanceMigrationInput): Promise<MigrationState>;

  /**
   * Changes the ramp percentage (phase `ramp` only): epoch + 1. Raising it evaluates the `ramp`
   * guards; lowering it is a safety action, like a rollback, and is never guarded. Setting the
   * current value again writes nothing and returns the state.
   *
   * @throws CutoverRequestError outside `ramp`, or for a percentage out of 0..100 or with more than 3 decimals.
   * @throws CutoverPreconditionError when raising and a `ramp` guard fails.
   * @throws MigrationConflictError when another node changed the migration meanwhile.
   */
  setRampPercent(input: SetRampPercentInput): Promise<MigrationState>;

  /**
   * Rolls back from any non-final phase: epoch + 1, `rolledBack` true, ramp 0. From that write on,
   * selectors send every NEW payment to the old provider; payments already in flight finish on the
   * provider they are pinned to (the Transaction State Manager never asks the selector again for
   * them). Never guarded. Retried on a concurrent change (the intent does not depend on the state
   * read); already `rolled_back` returns the state without writing.
   *
   * @throws IllegalTransitionError once `done`.
   * @throws MigrationConflictError when five attempts in a row lost to concurrent changes.
   */
  rollback(input: RollbackMigrationInput): Promise<MigrationState>;

  /** The journaled state, the drain progress and the guards of the next phase evaluated now. */
  status(): Promise<MigrationStatus>;
}

/** How many times `rollback` re-reads and retries after losing a compare-and-set. */
const rollbackAttempts = 5;

const functionSchema = z.custom<CutoverGuard>((value) => typeof value === 'function', { message: 'must be a function' });

const guardListSchema = z.array(functionSchema).optional();

const optionsSchema = z
  .object({
    journal: z
      .custom<JournalV1>(
        (value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'get') === 'function' && typeof Reflect.get(value, 'write') === 'function',
        { message: 'must be a JournalV1 (with get and write)' },
      )
      .meta({ fix: 'pass an opened journal, e.g. the SQLite or PostgreSQL journal' }),
    migrationId: z.string().min(1).default(defaultMigrationId),
    fromProvider: z.string().min(1).meta({ fix: "pass the current provider's name, e.g. 'stripe'" }),
    toProvider: z.string().min(1).meta({ fix: "pass the new provider's name, e.g. 'adyen'" }),
    clock: z
      .custom<ClockV1>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'now') === 'function', {
        message: 'must be a ClockV1',
      })
      .optional(),
    logger: z
      .custom<Logger>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'info') === 'function', {
        message: 'must be a logger (createLogger)',
      })
      .optional(),
    meter: z
      .custom<Meter>((value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'createCounter') === 'function', {
        message: 'must be an OpenTelemetry Meter',
      })
      .optional(),
    guards: z
      .strictObject({
        prepare: guardListSchema,
        shadow: guardListSchema,
        ramp: guardListSchema,
        cutover: guardListSchema,
        drain: guardListSchema,
        done: guardListSchema,
      })
      .optional()
      .meta({ fix: 'pass { [phase]: [async (context) => ({ name, ok, reason })] } for phases prepare, shadow, ramp, cutover, drain, done' }),
    inFlightPayments: z
      .custom<InFlightPayments>(
        (value) => typeof value === 'object' && value !== null && typeof Reflect.get(value, 'countInFlight') === 'function',
        { message: 'must have countInFlight(provider)' },
      )
      .meta({ fix: "pass the Transaction State Manager's in-flight counter: { countInFlight(provider) }" }),
    tokenMigrationReadiness: z.custom<TokenMigrationReadinessCheck>((value) => typeof value === 'function', { message: 'must be a function' }).optional(),
    routingSettleMs: z.number().int().min(0).default(5000),
  })
  .superRefine((options, context) => {
    if (options.fromProvider === options.toProvider) {
      context.addIssue({ code: 'custom', path: ['toProvider'], message: `must differ from fromProvider ('${options.fromProvider}')` });
    }
  });

/** The ramp percentage left in place by a move to `to`. */
function rampPercentAfter(state: MigrationState, to: MigrationPhase): number {
  return to === 'prepare' || to === 'rolled_back' || (to === 'ramp' && state.phase !== 'ramp') ? 0 : state.rampPercent;
}

/**
 * Creates the orchestrator of one migration. Nothing is read or written until a method is called.
 *
 * @throws ConfigurationError when an option is missing or invalid (e.g. `toProvider` equal to `fromProvider`).
 * @example
 * const orchestrator = createMigrationOrchestrator({ journal, fromProvider: 'stripe', toProvider: 'adyen', inFlightPayments });
 * await orchestrator.start();
 * await orchestrator.advance({ to: 'shadow', actor: 'alice', reason: 'tokens imported' });
 */
export function createMigrationOrchestrator(options: MigrationOrchestratorOptions): MigrationOrchestrator {
  const parsed = parseOptions(optionsSchema, options, { component: 'cutover' });
  const { journal, migrationId, fromProvider, toProvider, inFlightPayments } = parsed;
  const clock = parsed.clock ?? systemClock;
  const logger = parsed.logger ?? createLogger({ name: 'paymigrate.cutover' });
  const changes: Counter = (parsed.meter ?? defaultMeter()).createCounter('paymigrate.cutover.changes', {
    description: 'Migration phase and ramp changes, by outcome (applied, refused, conflict).',
  });
  const builtInGuards = builtInCutoverGuards({
    inFlightPayments,
    tokenMigrationReadiness: parsed.tokenMigrationReadiness,
    routingSettleMs: parsed.routingSettleMs,
  });
  const extraGuards: CutoverGuards = parsed.guards ?? {};

  const guardsOf = (phase: GuardedMigrationPhase): readonly CutoverGuard[] => [...builtInGuards[phase], ...(extraGuards[phase] ?? [])];

  const assertSameProviders = (state: MigrationState): void => {
    for (const [option, configured, journaled] of [
      ['fromProvider', fromProvider, state.fromProvider],
      ['toProvider', toProvider, state.toProvider],
    ] as const) {
      if (configured !== journaled) {
        throw new ConfigurationError({
          option: `cutover.${option}`,
          problem: `is '${configured}' but migration '${migrationId}' in the journal moves ${state.fromProvider} -> ${state.toProvider}`,
          fix: 'pass the journaled providers, or use another migrationId for another migration',
        });
      }
    }
  };

  const read = async (): Promise<VersionedMigrationState | undefined> => {
    const record = await journal.get(migrationCollection, migrationId);
    if (record === undefined) return undefined;
    const versioned = parseMigrationRecord(record);
    assertSameProviders(versioned.state);
    return versioned;
  };

  const readExisting = async (): Promise<VersionedMigrationState> => {
    const current = await read();
    if (current === undefined) throw new MigrationNotFoundError({ migrationId });
    return current;
  };

  /** Writes `next` if the record is still at `expectedVersion`; a lost compare-and-set throws `VersionConflictError`. */
  const commit = async (next: MigrationState, change: MigrationHistoryEntry, expectedVersion: number): Promise<MigrationState> => {
    await journal.write({
      puts: [{ collection: migrationCollection, key: migrationId, value: serializeMigrationState(next), index: next.phase, expectedVersion }],
      outbox: [migrationControlMessage(next, change)],
    });
    changes.add(1, { from: String(change.from), to: change.to, outcome: 'applied' });
    logger.info(
      { migrationId, from: change.from, to: change.to, epoch: next.epoch, rampPercent: next.rampPercent, actor: change.actor, reason: change.reason, forceReason: change.forceReason },
      change.from === change.to ? 'migration ramp percentage changed' : 'migration phase changed',
    );
    return next;
  };

  const conflictError = async (current: MigrationState, attempted: string, cause: unknown): Promise<MigrationConflictError> => {
    let found: MigrationState | undefined;
    try {
      found = (await read())?.state;
    } catch {
      found = undefined;
    }
    changes.add(1, { from: current.phase, to: 'unknown', outcome: 'conflict' });
    const error = new MigrationConflictError({ migrationId, attempted, readEpoch: current.epoch, currentPhase: found?.phase, currentEpoch: found?.epoch, cause });
    logger.warn({ migrationId, attempted, readEpoch: current.epoch, currentEpoch: found?.epoch }, 'migration changed concurrently; nothing written');
    return error;
  };

  /** Builds the next state and its history entry for a move of `current` to `to`. */
  const nextState = (
    current: MigrationState,
    to: MigrationPhase,
    rampPercent: number,
    request: CutoverChangeRequest,
    checks: readonly CutoverCheckResult[],
  ): { next: MigrationState; change: MigrationHistoryEntry } => {
    const at = clock.now();
    const epoch = current.epoch + 1;
    const change: MigrationHistoryEntry = {
      from: current.phase,
      to,
      epoch,
      rampPercent,
      at,
      actor: request.actor,
      reason: request.reason,
      checks,
      ...(request.forceReason === undefined ? {} : { forceReason: request.forceReason }),
    };
    const next: MigrationState = {
      ...current,
      phase: to,
      epoch,
      rampPercent,
      rolledBack: current.rolledBack || to === 'rolled_back',
      history: [...current.history, change],
      updatedAt: at,
    };
    return { next, change };
  };

  const guardContext = (
    state: MigrationState,
    to: GuardedMigrationPhase,
    rampPercent: number,
    request: CutoverChangeRequest | undefined,
  ): CutoverGuardContext => ({ migrationId, fromProvider, toProvider, state, from: state.phase, to, rampPercent, request, now: clock.now() });

  /** Evaluates the guards of `to`, then writes the change; refuses (writing nothing) when a check fails. */
  const guardedChange = async (
    current: VersionedMigrationState,
    to: GuardedMigrationPhase,
    rampPercent: number,
    request: CutoverChangeRequest,
    attempted: string,
    guarded: boolean,
  ): Promise<MigrationState> => {
    const checks = guarded ? await evaluateCutoverGuards(guardsOf(to), guardContext(current.state, to, rampPercent, request)) : [];
    if (checks.some((check) => !check.ok)) {
      const error = new CutoverPreconditionError({ migrationId, from: current.state.phase, to, checks });
      changes.add(1, { from: current.state.phase, to, outcome: 'refused' });
      logger.warn({ migrationId, from: current.state.phase, to, actor: request.actor, failedChecks: error.failedChecks }, 'migration change refused by its guards');
      throw error;
    }
    const { next, change } = nextState(current.state, to, rampPercent, request, checks);
    try {
      return await commit(next, change, current.version);
    } catch (error) {
      if (VersionConflictError.isInstance(error)) throw await conflictError(current.state, attempted, error);
      throw error;
    }
  };

  const start = async (input: StartMigrationInput = {}): Promise<MigrationState> => {
    const actor = input.actor === undefined ? 'system' : requireText(input.actor, 'actor');
    const reason = input.reason === undefined ? 'migration started' : requireText(input.reason, 'reason');
    const existing = await read();
    if (existing !== undefined) return existing.state;
    const at = clock.now();
    const change: MigrationHistoryEntry = { from: null, to: 'prepare', epoch: 1, rampPercent: 0, at, actor, reason, checks: [] };
    const state: MigrationState = {
      migrationId,
      fromProvider,
      toProvider,
      phase: 'prepare',
      epoch: 1,
      rampPercent: 0,
      rolledBack: false,
      history: [change],
      createdAt: at,
      updatedAt: at,
    };
    try {
      return await commit(state, change, 0);
    } catch (error) {
      if (!VersionConflictError.isInstance(error)) throw error;
      // Another node created it first: its state is the migration.
      const winner = await read();
      if (winner === undefined) throw error;
      return winner.state;
    }
  };

  const rollback = async (input: RollbackMigrationInput): Promise<MigrationState> => {
    const request: CutoverChangeRequest = { actor: requireText(input.actor, 'actor'), reason: requireText(input.reason, 'reason') };
    let lastConflict: { state: MigrationState; error: unknown } | undefined;
    for (let attempt = 1; attempt <= rollbackAttempts; attempt += 1) {
      const current = await readExisting();
      if (current.state.phase === 'rolled_back') return current.state;
      migrationPhaseMachine.assertTransition(current.state.phase, 'rolled_back', migrationId);
      const { next, change } = nextState(current.state, 'rolled_back', 0, request, []);
      try {
        return await commit(next, change, current.version);
      } catch (error) {
        if (!VersionConflictError.isInstance(error)) throw error;
        lastConflict = { state: current.state, error };
        logger.warn({ migrationId, attempt }, 'rollback lost a concurrent change; re-reading');
      }
    }
    const conflict = lastConflict as { state: MigrationState; error: unknown };
    throw await conflictError(conflict.state, 'roll back', conflict.error);
  };

  const advance = async (input: AdvanceMigrationInput): Promise<MigrationState> => {
    const to = migrationPhaseMachine.assertState(requireText(input.to, 'to'), migrationId);
    const request: CutoverChangeRequest = {
      actor: requireText(input.actor, 'actor'),
      reason: requireText(input.reason, 'reason'),
      ...(input.force === undefined ? {} : { forceReason: requireText(input.force.reason, 'force.reason') }),
    };
    if (request.forceReason !== undefined && to !== 'cutover') {
      throw new CutoverRequestError({ field: 'force', problem: `applies only to a cutover (to: 'cutover'), not to '${to}'` });
    }
    if (to === 'rolled_back') return rollback(request);
    const current = await readExisting();
    migrationPhaseMachine.assertTransition(current.state.phase, to, migrationId);
    if (to === 'ramp' && current.state.phase === 'ramp') {
      throw new CutoverRequestError({ field: 'to', problem: "is 'ramp' while already ramping; call setRampPercent to change the percentage" });
    }
    return guardedChange(current, to, rampPercentAfter(current.state, to), request, `advance to '${to}'`, true);
  };

  const setRampPercent = async (input: SetRampPercentInput): Promise<MigrationState> => {
    const percent = requireRampPercent(input.percent);
    const request: CutoverChangeRequest = { actor: requireText(input.actor, 'actor'), reason: requireText(input.reason, 'reason') };
    const current = await readExisting();
    if (current.state.phase !== 'ramp') {
      throw new CutoverRequestError({
        field: 'percent',
        problem: `can change only in phase 'ramp'; migration '${migrationId}' is at '${current.state.phase}'`,
      });
    }
    if (percent === current.state.rampPercent) return current.state;
    const raising = percent > current.state.rampPercent;
    return guardedChange(current, 'ramp', percent, request, `set the ramp to ${percent} %`, raising);
  };

  const status = async (): Promise<MigrationStatus> => {
    const { state } = await readExisting();
    let drain: MigrationDrainProgress;
    try {
      const inFlight = await inFlightPayments.countInFlight(fromProvider);
      drain = { provider: fromProvider, inFlight, complete: inFlight === 0, error: undefined };
    } catch (error) {
      drain = { provider: fromProvider, inFlight: undefined, complete: false, error: error instanceof Error ? error.message : String(error) };
    }
    const phase = nextMigrationPhase(state.phase);
    let next: MigrationNextPhasePreview | undefined;
    if (phase !== undefined) {
      const checks = await evaluateCutoverGuards(guardsOf(phase), guardContext(state, phase, rampPercentAfter(state, phase), undefined));
      next = { phase, ready: checks.every((check) => check.ok), checks };
    }
    return { ...state, drain, next };
  };

  return Object.freeze({ migrationId, start, advance, setRampPercent, rollback, status });
}
