import type { Money } from '../../../money/money.js';
import type { PaymentState } from '../../../payment/payment-state.js';
import type { StoredPaymentMethod } from '../../shared/v1/card.js';

/** What every write to a provider carries. */
export interface IdempotentInput {
  /**
   * Our idempotency key, sent as the provider's key header (Stripe `Idempotency-Key`, Adyen
   * `Idempotency-Key`, PayPal `PayPal-Request-Id`). The journal records it with the intent before
   * the call, and a retry after an unknown outcome sends the same key with the same parameters.
   * At most 64 characters (Adyen's limit, the strictest).
   */
  readonly idempotencyKey: string;
}

/** Whether the funds are captured at authorization or by a later `capture`. */
export type CaptureMethod = 'manual' | 'automatic';

/** Input of `PaymentGateway.authorize`. */
export interface AuthorizeInput extends IdempotentInput {
  /** Our reference for this payment (order id + attempt). Unique per payment; used to find it again. */
  readonly merchantReference: string;
  /** Amount to authorize. */
  readonly amount: Money;
  /**
   * A provider-side reference to the payment method: a single-use token from the provider's
   * client-side library, or a stored token. Never a card number.
   */
  readonly paymentMethodToken: string;
  /** The provider's customer reference, when the customer has one there. */
  readonly customerReference?: string | undefined;
  /** @default 'manual' */
  readonly captureMethod?: CaptureMethod | undefined;
  /** Store the payment method for later merchant-initiated charges. @default false */
  readonly savePaymentMethod?: boolean | undefined;
  /** Where the customer returns after a redirect or 3-D Secure challenge. */
  readonly returnUrl?: string | undefined;
  /** Shown on statements or dashboards where the provider supports it. */
  readonly description?: string | undefined;
  /** Free-form metadata passed to the provider. Never put card data here. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/** Input of `PaymentGateway.chargeStoredPaymentMethod`: a merchant-initiated payment. */
export interface StoredPaymentMethodChargeInput extends IdempotentInput {
  /** Our reference for this payment. */
  readonly merchantReference: string;
  /** Amount to charge. */
  readonly amount: Money;
  /** The provider's customer reference that owns the token. */
  readonly customerReference: string;
  /** The stored token at this provider. */
  readonly paymentMethodToken: string;
  /**
   * Network transaction id of the first customer-initiated payment (kept across a migration), so
   * the issuer sees a continuing mandate and not a new one.
   */
  readonly networkTransactionId?: string | undefined;
  /** Why the merchant charges without the customer present. */
  readonly reason: 'subscription' | 'unscheduled';
  /** @default 'automatic' */
  readonly captureMethod?: CaptureMethod | undefined;
}

/** Input of `PaymentGateway.capture`. */
export interface CaptureInput extends IdempotentInput {
  /** The provider's payment reference returned by `authorize`. */
  readonly providerReference: string;
  /** Amount to capture; at most what remains authorized. */
  readonly amount: Money;
  /**
   * Whether this is the last capture: the provider releases any remainder. A non-final capture
   * needs `capabilities.multipleCaptures`.
   * @default true
   */
  readonly finalCapture?: boolean | undefined;
  /** Our reference for this capture, when the provider stores one. */
  readonly merchantReference?: string | undefined;
}

/** Input of `PaymentGateway.refund`. */
export interface RefundInput extends IdempotentInput {
  /** The provider's payment reference. */
  readonly providerReference: string;
  /** Amount to refund; at most what is captured and not yet refunded. */
  readonly amount: Money;
  /** Our reference for this refund. */
  readonly merchantReference?: string | undefined;
  /** Why, when the provider records a reason. */
  readonly reason?: 'requested_by_customer' | 'duplicate' | 'fraudulent' | 'order_cancelled' | undefined;
}

/** Input of `PaymentGateway.cancel`: release an authorization that was not (fully) captured. */
export interface CancelInput extends IdempotentInput {
  /** The provider's payment reference. */
  readonly providerReference: string;
  /** Our reference for this cancellation. */
  readonly merchantReference?: string | undefined;
}

/** Input of `PaymentGateway.cancelByMerchantReference` (Adyen technical cancel). */
export interface CancelByMerchantReferenceInput extends IdempotentInput {
  /** The merchant reference the lost authorization was sent with. */
  readonly merchantReference: string;
}

/** A step the customer must take before the authorization completes (3-D Secure, redirect). */
export interface PaymentNextAction {
  /** What kind of step. */
  readonly type: 'redirect' | 'three_d_secure' | 'other';
  /** Where to send the customer, when there is a URL. */
  readonly url?: string | undefined;
}

/** The provider's view of one payment, normalized. */
export interface PaymentSnapshot {
  /** Provider that holds the payment. */
  readonly provider: string;
  /** The provider's payment reference (`pi_...`, PSP reference, PayPal order or authorization id). */
  readonly providerReference: string;
  /** Our merchant reference, when the provider echoes it. */
  readonly merchantReference?: string | undefined;
  /** Canonical state. An unrecognized provider status maps to `unknown`, never to a success. */
  readonly state: PaymentState;
  /** The provider's own status string, kept for audit and debugging. */
  readonly providerStatus: string;
  /** Amount requested at authorization. */
  readonly amount: Money;
  /** Amount currently authorized (zero once voided or failed). */
  readonly authorizedAmount: Money;
  /** Amount captured so far. */
  readonly capturedAmount: Money;
  /** Amount refunded so far. */
  readonly refundedAmount: Money;
  /** Network transaction id, when the provider returned one. */
  readonly networkTransactionId?: string | undefined;
  /** The stored payment method, when the payment saved one. */
  readonly storedPaymentMethod?: StoredPaymentMethod | undefined;
  /** Canonical decline reason when `state` is `failed`. */
  readonly declineReason?: string | undefined;
  /** Present when `state` is `requires_action`. */
  readonly nextAction?: PaymentNextAction | undefined;
}

/** The outcome of a capture, refund or cancellation. */
export interface PaymentOperationResult {
  /** Which operation. */
  readonly operation: 'capture' | 'refund' | 'cancel';
  /** The provider's reference for this operation (capture id, refund id, or the payment's own). */
  readonly operationReference: string;
  /**
   * `succeeded`: done. `pending`: accepted, confirmed later by a webhook (Adyen answers
   * `received`). `failed`: refused after acceptance.
   */
  readonly status: 'succeeded' | 'pending' | 'failed';
  /** Amount of this operation. */
  readonly amount: Money;
  /** The provider's own status string. */
  readonly providerStatus: string;
  /** The payment after the operation, when the provider returned it. */
  readonly payment?: PaymentSnapshot | undefined;
}

/** Canonical webhook event types. An event paymigrate does not act on is `other`, never guessed. */
export const paymentWebhookEventTypes = [
  'payment.authorized',
  'payment.authorization_failed',
  'payment.requires_action',
  'payment.captured',
  'payment.capture_failed',
  'payment.refunded',
  'payment.refund_failed',
  'payment.refund_reversed',
  'payment.voided',
  'payment.expired',
  'payment.dispute_opened',
  'payment.dispute_closed',
  'payment_method.saved',
  'other',
] as const;

/** A canonical webhook event type. */
export type PaymentWebhookEventType = (typeof paymentWebhookEventTypes)[number];

/** A verified, normalized provider webhook. */
export interface PaymentWebhookEvent {
  /** The provider's event id: duplicates share it, so it is the deduplication key. */
  readonly eventId: string;
  /** Provider that sent it. */
  readonly provider: string;
  /** Canonical type. */
  readonly type: PaymentWebhookEventType;
  /** The provider's own event type (`payment_intent.succeeded`, `CAPTURE`, ...). */
  readonly providerType: string;
  /** Whether the provider reports the underlying operation as successful. */
  readonly success: boolean;
  /** The payment it is about. */
  readonly providerReference?: string | undefined;
  /** The capture/refund it is about, when it is about one. */
  readonly operationReference?: string | undefined;
  /** Our merchant reference, when the provider echoes it. */
  readonly merchantReference?: string | undefined;
  /**
   * The amount of the one operation the event is about (the capture, the refund), never a running
   * total; absent when the event names no single operation's amount (see `refundedTotal`).
   */
  readonly amount?: Money | undefined;
  /**
   * For a `payment.refunded` event of a provider that reports refunds as a running total (Stripe's
   * `charge.refunded`): everything refunded to the customer on the payment once the event happened,
   * every refund counted, whoever made it. Such an event names no single refund (`amount` and
   * `operationReference` are absent): a consumer counts only what exceeds the refunds it has
   * counted already, so a duplicate, a late event with a smaller total, or a refund the consumer
   * made and counted itself is never counted twice.
   */
  readonly refundedTotal?: Money | undefined;
  /** When the provider says it happened, epoch milliseconds. Use to order events per payment. */
  readonly occurredAt: number;
}
