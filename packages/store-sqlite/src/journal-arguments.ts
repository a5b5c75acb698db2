import type { ExpectedVersion, JournalDelete, JournalPut, OutboxMessageInput, PendingOutboxQuery } from '@paymigrate/core';

/** The largest `limit` that `list`, `claim` and `claimOutbox` accept (the same as the in-memory journal). */
export const maximumJournalPageSize = 10_000;

/**
 * Checks a page size: an integer from 1 to 10,000.
 * @throws TypeError naming the operation and the rejected limit.
 */
export function assertLimit(operation: string, limit: number): void {
  if (Number.isInteger(limit) && limit >= 1 && limit <= maximumJournalPageSize) return;
  throw new TypeError(`Journal ${operation}: 'limit' must be an integer from 1 to ${maximumJournalPageSize}, got ${limit}.`);
}

/**
 * Checks a lease duration: a positive safe integer of milliseconds.
 * @throws TypeError naming the operation and the rejected duration.
 */
export function assertLeaseMilliseconds(operation: string, leaseMs: number): void {
  if (Number.isSafeInteger(leaseMs) && leaseMs > 0) return;
  throw new TypeError(`Journal ${operation}: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`);
}

/**
 * Checks a back-off end: finite epoch milliseconds.
 * @throws TypeError with the rejected value.
 */
export function assertAvailableAt(availableAt: number): void {
  if (Number.isFinite(availableAt)) return;
  throw new TypeError(`Journal releaseOutbox: 'availableAt' must be finite epoch milliseconds, got ${availableAt}.`);
}

/** Checks the cutoff of `pruneDeliveredOutbox`: finite epoch milliseconds. */
export function assertDeliveredBefore(deliveredBefore: number): void {
  if (Number.isFinite(deliveredBefore)) return;
  throw new TypeError(`Journal pruneDeliveredOutbox: 'deliveredBefore' must be finite epoch milliseconds, got ${deliveredBefore}.`);
}

/** The largest `limit` that `listPendingOutbox` accepts: an operator's page (the same as the in-memory journal). */
export const maximumPendingOutboxPageSize = 1_000;

/**
 * Checks a `listPendingOutbox` query: a limit from 1 to 1,000, and a `minimumAttempts` and an
 * `afterSequence` that are absent or integers >= 0. Topics are not checked: any list is a filter.
 * @throws TypeError naming the operation and the rejected argument.
 */
export function assertPendingOutboxQuery(query: PendingOutboxQuery): void {
  const { limit } = query;
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= maximumPendingOutboxPageSize)) {
    throw new TypeError(`Journal listPendingOutbox: 'limit' must be an integer from 1 to ${maximumPendingOutboxPageSize}, got ${limit}.`);
  }
  assertOptionalCount('listPendingOutbox', 'minimumAttempts', query.minimumAttempts);
  assertOptionalCount('listPendingOutbox', 'afterSequence', query.afterSequence);
}

/**
 * Checks an optional count or sequence: absent, or a safe integer >= 0 (NaN and infinities refused).
 * @throws TypeError naming the operation, the argument and the rejected value.
 */
function assertOptionalCount(operation: string, name: string, value: number | undefined): void {
  if (value === undefined || (Number.isSafeInteger(value) && value >= 0)) return;
  throw new TypeError(`Journal ${operation}: '${name}' must be an integer >= 0, got ${value}.`);
}

/** `String.prototype.isWellFormed` (ES2024, in every Node.js the package supports), typed here: the project's `lib` is ES2023. */
interface WellFormedCheck {
  isWellFormed(): boolean;
}

/**
 * SQLite stores text as UTF-8, which has no encoding for a lone UTF-16 surrogate: better-sqlite3
 * would silently replace it, so the text would not round-trip. Refusing it keeps the journal's
 * byte-exact promise. `JSON.stringify` never produces one (it escapes lone surrogates).
 * `isWellFormed` is false exactly when a lone surrogate is present, and costs a fraction of the
 * equivalent `/\p{Surrogate}/u` test (about a fifth on 600-character JSON values). Non-strings
 * (callers without types) are left to SQLite, as before.
 */
