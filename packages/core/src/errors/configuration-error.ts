import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const marker = Symbol.for('paymigrate.error.configuration');

/** A configuration option is missing or invalid. Raised once, at start-up, before any payment runs. */
export class ConfigurationError extends PaymigrateError {
  private readonly [marker] = true;

  /** Dotted path of the offending option, e.g. `stripe.apiKey`. */
  readonly option: string;

  /** What the operator should do, e.g. "set STRIPE_API_KEY or pass apiKey". */
  readonly fix: string;

  constructor(options: { option: string; problem: string; fix: string; cause?: unknown }) {
    super('CONFIGURATION_INVALID', `Option '${options.option}' ${options.problem}. Fix: ${options.fix}.`, {
      cause: options.cause,
    });
    this.name = 'ConfigurationError';
    this.option = options.option;
    this.fix = options.fix;
  }

  static override isInstance(error: unknown): error is ConfigurationError {
    return hasMarker(error, marker);
  }

}
