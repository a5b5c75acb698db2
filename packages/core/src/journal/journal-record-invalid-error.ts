import { hasMarker, PaymigrateError } from '../errors/paymigrate-error.js';

const marker = Symbol.for('paymigrate.error.journal-record-invalid');

/**
 * A journal record could not be read back as the typed record its collection holds: the JSON is
 * malformed or a field is missing or of the wrong type. The message names the collection, the key
 * and the offending field path, never the stored value (it may hold tokens or customer data).
 */
export class JournalRecordInvalidError extends PaymigrateError {
  private readonly [marker] = true;

  /** Collection of the record. */
  readonly collection: string;

  /** Key of the record. */
  readonly key: string;

  /** Dotted path of the first offending field (empty for the record as a whole). */
  readonly field: string;

  constructor(options: { collection: string; key: string; field: string; problem: string; cause?: unknown }) {
    const where = options.field === '' ? '' : ` at '${options.field}'`;
    super(
      'JOURNAL_RECORD_INVALID',
      `Journal record '${options.collection}/${options.key}' is not a valid record of its collection${where}: ${options.problem}. Restore it from a backup or repair it by hand; it was written by an incompatible version or changed outside paymigrate.`,
      { cause: options.cause },
    );
    this.name = 'JournalRecordInvalidError';
    this.collection = options.collection;
    this.key = options.key;
    this.field = options.field;
  }

  /** True for this error, whichever installed copy of core created it. */
  static override isInstance(error: unknown): error is JournalRecordInvalidError {
    return hasMarker(error, marker);
  }
}
