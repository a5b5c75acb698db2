import type { PaymentGatewayCapabilities } from '../ports/payment-gateway/v1/payment-gateway-capabilities.js';
import type { CardBrand } from '../ports/shared/v1/card.js';

/** A provider and what it declares it can take (a `PaymentGatewayV1` fits). */
export interface ProviderCapabilitiesEntry {
  /** Provider name. */
  readonly provider: string;
  /** Its declared capabilities. */
  readonly capabilities: PaymentGatewayCapabilities;
}

/**
 * Why `capabilities` cannot take a payment in `currency` with `cardBrand`, or `undefined` when it
 * can. A brand that is not known before authorization is not a constraint.
 */
export function capabilityConstraint(
  provider: string,
  capabilities: PaymentGatewayCapabilities | undefined,
  payment: { readonly currency: string; readonly cardBrand?: CardBrand | undefined },
): string | undefined {
  if (capabilities === undefined) return undefined;
  if (capabilities.currencies !== 'all' && !capabilities.currencies.includes(payment.currency)) {
    return `${provider} does not accept currency ${payment.currency}`;
  }
  if (payment.cardBrand !== undefined && !capabilities.brands.includes(payment.cardBrand)) {
    return `${provider} does not accept card brand ${payment.cardBrand}`;
  }
  return undefined;
}
