/**
 * Shopify order ids. The port carries the Admin GraphQL id (`gid://shopify/Order/1234`); the
 * numeric REST id (`1234`) is accepted too and turned into it.
 */
const orderGidPattern = /^gid:\/\/shopify\/Order\/(\d+)$/;

/** The order gid for an order id, or `undefined` when the id cannot be a Shopify order. */
export function toOrderGid(orderId: string): string | undefined {
  if (orderGidPattern.test(orderId)) return orderId;
  return /^\d{1,20}$/.test(orderId) ? `gid://shopify/Order/${orderId}` : undefined;
}

/** The order gid for a numeric REST id from a webhook payload. */
export function orderGidFromLegacyId(legacyId: number | string): string {
  return `gid://shopify/Order/${legacyId}`;
}
