import type { CardBrand } from '@paymigrate/core';

/**
 * Adyen's brand codes (the `brand` of a stored payment method, `paymentMethod` of a response or
 * webhook) as prefixes, most specific first: Adyen adds variants such as `mccredit`,
 * `visadankort`, `amex_applepay`, so a prefix identifies the network.
 */
const brandPrefixes: readonly (readonly [prefix: string, brand: CardBrand])[] = [
  ['cartebancaire', 'cartes_bancaires'],
  ['maestro', 'maestro'],
  ['visa', 'visa'],
  ['mc', 'mastercard'],
  ['amex', 'amex'],
  ['discover', 'discover'],
  ['jcb', 'jcb'],
  ['cup', 'unionpay'],
  ['diners', 'diners'],
];

/** Maps an Adyen brand code to a card brand; anything unrecognized is `unknown` (never guessed). */
export function mapAdyenCardBrand(adyenBrand: string | undefined): CardBrand {
  if (adyenBrand === undefined) return 'unknown';
  const code = adyenBrand.toLowerCase();
  return brandPrefixes.find(([prefix]) => code.startsWith(prefix))?.[1] ?? 'unknown';
}
