import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const handoffInvalidMarker = Symbol.for('paymigrate.error.session-handoff.invalid');
const handoffExpiredMarker = Symbol.for('paymigrate.error.session-handoff.expired');
const handoffReplayedMarker = Symbol.for('paymigrate.error.session-handoff.replayed');
const conflictMarker = Symbol.for('paymigrate.error.session-migration.concurrent-change');
const phaseMarker = Symbol.for('paymigrate.error.session-migration.wrong-phase');
const stateInvalidMarker = Symbol.for('paymigrate.error.session-migration.state-invalid');
const switchRefusedMarker = Symbol.for('paymigrate.error.session-migration.switch-refused');
const dualWriteMarker = Symbol.for('paymigrate.error.session-migration.dual-write-failed');

/**
 * Why a handoff token was refused:
 * - `malformed`: not a compact JWS, or its header or claims are not what `issue` writes;
 * - `signature`: the signature does not verify (tampered, or signed with another key);
 * - `audience`: issued for another domain;
 * - `issuer`: issued by another issuer;
 * - `not-yet-valid`: issued in the future (clock skew beyond the tolerance).
 */
export type HandoffRejectionReason = 'malformed' | 'signature' | 'audience' | 'issuer' | 'not-yet-valid';

/** A session handoff token was tampered with, forged, or issued for someone else. Nothing was redeemed. */
export class HandoffInvalidError extends PaymigrateError {
  private readonly [handoffInvalidMarker] = true;

  /** Why it was refused. */
  readonly reason: HandoffRejectionReason;

  constructor(options: { reason: HandoffRejectionReason; detail: string; cause?: unknown }) {
    super('SESSION_HANDOFF_INVALID', `Session handoff token refused (${options.reason}): ${options.detail}. Nothing was redeemed; start a new handoff.`, {
      cause: options.cause,
    });
    this.name = 'HandoffInvalidError';
    this.reason = options.reason;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is HandoffInvalidError {
    return hasMarker(error, handoffInvalidMarker);
  }
}

/** A session handoff token expired before it was redeemed. Nothing was redeemed. */
export class HandoffExpiredError extends PaymigrateError {
  private readonly [handoffExpiredMarker] = true;

  /** When it expired, epoch milliseconds; `undefined` when the token could not say. */
  readonly expiredAt: number | undefined;

  constructor(options: { expiredAt: number | undefined; cause?: unknown }) {
    const when = options.expiredAt === undefined ? '' : ` at ${new Date(options.expiredAt).toISOString()}`;
    super('SESSION_HANDOFF_EXPIRED', `Session handoff token expired${when}. Nothing was redeemed; start a new handoff.`, { cause: options.cause });
    this.name = 'HandoffExpiredError';
    this.expiredAt = options.expiredAt;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is HandoffExpiredError {
    return hasMarker(error, handoffExpiredMarker);
  }
}

/**
 * A session handoff token was redeemed before: tokens are single-use, so a replay (a leaked link,
 * a double submit, an attacker) is refused.
 */
export class HandoffReplayedError extends PaymigrateError {
  private readonly [handoffReplayedMarker] = true;

  /** The token id (`jti`). */
  readonly tokenId: string;

  constructor(options: { tokenId: string; cause?: unknown }) {
    super('SESSION_HANDOFF_REPLAYED', `Session handoff token '${options.tokenId}' was already redeemed; a token is single-use. Start a new handoff.`, {
      cause: options.cause,
    });
    this.name = 'HandoffReplayedError';
    this.tokenId = options.tokenId;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is HandoffReplayedError {
    return hasMarker(error, handoffReplayedMarker);
  }
}

/**
 * Another controller changed the session migration record while this one was running (a second
 * `migrate()` on another node, an operator's switch or rollback). This one stopped; nothing it
 * copied is lost (every copy is idempotent). Re-read the status and decide again.
 */
export class SessionMigrationConflictError extends PaymigrateError {
  private readonly [conflictMarker] = true;

  /** The session migration. */
  readonly migrationId: string;

  /** What this controller was doing (`checkpoint`, `switch reads`, ...). */
  readonly attempted: string;

  constructor(options: { migrationId: string; attempted: string; cause?: unknown }) {
    super(
      'SESSION_MIGRATION_CONCURRENT_CHANGE',
      `Session migration '${options.migrationId}' changed concurrently during ${options.attempted}; this controller stopped. Check status() and decide again.`,
      { cause: options.cause },
    );
    this.name = 'SessionMigrationConflictError';
    this.migrationId = options.migrationId;
    this.attempted = options.attempted;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SessionMigrationConflictError {
    return hasMarker(error, conflictMarker);
  }
}

/** An operation of the session migration was called in a phase that does not allow it. Nothing was written. */
export class SessionMigrationPhaseError extends PaymigrateError {
  private readonly [phaseMarker] = true;

