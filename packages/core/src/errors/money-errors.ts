import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const mismatchMarker = Symbol.for('paymigrate.error.currency-mismatch');
const invalidMarker = Symbol.for('paymigrate.error.invalid-money');
const unknownCurrencyMarker = Symbol.for('paymigrate.error.unknown-currency');

/** Arithmetic or comparison was attempted between two different currencies. */
export class CurrencyMismatchError extends PaymigrateError {
  private readonly [mismatchMarker] = true;

  /** Currency of the left-hand amount. */
  readonly left: string;

  /** Currency of the right-hand amount. */
  readonly right: string;

  constructor(options: { left: string; right: string; operation: string }) {
    super(
      'MONEY_CURRENCY_MISMATCH',
      `Cannot ${options.operation} ${options.left} and ${options.right}: amounts in different currencies never mix. Convert explicitly first.`,
    );
    this.name = 'CurrencyMismatchError';
    this.left = options.left;
    this.right = options.right;
  }

  static override isInstance(error: unknown): error is CurrencyMismatchError {
    return hasMarker(error, mismatchMarker);
  }
}

/** An amount is not a valid number of minor units for its currency (fraction, unsafe integer, bad decimal). */
export class InvalidMoneyError extends PaymigrateError {
  private readonly [invalidMarker] = true;

  constructor(message: string) {
    super('MONEY_INVALID', message);
    this.name = 'InvalidMoneyError';
  }

  static override isInstance(error: unknown): error is InvalidMoneyError {
    return hasMarker(error, invalidMarker);
  }
}

/** A currency code is not an active ISO 4217 code. */
export class UnknownCurrencyError extends PaymigrateError {
  private readonly [unknownCurrencyMarker] = true;

  /** The code that was given. */
  readonly currency: string;

  constructor(currency: string) {
    super(
      'MONEY_UNKNOWN_CURRENCY',
      `'${currency}' is not an ISO 4217 currency code. Use the three upper-case letters, e.g. 'USD', 'EUR', 'JPY'.`,
    );
    this.name = 'UnknownCurrencyError';
    this.currency = currency;
  }

  static override isInstance(error: unknown): error is UnknownCurrencyError {
    return hasMarker(error, unknownCurrencyMarker);
  }
}
