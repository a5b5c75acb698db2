import { z } from 'zod';
import { hasFunctions } from '../config/has-functions.js';
import { parseOptions } from '../config/parse-options.js';
import type { ClockV1 } from '../ports/clock/v1/clock.js';
import { systemClock } from '../ports/clock/v1/system-clock.js';
import type { JournalV1 } from '../ports/journal/v1/journal.js';
import { defaultProcessedEventRetentionMs, minimumProcessedEventRetentionMs } from './processed-event-retention.js';

/**
 * The shortest retention accepted for delivered outbox messages, as for handled events (7 days):
 * while a message is kept, enqueueing its deduplication id again (a replayed webhook, an outcome
 * recovery re-creates) is ignored at the source; after it, only the platform's own deduplication by
 * `deduplicationId` catches the repeat.
 */
export const minimumDeliveredOutboxRetentionMs = minimumProcessedEventRetentionMs;

/** The default retention of delivered outbox messages: 30 days. */
export const defaultDeliveredOutboxRetentionMs = defaultProcessedEventRetentionMs;

/** Options of `pruneDeliveredOutbox`. */
export interface DeliveredOutboxRetentionOptions {
  /** The journal to prune. */
  readonly journal: JournalV1;
  /**
   * How long a delivered message is kept after its delivery, milliseconds; at least
   * `minimumDeliveredOutboxRetentionMs` (7 days). @default 30 days
   */
  readonly retentionMs?: number | undefined;
  /** Messages deleted at most per journal call. @default 500 */
  readonly pageSize?: number | undefined;
  /** Stops after the page in progress; what is left is pruned by the next run. */
  readonly signal?: AbortSignal | undefined;
  /** Time source. @default systemClock */
  readonly clock?: ClockV1 | undefined;
}

/** What `pruneDeliveredOutbox` did. */
export interface DeliveredOutboxRetentionReport {
  /** Messages delivered before this instant (epoch milliseconds) were pruned. */
  readonly cutoff: number;
  /** Whether the journal can delete delivered messages (`JournalV1.pruneDeliveredOutbox`); when not, it keeps them all and nothing was deleted. */
  readonly supported: boolean;
  /** Delivered messages deleted. */
  readonly deleted: number;
  /** Whether `signal` stopped the run before every old message was deleted. */
  readonly stopped: boolean;
}

const optionsSchema = z.object({
  journal: z
    .custom<JournalV1>((value) => hasFunctions(value, ['claimOutbox', 'acknowledgeOutbox']), { message: 'must be a JournalV1' })
    .meta({ fix: 'pass an opened journal adapter (InMemoryJournal, the SQLite or the PostgreSQL journal)' }),
  retentionMs: z
    .number()
    .int()
    .min(minimumDeliveredOutboxRetentionMs)
    .default(defaultDeliveredOutboxRetentionMs)
    .meta({ fix: `pass at least ${minimumDeliveredOutboxRetentionMs} (7 days): a repeat of a message is ignored at the source only while the message is kept` }),
  pageSize: z.number().int().min(1).max(10_000).default(500).meta({ fix: 'pass a page size from 1 to 10,000' }),
  signal: z.custom<AbortSignal>((value) => value instanceof AbortSignal).optional(),
  clock: z.custom<ClockV1>((value) => hasFunctions(value, ['now'])).optional(),
});

/**
 * Deletes the outbox messages delivered longer ago than the retention. Delivered messages stay in
 * the outbox after their acknowledgement (their deduplication ids keep a repeat from being
 * delivered twice), so without pruning the outbox grows with every payment and order update a
 * shop ever made. Undelivered messages, leased or backing off, are never touched. Meant to run
 * daily (`paymigrate prune-events`); several runs at once are harmless.
 *
 * A journal without `pruneDeliveredOutbox` (an adapter that predates it) is reported as not
 * supported, not as an error: it keeps every message, as before.
 *
 * @throws ConfigurationError for invalid options.
 */
export async function pruneDeliveredOutbox(options: DeliveredOutboxRetentionOptions): Promise<DeliveredOutboxRetentionReport> {
  const parsed = parseOptions(optionsSchema, options, { component: 'pruneDeliveredOutbox' });
  const { journal, retentionMs, pageSize, signal } = parsed;
  const cutoff = (parsed.clock ?? systemClock).now() - retentionMs;
  const prune = journal.pruneDeliveredOutbox?.bind(journal);
  if (prune === undefined) return Object.freeze({ cutoff, supported: false, deleted: 0, stopped: false });
  let deleted = 0;
  for (;;) {
    if (signal?.aborted === true) return Object.freeze({ cutoff, supported: true, deleted, stopped: true });
    const page = await prune({ deliveredBefore: cutoff, limit: pageSize });
    deleted += page.deleted;
    if (page.deleted < pageSize) return Object.freeze({ cutoff, supported: true, deleted, stopped: false });
  }
}
