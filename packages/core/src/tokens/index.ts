export { AdaptiveRateLimiter, type AdaptiveRateLimiterOptions } from './adaptive-rate-limiter.js';
export * from './formats/index.js';
export {
  mappingFileFromPath,
  type MappingFileBytes,
  type MappingFileKeys,
  openPgpMappingFile,
  openPlainMappingFile,
  type VerifiedMappingFile,
} from './mapping-file-source.js';
export { classifyMappingRow, type ClassifiedRow, type MappingRow, type RejectedRow, type RowClassificationContext } from './mapping-row-classifier.js';
export {
  MappingFileChangedError,
  MappingFileDecryptionError,
  MappingFileError,
  MappingFileFormatError,
  MappingFileSignatureError,
  type MappingFileSignatureProblem,
  TokenImportBusyError,
  TokenImportFileMismatchError,
  TokenVaultError,
  type TokenVaultProblem,
} from './token-errors.js';
export { type ExchangeRetryPolicy, exchangeIdempotencyKey } from './token-exchange-runner.js';
export { mappingFileFormats, type MappingFileImportOptions, type TokenImportReport } from './token-file-import.js';
export { type TotalQueueReport } from './token-import-check.js';
export {
  type FailureCounts,
  type TokenImportCheckpoint,
  type TokenImportRejection,
  tokenImportRejectionsCollection,
  tokenImportsCollection,
} from './token-import-checkpoint.js';
export { createTokenLocator, type TokenLocatorOptions } from './token-locator.js';
export {
  type TokenMapping,
  type TokenMappingOrigin,
  type TokenMappingStatus,
  type TokenReference,
  type TokenRejectionReason,
  type TokenVerificationRecord,
} from './token-mapping.js';
export {
  createTokenMigrationEngine,
  type DeltaSyncReport,
  type TokenExchangeReport,
  type TokenMigrationEngine,
} from './token-migration-engine.js';
export { type TokenMigrationEngineOptions, tokenMigrationEngineOptionsSchema } from './token-migration-options.js';
export {
  recollectCardTopic,
  type RecollectCardMessage,
  type TokenRecollectionRecord,
  tokenRecollectionCollection,
} from './token-recollection.js';
export {
  type StoredTokenMapping,
  TokenVault,
  tokenVaultCollection,
  type TokenVaultEnvelopeInfo,
  tokenVaultKeysCollection,
  type TokenVaultOptions,
  type VaultAccess,
  type VaultKeyRotation,
} from './token-vault.js';
export { vaultAuditCollection, type VaultAuditAction, type VaultAuditEntry, type VaultAuditResult } from './vault-audit.js';
