import { createHmac } from 'node:crypto';
import type { WebhookRequest } from '@paymigrate/core';
import { formatShopifyDecimal } from './shopify-fake-money.js';
import type { ShopifyFakeOrderAmounts, ShopifyFakeOrderRecord, ShopifyFakeRefund, ShopifyFakeTransaction, ShopifyFakeWebhookTopic } from './shopify-fake-store.js';

/** The headers Shopify sends with every webhook (lower-case, as `WebhookRequest` carries them). */
export const shopifyWebhookHeaderNames = Object.freeze({
  /** Base64 HMAC-SHA256 of the raw body with the app's API secret key. */
  hmac: 'x-shopify-hmac-sha256',
  /** The topic, e.g. `orders/updated`. */
  topic: 'x-shopify-topic',
  /** The shop, e.g. `shop.myshopify.com`. */
  shopDomain: 'x-shopify-shop-domain',
  /** The API version of the payload. */
  apiVersion: 'x-shopify-api-version',
  /** The delivery's id: the same on every retry of one delivery, the deduplication key. */
  webhookId: 'x-shopify-webhook-id',
  /** When Shopify fired it (ISO 8601). */
  triggeredAt: 'x-shopify-triggered-at',
  /** The event's id: the same for every subscription the event is delivered to. */
  eventId: 'x-shopify-event-id',
});

/** Base64 HMAC-SHA256 of `rawBody` with `secret`: the value of `X-Shopify-Hmac-Sha256`. */
export function shopifyWebhookHmac(secret: string, rawBody: string): string {
  return createHmac('sha256', secret).update(rawBody, 'utf8').digest('base64');
}

/** Options of {@link signShopifyWebhook}. */
export interface SignShopifyWebhookOptions {
  /** The app's API secret key. */
  readonly secret: string;
  readonly topic: string;
  /** The JSON payload (an object is serialized; a string is sent as is). */
  readonly payload: string | Readonly<Record<string, unknown>>;
  readonly shopDomain: string;
  readonly webhookId: string;
  /** When it fired, epoch milliseconds. */
  readonly triggeredAt: number;
  /** @default '2025-01' */
  readonly apiVersion?: string | undefined;
  /** @default `webhookId` */
  readonly eventId?: string | undefined;
}

/** Builds a webhook exactly as Shopify sends it: raw JSON body and the `X-Shopify-*` headers. */
export function signShopifyWebhook(options: SignShopifyWebhookOptions): WebhookRequest {
  const rawBody = typeof options.payload === 'string' ? options.payload : JSON.stringify(options.payload);
  const names = shopifyWebhookHeaderNames;
  return {
    rawBody,
    headers: {
      'content-type': 'application/json',
      [names.hmac]: shopifyWebhookHmac(options.secret, rawBody),
      [names.topic]: options.topic,
      [names.shopDomain]: options.shopDomain,
      [names.apiVersion]: options.apiVersion ?? '2025-01',
      [names.webhookId]: options.webhookId,
      [names.triggeredAt]: new Date(options.triggeredAt).toISOString(),
      [names.eventId]: options.eventId ?? options.webhookId,
    },
    receivedAt: options.triggeredAt,
  };
}

const restFinancialStatus: Readonly<Record<ShopifyFakeOrderAmounts['financialStatus'], string>> = {
  PENDING: 'pending',
  AUTHORIZED: 'authorized',
  PARTIALLY_PAID: 'partially_paid',
  PAID: 'paid',
  PARTIALLY_REFUNDED: 'partially_refunded',
  REFUNDED: 'refunded',
  VOIDED: 'voided',
  EXPIRED: 'expired',
};

function restFulfillmentStatus(order: ShopifyFakeOrderRecord): string | null {
  switch (order.fulfillmentStatus) {
    case 'FULFILLED':
      return 'fulfilled';
    case 'PARTIALLY_FULFILLED':
      return 'partial';
    case 'RESTOCKED':
      return 'restocked';
    default:
      return null;
  }
}

function iso(time: number | undefined): string | null {
  return time === undefined ? null : new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function restTransaction(order: ShopifyFakeOrderRecord, transaction: ShopifyFakeTransaction): Record<string, unknown> {
  return {
    id: transaction.legacyId,
    admin_graphql_api_id: transaction.id,
    order_id: order.legacyId,
    kind: transaction.kind.toLowerCase(),
    status: transaction.status.toLowerCase(),
    amount: formatShopifyDecimal(transaction.amountMinor, order.currency),
    currency: order.currency,
    gateway: transaction.gateway,
    authorization: transaction.authorizationCode ?? null,
    parent_id: transaction.parentId === undefined ? null : Number(transaction.parentId.split('/').pop()),
    created_at: iso(transaction.createdAt),
    test: transaction.test,
  };
}

/**
 * The REST-style order JSON Shopify sends with `orders/*` topics, reduced to the fields the fake
 * holds (Shopify's full payload is documented on shopify.dev; no copy of it is in the specs).
 */
export function shopifyOrderWebhookPayload(order: ShopifyFakeOrderRecord, amounts: ShopifyFakeOrderAmounts): Record<string, unknown> {
  return {
    id: order.legacyId,
    admin_graphql_api_id: order.id,
    name: order.name,
    email: order.email ?? null,
    created_at: iso(order.createdAt),
    updated_at: iso(order.updatedAt),
    processed_at: iso(order.processedAt),
    cancelled_at: iso(order.cancelledAt),
    cancel_reason: order.cancelReason?.toLowerCase() ?? null,
    closed_at: iso(order.closedAt),
    currency: order.currency,
    presentment_currency: order.currency,
    total_price: formatShopifyDecimal(order.totalMinor, order.currency),
    financial_status: restFinancialStatus[amounts.financialStatus],
    fulfillment_status: restFulfillmentStatus(order),
    test: order.test,
    customer: order.customerId === undefined ? null : { id: Number(order.customerId.split('/').pop()), admin_graphql_api_id: order.customerId },
  };
}

/** The REST-style refund JSON Shopify sends with `refunds/create`. */
export function shopifyRefundWebhookPayload(order: ShopifyFakeOrderRecord, refund: ShopifyFakeRefund): Record<string, unknown> {
  return {
    id: refund.legacyId,
    admin_graphql_api_id: refund.id,
    order_id: order.legacyId,
    created_at: iso(refund.createdAt),
    processed_at: iso(refund.createdAt),
    note: refund.note ?? null,
    restock: false,
    refund_line_items: [],
    transactions: order.transactions.filter((transaction) => refund.transactionIds.includes(transaction.id)).map((transaction) => restTransaction(order, transaction)),
  };
}

/** One webhook the fake has queued. */
export interface ShopifyFakeWebhook {
  readonly topic: ShopifyFakeWebhookTopic;
  /** `X-Shopify-Webhook-Id`: the same on a redelivered duplicate. */
  readonly webhookId: string;
  /** The order's gid. */
  readonly orderId: string;
  /** The signed request, ready for `CommercePlatform.verifyWebhook`. */
  readonly request: WebhookRequest;
}
