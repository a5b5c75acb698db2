// Public surface of @paymigrate/provider-stripe.
export { createStripeGateway } from './stripe-gateway.js';
export { parseStripeGatewayOptions, type ResolvedStripeGatewayOptions, type StripeGatewayOptions } from './stripe-options.js';
export {
  fromStripeAmount,
  isStripeCurrency,
  stripeAmountExponent,
  stripePresentmentCurrencies,
  stripeThreeDecimalCurrencies,
  stripeTwoDecimalRepresentedCurrencies,
  stripeZeroDecimalCurrencies,
  toStripeAmount,
  type StripeAmount,
} from './stripe-money.js';
export {
  mapStripePaymentIntentStatus,
  mapStripeRefundStatus,
  stripePaymentIntentStatuses,
  stripeRefundStatuses,
  type StripePaymentIntentStatus,
  type StripeRefundStatus,
} from './map-stripe-status.js';
export { mapStripeCardBrand } from './map-stripe-card.js';
export { mapStripeDeclineCode } from './map-stripe-decline-code.js';
export { mapStripeError, retryAfterMilliseconds, stripeProviderName, type StripeErrorContext } from './stripe-error.js';
export { stripeCapabilities, stripeCardBrands, type StripeCapabilityOptions } from './stripe-capabilities.js';
export {
  normalizeStripeEvent,
  stripeSignatureHeader,
  stripeWebhookEventTypes,
  verifyStripeWebhook,
  type VerifyStripeWebhookOptions,
} from './stripe-webhooks.js';
