import type { CardBrand } from '../ports/shared/v1/card.js';

/** The fewest and most digits a primary account number (PAN) has. */
export const panLengthRange = { minimum: 13, maximum: 19 } as const;

/** True when the digits pass the Luhn (mod 10) check that every card number satisfies. */
export function passesLuhnCheck(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let index = digits.length - 1; index >= 0; index -= 1) {
    let digit = digits.charCodeAt(index) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
    double = !double;
  }
  return sum % 10 === 0;
}

interface IssuerRange {
  readonly brand: CardBrand;
  readonly prefixLength: number;
  readonly from: number;
  readonly to: number;
  readonly lengths: readonly number[];
}

const sixteenToNineteen = [16, 17, 18, 19] as const;

/**
 * Issuer identification number ranges of the brands paymigrate knows (DOMAIN.md, "PAN detection
 * in text"). A digit run that passes Luhn but matches no range is not treated as a card number:
 * that is what keeps 13-digit millisecond timestamps (`17…`) and most ids from being flagged.
 */
const issuerRanges: readonly IssuerRange[] = [
  { brand: 'visa', prefixLength: 1, from: 4, to: 4, lengths: [13, 14, 15, 16, 17, 18, 19] },
  { brand: 'mastercard', prefixLength: 2, from: 51, to: 55, lengths: [16] },
  { brand: 'mastercard', prefixLength: 4, from: 2221, to: 2720, lengths: [16] },
  { brand: 'amex', prefixLength: 2, from: 34, to: 34, lengths: [15] },
  { brand: 'amex', prefixLength: 2, from: 37, to: 37, lengths: [15] },
  { brand: 'discover', prefixLength: 4, from: 6011, to: 6011, lengths: sixteenToNineteen },
  { brand: 'discover', prefixLength: 2, from: 65, to: 65, lengths: sixteenToNineteen },
  { brand: 'discover', prefixLength: 3, from: 644, to: 649, lengths: sixteenToNineteen },
  { brand: 'jcb', prefixLength: 4, from: 3528, to: 3589, lengths: sixteenToNineteen },
  { brand: 'unionpay', prefixLength: 2, from: 62, to: 62, lengths: sixteenToNineteen },
  { brand: 'diners', prefixLength: 2, from: 36, to: 36, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'diners', prefixLength: 2, from: 38, to: 38, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'diners', prefixLength: 3, from: 300, to: 305, lengths: [14, 15, 16, 17, 18, 19] },
  { brand: 'maestro', prefixLength: 2, from: 50, to: 50, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
  { brand: 'maestro', prefixLength: 2, from: 56, to: 58, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
  { brand: 'maestro', prefixLength: 4, from: 6304, to: 6304, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
  { brand: 'maestro', prefixLength: 4, from: 6759, to: 6759, lengths: [12, 13, 14, 15, 16, 17, 18, 19] },
];

/** The brand whose issuer range and length fit the digits, or `undefined` when none does. */
export function brandOfCardNumber(digits: string): CardBrand | undefined {
  for (const range of issuerRanges) {
    if (!range.lengths.includes(digits.length)) continue;
    const prefix = Number(digits.slice(0, range.prefixLength));
    if (prefix >= range.from && prefix <= range.to) return range.brand;
  }
  return undefined;
}

/**
 * True when `digits` (digits only) is a plausible primary account number: 13 to 19 digits, a known
 * issuer range with a matching length, and a valid Luhn check digit.
 */
export function isPrimaryAccountNumber(digits: string): boolean {
  return (
    digits.length >= panLengthRange.minimum &&
    digits.length <= panLengthRange.maximum &&
    /^[0-9]+$/.test(digits) &&
    brandOfCardNumber(digits) !== undefined &&
    passesLuhnCheck(digits)
  );
}

/**
 * Masks a card number for display: at most the first six and the last four digits (PCI DSS 3.4.1),
 * every other digit replaced by `*`. Numbers shorter than 13 digits keep only the last four.
 */
export function maskCardNumber(digits: string): string {
  const onlyDigits = digits.replaceAll(/[^0-9]/g, '');
  const keepFirst = onlyDigits.length >= panLengthRange.minimum ? 6 : 0;
  const keepLast = Math.min(4, onlyDigits.length);
  const hidden = onlyDigits.length - keepFirst - keepLast;
  return `${onlyDigits.slice(0, keepFirst)}${'*'.repeat(Math.max(0, hidden))}${onlyDigits.slice(onlyDigits.length - keepLast)}`;
}
