import { currencyExponent, InvalidMoneyError, Money } from '@paymigrate/core';

/** An amount as Adyen's API writes it: `value` in minor units of Adyen's currency table. */
export interface AdyenAmount {
  /** Minor units per Adyen's currency table (not always ISO 4217's). */
  readonly value: number;
  /** ISO 4217 code, upper case. */
  readonly currency: string;
}

/**
 * Currencies whose number of decimals in Adyen's currency table differs from ISO 4217
 * (docs.adyen.com/development-resources/currency-codes: "For CLP, CVE, IDR, and ISK the standard
 * has a different number of decimals"). Adyen's table is leading for the wire amount.
 */
export const adyenCurrencyExponentExceptions: Readonly<Record<string, number>> = Object.freeze({
  /** Chilean peso: ISO 0 decimals, Adyen 2. */
  CLP: 2,
  /** Cape Verde escudo: ISO 2 decimals, Adyen 0. */
  CVE: 0,
  /** Indonesian rupiah: ISO 2 decimals, Adyen 0. */
  IDR: 0,
  /** Icelandic krona: ISO 0 decimals, Adyen 2. */
  ISK: 2,
});

/**
 * ISO 4217 codes that are not currencies Adyen processes: precious metals, supranational units,
 * bond-market units, the testing code and "no currency".
 */
const nonPaymentCodes: ReadonlySet<string> = new Set(['XAG', 'XAU', 'XBA', 'XBB', 'XBC', 'XBD', 'XDR', 'XPD', 'XPT', 'XSU', 'XTS', 'XUA', 'XXX']);

const maximumSafeInteger = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The number of decimals Adyen uses for a currency: Adyen's exception when it has one, else ISO
 * 4217's.
 *
 * @throws UnknownCurrencyError for a code that is not ISO 4217.
 * @throws InvalidMoneyError for a code Adyen does not process (metals, fund codes, `XTS`, four-decimal units).
 */
export function adyenCurrencyExponent(currencyCode: string): number {
  const isoExponent = currencyExponent(currencyCode);
  if (nonPaymentCodes.has(currencyCode) || isoExponent > 3) {
    throw new InvalidMoneyError(
      `Adyen does not process ${currencyCode}: it is not in Adyen's currency table (metals, fund and testing codes and four-decimal units are not payment currencies). Convert the amount to a currency Adyen lists before charging.`,
    );
  }
  return adyenCurrencyExponentExceptions[currencyCode] ?? isoExponent;
}

function powerOfTen(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/**
 * Converts an amount to Adyen's wire form. `Money` holds ISO 4217 minor units; for the four
 * currencies where Adyen's table differs, the value is rescaled (10 ISK is `value: 1000`, 15000 IDR
 * is `value: 15000` although ISO would say 1500000).
 *
 * @throws InvalidMoneyError when the amount is negative, not representable in Adyen's decimals
 *   (a fraction of a rupiah or escudo), beyond 2^53 - 1 after conversion, or in a currency Adyen
 *   does not process. The message names the fix.
 */
export function toAdyenAmount(money: Money): AdyenAmount {
  const { currency } = money;
  const adyenExponent = adyenCurrencyExponent(currency);
  const isoExponent = money.exponent;
  if (money.isNegative()) {
    throw new InvalidMoneyError(
      `${money.toString()} is negative: Adyen amounts are never negative. Pass the absolute amount; money going back to the shopper is a refund, a separate operation.`,
    );
  }
  let value: bigint;
  if (adyenExponent >= isoExponent) {
    value = money.minorUnits * powerOfTen(adyenExponent - isoExponent);
  } else {
    const divisor = powerOfTen(isoExponent - adyenExponent);
    if (money.minorUnits % divisor !== 0n) {
      throw new InvalidMoneyError(
        `${money.toString()} cannot be sent to Adyen: Adyen's currency table gives ${currency} ${adyenExponent} decimals (ISO 4217: ${isoExponent}), so the amount must be a multiple of ${divisor.toString()} minor units. Round it explicitly first (e.g. Money.of(${((money.minorUnits / divisor) * divisor).toString()}n, '${currency}')).`,
      );
    }
    value = money.minorUnits / divisor;
  }
  if (value > maximumSafeInteger) {
    throw new InvalidMoneyError(
      `${money.toString()} is ${value.toString()} in Adyen's minor units, beyond Number.MAX_SAFE_INTEGER: Adyen's JSON amount would lose precision. Split the payment or charge a smaller amount.`,
    );
  }
  return { value: Number(value), currency };
}

/**
 * Converts an amount Adyen sent (a response or a webhook) to `Money`.
 *
 * @throws InvalidMoneyError when `value` is not a non-negative safe integer, or is a fraction of a
 *   unit ISO 4217 cannot hold (e.g. `value: 12345` CLP is 123.45 pesos, but the peso has no ISO
 *   minor unit).
 * @throws UnknownCurrencyError for a currency that is not ISO 4217.
 */
export function fromAdyenAmount(amount: { readonly value?: number | undefined; readonly currency?: string | undefined }): Money {
  const { value, currency } = amount;
  if (typeof currency !== 'string') {
    throw new InvalidMoneyError(`Adyen amount without a currency (value ${String(value)}): cannot read it as money.`);
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidMoneyError(`Adyen amount ${String(value)} ${currency} is not a non-negative safe integer of minor units.`);
  }
  const adyenExponent = adyenCurrencyExponent(currency);
  const isoExponent = currencyExponent(currency);
  const wire = BigInt(value);
  if (adyenExponent <= isoExponent) {
    return Money.of(wire * powerOfTen(isoExponent - adyenExponent), currency);
  }
  const divisor = powerOfTen(adyenExponent - isoExponent);
  if (wire % divisor !== 0n) {
    throw new InvalidMoneyError(
      `Adyen sent ${value} ${currency} minor units (${adyenExponent} decimals in Adyen's table), which is not a whole number of ${currency} as ISO 4217 counts it; the amount cannot be represented without rounding.`,
    );
  }
  return Money.of(wire / divisor, currency);
}

/** The codec as one object, for callers that pass it around. */
export const adyenMoneyCodec = Object.freeze({
  /** See `toAdyenAmount`. */
  toAdyen: toAdyenAmount,
  /** See `fromAdyenAmount`. */
  fromAdyen: fromAdyenAmount,
  /** See `adyenCurrencyExponent`. */
  exponent: adyenCurrencyExponent,
});
