import { InvalidMoneyError, Money, UnknownCurrencyError } from '@paymigrate/core';
import { describe, expect, test } from 'vitest';
import { adyenCurrencyExponent, adyenCurrencyExponentExceptions, adyenMoneyCodec, fromAdyenAmount, toAdyenAmount } from './adyen-money.js';

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** [currency, decimal amount, Adyen wire value, Adyen's decimals] */
const cases: readonly (readonly [string, string, number, number])[] = [
  ['EUR', '12.34', 1234, 2],
  ['USD', '0.01', 1, 2],
  ['GBP', '1000.00', 100000, 2],
  ['CHF', '9.95', 995, 2],
  ['JPY', '500', 500, 0],
  ['KRW', '15000', 15000, 0],
  ['VND', '250000', 250000, 0],
  ['UGX', '3700', 3700, 0],
  ['XOF', '655', 655, 0],
  ['XAF', '655', 655, 0],
  ['XPF', '119', 119, 0],
  ['PYG', '7300', 7300, 0],
  ['RWF', '1000', 1000, 0],
  ['DJF', '178', 178, 0],
  ['GNF', '8600', 8600, 0],
  ['KMF', '450', 450, 0],
  ['VUV', '120', 120, 0],
  ['HUF', '3500.00', 350000, 2],
  ['TWD', '320.50', 32050, 2],
  ['MGA', '4500.00', 450000, 2],
  ['BHD', '1.234', 1234, 3],
  ['KWD', '0.250', 250, 3],
  ['JOD', '7.100', 7100, 3],
  ['OMR', '0.385', 385, 3],
  ['TND', '3.141', 3141, 3],
  ['IQD', '1310.000', 1310000, 3],
  ['LYD', '4.850', 4850, 3],
  ['SEK', '99.90', 9990, 2],
  ['NOK', '129.00', 12900, 2],
  ['DKK', '75.25', 7525, 2],
  ['PLN', '43.10', 4310, 2],
  ['BRL', '5.49', 549, 2],
  ['MXN', '17.99', 1799, 2],
  ['INR', '830.00', 83000, 2],
  ['AUD', '1.50', 150, 2],
  // Adyen's table differs from ISO 4217 for these four.
  ['CLP', '950', 95000, 2],
  ['ISK', '1390', 139000, 2],
  ['IDR', '15500.00', 15500, 0],
  ['CVE', '110.00', 110, 0],
];

describe('Adyen money codec', () => {
  test(`covers at least 30 currencies (${cases.length})`, () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  test.each(cases)('%s %s <-> value %i (%i decimals at Adyen)', (currency, decimal, value, decimals) => {
    const money = Money.fromDecimal(decimal, currency);
    expect(adyenCurrencyExponent(currency)).toBe(decimals);
    expect(toAdyenAmount(money)).toEqual({ value, currency });
    const back = fromAdyenAmount({ value, currency });
    expect(back.toJSON()).toEqual(money.toJSON());
    expect(adyenMoneyCodec.fromAdyen(adyenMoneyCodec.toAdyen(money)).equals(money)).toBe(true);
  });

  test('the documented exceptions are exactly CLP, CVE, IDR and ISK', () => {
    expect(adyenCurrencyExponentExceptions).toEqual({ CLP: 2, CVE: 0, IDR: 0, ISK: 2 });
    expect(Money.of(1, 'ISK').exponent).toBe(0);
    expect(Money.of(1, 'IDR').exponent).toBe(2);
  });

  test('zero is representable everywhere', () => {
    expect(toAdyenAmount(Money.zero('CLP'))).toEqual({ value: 0, currency: 'CLP' });
    expect(toAdyenAmount(Money.zero('IDR'))).toEqual({ value: 0, currency: 'IDR' });
  });

  test('an IDR or CVE amount with sub-units is refused, naming the rounding fix', () => {
    for (const [currency, decimal] of [
      ['IDR', '15500.50'],
      ['CVE', '110.01'],
    ] as const) {
      const error = thrown(() => toAdyenAmount(Money.fromDecimal(decimal, currency)));
      expect(InvalidMoneyError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain(`Adyen's currency table gives ${currency} 0 decimals`);
      expect((error as Error).message).toContain('Round it explicitly first');
    }
  });

  test('a negative amount is refused: refunds are their own operation', () => {
    const error = thrown(() => toAdyenAmount(Money.of(-5, 'EUR')));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('refund');
  });

  test('currencies Adyen does not process are refused, naming the fix', () => {
    for (const currency of ['XAU', 'XTS', 'XDR', 'CLF', 'UYW']) {
      const error = thrown(() => toAdyenAmount(Money.of(1, currency)));
      expect(InvalidMoneyError.isInstance(error), currency).toBe(true);
      expect((error as Error).message).toContain('Convert the amount to a currency Adyen lists');
    }
  });

  test('an amount beyond 2^53 - 1 after conversion is refused', () => {
    const error = thrown(() => toAdyenAmount(Money.of(BigInt(Number.MAX_SAFE_INTEGER), 'ISK')));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('MAX_SAFE_INTEGER');
    expect(toAdyenAmount(Money.of(BigInt(Number.MAX_SAFE_INTEGER), 'EUR')).value).toBe(Number.MAX_SAFE_INTEGER);
  });

  test('an Adyen CLP or ISK amount with sub-units cannot be read as ISO money', () => {
    const error = thrown(() => fromAdyenAmount({ value: 12345, currency: 'CLP' }));
    expect(InvalidMoneyError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('without rounding');
  });

  test('malformed Adyen amounts are refused', () => {
    expect(InvalidMoneyError.isInstance(thrown(() => fromAdyenAmount({ value: 1 })))).toBe(true);
    expect(InvalidMoneyError.isInstance(thrown(() => fromAdyenAmount({ value: -1, currency: 'EUR' })))).toBe(true);
    expect(InvalidMoneyError.isInstance(thrown(() => fromAdyenAmount({ value: 1.5, currency: 'EUR' })))).toBe(true);
    expect(InvalidMoneyError.isInstance(thrown(() => fromAdyenAmount({ currency: 'EUR' })))).toBe(true);
    expect(UnknownCurrencyError.isInstance(thrown(() => fromAdyenAmount({ value: 1, currency: 'ABC' })))).toBe(true);
  });
});
