import type { IntentOperation, IntentRecord, IntentStatus } from '../journal/intent-repository.js';
import type { PaymentRecord } from '../journal/payment-repository.js';
import type { Money } from '../money/money.js';
import type { CaptureMethod, PaymentNextAction, PaymentWebhookEvent, RefundInput } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import type { CardBrand } from '../ports/shared/v1/card.js';

/** Input of `TransactionStateManager.authorize`: a customer-initiated payment. */
export interface AuthorizePaymentInput {
  /**
   * Our payment id, chosen by the caller and unique: the idempotency anchor. Calling again with the
   * same id returns the payment as it is (never a second authorization). 1-36 characters of
   * `A-Z a-z 0-9 _ -`, so every idempotency key derived from it fits the providers' 64.
   */
  readonly paymentId: string;
  /** Our reference at the provider, unique per payment (order id + attempt). */
  readonly merchantReference: string;
  /** The platform's order id; payment changes are recorded on it through the outbox. */
  readonly orderId?: string | undefined;
  /** Amount to authorize. */
  readonly amount: Money;
  /** A provider-side token of the payment method (never a card number). */
  readonly paymentMethodToken: string;
  /** The platform's customer id (the router's sticky key). */
  readonly customerId?: string | undefined;
  /** The provider's customer reference, when the customer has one there. */
  readonly customerReference?: string | undefined;
  /** @default 'manual' */
  readonly captureMethod?: CaptureMethod | undefined;
  /** Store the card for later merchant-initiated charges (recorded for the delta sync). @default false */
  readonly savePaymentMethod?: boolean | undefined;
  /** Card brand, when known before authorization (for the router). */
  readonly cardBrand?: CardBrand | undefined;
  /** Where the customer returns after 3-D Secure or a redirect. */
  readonly returnUrl?: string | undefined;
}

/** Input of `TransactionStateManager.chargeStoredPaymentMethod`: a merchant-initiated payment. */
export interface ChargeStoredPaymentMethodInput {
  /** Our payment id (see `AuthorizePaymentInput.paymentId`). */
  readonly paymentId: string;
  /** Our reference at the provider, unique per payment. */
  readonly merchantReference: string;
  /** The platform's order id. */
  readonly orderId?: string | undefined;
  /** Amount to charge. */
  readonly amount: Money;
  /** The provider where the token lives (the token engine decides; the router is not asked). */
  readonly provider: string;
  /** The stored token at that provider. */
  readonly paymentMethodToken: string;
  /** The provider's customer reference owning the token. */
  readonly customerReference: string;
  /** Network transaction id of the first customer-initiated payment (kept across the migration). */
  readonly networkTransactionId?: string | undefined;
  /** Why the merchant charges without the customer. @default 'subscription' */
  readonly reason?: 'subscription' | 'unscheduled' | undefined;
  /** The platform's customer id. */
  readonly customerId?: string | undefined;
  /** @default 'automatic' */
  readonly captureMethod?: CaptureMethod | undefined;
}

/**
 * What makes a follow-up call idempotent: pass the `sequence` of the operation you mean (1 for
 * the first capture of the payment, ...). A call with a sequence that already exists returns that
 * operation's result instead of starting another one.
 */
export interface FollowUpSequence {
  /** The operation's sequence on the payment; omitted = the next one. */
  readonly sequence?: number | undefined;
}

/** Input of `TransactionStateManager.capture`. */
export interface CapturePaymentInput extends FollowUpSequence {
  /** The payment. */
  readonly paymentId: string;
  /** Amount; at most what remains authorized (claims in flight count). @default everything that remains */
  readonly amount?: Money | undefined;
  /** Release the uncaptured remainder (a non-final capture needs `multipleCaptures`). @default true */
  readonly final?: boolean | undefined;
}

/** Input of `TransactionStateManager.refund`. */
export interface RefundPaymentInput extends FollowUpSequence {
  /** The payment. */
  readonly paymentId: string;
  /** Amount; at most what is captured and not refunded (refunds in flight count). */
  readonly amount: Money;
  /** Why, when the provider records a reason. */
  readonly reason?: RefundInput['reason'];
}

/** Input of `TransactionStateManager.cancel`. */
export interface CancelPaymentInput extends FollowUpSequence {
  /** The payment. */
  readonly paymentId: string;
}

