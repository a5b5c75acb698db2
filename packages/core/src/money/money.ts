import { CurrencyMismatchError, InvalidMoneyError } from '../errors/money-errors.js';
import { hasMarker } from '../errors/paymigrate-error.js';
import { currency, currencyExponent } from './currency.js';

const moneyMarker = Symbol.for('paymigrate.money');

/** Plain decimal: optional minus, digits, optional dot followed by digits. No exponent, no spaces, no plus. */
const decimalPattern = /^(-?)([0-9]+)(?:\.([0-9]+))?$/;

/** Decimal integer string as written by `toJSON`. */
const integerPattern = /^-?[0-9]+$/;

const maximumSafeInteger = BigInt(Number.MAX_SAFE_INTEGER);
const minimumSafeInteger = BigInt(Number.MIN_SAFE_INTEGER);

/** The JSON form of a `Money`: minor units as a decimal integer string, so amounts beyond 2^53 survive. */
export interface MoneyJson {
  /** Decimal integer string of minor units, e.g. `"1234"` for 12.34 USD, `"-5"` for -0.05 USD. */
  readonly minorUnits: string;
  /** ISO 4217 code, upper case. */
  readonly currency: string;
}

/** Describes a value for an error message without ever throwing (symbols, objects). */
function describeValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

/** Converts a bigint or safe-integer number to bigint; anything else is refused with the fix. */
function toInteger(value: bigint | number, context: string, fix: string): bigint {
  if (typeof value === 'bigint') {
    return value;
  }
  if (Number.isSafeInteger(value)) {
    return BigInt(value);
  }
  throw new InvalidMoneyError(`${context}: ${describeValue(value)} is not a safe integer. ${fix}`);
}

/**
 * An exact amount of money: an integer number of minor units (cents, yen, fils) in one ISO 4217
 * currency. Immutable; every operation returns a new `Money`.
 *
 * Amounts are `bigint` so that no amount is ever rounded by floating point, and amounts of
 * different currencies never mix: arithmetic and ordering across currencies throw
 * `CurrencyMismatchError`. Conversion is always explicit and happens elsewhere.
 *
 * Identity is carried by a `Symbol.for` marker (see `Money.isInstance`), so two installed copies
 * of `@paymigrate/core` recognise each other's amounts.
 *
 * @example Money.fromDecimal('12.34', 'USD').add(Money.of(66, 'USD')).toString() // "13.00 USD"
 */
export class Money {
  private readonly [moneyMarker] = true;

  /** Integer number of minor units (1234n is 12.34 USD, 500n is 500 JPY, 1230n is 1.230 BHD). */
  readonly minorUnits: bigint;

  /** ISO 4217 code, upper case. */
  readonly currency: string;

  private constructor(minorUnits: bigint, currencyCode: string) {
    this.minorUnits = minorUnits;
    this.currency = currencyCode;
    Object.freeze(this);
  }

  /**
   * An amount from integer minor units.
   *
   * @param minorUnits a bigint, or a number that is a safe integer (a `number` with a fraction or
   *   beyond 2^53 - 1 has already lost precision, so it is refused rather than rounded).
   * @throws InvalidMoneyError when `minorUnits` is not a bigint or a safe integer.
   * @throws UnknownCurrencyError for an unknown or non-upper-case code.
   */
  static of(minorUnits: bigint | number, currencyCode: string): Money {
    const code = currency(currencyCode).code;
    const units = toInteger(
      minorUnits,
      `Money.of(…, '${code}')`,
      `Pass integer minor units (1234 for 12.34 ${code}), a bigint beyond 2^53 - 1, or use Money.fromDecimal('12.34', '${code}') for a decimal amount.`,
    );
    return new Money(units, code);
  }

  /**
   * Zero in the given currency.
   *
   * @throws UnknownCurrencyError for an unknown or non-upper-case code.
   */
  static zero(currencyCode: string): Money {
    return Money.of(0n, currencyCode);
  }

  /**
   * Parses a plain decimal string exactly, without floating point: `"12.34"` USD is 1234n,
   * `"-1.5"` USD is -150n, `"500"` JPY is 500n.
   *
   * Fraction digits beyond the currency's exponent are accepted only when they are zeros
   * (`"12.340"` USD), because anything else would need rounding, and rounding money is a
   * business decision the caller must make explicitly.
   *
   * @throws InvalidMoneyError for anything but `-?digits(.digits)?`: no exponent (`1e3`), no
   *   spaces, no plus sign, no thousands separators, no empty string, no lone dot.
   * @throws UnknownCurrencyError for an unknown or non-upper-case code.
   */
  static fromDecimal(decimal: string, currencyCode: string): Money {
    const { code, exponent } = currency(currencyCode);
    const match = typeof decimal === 'string' ? decimalPattern.exec(decimal) : null;
    if (match === null) {
      throw new InvalidMoneyError(
        `Money.fromDecimal(${describeValue(decimal)}, '${code}'): not a plain decimal. Write digits with an optional leading '-' and an optional '.' fraction, e.g. '12.34' or '-0.05'; no spaces, exponents, '+' or separators.`,
      );
    }
    const [, sign = '', integerDigits = '', fractionDigits = ''] = match;
    const kept = fractionDigits.slice(0, exponent);
    const dropped = fractionDigits.slice(exponent);
    if (/[1-9]/.test(dropped)) {
      throw new InvalidMoneyError(
        `Money.fromDecimal('${decimal}', '${code}'): ${fractionDigits.length} fraction digits, but ${code} has ${exponent}. Round the amount explicitly to ${exponent} decimal place(s) before converting.`,
      );
    }
    const magnitude = BigInt(integerDigits + kept.padEnd(exponent, '0'));
    return new Money(sign === '-' ? -magnitude : magnitude, code);
  }

