import type { CardBrand, CardSummary } from '@paymigrate/core';

/** Stripe `card.brand` values -> canonical brands. Anything else (`eftpos_au`, `unknown`, new networks) is `unknown`. */
const brands: Readonly<Record<string, CardBrand>> = {
  amex: 'amex',
  cartes_bancaires: 'cartes_bancaires',
  diners: 'diners',
  discover: 'discover',
  jcb: 'jcb',
  mastercard: 'mastercard',
  unionpay: 'unionpay',
  visa: 'visa',
};

/** Maps Stripe's card brand to a canonical brand; never guesses (`unknown` for anything unlisted). */
export function mapStripeCardBrand(brand: string | null | undefined): CardBrand {
  return typeof brand === 'string' && Object.hasOwn(brands, brand) ? (brands[brand] as CardBrand) : 'unknown';
}

/** Maps Stripe's funding type (`credit`, `debit`, `prepaid`, `unknown`). */
export function mapStripeFunding(funding: string | null | undefined): NonNullable<CardSummary['funding']> {
  return funding === 'credit' || funding === 'debit' || funding === 'prepaid' ? funding : 'unknown';
}

/** The card fields Stripe reports on payment methods and on charges. */
export interface StripeCardFields {
  readonly brand?: string | null | undefined;
  readonly last4?: string | null | undefined;
  readonly exp_month?: number | null | undefined;
  readonly exp_year?: number | null | undefined;
  readonly fingerprint?: string | null | undefined;
  readonly funding?: string | null | undefined;
  readonly country?: string | null | undefined;
}

/**
 * A card summary (brand, last four, expiry, fingerprint) from Stripe's card fields, or `undefined`
 * when Stripe did not report the last four digits or the expiry.
 */
export function toCardSummary(card: StripeCardFields | null | undefined): CardSummary | undefined {
  if (card === null || card === undefined) return undefined;
  const { last4, exp_month: expiryMonth, exp_year: expiryYear } = card;
  if (typeof last4 !== 'string' || !/^[0-9]{4}$/.test(last4) || typeof expiryMonth !== 'number' || typeof expiryYear !== 'number') {
    return undefined;
  }
  return {
    brand: mapStripeCardBrand(card.brand),
    last4,
    expiryMonth,
    expiryYear,
    fingerprint: card.fingerprint ?? undefined,
    funding: mapStripeFunding(card.funding),
    issuingCountry: card.country ?? undefined,
  };
}
