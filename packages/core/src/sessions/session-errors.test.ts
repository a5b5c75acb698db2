import { describe, expect, it } from 'vitest';
import { PaymigrateError } from '../errors/paymigrate-error.js';
import { testCardNumber } from './__fixtures__/session-fixtures.js';
import {
  HandoffExpiredError,
  HandoffInvalidError,
  HandoffReplayedError,
  SessionDualWriteError,
  SessionMigrationConflictError,
  SessionMigrationPhaseError,
  SessionMigrationStateInvalidError,
  SessionSwitchRefusedError,
  SessionWritesPausedError,
} from './session-errors.js';

interface ErrorCase {
  readonly type: { readonly name: string; isInstance(value: unknown): boolean };
  readonly marker: string;
  readonly create: () => PaymigrateError;
  readonly code: string;
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
  readonly retryable: boolean;
}

const cause = new Error('inner');

const cases: readonly ErrorCase[] = [
  {
    type: HandoffInvalidError,
    marker: 'paymigrate.error.session-handoff.invalid',
    create: () => new HandoffInvalidError({ reason: 'signature', detail: 'the signature does not verify', cause }),
    code: 'SESSION_HANDOFF_INVALID',
    message: 'Session handoff token refused (signature): the signature does not verify. Nothing was redeemed; start a new handoff.',
    fields: { reason: 'signature' },
    retryable: false,
  },
  {
    type: HandoffExpiredError,
    marker: 'paymigrate.error.session-handoff.expired',
    create: () => new HandoffExpiredError({ expiredAt: Date.UTC(2026, 0, 1) }),
    code: 'SESSION_HANDOFF_EXPIRED',
    message: 'Session handoff token expired at 2026-01-01T00:00:00.000Z. Nothing was redeemed; start a new handoff.',
    fields: { expiredAt: Date.UTC(2026, 0, 1) },
    retryable: false,
  },
  {
    type: HandoffReplayedError,
    marker: 'paymigrate.error.session-handoff.replayed',
    create: () => new HandoffReplayedError({ tokenId: 'jti-1' }),
    code: 'SESSION_HANDOFF_REPLAYED',
    message: "Session handoff token 'jti-1' was already redeemed; a token is single-use. Start a new handoff.",
    fields: { tokenId: 'jti-1' },
    retryable: false,
  },
  {
    type: SessionMigrationConflictError,
    marker: 'paymigrate.error.session-migration.concurrent-change',
    create: () => new SessionMigrationConflictError({ migrationId: 'm1', attempted: 'a checkpoint', cause }),
    code: 'SESSION_MIGRATION_CONCURRENT_CHANGE',
    message: "Session migration 'm1' changed concurrently during a checkpoint; this controller stopped. Check status() and decide again.",
    fields: { migrationId: 'm1', attempted: 'a checkpoint' },
    retryable: false,
  },
  {
    type: SessionMigrationPhaseError,
    marker: 'paymigrate.error.session-migration.wrong-phase',
    create: () => new SessionMigrationPhaseError({ migrationId: 'm1', operation: 'switchReads', phase: 'copying', allowedPhases: ['verifying'] }),
    code: 'SESSION_MIGRATION_WRONG_PHASE',
    message: "Session migration 'm1': switchReads() needs phase 'verifying', but it is 'copying'. Nothing was written.",
    fields: { migrationId: 'm1', operation: 'switchReads', phase: 'copying', allowedPhases: ['verifying'] },
    retryable: false,
  },
  {
    type: SessionMigrationStateInvalidError,
    marker: 'paymigrate.error.session-migration.state-invalid',
    create: () => new SessionMigrationStateInvalidError({ migrationId: 'm1', problem: 'not JSON', cause }),
    code: 'SESSION_MIGRATION_STATE_INVALID',
    message: "The journaled record of session migration 'm1' is unusable: not JSON. Restore it from the journal's back-up; do not edit it by hand.",
    fields: { migrationId: 'm1' },
    retryable: false,
  },
  {
    type: SessionSwitchRefusedError,
    marker: 'paymigrate.error.session-migration.switch-refused',
    create: () => new SessionSwitchRefusedError({ migrationId: 'm1', failed: 3 }),
    code: 'SESSION_MIGRATION_SWITCH_REFUSED',
    message: "Session migration 'm1': reads stay on the source because 3 session(s) failed to copy in the last run. Run migrate() again, then switch.",
    fields: { migrationId: 'm1', failed: 3 },
    retryable: false,
  },
  {
    type: SessionDualWriteError,
    marker: 'paymigrate.error.session-migration.dual-write-failed',
    create: () => new SessionDualWriteError({ key: 'session:1', store: 'source', cause }),
    code: 'SESSION_DUAL_WRITE_FAILED',
    message: "Session 'session:1' was written, but its copy in the source store could not be updated or removed and may be older. Write the session again.",
    fields: { key: 'session:1', store: 'source' },
    retryable: true,
  },
  {
    type: SessionWritesPausedError,
    marker: 'paymigrate.error.session-migration.writes-paused',
    create: () => new SessionWritesPausedError({ key: 'session:1', retryAfterMs: 1500 }),
    code: 'SESSION_WRITES_PAUSED',
    message:
      "Session 'session:1' cannot be written for another 1500 ms: the session migration was rolled back and every node is switching back to the source. Retry after that.",
    fields: { key: 'session:1', retryAfterMs: 1500 },
    retryable: true,
  },
];

describe.each(cases)('$type.name', ({ type, marker, create, code, message, fields, retryable }) => {
  it('carries its code, message, fields and retryability', () => {
    const error = create();
    expect(error.name).toBe(type.name);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
    expect(error).toMatchObject(fields);
    expect(error.isRetryable).toBe(retryable);
    expect(PaymigrateError.isInstance(error)).toBe(true);
  });

  it('is recognized by its marker, also from another installed copy', () => {
    expect(type.isInstance(create())).toBe(true);
    expect(type.isInstance({ [Symbol.for(marker)]: true })).toBe(true);
  });

  it('does not claim other errors (negative test)', () => {
    for (const other of cases.filter((candidate) => candidate.type !== type)) expect(type.isInstance(other.create())).toBe(false);
    expect(type.isInstance(new PaymigrateError('OTHER', 'other'))).toBe(false);
    expect(type.isInstance(new Error('plain'))).toBe(false);
    expect(type.isInstance(undefined)).toBe(false);
  });
});

describe('session error details', () => {
  it('says nothing about when a handoff token expired if it cannot tell', () => {
    expect(new HandoffExpiredError({ expiredAt: undefined }).message).toBe('Session handoff token expired. Nothing was redeemed; start a new handoff.');
  });

  it('lists every allowed phase', () => {
    const error = new SessionMigrationPhaseError({ migrationId: 'm', operation: 'migrate', phase: 'done', allowedPhases: ['not-started', 'copying'] });
    expect(error.message).toContain("needs phase 'not-started' or 'copying'");
  });

  it('never carries a card number in a message', () => {
    const error = new HandoffInvalidError({ reason: 'malformed', detail: `token ${testCardNumber}` });
    expect(error.message).not.toContain(testCardNumber);
  });
});