  /** The session migration. */
  readonly migrationId: string;

  /** The operation (`migrate`, `switchReads`, ...). */
  readonly operation: string;

  /** The phase it found (`not-started` when there is no record). */
  readonly phase: string;

  /** The phases that allow it. */
  readonly allowedPhases: readonly string[];

  constructor(options: { migrationId: string; operation: string; phase: string; allowedPhases: readonly string[] }) {
    super(
      'SESSION_MIGRATION_WRONG_PHASE',
      `Session migration '${options.migrationId}': ${options.operation}() needs phase ${options.allowedPhases.map((phase) => `'${phase}'`).join(' or ')}, but it is '${options.phase}'. Nothing was written.`,
    );
    this.name = 'SessionMigrationPhaseError';
    this.migrationId = options.migrationId;
    this.operation = options.operation;
    this.phase = options.phase;
    this.allowedPhases = options.allowedPhases;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SessionMigrationPhaseError {
    return hasMarker(error, phaseMarker);
  }
}

/** The journaled session migration record is not readable (not JSON, or out of its schema). */
export class SessionMigrationStateInvalidError extends PaymigrateError {
  private readonly [stateInvalidMarker] = true;

  /** The session migration. */
  readonly migrationId: string;

  constructor(options: { migrationId: string; problem: string; cause?: unknown }) {
    super(
      'SESSION_MIGRATION_STATE_INVALID',
      `The journaled record of session migration '${options.migrationId}' is unusable: ${options.problem}. Restore it from the journal's back-up; do not edit it by hand.`,
      { cause: options.cause },
    );
    this.name = 'SessionMigrationStateInvalidError';
    this.migrationId = options.migrationId;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SessionMigrationStateInvalidError {
    return hasMarker(error, stateInvalidMarker);
  }
}

/**
 * Reads were not switched to the target: the last copy run did not finish, or left sessions that
 * failed to copy. Run `migrate()` again (it retries them) and switch once it reports none.
 */
export class SessionSwitchRefusedError extends PaymigrateError {
  private readonly [switchRefusedMarker] = true;

  /** The session migration. */
  readonly migrationId: string;

  /** Sessions that failed to copy in the last run. */
  readonly failed: number;

  constructor(options: { migrationId: string; failed: number }) {
    super(
      'SESSION_MIGRATION_SWITCH_REFUSED',
      `Session migration '${options.migrationId}': reads stay on the source because ${options.failed} session(s) failed to copy in the last run. Run migrate() again, then switch.`,
    );
    this.name = 'SessionSwitchRefusedError';
    this.migrationId = options.migrationId;
    this.failed = options.failed;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SessionSwitchRefusedError {
    return hasMarker(error, switchRefusedMarker);
  }
}

/**
 * During the migration window a session write reached the store reads are served from, but its
 * copy in the other store could be neither written nor removed, so that copy may be older.
 * Retryable: writing the session again repairs it. The write itself is not lost.
 */
export class SessionDualWriteError extends PaymigrateError {
  private readonly [dualWriteMarker] = true;

  /** The session key. */
  readonly key: string;

  /** The store whose copy may be older (`source` or `target`). */
  readonly store: 'source' | 'target';

  constructor(options: { key: string; store: 'source' | 'target'; cause?: unknown }) {
    super(
      'SESSION_DUAL_WRITE_FAILED',
      `Session '${options.key}' was written, but its copy in the ${options.store} store could not be updated or removed and may be older. Write the session again.`,
      { cause: options.cause, isRetryable: true },
    );
    this.name = 'SessionDualWriteError';
    this.key = options.key;
    this.store = options.store;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SessionDualWriteError {
    return hasMarker(error, dualWriteMarker);
  }
}

const writesPausedMarker = Symbol.for('paymigrate.error.session-migration.writes-paused');

/**
 * Session writes are paused for a moment after a rollback, until every node has switched back to
 * the source: two nodes comparing-and-setting against different stores could both win and lose an
 * update. Retryable after `retryAfterMs`; reads keep working.
 */
export class SessionWritesPausedError extends PaymigrateError {
  private readonly [writesPausedMarker] = true;

  /** The session key. */
  readonly key: string;

  /** How long until writes resume, milliseconds. */
  readonly retryAfterMs: number;

  constructor(options: { key: string; retryAfterMs: number }) {
    super(
      'SESSION_WRITES_PAUSED',
      `Session '${options.key}' cannot be written for another ${options.retryAfterMs} ms: the session migration was rolled back and every node is switching back to the source. Retry after that.`,
      { isRetryable: true },
    );
    this.name = 'SessionWritesPausedError';
    this.key = options.key;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is SessionWritesPausedError {
    return hasMarker(error, writesPausedMarker);
  }
}
