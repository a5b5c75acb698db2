export { createMigratingSessionStore, type MigratingSessionStoreOptions } from './migrating-session-store.js';
export {
  bindCheckoutPayment,
  type CheckoutBinding,
  createJournalPaymentLocator,
  type PaymentLocation,
  type PaymentLocator,
} from './payment-locator.js';
export {
  HandoffExpiredError,
  HandoffInvalidError,
  type HandoffRejectionReason,
  HandoffReplayedError,
  SessionDualWriteError,
  SessionMigrationConflictError,
  SessionMigrationPhaseError,
  SessionMigrationStateInvalidError,
  SessionSwitchRefusedError,
  SessionWritesPausedError,
} from './session-errors.js';
export {
  createSessionHandoff,
  type IssueHandoffInput,
  type RedeemedHandoff,
  type SessionHandoff,
  sessionHandoffLedgerCollection,
  type SessionHandoffOptions,
  sessionHandoffTokenType,
} from './session-handoff.js';
export {
  createSessionMigrationController,
  type FailedSessionSummary,
  type QuarantinedSessionSummary,
  type SessionMigrationController,
  type SessionMigrationControllerOptions,
  type SessionMigrationLink,
  type SessionMigrationPhaseInfo,
  type SessionMigrationReport,
  type SessionPhaseChangeInput,
} from './session-migration-controller.js';
export {
  emptySessionMigrationCounts,
  parseSessionMigrationRecord,
  type SessionMigrationCounts,
  sessionMigrationCollection,
  type SessionMigrationHistoryEntry,
  type SessionMigrationPhase,
  sessionMigrationPhaseMachine,
  sessionMigrationPhases,
  type SessionMigrationPhaseOrNotStarted,
  type SessionMigrationProgress,
  type SessionMigrationState,
  serializeSessionMigrationState,
  type VersionedSessionMigrationState,
} from './session-migration-state.js';
export {
  recoverCartId,
  sessionFromPlatformCart,
  type SessionQuarantineKind,
  sessionQuarantineCollection,
  type SessionQuarantineRecord,
  type SessionRebuildOutcome,
} from './session-quarantine.js';
export {
  type CheckoutStep,
  checkoutSteps,
  currentSessionSchemaVersion,
  parseSession,
  type ParseSessionOptions,
  type Session,
  type SessionCart,
  type SessionCartLine,
  type SessionCheckout,
  type SessionParseFailure,
  type SessionParseFailureKind,
  sessionParseFailureKinds,
  type SessionParseResult,
  type SessionV2,
} from './session-schema.js';
export {
  canonicalJson,
  liveEntry,
  isTombstoneValue,
  remainingTtlSeconds,
  serializeSession,
  sessionChecksum,
  sha256Hex,
  tombstoneValue,
} from './session-values.js';
