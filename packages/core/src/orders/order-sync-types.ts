import type { Money } from '../money/money.js';
import type { OrderState } from '../order/order-state.js';
import type { OutboxHandler } from '../outbox/outbox-relay.js';
import type { PlatformPaymentMessage } from '../outbox/platform-payment-message.js';
import type { PlatformWebhookEvent } from '../ports/commerce-platform/v1/commerce-platform.js';
import type { PaymentWebhookEvent } from '../ports/payment-gateway/v1/payment-gateway-types.js';
import type { OrderCompensationRecord, OrderEscalationRecord, OrderRecord, OrderTransitionCause } from './order-records.js';

/** A payment to attach to an order. */
export interface AttachPaymentInput {
  /** The order. */
  readonly orderId: string;
  /** Our payment id (the Transaction State Manager's, or any stable id for a payment made elsewhere). */
  readonly paymentId: string;
  /** The provider that holds it: its refunds and voids go there. */
  readonly provider: string;
  /** The provider's payment reference, which its webhooks name. */
  readonly providerReference?: string | undefined;
  /** Amount requested, when known (no capture may exceed it). */
  readonly amount?: Money | undefined;
}

/** Input of `OrderStateSynchronizer.registerOrder`. */
export interface RegisterOrderInput {
  /** The platform's order id. */
  readonly orderId: string;
  /** The order total. */
  readonly total: Money;
  /** Its canonical state now. @default 'payment_pending' */
  readonly state?: OrderState | undefined;
  /** Its payments. @default none */
  readonly payments?: readonly Omit<AttachPaymentInput, 'orderId'>[] | undefined;
}

/** Input of `OrderStateSynchronizer.refundOrder`: a refund the platform (its staff, its customer) asked for. */
export interface RefundOrderInput {
  /** The order. */
  readonly orderId: string;
  /** How much to refund, over the order's captured payments, latest payment first. */
  readonly amount: Money;
  /** The platform's id of the request (a refund id): asking again with it resumes the same refund. */
  readonly requestId: string;
  /** Why. @default 'requested_by_customer' */
  readonly reason?: 'requested_by_customer' | 'duplicate' | 'fraudulent' | undefined;
}

/** One transition an event caused. */
export interface OrderStateChange {
  /** State before. */
  readonly from: OrderState;
  /** State after. */
  readonly to: OrderState;
}

/** What handling an event did. */
export interface OrderEventResult {
  /**
   * `applied`: the order changed (money recorded, transitions made). `duplicate`: the event was
   * handled before. `ignored`: recorded, nothing to change (or not about an order). `deferred`: it
   * depends on an event not handled yet; not recorded, so the provider's redelivery applies it.
   * `unknown_payment` / `unknown_order`: no order could be found; not recorded.
   */
  readonly status: 'applied' | 'duplicate' | 'ignored' | 'deferred' | 'unknown_payment' | 'unknown_order';
  /** The order, when found. */
  readonly orderId?: string | undefined;
  /** The payment, when found. */
  readonly paymentId?: string | undefined;
  /** Why nothing changed. */
  readonly reason?: string | undefined;
  /** Transitions made, in order. */
  readonly transitions: readonly OrderStateChange[];
  /** The compensation the event started, when it started one. */
  readonly compensation?: OrderCompensationRecord | undefined;
}

/** What `applyTransition` did. */
export interface OrderTransitionResult {
  /** `applied`, or `duplicate` when the cause was already applied (the same transition). */
  readonly status: 'applied' | 'duplicate';
  /** The order afterwards. */
  readonly order: OrderRecord;
  /** State before. */
  readonly from: OrderState;
  /** State after. */
  readonly to: OrderState;
  /** The compensation a cancellation started (refund, void), when money was held. */
  readonly compensation?: OrderCompensationRecord | undefined;
}

/** Options of `OrderStateSynchronizer.repairStuckOrders`. */
export interface RepairStuckOrdersOptions {
  /** This worker's id: the owner of its claims. Several nodes may run passes at the same time. */
  readonly owner: string;
  /** Orders (and compensations) claimed in this pass. @default 100 */
  readonly limit?: number | undefined;
}

