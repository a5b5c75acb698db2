import type { CardBrand, CardSummary } from '@paymigrate/core';

/**
 * PayPal `card_brand` -> canonical brand. Visa Electron and Visa Delta are Visa products; Solo and
 * Switch were Maestro-family debit schemes; CB_NATIONALE is Cartes Bancaires. STAR (a US debit
 * network) and the French private-label brands (Cetelem, Confidis, Cofinoga) have no canonical
 * name: `unknown`, never a guess.
 */
export const payPalCardBrandTable: Readonly<Record<string, CardBrand>> = Object.freeze({
  VISA: 'visa',
  ELECTRON: 'visa',
  DELTA: 'visa',
  MASTERCARD: 'mastercard',
  AMEX: 'amex',
  DISCOVER: 'discover',
  JCB: 'jcb',
  CHINA_UNION_PAY: 'unionpay',
  MAESTRO: 'maestro',
  SOLO: 'maestro',
  SWITCH: 'maestro',
  CB_NATIONALE: 'cartes_bancaires',
  STAR: 'unknown',
  CETELEM: 'unknown',
  CONFIDIS: 'unknown',
  CONFIGOGA: 'unknown',
});

/** Canonical brand of a PayPal brand name; anything unlisted is `unknown`. */
export function mapPayPalCardBrand(brand: string | undefined): CardBrand {
  return (brand !== undefined && Object.hasOwn(payPalCardBrandTable, brand) ? payPalCardBrandTable[brand] : undefined) ?? 'unknown';
}

/** PayPal `card.type` -> canonical funding. */
const fundingTable: Readonly<Record<string, CardSummary['funding']>> = { CREDIT: 'credit', DEBIT: 'debit', PREPAID: 'prepaid', STORE: 'credit', UNKNOWN: 'unknown' };

/** What PayPal reports about a card (camelCase, as the SDK hands it over). */
export interface PayPalCardLike {
  /** `card_brand`. */
  readonly brand?: string | undefined;
  /** Last digits (PayPal sends two or more; the summary keeps four). */
  readonly lastDigits?: string | undefined;
  /** `YYYY-MM`. */
  readonly expiry?: string | undefined;
  /** `CREDIT`, `DEBIT`, `PREPAID`, `STORE`, `UNKNOWN`. */
  readonly type?: string | undefined;
}

/**
 * The safe summary of a PayPal card (brand, last four, expiry, funding), or `undefined` when PayPal
 * did not send enough to build one. PayPal exposes no card fingerprint, so `fingerprint` stays empty.
 */
export function payPalCardSummary(card: PayPalCardLike | undefined): CardSummary | undefined {
  const lastDigits = card?.lastDigits;
  const expiry = /^([0-9]{4})-(0[1-9]|1[0-2])$/.exec(card?.expiry ?? '');
  if (card === undefined || lastDigits === undefined || !/^[0-9]{4,}$/.test(lastDigits) || expiry === null) return undefined;
  const funding = card.type !== undefined && Object.hasOwn(fundingTable, card.type) ? fundingTable[card.type] : undefined;
  return {
    brand: mapPayPalCardBrand(card.brand),
    last4: lastDigits.slice(-4),
    expiryYear: Number(expiry[1]),
    expiryMonth: Number(expiry[2]),
    ...(funding === undefined ? {} : { funding }),
  };
}
