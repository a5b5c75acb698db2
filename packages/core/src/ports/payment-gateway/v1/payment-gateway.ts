import type { StoredPaymentMethod } from '../../shared/v1/card.js';
import type { CallOptions, WebhookRequest } from '../../shared/v1/webhook-request.js';
import type { PaymentGatewayCapabilities } from './payment-gateway-capabilities.js';
import type {
  AuthorizeInput,
  CancelByMerchantReferenceInput,
  CancelInput,
  CaptureInput,
  PaymentOperationResult,
  PaymentSnapshot,
  PaymentWebhookEvent,
  RefundInput,
  StoredPaymentMethodChargeInput,
} from './payment-gateway-types.js';

/**
 * A payment provider, version 1 of the port.
 *
 * Contract for implementers (checked by `paymentGatewayContract` in `@paymigrate/testkit`):
 * - Every write sends `idempotencyKey` as the provider's idempotency header and lets neither the
 *   SDK nor the HTTP client retry on its own or invent a key: core owns retries, because only the
 *   journal knows whether a retry is safe.
 * - Errors are thrown as exactly one `ProviderError` subclass from core: `PaymentDeclinedError`,
 *   `RateLimitedError`, `ProviderRetryableError`, `UnknownOutcomeError` (sent, no answer),
 *   `InvalidRequestError`, `ProviderAuthenticationError`, `ProviderUnavailableError` (nothing
 *   sent), `IdempotencyConflictError`, `ResourceNotFoundError`.
 * - Provider statuses map to the canonical `PaymentState` exhaustively; an unrecognized status is
 *   `unknown`, never a success.
 * - No card number or security code ever passes through this port.
 */
export interface PaymentGatewayV1 {
  /** Port version this adapter implements. Core refuses adapters of an unknown version. */
  readonly specificationVersion: 'v1';

  /** Provider name, stable and lower-case (`stripe`, `paypal`, `adyen`). Payments are pinned to it. */
  readonly provider: string;

  /** What this provider (as configured for this merchant) can do. */
  readonly capabilities: PaymentGatewayCapabilities;

  /**
   * Authorizes a payment (manual capture by default). Returns the payment in `authorized`,
   * `requires_action` or (automatic capture) `captured`. A decline throws `PaymentDeclinedError`.
   */
  authorize(input: AuthorizeInput, options?: CallOptions): Promise<PaymentSnapshot>;

  /**
   * Charges a stored payment method without the customer present (merchant-initiated), passing the
   * network transaction id when given.
   */
  chargeStoredPaymentMethod(input: StoredPaymentMethodChargeInput, options?: CallOptions): Promise<PaymentSnapshot>;

  /** Captures all or part of an authorization. More than remains authorized is an `InvalidRequestError`. */
  capture(input: CaptureInput, options?: CallOptions): Promise<PaymentOperationResult>;

  /** Refunds all or part of what was captured. More than remains refundable is an `InvalidRequestError`. */
  refund(input: RefundInput, options?: CallOptions): Promise<PaymentOperationResult>;

  /** Voids an authorization (releases funds not captured). */
  cancel(input: CancelInput, options?: CallOptions): Promise<PaymentOperationResult>;

  /**
   * Cancels a payment known only by our merchant reference, when its creation answer was lost
   * (Adyen "technical cancel"). Present only when `capabilities.technicalCancel` is true.
   */
  cancelByMerchantReference?(input: CancelByMerchantReferenceInput, options?: CallOptions): Promise<PaymentOperationResult>;

  /** Reads a payment by the provider's reference. Unknown reference: `ResourceNotFoundError`. */
  retrieve(input: { readonly providerReference: string }, options?: CallOptions): Promise<PaymentSnapshot>;

  /**
   * Finds a payment by our merchant reference: the way out of an unknown outcome when the provider
   * reference never reached us. Resolves `undefined` when the provider has no such payment, which
   * (after the provider's own consistency delay) proves the authorization never happened.
   */
  findByMerchantReference(input: { readonly merchantReference: string }, options?: CallOptions): Promise<PaymentSnapshot | undefined>;

  /** Lists a customer's stored payment methods: brand, last four, expiry, fingerprint, network transaction id. */
  listStoredPaymentMethods(input: { readonly customerReference: string }, options?: CallOptions): Promise<readonly StoredPaymentMethod[]>;

  /**
   * Verifies a webhook with the provider's real scheme (constant-time comparison, timestamp
   * tolerance where the scheme has one) and normalizes it. Forged, stale or malformed webhooks
   * throw `WebhookVerificationError`.
   */
  verifyWebhook(request: WebhookRequest, options?: CallOptions): Promise<PaymentWebhookEvent>;
}

/** The current version of the payment gateway port. */
export type PaymentGateway = PaymentGatewayV1;
