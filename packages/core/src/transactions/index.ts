export {
  applyConfirmedOperation,
  cancellableStates,
  capturableAmount,
  capturableStates,
  type ConfirmedOperation,
  type ConfirmedOperationResult,
  paymentStateOfRecord,
  pendingOperationsAmount,
  refundableAmount,
  refundableStates,
  withPaymentState,
} from './payment-amounts.js';
export { type CustomerStepExpiry, type CustomerStepVerdict, decideCustomerStep } from './customer-step-reconciliation.js';
export { classifyProviderError, type ProviderCallFailure, type ProviderCallOutcome } from './provider-call.js';
export { decideProviderEvent, type PaymentMessageDraft, type ProviderEventDecision } from './provider-event-decision.js';
export { fixedProviderSelector, type ProviderSelection, type ProviderSelectionRequest, type ProviderSelector } from './provider-selector.js';
export {
  IntentLeaseLostError,
  InvalidTransactionInputError,
  OperationNotAllowedError,
  PaymentAmountError,
  type PaymentAmountProblem,
  PaymentNotFoundError,
  ProviderNotConfiguredError,
} from './transaction-errors.js';
export { type TransactionStateManagerOptions, transactionStateManagerOptionsSchema } from './transaction-options.js';
export { createTransactionStateManager } from './transaction-state-manager.js';
export type {
  AuthorizePaymentInput,
  CancelPaymentInput,
  CapturePaymentInput,
  ChargeStoredPaymentMethodInput,
  CustomerStepReport,
  FollowUpSequence,
  ProviderEventResult,
  RecoverOptions,
  RecoveryLoopOptions,
  RecoveryReport,
  RefundPaymentInput,
  TransactionResult,
  TransactionStateManager,
  UnresolvedPayment,
} from './transaction-types.js';
