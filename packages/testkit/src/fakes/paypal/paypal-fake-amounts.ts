/**
 * PayPal's own amount rules, as the fake (standing in for PayPal) applies them. Deliberately
 * independent of `@paymigrate/core`'s ISO 4217 data: the fake checks what PayPal checks, so an
 * adapter that gets the codec wrong is refused exactly as PayPal would refuse it.
 */

/**
 * Currencies PayPal accepts for payments, with the number of decimals PayPal allows in `value`
 * (PayPal's currency-codes reference: HUF, JPY and TWD take no decimals). BRL, CNY, INR and MYR
 * are accepted for in-country accounts only; the fake accepts them like any other.
 */
export const payPalFakeCurrencyDecimals: Readonly<Record<string, number>> = Object.freeze({
  AUD: 2,
  BRL: 2,
  CAD: 2,
  CNY: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  HKD: 2,
  HUF: 0,
  INR: 2,
  ILS: 2,
  JPY: 0,
  MYR: 2,
  MXN: 2,
  TWD: 0,
  NZD: 2,
  NOK: 2,
  PHP: 2,
  PLN: 2,
  GBP: 2,
  SGD: 2,
  SEK: 2,
  CHF: 2,
  THB: 2,
  USD: 2,
});

/** An amount PayPal accepted: the currency and the value in units of 10^-decimals. */
export interface PayPalFakeAmount {
  /** ISO 4217 code. */
  readonly currency: string;
  /** The value as an integer number of the smallest unit PayPal allows for the currency. */
  readonly units: bigint;
}

/** Why PayPal refused an amount: the status, the issue code and the field, as PayPal reports them. */
export interface PayPalFakeAmountProblem {
  /** 400 (malformed) or 422 (well-formed but not allowed). */
  readonly status: 400 | 422;
  /** PayPal's issue code, e.g. `DECIMALS_NOT_SUPPORTED`. */
  readonly issue: string;
  /** PayPal's description of the issue. */
  readonly description: string;
  /** JSON pointer of the offending field. */
  readonly field: string;
  /** The offending value, when there is one. */
  readonly value?: string | undefined;
}

const valuePattern = /^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$/;

/**
 * Parses a PayPal `money` object (`{ currency_code, value }`) with PayPal's rules.
 * @param money The object from the request body.
 * @param field JSON pointer of the object, for the error's `field`.
 * @returns The amount, or the problem PayPal reports (zero and negative amounts are refused: no
 *   endpoint the fake serves takes them).
 */
export function parsePayPalAmount(money: unknown, field: string): PayPalFakeAmount | PayPalFakeAmountProblem {
  if (typeof money !== 'object' || money === null) {
    return { status: 400, issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.', field };
  }
  const { currency_code: currencyCode, value } = money as Record<string, unknown>;
  if (typeof currencyCode !== 'string' || currencyCode.length === 0) {
    return { status: 400, issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.', field: `${field}/currency_code` };
  }
  if (typeof value !== 'string' || value.length === 0) {
    return { status: 400, issue: 'MISSING_REQUIRED_PARAMETER', description: 'A required field / parameter is missing.', field: `${field}/value` };
  }
  if (value.length > 32 || !valuePattern.test(value)) {
    return {
      status: 400,
      issue: 'INVALID_PARAMETER_SYNTAX',
      description: 'The value of a field does not conform to the expected format.',
      field: `${field}/value`,
      value,
    };
  }
  const decimals = payPalFakeCurrencyDecimals[currencyCode];
  if (decimals === undefined) {
    return {
      status: 422,
      issue: 'INVALID_CURRENCY_CODE',
      description:
        'Currency code is invalid or is not currently supported. Please refer https://developer.paypal.com/docs/api/reference/currency-codes/ for list of supported currency codes.',
      field: `${field}/currency_code`,
      value: currencyCode,
    };
  }
  const negative = value.startsWith('-');
  const [integerPart = '', fractionPart = ''] = (negative ? value.slice(1) : value).split('.');
  if (fractionPart.length > 0 && decimals === 0) {
    return {
      status: 422,
      issue: 'DECIMALS_NOT_SUPPORTED',
      description: 'Currency does not support decimals. Please refer to https://developer.paypal.com/docs/api/reference/currency-codes/ for more information.',
      field: `${field}/value`,
      value,
    };
  }
  if (fractionPart.length > decimals) {
    return {
      status: 422,
      issue: 'DECIMAL_PRECISION',
      description: 'If the currency supports decimals, only two decimal place precision is supported.',
      field: `${field}/value`,
      value,
    };
  }
  const magnitude = BigInt(`${integerPart === '' ? '0' : integerPart}${fractionPart.padEnd(decimals, '0')}`);
  if (negative || magnitude === 0n) {
    return {
      status: 422,
      issue: 'CANNOT_BE_ZERO_OR_NEGATIVE',
      description: 'Must be greater than zero. If the currency supports decimals, only two decimal place precision is supported.',
      field: `${field}/value`,
      value,
    };
  }
  return { currency: currencyCode, units: magnitude };
}

/** Whether a parse result is a problem rather than an amount. */
export function isAmountProblem(result: PayPalFakeAmount | PayPalFakeAmountProblem): result is PayPalFakeAmountProblem {
  return 'issue' in result;
}

/** Formats an amount as PayPal's `money` object, with exactly the currency's decimals. */
export function formatPayPalAmount(currency: string, units: bigint): { currency_code: string; value: string } {
  const decimals = payPalFakeCurrencyDecimals[currency] ?? 2;
  if (decimals === 0) return { currency_code: currency, value: units.toString() };
  const digits = units.toString().padStart(decimals + 1, '0');
  return { currency_code: currency, value: `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}` };
}
