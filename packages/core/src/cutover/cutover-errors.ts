import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const preconditionMarker = Symbol.for('paymigrate.error.cutover.precondition-failed');
const conflictMarker = Symbol.for('paymigrate.error.cutover.concurrent-change');
const notFoundMarker = Symbol.for('paymigrate.error.cutover.migration-not-found');
const stateInvalidMarker = Symbol.for('paymigrate.error.cutover.state-invalid');
const requestMarker = Symbol.for('paymigrate.error.cutover.request-invalid');

/** One guard result, as carried by `CutoverPreconditionError` (the same shape as `CutoverCheckResult`). */
export interface CutoverPreconditionCheck {
  /** Stable name of the check. */
  readonly name: string;
  /** Whether it held. */
  readonly ok: boolean;
  /** Why. */
  readonly reason: string;
}

/**
 * A phase change or ramp percentage change was refused because at least one guard (precondition)
 * failed. Nothing was written. `checks` holds every guard evaluated; `failedChecks` the ones to fix.
 */
export class CutoverPreconditionError extends PaymigrateError {
  private readonly [preconditionMarker] = true;

  /** The migration that was to change. */
  readonly migrationId: string;

  /** Its phase when the change was refused. */
  readonly from: string;

  /** The phase that was asked for (`ramp` for a percentage change). */
  readonly to: string;

  /** Every guard evaluated, in order, with its result. */
  readonly checks: readonly CutoverPreconditionCheck[];

  /** The guards that failed, in order: what the operator must fix before trying again. */
  readonly failedChecks: readonly CutoverPreconditionCheck[];

  constructor(options: { migrationId: string; from: string; to: string; checks: readonly CutoverPreconditionCheck[] }) {
    const failedChecks = options.checks.filter((check) => !check.ok);
    const listed = failedChecks.map((check) => `${check.name}: ${check.reason}`).join('; ');
    super(
      'CUTOVER_PRECONDITION_FAILED',
      `Migration '${options.migrationId}' cannot go from '${options.from}' to '${options.to}': ${failedChecks.length} check(s) failed (${listed}). Nothing was written.`,
    );
    this.name = 'CutoverPreconditionError';
    this.migrationId = options.migrationId;
    this.from = options.from;
    this.to = options.to;
    this.checks = options.checks;
    this.failedChecks = failedChecks;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is CutoverPreconditionError {
    return hasMarker(error, preconditionMarker);
  }
}

/**
 * Another node (or another call) changed the migration between this call's read and its
 * compare-and-set write, so this call wrote nothing. Not retryable as is: the change was decided
 * on a state that no longer exists. Re-read `status()` and decide again.
 */
export class MigrationConflictError extends PaymigrateError {
  private readonly [conflictMarker] = true;

  /** The migration that changed concurrently. */
  readonly migrationId: string;

  /** What this call tried, e.g. `advance to 'cutover'`. */
  readonly attempted: string;

  /** The epoch this call read. */
  readonly readEpoch: number;

  /** The phase found after the conflict, when a re-read succeeded. */
  readonly currentPhase: string | undefined;

  /** The epoch found after the conflict, when a re-read succeeded. */
  readonly currentEpoch: number | undefined;

  constructor(options: {
    migrationId: string;
    attempted: string;
    readEpoch: number;
    currentPhase?: string | undefined;
    currentEpoch?: number | undefined;
    cause?: unknown;
  }) {
    const now =
      options.currentPhase === undefined ? 'it could not be re-read' : `it is now at phase '${options.currentPhase}', epoch ${String(options.currentEpoch)}`;
    super(
      'CUTOVER_CONCURRENT_CHANGE',
      `Migration '${options.migrationId}' changed concurrently while trying to ${options.attempted} (read at epoch ${options.readEpoch}; ${now}). Nothing was written: re-read the status and decide again.`,
      { cause: options.cause },
    );
    this.name = 'MigrationConflictError';
    this.migrationId = options.migrationId;
    this.attempted = options.attempted;
    this.readEpoch = options.readEpoch;
    this.currentPhase = options.currentPhase;
    this.currentEpoch = options.currentEpoch;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is MigrationConflictError {
    return hasMarker(error, conflictMarker);
  }
}

/** The migration has no record in the journal yet: `start()` has not run for this migration id. */
export class MigrationNotFoundError extends PaymigrateError {
  private readonly [notFoundMarker] = true;

  /** The migration id that was looked up. */
  readonly migrationId: string;

  constructor(options: { migrationId: string }) {
    super('CUTOVER_MIGRATION_NOT_FOUND', `Migration '${options.migrationId}' has not been started. Call start() first.`);
    this.name = 'MigrationNotFoundError';
    this.migrationId = options.migrationId;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is MigrationNotFoundError {
    return hasMarker(error, notFoundMarker);
  }
}

/**
 * The journaled migration record cannot be used: not JSON, a field out of its schema, or a record
 * describing another migration. Nothing routes on it; selectors fall back to the old provider.
 */
export class MigrationStateInvalidError extends PaymigrateError {
  private readonly [stateInvalidMarker] = true;

  /** The migration whose record is unusable. */
  readonly migrationId: string;

  /** What is wrong with it. */
  readonly problem: string;

  constructor(options: { migrationId: string; problem: string; cause?: unknown }) {
    super(
      'CUTOVER_STATE_INVALID',
      `The journaled state of migration '${options.migrationId}' is unusable: ${options.problem}. Restore the record from the journal's history or back-up; do not edit it by hand.`,
      { cause: options.cause },
    );
    this.name = 'MigrationStateInvalidError';
    this.migrationId = options.migrationId;
    this.problem = options.problem;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is MigrationStateInvalidError {
    return hasMarker(error, stateInvalidMarker);
  }
}

/**
 * A call to the orchestrator was malformed: an empty actor or reason, a ramp percentage out of
 * range, `force` outside a cutover, a percentage change outside the `ramp` phase.
 */
export class CutoverRequestError extends PaymigrateError {
  private readonly [requestMarker] = true;

  /** The input field at fault (`percent`, `actor`, `force`, ...). */
  readonly field: string;

  constructor(options: { field: string; problem: string }) {
    super('CUTOVER_REQUEST_INVALID', `Invalid cutover request: '${options.field}' ${options.problem}.`);
    this.name = 'CutoverRequestError';
    this.field = options.field;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is CutoverRequestError {
    return hasMarker(error, requestMarker);
  }
}
