import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliUsageError } from '../cli-errors.js';
import { exampleConfig } from '../config/example-config.js';
import type { CommandIo } from '../output/command-io.js';

/** Options of `paymigrate init`. */
export interface InitOptions {
  /** Where to write. */
  readonly config: string;
  /** Overwrite an existing file. */
  readonly force: boolean;
}

/**
 * `paymigrate init`: writes an example `paymigrate.config.json` (Stripe -> Adyen on the embedded
 * SQLite journal) and says which environment variables to set.
 *
 * @throws CliUsageError when the file exists and `--force` was not given.
 */
export function initCommand(options: InitOptions, io: CommandIo): number {
  const file = resolve(io.workingDirectory, options.config);
  if (existsSync(file) && !options.force) {
    throw new CliUsageError({ argument: '--config', problem: `names an existing file (${file})`, fix: 'pass --force to overwrite it, or another --config path' });
  }
  writeFileSync(file, `${JSON.stringify(exampleConfig, null, 2)}\n`);
  io.stdout.write(
    [
      `Wrote ${file}.`,
      'Next:',
      '  1. set migration.from / migration.to and the provider sections (see the @paymigrate/cli README for every key);',
      '  2. export the secrets the file names: STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET, ADYEN_API_KEY, ADYEN_HMAC_KEY;',
      '  3. rehearse first: paymigrate rehearse --from stripe --to adyen;',
      '  4. then: paymigrate status.',
      '',
    ].join('\n'),
  );
  return 0;
}
