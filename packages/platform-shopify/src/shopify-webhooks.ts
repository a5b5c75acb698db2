import { createHmac, timingSafeEqual } from 'node:crypto';
import { type ClockV1, type PlatformWebhookEvent, type WebhookRequest, WebhookVerificationError } from '@paymigrate/core';
import { orderGidFromLegacyId } from './shopify-ids.js';
import { shopifyComponent } from './shopify-options.js';

/** The webhook headers the adapter reads (lower-case, as `WebhookRequest` carries them). */
export const shopifyWebhookHeaders = Object.freeze({
  /** Base64 HMAC-SHA256 of the raw body with the app's API secret key. */
  hmac: 'x-shopify-hmac-sha256',
  /** The delivery id, the same on every retry: the deduplication key. */
  webhookId: 'x-shopify-webhook-id',
  topic: 'x-shopify-topic',
  /** When Shopify fired it (ISO 8601; not signed, so only informative). */
  triggeredAt: 'x-shopify-triggered-at',
  shopDomain: 'x-shopify-shop-domain',
});

/** Topics and the canonical event each one is; any other topic is `other`. */
export const shopifyWebhookTopics: Readonly<Record<string, PlatformWebhookEvent['type']>> = Object.freeze({
  'orders/create': 'order.created',
  'orders/updated': 'order.updated',
  'orders/edited': 'order.updated',
  'orders/fulfilled': 'order.updated',
  'orders/partially_fulfilled': 'order.updated',
  'orders/cancelled': 'order.cancelled',
  'orders/paid': 'order.paid',
  'refunds/create': 'refund.created',
});

/** What verification needs. */
export interface ShopifyWebhookVerifier {
  /** The app's API secret key. */
  readonly secret: string;
  /** The shop this adapter serves; a webhook naming another shop is refused. */
  readonly shopDomain: string;
  readonly clock: Pick<ClockV1, 'now'>;
}

const base64Pattern = /^[A-Za-z0-9+/]+={0,2}$/;

function reject(reason: WebhookVerificationError['reason'], detail: string, cause?: unknown): WebhookVerificationError {
  return new WebhookVerificationError({ source: shopifyComponent, reason, detail, cause });
}

/** The order a payload is about: `admin_graphql_api_id` or `id` for `orders/*`, `order_id` for refunds. */
function orderIdOf(topic: string, body: Record<string, unknown>): string | undefined {
  const numeric = (value: unknown): string | undefined => (typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? orderGidFromLegacyId(value) : typeof value === 'string' && /^\d+$/.test(value) ? orderGidFromLegacyId(value) : undefined);
  if (topic.startsWith('orders/')) {
    const gid = body['admin_graphql_api_id'];
    if (typeof gid === 'string' && gid.startsWith('gid://shopify/Order/')) return gid;
    return numeric(body['id']);
  }
  return numeric(body['order_id']);
}

/**
 * Verifies a Shopify webhook and normalizes it. Shopify signs the raw body only: base64
 * HMAC-SHA256 with the app's API secret key in `X-Shopify-Hmac-Sha256`, compared here in
 * constant time. Shopify signs no timestamp, so no webhook is refused as stale; duplicates share
 * `X-Shopify-Webhook-Id`, the event id to deduplicate on.
 *
 * `@shopify/shopify-api`'s `webhooks.validate` is not used: it needs the framework's request
 * object through the runtime adapter and refuses a request without the shop-domain and
 * API-version headers, while the port hands over the raw body and a header record.
 */
export function verifyShopifyWebhook(request: WebhookRequest, verifier: ShopifyWebhookVerifier): PlatformWebhookEvent {
  const names = shopifyWebhookHeaders;
  const signature = request.headers[names.hmac];
  if (signature === undefined || signature === '') throw reject('missing-signature', `no ${names.hmac} header`);
  const given = Buffer.from(signature, 'base64');
  if (!base64Pattern.test(signature) || given.length !== 32) throw reject('malformed-signature', `${names.hmac} is not a base64 HMAC-SHA256`);
  const expected = createHmac('sha256', verifier.secret).update(request.rawBody, 'utf8').digest();
  if (!timingSafeEqual(given, expected)) throw reject('signature-mismatch', 'the signature does not match the body');
  const webhookId = request.headers[names.webhookId];
  const topic = request.headers[names.topic];
  if (webhookId === undefined || webhookId === '' || topic === undefined || topic === '') throw reject('malformed-body', `${names.webhookId} and ${names.topic} are required`);
  const shop = request.headers[names.shopDomain];
  if (shop !== undefined && shop.toLowerCase() !== verifier.shopDomain) throw reject('malformed-body', `it is for the shop ${shop}, not ${verifier.shopDomain}`);
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody);
  } catch (error) {
    throw reject('malformed-body', 'the body is not JSON', error);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw reject('malformed-body', 'the body is not a JSON object');
  const payload = body as Record<string, unknown>;
  const triggeredAt = Date.parse(request.headers[names.triggeredAt] ?? '');
  const updatedAt = typeof payload['updated_at'] === 'string' ? Date.parse(payload['updated_at']) : Number.NaN;
  const occurredAt = !Number.isNaN(triggeredAt) ? triggeredAt : !Number.isNaN(updatedAt) ? updatedAt : (request.receivedAt ?? verifier.clock.now());
  return Object.freeze({
    eventId: webhookId,
    topic,
    type: shopifyWebhookTopics[topic] ?? 'other',
    orderId: orderIdOf(topic, payload),
    occurredAt,
  });
}
