import { PaymigrateError } from '@paymigrate/core';
import Database from 'better-sqlite3';

/**
 * An operation on a journal that is not open: `JOURNAL_CLOSED`, the code the in-memory journal
 * uses, so callers handle every backend alike.
 */
export function journalClosedError(problem: 'has not been opened' | 'has been closed', operation: string): PaymigrateError {
  return new PaymigrateError('JOURNAL_CLOSED', `SQLite journal ${problem}: call open() before ${operation}().`);
}

/** A writing operation on a journal opened with `readonly: true`: `JOURNAL_READONLY`. */
export function journalReadonlyError(filename: string, operation: string): PaymigrateError {
  return new PaymigrateError(
    'JOURNAL_READONLY',
    `SQLite journal '${filename}' was opened read-only, so ${operation}() cannot write. Open it without 'readonly' to write.`,
  );
}

/**
 * The file's schema does not fit this version of the package: written by a newer version
 * (`JOURNAL_SCHEMA_UNSUPPORTED`), or not yet migrated while opened read-only (`JOURNAL_SCHEMA_OUTDATED`).
 */
export function journalSchemaError(filename: string, found: number, known: number): PaymigrateError {
  if (found > known) {
    return new PaymigrateError(
      'JOURNAL_SCHEMA_UNSUPPORTED',
      `SQLite journal '${filename}' has schema version ${found}, newer than the ${known} this version of @paymigrate/store-sqlite knows. Upgrade @paymigrate/store-sqlite.`,
    );
  }
  return new PaymigrateError(
    'JOURNAL_SCHEMA_OUTDATED',
    `SQLite journal '${filename}' has schema version ${found} of ${known} and was opened read-only, so it cannot be migrated. Open it once without 'readonly'.`,
  );
}

/** `open()` failed in SQLite (missing file when read-only, not a database, no permission...): `JOURNAL_OPEN_FAILED`. */
export function journalOpenError(filename: string, cause: unknown): PaymigrateError {
  if (PaymigrateError.isInstance(cause)) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new PaymigrateError('JOURNAL_OPEN_FAILED', `Cannot open SQLite journal '${filename}': ${reason}. Check the path, its permissions and that it is a journal file.`, {
    cause,
  });
}

/**
 * Maps a lock timeout (`SQLITE_BUSY`: another process held the write lock longer than
 * `busyTimeoutMs`) to the retryable `JOURNAL_BUSY`; any other error is returned unchanged.
 */
export function translateSqliteError(error: unknown, operation: string): unknown {
  if (error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY')) {
    return new PaymigrateError(
      'JOURNAL_BUSY',
      `SQLite journal ${operation}() timed out waiting for another connection's lock. Retry, or raise 'busyTimeoutMs'.`,
      { cause: error, isRetryable: true },
    );
  }
  return error;
}