function isStorableText(text: string | undefined): boolean {
  return typeof text !== 'string' || (text as unknown as WellFormedCheck).isWellFormed();
}

/** The first stored string of a put SQLite cannot store unaltered, or `undefined` (fields checked one by one: no array walk per record). */
function unstorableRecordField(put: JournalPut): string | undefined {
  if (!isStorableText(put.collection)) return 'collection';
  if (!isStorableText(put.key)) return 'key';
  if (!isStorableText(put.value)) return 'value';
  if (!isStorableText(put.index)) return 'index';
  return undefined;
}

/** The first stored string of an outbox message SQLite cannot store unaltered, or `undefined`. */
function unstorableMessageField(message: OutboxMessageInput): string | undefined {
  if (!isStorableText(message.topic)) return 'topic';
  if (!isStorableText(message.orderingKey)) return 'orderingKey';
  if (!isStorableText(message.deduplicationId)) return 'deduplicationId';
  if (!isStorableText(message.payload)) return 'payload';
  return undefined;
}

/** The `TypeError` for a string SQLite cannot store unaltered; built only when one is found. */
function unstorableTextError(subject: string, field: string): TypeError {
  return new TypeError(
    `Journal write of ${subject}: '${field}' contains a lone UTF-16 surrogate, which SQLite cannot store without altering it. Pass well-formed strings (JSON.stringify escapes lone surrogates).`,
  );
}

/**
 * Checks the shape of a batch before any database work: every expected version is `'any'` or an
 * integer >= 0; no record is named twice (two puts, or a put and a delete), because the result
 * would then depend on the order of application; and every stored string is well-formed UTF-16.
 * Allocates nothing per record but the duplicate check's set entry (it runs once per record of
 * every write, e.g. a million times in a token import).
 * @throws TypeError naming the offending record or message.
 */
export function assertBatchShape(puts: readonly JournalPut[], deletes: readonly JournalDelete[], outbox: readonly OutboxMessageInput[]): void {
  for (const put of puts) {
    const field = unstorableRecordField(put);
    if (field !== undefined) throw unstorableTextError(`record '${put.collection}/${put.key}'`, field);
  }
  for (const message of outbox) {
    const field = unstorableMessageField(message);
    if (field !== undefined) throw unstorableTextError(`outbox message '${message.deduplicationId}'`, field);
  }
  const touched = new Map<string, Set<string>>();
  for (const put of puts) assertNamedOnce(touched, put);
  for (const deletion of deletes) assertNamedOnce(touched, deletion);
}

/**
 * Checks one put or delete: a valid expected version, and a record not named before in the batch
 * (`touched`: keys by collection, filled as it goes).
 * @throws TypeError naming the record.
 */
function assertNamedOnce(touched: Map<string, Set<string>>, operation: JournalPut | JournalDelete): void {
  assertExpectedVersion(operation.collection, operation.key, operation.expectedVersion);
  let keys = touched.get(operation.collection);
  if (keys === undefined) {
    keys = new Set();
    touched.set(operation.collection, keys);
  }
  if (keys.has(operation.key)) {
    throw new TypeError(
      `Journal batch names record '${operation.collection}/${operation.key}' more than once; a batch may put or delete each record once.`,
    );
  }
  keys.add(operation.key);
}

function assertExpectedVersion(collection: string, key: string, expected: ExpectedVersion): void {
  if (expected === 'any' || (Number.isSafeInteger(expected) && expected >= 0)) return;
  throw new TypeError(
    `Journal write of '${collection}/${key}': 'expectedVersion' must be 'any' or an integer >= 0 (0 = must not exist), got ${String(expected)}.`,
  );
}
