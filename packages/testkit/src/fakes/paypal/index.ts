// Public surface of the PayPal fake: the factory, its types, the test payment tokens and the
// PayPal-shaped helpers (error bodies for fault injection, webhook signing).
export { formatPayPalAmount, parsePayPalAmount, payPalFakeCurrencyDecimals, type PayPalFakeAmount, type PayPalFakeAmountProblem } from './paypal-fake-amounts.js';
export { payPalErrorBody, payPalErrorResponse, payPalFaultBodies, type PayPalErrorDetail } from './paypal-fake-errors.js';
export {
  createPayPalFake,
  payPalFakeRoutes,
  payPalSandboxBaseUrl,
  type CreatePayPalFakeOptions,
  type PayPalFake,
  type PayPalFakeCaptureOutcome,
  type PayPalFakePayment,
  type PayPalFakeRouteId,
  type PayPalFakeSignOptions,
  type PayPalFakeStoredCard,
  type PayPalFakeWebhook,
  type PayPalFakeWebhookEventInput,
} from './paypal-fake.js';
export {
  payPalCrc32,
  payPalFakeCertificateUrl,
  payPalTransmissionSignature,
  payPalWebhookAuthAlgorithm,
  payPalWebhookHeaderNames,
  signPayPalWebhook,
  type PayPalWebhookEventBody,
  type SignPayPalWebhookOptions,
} from './paypal-fake-webhooks.js';
export {
  payPalTestPaymentTokens,
  type PayPalCardBrandName,
  type PayPalTestPaymentToken,
  type PayPalTestPaymentTokenName,
  type PayPalTestTokenOutcome,
} from './paypal-test-tokens.js';
