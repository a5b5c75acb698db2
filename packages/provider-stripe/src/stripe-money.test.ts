import { InvalidMoneyError, isCurrencyCode, Money, UnknownCurrencyError } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import {
  fromStripeAmount,
  isStripeCurrency,
  stripeAmountExponent,
  stripePresentmentCurrencies,
  stripeThreeDecimalCurrencies,
  stripeTwoDecimalRepresentedCurrencies,
  stripeZeroDecimalCurrencies,
  toStripeAmount,
} from './stripe-money.js';

/** [currency, minor units (ISO), Stripe amount]. */
const roundTrips: readonly (readonly [string, bigint, number])[] = [
  // Two-decimal currencies: Stripe's amount is the ISO minor units.
  ['USD', 1234n, 1234],
  ['EUR', 1999n, 1999],
  ['GBP', 30n, 30],
  ['CHF', 50n, 50],
  ['CAD', 100000n, 100000],
  ['AUD', 99999999n, 99999999],
  ['SEK', 12345n, 12345],
  ['NOK', 1n, 1],
  ['DKK', 250n, 250],
  ['PLN', 200n, 200],
  ['CZK', 1500n, 1500],
  ['BRL', 5000n, 5000],
  ['MXN', 1000n, 1000],
  ['INR', 5000n, 5000],
  ['SGD', 50n, 50],
  ['HKD', 400n, 400],
  ['NZD', 75n, 75],
  ['ZAR', 1234n, 1234],
  ['AED', 200n, 200],
  ['THB', 1000n, 1000],
  ['IDR', 1500000n, 1500000],
  // HUF and TWD are two-decimal for charges (zero-decimal only for payouts).
  ['HUF', 17550n, 17550],
  ['TWD', 12345n, 12345],
  // Zero-decimal currencies: whole units.
  ['JPY', 500n, 500],
  ['KRW', 15000n, 15000],
  ['CLP', 990n, 990],
  ['VND', 250000n, 250000],
  ['PYG', 7000n, 7000],
  ['XAF', 655n, 655],
  ['XOF', 655n, 655],
  ['XPF', 119n, 119],
  ['BIF', 3000n, 3000],
  ['DJF', 178n, 178],
  ['GNF', 8600n, 8600],
  ['KMF', 450n, 450],
  ['RWF', 1300n, 1300],
  ['VUV', 120n, 120],
  // ISK and UGX: zero-decimal, sent as two decimals ending in 00.
  ['ISK', 5n, 500],
  ['ISK', 1390n, 139000],
  ['UGX', 3700n, 370000],
  // MGA: two decimals in ISO 4217, none at Stripe.
  ['MGA', 450000n, 4500],
  // Three-decimal currencies: the last digit must be 0.
  ['BHD', 5120n, 5120],
  ['KWD', 5130n, 5130],
  ['JOD', 10n, 10],
  ['OMR', 1000n, 1000],
  ['TND', 2500n, 2500],
];

describe('toStripeAmount / fromStripeAmount', () => {
  it(`round-trips ${new Set(roundTrips.map(([code]) => code)).size} currencies`, () => {
    expect(new Set(roundTrips.map(([code]) => code)).size).toBeGreaterThanOrEqual(30);
  });

  it.each(roundTrips)('%s %d minor units <-> Stripe %d', (code, minorUnits, stripeAmount) => {
    const money = Money.of(minorUnits, code);
    expect(toStripeAmount(money)).toEqual({ amount: stripeAmount, currency: code.toLowerCase() });
    expect(fromStripeAmount(stripeAmount, code.toLowerCase()).toJSON()).toEqual(money.toJSON());
  });

  it('sends zero as zero', () => {
    expect(toStripeAmount(Money.zero('USD'))).toEqual({ amount: 0, currency: 'usd' });
  });

  it.each([
    ['BHD', 5124n, 'end in 0'],
    ['KWD', 1n, 'end in 0'],
    ['JOD', 12345n, 'nearest 0.010 JOD'],
    ['OMR', 999n, 'Round it'],
    ['TND', 5n, 'end in 0'],
  ])('refuses %s %d: three-decimal amounts must end in 0', (code, minorUnits, fix) => {
    const error = (() => {
      try {
        toStripeAmount(Money.of(minorUnits, code));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(fix);
  });

  it('refuses MGA with a fraction: Stripe takes whole ariary, and says how to round', () => {
    expect(() => toStripeAmount(Money.of(450050n, 'MGA'))).toThrow(/Round it to a whole MGA first \(e\.g\. 4500 MGA\)/);
  });

  it.each(['IQD', 'LYD', 'CLF', 'XAU', 'XTS', 'USN', 'VES', 'CUC'])('refuses %s, a currency Stripe does not take, naming the fix', (code) => {
    expect(() => toStripeAmount(Money.of(100, code))).toThrow(InvalidMoneyError);
    expect(() => toStripeAmount(Money.of(100, code))).toThrow(/capabilities\.currencies/);
  });

  it('refuses negative amounts (refunds are their own operation)', () => {
    expect(() => toStripeAmount(Money.of(-100, 'USD'))).toThrow(/refund\(\)/);
  });

  it('refuses amounts beyond a safe integer', () => {
    expect(() => toStripeAmount(Money.of(2n ** 60n, 'USD'))).toThrow(/too large/);
    expect(() => toStripeAmount(Money.of(2n ** 55n, 'ISK'))).toThrow(/too large/);
  });

  it.each([
    [12345, 'isk'],
    [50, 'ugx'],
  ])('refuses a Stripe %s amount %d that is not a multiple of 100', (amount, currency) => {
    expect(() => fromStripeAmount(amount, currency)).toThrow(InvalidMoneyError);
  });

  it('refuses a non-integer Stripe amount', () => {
    expect(() => fromStripeAmount(12.5, 'usd')).toThrow(InvalidMoneyError);
    expect(() => fromStripeAmount(Number.NaN, 'usd')).toThrow(InvalidMoneyError);
  });

  it('refuses a currency ISO 4217 does not know', () => {
    expect(() => fromStripeAmount(100, 'xyz')).toThrow(UnknownCurrencyError);
  });

  it('reads back currencies outside the special lists with their ISO exponent', () => {
    expect(fromStripeAmount(1234, 'eur').toString()).toBe('12.34 EUR');
    expect(fromStripeAmount(1234, 'iqd').toString()).toBe('1.234 IQD');
  });
});

describe('currency tables', () => {
  it('lists only ISO 4217 codes, each once', () => {
    for (const code of stripePresentmentCurrencies) expect(isCurrencyCode(code), code).toBe(true);
    expect(new Set(stripePresentmentCurrencies).size).toBe(stripePresentmentCurrencies.length);
    expect(stripePresentmentCurrencies.length).toBeGreaterThan(130);
  });

  it('takes every special-case currency', () => {
    for (const code of [...stripeZeroDecimalCurrencies, ...stripeThreeDecimalCurrencies, ...stripeTwoDecimalRepresentedCurrencies]) {
      expect(isStripeCurrency(code), code).toBe(true);
    }
  });

  it.each([
    ['USD', 2],
    ['JPY', 0],
    ['MGA', 0],
    ['ISK', 2],
    ['UGX', 2],
    ['KWD', 3],
    ['HUF', 2],
    ['TWD', 2],
    ['IQD', 3],
  ])('Stripe amount exponent of %s is %d', (code, exponent) => {
    expect(stripeAmountExponent(code)).toBe(exponent);
  });
});
