// Public surface of the Shopify Admin GraphQL fake: the factory, its types, the schema it serves,
// webhook signing and the checker that compares operations and answers with the official subset.
export {
  createShopifyAdminSubsetChecker,
  type ShopifyAdminSubsetChecker,
} from './shopify-admin-subset-checker.js';
export { ShopifyCostBucket, type ShopifyThrottleStatus } from './shopify-fake-cost.js';
export { formatShopifyDateTime, formatShopifyDecimal } from './shopify-fake-money.js';
export { shopifyFakeSchemaSdl, shopifyFakeSupplementTypeNames } from './shopify-fake-schema.js';
export {
  createShopifyFake,
  shopifyFakeApiVersion,
  shopifyFakeDefaults,
  shopifyFakeRoutes,
  shopifyFakeSchema,
  shopifyFaultBodies,
  shopifyUnauthorizedBody,
  type CreateShopifyFakeOptions,
  type ShopifyFake,
  type ShopifyFakeOrderView,
  type ShopifyFakeSignWebhookInput,
  type ShopifyFakeTakeWebhooksOptions,
} from './shopify-fake.js';
export type {
  ShopifyFakeCancelReason,
  ShopifyFakeFinancialStatus,
  ShopifyFakeFulfillmentStatus,
  ShopifyFakeOrderAmounts,
  ShopifyFakeOrderSeed,
  ShopifyFakeRefund,
  ShopifyFakeReturnStatus,
  ShopifyFakeTransaction,
  ShopifyFakeTransactionKind,
  ShopifyFakeTransactionSeed,
  ShopifyFakeTransactionStatus,
  ShopifyFakeWebhookTopic,
} from './shopify-fake-store.js';
export {
  shopifyOrderWebhookPayload,
  shopifyRefundWebhookPayload,
  shopifyWebhookHeaderNames,
  shopifyWebhookHmac,
  signShopifyWebhook,
  type ShopifyFakeWebhook,
  type SignShopifyWebhookOptions,
} from './shopify-fake-webhooks.js';