/** The result of an operation (or of a replay of one). */
export interface TransactionResult {
  /**
   * The intent's status: `succeeded` and `failed` are final; `pending` means another request is
   * still working on it; `unknown` is being resolved on the same provider; `waiting` runs when the
   * provider is back (recovery); `unresolved` is with the operators.
   */
  readonly status: IntentStatus;
  /** Which operation. */
  readonly operation: IntentOperation;
  /** The payment. */
  readonly paymentId: string;
  /** The payment as the journal holds it now. */
  readonly payment: PaymentRecord;
  /** The intent as the journal holds it now. */
  readonly intent: IntentRecord;
  /** True when this call did not start the operation but returned an earlier one. */
  readonly replayed: boolean;
  /**
   * True when a NEW payment failed because its provider could not be reached before anything was
   * sent: retry with a new payment id; the router (and its circuit breaker) may pick another provider.
   */
  readonly retryElsewhere: boolean;
  /** True for a capture, refund or cancellation the provider accepted that a webhook still has to confirm. */
  readonly awaitingConfirmation: boolean;
  /** Canonical decline reason of a declined payment. */
  readonly declineReason?: string | undefined;
  /** Code of the error that failed, delayed or left the operation unknown. */
  readonly errorCode?: string | undefined;
  /** The customer step a `requires_action` payment waits for. */
  readonly nextAction?: PaymentNextAction | undefined;
}

/** Options of `TransactionStateManager.recover`. */
export interface RecoverOptions {
  /** This worker's id: the owner of its claims. A worker whose claim another one took over stops (fencing). */
  readonly owner: string;
  /** Intents claimed in this pass. @default 100 */
  readonly limit?: number | undefined;
}

/** Options of `TransactionStateManager.startRecoveryLoop`. */
export interface RecoveryLoopOptions {
  /** Pause between passes, milliseconds. */
  readonly intervalMs: number;
  /** Stops the loop. */
  readonly signal: AbortSignal;
  /** This worker's id. @default the `recovery.owner` option, else `transaction-state-manager-<random>` */
  readonly owner?: string | undefined;
  /** Intents claimed per pass. @default 100 */
  readonly limit?: number | undefined;
}

/** What `recover` did. */
export interface RecoveryReport {
  /** Intents driven in this pass. */
  readonly examined: number;
  /** Driven to `succeeded`. */
  readonly succeeded: number;
  /** Driven to `failed`. */
  readonly failed: number;
  /** Still `waiting` (provider unavailable or throttled). */
  readonly stillWaiting: number;
  /** Still `unknown` or `pending` (provider unreachable while resolving, or a technical cancel still running). */
  readonly stillUnknown: number;
  /** Given up on: `unresolved`, reported to operators. */
  readonly unresolved: number;
  /** Claimed but not due yet (a `waiting` intent before its time, a young intent another request may still be working on). */
  readonly deferred: number;
  /** Taken over by another worker after this one's lease expired (fencing). */
  readonly fenced: number;
  /** Failed with an unexpected error (logged); retried in the next pass. */
  readonly errors: number;
}

/** What `reconcileCustomerSteps` did. */
export interface CustomerStepReport {
  /** Payments read at their provider in this pass. */
  readonly examined: number;
  /** Brought to the state their provider reports (the customer finished or failed the step). */
  readonly advanced: number;
  /** Past the expiry of their step at the provider: a cancellation was journaled and sent. */
  readonly cancelled: number;
  /** Still waiting at the provider within their expiry (or their step never expires). */
  readonly waiting: number;
  /** Not decided in this pass (provider unreachable, unexpected error; logged): read again in the next. */
  readonly errors: number;
}

/** What applying a provider event did. */
export interface ProviderEventResult {
  /**
   * `applied`: the payment changed. `duplicate`: the event id was seen before. `ignored`: recorded,
   * nothing to change. `unknown_payment`: no payment has that provider reference (yet); not
   * recorded, so a redelivery can still apply it. `deferred`: it depends on an event not applied
   * yet; not recorded, answer with an error so the provider redelivers it.
   */
  readonly status: 'applied' | 'duplicate' | 'ignored' | 'unknown_payment' | 'deferred';
  /** The payment, when one was found. */
  readonly paymentId?: string | undefined;
  /** Why nothing changed. */
  readonly reason?: string | undefined;
}

/** A payment with an operation resolution gave up on. */
export interface UnresolvedPayment {
  /** The payment as the journal holds it. */
  readonly payment: PaymentRecord;
  /** Its unresolved intents. */
  readonly intents: readonly IntentRecord[];
}

