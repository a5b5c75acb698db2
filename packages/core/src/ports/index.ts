export type { Clock, ClockV1 } from './clock/v1/clock.js';
export { systemClock } from './clock/v1/system-clock.js';
export type {
  CartLine,
  CommercePlatform,
  CommercePlatformV1,
  PlatformCancelInput,
  PlatformCart,
  PlatformOrder,
  PlatformPaymentUpdate,
  PlatformTransaction,
  PlatformWebhookEvent,
} from './commerce-platform/v1/commerce-platform.js';
export type {
  ExpectedVersion,
  Journal,
  JournalClaimOptions,
  JournalDelete,
  JournalDurability,
  JournalLease,
  JournalListOptions,
  JournalPut,
  JournalRecord,
  JournalV1,
  JournalWriteBatch,
  JournalWriteResult,
  OutboxClaimOptions,
  OutboxMessage,
  OutboxMessageInput,
  PendingOutboxQuery,
} from './journal/v1/journal.js';
export type { KeyProvider, KeyProviderV1, WrappedKey } from './key-provider/v1/key-provider.js';
export type { PaymentGateway, PaymentGatewayV1 } from './payment-gateway/v1/payment-gateway.js';
export type { PaymentGatewayCapabilities } from './payment-gateway/v1/payment-gateway-capabilities.js';
export {
  type AuthorizeInput,
  type CancelByMerchantReferenceInput,
  type CancelInput,
  type CaptureInput,
  type CaptureMethod,
  type IdempotentInput,
  type PaymentNextAction,
  type PaymentOperationResult,
  type PaymentSnapshot,
  type PaymentWebhookEvent,
  type PaymentWebhookEventType,
  paymentWebhookEventTypes,
  type RefundInput,
  type StoredPaymentMethodChargeInput,
} from './payment-gateway/v1/payment-gateway-types.js';
export { assertDistinctKeys, compareAndSetSessionEntries, getSessionEntries, type SessionBatchOptions } from './session-store/v1/session-store-batch.js';
export type {
  SessionCompareAndSetRequest,
  SessionCompareAndSetResult,
  SessionEntry,
  SessionStore,
  SessionStoreCapabilities,
  SessionStoreV1,
  SessionWriteOptions,
} from './session-store/v1/session-store.js';
export { type CardBrand, cardBrands, type CardSummary, type StoredPaymentMethod } from './shared/v1/card.js';
export type { CallOptions, Page, WebhookRequest } from './shared/v1/webhook-request.js';
export {
  type TokenExchange,
  type TokenExchangeV1,
  type TokenFailureReason,
  tokenFailureReasons,
  type TokenImportInput,
  type TokenImportResult,
  type TokenVerificationInput,
  type TokenVerificationResult,
} from './token-exchange/v1/token-exchange.js';
