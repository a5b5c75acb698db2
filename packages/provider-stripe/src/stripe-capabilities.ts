import type { CardBrand, PaymentGatewayCapabilities } from '@paymigrate/core';
import { stripePresentmentCurrencies } from './stripe-money.js';

/** Card networks Stripe takes by default (Maestro cards arrive as `mastercard`). */
export const stripeCardBrands: readonly CardBrand[] = Object.freeze([
  'visa',
  'mastercard',
  'amex',
  'discover',
  'jcb',
  'unionpay',
  'diners',
  'cartes_bancaires',
]);

/** What shapes the capabilities of one configured Stripe gateway. */
export interface StripeCapabilityOptions {
  /** Currencies the account takes; Stripe's full presentment list when absent. */
  readonly currencies?: readonly string[] | undefined;
  /** Brands the account takes; `stripeCardBrands` when absent. */
  readonly brands?: readonly CardBrand[] | undefined;
  /** Whether Stripe enabled `mit_exemption` (network transaction ids) on the account. */
  readonly networkTransactionIdExemption: boolean;
}

/**
 * The capabilities of a Stripe gateway:
 * - one capture per authorization (`multipleCaptures: false`): without multicapture, Stripe
 *   releases the uncaptured rest at the first capture; partial captures and several partial refunds
 *   are fine;
 * - `findByMerchantReference` through the Search API (eventually consistent, see the gateway);
 * - no token import by API (Stripe imports cards from other processors by file, through support)
 *   and no technical cancel by merchant reference;
 * - `retrieve` reads the PaymentIntent at Stripe (live);
 * - webhooks verified locally (HMAC-SHA256, 300 s tolerance).
 */
export function stripeCapabilities(options: StripeCapabilityOptions): PaymentGatewayCapabilities {
  return Object.freeze({
    currencies: Object.freeze([...(options.currencies ?? stripePresentmentCurrencies)]),
    brands: Object.freeze([...(options.brands ?? stripeCardBrands)]),
    partialCapture: true,
    multipleCaptures: false,
    partialRefund: true,
    multipleRefunds: true,
    merchantInitiatedWithNetworkTransactionId: options.networkTransactionIdExemption,
    tokenImport: false,
    findByMerchantReference: true,
    technicalCancel: false,
    liveRetrieve: true,
    webhookVerification: 'local-signature',
  });
}
