import { isOpenOrderState, mapShopifyOrderStatus, shopifyFinancialStatuses, shopifyFulfillmentStatuses } from '@paymigrate/core';

/** Whether core's Shopify table maps these statuses to an open canonical state (an impossible pair is not open). */
function mapsToOpenState(displayFinancialStatus: string, displayFulfillmentStatus: string): boolean {
  try {
    return isOpenOrderState(mapShopifyOrderStatus({ displayFinancialStatus, displayFulfillmentStatus, cancelledAt: null }));
  } catch {
    // Core throws ImpossiblePlatformStateError for pairs no order can be in (goods shipped unpaid).
    return false;
  }
}

/**
 * The `financial_status` search values of the orders that can be open, derived from core's
 * Shopify table (`mapShopifyOrderStatus`, the single source of truth) so the search and the
 * mapping cannot drift apart: `pending`, `authorized`, `partially_paid`, `expired`.
 * `listOpenOrders` filters on them.
 */
export const openFinancialStatuses: readonly string[] = Object.freeze(
  shopifyFinancialStatuses
    .filter((financial) => shopifyFulfillmentStatuses.some((fulfillment) => mapsToOpenState(financial, fulfillment)))
    .map((financial) => financial.toLowerCase()),
);
