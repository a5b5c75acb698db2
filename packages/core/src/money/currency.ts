import currencyCodes from 'currency-codes';
import { UnknownCurrencyError } from '../errors/money-errors.js';

/**
 * An ISO 4217 currency as paymigrate sees it.
 *
 * The data comes from the `currency-codes` package (the ISO 4217 list, maintained upstream);
 * paymigrate keeps no hand-written exponent table. Provider quirks (Stripe sending ISK as
 * two-decimal, PayPal refusing decimals for HUF) belong in the provider adapter, not here.
 */
export interface Currency {
  /** The three upper-case letters, e.g. `USD`. */
  readonly code: string;
  /** Number of digits after the decimal point in the minor unit: 2 for USD, 0 for JPY, 3 for BHD. */
  readonly exponent: number;
  /** English name from the ISO 4217 list, e.g. `US Dollar`. */
  readonly name: string;
}

const codePattern = /^[A-Z]{3}$/;
const cache = new Map<string, Currency>();

/**
 * Finds a currency, or `undefined`. Lower-case codes are refused on purpose: `currency-codes`
 * would accept `usd`, but a code that reaches the engine lower-cased has skipped normalization
 * somewhere, and amounts must never be compared across two spellings of one currency.
 */
function lookUp(code: string): Currency | undefined {
  const cached = cache.get(code);
  if (cached !== undefined) {
    return cached;
  }
  if (typeof code !== 'string' || !codePattern.test(code)) {
    return undefined;
  }
  const record = currencyCodes.code(code);
  if (record === undefined) {
    return undefined;
  }
  const found: Currency = Object.freeze({ code: record.code, exponent: record.digits, name: record.currency });
  cache.set(code, found);
  return found;
}

/**
 * The currency for an ISO 4217 code. Results are cached and frozen.
 *
 * Every code the ISO 4217 list knows is accepted, including fund codes (`CLF`, `USN`), metals
 * (`XAU`) and the testing code `XTS`; whether a provider takes them is the adapter's concern.
 *
 * @throws UnknownCurrencyError when the code is not exactly three upper-case letters of a known currency.
 * @example currency('JPY') // { code: 'JPY', exponent: 0, name: 'Yen' }
 */
export function currency(code: string): Currency {
  const found = lookUp(code);
  if (found === undefined) {
    throw new UnknownCurrencyError(String(code));
  }
  return found;
}

/** True when `code` is an upper-case ISO 4217 code known to the currency data. Never throws. */
export function isCurrencyCode(code: string): boolean {
  return lookUp(code) !== undefined;
}

/**
 * The number of minor-unit digits of a currency (2 for USD, 0 for JPY, 3 for KWD, 4 for CLF).
 *
 * @throws UnknownCurrencyError for an unknown or non-upper-case code.
 */
export function currencyExponent(code: string): number {
  return currency(code).exponent;
}
