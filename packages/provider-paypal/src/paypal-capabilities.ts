import type { CardBrand, PaymentGatewayCapabilities } from '@paymigrate/core';
import { payPalCurrencyRules } from './paypal-money.js';
import type { PayPalInCountryCurrency } from './paypal-options.js';

/**
 * What the PayPal adapter can do, for one merchant configuration:
 *
 * - currencies: PayPal's payment currencies (`payPalCurrencyRules`), without the in-country-only
 *   ones (BRL, CNY, INR, MYR) unless the merchant's account enables them;
 * - several partial captures per authorization (`final_capture: false`), several partial refunds
 *   per capture;
 * - merchant-initiated charges carry `stored_credential.previous_network_transaction_reference`;
 * - no token import by API (PayPal imports cards through a processor-to-processor file exchange);
 * - no lookup by merchant reference: Orders v2 has no search, and the Transaction Search API lags
 *   by up to three hours, so it could not prove that a payment never happened (the way out of a lost
 *   answer is to replay the write with the same `PayPal-Request-Id`, which returns the order);
 * - no technical cancel by merchant reference;
 * - `retrieve` reads the order at PayPal (live);
 * - webhooks verified by PayPal's API (`verify-webhook-signature`).
 */
export function payPalCapabilities(options: {
  readonly inCountryCurrencies: readonly PayPalInCountryCurrency[];
  readonly brands: readonly CardBrand[];
}): PaymentGatewayCapabilities {
  const currencies = Object.entries(payPalCurrencyRules)
    .filter(([code, rule]) => !rule.inCountryOnly || options.inCountryCurrencies.includes(code as PayPalInCountryCurrency))
    .map(([code]) => code);
  return Object.freeze({
    currencies: Object.freeze(currencies),
    brands: Object.freeze([...options.brands]),
    partialCapture: true,
    multipleCaptures: true,
    partialRefund: true,
    multipleRefunds: true,
    merchantInitiatedWithNetworkTransactionId: true,
    tokenImport: false,
    findByMerchantReference: false,
    technicalCancel: false,
    liveRetrieve: true,
    webhookVerification: 'provider-api',
  });
}
