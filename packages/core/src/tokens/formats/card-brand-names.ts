import type { CardBrand } from '../../ports/shared/v1/card.js';

/** Brand spellings of mapping files (Stripe `Visa`, Adyen variants `mc`, `amex`, `cup`, ...), lower-cased, without spaces, dashes and underscores. */
const brandNames: Readonly<Record<string, CardBrand>> = {
  visa: 'visa',
  visadebit: 'visa',
  visacredit: 'visa',
  electron: 'visa',
  visaelectron: 'visa',
  mastercard: 'mastercard',
  mc: 'mastercard',
  mcdebit: 'mastercard',
  mccredit: 'mastercard',
  amex: 'amex',
  americanexpress: 'amex',
  discover: 'discover',
  jcb: 'jcb',
  unionpay: 'unionpay',
  cup: 'unionpay',
  chinaunionpay: 'unionpay',
  diners: 'diners',
  dinersclub: 'diners',
  maestro: 'maestro',
  cartesbancaires: 'cartes_bancaires',
  cartebancaire: 'cartes_bancaires',
  cb: 'cartes_bancaires',
};

/** The canonical brand of a file's brand text; `unknown` when the text names no brand paymigrate knows. */
export function normalizeCardBrand(text: string | undefined): CardBrand {
  if (text === undefined) return 'unknown';
  // Most files spell brands one canonical way: an exact hit skips lower-casing and stripping per row.
  if (Object.hasOwn(brandNames, text)) return brandNames[text] as CardBrand;
  return brandNames[text.toLowerCase().replaceAll(/[\s_-]/g, '')] ?? 'unknown';
}