/**
 * The Transaction State Manager: every provider write is journaled as an intent before it is sent
 * and its outcome after (invariant 1); follow-ups go to the pinned provider (invariant 2); unknown
 * outcomes are resolved on the same provider, never failed over (invariant 3); amounts are checked
 * against the journal before sending (invariant 4); platform updates leave through the outbox.
 *
 * Durability of its journal writes: every intent is durable before its provider call, and so is
 * every write of recovery, of webhooks (`applyProviderEvent` answers only after it) and every
 * failure, decline or unresolved outcome. The outcome of a success the provider recorded under the
 * intent's idempotency key (an authorization, a charge, a capture, refund or void), answered to the
 * request that wrote the intent, is written `durability: 'deferred'`: committed and visible when the
 * call returns, on disk with the next durable write or a moment later. A crash that loses it leaves
 * the durable `pending` intent, which the recovery pass sends again with the same key: the provider
 * replays its answer (no second charge) and the same outcome and platform messages (same
 * deduplication ids) are written. An authorization that saves the payment method stays durable.
 */
export interface TransactionStateManager {
  /** Authorizes a new payment on the provider the selector picks, and pins it there. Idempotent by `paymentId`. */
  authorize(input: AuthorizePaymentInput): Promise<TransactionResult>;
  /** Charges a stored payment method on the provider where the token lives. Idempotent by `paymentId`. */
  chargeStoredPaymentMethod(input: ChargeStoredPaymentMethodInput): Promise<TransactionResult>;
  /** Captures on the pinned provider, after checking the amount against the journal. */
  capture(input: CapturePaymentInput): Promise<TransactionResult>;
  /** Refunds on the pinned provider, after checking the amount against the journal. */
  refund(input: RefundPaymentInput): Promise<TransactionResult>;
  /** Voids the authorization (or releases its uncaptured remainder) on the pinned provider. */
  cancel(input: CancelPaymentInput): Promise<TransactionResult>;
  /** Applies a verified provider webhook to its payment, once per event id, never moving amounts backwards. */
  applyProviderEvent(event: PaymentWebhookEvent): Promise<ProviderEventResult>;
  /** One recovery pass: claims non-terminal intents and drives each to a final status where it can. */
  recover(options: RecoverOptions): Promise<RecoveryReport>;
  /**
   * Runs `recover` now and then every `intervalMs` until `signal` aborts, and `reconcileCustomerSteps`
   * every `customerSteps.intervalMs` (option); resolves when stopped.
   */
  startRecoveryLoop(options: RecoveryLoopOptions): Promise<void>;
  /**
   * One pass over the payments waiting for their customer (`requires_action`) for longer than
   * `customerSteps.checkAfterMs`: reads each at its provider, applies what the provider settled (as
   * the lost webhook would have), and cancels at that provider each one still waiting past the
   * expiry of its kind of step (only where `retrieve` reads the provider live:
   * `capabilities.liveRetrieve`); a provider that waits for the merchant (PayPal's `APPROVED`
   * order) is sent the authorization again with its original key, which completes it. Never touches
   * a payment on another provider; a provider that cannot be reached leaves its payments for the
   * next pass.
   */
  reconcileCustomerSteps(): Promise<CustomerStepReport>;
  /**
   * For the shop's return page, when the customer comes back from the step (3-D Secure, a
   * redirect): reads the payment at its pinned provider now and applies what the provider settled,
   * completing the payment where the provider waits for the merchant (PayPal's `APPROVED` order is
   * authorized with the original idempotency key). Never cancels. Answers the payment's
   * authorization as it stands afterwards (`replayed: true`); a payment not waiting for its
   * customer is answered from the journal without a provider call.
   *
   * @throws PaymentNotFoundError when the journal has no such payment; a provider error when the
   *   provider cannot be read (nothing changed: call again, or leave it to the recovery loop).
   */
  settleCustomerStep(input: { readonly paymentId: string }): Promise<TransactionResult>;
  /** The payment as the journal holds it. */
  payment(paymentId: string): Promise<PaymentRecord | undefined>;
  /** Every intent of a payment, oldest operation first. */
  intents(paymentId: string): Promise<IntentRecord[]>;
  /** Payments with an unresolved intent: for operators, never hidden. */
  unresolvedPayments(): Promise<UnresolvedPayment[]>;
  /**
   * Payments pinned to `provider` that still hold money there or have work outstanding (not yet
   * settled, or with a non-final intent): the cutover drain waits for them.
   */
  inFlight(options: { readonly provider: string }): Promise<PaymentRecord[]>;
}
