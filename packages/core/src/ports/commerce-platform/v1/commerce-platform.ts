import type { Money } from '../../../money/money.js';
import type { OrderState } from '../../../order/order-state.js';
import type { CallOptions, Page, WebhookRequest } from '../../shared/v1/webhook-request.js';
import type { IdempotentInput } from '../../payment-gateway/v1/payment-gateway-types.js';

/** A payment transaction as the platform records it on an order. */
export interface PlatformTransaction {
  /** The platform's transaction id. */
  readonly id: string;
  /** What kind of money movement. */
  readonly kind: 'authorization' | 'capture' | 'sale' | 'refund' | 'void';
  /** The platform's status of it. */
  readonly status: 'success' | 'pending' | 'failure' | 'error';
  /** Amount. */
  readonly amount: Money;
  /** The gateway name the platform shows (`stripe`, `adyen`, ...). */
  readonly gateway: string;
  /** The provider's reference for the payment or operation, when recorded. */
  readonly providerReference?: string | undefined;
  /** When the platform recorded it, epoch milliseconds. */
  readonly createdAt: number;
}

/** An order as the platform reports it, with its canonical state. */
export interface PlatformOrder {
  /** The platform's order id (Shopify `gid://shopify/Order/...`, Magento entity id, ...). */
  readonly orderId: string;
  /** The human order name or number (`#1001`). */
  readonly name?: string | undefined;
  /** The platform's own financial status (Shopify `displayFinancialStatus`, Magento state, Woo status). */
  readonly platformFinancialStatus: string;
  /** The platform's own fulfillment status, when it has a separate one. */
  readonly platformFulfillmentStatus?: string | undefined;
  /** The canonical order state the platform statuses map to. */
  readonly canonicalState: OrderState;
  /** Order total. */
  readonly total: Money;
  /** Payment transactions on the order. */
  readonly transactions: readonly PlatformTransaction[];
  /** The customer's id on the platform. */
  readonly customerId?: string | undefined;
  /** When the platform last changed the order, epoch milliseconds. */
  readonly updatedAt: number;
  /** When the order was cancelled, epoch milliseconds. */
  readonly cancelledAt?: number | undefined;
}

/** A change of payment that paymigrate records on the platform's order. */
export interface PlatformPaymentUpdate extends IdempotentInput {
  /** The platform's order id. */
  readonly orderId: string;
  /** What happened at the provider. */
  readonly kind: 'authorization' | 'capture' | 'refund' | 'void';
  /** Amount of the operation. */
  readonly amount: Money;
  /** Provider that holds the payment. */
  readonly provider: string;
  /** The provider's payment reference. */
  readonly providerReference: string;
  /** The provider's reference for this operation (capture or refund id), when different. */
  readonly operationReference?: string | undefined;
}

/** Input of `CommercePlatform.cancelOrder`. */
export interface PlatformCancelInput extends IdempotentInput {
  /** The platform's order id. */
  readonly orderId: string;
  /** Why. */
  readonly reason: 'customer' | 'fraud' | 'inventory' | 'declined' | 'other';
  /** Internal note shown to staff. */
  readonly staffNote?: string | undefined;
}

/** A line of a cart. */
export interface CartLine {
  /** Product variant or SKU. */
  readonly sku: string;
  /** Quantity, a positive integer. */
  readonly quantity: number;
  /** Unit price. */
  readonly unitPrice: Money;
  /** Display title. */
  readonly title?: string | undefined;
}

/** A cart as the platform reports it. Used to rebuild sessions that could not be migrated. */
export interface PlatformCart {
  /** The platform's cart id. */
  readonly cartId: string;
  /** The customer's id on the platform. */
  readonly customerId?: string | undefined;
  /** Cart currency. */
  readonly currency: string;
  /** Lines. */
  readonly lines: readonly CartLine[];
  /** When the platform last changed the cart, epoch milliseconds. */
  readonly updatedAt: number;
}

/** A verified, normalized platform webhook. */
export interface PlatformWebhookEvent {
  /** The platform's event id (Shopify `X-Shopify-Webhook-Id`): the deduplication key. */
  readonly eventId: string;
  /** The platform's topic (`orders/updated`, ...). */
  readonly topic: string;
  /** Canonical kind. */
  readonly type: 'order.created' | 'order.updated' | 'order.cancelled' | 'order.paid' | 'refund.created' | 'other';
  /** The order it is about. */
  readonly orderId?: string | undefined;
  /** When the platform says it happened, epoch milliseconds. */
  readonly occurredAt: number;
}

/**
 * A commerce platform (Shopify, Magento, WooCommerce, ...), version 1 of the port. Orders live
 * there; paymigrate keeps their payment side consistent while payments move between providers.
 */
export interface CommercePlatformV1 {
  /** Port version this adapter implements. */
  readonly specificationVersion: 'v1';

  /** Platform name, lower-case (`shopify`, `magento`, `woocommerce`). */
  readonly platform: string;

  /** Reads one order; `undefined` when the platform has no such order. */
  getOrder(input: { readonly orderId: string }, options?: CallOptions): Promise<PlatformOrder | undefined>;

  /** Lists orders that are not final (open, unpaid, unfulfilled), oldest change first. */
  listOpenOrders(
    input: { readonly limit: number; readonly cursor?: string | undefined; readonly updatedSince?: number | undefined },
    options?: CallOptions,
  ): Promise<Page<PlatformOrder>>;

  /**
   * Records a payment operation on the order (Shopify: `orderCapture`, `orderMarkAsPaid`,
   * `refundCreate`). Idempotent by `idempotencyKey`: replaying it does not record twice.
   * Returns the order afterwards.
   */
  recordPayment(input: PlatformPaymentUpdate, options?: CallOptions): Promise<PlatformOrder>;

  /** Cancels the order on the platform without moving money (refunds go through the gateway). */
  cancelOrder(input: PlatformCancelInput, options?: CallOptions): Promise<PlatformOrder>;

  /** Reads a cart where the platform's API allows it; `undefined` when absent or not readable. */
  getCart(input: { readonly cartId: string }, options?: CallOptions): Promise<PlatformCart | undefined>;

  /** Verifies (`X-Shopify-Hmac-Sha256`, ...) and normalizes a webhook; forged ones throw `WebhookVerificationError`. */
  verifyWebhook(request: WebhookRequest, options?: CallOptions): Promise<PlatformWebhookEvent>;
}

/** The current version of the commerce platform port. */
export type CommercePlatform = CommercePlatformV1;