  /**
   * Rebuilds an amount from its JSON form, validating both fields.
   *
   * @throws InvalidMoneyError when the value is not an object, or `minorUnits` is not a decimal
   *   integer string (numbers are refused: JSON numbers lose precision beyond 2^53).
   * @throws UnknownCurrencyError for an unknown or non-upper-case code.
   */
  static fromJSON(json: MoneyJson): Money {
    if (typeof json !== 'object' || json === null) {
      throw new InvalidMoneyError(`Money.fromJSON: expected { minorUnits, currency }, got ${describeValue(json)}.`);
    }
    const { minorUnits, currency: currencyCode } = json;
    if (typeof minorUnits !== 'string' || !integerPattern.test(minorUnits)) {
      throw new InvalidMoneyError(
        `Money.fromJSON: minorUnits must be a decimal integer string such as "1234", got ${describeValue(minorUnits)}. Write it with Money.toJSON().`,
      );
    }
    return Money.of(BigInt(minorUnits), currencyCode);
  }

  /** True for any `Money`, whichever installed copy of `@paymigrate/core` created it. */
  static isInstance(value: unknown): value is Money {
    return hasMarker(value, moneyMarker);
  }

  /** Minor-unit digits of this amount's currency (2 for USD, 0 for JPY, 3 for BHD). */
  get exponent(): number {
    return currencyExponent(this.currency);
  }

  /**
   * The sum of two amounts in the same currency.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  add(other: Money): Money {
    this.assertSameCurrency(other, 'add');
    return new Money(this.minorUnits + other.minorUnits, this.currency);
  }

  /**
   * This amount minus `other`, same currency. The result may be negative.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  subtract(other: Money): Money {
    this.assertSameCurrency(other, 'subtract');
    return new Money(this.minorUnits - other.minorUnits, this.currency);
  }

  /**
   * This amount times an integer (quantities). Fractional factors (tax rates, exchange rates) need
   * a rounding rule and are refused; split amounts with `allocate` instead.
   *
   * @throws InvalidMoneyError when `factor` is not a bigint or a safe integer.
   */
  multiply(factor: bigint | number): Money {
    const integerFactor = toInteger(
      factor,
      `Money.multiply on ${this.toString()}`,
      'Only integer factors are exact; for a fraction (tax, exchange rate) compute the minor units with an explicit rounding rule, or use allocate() to split.',
    );
    return new Money(this.minorUnits * integerFactor, this.currency);
  }

  /**
   * -1, 0 or 1 as this amount is smaller than, equal to or greater than `other`.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  compare(other: Money): -1 | 0 | 1 {
    this.assertSameCurrency(other, 'compare');
    if (this.minorUnits < other.minorUnits) {
      return -1;
    }
    return this.minorUnits > other.minorUnits ? 1 : 0;
  }

  /** Same currency and same minor units. Amounts in different currencies are simply not equal (no throw). */
  equals(other: Money): boolean {
    return this.currency === other.currency && this.minorUnits === other.minorUnits;
  }

  /**
   * `this > other`.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  greaterThan(other: Money): boolean {
    return this.compare(other) > 0;
  }

  /**
   * `this >= other`.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  greaterThanOrEqual(other: Money): boolean {
    return this.compare(other) >= 0;
  }

  /**
   * `this < other`.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  lessThan(other: Money): boolean {
    return this.compare(other) < 0;
  }

  /**
   * `this <= other`.
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  lessThanOrEqual(other: Money): boolean {
    return this.compare(other) <= 0;
  }

  /** True for exactly zero minor units. */
  isZero(): boolean {
    return this.minorUnits === 0n;
  }

  /** True above zero (zero is neither positive nor negative). */
  isPositive(): boolean {
    return this.minorUnits > 0n;
  }

  /** True below zero. */
  isNegative(): boolean {
    return this.minorUnits < 0n;
  }

  /** The same amount with the opposite sign. */
  negate(): Money {
    return new Money(-this.minorUnits, this.currency);
  }

