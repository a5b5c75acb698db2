export { InMemoryJournal, type InMemoryJournalOptions } from './in-memory-journal.js';
export { InMemoryKeyProvider } from './in-memory-key-provider.js';
export { InMemorySessionStore, type InMemorySessionStoreOptions } from './in-memory-session-store.js';
export { ManualClock } from './manual-clock.js';
export { singleKeySessionStore } from './single-key-session-store.js';
export {
  InMemoryPaymentGateway,
  inMemoryDefaultCapabilities,
  inMemoryDefaultWebhookSecret,
  inMemoryTestTokens,
  inMemoryWebhookSignatureHeader,
  inMemoryWebhookToleranceMilliseconds,
  signInMemoryWebhook,
  type InMemoryGatewayCall,
  type InMemoryGatewayInputs,
  type InMemoryGatewayOperation,
  type InMemoryPaymentGatewayOptions,
  type InMemoryTestToken,
  type InMemoryTestTokenName,
  type InMemoryWebhookBody,
} from './in-memory-payment-gateway.js';
export {
  InMemoryTokenExchange,
  type InMemoryImportedPaymentMethod,
  type InMemoryStoredPaymentMethodSink,
  type InMemoryTokenExchangeOperation,
  type InMemoryTokenExchangeOptions,
} from './in-memory-token-exchange.js';
export {
  InMemoryCommercePlatform,
  inMemoryDefaultPlatformWebhookSecret,
  inMemoryMaximumPageSize,
  inMemoryPlatformWebhookHeaders,
  signInMemoryPlatformWebhook,
  type InMemoryCartSeed,
  type InMemoryCommercePlatformOptions,
  type InMemoryOrderSeed,
  type InMemoryPlatformOperation,
} from './in-memory-commerce-platform.js';
