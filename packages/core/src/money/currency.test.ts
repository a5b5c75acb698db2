import currencyCodes from 'currency-codes';
import { describe, expect, it } from 'vitest';
import { UnknownCurrencyError } from '../errors/money-errors.js';
import { currency, currencyExponent, isCurrencyCode } from './currency.js';

/** Exponents from ISO 4217 (list one). Written out here on purpose: the test checks the data source. */
const expectedExponents: ReadonlyArray<readonly [string, number]> = [
  // zero-decimal
  ['JPY', 0],
  ['KRW', 0],
  ['CLP', 0],
  ['ISK', 0],
  ['UGX', 0],
  ['VND', 0],
  ['PYG', 0],
  ['XAF', 0],
  ['XOF', 0],
  ['XPF', 0],
  ['BIF', 0],
  ['DJF', 0],
  ['GNF', 0],
  ['KMF', 0],
  ['RWF', 0],
  ['VUV', 0],
  // two-decimal, including those some providers treat as zero-decimal (HUF, TWD)
  ['HUF', 2],
  ['TWD', 2],
  ['USD', 2],
  ['EUR', 2],
  ['GBP', 2],
  ['CHF', 2],
  ['CAD', 2],
  ['AUD', 2],
  ['SEK', 2],
  ['INR', 2],
  ['BRL', 2],
  ['MXN', 2],
  ['CNY', 2],
  ['ZAR', 2],
  ['MGA', 2],
  // three-decimal
  ['BHD', 3],
  ['KWD', 3],
  ['JOD', 3],
  ['OMR', 3],
  ['TND', 3],
  ['IQD', 3],
  ['LYD', 3],
  // four-decimal funds
  ['CLF', 4],
  ['UYW', 4],
];

describe('currency', () => {
  it.each(expectedExponents)('%s has exponent %i', (code, exponent) => {
    expect(currency(code).exponent).toBe(exponent);
    expect(currencyExponent(code)).toBe(exponent);
    expect(currency(code).code).toBe(code);
    expect(isCurrencyCode(code)).toBe(true);
  });

  it('covers at least 30 distinct currencies in the exponent table', () => {
    expect(new Set(expectedExponents.map(([code]) => code)).size).toBeGreaterThanOrEqual(30);
  });

  it('takes the name from the ISO 4217 data', () => {
    expect(currency('USD')).toEqual({ code: 'USD', exponent: 2, name: 'US Dollar' });
    expect(currency('JPY').name).toBe('Yen');
  });

  it('agrees with the currency-codes data for every code it knows (no hand-written table)', () => {
    for (const record of currencyCodes.data) {
      expect(currency(record.code)).toEqual({ code: record.code, exponent: record.digits, name: record.currency });
    }
  });

  it('returns the same frozen object every time (cached)', () => {
    const first = currency('EUR');
    expect(currency('EUR')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { exponent: number }).exponent = 5;
    }).toThrow(TypeError);
    expect(currency('EUR').exponent).toBe(2);
  });

  it.each(['usd', 'Usd', 'uSD', 'eur'])('refuses the non-upper-case code %s even though the data would match it', (code) => {
    expect(isCurrencyCode(code)).toBe(false);
    expect(() => currency(code)).toThrow(UnknownCurrencyError);
    expect(() => currencyExponent(code)).toThrow(UnknownCurrencyError);
  });

  it.each(['', 'US', 'USDD', ' USD', 'USD ', 'U$D', '840', 'ABC', 'ZZZ', 'XYZ', 'toString', '__proto__'])(
    'refuses %j',
    (code) => {
      expect(isCurrencyCode(code)).toBe(false);
      expect(() => currency(code)).toThrow(UnknownCurrencyError);
    },
  );

  it('throws UnknownCurrencyError carrying the code and a message naming it and the fix', () => {
    let caught: unknown;
    try {
      currency('usd');
    } catch (error) {
      caught = error;
    }
    expect(UnknownCurrencyError.isInstance(caught)).toBe(true);
    const error = caught as UnknownCurrencyError;
    expect(error.code).toBe('MONEY_UNKNOWN_CURRENCY');
    expect(error.currency).toBe('usd');
    expect(error.message).toContain("'usd'");
    expect(error.message).toContain('upper-case');
  });

  it('refuses values that are not strings even when they print as a valid code', () => {
    const impostor = { toString: () => 'USD' } as unknown as string;
    expect(isCurrencyCode(impostor)).toBe(false);
    expect(() => currency(impostor)).toThrow(UnknownCurrencyError);
    expect(isCurrencyCode(840 as unknown as string)).toBe(false);
    expect(isCurrencyCode(undefined as unknown as string)).toBe(false);
  });
});
