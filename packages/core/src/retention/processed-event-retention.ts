import { z } from 'zod';
import { hasFunctions } from '../config/has-functions.js';
import { parseOptions } from '../config/parse-options.js';
import { VersionConflictError } from '../errors/version-conflict-error.js';
import { orderProcessedEventsCollection } from '../orders/order-records.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalDelete, JournalRecord, JournalV1 } from '../ports/journal/v1/journal.js';
import { processedEventsCollection } from '../journal/processed-event-repository.js';

/** One day in milliseconds. */
const dayMs = 86_400_000;

/**
 * The shortest retention accepted: a provider redelivers an event for days (PayPal up to 25 times
 * over 3 days, Stripe for up to 3 days in live mode), and a record pruned while a redelivery can
 * still come lets the duplicate through the deduplication shortcut (to the state checks behind it).
 */
export const minimumProcessedEventRetentionMs = 7 * dayMs;

/** The default retention: 30 days, well past every provider's redelivery window. */
export const defaultProcessedEventRetentionMs = 30 * dayMs;

/** The collections of handled webhook events: the Transaction State Manager's and the Order State Synchronizer's. */
export const processedEventCollections: readonly string[] = Object.freeze([processedEventsCollection, orderProcessedEventsCollection]);

/** Options of `pruneProcessedEvents`. */
export interface ProcessedEventRetentionOptions {
  /** The journal to prune. */
  readonly journal: JournalV1;
  /**
   * How long a handled event's record is kept after it was written, milliseconds; at least
   * `minimumProcessedEventRetentionMs` (7 days). @default 30 days
   */
  readonly retentionMs?: number | undefined;
  /** Records read (and at most deleted) per journal call. @default 500 */
  readonly pageSize?: number | undefined;
  /** Stops after the page in progress; what is left is pruned by the next run. */
  readonly signal?: AbortSignal | undefined;
  /** Time source. @default systemClock */
  readonly clock?: ClockV1 | undefined;
}

/** What one collection's pruning did. */
export interface CollectionRetentionReport {
  /** Records read. */
  readonly examined: number;
  /** Records deleted (older than the retention). */
  readonly deleted: number;
  /** Old records rewritten by another writer while this run looked at them: kept, pruned by a later run. */
  readonly conflicts: number;
}

/** What `pruneProcessedEvents` did. */
export interface ProcessedEventRetentionReport {
  /** Records written before this instant (epoch milliseconds) were pruned. */
  readonly cutoff: number;
  /** Per collection (`processedEventCollections`). */
  readonly collections: Readonly<Record<string, CollectionRetentionReport>>;
  /** Whether `signal` stopped the run before it read every record. */
  readonly stopped: boolean;
}

const optionsSchema = z.object({
  journal: z
    .custom<JournalV1>((value) => hasFunctions(value, ['list', 'write']), { message: 'must be a JournalV1' })
    .meta({ fix: 'pass an opened journal adapter (InMemoryJournal, the SQLite or the PostgreSQL journal)' }),
  retentionMs: z
    .number()
    .int()
    .min(minimumProcessedEventRetentionMs)
    .default(defaultProcessedEventRetentionMs)
    .meta({ fix: `pass at least ${minimumProcessedEventRetentionMs} (7 days): providers redeliver events for days` }),
  pageSize: z.number().int().min(1).max(10_000).default(500).meta({ fix: 'pass a page size from 1 to 10,000' }),
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
  clock: z.custom<ClockV1>((value) => hasFunctions(value, ['now'])).optional(),
});

/**
 * Deletes the records of handled webhook events (`processedEventCollections`) written longer ago
 * than the retention, so that the deduplication tables stop growing with every event a shop ever
 * received. Meant to run daily (`paymigrate prune-events`); several runs at once are harmless.
 *
 * These records are a shortcut, not the only guard: an event whose record is gone is decided again
 * against the payment's and the order's state, where an operation already counted (by its
 * provider reference) or a state already reached is ignored. The retention keeps the shortcut for
 * every redelivery a provider makes.
 *
 * Each page is read by key and its old records are deleted in one batch, each at the version read:
 * a record rewritten meanwhile is kept (counted in `conflicts`), the rest of the page is still
 * deleted.
 *
 * @throws ConfigurationError for invalid options.
 */
export async function pruneProcessedEvents(options: ProcessedEventRetentionOptions): Promise<ProcessedEventRetentionReport> {
  const parsed = parseOptions(optionsSchema, options, { component: 'pruneProcessedEvents' });
  const { journal, retentionMs, pageSize, signal } = parsed;
  const cutoff = (parsed.clock ?? systemClock).now() - retentionMs;
  const collections: Record<string, CollectionRetentionReport> = {};
  let stopped = false;
  for (const collection of processedEventCollections) {
    const report = { examined: 0, deleted: 0, conflicts: 0 };
    collections[collection] = report;
    let afterKey: string | undefined;
    for (;;) {
      if (signal?.aborted === true) {
        stopped = true;
        break;
      }
      const page = await journal.list(collection, { afterKey, limit: pageSize });
      report.examined += page.length;
      const old = page.filter((record) => record.updatedAt < cutoff);
      const outcome = await deleteAtVersions(journal, old);
      report.deleted += outcome.deleted;
      report.conflicts += outcome.conflicts;
      if (page.length < pageSize) break;
      afterKey = (page.at(-1) as JournalRecord).key;
    }
    if (stopped) break;
  }
  return Object.freeze({ cutoff, collections: Object.freeze(collections), stopped });
}

/** Deletes `records` at the versions read: in one batch, or one by one when another writer changed one of them. */
async function deleteAtVersions(journal: JournalV1, records: readonly JournalRecord[]): Promise<{ deleted: number; conflicts: number }> {
  if (records.length === 0) return { deleted: 0, conflicts: 0 };
  const deletionOf = (record: JournalRecord): JournalDelete => ({ collection: record.collection, key: record.key, expectedVersion: record.version });
  try {
    await journal.write({ deletes: records.map(deletionOf) });
    return { deleted: records.length, conflicts: 0 };
  } catch (error) {
    if (!VersionConflictError.isInstance(error)) throw error;
  }
  let deleted = 0;
  let conflicts = 0;
  for (const record of records) {
    try {
      await journal.write({ deletes: [deletionOf(record)] });
      deleted += 1;
    } catch (error) {
      if (!VersionConflictError.isInstance(error)) throw error;
      conflicts += 1;
    }
  }
  return { deleted, conflicts };
}
