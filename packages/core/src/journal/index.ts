export {
  type AuthorizeRequest,
  type CancelRequest,
  type CaptureRequest,
  type ChargeStoredRequest,
  intentIdFor,
  type IntentCall,
  type IntentOperation,
  intentOperations,
  type IntentOutcome,
  type IntentRecord,
  type IntentRecordBase,
  IntentRepository,
  type IntentResolution,
  intentsCollection,
  type IntentStatus,
  intentStatuses,
  isNonTerminalIntentStatus,
  nonTerminalIntentStatuses,
  type RefundRequest,
  type TechnicalCancelRequest,
} from './intent-repository.js';
export { JournalRecordInvalidError } from './journal-record-invalid-error.js';
export {
  JournalRepository,
  type JournalRepositoryDefinition,
  type RepositoryClaimOptions,
  type RepositoryListOptions,
  type StoredRecord,
} from './journal-repository.js';
export { cardSummarySchema, moneySchema, paymentStateSchema, timestampSchema } from './journal-schemas.js';
export {
  emptyOperationCounters,
  type OperationCounters,
  type PaymentRecord,
  PaymentRepository,
  paymentsCollection,
  type PendingOperation,
} from './payment-repository.js';
export {
  processedEventKey,
  type ProcessedEventOutcome,
  type ProcessedEventRecord,
  ProcessedEventRepository,
  processedEventsCollection,
} from './processed-event-repository.js';
export {
  providerReferenceKey,
  type ProviderReferenceRecord,
  ProviderReferenceRepository,
  providerReferencesCollection,
} from './provider-reference-repository.js';
export {
  deltaPendingIndex,
  deltaSyncedIndex,
  savedPaymentMethodKey,
  type SavedPaymentMethodRecord,
  SavedPaymentMethodRepository,
  savedPaymentMethodsCollection,
} from './saved-payment-method-repository.js';
