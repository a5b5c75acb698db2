// Public surface of the Stripe fake.
export {
  createStripeFake,
  stripeFakeDefaultApiVersion,
  stripeFakeDefaultWebhookSecret,
  stripeFakeRoutes,
  type CreateStripeFakeOptions,
  type StripeFake,
  type StripeFakeRouteId,
  type StripeFakeScheduledFailure,
  type StripeFakeSignOptions,
} from './stripe-fake.js';
export type { StripeFakeAccountView } from './stripe-fake-account.js';
export { stripeRateLimitBody, stripeServerErrorBody, type StripeErrorBody, type StripeErrorType } from './stripe-fake-errors.js';
export { decodeStripeForm, type StripeFormObject, type StripeFormValue } from './stripe-fake-form.js';
export type { StripeJson } from './stripe-fake-records.js';
export { signStripeWebhook, stripeSignature, type SignStripeWebhookOptions } from './stripe-fake-webhook-signature.js';
export {
  stripeTestToken,
  stripeTestTokens,
  type StripeFakeCardBrand,
  type StripeTestCardOutcome,
  type StripeTestToken,
  type StripeTestTokenName,
} from './stripe-test-tokens.js';
