import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { redactSensitiveData } from '../pci/sensitive-data-scanner.js';

export type { Logger } from 'pino';

/**
 * Key paths pino censors in every log line: card data and secrets must never reach a log even when
 * a caller logs a whole request object. A value scanner (the PCI guard) covers what paths cannot.
 */
export const redactedLogPaths: readonly string[] = [
  'pan',
  'cvv',
  'cvc',
  'cardNumber',
  'card.number',
  'card.cvc',
  'securityCode',
  'track',
  'apiKey',
  'secret',
  'password',
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["stripe-signature"]',
  '*.pan',
  '*.cvv',
  '*.cvc',
  '*.cardNumber',
  '*.securityCode',
  '*.apiKey',
  '*.secret',
  '*.password',
  '*.authorization',
];

/** Options of `createLogger`. */
export interface CreateLoggerOptions {
  /** Minimum level. @default 'info' */
  readonly level?: LoggerOptions['level'];
  /** Logger name, shown as `name` in each line. @default 'paymigrate' */
  readonly name?: string;
  /** Where lines go. @default standard output */
  readonly destination?: DestinationStream;
  /** Extra key paths to censor, added to `redactedLogPaths`. */
  readonly redactPaths?: readonly string[];
  /**
   * Rewrites a log call's arguments before pino formats them. The default masks card numbers,
   * track data and security codes anywhere in the message or the logged objects (PCI guard);
   * pass your own only to add to it.
   */
  readonly scrubArguments?: (argumentsList: unknown[]) => unknown[];
}

/**
 * Creates the structured logger every engine uses: pino with card-data and secret paths censored.
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const scrub = options.scrubArguments ?? scrubCardData;
  const loggerOptions: LoggerOptions = {
    name: options.name ?? 'paymigrate',
    level: options.level ?? 'info',
    redact: { paths: [...redactedLogPaths, ...(options.redactPaths ?? [])], censor: '[redacted]' },
    hooks: {
      logMethod(argumentsList, method) {
        method.apply(this, scrub(argumentsList) as Parameters<typeof method>);
      },
    },
  };
  return options.destination === undefined ? pino(loggerOptions) : pino(loggerOptions, options.destination);
}

/** The default log scrubber: masks cardholder data in every argument of a log call. */
export function scrubCardData(argumentsList: unknown[]): unknown[] {
  return argumentsList.map((argument) => redactSensitiveData(argument));
}
