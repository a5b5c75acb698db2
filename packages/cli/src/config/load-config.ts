import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ConfigFileError } from '../cli-errors.js';
import { describeConfigIssues } from './config-issues.js';
import { type PaymigrateConfig, paymigrateConfigSchema } from './config-schema.js';

/** The default configuration file, relative to the working directory. */
export const defaultConfigFile = 'paymigrate.config.json';

/** A configuration read from a file, with paths in it resolved against the file's folder. */
export interface LoadedConfig {
  /** The validated configuration; `journal.file` and `logging.file` are absolute. */
  readonly config: PaymigrateConfig;
  /** The absolute path of the file it came from. */
  readonly file: string;
}

/** Line and column (1-based) of a character offset in a text. */
function positionOf(text: string, offset: number): { readonly line: number; readonly column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

/** Parses JSON text, reporting where it breaks. */
function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const offset = /position (\d+)/.exec(message)?.[1];
    const where = offset === undefined ? '' : (({ line, column }) => ` at line ${line}, column ${column}`)(positionOf(text, Number(offset)));
    throw new ConfigFileError({
      file,
      key: '',
      problem: `is not valid JSON${where}`,
      fix: 'fix the syntax (JSON has no comments and no trailing commas; see `paymigrate init` for an example)',
    });
  }
}

/**
 * Validates a parsed configuration. The first problem becomes a `ConfigFileError` naming the key
 * and the fix; the others are listed after it in the message.
 *
 * @throws ConfigFileError when the value breaks the schema.
 */
export function validateConfig(value: unknown, file: string): PaymigrateConfig {
  const result = paymigrateConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = describeConfigIssues(paymigrateConfigSchema, result.error.issues, value);
  const [first, ...others] = problems;
  /* v8 ignore next -- zod never fails without an issue */
  if (first === undefined) throw new ConfigFileError({ file, key: '', problem: 'is invalid', fix: 'see `paymigrate init`' });
  const more = others.length === 0 ? '' : `; also: ${others.map((problem) => `${problem.key} ${problem.problem}: ${problem.fix}`).join('; ')}`;
  throw new ConfigFileError({ file, key: first.key, problem: first.problem, fix: `${first.fix}${more}` });
}

/** Resolves a path written in the configuration against the configuration file's folder. */
function resolveFrom(directory: string, path: string): string {
  return isAbsolute(path) ? path : resolve(directory, path);
}

/**
 * Reads, parses and validates `paymigrate.config.json` (or `file`). Paths inside it (the SQLite
 * journal, the log file, the key file, the PGP sender keys) are resolved against the file's folder.
 *
 * @throws ConfigFileError naming the file, the key and the fix.
 */
export async function loadConfigFile(file: string, workingDirectory: string = process.cwd()): Promise<LoadedConfig> {
  const absolute = resolveFrom(workingDirectory, file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const missing = typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT';
    throw new ConfigFileError({
      file: absolute,
      key: '',
      problem: missing ? 'does not exist' : 'cannot be read',
      fix: missing ? 'run `paymigrate init` to write an example, or pass --config <path>' : 'check the path and its permissions',
      cause: error,
    });
  }
  const config = validateConfig(parseJson(text, absolute), absolute);
  const directory = dirname(absolute);
  const journal = config.journal.type === 'sqlite' ? { ...config.journal, file: resolveFrom(directory, config.journal.file) } : config.journal;
  const logging = config.logging.file === undefined ? config.logging : { ...config.logging, file: resolveFrom(directory, config.logging.file) };
  const keyProvider = config.tokens.keyProvider.type === 'local-file' ? { ...config.tokens.keyProvider, file: resolveFrom(directory, config.tokens.keyProvider.file) } : config.tokens.keyProvider;
  const pgp = config.tokens.pgp === undefined ? undefined : { ...config.tokens.pgp, senderPublicKeyFiles: config.tokens.pgp.senderPublicKeyFiles.map((file) => resolveFrom(directory, file)) };
  const tokens = { ...config.tokens, keyProvider, ...(pgp === undefined ? {} : { pgp }) };
  return { config: { ...config, journal, logging, tokens }, file: absolute };
}
