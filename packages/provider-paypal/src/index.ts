// Public surface of @paymigrate/provider-paypal: the gateway factory and its options, the money
// codec, the status and webhook mappers, the capabilities and the error normalizer.
export { declineReasonFromIssue, declineReasonFromProcessorCode, payPalIssueDeclineReasons, payPalProcessorDeclineReasons } from './map-paypal-decline-reason.js';
export { mapPayPalCardBrand, payPalCardBrandTable, payPalCardSummary, type PayPalCardLike } from './map-paypal-card.js';
export {
  describePayPalStatus,
  isKnownPayPalStatus,
  mapPayPalStatus,
  payPalAuthorizationStatuses,
  payPalAuthorizationStatusTable,
  payPalCaptureStatuses,
  payPalCaptureStatusTable,
  payPalOrderStatuses,
  payPalOrderStatusTable,
  payPalRefundStatuses,
  payPalRefundStatusTable,
  type PayPalAuthorizationStatus,
  type PayPalCaptureStatus,
  type PayPalOrderStatus,
  type PayPalRefundStatus,
  type PayPalResourceKind,
  type PayPalStatusMeaning,
} from './map-paypal-status.js';
export { payPalCapabilities } from './paypal-capabilities.js';
export { normalizePayPalError, parseRetryAfter, payPalProviderName, type PayPalErrorContext } from './paypal-error.js';
export { createPayPalGateway } from './paypal-gateway.js';
export { fromPayPalAmount, isPayPalCurrency, payPalCurrencyRules, toPayPalAmount, type PayPalAmount, type PayPalCurrencyRule } from './paypal-money.js';
export {
  payPalEnvironmentVariables,
  payPalInCountryCurrencies,
  type PayPalGatewayOptions,
  type PayPalInCountryCurrency,
} from './paypal-options.js';
export { payPalOrderSnapshot, type PayPalOrderLike } from './paypal-order-snapshot.js';
export { mapPayPalWebhookEventType, payPalWebhookEventTable, payPalWebhookHeaders, type PayPalWebhookEventMeaning } from './paypal-webhooks.js';
