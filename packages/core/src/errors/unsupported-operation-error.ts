import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const marker = Symbol.for('paymigrate.error.unsupported-operation');

/**
 * An adapter was asked for something its declared capabilities exclude (a partial capture on a
 * provider without it, a currency it does not take). Core checks capabilities first; reaching this
 * error means a capability declaration is wrong or was ignored.
 */
export class UnsupportedOperationError extends PaymigrateError {
  private readonly [marker] = true;

  /** The adapter that refused (`stripe`, `memcached`, ...). */
  readonly component: string;

  /** The operation that was refused. */
  readonly operation: string;

  constructor(options: { component: string; operation: string; reason: string }) {
    super('UNSUPPORTED_OPERATION', `${options.component} does not support ${options.operation}: ${options.reason}.`);
    this.name = 'UnsupportedOperationError';
    this.component = options.component;
    this.operation = options.operation;
  }

  static override isInstance(error: unknown): error is UnsupportedOperationError {
    return hasMarker(error, marker);
  }
}
