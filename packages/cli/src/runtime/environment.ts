import { ConfigFileError } from '../cli-errors.js';

/** Environment variables, as `process.env` holds them. */
export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads the secret an environment variable named in the configuration holds.
 *
 * @param environment Where to read (normally `process.env`).
 * @param variable The variable's name, as written in the configuration.
 * @param key The configuration key that names the variable (`providers.stripe.apiKeyEnvironmentVariable`).
 * @param source The configuration file, for the message.
 * @param holds What the secret is, in words (`the Stripe secret key`).
 * @throws ConfigFileError naming the variable, the key and the fix when it is unset or blank.
 */
export function readSecret(environment: Environment, variable: string, key: string, source: string, holds: string): string {
  const value = environment[variable];
  if (value === undefined || value.trim() === '') {
    throw new ConfigFileError({
      file: source,
      key,
      problem: `names the environment variable ${variable}, which is not set`,
      fix: `export ${variable} with ${holds} before running paymigrate, or point ${key} at the variable that holds it`,
    });
  }
  return value;
}

/** Reads an optional secret: `undefined` when the configuration names no variable. */
export function readOptionalSecret(environment: Environment, variable: string | undefined, key: string, source: string, holds: string): string | undefined {
  return variable === undefined ? undefined : readSecret(environment, variable, key, source, holds);
}
