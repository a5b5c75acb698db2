import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const mappingFileMarker = Symbol.for('paymigrate.error.token.mapping-file');
const signatureMarker = Symbol.for('paymigrate.error.token.mapping-file.signature');
const decryptionMarker = Symbol.for('paymigrate.error.token.mapping-file.decryption');
const formatMarker = Symbol.for('paymigrate.error.token.mapping-file.format');
const changedMarker = Symbol.for('paymigrate.error.token.mapping-file.changed');
const vaultMarker = Symbol.for('paymigrate.error.token.vault');
const importBusyMarker = Symbol.for('paymigrate.error.token.import-busy');
const importFileMismatchMarker = Symbol.for('paymigrate.error.token.import-file-mismatch');

/**
 * A mapping file could not be used. Nothing of it was imported when this is thrown before the
 * first batch (signature, decryption, header); see the subclasses.
 */
export class MappingFileError extends PaymigrateError {
  private readonly [mappingFileMarker] = true;

  constructor(code: string, message: string, options: { readonly cause?: unknown } = {}) {
    super(code, message, { cause: options.cause, isRetryable: false });
    this.name = 'MappingFileError';
  }

  static override isInstance(error: unknown): error is MappingFileError {
    return hasMarker(error, mappingFileMarker);
  }
}

/** Why a mapping file's signature was refused. */
export type MappingFileSignatureProblem = 'unsigned' | 'unknown-signer' | 'invalid-signature';

/**
 * The mapping file is not signed by one of the expected senders (unsigned, signed by an unknown
 * key, or the signature does not verify). Checked over the whole file before any row is used:
 * nothing was imported.
 */
export class MappingFileSignatureError extends MappingFileError {
  private readonly [signatureMarker] = true;

  /** What was wrong with the signature. */
  readonly problem: MappingFileSignatureProblem;

  constructor(options: { problem: MappingFileSignatureProblem; cause?: unknown }) {
    const detail: Record<MappingFileSignatureProblem, string> = {
      unsigned: 'it carries no signature',
      'unknown-signer': 'it is signed by a key that is not among the expected senders',
      'invalid-signature': 'its signature does not verify (the file was altered after signing)',
    };
    super('TOKEN_FILE_SIGNATURE_INVALID', `Refused the mapping file: ${detail[options.problem]}. Nothing was imported; ask the sender for a file signed with the agreed key.`, {
      cause: options.cause,
    });
    this.name = 'MappingFileSignatureError';
    this.problem = options.problem;
  }

  static override isInstance(error: unknown): error is MappingFileSignatureError {
    return hasMarker(error, signatureMarker);
  }
}

/**
 * The mapping file could not be decrypted: not encrypted to our key, not an OpenPGP message, or
 * its integrity check failed (tampered or truncated). Nothing was imported.
 */
export class MappingFileDecryptionError extends MappingFileError {
  private readonly [decryptionMarker] = true;

  constructor(options: { reason: string; cause?: unknown }) {
    super('TOKEN_FILE_DECRYPTION_FAILED', `Could not decrypt the mapping file: ${options.reason}. Nothing was imported.`, { cause: options.cause });
    this.name = 'MappingFileDecryptionError';
  }

  static override isInstance(error: unknown): error is MappingFileDecryptionError {
    return hasMarker(error, decryptionMarker);
  }
}

/**
 * The file's structure is broken beyond one row (a missing header column, an unclosed quote, JSON
 * that does not parse): parsing cannot go on. Rows committed before `row` stay imported and the
 * import can be resumed once the file is fixed. Never echoes file content.
 */
export class MappingFileFormatError extends MappingFileError {
  private readonly [formatMarker] = true;

  /** The format being read. */
  readonly format: string;

  /** The 1-based record number where parsing stopped, when known. */
  readonly row: number | undefined;

  constructor(options: { format: string; problem: string; row?: number | undefined; cause?: unknown }) {
    const where = options.row === undefined ? '' : ` at row ${options.row}`;
    super('TOKEN_FILE_FORMAT_INVALID', `The ${options.format} mapping file is malformed${where}: ${options.problem}.`, { cause: options.cause });
    this.name = 'MappingFileFormatError';
    this.format = options.format;
    this.row = options.row;
  }

  static override isInstance(error: unknown): error is MappingFileFormatError {
    return hasMarker(error, formatMarker);
  }
}

/**
 * The file read for the import is not the file whose signature was verified (it changed on disk
 * between the two passes). The rows of the current batch were not committed; start the import
 * again once the file is stable.
 */
export class MappingFileChangedError extends MappingFileError {
  private readonly [changedMarker] = true;

  constructor() {
    super('TOKEN_FILE_CHANGED', 'The mapping file changed after its signature was verified. The import stopped; run it again on a stable copy of the file.');
    this.name = 'MappingFileChangedError';
  }

  static override isInstance(error: unknown): error is MappingFileChangedError {
    return hasMarker(error, changedMarker);
  }
}

/** Why the vault refused. */
export type TokenVaultProblem = 'record-unreadable' | 'key-missing' | 'audit-failed';

/**
 * The token vault could not read or write a mapping: a record whose authentication tag does not
 * verify (tampered, or moved to another key), a data key that cannot be unwrapped, or an audit
 * entry that could not be written (a read is never answered without its audit entry).
 */
export class TokenVaultError extends PaymigrateError {
  private readonly [vaultMarker] = true;

  /** What went wrong. */
  readonly problem: TokenVaultProblem;

  constructor(options: { problem: TokenVaultProblem; message: string; cause?: unknown }) {
    super(`TOKEN_VAULT_${options.problem.toUpperCase().replaceAll('-', '_')}`, options.message, { cause: options.cause });
    this.name = 'TokenVaultError';
    this.problem = options.problem;
  }

  static override isInstance(error: unknown): error is TokenVaultError {
    return hasMarker(error, vaultMarker);
  }
}

/**
 * Another worker holds the import (its lease has not expired). Retryable: wait for the lease to
 * expire, or let that worker finish.
 */
export class TokenImportBusyError extends PaymigrateError {
  private readonly [importBusyMarker] = true;

  /** The import. */
  readonly importId: string;

  /** When the other worker's lease expires, epoch milliseconds. */
  readonly leaseExpiresAt: number;

  constructor(options: { importId: string; leaseExpiresAt: number }) {
    super('TOKEN_IMPORT_BUSY', `Import '${options.importId}' is being run by another worker until ${new Date(options.leaseExpiresAt).toISOString()}; try again after that.`, {
      isRetryable: true,
    });
    this.name = 'TokenImportBusyError';
    this.importId = options.importId;
    this.leaseExpiresAt = options.leaseExpiresAt;
  }

  static override isInstance(error: unknown): error is TokenImportBusyError {
    return hasMarker(error, importBusyMarker);
  }
}

/**
 * An import id was reused for another file: the checkpoint belongs to a file with another digest.
 * Resuming would mix two files' rows; use a new import id (or the default, derived from the file).
 */
export class TokenImportFileMismatchError extends PaymigrateError {
  private readonly [importFileMismatchMarker] = true;

  /** The import. */
  readonly importId: string;

  constructor(options: { importId: string }) {
    super('TOKEN_IMPORT_FILE_MISMATCH', `Import '${options.importId}' was started with another file. Use a new import id for this file, or resume with the original file.`);
    this.name = 'TokenImportFileMismatchError';
    this.importId = options.importId;
  }

  static override isInstance(error: unknown): error is TokenImportFileMismatchError {
    return hasMarker(error, importFileMismatchMarker);
  }
}
