// Public surface of the Shopify commerce platform adapter.
export type { ShopifyPaymentPlan, ShopifyRefundLine } from './plan-shopify-payment.js';
export type { ShopifyThrottleStatus } from './shopify-admin-client.js';
export { routeShop } from './shopify-fetch.js';
export { openFinancialStatuses } from './shopify-open-orders.js';
export { parseShopifyPlatformOptions, shopifyApiVersion, type ResolvedShopifyPlatformOptions, type ShopifyPlatformOptions } from './shopify-options.js';
export {
  createShopifyPlatform,
  refundNoteMarker,
  shopifyMaximumListLimit,
  shopifyPlatformCapabilities,
  type ShopifyPlatform,
  type ShopifyPlatformCapabilities,
} from './shopify-platform.js';
export { shopifyDocuments } from './shopify-queries.js';
export { shopifyWebhookHeaders, shopifyWebhookTopics, verifyShopifyWebhook, type ShopifyWebhookVerifier } from './shopify-webhooks.js';
