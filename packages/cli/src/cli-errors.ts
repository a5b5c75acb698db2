import { PaymigrateError } from '@paymigrate/core';

const usageMarker = Symbol.for('paymigrate.error.cli.usage');
const configFileMarker = Symbol.for('paymigrate.error.cli.config-file');
const rehearsalMarker = Symbol.for('paymigrate.error.cli.rehearsal');
const worldMarker = Symbol.for('paymigrate.error.cli.world');

/** Checks a `Symbol.for` marker on an unknown value without throwing. */
function carries(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && marker in value && (value as Record<symbol, unknown>)[marker] === true;
}

/** A command was called with a missing or invalid argument or option. Exit code 2. */
export class CliUsageError extends PaymigrateError {
  private readonly [usageMarker] = true;

  /** The argument or option at fault, e.g. `--percent`. */
  readonly argument: string;

  /** What to do instead. */
  readonly fix: string;

  constructor(options: { readonly argument: string; readonly problem: string; readonly fix: string }) {
    super('CLI_USAGE_INVALID', `${options.argument} ${options.problem}: ${options.fix}`);
    this.name = 'CliUsageError';
    this.argument = options.argument;
    this.fix = options.fix;
  }

  /** True for a `CliUsageError` from any installed copy of the CLI. */
  static override isInstance(error: unknown): error is CliUsageError {
    return carries(error, usageMarker);
  }
}

/**
 * The configuration file is missing, unreadable, not JSON or breaks the schema. The message names
 * the file, the key (`providers.stripe.apiKeyEnvironmentVariable`) and the fix.
 */
export class ConfigFileError extends PaymigrateError {
  private readonly [configFileMarker] = true;

  /** The configuration file. */
  readonly file: string;

  /** Dotted key at fault; `''` for the whole file. */
  readonly key: string;

  /** What to do. */
  readonly fix: string;

  constructor(options: { readonly file: string; readonly key: string; readonly problem: string; readonly fix: string; readonly cause?: unknown }) {
    const subject = options.key === '' ? options.file : `${options.key}`;
    super('CLI_CONFIG_INVALID', `${subject} ${options.problem}: ${options.fix} (in ${options.file})`, { cause: options.cause });
    this.name = 'ConfigFileError';
    this.file = options.file;
    this.key = options.key;
    this.fix = options.fix;
  }

  /** True for a `ConfigFileError` from any installed copy of the CLI. */
  static override isInstance(error: unknown): error is ConfigFileError {
    return carries(error, configFileMarker);
  }
}

/** A rehearsal cannot start or go on (another rehearsal's journal, a phase that failed). */
export class RehearsalError extends PaymigrateError {
  private readonly [rehearsalMarker] = true;

  /** The phase that failed, or `start`. */
  readonly phase: string;

  constructor(options: { readonly code: string; readonly phase: string; readonly message: string; readonly cause?: unknown }) {
    super(options.code, options.message, { cause: options.cause });
    this.name = 'RehearsalError';
    this.phase = options.phase;
  }

  /** True for a `RehearsalError` from any installed copy of the CLI. */
  static override isInstance(error: unknown): error is RehearsalError {
    return carries(error, rehearsalMarker);
  }
}

/**
 * The rehearsal's world (the provider, platform and session-store fakes, in their own process so
 * that they outlive a crash of the rehearsal) could not be started or reached.
 */
export class WorldUnavailableError extends PaymigrateError {
  private readonly [worldMarker] = true;

  /** Where the world was expected, when known. */
  readonly url: string | undefined;

  constructor(options: { readonly message: string; readonly url?: string | undefined; readonly cause?: unknown; readonly isRetryable?: boolean }) {
    super('REHEARSAL_WORLD_UNAVAILABLE', options.message, { cause: options.cause, isRetryable: options.isRetryable ?? false });
    this.name = 'WorldUnavailableError';
    this.url = options.url;
  }

  /** True for a `WorldUnavailableError` from any installed copy of the CLI. */
  static override isInstance(error: unknown): error is WorldUnavailableError {
    return carries(error, worldMarker);
  }
}
