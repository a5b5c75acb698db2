export { ConfigurationError } from './configuration-error.js';
export { IllegalTransitionError } from './illegal-transition-error.js';
export { CurrencyMismatchError, InvalidMoneyError, UnknownCurrencyError } from './money-errors.js';
export { PaymigrateError, type PaymigrateErrorOptions } from './paymigrate-error.js';
export {
  IdempotencyConflictError,
  InvalidRequestError,
  PaymentDeclinedError,
  ProviderAuthenticationError,
  ProviderError,
  type ProviderErrorDetails,
  ProviderRetryableError,
  ProviderUnavailableError,
  RateLimitedError,
  ResourceNotFoundError,
  UnknownOutcomeError,
} from './provider-errors.js';
export { UnsupportedOperationError } from './unsupported-operation-error.js';
export { VersionConflictError } from './version-conflict-error.js';
export { WebhookVerificationError, type WebhookRejectionReason } from './webhook-verification-error.js';