/** What one repair pass did. */
export interface OrderRepairReport {
  /** Orders claimed. */
  readonly claimed: number;
  /** Claimed orders past their state's deadline, looked at. */
  readonly examined: number;
  /** Provider and platform agreed: the order was moved to their state. */
  readonly repaired: number;
  /** Escalated (they disagreed, or agreed on the state it is stuck in, or could not be read). */
  readonly escalated: number;
  /** Claimed but not past the deadline yet. */
  readonly deferred: number;
  /** Changed by someone else while being repaired: not stuck any more. */
  readonly superseded: number;
  /** Failed with an unexpected error (a provider or the platform unreachable); retried next pass. */
  readonly errors: number;
  /** Running compensations resumed. */
  readonly compensationsResumed: number;
}

/**
 * The Order State Synchronizer: keeps the canonical order, the platform's order and the providers'
 * payments in agreement while payments move between providers (engine 3).
 *
 * - Orders move only along the canonical machine, one version at a time, compare-and-set in the
 *   journal, each change atomically with its platform update in the outbox (invariant 6).
 * - Provider webhooks and payment outcomes update what the order knows of its payments, once per
 *   event, never backwards; the order follows the money.
 * - Compensations (void, refund, revert and flag) run on the payment's pinned provider and are
 *   journaled step by step.
 * - Stuck orders are repaired from provider and platform truth when they agree, escalated when not.
 */
export interface OrderStateSynchronizer {
  /** Starts tracking an order (idempotent: an order already tracked is returned as it is). */
  registerOrder(input: RegisterOrderInput): Promise<OrderRecord>;
  /** Attaches a payment to a tracked order, so its provider's webhooks find the order. Idempotent. */
  attachPayment(input: AttachPaymentInput): Promise<OrderRecord>;
  /** The order as the journal holds it. */
  order(orderId: string): Promise<OrderRecord | undefined>;
  /**
   * Moves a tracked order to `to`, checked by the canonical machine, compare-and-set (a concurrent
   * change is re-read and the transition checked again), with its platform update in the same
   * batch. The cause id makes it idempotent. A cancellation of an order that holds money starts its
   * compensations (void, refund) on the pinned providers.
   *
   * @throws IllegalTransitionError when the machine does not allow it from the current state.
   * @throws VersionConflictError when `expectedVersion` is given and the order is at another version.
   * @throws OrderNotFoundError for an order that is not tracked.
   */
  applyTransition(orderId: string, to: OrderState, cause: OrderTransitionCause, options?: { readonly expectedVersion?: number | undefined }): Promise<OrderTransitionResult>;
  /** Applies a verified provider webhook to the order of its payment. */
  handleProviderEvent(event: PaymentWebhookEvent): Promise<OrderEventResult>;
  /** Applies a payment outcome of the Transaction State Manager (its `platform.payment` outbox message). */
  handlePaymentOutcome(outcome: PlatformPaymentMessage): Promise<OrderEventResult>;
  /**
   * Applies a verified platform webhook: reads the order from the platform (the webhook names it
   * only) and follows a cancellation (with its compensations), a hold, or fulfillment progress.
   */
  handlePlatformEvent(event: PlatformWebhookEvent): Promise<OrderEventResult>;
  /** Carries out a refund the platform asked for, on the pinned provider of each captured payment. */
  refundOrder(input: RefundOrderInput): Promise<OrderCompensationRecord>;
  /** One repair pass over stuck orders (and running compensations), with claims so several nodes may run it. */
  repairStuckOrders(options: RepairStuckOrdersOptions): Promise<OrderRepairReport>;
  /**
   * Open escalations, for operators: those whose order has not moved since (its next transition
   * closes an escalation; the record stays in `order-escalations` as history).
   */
  escalations(): Promise<OrderEscalationRecord[]>;
  /**
   * The outbox handlers of the synchronizer's topics: `platform.payment` (payment outcomes of the
   * Transaction State Manager, in place of `platformPaymentHandler`) and `platform.order` (the
   * platform calls). Pass them to `createOutboxRelay`.
   */
  outboxHandlers(): Readonly<Record<string, OutboxHandler>>;
}
