import type { ShopifyTransactionView } from './shopify-order.js';

/**
 * What recording an operation on a transaction does to money, by the transaction's gateway:
 *
 * - `holder`: the gateway is the provider that holds the payment. Shopify's `orderCapture` /
 *   `refundCreate` on it record the provider's operation on the same payment.
 * - `manual`: a manual payment gateway (cash, bank transfer, `orderMarkAsPaid`): Shopify records,
 *   no money moves.
 * - `other`: another provider's gateway. A mutation on it would move money a second time, at a
 *   provider that does not hold the payment: the adapter never sends one.
 */
export type ShopifyGatewayRole = 'holder' | 'manual' | 'other';

/** Tells the role of a transaction's gateway for one payment update. */
export type ShopifyGatewayRoleOf = (transaction: Pick<ShopifyTransactionView, 'gateway' | 'manualGateway'>) => ShopifyGatewayRole;

/**
 * The role of each gateway for updates of the payment `provider` holds. A gateway maps to the
 * provider `gatewayProviders` names for it, else to the provider of its own name (case-insensitive).
 *
 * @example gatewayRoles('stripe', new Map([['shopify_payments', 'stripe']]))({ gateway: 'shopify_payments', manualGateway: false }) // 'holder'
 */
export function gatewayRoles(provider: string, gatewayProviders: ReadonlyMap<string, string>): ShopifyGatewayRoleOf {
  const holder = provider.toLowerCase();
  return (transaction) => {
    if (transaction.manualGateway) return 'manual';
    const gateway = transaction.gateway.toLowerCase();
    return (gatewayProviders.get(gateway) ?? gateway) === holder ? 'holder' : 'other';
  };
}
