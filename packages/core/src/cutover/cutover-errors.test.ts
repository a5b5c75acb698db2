import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration-error.js';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import {
  CutoverPreconditionError,
  CutoverRequestError,
  MigrationConflictError,
  MigrationNotFoundError,
  MigrationStateInvalidError,
} from './cutover-errors.js';

/** What each error class offers for identity checks. */
interface ErrorClass {
  readonly name: string;
  isInstance(value: unknown): boolean;
}

/** One error class with a representative instance and what it must show. */
interface ErrorCase {
  readonly type: ErrorClass;
  readonly marker: string;
  readonly create: () => PaymigrateError;
  readonly code: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

const conflictCause = new VersionConflictError({ collection: 'migration', key: 'default', expectedVersion: 4, actualVersion: 5 });

const cases: readonly ErrorCase[] = [
  {
    type: CutoverPreconditionError,
    marker: 'paymigrate.error.cutover.precondition-failed',
    create: () =>
      new CutoverPreconditionError({
        migrationId: 'default',
        from: 'ramp',
        to: 'cutover',
        checks: [
          { name: 'ramp-complete', ok: false, reason: 'ramp is at 40 %' },
          { name: 'error-rate', ok: true, reason: '0.1 % errors' },
          { name: 'on-call', ok: false, reason: 'nobody on call' },
        ],
      }),
    code: 'CUTOVER_PRECONDITION_FAILED',
    message:
      "Migration 'default' cannot go from 'ramp' to 'cutover': 2 check(s) failed (ramp-complete: ramp is at 40 %; on-call: nobody on call). Nothing was written.",
    fields: {
      migrationId: 'default',
      from: 'ramp',
      to: 'cutover',
      failedChecks: [
        { name: 'ramp-complete', ok: false, reason: 'ramp is at 40 %' },
        { name: 'on-call', ok: false, reason: 'nobody on call' },
      ],
    },
  },
  {
    type: MigrationConflictError,
    marker: 'paymigrate.error.cutover.concurrent-change',
    create: () =>
      new MigrationConflictError({ migrationId: 'default', attempted: "advance to 'cutover'", readEpoch: 4, currentPhase: 'cutover', currentEpoch: 5, cause: conflictCause }),
    code: 'CUTOVER_CONCURRENT_CHANGE',
    message:
      "Migration 'default' changed concurrently while trying to advance to 'cutover' (read at epoch 4; it is now at phase 'cutover', epoch 5). Nothing was written: re-read the status and decide again.",
    fields: { migrationId: 'default', attempted: "advance to 'cutover'", readEpoch: 4, currentPhase: 'cutover', currentEpoch: 5, cause: conflictCause },
  },
  {
    type: MigrationNotFoundError,
    marker: 'paymigrate.error.cutover.migration-not-found',
    create: () => new MigrationNotFoundError({ migrationId: 'shop-eu' }),
    code: 'CUTOVER_MIGRATION_NOT_FOUND',
    message: "Migration 'shop-eu' has not been started. Call start() first.",
    fields: { migrationId: 'shop-eu' },
  },
  {
    type: MigrationStateInvalidError,
    marker: 'paymigrate.error.cutover.state-invalid',
    create: () => new MigrationStateInvalidError({ migrationId: 'default', problem: 'its value is not JSON' }),
    code: 'CUTOVER_STATE_INVALID',
    message:
      "The journaled state of migration 'default' is unusable: its value is not JSON. Restore the record from the journal's history or back-up; do not edit it by hand.",
    fields: { migrationId: 'default', problem: 'its value is not JSON' },
  },
  {
    type: CutoverRequestError,
    marker: 'paymigrate.error.cutover.request-invalid',
    create: () => new CutoverRequestError({ field: 'percent', problem: 'must be a number from 0 to 100, got 101' }),
    code: 'CUTOVER_REQUEST_INVALID',
    message: "Invalid cutover request: 'percent' must be a number from 0 to 100, got 101.",
    fields: { field: 'percent' },
  },
];

describe.each(cases)('$type.name', (errorCase) => {
  it('carries its stable code, name, message and fields, and is not retryable', () => {
    const error = errorCase.create();
    expect(error.code).toBe(errorCase.code);
    expect(error.name).toBe(errorCase.type.name);
    expect(error.message).toBe(errorCase.message);
    expect(error.isRetryable).toBe(false);
    expect(error).toMatchObject(errorCase.fields);
    expect(error.toJSON()).toMatchObject({ name: errorCase.type.name, code: errorCase.code, message: errorCase.message });
  });

  it('is recognized by its own marker and by PaymigrateError, also from a marker-only copy', () => {
    const error = errorCase.create();
    expect(errorCase.type.isInstance(error)).toBe(true);
    expect(PaymigrateError.isInstance(error)).toBe(true);
    const foreignCopy = { [Symbol.for(errorCase.marker)]: true };
    expect(errorCase.type.isInstance(foreignCopy)).toBe(true);
  });

  it('does not claim any other error (negative test)', () => {
    const others: unknown[] = [
      new PaymigrateError('X', 'x'),
      new ConfigurationError({ option: 'a', problem: 'is missing', fix: 'pass it' }),
      conflictCause,
      new Error('plain'),
      null,
      undefined,
      'CUTOVER_PRECONDITION_FAILED',
      { [Symbol.for(errorCase.marker)]: 'yes' },
      ...cases.filter((other) => other.type !== errorCase.type).map((other) => other.create()),
    ];
    for (const other of others) expect(errorCase.type.isInstance(other)).toBe(false);
  });
});

describe('MigrationConflictError', () => {
  it('says when the migration could not be re-read after the conflict', () => {
    const error = new MigrationConflictError({ migrationId: 'default', attempted: 'roll back', readEpoch: 2 });
    expect(error.message).toBe(
      "Migration 'default' changed concurrently while trying to roll back (read at epoch 2; it could not be re-read). Nothing was written: re-read the status and decide again.",
    );
    expect(error.currentPhase).toBeUndefined();
    expect(error.currentEpoch).toBeUndefined();
    expect(error.cause).toBeUndefined();
  });
});

describe('CutoverPreconditionError', () => {
  it('keeps every check, passed ones included, for the operator', () => {
    const error = cases[0]?.create() as CutoverPreconditionError;
    expect(error.checks).toHaveLength(3);
    expect(error.checks.map((check) => check.name)).toEqual(['ramp-complete', 'error-rate', 'on-call']);
  });
});
