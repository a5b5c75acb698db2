export {
  CutoverPreconditionError,
  type CutoverPreconditionCheck,
  CutoverRequestError,
  MigrationConflictError,
  MigrationNotFoundError,
  MigrationStateInvalidError,
} from './cutover-errors.js';
export {
  type BuiltInCutoverGuardOptions,
  builtInCutoverGuards,
  type CutoverChangeRequest,
  type CutoverGuard,
  type CutoverGuardContext,
  type CutoverGuards,
  evaluateCutoverGuards,
  type InFlightPayments,
  type TokenMigrationReadiness,
  type TokenMigrationReadinessCheck,
} from './cutover-guards.js';
export { rampPercentDecimals } from './cutover-request.js';
export {
  type AdvanceMigrationInput,
  createMigrationOrchestrator,
  type MigrationDrainProgress,
  type MigrationNextPhasePreview,
  type MigrationOrchestrator,
  type MigrationOrchestratorOptions,
  type MigrationStatus,
  type RollbackMigrationInput,
  type SetRampPercentInput,
  type StartMigrationInput,
} from './migration-orchestrator.js';
export {
  type GuardedMigrationPhase,
  guardedMigrationPhases,
  type MigrationPhase,
  migrationPhaseMachine,
  migrationPhases,
  nextMigrationPhase,
} from './migration-phase.js';
export {
  createMigrationProviderSelector,
  type MigrationProviderSelection,
  type MigrationProviderSelector,
  type MigrationProviderSelectorOptions,
  migrationSelectionReasons,
  type RampSelection,
  type RampSelectionContext,
  type PhaseRouter,
  type RampSelector,
} from './migration-provider-selector.js';
export {
  type CutoverCheckResult,
  defaultMigrationId,
  migrationCollection,
  type MigrationControlMessage,
  migrationControlMessage,
  migrationControlTopic,
  type MigrationHistoryEntry,
  type MigrationState,
  parseMigrationRecord,
  serializeMigrationState,
  type VersionedMigrationState,
} from './migration-state.js';
