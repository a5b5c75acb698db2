import { hasMarker, PaymigrateError } from './paymigrate-error.js';

const marker = Symbol.for('paymigrate.error.version-conflict');

/**
 * A compare-and-set lost: the record changed (or appeared, or vanished) since it was read.
 * Retryable: read again, re-apply the change, write again.
 */
export class VersionConflictError extends PaymigrateError {
  private readonly [marker] = true;

  /** Collection or store of the record. */
  readonly collection: string;

  /** Key of the record. */
  readonly key: string;

  /** The version the writer expected (0 = expected absent). */
  readonly expectedVersion: number;

  /** The version found, `undefined` when the record is absent. */
  readonly actualVersion: number | undefined;

  constructor(options: { collection: string; key: string; expectedVersion: number; actualVersion: number | undefined }) {
    const actual = options.actualVersion === undefined ? 'absent' : `version ${options.actualVersion}`;
    super(
      'JOURNAL_VERSION_CONFLICT',
      `Record '${options.collection}/${options.key}' changed concurrently: expected version ${options.expectedVersion}, found ${actual}. Read it again and retry.`,
      { isRetryable: true },
    );
    this.name = 'VersionConflictError';
    this.collection = options.collection;
    this.key = options.key;
    this.expectedVersion = options.expectedVersion;
    this.actualVersion = options.actualVersion;
  }

  static override isInstance(error: unknown): error is VersionConflictError {
    return hasMarker(error, marker);
  }
}
