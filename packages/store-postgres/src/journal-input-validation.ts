import type { ExpectedVersion, JournalWriteBatch, PendingOutboxQuery } from '@paymigrate/core';

/** The largest `limit` that `list`, `claim` and `claimOutbox` accept. */
export const maximumJournalPageSize = 10_000;

/** The largest `limit` that `listPendingOutbox` accepts (an operator's page). */
export const maximumPendingOutboxPageSize = 1_000;

/** A `PendingOutboxQuery` checked and with its defaults filled in. */
export interface ResolvedPendingOutboxQuery {
  /** Only these topics (an empty list names none); `undefined` for every topic. */
  readonly topics: readonly string[] | undefined;
  /** Only messages with at least this many attempts, a safe integer >= 0. */
  readonly minimumAttempts: number;
  /** Only messages with a higher sequence, a safe integer >= 0. */
  readonly afterSequence: number;
  /** At most this many messages, 1 to 1,000. */
  readonly limit: number;
}

/**
 * A NUL character (PostgreSQL `text` cannot hold it) or a lone UTF-16 surrogate (it cannot be
 * encoded as UTF-8: pg would silently store U+FFFD, so two different keys could become one).
 */
const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Rejects a string PostgreSQL could not store exactly as given.
 * @throws TypeError naming the operation and the field.
 */
export function assertStorableText(operation: string, field: string, value: string): void {
  if (!value.includes('\u0000') && !loneSurrogate.test(value)) return;
  throw new TypeError(
    `Journal ${operation}: '${field}' contains a NUL character or a lone UTF-16 surrogate, which PostgreSQL text cannot store exactly.`,
  );
}

/** Rejects a `limit` outside 1..`maximum` (10,000 unless given). */
export function assertLimit(operation: string, limit: number, maximum = maximumJournalPageSize): void {
  if (Number.isInteger(limit) && limit >= 1 && limit <= maximum) return;
  throw new TypeError(`Journal ${operation}: 'limit' must be an integer from 1 to ${maximum}, got ${limit}.`);
}

/** Rejects a count or position that is not a safe integer >= 0. */
function assertNonNegativeInteger(operation: string, field: string, value: number): void {
  if (Number.isSafeInteger(value) && value >= 0) return;
  throw new TypeError(`Journal ${operation}: '${field}' must be an integer >= 0, got ${value}.`);
}

/**
 * Checks the query of `listPendingOutbox` and fills in its defaults (`minimumAttempts` and
 * `afterSequence` 0, every topic).
 * @throws TypeError when `limit` is not an integer from 1 to 1,000, `minimumAttempts` or
 * `afterSequence` is not an integer >= 0, or a topic is not storable text.
 */
export function toPendingOutboxQuery(query: PendingOutboxQuery): ResolvedPendingOutboxQuery {
  assertLimit('listPendingOutbox', query.limit, maximumPendingOutboxPageSize);
  const minimumAttempts = query.minimumAttempts ?? 0;
  const afterSequence = query.afterSequence ?? 0;
  assertNonNegativeInteger('listPendingOutbox', 'minimumAttempts', minimumAttempts);
  assertNonNegativeInteger('listPendingOutbox', 'afterSequence', afterSequence);
  for (const topic of query.topics ?? []) assertStorableText('listPendingOutbox', 'topics', topic);
  return { topics: query.topics, minimumAttempts, afterSequence, limit: query.limit };
}

/** Rejects a lease duration that is not a positive safe integer. */
export function assertLeaseMilliseconds(operation: string, leaseMs: number): void {
  if (Number.isSafeInteger(leaseMs) && leaseMs > 0) return;
  throw new TypeError(`Journal ${operation}: 'leaseMs' must be a positive integer number of milliseconds, got ${leaseMs}.`);
}

function assertExpectedVersion(collection: string, key: string, expected: ExpectedVersion): void {
  if (expected === 'any' || (Number.isSafeInteger(expected) && expected >= 0)) return;
  throw new TypeError(
    `Journal write of '${collection}/${key}': 'expectedVersion' must be 'any' or an integer >= 0 (0 = must not exist), got ${String(expected)}.`,
  );
}

/**
 * Checks a batch before anything touches the database, with the reference journal's rules:
 * expected versions are `'any'` or integers >= 0, a batch names each record once, and every text
 * is storable.
 * @throws TypeError describing the first problem.
 */
export function assertValidBatch(batch: JournalWriteBatch): void {
  const touched = new Set<string>();
  for (const operation of [...(batch.puts ?? []), ...(batch.deletes ?? [])]) {
    assertExpectedVersion(operation.collection, operation.key, operation.expectedVersion);
    assertStorableText('write', 'collection', operation.collection);
    assertStorableText('write', 'key', operation.key);
    const identity = JSON.stringify([operation.collection, operation.key]);
    if (touched.has(identity)) {
      throw new TypeError(
        `Journal batch names record '${operation.collection}/${operation.key}' more than once; a batch may put or delete each record once.`,
      );
    }
    touched.add(identity);
  }
  for (const put of batch.puts ?? []) {
    assertStorableText('write', 'value', put.value);
    if (put.index !== undefined) assertStorableText('write', 'index', put.index);
  }
  for (const message of batch.outbox ?? []) {
    assertStorableText('write', 'topic', message.topic);
    assertStorableText('write', 'orderingKey', message.orderingKey);
    assertStorableText('write', 'deduplicationId', message.deduplicationId);
    assertStorableText('write', 'payload', message.payload);
  }
}

/**
 * Turns `availableAt` into whole epoch milliseconds (rounded up: a back-off never ends early).
 * @throws TypeError when it is not finite or out of the safe integer range.
 */
export function toAvailableAt(availableAt: number): number {
  return toWholeMilliseconds('releaseOutbox', 'availableAt', availableAt);
}

/**
 * The cutoff of `pruneDeliveredOutbox` in whole milliseconds, rounded up: the journal stores whole
 * milliseconds, so "before 1000.5" is "at most 1000", i.e. "before 1001".
 * @throws TypeError when it is not finite or out of the safe integer range.
 */
export function toDeliveredBefore(deliveredBefore: number): number {
  return toWholeMilliseconds('pruneDeliveredOutbox', 'deliveredBefore', deliveredBefore);
}

function toWholeMilliseconds(operation: string, field: string, milliseconds: number): number {
  const rounded = Math.ceil(milliseconds);
  if (Number.isSafeInteger(rounded)) return rounded;
  throw new TypeError(`Journal ${operation}: '${field}' must be finite epoch milliseconds, got ${milliseconds}.`);
}
