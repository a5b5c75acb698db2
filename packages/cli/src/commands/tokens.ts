import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  mappingFileFromPath,
  mappingFileFormats,
  openPgpMappingFile,
  openPlainMappingFile,
  type TokenImportCheckpoint,
  type TokenImportReport,
  tokenImportsCollection,
  type VerifiedMappingFile,
} from '@paymigrate/core';
import { CliUsageError, ConfigFileError } from '../cli-errors.js';
import type { CommandIo } from '../output/command-io.js';
import { formatTable } from '../output/format.js';
import { mappingFileFormatOf } from '../runtime/mapping-file-formats.js';
import { readOptionalSecret, readSecret } from '../runtime/environment.js';
import type { PaymigrateRuntime } from '../runtime/runtime.js';
import { tokenImportReadiness } from '../runtime/token-readiness.js';
import { withRuntime } from './open-runtime.js';

/** The mapping file formats the engine reads. */
type MappingFormatName = keyof typeof mappingFileFormats;

/** Options of `paymigrate tokens import`. */
export interface TokensImportOptions {
  /** The configuration file. */
  readonly config: string;
  /** The mapping file the new provider handed back. */
  readonly file: string;
  /** Its format. @default the new provider's own (Stripe JSON, Adyen CSV, generic CSV) */
  readonly format?: string | undefined;
  /** The import's id; running again with it resumes the import. @default derived from the file's digest */
  readonly importId?: string | undefined;
  /** Print JSON. */
  readonly json: boolean;
}

/** True when the file starts like an OpenPGP message (armored) or a binary OpenPGP packet. */
async function looksLikePgp(file: string): Promise<boolean> {
  const handle = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(16), 0, 16, 0);
    const head = buffer.subarray(0, bytesRead);
    return head.toString('latin1').startsWith('-----BEGIN PGP') || (bytesRead > 0 && ((head[0] as number) & 0x80) !== 0);
  } finally {
    await handle.close();
  }
}

/** Opens the mapping file: a PGP file is decrypted and its signature verified with the configured keys. */
async function openMappingFile(runtime: PaymigrateRuntime, file: string, source: string, environment: CommandIo['environment']): Promise<VerifiedMappingFile> {
  const bytes = mappingFileFromPath(file);
  if (!(await looksLikePgp(file))) return openPlainMappingFile(bytes);
  const pgp = runtime.config.tokens.pgp;
  if (pgp === undefined) {
    throw new ConfigFileError({
      file: source,
      key: 'tokens.pgp',
      problem: 'is missing, and the mapping file is PGP-encrypted',
      fix: 'add { "privateKeyEnvironmentVariable": "PAYMIGRATE_PGP_PRIVATE_KEY", "senderPublicKeyFiles": ["./provider.asc"] } under tokens.pgp',
    });
  }
  return openPgpMappingFile(bytes, {
    decryptionKey: readSecret(environment, pgp.privateKeyEnvironmentVariable, 'tokens.pgp.privateKeyEnvironmentVariable', source, 'your armored PGP private key'),
    passphrase: readOptionalSecret(environment, pgp.passphraseEnvironmentVariable, 'tokens.pgp.passphraseEnvironmentVariable', source, 'the passphrase of the PGP private key'),
    verificationKeys: pgp.senderPublicKeyFiles.map((keyFile) => readFileSync(keyFile, 'utf8')),
  });
}

/** The format to read a file with. */
function formatOf(requested: string | undefined, runtime: PaymigrateRuntime): MappingFormatName {
  if (requested === undefined) return mappingFileFormatOf[runtime.config.migration.to];
  if (!Object.hasOwn(mappingFileFormats, requested)) {
    throw new CliUsageError({ argument: '--format', problem: `is '${requested}'`, fix: `use one of ${Object.keys(mappingFileFormats).join(', ')}` });
  }
  return requested as MappingFormatName;
}

/** Imports one mapping file into the vault through the Token Migration Engine. */
export async function importTokens(runtime: PaymigrateRuntime, input: { readonly file: string; readonly format?: string | undefined; readonly importId?: string | undefined; readonly source: string; readonly environment: CommandIo['environment'] }): Promise<TokenImportReport> {
  const format = formatOf(input.format, runtime);
  const file = await openMappingFile(runtime, input.file, input.source, input.environment);
  return runtime.tokens.importMappingFile({ file, format, importId: input.importId });
}

/** `paymigrate tokens import <file>`: imports the new provider's mapping file into the encrypted vault (resumable). */
export async function tokensImportCommand(options: TokensImportOptions, io: CommandIo): Promise<number> {
  const file = resolve(io.workingDirectory, options.file);
  const report = await withRuntime(options.config, io, ({ runtime, file: source }) =>
    importTokens(runtime, { file, format: options.format, importId: options.importId, source, environment: io.environment }),
  );
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    io.stdout.write(
      [
        `Import ${report.importId} (${report.format}): ${report.status}.`,
        `  ${report.rows} rows: ${report.mapped} mapped, ${report.recollect} to re-collect from the customer, ${report.rejected} rejected${report.resumedAfterRow > 0 ? ` (resumed after row ${report.resumedAfterRow})` : ''}.`,
        ...Object.entries(report.failures).map(([brand, reasons]) => `  ${brand}: ${Object.entries(reasons).map(([reason, count]) => `${reason} ${count}`).join(', ')}`),
        '',
      ].join('\n'),
    );
  }
  return 0;
}

/** What `paymigrate tokens status` reports. */
export interface TokensStatusReport {
  /** Whether shadow traffic may start, and why. */
  readonly readiness: { readonly ready: boolean; readonly reason: string };
  /** Every file import, oldest first. */
  readonly imports: readonly TokenImportCheckpoint[];
}

/** Gathers the token migration's progress from the journal. */
export async function collectTokensStatus(runtime: PaymigrateRuntime): Promise<TokensStatusReport> {
  const records = await runtime.journal.list(tokenImportsCollection, { limit: 10_000 });
  const imports = records.map((record) => JSON.parse(record.value) as TokenImportCheckpoint).sort((left, right) => left.startedAt - right.startedAt);
  return { readiness: await tokenImportReadiness(runtime.journal), imports };
}

/** `paymigrate tokens status`: every file import with its counts, and whether the migration may go on. */
export async function tokensStatusCommand(options: { readonly config: string; readonly json: boolean }, io: CommandIo): Promise<number> {
  const report = await withRuntime(options.config, io, ({ runtime }) => collectTokensStatus(runtime));
  if (options.json) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return 0;
  }
  const rows = report.imports.map((checkpoint) => [
    `  ${checkpoint.importId}`,
    checkpoint.format,
    checkpoint.status,
    `${checkpoint.rowsCommitted} rows`,
    `${checkpoint.mapped} mapped`,
    `${checkpoint.recollect} re-collect`,
    `${checkpoint.rejected} rejected`,
  ]);
  io.stdout.write(`${[`Token migration: ${report.readiness.ready ? 'ready' : 'not ready'} (${report.readiness.reason})`, ...(rows.length === 0 ? [] : [formatTable(rows)])].join('\n')}\n`);
  return 0;
}
