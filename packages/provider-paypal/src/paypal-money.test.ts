import { InvalidMoneyError, Money, UnknownCurrencyError } from '@paymigrate/core';
import { describe, expect, it } from 'vitest';
import { fromPayPalAmount, isPayPalCurrency, payPalCurrencyRules, toPayPalAmount } from './paypal-money.js';

/** Currencies PayPal takes: minor units -> PayPal value -> back. */
const supported: readonly (readonly [currency: string, minorUnits: bigint, value: string])[] = [
  ['USD', 1234n, '12.34'],
  ['EUR', 5n, '0.05'],
  ['GBP', 100000n, '1000.00'],
  ['AUD', 999n, '9.99'],
  ['CAD', 1n, '0.01'],
  ['CHF', 250n, '2.50'],
  ['CZK', 10000n, '100.00'],
  ['DKK', 4995n, '49.95'],
  ['HKD', 88888n, '888.88'],
  ['ILS', 12n, '0.12'],
  ['MXN', 123456n, '1234.56'],
  ['NOK', 7000n, '70.00'],
  ['NZD', 101n, '1.01'],
  ['PHP', 99900n, '999.00'],
  ['PLN', 1999n, '19.99'],
  ['SEK', 30000n, '300.00'],
  ['SGD', 42n, '0.42'],
  ['THB', 5000n, '50.00'],
  ['BRL', 1500n, '15.00'],
  ['CNY', 8800n, '88.00'],
  ['INR', 49900n, '499.00'],
  ['MYR', 1050n, '10.50'],
  // PayPal's exceptions: no decimals.
  ['JPY', 1500n, '1500'],
  ['HUF', 150000n, '1500'],
  ['TWD', 30000n, '300'],
];

/** ISO currencies PayPal does not take at all (zero-, three-decimal and others). */
const unsupported: readonly string[] = ['KRW', 'CLP', 'ISK', 'UGX', 'BHD', 'KWD', 'JOD', 'OMR', 'TND', 'VND', 'XOF', 'ZAR', 'RUB', 'TRY', 'AED', 'SAR', 'CLF'];

describe('toPayPalAmount / fromPayPalAmount', () => {
  it('covers more than 30 currencies, including every special case', () => {
    expect(supported.length + unsupported.length).toBeGreaterThanOrEqual(30);
    for (const code of ['JPY', 'KRW', 'CLP', 'ISK', 'UGX', 'HUF', 'TWD', 'BHD', 'KWD', 'JOD', 'OMR', 'TND']) {
      expect([...supported.map(([currency]) => currency), ...unsupported]).toContain(code);
    }
  });

  it.each(supported)('%s: %s minor units <-> "%s"', (currency, minorUnits, value) => {
    const amount = Money.of(minorUnits, currency);
    expect(toPayPalAmount(amount)).toEqual({ currencyCode: currency, value });
    expect(fromPayPalAmount({ currencyCode: currency, value }).equals(amount)).toBe(true);
    expect(isPayPalCurrency(currency)).toBe(true);
  });

  it.each(unsupported)('%s is refused with a fix, before any call', (currency) => {
    const amount = Money.of(1000n, currency);
    expect(isPayPalCurrency(currency)).toBe(false);
    let thrown: unknown;
    try {
      toPayPalAmount(amount);
    } catch (error) {
      thrown = error;
    }
    expect(InvalidMoneyError.isInstance(thrown)).toBe(true);
    expect((thrown as Error).message).toContain(`PayPal does not accept ${currency}`);
    expect((thrown as Error).message).toMatch(/Route .* to a provider that takes it/);
  });

  it.each([
    ['HUF', 150050n],
    ['HUF', 1n],
    ['TWD', 30001n],
    ['TWD', 99n],
  ])('%s %s minor units (a fraction of a unit) is refused with the rounding fix', (currency, minorUnits) => {
    expect(() => toPayPalAmount(Money.of(minorUnits, currency))).toThrow(/only in whole units .* multiple of 100 minor units/);
  });

  it('refuses zero and negative amounts', () => {
    expect(() => toPayPalAmount(Money.zero('USD'))).toThrow(InvalidMoneyError);
    expect(() => toPayPalAmount(Money.of(-5, 'USD'))).toThrow(/only amounts greater than zero/);
  });

  it('refuses a value longer than PayPal allows', () => {
    expect(() => toPayPalAmount(Money.of(10n ** 31n, 'USD'))).toThrow(/more than 32 characters/);
    expect(toPayPalAmount(Money.of(10n ** 30n, 'USD')).value).toHaveLength(32);
  });

  it('reads zero-padded answers and refuses answers that would need rounding', () => {
    expect(fromPayPalAmount({ currencyCode: 'HUF', value: '1500.00' }).minorUnits).toBe(150000n);
    expect(fromPayPalAmount({ currencyCode: 'USD', value: '12.3' }).minorUnits).toBe(1230n);
    expect(fromPayPalAmount({ currencyCode: 'JPY', value: '1500.00' }).minorUnits).toBe(1500n);
    expect(() => fromPayPalAmount({ currencyCode: 'USD', value: '12.345' })).toThrow(InvalidMoneyError);
    expect(() => fromPayPalAmount({ currencyCode: 'JPY', value: '1500.5' })).toThrow(InvalidMoneyError);
    expect(() => fromPayPalAmount({ currencyCode: 'usd', value: '1.00' })).toThrow(UnknownCurrencyError);
  });

  it('refuses a missing amount', () => {
    expect(() => fromPayPalAmount(undefined)).toThrow(/without an amount/);
    expect(() => fromPayPalAmount({ currencyCode: 'USD' })).toThrow(InvalidMoneyError);
    expect(() => fromPayPalAmount({ value: '1.00' })).toThrow(InvalidMoneyError);
  });

  it('marks exactly BRL, CNY, INR and MYR as in-country only', () => {
    const inCountry = Object.entries(payPalCurrencyRules)
      .filter(([, rule]) => rule.inCountryOnly)
      .map(([code]) => code)
      .sort();
    expect(inCountry).toEqual(['BRL', 'CNY', 'INR', 'MYR']);
    expect(Object.keys(payPalCurrencyRules)).toHaveLength(25);
  });
});
