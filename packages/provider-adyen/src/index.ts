// Adyen PaymentGateway adapter for paymigrate (Checkout API v72 through @adyen/api-library).
export { createAdyenGateway, type AdyenGateway } from './adyen-gateway.js';
export {
  adyenDefaultTimeoutMilliseconds,
  adyenEnvironmentVariables,
  resolveAdyenOptions,
  type AdyenGatewayOptions,
  type ResolvedAdyenOptions,
} from './adyen-options.js';
export {
  adyenCurrencyExponent,
  adyenCurrencyExponentExceptions,
  adyenMoneyCodec,
  fromAdyenAmount,
  toAdyenAmount,
  type AdyenAmount,
} from './adyen-money.js';
export {
  adyenModificationStatuses,
  adyenResultCodes,
  isAdyenResultCode,
  mapAdyenModificationStatus,
  mapAdyenResultCode,
  type AdyenModificationStatus,
  type AdyenResultCode,
} from './map-adyen-status.js';
export { adyenEventCodes, isAdyenEventCode, mapAdyenEventCode, type AdyenEventCode } from './map-adyen-event-code.js';
export { adyenRefusalReasonCodes, mapAdyenRefusalReason, type AdyenRefusal } from './map-adyen-refusal-reason.js';
export { mapAdyenCardBrand } from './map-adyen-card-brand.js';
export { adyenCapabilities, adyenDefaultBrands, adyenDefaultCapabilities, type AdyenCapabilityOverrides } from './adyen-capabilities.js';
export {
  createInMemoryAdyenPaymentLedger,
  isAdyenPaymentLedger,
  type AdyenAuthorizationStatus,
  type AdyenLedgerEntry,
  type AdyenLedgerOperation,
  type AdyenPaymentLedger,
} from './adyen-payment-ledger.js';
export { adyenProviderName, defaultRetryAfterMilliseconds, normalizeAdyenError, parseRetryAfter, type AdyenErrorContext } from './adyen-error.js';
export type { AdyenNotificationFacts, AdyenPaymentAnswer } from './adyen-ledger-updates.js';
export { verifyAdyenWebhook, type AdyenWebhookSettings, type VerifiedAdyenWebhook } from './adyen-webhooks.js';
