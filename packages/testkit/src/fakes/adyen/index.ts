// The stateful Adyen Checkout v72 fake: createAdyenFake, its test cards and tokens, and Adyen's
// webhook signing (built on node:crypto, never on the Adyen SDK).
export {
  adyenErrorBody,
  adyenFakeDefaults,
  adyenFakeRoutes,
  createAdyenFake,
  type AdyenFake,
  type AdyenFakeCaptureMode,
  type AdyenFakeCardSummary,
  type AdyenFakeModification,
  type AdyenFakeOptions,
  type AdyenFakePayment,
  type AdyenFakeRouteId,
  type AdyenFakeScriptedAnswer,
  type AdyenFakeStoredPaymentMethod,
} from './adyen-fake.js';
export {
  adyenEventDate,
  adyenNotificationSigningString,
  computeAdyenNotificationSignature,
  signAdyenNotification,
  type AdyenFakeAmount,
  type AdyenNotificationItem,
} from './adyen-fake-notifications.js';
export { adyenFakeCardFingerprint } from './adyen-fake-references.js';
export {
  adyenFakeBrandOf,
  adyenTestCards,
  adyenTestRefusals,
  adyenTestToken,
  adyenTestTokens,
  type AdyenFakeCardBrand,
  type AdyenTestCard,
  type AdyenTestCardBehaviour,
  type AdyenTestRefusal,
  type AdyenTestRefusalName,
} from './adyen-fake-test-cards.js';
