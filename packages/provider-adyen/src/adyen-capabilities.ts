import type { CardBrand, PaymentGatewayCapabilities } from '@paymigrate/core';

/** Card networks Adyen processes by default (its brand codes `visa`, `mc`, `amex`, `discover`, `jcb`, `cup`, `diners`, `maestro`, `cartebancaire`). */
export const adyenDefaultBrands: readonly CardBrand[] = Object.freeze([
  'visa',
  'mastercard',
  'amex',
  'discover',
  'jcb',
  'unionpay',
  'diners',
  'maestro',
  'cartes_bancaires',
]);

/**
 * What the Adyen adapter can do, by default:
 *
 * - `currencies: 'all'`: every currency of Adyen's table; the money codec refuses the codes Adyen
 *   does not process and amounts its table cannot hold.
 * - Partial and multiple captures and refunds: Adyen supports them (multiple partial captures must
 *   be enabled on the merchant account: turn `multipleCaptures` off through the options if not).
 * - `merchantInitiatedWithNetworkTransactionId`: `additionalData.networkTxReference` with
 *   `shopperInteraction: ContAuth`.
 * - `tokenImport: false`: Adyen imports cards from another processor through file exchanges
 *   (the token migration engine), not by API.
 * - `findByMerchantReference: false`: Checkout has no lookup by reference; the adapter only knows
 *   what its ledger saw, which cannot prove that a payment never happened.
 * - `technicalCancel: true`: `POST /cancels` with our merchant reference.
 * - `liveRetrieve: false`: `retrieve` answers from the ledger (API answers and verified webhooks);
 *   a shopper who finished a redirect whose webhook has not arrived still reads as waiting, so core
 *   never cancels an Adyen payment as abandoned: Adyen closes those itself (`OFFER_CLOSED`).
 * - `webhookVerification: 'local-signature'`: HMAC-SHA256 of the notification item.
 */
export const adyenDefaultCapabilities: PaymentGatewayCapabilities = Object.freeze({
  currencies: 'all',
  brands: adyenDefaultBrands,
  partialCapture: true,
  multipleCaptures: true,
  partialRefund: true,
  multipleRefunds: true,
  merchantInitiatedWithNetworkTransactionId: true,
  tokenImport: false,
  findByMerchantReference: false,
  technicalCancel: true,
  liveRetrieve: false,
  webhookVerification: 'local-signature',
} as const);

/** What a merchant may narrow to match its Adyen account configuration. */
export type AdyenCapabilityOverrides = Partial<
  Pick<PaymentGatewayCapabilities, 'currencies' | 'brands' | 'partialCapture' | 'multipleCaptures' | 'partialRefund' | 'multipleRefunds'>
>;

/**
 * The capabilities of an Adyen gateway: the defaults with the account-specific overrides. The
 * flags that describe this adapter itself (token import, lookup, technical cancel, webhook
 * verification) cannot be overridden.
 */
export function adyenCapabilities(overrides: AdyenCapabilityOverrides = {}): PaymentGatewayCapabilities {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return Object.freeze({ ...adyenDefaultCapabilities, ...given });
}
