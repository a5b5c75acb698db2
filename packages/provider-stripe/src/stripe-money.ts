import { currencyExponent, InvalidMoneyError, isCurrencyCode, Money } from '@paymigrate/core';

/**
 * Presentment currencies Stripe accepts for card payments (Stripe's "Supported currencies" page).
 * An account may accept fewer; narrow them with the `currencies` option.
 */
export const stripePresentmentCurrencies: readonly string[] = Object.freeze(
  (
    'USD AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CVE CZK ' +
    'DJF DKK DOP DZD EGP ETB EUR FJD FKP GBP GEL GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR ISK JMD JOD JPY KES KGS KHR KMF KRW KWD KYD ' +
    'KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR ' +
    'RON RSD RUB RWF SAR SBD SCR SEK SGD SHP SLE SOS SRD SZL THB TJS TND TOP TRY TTD TWD TZS UAH UGX UYU UZS VND VUV WST XAF XCD XOF XPF YER ZAR ZMW'
  ).split(' '),
);

/**
 * Stripe's zero-decimal currencies: the amount has no decimals, whatever ISO 4217 says (MGA has two
 * in ISO, none at Stripe). UGX is listed by Stripe but sent as two-decimal (see below).
 */
export const stripeZeroDecimalCurrencies: readonly string[] = Object.freeze(
  'BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '),
);

/**
 * Zero-decimal currencies Stripe still takes as two-decimal amounts for backwards compatibility:
 * the amount is the whole number times 100 (5 ISK is sent as 500), so it always ends in `00`.
 */
export const stripeTwoDecimalRepresentedCurrencies: readonly string[] = Object.freeze(['ISK', 'UGX']);

/** Three-decimal currencies: Stripe's card partners settle two decimals, so the last digit must be 0. */
export const stripeThreeDecimalCurrencies: readonly string[] = Object.freeze(['BHD', 'JOD', 'KWD', 'OMR', 'TND']);

/** An amount as Stripe's API writes it: an integer in Stripe's unit of the currency, and the lower-case code. */
export interface StripeAmount {
  /** Integer amount in Stripe's units (`1234` is 12.34 USD, `500` is 500 JPY, `500` is 5 ISK). */
  readonly amount: number;
  /** Lower-case ISO 4217 code, as Stripe expects it. */
  readonly currency: string;
}

const presentment = new Set(stripePresentmentCurrencies);
const zeroDecimal = new Set(stripeZeroDecimalCurrencies);
const twoDecimalRepresented = new Set(stripeTwoDecimalRepresentedCurrencies);
const threeDecimal = new Set(stripeThreeDecimalCurrencies);

/**
 * Digits after the decimal point in Stripe's amount for `code` (upper case): 0 for zero-decimal
 * currencies, 2 for ISK and UGX (sent with `00`), 3 for the three-decimal ones, else the ISO exponent.
 *
 * @throws UnknownCurrencyError for a code ISO 4217 does not know.
 */
export function stripeAmountExponent(code: string): number {
  if (twoDecimalRepresented.has(code)) return 2;
  if (zeroDecimal.has(code)) return 0;
  if (threeDecimal.has(code)) return 3;
  return currencyExponent(code);
}

/** Whether Stripe accepts `code` (upper case) as a presentment currency. */
export function isStripeCurrency(code: string): boolean {
  return presentment.has(code);
}

/**
 * Converts an amount to Stripe's wire form, refusing what Stripe cannot represent: currencies it
 * does not take, negative amounts, MGA with a fraction (Stripe takes whole ariary), three-decimal
 * amounts whose last digit is not 0, and amounts beyond `Number.MAX_SAFE_INTEGER`.
 *
 * @throws InvalidMoneyError naming the fix.
 * @example toStripeAmount(Money.of(5, 'ISK')) // { amount: 500, currency: 'isk' }
 */
export function toStripeAmount(money: Money): StripeAmount {
  const code = money.currency;
  if (!presentment.has(code)) {
    throw new InvalidMoneyError(
      `Stripe does not accept ${code} for card payments. Keep ${code} payments on a provider that takes it (check capabilities.currencies before routing).`,
    );
  }
  if (money.isNegative()) {
    throw new InvalidMoneyError(`${money.toString()} is negative; Stripe amounts are positive. Send refunds through refund(), not as negative amounts.`);
  }
  const isoExponent = money.exponent;
  const wireExponent = stripeAmountExponent(code);
  let units: bigint;
  if (wireExponent >= isoExponent) {
    units = money.minorUnits * 10n ** BigInt(wireExponent - isoExponent);
  } else {
    const factor = 10n ** BigInt(isoExponent - wireExponent);
    if (money.minorUnits % factor !== 0n) {
      throw new InvalidMoneyError(
        `Stripe takes ${code} without decimals, so ${money.toString()} cannot be sent. Round it to a whole ${code} first (e.g. ${(money.minorUnits / factor).toString()} ${code}).`,
      );
    }
    units = money.minorUnits / factor;
  }
  if (threeDecimal.has(code) && units % 10n !== 0n) {
    throw new InvalidMoneyError(
      `Stripe needs ${code} amounts to end in 0 (its card partners settle two decimals), so ${money.toString()} cannot be sent. Round it to the nearest 0.010 ${code} (5.124 becomes 5.120 or 5.130).`,
    );
  }
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidMoneyError(`${money.toString()} is too large for Stripe's integer amount. Split it into several payments.`);
  }
  return { amount: Number(units), currency: code.toLowerCase() };
}

/**
 * Reads an amount Stripe sent (`amount`, `currency` in Stripe's lower case) back into `Money`.
 *
 * @throws InvalidMoneyError when the amount is not a safe integer or, for ISK and UGX, not a
 *   multiple of 100 (Stripe never sends those; one means the answer is not what we think it is).
 * @throws UnknownCurrencyError for a code ISO 4217 does not know.
 */
export function fromStripeAmount(amount: number, currency: string): Money {
  const code = currency.toUpperCase();
  if (!Number.isSafeInteger(amount)) {
    throw new InvalidMoneyError(`Stripe amount ${String(amount)} ${code} is not an integer; Stripe amounts are integers in its units.`);
  }
  if (!isCurrencyCode(code)) {
    // Let Money report the unknown code with its own error.
    return Money.of(amount, code);
  }
  const isoExponent = currencyExponent(code);
  const wireExponent = stripeAmountExponent(code);
  if (wireExponent > isoExponent) {
    const factor = 10 ** (wireExponent - isoExponent);
    if (amount % factor !== 0) {
      throw new InvalidMoneyError(`Stripe amount ${amount} ${code} is not a multiple of ${factor}; Stripe sends ${code} as whole units times ${factor}.`);
    }
    return Money.of(amount / factor, code);
  }
  return Money.of(BigInt(amount) * 10n ** BigInt(isoExponent - wireExponent), code);
}
