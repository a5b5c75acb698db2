import { type ClockV1, parseOptions, systemClock } from '@paymigrate/core';
import { z } from 'zod';

/** How hard each commit is pushed to disk (SQLite `PRAGMA synchronous` in WAL mode). */
export type SqliteSynchronousMode = 'FULL' | 'NORMAL';

/** Options of `SqliteJournal` / `createSqliteJournal`. */
export interface SqliteJournalOptions {
  /**
   * Path of the journal file; created (with its directory) by `open()` when absent. `':memory:'`
   * gives a private in-memory database for tests: nothing survives `close()`.
   * @example './data/paymigrate-journal.sqlite'
   */
  readonly filename: string;
  /**
   * The clock that stamps `updatedAt`, `enqueuedAt`, `deliveredAt` and lease expiries and decides
   * when a lease or an `availableAt` has passed. Pass a `ManualClock` to test leases without waiting.
   * @default systemClock
   */
  readonly clock?: ClockV1 | undefined;
  /**
   * `'FULL'`: the WAL is fsync'ed on every commit, so a write that resolved survives a power loss or
   * an operating-system crash. `'NORMAL'`: the WAL is fsync'ed only at checkpoints; a resolved write
   * survives a crash of the process, but the last commits may be lost on power loss. The file is
   * never corrupted in either mode. Keep `'FULL'` for payments.
   * @default 'FULL'
   */
  readonly synchronous?: SqliteSynchronousMode | undefined;
  /**
   * How long an operation waits for another connection's write lock (another process sharing the
   * file) before failing with the retryable `JOURNAL_BUSY`. better-sqlite3 waits synchronously, so
   * the event loop of this process is blocked meanwhile.
   * @default 5000
   */
  readonly busyTimeoutMs?: number | undefined;
  /**
   * Opens an existing, already migrated journal for reading only (reports, audits): migrations are
   * not run and every writing operation fails with `JOURNAL_READONLY`.
   * @default false
   */
  readonly readonly?: boolean | undefined;
  /**
   * The most `write()` batches one group commit takes. Writes waiting beyond it are committed by
   * the next group, in a later turn of the event loop, so I/O callbacks (HTTP responses, timers)
   * run between two groups instead of waiting for one long synchronous transaction. Smaller groups
   * mean more commits (each its own WAL sync, pipelined); larger ones block the event loop longer.
   * @default 256
   */
  readonly maximumGroupCommitBatches?: number | undefined;
}

/** Options after validation, with every default applied. */
export interface ResolvedSqliteJournalOptions {
  /** See `SqliteJournalOptions.filename`. */
  readonly filename: string;
  /** See `SqliteJournalOptions.clock`. */
  readonly clock: ClockV1;
  /** See `SqliteJournalOptions.synchronous`. */
  readonly synchronous: SqliteSynchronousMode;
  /** See `SqliteJournalOptions.busyTimeoutMs`. */
  readonly busyTimeoutMs: number;
  /** See `SqliteJournalOptions.readonly`. */
  readonly readonly: boolean;
  /** See `SqliteJournalOptions.maximumGroupCommitBatches`. */
  readonly maximumGroupCommitBatches: number;
}

/** The file name better-sqlite3 (and SQLite) read as "a private in-memory database". */
export const inMemoryFilename = ':memory:';

/** Default of `SqliteJournalOptions.maximumGroupCommitBatches` (measured: see the store-sqlite group-commit benchmark). */
export const defaultMaximumGroupCommitBatches = 256;

/** The largest `maximumGroupCommitBatches` accepted: one transaction of more batches holds the event loop for tens of milliseconds. */
const largestGroupCommitBatches = 10_000;

/** The largest busy timeout SQLite takes (a signed 32-bit number of milliseconds). */
const maximumBusyTimeoutMs = 2_147_483_647;

function isClock(value: unknown): value is ClockV1 {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Record<keyof ClockV1, unknown>>;
  return typeof candidate.now === 'function' && typeof candidate.sleep === 'function';
}

/** The zod schema behind `parseSqliteJournalOptions`; `fix` metadata feeds `ConfigurationError.fix`. */
export const sqliteJournalOptionsSchema = z
  .strictObject({
    filename: z
      .string()
      .min(1)
      .meta({ fix: "pass the path of the journal file, e.g. './data/paymigrate-journal.sqlite', or ':memory:' in tests" }),
    clock: z
      .custom<ClockV1>(isClock, { message: 'expected a ClockV1 (an object with now() and sleep())' })
      .optional()
      .meta({ fix: 'pass a ClockV1 such as systemClock from @paymigrate/core, or leave it out' }),
    synchronous: z
      .enum(['FULL', 'NORMAL'])
      .default('FULL')
      .meta({ fix: "use 'FULL' (a resolved write survives power loss) or 'NORMAL' (survives process crashes only)" }),
    busyTimeoutMs: z
      .number()
      .int()
      .min(0)
      .max(maximumBusyTimeoutMs)
      .default(5_000)
      .meta({ fix: 'pass a whole number of milliseconds from 0 to 2147483647, e.g. 5000' }),
    readonly: z.boolean().default(false).meta({ fix: 'pass true or false' }),
    maximumGroupCommitBatches: z
      .number()
      .int()
      .min(1)
      .max(largestGroupCommitBatches)
      .default(defaultMaximumGroupCommitBatches)
      .meta({ fix: `pass a whole number of batches from 1 to ${largestGroupCommitBatches}, e.g. ${defaultMaximumGroupCommitBatches}` }),
  })
  .superRefine((options, context) => {
    if (options.readonly && options.filename === inMemoryFilename) {
      context.addIssue({ code: 'custom', path: ['readonly'], message: 'an in-memory journal cannot be read-only' });
    }
  })
  .meta({ fix: 'pass an options object such as { filename: ./data/paymigrate-journal.sqlite }' });

/**
 * Validates `SqliteJournalOptions` once, at construction, and applies the defaults.
 * @throws ConfigurationError naming the option (`sqlite.filename`, `sqlite.synchronous`, ...) and how to fix it.
 */
export function parseSqliteJournalOptions(input: unknown): ResolvedSqliteJournalOptions {
  const parsed = parseOptions(sqliteJournalOptionsSchema, input, { component: 'sqlite' });
  return {
    filename: parsed.filename,
    clock: parsed.clock ?? systemClock,
    synchronous: parsed.synchronous,
    busyTimeoutMs: parsed.busyTimeoutMs,
    readonly: parsed.readonly,
    maximumGroupCommitBatches: parsed.maximumGroupCommitBatches,
  };
}