  /** The amount without its sign. */
  absolute(): Money {
    return this.isNegative() ? this.negate() : this;
  }

  /**
   * The smaller of two amounts (this one when equal).
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  min(other: Money): Money {
    return this.compare(other) <= 0 ? this : other;
  }

  /**
   * The greater of two amounts (this one when equal).
   *
   * @throws CurrencyMismatchError when the currencies differ.
   */
  max(other: Money): Money {
    return this.compare(other) >= 0 ? this : other;
  }

  /**
   * Splits this amount by integer ratios so that the parts add up to exactly this amount, using
   * the largest-remainder method: each part gets the floor of its exact share, then the leftover
   * minor units go one each to the parts with the largest remainders (ties: earlier part first).
   * A zero ratio always gets zero. A negative amount is split like its absolute value, negated.
   *
   * @example Money.of(100, 'USD').allocate([1, 1, 1]) // 0.34, 0.33, 0.33 USD
   * @throws InvalidMoneyError when `ratios` is empty, a ratio is not a non-negative safe integer,
   *   or all ratios are zero.
   */
  allocate(ratios: readonly number[]): Money[] {
    if (ratios.length === 0) {
      throw new InvalidMoneyError(`Money.allocate on ${this.toString()}: no ratios given. Pass at least one, e.g. [1, 1] to halve.`);
    }
    const weights = ratios.map((ratio, index) => {
      if (!Number.isSafeInteger(ratio) || ratio < 0) {
        throw new InvalidMoneyError(
          `Money.allocate on ${this.toString()}: ratio #${index} is ${describeValue(ratio)}; ratios must be non-negative integers. Scale fractional ratios up (0.25 and 0.75 become 1 and 3).`,
        );
      }
      return BigInt(ratio);
    });
    const totalWeight = weights.reduce((sum, weight) => sum + weight, 0n);
    if (totalWeight === 0n) {
      throw new InvalidMoneyError(`Money.allocate on ${this.toString()}: all ratios are zero; at least one must be positive.`);
    }
    const magnitude = this.minorUnits < 0n ? -this.minorUnits : this.minorUnits;
    const sign = this.minorUnits < 0n ? -1n : 1n;
    const floors = weights.map((weight) => (magnitude * weight) / totalWeight);
    // The leftover is the sum of the fractional parts, so it is smaller than the number of parts.
    const leftover = magnitude - floors.reduce((sum, part) => sum + part, 0n);
    const byRemainder = weights
      .map((weight, index) => ({ index, remainder: (magnitude * weight) % totalWeight }))
      .sort((left, right) => (left.remainder === right.remainder ? left.index - right.index : left.remainder > right.remainder ? -1 : 1));
    const receivesOneMore = new Set(byRemainder.slice(0, Number(leftover)).map(({ index }) => index));
    return floors.map((floor, index) => new Money((receivesOneMore.has(index) ? floor + 1n : floor) * sign, this.currency));
  }

  /**
   * The amount as a plain decimal string with exactly the currency's exponent digits:
   * `"12.34"` (USD), `"-0.05"` (USD), `"500"` (JPY), `"1.230"` (BHD). No currency, no grouping.
   */
  toDecimalString(): string {
    const exponent = this.exponent;
    const negative = this.minorUnits < 0n;
    const digits = (negative ? -this.minorUnits : this.minorUnits).toString();
    const sign = negative ? '-' : '';
    if (exponent === 0) {
      return sign + digits;
    }
    const padded = digits.padStart(exponent + 1, '0');
    return `${sign}${padded.slice(0, -exponent)}.${padded.slice(-exponent)}`;
  }

  /**
   * The minor units as a `number`, for APIs that want one (Stripe, Adyen).
   *
   * @throws InvalidMoneyError when the amount is beyond ±(2^53 - 1) and would lose precision.
   */
  toNumberOfMinorUnits(): number {
    if (this.minorUnits > maximumSafeInteger || this.minorUnits < minimumSafeInteger) {
      throw new InvalidMoneyError(
        `${this.toString()} is ${this.minorUnits.toString()} minor units, beyond Number.MAX_SAFE_INTEGER: it cannot be a number without losing precision. Keep it as the bigint minorUnits or the toJSON() string.`,
      );
    }
    return Number(this.minorUnits);
  }

  /** The JSON form, `{ minorUnits: "1234", currency: "USD" }`; read it back with `Money.fromJSON`. */
  toJSON(): MoneyJson {
    return { minorUnits: this.minorUnits.toString(), currency: this.currency };
  }

  /** For logs: `"12.34 USD"`. */
  toString(): string {
    return `${this.toDecimalString()} ${this.currency}`;
  }

  private assertSameCurrency(other: Money, operation: string): void {
    if (other.currency !== this.currency) {
      throw new CurrencyMismatchError({ left: this.currency, right: other.currency, operation });
    }
  }
}
