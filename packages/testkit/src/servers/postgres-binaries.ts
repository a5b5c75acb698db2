import { access, constants, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './run-command.js';

/** The environment variable that points at a folder holding `initdb`, `postgres` and `pg_isready`. */
export const postgresBinariesVariable = 'PAYMIGRATE_POSTGRES_BIN';

/** The server programs a folder must hold to count as a PostgreSQL installation. */
const requiredPrograms = ['initdb', 'postgres', 'pg_isready'] as const;

/** Where to look for PostgreSQL server programs; every field has a default. */
export interface LocatePostgresBinariesOptions {
  /**
   * Environment to read `PAYMIGRATE_POSTGRES_BIN` from.
   * @default process.env
   */
  readonly environment?: Readonly<Record<string, string | undefined>> | undefined;
  /**
   * The `pg_config` program asked for `--bindir`.
   * @default 'pg_config'
   */
  readonly pgConfigCommand?: string | undefined;
  /**
   * Folder holding one `<version>/bin` folder per installed major version (the Debian layout).
   * @default '/usr/lib/postgresql'
   */
  readonly versionsDirectory?: string | undefined;
}

/** True when every required program is an executable file in `directory`. */
async function holdsServerPrograms(directory: string): Promise<boolean> {
  try {
    await Promise.all(requiredPrograms.map((program) => access(join(directory, program), constants.X_OK)));
    return true;
  } catch {
    return false;
  }
}

/** The `bin` folders under the versions directory, newest major version first. */
async function versionedBinaryDirectories(versionsDirectory: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(versionsDirectory);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => /^\d+(\.\d+)?$/.test(entry))
    .sort((left, right) => Number.parseFloat(right) - Number.parseFloat(left))
    .map((entry) => join(versionsDirectory, entry, 'bin'));
}

/**
 * Finds the folder holding the PostgreSQL server programs (`initdb`, `postgres`, `pg_isready`):
 * `PAYMIGRATE_POSTGRES_BIN` when set (and then only there), else `pg_config --bindir`, else the
 * newest `/usr/lib/postgresql/<version>/bin`.
 *
 * @returns The absolute folder path.
 * @throws Error naming `PAYMIGRATE_POSTGRES_BIN` when it points at a folder without the programs,
 *   or saying how to install PostgreSQL when no installation is found.
 */
export async function locatePostgresBinaries(options: LocatePostgresBinariesOptions = {}): Promise<string> {
  const environment = options.environment ?? process.env;
  const explicit = environment[postgresBinariesVariable];
  if (explicit !== undefined && explicit.trim() !== '') {
    if (await holdsServerPrograms(explicit)) return explicit;
    throw new Error(
      `${postgresBinariesVariable}='${explicit}' does not hold the PostgreSQL server programs (${requiredPrograms.join(', ')}). ` +
        'Point it at the bin folder of a PostgreSQL installation, e.g. /usr/lib/postgresql/15/bin, or unset it.',
    );
  }
  const candidates: string[] = [];
  const pgConfig = await runCommand(options.pgConfigCommand ?? 'pg_config', ['--bindir']);
  if (pgConfig.exitCode === 0) candidates.push(pgConfig.output.trim());
  candidates.push(...(await versionedBinaryDirectories(options.versionsDirectory ?? '/usr/lib/postgresql')));
  for (const candidate of candidates) {
    if (await holdsServerPrograms(candidate)) return candidate;
  }
  throw new Error(
    `PostgreSQL server programs (${requiredPrograms.join(', ')}) not found: install postgresql: apt-get install postgresql ` +
      `(or set ${postgresBinariesVariable} to the folder holding them).`,
  );
}
