import { InvalidMoneyError, Money } from '@paymigrate/core';

/** PayPal's wire form of an amount (`money` in PayPal's specs; the SDK camelCases `currency_code`). */
export interface PayPalAmount {
  /** ISO 4217 code. */
  readonly currencyCode: string;
  /** Decimal string with exactly the decimals PayPal allows for the currency: `"12.34"`, `"1500"` (JPY, HUF, TWD). */
  readonly value: string;
}

/** How PayPal treats one currency. */
export interface PayPalCurrencyRule {
  /** Decimals PayPal accepts in `value` (0 for HUF, JPY, TWD; 2 for every other PayPal currency). */
  readonly decimals: number;
  /** PayPal takes the currency only for accounts registered in its country (BRL, CNY, INR, MYR). */
  readonly inCountryOnly: boolean;
}

/**
 * The currencies PayPal accepts for payments (PayPal REST reference, "Currency codes"), with its
 * exceptions to ISO 4217: HUF and TWD have two ISO decimals but PayPal refuses decimals for them
 * ("If you pass a decimal amount, an error occurs"); JPY has none either way.
 */
export const payPalCurrencyRules: Readonly<Record<string, PayPalCurrencyRule>> = Object.freeze({
  AUD: { decimals: 2, inCountryOnly: false },
  BRL: { decimals: 2, inCountryOnly: true },
  CAD: { decimals: 2, inCountryOnly: false },
  CHF: { decimals: 2, inCountryOnly: false },
  CNY: { decimals: 2, inCountryOnly: true },
  CZK: { decimals: 2, inCountryOnly: false },
  DKK: { decimals: 2, inCountryOnly: false },
  EUR: { decimals: 2, inCountryOnly: false },
  GBP: { decimals: 2, inCountryOnly: false },
  HKD: { decimals: 2, inCountryOnly: false },
  HUF: { decimals: 0, inCountryOnly: false },
  ILS: { decimals: 2, inCountryOnly: false },
  INR: { decimals: 2, inCountryOnly: true },
  JPY: { decimals: 0, inCountryOnly: false },
  MXN: { decimals: 2, inCountryOnly: false },
  MYR: { decimals: 2, inCountryOnly: true },
  NOK: { decimals: 2, inCountryOnly: false },
  NZD: { decimals: 2, inCountryOnly: false },
  PHP: { decimals: 2, inCountryOnly: false },
  PLN: { decimals: 2, inCountryOnly: false },
  SEK: { decimals: 2, inCountryOnly: false },
  SGD: { decimals: 2, inCountryOnly: false },
  THB: { decimals: 2, inCountryOnly: false },
  TWD: { decimals: 0, inCountryOnly: false },
  USD: { decimals: 2, inCountryOnly: false },
});

/** PayPal's limit on the length of `value`. */
const maximumValueLength = 32;

/** The supported codes, for error messages. */
const supportedList = Object.keys(payPalCurrencyRules).join(', ');

/** The rule for a currency, or an `InvalidMoneyError` naming the fix. */
function ruleFor(currencyCode: string, context: string): PayPalCurrencyRule {
  const rule = payPalCurrencyRules[currencyCode];
  if (rule === undefined) {
    throw new InvalidMoneyError(
      `${context}: PayPal does not accept ${currencyCode}. Route ${currencyCode} payments to a provider that takes it (capabilities.currencies lists what PayPal takes: ${supportedList}), or convert the amount to one of those currencies before paying.`,
    );
  }
  return rule;
}

/**
 * Converts an amount to PayPal's wire form.
 *
 * - The currency must be one PayPal takes (see {@link payPalCurrencyRules}).
 * - HUF and TWD go out as whole units: 1,500.00 HUF (150000 minor units) is `"1500"`; an amount
 *   with fillér/cents (150050 minor units) is refused, because PayPal rejects decimals there.
 * - The amount must be positive: no PayPal endpoint the adapter calls takes zero or less.
 *
 * @throws InvalidMoneyError with the fix, when PayPal cannot represent the amount.
 * @example toPayPalAmount(Money.of(1234, 'USD')) // { currencyCode: 'USD', value: '12.34' }
 */
export function toPayPalAmount(amount: Money): PayPalAmount {
  const context = `PayPal amount ${amount.toString()}`;
  const rule = ruleFor(amount.currency, context);
  if (!amount.isPositive()) {
    throw new InvalidMoneyError(`${context}: PayPal takes only amounts greater than zero. Skip the call for a zero amount; a negative amount is a bug upstream.`);
  }
  const dropped = amount.exponent - rule.decimals;
  let value: string;
  if (dropped > 0) {
    const divisor = 10n ** BigInt(dropped);
    if (amount.minorUnits % divisor !== 0n) {
      throw new InvalidMoneyError(
        `${context}: PayPal accepts ${amount.currency} only in whole units (no decimals). Round to a whole ${amount.currency} amount (a multiple of ${divisor.toString()} minor units) before charging.`,
      );
    }
    value = (amount.minorUnits / divisor).toString();
  } else {
    value = amount.toDecimalString();
  }
  if (value.length > maximumValueLength) {
    throw new InvalidMoneyError(`${context}: the value has more than ${maximumValueLength} characters, PayPal's limit. Split the payment.`);
  }
  return { currencyCode: amount.currency, value };
}

/**
 * Reads an amount PayPal sent back. Accepts PayPal's own form (`"1500"` HUF, `"12.34"` USD) and
 * zero-padded variants (`"1500.00"` HUF), and refuses anything that would need rounding.
 *
 * @throws InvalidMoneyError when the amount is missing or not a plain decimal, or has more
 *   decimals than the currency (a malformed answer must never be rounded into a wrong amount).
 * @throws UnknownCurrencyError when the code is not ISO 4217.
 * @example fromPayPalAmount({ currencyCode: 'HUF', value: '1500' }) // Money.of(150000, 'HUF')
 */
export function fromPayPalAmount(amount: { readonly currencyCode?: string | undefined; readonly value?: string | undefined } | undefined): Money {
  if (amount === undefined || typeof amount.currencyCode !== 'string' || typeof amount.value !== 'string') {
    throw new InvalidMoneyError('PayPal answered without an amount (currency_code and value) where one is required; the answer is malformed.');
  }
  return Money.fromDecimal(amount.value, amount.currencyCode);
}

/**
 * Whether PayPal takes a currency at all (in-country-only currencies count: whether this merchant
 * may use them is `capabilities.currencies`). Never throws.
 */
export function isPayPalCurrency(currencyCode: string): boolean {
  return payPalCurrencyRules[currencyCode] !== undefined;
}
